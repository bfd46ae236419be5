"""The mtDNA search filter gives exactly the all-pairs result on random data."""

from __future__ import annotations

import random

import numpy as np
import pytest

from dnacase.kinship.lineage import (
    LineageDataError,
    MtCompareOptions,
    MtHaplotype,
    MtRange,
    mtdna_candidate_pairs,
    mtdna_candidate_pairs_bruteforce,
    parse_variant,
)
from dnacase.kinship.lineage.mtalign import rcrs

RCRS = rcrs()

RANGES = [
    "16024-16569;1-576",
    "16024-16569;1-576",
    "16024-16365;73-340",
    "16100-16400",
    "1-400",
    "16500-16569",
]
SPECIAL = [
    "16093Y",
    "152R",
    "16311Y",
    "309.1C",
    "309.1CC",
    "315.1C",
    "16193.1C",
    "249d",
    "310DEL",
    "16189C",
    "16519C",
    "16183N",
    "573.1C",
    "16188DEL",
    "303.1C",
    "16188.1C",
    "310C",
    "16362S",
]


def _random_set(seed: int, n_r: int, n_f: int) -> tuple[list[MtHaplotype], list[MtHaplotype]]:
    rng = random.Random(seed)
    positions = list(range(16024, 16570)) + list(range(1, 577))
    # a substitution to the rCRS base itself is refused by the notation: draw another base
    pool = [f"{p}{rng.choice([b for b in 'ACGT' if b != RCRS[p - 1]])}"
            for p in rng.sample(positions, 40)] + SPECIAL
    founders = [[rng.choice(pool) for _ in range(rng.randint(0, 6))] for _ in range(6)]

    def make(n: int) -> list[MtHaplotype]:
        out: list[MtHaplotype] = []
        while len(out) < n:
            rng_ = MtRange.parse(rng.choice(RANGES))
            chosen = list(rng.choice(founders)) + [
                rng.choice(pool) for _ in range(rng.choice([0, 0, 1, 1, 2, 3]))
            ]
            vs = {}
            for text in chosen:
                for v in parse_variant(text):
                    if v.position in rng_:
                        vs[v.key] = v
            try:
                out.append(MtHaplotype.from_notation(list(vs.values()), rng_))
            except LineageDataError:  # e.g. two alleles drawn for one position
                continue
        return out

    return make(n_r), make(n_f)


OPTIONS = [
    MtCompareOptions(),
    MtCompareOptions(ignore_length_variants=False),
    MtCompareOptions(heteroplasmy_matches_either_base=False, ignored_positions=frozenset({16519})),
    MtCompareOptions(exclude_at=4, inconclusive_at=1),
    MtCompareOptions(min_overlap_bp=200),
]


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("opt_index", range(len(OPTIONS)))
@pytest.mark.parametrize("include_inconclusive", [True, False])
def test_filter_equals_brute_force(seed: int, opt_index: int, include_inconclusive: bool) -> None:
    remains, family = _random_set(seed, 45, 50)
    opts = OPTIONS[opt_index]
    fast = mtdna_candidate_pairs(remains, family, opts, include_inconclusive=include_inconclusive)
    slow = mtdna_candidate_pairs_bruteforce(
        remains, family, opts, include_inconclusive=include_inconclusive
    )
    assert fast.as_set() == slow.as_set()
    assert len(slow) > 0
    # sorted output and index dtypes
    assert np.all(np.diff(fast.remains_index) >= 0)
    assert fast.remains_index.dtype == np.int64


def test_prefilter_prunes_and_reports_uncomparable_groups() -> None:
    remains, family = _random_set(7, 60, 60)
    out = mtdna_candidate_pairs(remains, family, MtCompareOptions())
    assert out.stats["class_pairs_checked"] < 60 * 60
    # "16500-16569" and "1-400" share no position: those groups come back as uncomparable
    assert out.uncomparable
    for ri, fi in out.uncomparable:
        for i in ri.tolist():
            for j in fi.tolist():
                assert len(remains[i].range & family[j].range) == 0
    pairs = {(i, j) for i, j, _ in out.as_set()}
    for ri, fi in out.uncomparable:
        assert not any((i, j) in pairs for i in ri.tolist() for j in fi.tolist())


def test_empty_inputs() -> None:
    remains, _ = _random_set(1, 3, 1)
    assert len(mtdna_candidate_pairs(remains, [])) == 0
    assert len(mtdna_candidate_pairs([], remains)) == 0


def _random_y(seed: int, n: int) -> list:
    from dnacase.kinship.lineage import YHaplotype

    frng = random.Random(0)  # one founder set for both sides
    rng = random.Random(seed)
    founders = [{"DYS19": frng.choice(["14", "15"]), "DYS389I": frng.choice(["13", "14"]),
                 "DYS389II": frng.choice(["29", "30", "31"]), "DYS570": frng.choice(["17", "18"]),
                 "DYS385": frng.choice(["12,19", "13,13", "11,14"]),
                 "DYS458": frng.choice(["16", "17.2"])} for _ in range(4)]
    out = []
    for _ in range(n):
        cells = dict(rng.choice(founders))
        for locus in rng.sample(sorted(cells), rng.choice([0, 0, 1, 2])):
            cells[locus] = rng.choice(["", "15", "31", "14,15", "12,20", "0"])
        if rng.random() < 0.3 and cells["DYS389I"] in ("13", "14"):
            cells["DYS389I"] = str(int(cells["DYS389I"]) + 1)
        out.append(YHaplotype.from_cells(cells))
    return out


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("include_inconclusive", [True, False])
def test_y_filter_equals_brute_force(seed: int, include_inconclusive: bool) -> None:
    from dnacase.kinship.lineage import YCompareOptions, compare_ystr
    from dnacase.kinship.lineage.search import ystr_candidate_pairs

    remains, family = _random_y(seed, 40), _random_y(seed + 10, 45)
    for opts in (YCompareOptions(), YCompareOptions(dys389ii_is_total=False, exclude_at=2)):
        k = (opts.exclude_at if include_inconclusive else opts.inconclusive_at) - 1
        want = set()
        for i, a in enumerate(remains):
            for j, b in enumerate(family):
                d = compare_ystr(a, b, 1, opts).n_differences
                if d <= k:
                    want.add((i, j, d))
        got = ystr_candidate_pairs(remains, family, opts,
                                   include_inconclusive=include_inconclusive, chunk=7)
        assert got.as_set() == want
        assert want
