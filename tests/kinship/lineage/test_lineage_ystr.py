"""Y-STR haplotypes and the mutation-aware comparison (VN17 data is synthetic)."""

from __future__ import annotations

import math

import pytest

from dnacase.kinship.lineage import (
    LineageClass,
    LineageDataError,
    YCompareOptions,
    YHaplotype,
    compare_ystr,
    yhrd_mutation_rates,
)
from tests.kinship.lineage.vn17 import C01, LOCI, UHR, UNREL


def y(cells: list[str], sample: str) -> YHaplotype:
    return YHaplotype.from_cells(
        dict(zip(LOCI, cells, strict=True)), sample=sample, kit="Yfiler Plus"
    )


def test_rates_table_is_shipped_and_merged_for_multi_copy_loci() -> None:
    rates = yhrd_mutation_rates()
    assert rates["DYS570"] == pytest.approx(25 / 1873)
    assert rates["DYS385"] == pytest.approx(32 / 26171)
    assert rates["DYF387S1"] == pytest.approx(14 / 1804)
    assert "DYS385a" not in rates


def test_parsing_multi_copy_null_duplication_and_dropout() -> None:
    u = y(UNREL, "UNREL")
    assert u.alleles["DYS385"] == (13.0, 13.0)
    assert u.alleles["DYS19"] == (14.0, 15.0)  # duplication kept
    assert u.alleles["DYS458"] == (17.2,)
    r = y(UHR, "UHR")
    assert r.alleles["DYS627"] is None  # dropout = not typed
    assert set(r.typed_loci()) == set(LOCI) - {"DYS627", "DYS518", "DYS449", "DYF387S1"}
    # unordered multi-copy loci and split a/b columns
    a = YHaplotype.from_cells({"DYS385": "19,12"})
    b = YHaplotype.from_cells({"DYS385a": "12", "DYS385b": "19"})
    assert a == b
    n = YHaplotype.from_cells({"DYS19": "null", "DYS390": "0"})
    assert n.alleles["DYS19"] == (0.0,) and n.alleles["DYS390"] == (0.0,)


def test_bad_cell_names_sample_and_locus() -> None:
    with pytest.raises(LineageDataError, match=r"VN17-X.*DYS19"):
        YHaplotype.from_cells({"DYS19": "fifteen"}, sample="VN17-X")
    with pytest.raises(LineageDataError, match="twice"):
        YHaplotype.from_cells({"DYS19": "15", "dys19": "15"})


def test_identical_haplotypes_father_son() -> None:
    r, c = y(C01, "A"), y(C01, "B")
    cmp = compare_ystr(r, c, meioses=1)
    assert cmp.classification is LineageClass.CANNOT_EXCLUDE
    rates = yhrd_mutation_rates()
    expected = 0.0
    for locus in LOCI:
        copies = 2 if locus in ("DYS385", "DYF387S1") else 1
        expected += copies * math.log10(1 - rates[locus])
    # DYF387S1 36,38: the crossed arrangement (36->38 and 38->36, two 2-step mutations) adds
    mu = rates["DYF387S1"]
    two_step = mu * 0.95 * 0.05 / 2
    expected += math.log10(1 + two_step**2 / (1 - mu) ** 2)
    assert cmp.log10_p == pytest.approx(expected, rel=1e-12)


def test_one_step_at_a_fast_locus_lowers_the_lr_instead_of_excluding() -> None:
    """VN17: the son C01 differs from the remains by +1 at DYS570 (18 -> 19)."""
    uhr, c01 = y(UHR, "VN17-UHR-B01"), y(C01, "VN17-REF-C01")
    cmp = compare_ystr(uhr, c01, meioses=1)
    assert cmp.classification is LineageClass.INCONCLUSIVE
    assert [d.locus for d in cmp.differences] == ["DYS570"]
    assert "+1" in str(cmp.differences[0])
    assert set(cmp.skipped_loci) == {"DYS627", "DYS518", "DYS449", "DYF387S1"}
    mu = 25 / 1873
    # one-step, one meiosis: mu * (1 - rho) / 2 with rho = 0.05
    assert cmp.differences[0].log10_p == pytest.approx(math.log10(mu * 0.95 / 2), rel=1e-9)
    same = compare_ystr(y([*UHR[:16], "19", *UHR[17:]], "x"), c01, meioses=1)
    assert same.classification is LineageClass.CANNOT_EXCLUDE
    assert math.isfinite(cmp.log10_p)
    assert cmp.log10_p < same.log10_p - 2  # about 1/160 lower, not zero
    # the same one-step difference at a slow locus weighs more heavily
    slow = list(C01)
    slow[LOCI.index("DYS438")] = "11"
    slow_cmp = compare_ystr(y(C01, "a"), y(slow, "b"), meioses=1)
    assert slow_cmp.log10_p < cmp.log10_p - 1


def test_more_meioses_make_a_difference_more_likely() -> None:
    uhr, c01 = y(UHR, "a"), y(C01, "b")
    p1 = compare_ystr(uhr, c01, 1).differences[0].log10_p
    p3 = compare_ystr(uhr, c01, 3).differences[0].log10_p
    assert p3 > p1


def test_unrelated_man_is_excluded() -> None:
    cmp = compare_ystr(y(UHR, "a"), y(UNREL, "b"), meioses=1)
    assert cmp.classification is LineageClass.EXCLUDED
    assert cmp.log10_p == -math.inf  # microvariant and duplication differences
    assert cmp.n_differences >= 15


def test_non_stepwise_changes_need_an_explicit_allowance() -> None:
    a = YHaplotype.from_cells({"DYS19": "14", "DYS390": "23"})
    dup = YHaplotype.from_cells({"DYS19": "14,15", "DYS390": "23"})
    assert compare_ystr(a, dup, 1).log10_p == -math.inf
    allowed = compare_ystr(a, dup, 1, YCompareOptions(non_stepwise_rate=1e-4))
    assert allowed.classification is LineageClass.INCONCLUSIVE
    assert allowed.differences[0].log10_p == pytest.approx(-4, abs=1e-3)
    null = YHaplotype.from_cells({"DYS19": "0", "DYS390": "23"})
    assert compare_ystr(a, null, 1).differences[0].steps == "null allele vs repeat number"


def test_multi_copy_locus_sums_over_arrangements() -> None:
    mu = 32 / 26171
    a = YHaplotype.from_cells({"DYS385": "12,13"})
    b = YHaplotype.from_cells({"DYS385": "13,13"})
    # 12->13 with 13 unchanged (only arrangement since both b copies are 13)
    p = compare_ystr(a, b, 1).log10_p
    assert p == pytest.approx(math.log10(mu * 0.95 / 2 * (1 - mu)), rel=1e-9)
    c = YHaplotype.from_cells({"DYS385": "12,14"})
    # from (12,13) to {12,14}: 13->14 (12 kept) or 12->14 & 13->12 (two mutations)
    p2 = compare_ystr(a, c, 1).log10_p
    single = mu * 0.95 / 2 * (1 - mu)
    double = (mu * 0.95 * 0.05 / 2) * (mu * 0.95 / 2)
    assert p2 == pytest.approx(math.log10(single + double), rel=1e-9)


def test_dys389ii_mutation_of_dys389i_is_not_counted_twice() -> None:
    a = YHaplotype.from_cells({"DYS389I": "13", "DYS389II": "29"})
    b = YHaplotype.from_cells({"DYS389I": "14", "DYS389II": "30"})
    cmp = compare_ystr(a, b, 1)
    assert [d.locus for d in cmp.differences] == ["DYS389I"]
    raw = compare_ystr(a, b, 1, YCompareOptions(dys389ii_is_total=False))
    assert len(raw.differences) == 2


def test_unknown_locus_needs_a_rate() -> None:
    a = YHaplotype.from_cells({"DYS999": "10"})
    with pytest.raises(LineageDataError, match="DYS999"):
        compare_ystr(a, a, 1)
    assert compare_ystr(a, a, 1, YCompareOptions(default_rate=0.002)).log10_p == pytest.approx(
        math.log10(0.998)
    )
