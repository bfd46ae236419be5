"""Simulation: why norSTR East Asia is the default table (docs/evidence-model.md).

Run: ``PYTHONPATH=src .venv/bin/python benchmarks/default_table_sim.py [n_pairs]``

Unrelated pairs (a typed brother of the missing person, and a remains profile of another
person) are drawn from the norSTR East Asia frequencies on the 20 CODIS core loci; each pair's
log10 LR (H1: the remains are the missing person, brother of the reference; H2: unrelated) is
computed with the loci of the evidence model built from norSTR East Asia and from NIST 1036
Asian (no mutation, so the figure is the tables' alone). Printed: mean log10 LR and the fraction
of unrelated pairs at LR >= 100 and >= 1000 for each table.
"""

from __future__ import annotations

import sys
from dataclasses import replace

import numpy as np

from dnacase.formats import load_frequency_table
from dnacase.kinship import PedigreeBuilder, encode_profiles, missing_person_lr, random_profiles
from dnacase.services import evidence_model

CORE = ("D3S1358", "vWA", "D16S539", "CSF1PO", "TPOX", "D8S1179", "D21S11", "D18S51", "TH01",
        "FGA", "D5S818", "D13S317", "D7S820", "D2S1338", "D19S433", "D1S1656", "D12S391",
        "D2S441", "D10S1248", "D22S1045")


def main(n: int = 20_000, seed: int = 1) -> dict[str, np.ndarray]:
    settings = replace(evidence_model.DEFAULTS, mutation_model="none")
    truth_table = load_frequency_table("norstr_east_asia")
    truth, _ = evidence_model.kinship_loci(truth_table, {k: [] for k in CORE}, settings)
    rng = np.random.default_rng(seed)
    refs, pois = random_profiles(truth, rng, n), random_profiles(truth, rng, n)
    bld = PedigreeBuilder("MP", "M")
    bld.add_relative("B", "brother", "M")
    ped = bld.build()

    def named(g: np.ndarray) -> dict[str, tuple[str, str]]:
        return {loc.name: (loc.alleles[g[j, 0]], loc.alleles[g[j, 1]])
                for j, loc in enumerate(truth)}

    seen: dict[str, set[str]] = {}
    for g in (*refs, *pois):
        for k, pair in named(g).items():
            seen.setdefault(k, set()).update(pair)
    out = {}
    for name in ("norstr_east_asia", "nist1036_asian"):
        loci, _ = evidence_model.kinship_loci(load_frequency_table(name), seen, settings)
        lrs = np.array([missing_person_lr(
            ped, "MP", loci, encode_profiles(loci, list(ped.ids), {"B": named(refs[i])}),
            encode_profiles(loci, ["x"], {"x": named(pois[i])})[0]).log10_lr for i in range(n)])
        out[name] = lrs
        print(f"{name:18s} mean log10 LR {lrs.mean():7.3f}  P(LR>=100) {(lrs >= 2).mean():.5f}"
              f"  P(LR>=1000) {(lrs >= 3).mean():.5f}")
    diff = out["nist1036_asian"] - out["norstr_east_asia"]
    print(f"mean log10 LR difference (NIST Asian - norSTR): {diff.mean():.3f}")
    return out


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
