"""Large families and many alleles (issue 12): time and memory of the exact kinship LR.

Reports, each with wall time and peak memory (tracemalloc peak: numpy arrays and Python
objects allocated while computing that case; max RSS of the process at the end):

(a) the slowest public oracle case (tests/data/oracle/cases.json, 126 cases), first pass
    (elimination plans compiled) and again (plans cached);
(b) the 8-person SE33 family (tests/data/kinship/se33-siblings-nephew.json: grandparents and
    the nephew's parents untyped, two siblings and a nephew typed, 53 alleles, stepwise
    mutation), refused before as "too complex" (a clique of 418 million);
(c) 20-person families without loops (synthetic: random_tree_pedigree, 3-6 typed relatives
    among the leaves, untyped connecting relatives) on 24 loci including SE33 (55 alleles),
    every locus under a stepwise model (rate 0.003, range 0.5, rate2 1e-4); slowest and
    median of ``--families`` families, each with cold plan caches.

Run::

    PYTHONPATH=src .venv/bin/python benchmarks/large_pedigree.py [--families 10]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
import tracemalloc
from pathlib import Path

import numpy as np

from dnacase.kinship import Locus, MutationModel, load_cases, missing_person_lr, simulate_genotypes
from dnacase.kinship import likelihood as lk
from dnacase.kinship.elimination import greedy_order
from dnacase.kinship.simulate import random_tree_pedigree

ROOT = Path(__file__).resolve().parents[1]
ORACLE = ROOT / "tests" / "data" / "oracle" / "cases.json"
SE33_CASE = ROOT / "tests" / "data" / "kinship" / "se33-siblings-nephew.json"


def clear_plans() -> None:
    lk._compile.cache_clear()
    lk._query_cheaper.cache_clear()
    lk._graph.cache_clear()
    lk._order_pool.cache_clear()


def measure(fn, *args) -> tuple[float, float, object]:
    """(seconds, peak MiB traced, result) of ``fn(*args)``."""
    tracemalloc.start()
    t = time.perf_counter()
    out = fn(*args)
    dt = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return dt, peak, out


def oracle_loci(n: int) -> list[Locus]:
    raw = json.loads(ORACLE.read_text())
    tables: dict[str, dict[str, float]] = {}
    for c in raw:
        for m in c["markers"]:
            tables.setdefault(m["name"], m["frequencies"])
    names = sorted(tables, key=lambda x: (-len(tables[x]), x))[:n]
    mut = MutationModel("stepwise", 0.003, 0.5, 1e-4)
    return [Locus.from_mapping(x, tables[x], mut) for x in names]


def family(seed: int, loci: list[Locus], n_persons: int):
    rng = np.random.default_rng(seed)
    ped = random_tree_pedigree(rng, n_persons)
    n = len(ped)
    nonf = [i for i in range(n) if ped.father[i] >= 0]
    q = int(rng.choice(nonf))
    leaves = [i for i in nonf if i != q and not ((ped.father == i) | (ped.mother == i)).any()]
    typed = rng.choice(leaves, size=min(len(leaves), int(rng.integers(3, 7))), replace=False)
    g = simulate_genotypes(ped, loci, rng)[0]
    ref = np.full_like(g, -1)
    ref[typed] = g[typed]
    return ped, q, ref, g[q], len(typed)


def bench_oracle() -> None:
    cases = load_cases(ORACLE)
    clear_plans()
    first = []
    for c in cases:
        dt, peak, _ = measure(c.compute)
        first.append((dt, peak, c.id))
    warm = []
    for c in cases:
        t = time.perf_counter()
        c.compute()
        warm.append(time.perf_counter() - t)
    i = int(np.argmax([x[0] for x in first]))
    print(
        f"(a) oracle: {len(cases)} cases, first pass {sum(x[0] for x in first):.2f} s, again "
        f"{sum(warm):.2f} s; slowest {first[i][2]}: {first[i][0]:.3f} s first pass "
        f"({warm[i]:.3f} s again), peak {first[i][1]:.1f} MiB; largest peak of any case "
        f"{max(x[1] for x in first):.1f} MiB"
    )


def bench_se33() -> None:
    (case,) = load_cases(SE33_CASE)
    clear_plans()
    dt, peak, res = measure(case.compute)
    dt2, _p, _r = measure(case.compute)
    print(
        f"(b) SE33 family ({len(case.pedigree)} persons, {case.loci[0].n_alleles} alleles, "
        f"stepwise): log10 LR {res.log10_lr:.6f} in {dt:.3f} s (plans compiled; {dt2:.3f} s "
        f"again), peak {peak:.1f} MiB"
    )


def bench_families(n_fam: int, n_persons: int) -> None:
    loci = oracle_loci(24)
    rows = []
    for seed in range(n_fam):
        ped, q, ref, poi, n_typed = family(1000 + seed, loci, n_persons)
        clear_plans()
        dt, peak, res = measure(missing_person_lr, ped, ped.ids[q], loci, ref, poi)
        rows.append((dt, peak, len(ped), n_typed, res.log10_lr))
    times = np.array([r[0] for r in rows])
    i = int(np.argmax(times))
    print(
        f"(c) {n_fam} families of {n_persons}-{n_persons + 1} persons without loops, 24 loci "
        f"(SE33 {loci[0].n_alleles} alleles), stepwise: median {np.median(times):.2f} s, "
        f"slowest {times[i]:.2f} s ({rows[i][2]} persons, {rows[i][3]} typed), peak "
        f"{max(r[1] for r in rows):.1f} MiB (largest), all computed exactly (cold plan caches)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--families", type=int, default=10)
    ap.add_argument("--persons", type=int, default=20)
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} CPUs; complexity limit {lk.MAX_CLIQUE:,}")
    t = time.perf_counter()
    greedy_order([2, 2], [{1}, {0}], [], "wfill", 0)  # compile or load the numba kernel
    print(f"order kernel compiled or loaded from numba's cache in {time.perf_counter() - t:.2f} s")
    bench_oracle()
    bench_se33()
    bench_families(args.families, args.persons)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"max RSS of the process: {rss:,.0f} MiB")


if __name__ == "__main__":
    main()
