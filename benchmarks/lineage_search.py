"""Benchmark: the blind search's lineage filter (issue 5) before the autosomal screen.

Synthetic data (no real person): R remains x F families, 21 STR loci; the family LR tables
are random values in the real table layout (the look-up cost does not depend on the values);
mtDNA haplotypes from the population model of ``lineage_mtdna.py`` for 90 % of the remains
and for one in-line reference of 80 % of the families (10 % of them relatives of a remains).

Prints the time of the exact mtDNA pre-filter (``mtdna_candidate_pairs``), then the search's
block loop (``services.search.score_block``, blocks of 512 families, as ``execute_run`` runs
them) without and with the filter: pairs scored, seconds, the speed-up; and checks that the
filtered hits are the unfiltered hits minus the lineage-excluded pairs.

    .venv/bin/python benchmarks/lineage_search.py              # 20,000 x 20,000
    .venv/bin/python benchmarks/lineage_search.py --n 5000
    .venv/bin/python benchmarks/lineage_search.py --n 1000 --families 5000 --loci 3900 \
        --alleles 2                                            # a SNP panel
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lineage_mtdna import build, population, sample

from dnacase.kinship import Locus, SearchPanel
from dnacase.kinship.lineage import mtdna_candidate_pairs
from dnacase.services.search import LineageFilter, block_pairs, score_block

BLOCK, THRESHOLD = 512, 2.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20_000, help="remains and families (each)")
    ap.add_argument("--families", type=int, default=None, help="families (default: --n)")
    ap.add_argument("--loci", type=int, default=21, help="21 STRs, or e.g. 3900 for SNPs")
    ap.add_argument("--alleles", type=int, default=15, help="alleles per locus (2: SNPs)")
    ap.add_argument("--mt-remains", type=float, default=0.9, help="share with mtDNA")
    ap.add_argument("--mt-families", type=float, default=0.8, help="share with mtDNA")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    n = args.n
    nf = args.families or n
    n_loci, n_alleles = args.loci, args.alleles
    rng = np.random.default_rng(args.seed)
    t0 = time.perf_counter()
    loci = [Locus(f"L{j}", tuple(str(a) for a in range(8, 8 + n_alleles)),
                  rng.dirichlet(np.ones(n_alleles) * 5)) for j in range(n_loci)]  # fmt: skip
    panel = SearchPanel(loci)
    # pair sums ~ N(-20, 5): about 5 pairs in a million reach log10 LR 2
    tables = rng.normal(-20.0 / n_loci, 5.0 / np.sqrt(n_loci), size=(nf, panel.size))
    tables[:, panel.offsets] = 0.0
    geno = rng.integers(0, n_alleles, size=(n, n_loci, 2)).astype(np.int32)
    idx = panel.encode_remains(geno)
    pop = population(args.seed)
    raw_r = sample(n, args.seed + 1, pop)
    raw_f = sample(nf, args.seed + 2, pop, relatives_of=raw_r)
    rem_haps, fam_haps = build(raw_r, args.seed + 3), build(raw_f, args.seed + 4)
    rem_mt = rng.random(n) < args.mt_remains
    fam_mt = rng.random(nf) < args.mt_families
    print(f"set-up (tables, profiles, haplotypes; not timed below): "
          f"{time.perf_counter() - t0:.1f} s")

    t = time.perf_counter()
    r_idx, f_idx = np.flatnonzero(rem_mt), np.flatnonzero(fam_mt)
    pairs = mtdna_candidate_pairs([rem_haps[i] for i in r_idx], [fam_haps[i] for i in f_idx])
    kept = [r_idx[pairs.remains_index] * nf + f_idx[pairs.family_index]]
    for gr, gf in pairs.uncomparable:
        kept.append((r_idx[gr][:, None] * nf + f_idx[gf][None, :]).ravel())
    lf = LineageFilter(nf, rem_mt, np.zeros(n, bool), fam_mt, np.zeros(nf, bool),
                       np.unique(np.concatenate(kept)).astype(np.int64))
    t_filter = time.perf_counter() - t
    grid = n * nf
    print(f"{n:,} remains x {nf:,} families x {n_loci:,} loci; mtDNA for "
          f"{int(rem_mt.sum()):,} remains and {int(fam_mt.sum()):,} families")
    print(f"mtDNA pre-filter: {int(rem_mt.sum()) * int(fam_mt.sum()):,} comparable pairs in "
          f"{t_filter:.1f} s; {lf.pairs_excluded():,} of the {grid:,} pairs excluded")

    score_block(tables[:4], idx, THRESHOLD)  # numba kernels compiled or loaded: not timed
    score_block(tables[:4], idx, THRESHOLD, block_pairs(0, 4, lf, None, None))

    def run(use_filter: bool) -> tuple[float, int, set[tuple[int, int]]]:
        s = time.perf_counter()
        scored = 0
        hits: set[tuple[int, int]] = set()
        for f0 in range(0, nf, BLOCK):
            f1 = min(nf, f0 + BLOCK)
            plan = block_pairs(f0, f1, lf, None, None) if use_filter else None
            if plan is None:
                scored += (f1 - f0) * n
            else:
                scored += int((~plan[0]).sum()) * n + int(plan[2].size)
            r, f, _v = score_block(tables[f0:f1], idx, THRESHOLD, plan)
            hits |= set(zip(r.tolist(), (f + f0).tolist(), strict=True))
        return time.perf_counter() - s, scored, hits

    t_dense, n_dense, h_dense = run(False)
    t_filt, n_filt, h_filt = run(True)
    print(f"autosomal screen without the filter: {n_dense:,} pairs in {t_dense:.2f} s "
          f"({n_dense / t_dense:,.0f} pairs/s)")
    print(f"autosomal screen with the filter:    {n_filt:,} pairs in {t_filt:.2f} s "
          f"({n_filt / t_filt:,.0f} pairs/s; lists built inside the timed loop)")
    print(f"speed-up of the screen: {t_dense / t_filt:.1f}x; with the pre-filter's own time: "
          f"{t_dense / (t_filt + t_filter):.1f}x")
    if h_dense:
        rr = np.array([h[0] for h in h_dense])
        ff = np.array([h[1] for h in h_dense])
        ex = lf.excluded(rr, ff)
        want = {h for h, e in zip(h_dense, ex.tolist(), strict=True) if not e}
    else:
        want = set()
    print(f"hits >= {THRESHOLD}: {len(h_dense):,} unfiltered, {len(h_filt):,} filtered; "
          f"filtered == unfiltered minus excluded: {h_filt == want}")
    assert h_filt == want


if __name__ == "__main__":
    main()
