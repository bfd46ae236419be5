"""mtDNA notation, normalisation and comparison rules (worked examples; VN17 is synthetic)."""

from __future__ import annotations

import pytest

from dnacase.kinship.lineage import (
    LineageClass,
    LineageDataError,
    MtCompareOptions,
    MtHaplotype,
    MtRange,
    compare_mtdna,
    parse_variant,
)

FULL = "16024-16569;1-576"
HVS = "16024-16365;73-340"
LINEAGE_A = "16129A 16192T 16223T 16297C 16324C 73G 199C 263G 315.1C 489C"
LINEAGE_B = "16183C 16189C 16217C 16261T 73G 263G 309.1C 309.2C 315.1C"
UNREL = "16223T 16362C 73G 249DEL 263G 315.1C 489C"


def hap(variants: str, rng: str = FULL, sample: str = "S") -> MtHaplotype:
    return MtHaplotype.from_notation(variants, rng, sample)


# ---------------------------------------------------------------- ranges and notation
def test_range_parsing_wraps_round_the_origin() -> None:
    r = MtRange.parse("16024-576")
    assert r == MtRange.parse(FULL)
    assert len(r) == (16569 - 16024 + 1) + 576
    assert 16500 in r and 100 in r and 1000 not in r
    assert str(MtRange.parse(HVS)) == "73-340;16024-16365"


def test_range_intersection() -> None:
    inter = MtRange.parse(FULL) & MtRange.parse("16100-16400 300-700")
    assert inter.intervals == ((300, 576), (16100, 16400))


@pytest.mark.parametrize("spelling", ["249DEL", "249del", "249d", "249D", "249-", "A249d"])
def test_deletion_spellings_are_equivalent(spelling: str) -> None:
    assert [str(v) for v in parse_variant(spelling)] == ["249DEL"]


def test_emp_and_hsd_spellings_of_one_haplotype_compare_equal() -> None:
    emp = hap(UNREL)
    hsd = hap(UNREL.replace("249DEL", "249d"))
    assert emp == hsd
    assert compare_mtdna(emp, hsd).classification is LineageClass.CANNOT_EXCLUDE


def test_multi_base_insertion_and_deletion_run_expand() -> None:
    assert hap("309.1CC").notation() == "309.1C 309.2C"
    nine = " ".join(f"{p}DEL" for p in range(8281, 8290))
    assert hap("8281-8289d", "1-16569").notation() == nine
    # 8281-8283 is CCC inside the CCCCC run 8281-8285: the same sequence is written 3'
    assert hap("8281-8283d", "1-16569").notation() == "8283DEL 8284DEL 8285DEL"
    assert hap("C16223t").notation() == "16223T"


def test_c_stretch_insertions_are_placed_at_the_3prime_end() -> None:
    # an extra C anywhere in the 303-309 run is the same sequence as 309.1C
    assert hap("303.1C") == hap("309.1C")
    assert hap("302.1C 305.1C") == hap("309.1C 309.2C")
    # after the T at 310 the C belongs to the 311-315 run
    assert hap("310.1C") == hap("315.1C")
    # 16189C joins the two HVS-I runs, so 16188.1C and 16193.1C are the same sequence
    assert hap("16189C 16188.1C") == hap("16189C 16193.1C")
    # without 16189C they are different sequences
    assert hap("16188.1C") != hap("16193.1C")


@pytest.mark.parametrize(
    "bad", ["16223", "16223X", "abc", "16223TT", "315.1DEL", "0A", "16570T", "16223-16225T"]
)
def test_bad_variant_is_a_clear_error(bad: str) -> None:
    with pytest.raises(LineageDataError) as err:
        MtHaplotype.from_notation([bad], "1-16569", sample="VN17-X")
    assert "VN17-X" in str(err.value)


def test_contradictions_in_a_record_are_errors() -> None:
    with pytest.raises(LineageDataError, match="two alleles"):
        hap("16223T 16223A")
    with pytest.raises(LineageDataError, match="outside the sequenced range"):
        hap("16093Y 489C", HVS)
    with pytest.raises(LineageDataError, match="without"):
        hap("309.2C")


# ---------------------------------------------------------------- worked comparisons
def test_identical_haplotypes_cannot_be_excluded() -> None:
    m01, s01 = hap(LINEAGE_A, sample="M01"), hap(LINEAGE_A, sample="S01")
    c = compare_mtdna(m01, s01)
    assert c.classification is LineageClass.CANNOT_EXCLUDE
    assert c.differences == ()
    assert len(c.overlap) == 1122


def test_one_difference_is_inconclusive_and_listed() -> None:
    c = compare_mtdna(hap(LINEAGE_A), hap(LINEAGE_A + " 16311C"))
    assert c.classification is LineageClass.INCONCLUSIVE
    assert c.differing_positions == ("16311:rCRS/C",)


def test_two_differences_exclude() -> None:
    c = compare_mtdna(hap(LINEAGE_A), hap(LINEAGE_A.replace("199C", "") + " 16311C"))
    assert c.classification is LineageClass.EXCLUDED
    assert c.differing_positions == ("199:C/rCRS", "16311:rCRS/C")


def test_different_lineages_exclude_with_positions() -> None:
    c = compare_mtdna(hap(LINEAGE_A), hap(UNREL))
    assert c.classification is LineageClass.EXCLUDED
    assert "249:rCRS/DEL" in c.differing_positions
    assert "16362:rCRS/C" in c.differing_positions
    assert c.n_differences == 7


def test_point_heteroplasmy_is_not_a_difference_from_either_base() -> None:
    uhr = hap("16093Y " + LINEAGE_A)
    for other in (LINEAGE_A, LINEAGE_A + " 16093C", "16093Y " + LINEAGE_A):
        c = compare_mtdna(uhr, hap(other))
        assert c.classification is LineageClass.CANNOT_EXCLUDE, other
    c = compare_mtdna(uhr, hap(LINEAGE_A))
    assert c.heteroplasmic == ("16093:Y/rCRS",)
    # a base outside the IUPAC set is a difference
    assert compare_mtdna(uhr, hap(LINEAGE_A + " 16093A")).n_differences == 1
    # configurable: heteroplasmy against a homoplasmic base counts when switched off
    strict = MtCompareOptions(heteroplasmy_matches_either_base=False)
    assert compare_mtdna(uhr, hap(LINEAGE_A), strict).n_differences == 1


def test_c_stretch_length_variants_are_ignored_by_default() -> None:
    w01 = hap(LINEAGE_B)
    variant = hap(LINEAGE_B.replace("309.1C 309.2C", "309.1C") + " 16193.1C 573.1C")
    c = compare_mtdna(w01, variant)
    assert c.classification is LineageClass.CANNOT_EXCLUDE
    assert set(c.ignored) == {"309.2C", "16193.1C", "573.1C"}
    counted = compare_mtdna(w01, variant, MtCompareOptions(ignore_length_variants=False))
    assert counted.classification is LineageClass.EXCLUDED
    assert counted.differing_positions == ("309.2:C/rCRS", "573.1:rCRS/C", "16193.1:rCRS/C")


def test_substitutions_inside_a_c_stretch_still_count() -> None:
    c = compare_mtdna(hap(LINEAGE_B), hap(LINEAGE_B.replace("16189C", "")))
    assert c.differing_positions == ("16189:C/rCRS",)


def test_ignored_positions_are_configurable() -> None:
    a, b = hap(LINEAGE_A), hap(LINEAGE_A + " 16519C")
    assert compare_mtdna(a, b).classification is LineageClass.INCONCLUSIVE
    opts = MtCompareOptions(ignored_positions=frozenset({16519}))
    assert compare_mtdna(a, b, opts).classification is LineageClass.CANNOT_EXCLUDE


def test_partial_range_overlap_compares_only_the_common_range() -> None:
    # the remains were typed for HVS-I/II only: 489C and 16362C lie outside that range
    uhr = hap("16093Y 16129A 16192T 16223T 16297C 16324C 73G 199C 263G 315.1C", HVS)
    m01 = hap(LINEAGE_A)
    c = compare_mtdna(uhr, m01)
    assert c.classification is LineageClass.CANNOT_EXCLUDE
    assert c.overlap == MtRange.parse(HVS)
    # a difference outside the common range is not seen
    other = hap(LINEAGE_A.replace("489C", "") + " 16362C 500T")
    c2 = compare_mtdna(uhr, other)
    assert c2.differing_positions == ("16362:rCRS/C",)  # 16362 is inside, 489/500 are not
    # no common range: inconclusive with a note, not "cannot exclude"
    c3 = compare_mtdna(hap("16223T", "16024-16365"), hap("73G", "1-576"))
    assert c3.classification is LineageClass.INCONCLUSIVE
    assert "not comparable" in c3.note


def test_thresholds_are_configurable() -> None:
    opts = MtCompareOptions(inconclusive_at=1, exclude_at=3)
    two = compare_mtdna(hap(LINEAGE_A), hap(LINEAGE_A + " 16311C 16362C"), opts)
    assert two.classification is LineageClass.INCONCLUSIVE
    with pytest.raises(ValueError):
        MtCompareOptions(inconclusive_at=3, exclude_at=2)
