"""Linked-marker missing-person LR on the whole FORCE autosomal panel (3,930 SNPs).

For each pedigree: simulate the family and the missing person along the deCODE 2019 map
(gene dropping, :mod:`dnacase.kinship.linkage.simulate`), put the missing person's genotypes
on the POI (H1 true) and time the linked LR (Lander-Green HMM) beside the unlinked product.
Prints per pedigree: inheritance-vector states after reduction (H1), seconds per case
(median of the repeats, after one warm-up that compiles the numba kernels), log10 LRs.

    PYTHONPATH=src python benchmarks/linked_snp.py [--repeats 3] [--seed 1]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from dnacase.kinship import missing_person_lr
from dnacase.kinship.linkage import (
    InheritanceSpace,
    linked_missing_person_lr,
    load_panel,
    prune,
)
from dnacase.kinship.linkage.simulate import simulate_linked
from dnacase.kinship.pedigree import Pedigree

PEDIGREES = {
    "full sibling": (
        [
            ("FA", None, None, "M"),
            ("MO", None, None, "F"),
            ("MP", "FA", "MO", "M"),
            ("SIB", "FA", "MO", "F"),
        ],
        ["SIB"],
    ),
    "nephew": (
        [
            ("FA", None, None, "M"),
            ("MO", None, None, "F"),
            ("MP", "FA", "MO", "M"),
            ("SIS", "FA", "MO", "F"),
            ("SP", None, None, "M"),
            ("NEPH", "SP", "SIS", "M"),
        ],
        ["NEPH"],
    ),
    "first cousin": (
        [
            ("FA", None, None, "M"),
            ("MO", None, None, "F"),
            ("P1", "FA", "MO", "M"),
            ("P2", "FA", "MO", "F"),
            ("W1", None, None, "F"),
            ("H2", None, None, "M"),
            ("MP", "P1", "W1", "M"),
            ("COUS", "H2", "P2", "F"),
        ],
        ["COUS"],
    ),
    "3 references (sibling, nephew, first cousin)": (
        [
            ("GF", None, None, "M"),
            ("GM", None, None, "F"),
            ("FA", "GF", "GM", "M"),
            ("UNC", "GF", "GM", "M"),
            ("MO", None, None, "F"),
            ("AW", None, None, "F"),
            ("MP", "FA", "MO", "M"),
            ("SIB", "FA", "MO", "F"),
            ("SP", None, None, "M"),
            ("NEPH", "SP", "SIB", "M"),
            ("COUS", "UNC", "AW", "F"),
        ],
        ["SIB", "NEPH", "COUS"],
    ),
    "3 references (grand-nephew, 2 first cousins)": (
        [
            ("GF", None, None, "M"),
            ("GM", None, None, "F"),
            ("FA", "GF", "GM", "M"),
            ("UNC", "GF", "GM", "M"),
            ("AUN", "GF", "GM", "F"),
            ("MO", None, None, "F"),
            ("AW", None, None, "F"),
            ("AH", None, None, "M"),
            ("MP", "FA", "MO", "M"),
            ("BRO", "FA", "MO", "M"),
            ("BW", None, None, "F"),
            ("NEP", "BRO", "BW", "M"),
            ("NW", None, None, "F"),
            ("GNEP", "NEP", "NW", "F"),
            ("C1", "UNC", "AW", "F"),
            ("C2", "AH", "AUN", "M"),
        ],
        ["GNEP", "C1", "C2"],
    ),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    panel = load_panel()
    loci = [s.locus() for s in panel.snps]
    chrom = [s.chromosome for s in panel.snps]
    cm_m = np.array([s.cm_male for s in panel.snps])
    cm_f = np.array([s.cm_female for s in panel.snps])
    freqs = np.array([s.freqs for s in panel.snps])
    rng = np.random.default_rng(args.seed)
    print(f"panel: {panel.name}, {len(panel)} SNPs on {len(set(chrom))} chromosomes")
    print(
        f"{'pedigree':46s} {'meioses':>7s} {'states':>6s} {'linked s':>9s} "
        f"{'unlinked s':>10s} {'log10 linked':>12s} {'log10 product':>13s}"
    )
    for name, (recs, refs) in PEDIGREES.items():
        ped = Pedigree.from_records(
            [{"id": i, "father": f, "mother": m, "sex": s} for i, f, m, s in recs]
        )
        sim = simulate_linked(ped, freqs, chrom, cm_m, cm_f, rng)
        g = np.full_like(sim, -1)
        for r in refs:
            g[ped.index(r)] = sim[ped.index(r)]
        poi = sim[ped.index("MP")]
        typed = np.zeros(len(ped), bool)
        typed[[ped.index(r) for r in [*refs, "MP"]]] = True
        sp = InheritanceSpace(ped, prune(ped, typed))
        lin = linked_missing_person_lr(ped, "MP", loci, g, poi, chrom, cm_m, cm_f)  # warm-up
        t_lin, t_unl = [], []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            lin = linked_missing_person_lr(ped, "MP", loci, g, poi, chrom, cm_m, cm_f)
            t_lin.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            unl = missing_person_lr(ped, "MP", loci, g, poi)
            t_unl.append(time.perf_counter() - t0)
        print(
            f"{name:46s} {sp.n_meioses:7d} {sp.n_states:6d} {statistics.median(t_lin):9.3f} "
            f"{statistics.median(t_unl):10.3f} {lin.log10_lr:12.2f} {unl.log10_lr:13.2f}"
        )


if __name__ == "__main__":
    main()
