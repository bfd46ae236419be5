"""Gene dropping: synthetic genotypes on a pedigree (for tests and benchmarks; no real data).

Founders draw two alleles from the locus frequencies (Hardy-Weinberg); each child receives
one random allele of each parent, passed through the parent's mutation matrix row.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .markers import Locus
from .pedigree import Pedigree


def simulate_genotypes(
    pedigree: Pedigree, loci: Sequence[Locus], rng: np.random.Generator, n_sims: int = 1
) -> np.ndarray:
    """int32 ``(n_sims, n_persons, n_loci, 2)`` ordered genotypes (paternal, maternal)."""
    n_p, n_l = len(pedigree), len(loci)
    out = np.empty((n_sims, n_p, n_l, 2), dtype=np.int32)
    order = pedigree.topological_order()
    for j, loc in enumerate(loci):
        cdf = np.cumsum(loc.freqs)
        cdf[-1] = 1.0
        mf, mm = loc.matrices()
        cf, cm = np.cumsum(mf, axis=1), np.cumsum(mm, axis=1)
        cf[:, -1] = 1.0
        cm[:, -1] = 1.0
        for i in order:
            f, m = pedigree.father[i], pedigree.mother[i]
            if f < 0:
                out[:, i, j, :] = np.searchsorted(cdf, rng.random((n_sims, 2)), side="right")
                continue
            for slot, par, cum in ((0, f, cm), (1, m, cf)):
                pick = rng.integers(0, 2, n_sims)
                a = out[np.arange(n_sims), par, j, pick]
                u = rng.random(n_sims)
                out[:, i, j, slot] = (u[:, None] > cum[a]).sum(axis=1)
    return out


def random_profiles(loci: Sequence[Locus], rng: np.random.Generator, n: int) -> np.ndarray:
    """int32 ``(n, n_loci, 2)`` unrelated Hardy-Weinberg profiles."""
    g = np.empty((n, len(loci), 2), dtype=np.int32)
    for j, loc in enumerate(loci):
        g[:, j, :] = rng.choice(loc.n_alleles, size=(n, 2), p=loc.freqs)
    return g
