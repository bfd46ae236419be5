"""Sequences, not spellings: the rCRS, rebuilt sequences and the EMPOP/ISFG alignment rules.

Cases written from the rules (Wilson et al. 2002; Bandelt & Parson 2008; Parson et al. 2014,
FSI Genet 13:134): indels at the 3' end of homopolymers and repeats, the C-stretches, the
248/249 deletion, the CA repeat 514-524, the 9-bp repeat 8272-8289, heteroplasmy codes, and
one mutational event counted once. Local rCRS sequences used below (checked in the first
test): 247-250 GAAT, 303-316 CCCCCCCTCCCCCG, 513-526 GCACACACACACCG, 16183-16194
ACCCCCTCCCCA, 8272-8290 CCCCCTCTACCCCCTCTAG.
"""

from __future__ import annotations

import random
from importlib import resources

import pytest

from dnacase.kinship.lineage import (
    LineageClass,
    LineageDataError,
    MtCompareOptions,
    MtHaplotype,
    MtVariant,
    compare_mtdna,
)
from dnacase.kinship.lineage.mtalign import haplotype_sequence, rcrs

CR = "16024-16569;1-576"
FULL = "1-16569"
COUNT_LENGTH = MtCompareOptions(ignore_length_variants=False)


def hap(variants: str, rng: str = CR) -> MtHaplotype:
    return MtHaplotype.from_notation(variants, rng, "S")


def diffs(a: str, b: str, options: MtCompareOptions = MtCompareOptions(),
          rng: str = CR) -> tuple[str, ...]:
    return compare_mtdna(hap(a, rng), hap(b, rng), options).differing_positions


def test_the_rcrs_ships_with_the_package() -> None:
    path = resources.files("dnacase") / "data" / "lineage" / "rCRS_NC_012920.fasta"
    assert path.is_file()
    seq = rcrs()
    assert len(seq) == 16569 and seq[3106] == "N"
    assert seq[246:250] == "GAAT"
    assert seq[302:316] == "CCCCCCCTCCCCCG"
    assert seq[512:526] == "GCACACACACACCG"
    assert seq[16182:16194] == "ACCCCCTCCCCA"
    assert seq[8271:8290] == "CCCCCTCTACCCCCTCTAG"


def test_sequence_is_rebuilt_from_the_rcrs_and_the_variants() -> None:
    h = hap("248DEL 309.1C 16189C")
    assert haplotype_sequence(h._table, 245, 251) == "TTGATG"  # 246-251 TGAATG minus one A
    assert haplotype_sequence(h._table, 303, 316) == "CCCCCCCCTCCCCCG"
    assert haplotype_sequence(h._table, 16184, 16193) == "C" * 10


# ------------------------------------------------------------ 3' placement, the 248/249 case
@pytest.mark.parametrize("spelling", ["248DEL", "248d", "248-", "A248del", "249delA", "249d"])
def test_248_and_249_deletions_are_one_sequence_written_249del(spelling: str) -> None:
    assert hap(spelling).notation() == "249DEL"
    assert compare_mtdna(hap(spelling), hap("249DEL")).n_differences == 0
    assert diffs(spelling, "249DEL", COUNT_LENGTH) == ()


def test_the_issue_pair_248_vs_249_no_longer_excludes() -> None:
    a = hap("16223T 16362C 73G 248DEL 263G 315.1C 489C")
    b = hap("16223T 16362C 73G 249d 263G 315.1C 489C")
    c = compare_mtdna(a, b)
    assert c.classification is LineageClass.CANNOT_EXCLUDE and c.differences == ()


# --------------------------------------------------------------- the CA repeat at 514-524
@pytest.mark.parametrize("spelling", ["514DEL 515DEL", "514-515d", "515d 516d", "519_520del",
                                      "522DEL 523DEL", "523DEL 524DEL", "523-524delAC"])
def test_one_ca_unit_removed_is_written_523_524del(spelling: str) -> None:
    assert hap(spelling).notation() == "523DEL 524DEL"
    assert diffs(spelling, "514DEL 515DEL", COUNT_LENGTH) == ()


@pytest.mark.parametrize("spelling", ["514.1A 514.2C", "514+AC", "518.1A 518.2C",
                                      "524.1AC", "524+AC"])
def test_one_ca_unit_added_is_written_524_1a_524_2c(spelling: str) -> None:
    assert hap(spelling).notation() == "524.1A 524.2C"


def test_a_ca_length_difference_is_one_difference_not_two() -> None:
    # the issue: one CA unit removed, written at the 5' end on one side, 3' on the other,
    # against a reference without it: one mutational event
    assert diffs("514DEL 515DEL", "") == ("523-524:DEL/rCRS",)
    assert compare_mtdna(hap("514DEL 515DEL"), hap("")).classification is \
        LineageClass.INCONCLUSIVE
    assert diffs("524+AC", "") == ("524.1:AC/rCRS",)
    assert diffs("523DEL 524DEL", "524.1A 524.2C") == ("523-524:DEL/rCRS", "524.1:rCRS/AC")


# ---------------------------------------------------------------------- the C-stretches
@pytest.mark.parametrize("spelling", ["303.1C", "305.1C", "309.1C", "302.1C"])
def test_hvs2_first_run_insertion_is_309_1c(spelling: str) -> None:
    assert hap(spelling).notation() == "309.1C"


@pytest.mark.parametrize("spelling", ["310.1C", "311.1C", "315.1C", "315+C"])
def test_hvs2_second_run_insertion_is_315_1c(spelling: str) -> None:
    assert hap(spelling).notation() == "315.1C"


def test_309_1c_and_310_1c_are_different_sequences_and_length_variants() -> None:
    # CCCCCCCC T CCCCC against CCCCCCC T CCCCCC: one C in each run
    assert hap("310.1C") == hap("315.1C") != hap("309.1C")
    c = compare_mtdna(hap("309.1C"), hap("310.1C"))
    assert c.classification is LineageClass.CANNOT_EXCLUDE  # C-stretch length: not counted
    assert set(c.ignored) == {"309.1C", "315.1C"}
    assert diffs("309.1C", "310.1C", COUNT_LENGTH) == ("309.1:C/rCRS", "315.1:rCRS/C")
    assert hap("309+CC") == hap("303.1C 306.1C") == hap("309.1C 309.2C")


@pytest.mark.parametrize("spelling", ["16189C 16193.1C", "16189C 16188.1C", "16189C 16184.1C",
                                      "16189C 16189.1C", "16183.1C 16189C", "16189c 16190+c"])
def test_16193_1c_when_16189c_joins_the_hvs1_runs(spelling: str) -> None:
    assert hap(spelling).notation() == "16189C 16193.1C"


def test_hvs1_insertions_without_16189c_stay_in_their_run() -> None:
    assert hap("16183.1C").notation() == "16188.1C"  # 5' spelling of the first run
    assert hap("16189.1C").notation() == "16193.1C"  # after the T: the second run
    assert hap("16188.1C") != hap("16193.1C")


def test_a_c_stretch_without_its_t_keeps_the_transition_16189c() -> None:
    # phylogenetic notation: T16189C plus a length variant, not a deletion of the T
    assert hap("16189DEL").notation() == "16189C 16193DEL"
    assert hap("16189C 16184DEL") == hap("16189DEL")
    assert hap("310DEL").notation() == "310C 315DEL"


def test_9bp_repeat_deletion_is_8281_8289_and_one_difference() -> None:
    a = hap("8272-8280d", FULL)
    assert a == hap("8281-8289del", FULL) == hap("8275-8283d", FULL)
    assert compare_mtdna(a, hap("", FULL)).differing_positions == ("8281-8289:DEL/rCRS",)


# ------------------------------------------------------------------- heteroplasmy codes
@pytest.mark.parametrize(
    ("a", "b", "n"),
    [("16093Y", "", 0),  # rCRS 16093 is T, Y = C/T
     ("16093R", "", 1),  # R = A/G does not contain the rCRS T
     ("16093Y", "16093C", 0), ("16093Y", "16093A", 1), ("16093Y", "16093R", 1),
     ("16093Y", "16093K", 0),  # share T
     ("16093Y", "16093Y", 0), ("16093N", "16093A", 0), ("16093Y", "16093DEL", 1),
     ("152Y", "", 0), ("152Y", "152C", 0), ("152S", "", 1)],  # rCRS 152 is T
)
def test_heteroplasmy_is_a_difference_only_without_the_other_base(a: str, b: str,
                                                                 n: int) -> None:
    assert compare_mtdna(hap(a), hap(b)).n_differences == n
    assert compare_mtdna(hap(b), hap(a)).n_differences == n


# ------------------------------------------------------------- true differences, counted once
def test_a_true_difference_is_counted_once_in_any_spelling() -> None:
    base = "16223T 73G 249DEL 263G 315.1C"
    for other in ("16223T 16311C 73G 248del 263G 310.1C", "C16223T T16311C 73g 249delA 263G "
                  "315+C", "16223t 16311c 73G 248- 263G 315.1C"):
        c = compare_mtdna(hap(base), hap(other))
        assert c.differing_positions == ("16311:rCRS/C",), other
        assert c.classification is LineageClass.INCONCLUSIVE


def test_two_true_differences_still_exclude() -> None:
    c = compare_mtdna(hap("16223T 249DEL"), hap("16223T 16311C 248DEL 16519C"))
    assert c.differing_positions == ("16311:rCRS/C", "16519:rCRS/C")
    assert c.classification is LineageClass.EXCLUDED


# ------------------------------------------------ two spellings of one sequence never differ
def _runs(seq: str, lo: int, hi: int) -> list[tuple[int, int]]:
    out, p = [], lo
    while p <= hi:
        q = p
        while q + 1 <= hi and seq[q] == seq[p - 1]:
            q += 1
        out.append((p, q))
        p = q + 1
    return out


def test_random_spellings_of_one_sequence_never_differ() -> None:
    """Random haplotypes; each homopolymer indel written at a random place of its run."""
    rng = random.Random(12)
    ref = rcrs()
    runs = [r for r in _runs(ref, 16030, 16560) + _runs(ref, 5, 570) if r[1] > r[0]]
    for _ in range(150):
        chosen = rng.sample(runs, 3)
        taken = {p for a, b in chosen for p in range(a - 1, b + 2)}
        subs = [p for p in rng.sample(range(16030, 16560), 6) if p not in taken]
        common = [f"{p}{rng.choice([x for x in 'ACGT' if x != ref[p - 1]])}" for p in subs]
        one, two = list(common), list(common)
        for a, b in chosen:
            base = ref[a - 1]
            if rng.random() < 0.5:  # insertion of one more base of the run
                one.append(f"{rng.randint(a - 1, b)}.1{base}")
                two.append(f"{rng.randint(a - 1, b)}.1{base}")
            else:  # deletion of one base of the run
                one.append(f"{rng.randint(a, b)}DEL")
                two.append(f"{rng.randint(a, b)}DEL")
        ha, hb = hap(" ".join(one)), hap(" ".join(two))
        for lo, hi in ha.range.intervals:
            assert haplotype_sequence(ha._table, lo, hi) == haplotype_sequence(hb._table, lo, hi)
        assert ha == hb, (one, two)
        assert compare_mtdna(ha, hb, COUNT_LENGTH).n_differences == 0


def test_the_rcrs_base_written_out_is_the_same_sequence() -> None:
    assert hap("16223C 16311C 152T") == hap("16311C")  # rCRS: 16223 C, 152 T
    given = MtHaplotype.from_notation([MtVariant(16223, 0, "C"), MtVariant(16311, 0, "C")], CR)
    assert given == hap("16311C")  # also when given as variant objects


def test_the_3107_placeholder_is_never_a_difference() -> None:
    a = MtHaplotype.from_notation("3107DEL 8860G", FULL)
    b = MtHaplotype.from_notation("3107N 8860G", FULL)
    assert a == b == MtHaplotype.from_notation("8860G", FULL)
    assert compare_mtdna(a, MtHaplotype.from_notation("8860G 3106d 3107d", FULL)
                         ).differing_positions == ("3106:rCRS/DEL",)


def test_sequence_check_over_a_partial_range() -> None:
    # compared over HVS-I only: the HVS-II spelling difference is outside and unseen
    a = MtHaplotype.from_notation("16223T 248DEL", CR)
    b = MtHaplotype.from_notation("16223T", "16024-16365")
    assert compare_mtdna(a, b).n_differences == 0


def test_bad_spellings_name_the_sample_and_variant() -> None:
    for bad in ("T16223C", "249delG", "309.2C", "16223X"):
        with pytest.raises(LineageDataError) as err:
            MtHaplotype.from_notation([bad], CR, sample="VN17-X")
        assert "VN17-X" in str(err.value) and bad in str(err.value)
