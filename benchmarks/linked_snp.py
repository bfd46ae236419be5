"""Linked-marker missing-person LR on the whole FORCE autosomal panel (3,930 SNPs).

For each pedigree: simulate the family and the missing person along the deCODE 2019 map
(gene dropping, :mod:`dnacase.kinship.linkage.simulate`), put the missing person's genotypes
on the POI (H1 true) and time the linked LR (Lander-Green HMM) beside the unlinked product.
Prints per pedigree: inheritance-vector states after reduction (H1), seconds per case
(median of the repeats, after one warm-up that compiles the numba kernels), log10 LRs.

The exact HMM costs about (states x sum of block sizes) per marker: the 4-reference family
(28 meioses, 2^17 states after reduction) takes minutes, the others well under 2 s. The state
space is capped at 2^MAX_STATE_BITS (:mod:`dnacase.kinship.linkage.lr`).

With ``--simulate N`` it also simulates N true and N unrelated POIs per pairwise pedigree and
prints, for the unlinked product and the linked LR: the median log10 LR of true POIs, the mean of
1/LR over true POIs (about 1 for a calibrated LR, but dominated by rare small LRs), and the
fraction of unrelated POIs with LR >= 10^4 (at most 1e-4 for a calibrated LR) and the largest
log10 LR among them.

    PYTHONPATH=src python benchmarks/linked_snp.py [--repeats 3] [--seed 1] [--simulate 200]
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
    "4 refs (2 grand-nephews, 2 cousins 1x removed)": (
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
            ("SIS", "FA", "MO", "F"),
            ("BW", None, None, "F"),
            ("SH", None, None, "M"),
            ("NEP", "BRO", "BW", "M"),
            ("NIE", "SH", "SIS", "F"),
            ("NW", None, None, "F"),
            ("NH", None, None, "M"),
            ("GN1", "NEP", "NW", "F"),
            ("GN2", "NH", "NIE", "M"),
            ("C1", "UNC", "AW", "F"),
            ("C2", "AH", "AUN", "M"),
            ("C1H", None, None, "M"),
            ("C2W", None, None, "F"),
            ("CR1", "C1H", "C1", "M"),
            ("CR2", "C2", "C2W", "F"),
        ],
        ["GN1", "GN2", "CR1", "CR2"],
    ),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--simulate", type=int, default=0, metavar="N")
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
    if args.simulate:
        _calibration(args.simulate, (loci, chrom, cm_m, cm_f, freqs), rng)


def _calibration(n: int, data: tuple, rng: np.random.Generator) -> None:
    loci, chrom, cm_m, cm_f, freqs = data
    print(f"\nsimulation, {n} true and {n} unrelated POIs per pedigree (log10 LR)")
    print(
        f"{'pedigree':14s} {'model':9s} {'median true':>11s} {'mean 1/LR':>10s} "
        f"{'FPR@1e4':>8s} {'max unrel':>9s}"
    )
    for name in ("full sibling", "nephew", "first cousin"):
        recs, refs = PEDIGREES[name]
        ped = Pedigree.from_records(
            [{"id": i, "father": f, "mother": m, "sex": s} for i, f, m, s in recs]
        )
        res: dict[str, dict[str, list[float]]] = {"unlinked": {}, "linked": {}}
        for truth in ("true", "unrelated"):
            for _ in range(n):
                sim = simulate_linked(ped, freqs, chrom, cm_m, cm_f, rng)
                g = np.full_like(sim, -1)
                g[ped.index(refs[0])] = sim[ped.index(refs[0])]
                if truth == "true":
                    poi = sim[ped.index("MP")]
                else:
                    poi = simulate_linked(ped, freqs, chrom, cm_m, cm_f, rng)[0]
                lin = linked_missing_person_lr(ped, "MP", loci, g, poi, chrom, cm_m, cm_f)
                unl = missing_person_lr(ped, "MP", loci, g, poi)
                res["linked"].setdefault(truth, []).append(lin.log10_lr)
                res["unlinked"].setdefault(truth, []).append(unl.log10_lr)
        for model, r in res.items():
            t, u = np.array(r["true"]), np.array(r["unrelated"])
            inv = float(np.mean(10.0 ** np.clip(-t, -300, 300)))
            print(
                f"{name:14s} {model:9s} {np.median(t):11.2f} {inv:10.3g} "
                f"{np.mean(u >= 4):8.4f} {u.max():9.2f}"
            )


if __name__ == "__main__":
    main()
