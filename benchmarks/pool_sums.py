"""Cost of the pool sums (posterior denominators) on the blind screen.

Times :func:`dnacase.kinship.search.screen` (hits only, as the search ran before) against
:func:`dnacase.kinship.search.screen_sums` (hits plus the per-remains and per-family
log10-sum-exp of every pair's LR) on the same synthetic tables (R remains x F families x L
loci, table entries drawn like real log10 LRs: mostly negative, a few large). Run::

    PYTHONPATH=src .venv/bin/python benchmarks/pool_sums.py --families 4000 --remains 4000
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from dnacase.kinship.pool_sums import screen_sums
from dnacase.kinship.search import screen


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--families", type=int, default=4000)
    ap.add_argument("--remains", type=int, default=4000)
    ap.add_argument("--loci", type=int, default=21)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    rng = np.random.default_rng(7)
    per_locus = 300
    tables = rng.normal(-0.6, 0.8, (a.families, a.loci * per_locus))
    tables[rng.random(tables.shape) < 0.002] = -np.inf
    offsets = np.arange(a.loci) * per_locus
    idx = (offsets[None, :] + rng.integers(0, per_locus, (a.remains, a.loci))).astype(np.int32)
    screen(tables[:8], idx[:8], threshold=2.0, top_k=1)  # compile / load the kernels
    screen_sums(tables[:8], idx[:8], 2.0)
    best: dict[str, float] = {}
    for _ in range(a.repeat):
        for name, fn in (("screen", lambda: screen(tables, idx, threshold=2.0, top_k=1)),
                         ("screen_sums", lambda: screen_sums(tables, idx, 2.0))):
            t0 = time.perf_counter()
            fn()
            best[name] = min(best.get(name, 1e9), time.perf_counter() - t0)
    pairs = a.families * a.remains
    for name, secs in best.items():
        print(f"{name:12s} {secs:8.3f} s  {pairs / secs / 1e6:8.1f} M pairs/s")
    print(f"overhead of the sums: {100 * (best['screen_sums'] / best['screen'] - 1):+.1f} %")


if __name__ == "__main__":
    main()
