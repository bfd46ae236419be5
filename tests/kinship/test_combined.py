"""Combined pair report: autosomal + mtDNA + Y-STR on the synthetic VN17 case."""

from __future__ import annotations

import math

import pytest

from dnacase.kinship.combined import (
    ASSUMPTIONS,
    MtAllowance,
    combine_pair,
    mtdna_evidence,
    ystr_evidence,
)
from dnacase.kinship.lineage import (
    LineageClass,
    MtHaplotype,
    PopulationDatabase,
    YHaplotype,
    clopper_pearson_upper,
)
from dnacase.kinship.pedigree import Pedigree
from tests.kinship.lineage.vn17 import C01 as Y_C01
from tests.kinship.lineage.vn17 import LOCI
from tests.kinship.lineage.vn17 import UHR as Y_UHR

FULL, HVS = "16024-16569;1-576", "16024-16365;73-340"
MU = 10 / 327 / 610  # default per-site, per-meiosis rate (MtAllowance)
A = "16129A 16192T 16223T 16297C 16324C 73G 199C 263G 315.1C 489C"
B = "16183C 16189C 16217C 16261T 73G 263G 309.1C 309.2C 315.1C"

PED = Pedigree.from_records(
    [
        {"id": "GF", "father": None, "mother": None, "sex": "M"},
        {"id": "VN17-REF-M01", "father": None, "mother": None, "sex": "F"},
        {"id": "MISSING", "father": "GF", "mother": "VN17-REF-M01", "sex": "M"},
        {"id": "VN17-REF-S01", "father": "GF", "mother": "VN17-REF-M01", "sex": "F"},
        {"id": "VN17-REF-W01", "father": None, "mother": None, "sex": "F"},
        {"id": "VN17-REF-C01", "father": "MISSING", "mother": "VN17-REF-W01", "sex": "M"},
    ]
)

UHR_MT = MtHaplotype.from_notation(
    "16093Y 16129A 16192T 16223T 16297C 16324C 73G 199C 263G 315.1C", HVS, "VN17-UHR-B01"
)
MT_REFS = {
    "VN17-REF-M01": MtHaplotype.from_notation(A, FULL, "VN17-REF-M01"),
    "VN17-REF-S01": MtHaplotype.from_notation(A, FULL, "VN17-REF-S01"),
    "VN17-REF-W01": MtHaplotype.from_notation(B, FULL, "VN17-REF-W01"),
    "VN17-REF-C01": MtHaplotype.from_notation(B, FULL, "VN17-REF-C01"),
}
Y_REMAINS = YHaplotype.from_cells(dict(zip(LOCI, Y_UHR, strict=True)), kit="Yfiler Plus")
Y_REFS = {
    "VN17-REF-C01": YHaplotype.from_cells(dict(zip(LOCI, Y_C01, strict=True))),
    "VN17-REF-S01": YHaplotype.from_cells({"DYS19": "15"}),
}


def test_mtdna_part_counts_the_maternal_lineage_once() -> None:
    ev = mtdna_evidence(PED, "MISSING", UHR_MT, MT_REFS, (0, 100))
    assert ev.reference == "VN17-REF-M01" and ev.meioses == 1
    assert ev.counted_once == ("VN17-REF-M01", "VN17-REF-S01")
    assert {rid for rid, _ in ev.outside} == {"VN17-REF-W01", "VN17-REF-C01"}
    assert all("different mtDNA lineage" in why for _, why in ev.outside)
    assert ev.classification is LineageClass.CANNOT_EXCLUDE
    # numerator: no change at any of the 610 sites compared in one meiosis; per-site rate
    # 10/327/610 (Parsons et al. 1997). Was 1 - 0.03*610/1122 with the old whole-range
    # allowance (same order; the rate is now per site, see the one-difference test)
    assert ev.log10_numerator == pytest.approx(610 * math.log10(1 - MU))
    assert ev.log10_lr == pytest.approx(610 * math.log10(1 - MU) - math.log10(0.03621669),
                                        rel=1e-6)
    assert any("16093" in n for n in ev.notes)  # heteroplasmy shown, not counted
    assert any("per-site mutation rate 5.01e-05 per meiosis" in n for n in ev.notes)


def test_mtdna_one_difference_lowers_and_two_exclude() -> None:
    one = MtHaplotype.from_notation(UHR_MT.notation() + " 16311C", HVS)
    ev1 = mtdna_evidence(PED, "MISSING", one, MT_REFS, (0, 100))
    assert ev1.classification is LineageClass.INCONCLUSIVE
    # the probability of the difference observed (at 16311), not of "one difference
    # anywhere in 610 bp" (which was 0.03*610/1122 and gave LR 15 for identity here)
    assert ev1.log10_numerator == pytest.approx(math.log10(MU) + 609 * math.log10(1 - MU))
    assert ev1.log10_lr < 0
    two = MtHaplotype.from_notation(one.notation() + " 16362C", HVS)
    ev2 = mtdna_evidence(PED, "MISSING", two, MT_REFS, (0, 100))
    assert ev2.classification is LineageClass.EXCLUDED and ev2.log10_lr == -math.inf
    custom = mtdna_evidence(
        PED, "MISSING", one, MT_REFS, (0, 100), allowance=MtAllowance(rate_per_meiosis=0.0)
    )
    assert custom.log10_lr == -math.inf


def test_mtdna_frequency_from_a_population_database() -> None:
    db = PopulationDatabase(
        "synthetic-200",
        tuple(
            [MtHaplotype.from_notation(A, FULL)] * 2
            + [MtHaplotype.from_notation("73G 263G 315.1C", FULL)] * 198
        ),
    )
    ev = mtdna_evidence(PED, "MISSING", UHR_MT, MT_REFS, db)
    assert ev.frequency is not None and (ev.frequency.count, ev.frequency.n) == (2, 200)
    assert ev.frequency.upper == pytest.approx(clopper_pearson_upper(2, 200))


def test_no_reference_in_the_line_gives_no_lr_with_a_reason() -> None:
    refs = {k: v for k, v in MT_REFS.items() if k in ("VN17-REF-W01", "VN17-REF-C01")}
    ev = mtdna_evidence(PED, "MISSING", UHR_MT, refs, (0, 100))
    assert ev.log10_lr is None and "no typed reference" in ev.reason
    assert len(ev.outside) == 2


def test_y_part_with_a_one_step_mutation_at_dys570() -> None:
    ev = ystr_evidence(PED, "MISSING", Y_REMAINS, Y_REFS, (0, 1000))
    assert ev.reference == "VN17-REF-C01" and ev.meioses == 1
    assert ev.classification is LineageClass.INCONCLUSIVE
    assert ev.differences == ("DYS570 18/19 (+1 repeat(s))",)
    assert dict(ev.outside)["VN17-REF-S01"].startswith("female")
    expected = ev.log10_numerator - math.log10(clopper_pearson_upper(0, 1000))
    assert ev.log10_lr == pytest.approx(expected)
    assert ev.log10_lr > 0  # still supports Hp: a fast-locus step lowers, not excludes


def test_combined_report_is_the_sum_of_the_parts() -> None:
    mt = mtdna_evidence(PED, "MISSING", UHR_MT, MT_REFS, (0, 100))
    y = ystr_evidence(PED, "MISSING", Y_REMAINS, Y_REFS, (0, 1000))
    rep = combine_pair(
        "VN17-UHR-B01", "MISSING", autosomal={"STR": 6.25, "SNP": 3.5}, mtdna=mt, y=y
    )
    assert mt.log10_lr is not None and y.log10_lr is not None
    assert rep.combined_log10_lr == pytest.approx(6.25 + 3.5 + mt.log10_lr + y.log10_lr)
    assert rep.parts_used == ("autosomal STR", "autosomal SNP", "mtDNA", "Y-STR")
    text = "\n".join(rep.lines())
    for needle in (
        "Hp:",
        "Hd:",
        "autosomal STR: log10 LR = 6.250",
        "mtDNA: log10 LR",
        "Y-STR: log10 LR",
        "combined: log10 LR",
        "independent",
        "outside the line: VN17-REF-W01",
        "counted once",
    ):
        assert needle in text, needle
    assert rep.assumptions == ASSUMPTIONS


def test_exclusion_in_any_part_makes_the_combined_lr_zero() -> None:
    two = MtHaplotype.from_notation(UHR_MT.notation() + " 16311C 16362C", HVS)
    mt = mtdna_evidence(PED, "MISSING", two, MT_REFS, (0, 100))
    rep = combine_pair("R", "MISSING", autosomal=8.0, mtdna=mt)
    assert rep.combined_log10_lr == -math.inf
    assert "LR 0" in "\n".join(rep.lines())
    only_auto = combine_pair("R", "MISSING", autosomal=2.0)
    assert only_auto.combined_log10_lr == 2.0
    assert combine_pair("R", "MISSING").combined_log10_lr is None


def test_inconsistent_references_of_one_line_are_flagged() -> None:
    refs = dict(MT_REFS)
    refs["VN17-REF-S01"] = MtHaplotype.from_notation(B, FULL)
    ev = mtdna_evidence(PED, "MISSING", UHR_MT, refs, (0, 100))
    assert any("of one maternal line differ" in n for n in ev.notes)


# ------------------------------------------------------- the mtDNA LR of an observed difference
def _one_difference(meioses: int, rng: str = HVS) -> MtHaplotype:
    del meioses
    return MtHaplotype.from_notation(UHR_MT.notation() + " 16311C", rng)


@pytest.mark.parametrize("n_db", [100, 1000, 10_000])
@pytest.mark.parametrize("meioses", [1, 2, 4, 6])
def test_one_difference_lr_is_the_closed_form_and_below_one(meioses: int, n_db: int) -> None:
    """LR = q * (1 - mu)^(n (L - 1)) / f_U, q = 1 - (1 - mu)^n: below 1 with any real database."""
    from dnacase.kinship.lineage.mtdna import compare_mtdna

    one = _one_difference(meioses)
    cmp = compare_mtdna(one, MT_REFS["VN17-REF-M01"])
    num = MtAllowance().log10_numerator(cmp, meioses)
    q = 1 - (1 - MU) ** meioses
    assert num == pytest.approx(math.log10(q) + meioses * 609 * math.log10(1 - MU))
    f_u = clopper_pearson_upper(0, n_db)
    assert num - math.log10(f_u) < 0  # at most 1: the data do not favour identity
    zero = MtAllowance().log10_numerator(compare_mtdna(UHR_MT, MT_REFS["VN17-REF-M01"]),
                                         meioses)
    assert num < zero


def test_one_difference_does_not_grow_with_the_range_compared() -> None:
    """The chance of *the* difference, not of a difference anywhere: the numerator over the
    1,122 bp control region differs from the 610 bp one only by the (1 - mu) factors."""
    from dnacase.kinship.lineage.mtdna import compare_mtdna

    ref_full = MtHaplotype.from_notation(A.replace("489C", "") + " 16311C", FULL)
    base_full = MtHaplotype.from_notation(A.replace("489C", ""), FULL)
    small = compare_mtdna(_one_difference(1), MT_REFS["VN17-REF-M01"])
    big = compare_mtdna(base_full, ref_full)
    assert (len(small.overlap), len(big.overlap)) == (610, 1122)
    al = MtAllowance()
    gap = al.log10_numerator(big, 1) - al.log10_numerator(small, 1)
    assert gap == pytest.approx((1122 - 610) * math.log10(1 - MU))


def test_site_rates_weigh_the_position_observed() -> None:
    from dnacase.kinship.lineage.mtdna import compare_mtdna

    cmp = compare_mtdna(_one_difference(1), MT_REFS["VN17-REF-M01"])
    hot = MtAllowance(site_rates={16311: 1e-3})
    assert hot.log10_numerator(cmp, 1) == pytest.approx(
        math.log10(1e-3) + 609 * math.log10(1 - MU))
    other = MtAllowance(site_rates={16300: 1e-3, 16519: 1e-3})  # 16519 is not compared
    assert other.log10_numerator(cmp, 1) == pytest.approx(
        math.log10(MU) + 608 * math.log10(1 - MU) + math.log10(1 - 1e-3))
    with pytest.raises(ValueError):
        MtAllowance(site_rates={16311: 2.0})


def test_a_heteroplasmy_without_the_other_base_is_a_weighed_difference() -> None:
    r = MtHaplotype.from_notation(UHR_MT.notation().replace("16093Y", "16093R"), HVS)
    ev = mtdna_evidence(PED, "MISSING", r, MT_REFS, (0, 100))
    assert ev.classification is LineageClass.INCONCLUSIVE
    assert ev.differences == ("16093:R/rCRS",)
    assert ev.log10_numerator == pytest.approx(math.log10(MU) + 609 * math.log10(1 - MU))


def test_two_spellings_give_the_same_mtdna_lr_and_combined_lr() -> None:
    """The issue: 248/249 and the CA repeat written differently made the combined LR 0."""
    refs = {k: MtHaplotype.from_notation(A + " 249d 514DEL 515DEL", FULL, k)
            for k in ("VN17-REF-M01", "VN17-REF-S01")}
    rem = MtHaplotype.from_notation(A + " 248DEL 523-524del", FULL)
    same = MtHaplotype.from_notation(A + " 249DEL 523DEL 524DEL", FULL)
    ev = mtdna_evidence(PED, "MISSING", rem, refs, (0, 500))
    ev_same = mtdna_evidence(PED, "MISSING", same, refs, (0, 500))
    assert ev.classification is LineageClass.CANNOT_EXCLUDE and ev.differences == ()
    assert ev.log10_lr == ev_same.log10_lr > 0
    rep = combine_pair("R", "MISSING", autosomal=5.0, mtdna=ev)
    assert rep.combined_log10_lr == pytest.approx(5.0 + ev.log10_lr)


# ------------------------------------------------------------- the upper bound is a setting
def test_upper_bound_setting_one_or_two_sided() -> None:
    from dnacase.kinship.lineage import DEFAULT_UPPER_BOUND, UpperBound

    assert UpperBound(0.95, two_sided=True) == DEFAULT_UPPER_BOUND
    two = mtdna_evidence(PED, "MISSING", UHR_MT, MT_REFS, (0, 100))
    one = mtdna_evidence(PED, "MISSING", UHR_MT, MT_REFS, (0, 100),
                         bound=UpperBound.parse("one-sided"))
    assert two.frequency is not None and one.frequency is not None
    assert two.frequency.upper == pytest.approx(1 - 0.025 ** (1 / 100))  # closed form, x = 0
    assert one.frequency.upper == pytest.approx(1 - 0.05 ** (1 / 100))
    assert not one.frequency.two_sided and "one-sided" in one.frequency.describe()
    assert one.log10_lr == pytest.approx(two.log10_lr + math.log10(
        (1 - 0.025 ** (1 / 100)) / (1 - 0.05 ** (1 / 100))))
    db = PopulationDatabase("db", tuple([MtHaplotype.from_notation(A, FULL)] * 3
                                        + [MtHaplotype.from_notation("73G", FULL)] * 97))
    y_one = mtdna_evidence(PED, "MISSING", UHR_MT, MT_REFS, db,
                           bound=UpperBound(0.95, two_sided=False))
    assert y_one.frequency is not None
    assert y_one.frequency.upper == pytest.approx(clopper_pearson_upper(3, 100, two_sided=False))
    y = ystr_evidence(PED, "MISSING", Y_REMAINS, Y_REFS, (0, 1000),
                      bound=UpperBound(0.95, two_sided=False))
    assert y.frequency is not None and y.frequency.upper == pytest.approx(1 - 0.05 ** (1 / 1000))
    for bad in ("both", ""):
        with pytest.raises(ValueError):
            UpperBound.parse(bad)
    with pytest.raises(ValueError):
        UpperBound(1.0)
