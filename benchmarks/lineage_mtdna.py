"""Benchmark: all pairs of N remains x N family mtDNA haplotypes through the search filter.

Synthetic population (no real data): a tree of haplogroups over control-region sites with
uneven site rates, lineage frequencies from a log-normal spread, private mutations, 2 % point
heteroplasmy, C-stretch length variants in a third of the samples, 25 % typed for HVS-I/II
only, and 10 % of family samples taken from a remains sample's lineage (a relative, with at
most one change). Prints the time and the rate in pairs per second (pairs = N * N, the
all-pairs work the filter replaces), and checks a random sample of the output and of
non-output pairs against compare_mtdna.

    .venv/bin/python benchmarks/lineage_mtdna.py            # N = 100,000
    .venv/bin/python benchmarks/lineage_mtdna.py --n 20000
"""

from __future__ import annotations

import argparse
import random
import time

import numpy as np

from dnacase.kinship.lineage import MtHaplotype, MtRange, compare_mtdna, mtdna_candidate_pairs
from dnacase.kinship.lineage.mtdna import IUPAC, MtVariant

FULL = MtRange.parse("16024-16569;1-576")
HVS = MtRange.parse("16024-16365;73-340")
ROOT = [MtVariant(73, 0, "G"), MtVariant(263, 0, "G"), MtVariant(315, 1, "C")]
LENGTH = [[], [MtVariant(309, 1, "C")], [MtVariant(309, 1, "C"), MtVariant(309, 2, "C")],
          [MtVariant(16193, 1, "C")]]


def population(seed: int) -> tuple[list[list[MtVariant]], np.ndarray, list[int], np.ndarray]:
    rng = np.random.default_rng(seed)
    sites = [p for p in list(range(16024, 16570)) + list(range(1, 577))
             if not (303 <= p <= 315 or 16184 <= p <= 16193 or 568 <= p <= 573)]
    site_rate = rng.gamma(0.4, 1.0, size=len(sites))
    site_rate /= site_rate.sum()
    derived = {p: "ACGT"[int(rng.integers(4))] for p in sites}

    def mutate(vs: list[MtVariant], k: int) -> list[MtVariant]:
        table = {v.key: v for v in vs}
        for idx in rng.choice(len(sites), size=k, p=site_rate):
            p = sites[int(idx)]
            if (p, 0) in table:
                del table[(p, 0)]  # back mutation
            else:
                table[(p, 0)] = MtVariant(p, 0, derived[p])
        return list(table.values())

    lineages: list[list[MtVariant]] = []
    for _ in range(60):  # haplogroups
        hg = mutate(ROOT, int(rng.integers(3, 8)))
        for _ in range(15):  # sub-haplogroups
            sub = mutate(hg, int(rng.integers(1, 4)))
            for _ in range(8):  # lineages
                lineages.append(mutate(sub, int(rng.integers(0, 3))))
    weights = rng.lognormal(0.0, 1.2, size=len(lineages))
    return lineages, weights / weights.sum(), sites, site_rate


def sample(n: int, seed: int, pop: tuple, relatives_of: list[list[MtVariant]] | None = None
           ) -> list[list[MtVariant]]:
    lineages, weights, sites, site_rate = pop
    rng = np.random.default_rng(seed)
    out = []
    pick = rng.choice(len(lineages), size=n, p=weights)
    n_priv = rng.poisson(0.8, size=n)
    for t in range(n):
        if relatives_of is not None and rng.random() < 0.10:
            base = relatives_of[int(rng.integers(len(relatives_of)))]
            vs = {v.key: v for v in base}
            if rng.random() < 0.3:
                p = sites[int(rng.choice(len(sites), p=site_rate))]
                vs[(p, 0)] = MtVariant(p, 0, "ACGT"[int(rng.integers(4))])
            out.append(list(vs.values()))
            continue
        vs = {v.key: v for v in lineages[pick[t]]}
        for idx in rng.choice(len(sites), size=int(n_priv[t]), p=site_rate):
            p = sites[int(idx)]
            vs[(p, 0)] = MtVariant(p, 0, "ACGT"[int(rng.integers(4))])
        if rng.random() < 0.02:  # point heteroplasmy at a variable site
            p = sites[int(rng.choice(len(sites), p=site_rate))]
            vs[(p, 0)] = MtVariant(p, 0, sorted(IUPAC)[int(rng.integers(6))])
        if rng.random() < 0.33:
            for v in LENGTH[int(rng.integers(1, len(LENGTH)))]:
                vs[v.key] = v
        out.append(list(vs.values()))
    return out


def build(raw: list[list[MtVariant]], seed: int) -> list[MtHaplotype]:
    rng = random.Random(seed)
    haps = []
    for vs in raw:
        rg = HVS if rng.random() < 0.25 else FULL
        haps.append(MtHaplotype.from_notation([v for v in vs if v.position in rg], rg))
    return haps


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    n = args.n
    t0 = time.perf_counter()
    pop = population(args.seed)
    raw_r = sample(n, args.seed + 1, pop)
    raw_f = sample(n, args.seed + 2, pop, relatives_of=raw_r)
    remains, family = build(raw_r, args.seed + 3), build(raw_f, args.seed + 4)
    t1 = time.perf_counter()
    print(f"built {n:,} + {n:,} haplotypes in {t1 - t0:.1f} s")

    t2 = time.perf_counter()
    res = mtdna_candidate_pairs(remains, family)
    t3 = time.perf_counter()
    secs = t3 - t2
    total = n * n
    print(f"filter: {total:,} pairs in {secs:.1f} s = {total / secs:,.0f} pairs/s")
    print(f"  not excluded: {len(res):,} pairs "
          f"({int((res.n_differences == 0).sum()):,} with 0 differences, "
          f"{int((res.n_differences == 1).sum()):,} with 1)")
    print(f"  classes: {res.stats['classes_remains']:,} remains, "
          f"{res.stats['classes_family']:,} family (summed over range groups); "
          f"class pairs checked exactly: {res.stats['class_pairs_checked']:,}")

    # spot check against the reference comparison
    rng = np.random.default_rng(0)
    pick = rng.choice(len(res), size=min(2000, len(res)), replace=False)
    for t in pick.tolist():
        i, j, d = int(res.remains_index[t]), int(res.family_index[t]), int(res.n_differences[t])
        assert compare_mtdna(remains[i], family[j]).n_differences == d
    found = set(zip(res.remains_index.tolist(), res.family_index.tolist(), strict=True))
    missed = 0
    for _ in range(20_000):
        i, j = int(rng.integers(n)), int(rng.integers(n))
        if (i, j) not in found and compare_mtdna(remains[i], family[j]).n_differences <= 1:
            missed += 1
    print(f"  spot check: {len(pick):,} output pairs re-compared, 20,000 random pairs: "
          f"{missed} missed")


if __name__ == "__main__":
    main()
