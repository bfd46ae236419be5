"""Kinship engine benchmark: prints figures for issue 3 (speed bar).

(a) oracle cases per second over the public oracle sets (tests/data/oracle, with the dropout
    cases), worst case;
(b) blind STR screen: R remains x F families (1-4 typed relatives each) x 21 loci: family
    table build time, locus look-ups per second, ratio to a bare numpy gather-and-sum over
    arrays of the same shape measured in the same run;
(c) peak memory (max RSS) after the STR screen and at the end;
(d) the same screen for SNP data (default 1,000 remains x 5,000 families x 3,900 SNPs).

All data are synthetic (gene dropping on standard pedigrees with the oracle frequency
tables; random SNP frequencies). Full run::

    .venv/bin/python benchmarks/kinship_bench.py

Quick run::

    .venv/bin/python benchmarks/kinship_bench.py --families 2000 --remains 2000 \
        --snp-families 500 --snp-remains 200
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import resource
import time
from pathlib import Path

import numpy as np

from dnacase.kinship import (
    Family,
    Locus,
    Pedigree,
    PedigreeBuilder,
    SearchPanel,
    build_family_tables,
    load_cases,
    missing_person_lr,
    screen,
    simulate_genotypes,
)

ROOT = Path(__file__).resolve().parents[1]
ORACLE = ROOT / "tests" / "data" / "oracle"
STR_LOCI = ["CSF1PO", "D3S1358", "D5S818", "D7S820", "D8S1179", "D13S317", "D16S539", "D18S51",
            "D21S11", "FGA", "TH01", "TPOX", "VWA", "D1S1656", "D2S441", "D2S1338", "D10S1248",
            "D12S391", "D19S433", "D22S1045", "SE33"]  # fmt: skip
TEMPLATES = [
    ["father"], ["mother"], ["brother"], ["sister", "mother"], ["father", "mother"],
    ["son", "daughter"], ["paternal-half-sibling"], ["nephew", "paternal-uncle"],
    ["brother", "sister", "father"], ["son", "daughter", "grandchild", "brother"],
    ["maternal-grandmother", "maternal-aunt"], ["first-cousin", "father"],
]  # fmt: skip
REF_REL_SECONDS, REF_CASES = 130.0, 422  # reference implementation, full STR oracle set


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def threads() -> int:
    try:
        import numba

        return int(numba.get_num_threads())
    except ImportError:  # pragma: no cover
        return 1


# ----- (a) oracle --------------------------------------------------------------------------
def warm_jit() -> float:
    """Compile (or load from numba's on-disk cache) the parent-child kernel once, on a toy
    trio, so that the first pass below measures the engine and not the JIT; returns s."""
    t = time.perf_counter()
    loc = Locus("W", ("1", "2"), np.array([0.5, 0.5]))
    ped = Pedigree(("F", "M", "C"), np.array([1, 2, 1]), np.array([-1, -1, 0]),
                   np.array([-1, -1, 1]))  # fmt: skip
    refs = np.array([[[0, 1]], [[-1, -1]], [[-1, -1]]])
    missing_person_lr(ped, "C", [loc], refs, np.array([[0, 0]]))
    return time.perf_counter() - t


def bench_oracle() -> None:
    print(f"numba kernels compiled or loaded from cache in {warm_jit():.2f} s (once per process)")
    for name in ("cases.json", "snp-cases.json", "dropout-cases.json"):
        raw = json.loads((ORACLE / name).read_text())
        t0 = time.perf_counter()
        load_cases(raw[:1])  # compiles the JSON Schema validator once per process
        t_schema = time.perf_counter() - t0
        t0 = time.perf_counter()
        cases = load_cases(raw)
        t_parse = time.perf_counter() - t0
        times = []
        worst_err = 0.0
        for case, r in zip(cases, raw, strict=True):
            t = time.perf_counter()
            res = case.compute()
            times.append(time.perf_counter() - t)
            e = r["expected"]["log10_lr"]
            if e is None:
                worst_err = max(worst_err, 0.0 if res.log10_lr == -math.inf else math.inf)
            else:
                worst_err = max(worst_err, abs(res.log10_lr - e))
        t_first = sum(times)
        t = time.perf_counter()
        for case in cases:
            case.compute()
        t_warm = time.perf_counter() - t
        slow = int(np.argmax(times))
        print(
            f"(a) {name}: {len(cases)} cases; parse+validate {t_parse:.2f} s (validator "
            f"compiled once before: {t_schema:.2f} s); "
            f"compute first pass {t_first:.3f} s ({len(cases) / t_first:.0f} cases/s), "
            f"warm {t_warm:.3f} s ({len(cases) / t_warm:.0f} cases/s); "
            f"slowest {cases[slow].id} {times[slow] * 1e3:.1f} ms; "
            f"max |delta log10 LR| vs oracle {worst_err:.2e}"
        )
        if name == "cases.json":
            ref = REF_REL_SECONDS / REF_CASES
            print(
                f"    reference implementation: {ref * 1e3:.0f} ms/case on average; dnacase "
                f"{t_first / len(cases) * 1e3:.2f} ms/case (first pass) -> "
                f"{ref / (t_first / len(cases)):.0f}x faster "
                f"(incl. parsing: {ref / ((t_first + t_parse) / len(cases)):.0f}x); worst "
                f"case {times[slow]:.3f} s vs 19 s"
            )
            pc = [c for c, r in zip(cases, raw, strict=True) if r.get("scenario") == "parent-child"]
            reps = 20
            per_rep = []
            for _ in range(reps):
                t = time.perf_counter()
                for case in pc:
                    case.compute()
                per_rep.append((time.perf_counter() - t) / len(pc))
            med, best = float(np.median(per_rep)), min(per_rep)
            print(
                f"    parent-child LR (direct path, {len(pc)} cases x {reps} passes): median "
                f"{med * 1e3:.3f} ms each (best pass {best * 1e3:.3f} ms); reference 12.6 ms "
                f"-> {12.6e-3 / med:.0f}x (median)"
            )


# ----- synthetic families ------------------------------------------------------------------
def str_loci() -> list[Locus]:
    raw = json.loads((ORACLE / "cases.json").read_text())
    tables: dict[str, dict[str, float]] = {}
    for c in raw:
        for m in c["markers"]:
            tables.setdefault(m["name"], m["frequencies"])
    return [Locus.from_mapping(n, tables[n]) for n in STR_LOCI]


def snp_loci(rng: np.random.Generator, n: int) -> list[Locus]:
    p = rng.uniform(0.2, 0.8, n)
    return [Locus(f"rs{j}", ("A", "G"), np.array([p[j], 1 - p[j]])) for j in range(n)]


def make_families(loci, rng, n_fam, p_drop=0.05):
    """Families cycling through TEMPLATES; returns families and the simulated MP profiles."""
    protos = []
    for rels in TEMPLATES:
        b = PedigreeBuilder("MP", "M")
        names = [b.add_relative(f"R{k}", r) for k, r in enumerate(rels)]
        protos.append((b.build(), names))
    fams, mps = [], np.empty((n_fam, len(loci), 2), dtype=np.int32)
    per = -(-n_fam // len(protos))
    small = np.int8 if max(loc.n_alleles for loc in loci) < 127 else np.int16
    sims = [simulate_genotypes(ped, loci, rng, per).astype(small) for ped, _ in protos]
    for i in range(n_fam):
        t, s = i % len(protos), i // len(protos)
        ped, names = protos[t]
        sim = sims[t][s]
        refs = np.full(sim.shape, -1, dtype=small)  # compact storage, as a database would
        for nm in names:
            k = ped.index(nm)
            refs[k] = sim[k]
            refs[k][rng.random(len(loci)) < p_drop] = -1
        fams.append(Family(f"F{i}", ped, "MP", refs))
        mps[i] = sim[ped.index("MP")]
    return fams, mps


def make_remains(loci, rng, mps, n_rem, p_true=0.1, p_drop=0.1):
    from dnacase.kinship import random_profiles

    g = random_profiles(loci, rng, n_rem)
    n_true = int(n_rem * p_true)
    pick = rng.choice(mps.shape[0], n_true, replace=mps.shape[0] < n_true)
    g[:n_true] = mps[pick]
    g[rng.random((n_rem, len(loci))) < p_drop] = -1
    return g, pick


def bare_gather_rate(tables, idx, n_fam) -> float:
    """Bare numpy gather-and-sum (one core): tables[f][idx].sum(axis=1) for n_fam families."""
    n_fam = min(n_fam, tables.shape[0])
    t = time.perf_counter()
    acc = 0.0
    for f in range(n_fam):
        acc += float(tables[f][idx].sum(axis=1)[0])
    dt = time.perf_counter() - t
    return n_fam * idx.shape[0] * idx.shape[1] / dt


def bench_screen(label, loci, n_fam, n_rem, rng, bare_fams) -> None:
    t = time.perf_counter()
    fams, mps = make_families(loci, rng, n_fam)
    remains, pick = make_remains(loci, rng, mps, n_rem)
    t_sim = time.perf_counter() - t
    panel = SearchPanel(loci)
    codes = panel.codes(remains)  # compact int16 genotype codes (R, L)
    t = time.perf_counter()
    tables = build_family_tables(panel, fams)
    t_build = time.perf_counter() - t
    idx = panel.flat_index(codes)
    screen(tables[:8], idx[:64])  # compile / warm the kernel
    t = time.perf_counter()
    res = screen(tables, idx, threshold=4.0, top_k=10)
    t_screen = time.perf_counter() - t
    rate = res.lookups / t_screen
    bare = bare_gather_rate(tables, idx, bare_fams)
    nt = threads()
    n_true = pick.size
    found = int(np.sum(res.top_family[:n_true, 0] == pick))
    print(
        f"({label}) {n_rem:,} remains x {n_fam:,} families x {len(loci):,} loci "
        f"(table {panel.size:,} entries/family, {tables.nbytes / 2**20:.0f} MiB; "
        f"remains codes {codes.dtype} {codes.nbytes / 2**20:.1f} MiB); synthetic data "
        f"{t_sim:.1f} s"
    )
    print(f"    family tables: {t_build:.2f} s ({n_fam / t_build:,.0f} families/s)")
    print(
        f"    screen: {t_screen:.2f} s, {res.lookups:.3g} look-ups -> {rate:.3g}/s on {nt} "
        f"threads = {rate / nt:.3g}/s per core; {res.hits[0].size:,} pairs with log10 LR >= 4"
    )
    print(
        f"    bare numpy gather-and-sum (1 core, same shapes): {bare:.3g}/s; ratio screen/bare "
        f"= {rate / bare:.2f} (total), {rate / nt / bare:.2f} (per core)"
    )
    print(f"    true family ranked first for {found}/{n_true} planted missing persons")
    bench_dropout_screen(panel, tables, remains, res.lookups)
    del tables, res
    gc.collect()


def bench_dropout_screen(panel, tables, remains, lookups, d=0.1) -> None:
    """The same screen with every single-peak remains locus read under allele dropout d
    (summed over the true genotypes at screen time, kinship.search module doc)."""
    from dnacase.kinship.peaks import dropout_weights

    w = np.broadcast_to(dropout_weights(d), (*remains.shape[:2], 2))
    idx, peaks = panel.encode_remains_peaks(remains, w)
    _i, warm = panel.encode_remains_peaks(remains[:64], w[:64])
    screen(tables[:8], idx[:64], peaks=warm)  # compile / warm the kernels
    t = time.perf_counter()
    res = screen(tables, idx, threshold=4.0, top_k=10, peaks=peaks)
    t_screen = time.perf_counter() - t
    n_peak = 0 if peaks is None else peaks.lam.size
    typed = int((remains >= 0).all(axis=2).sum())
    print(
        f"    screen with dropout d = {d} at the {n_peak:,} one-peak loci of the remains "
        f"({100 * n_peak / max(typed, 1):.0f}% of typed loci): {t_screen:.2f} s "
        f"({lookups / t_screen:.3g} look-ups/s); {res.hits[0].size:,} pairs with log10 LR >= 4"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--families", type=int, default=20_000)
    ap.add_argument("--remains", type=int, default=20_000)
    ap.add_argument("--snp-families", type=int, default=5_000)
    ap.add_argument("--snp-remains", type=int, default=1_000)
    ap.add_argument("--snps", type=int, default=3_900)
    ap.add_argument(
        "--bare-families", type=int, default=300, help="families used to time the bare numpy gather"
    )
    ap.add_argument("--skip", default="", help="comma list of parts to skip: a,b,d")
    ap.add_argument("--seed", type=int, default=2024)
    args = ap.parse_args()
    skip = set(args.skip.split(",")) if args.skip else set()
    rng = np.random.default_rng(args.seed)
    print(f"machine: {os.cpu_count()} CPUs; numba threads {threads()}")
    if "a" not in skip:
        bench_oracle()
    if "b" not in skip:
        bench_screen("b", str_loci(), args.families, args.remains, rng, args.bare_families)
        print(f"(c) peak memory (max RSS) after the STR screen: {rss_mb():,.0f} MiB")
    if "d" not in skip:
        bench_screen(
            "d",
            snp_loci(rng, args.snps),
            args.snp_families,
            args.snp_remains,
            rng,
            max(10, args.bare_families // 10),
        )
    print(f"(c) peak memory (max RSS) at the end: {rss_mb():,.0f} MiB")


if __name__ == "__main__":
    main()
