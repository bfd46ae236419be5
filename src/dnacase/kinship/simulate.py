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
    """int32 ``(n_sims, n_persons, n_loci, 2)`` ordered genotypes (paternal, maternal);
    vectorised over simulations and loci."""
    n_p, n_l = len(pedigree), len(loci)
    nmax = max(loc.n_alleles for loc in loci)
    cdf = np.ones((n_l, nmax))
    cum_f = np.ones((n_l, nmax, nmax))
    cum_m = np.ones((n_l, nmax, nmax))
    mutating = False
    for j, loc in enumerate(loci):
        n = loc.n_alleles
        cdf[j, :n] = np.cumsum(loc.freqs)
        if loc.has_mutation:
            mutating = True
            mf, mm = loc.matrices()
            cum_f[j, :n, :n] = np.cumsum(mf, axis=1)
            cum_m[j, :n, :n] = np.cumsum(mm, axis=1)
    cdf[:, -1] = 1.0
    cum_f[:, :, -1] = 1.0
    cum_m[:, :, -1] = 1.0
    out = np.empty((n_sims, n_p, n_l, 2), dtype=np.int32)
    li = np.arange(n_l)[None, :]
    si = np.arange(n_sims)[:, None]
    for i in pedigree.topological_order():
        f, m = int(pedigree.father[i]), int(pedigree.mother[i])
        if f < 0:
            u = rng.random((n_sims, n_l, 2))
            out[:, i] = (u[..., None] > cdf[None, :, None, :]).sum(axis=-1)
            continue
        for slot, par, cum in ((0, f, cum_m), (1, m, cum_f)):
            pick = rng.integers(0, 2, (n_sims, n_l))
            a = out[si, par, li, pick]  # (n_sims, n_l) transmitted allele
            if mutating:
                u = rng.random((n_sims, n_l))
                a = (u[..., None] > cum[li, a]).sum(axis=-1)
            out[:, i, :, slot] = a
    return out


def random_profiles(loci: Sequence[Locus], rng: np.random.Generator, n: int) -> np.ndarray:
    """int32 ``(n, n_loci, 2)`` unrelated Hardy-Weinberg profiles."""
    g = np.empty((n, len(loci), 2), dtype=np.int32)
    for j, loc in enumerate(loci):
        g[:, j, :] = rng.choice(loc.n_alleles, size=(n, 2), p=loc.freqs)
    return g


def random_tree_pedigree(rng: np.random.Generator, n_persons: int) -> Pedigree:
    """A synthetic pedigree without loops of at least ``n_persons`` persons (at most one
    more): a founder couple ``F0`` x ``M0``, then children ``P<i>`` of earlier non-founders
    (or of the first couple), each such parent with one spouse ``S<i>`` marrying in."""
    ids, sex, fa, mo = ["F0", "M0"], [1, 2], [-1, -1], [-1, -1]
    spouse: dict[int, int] = {0: 1}
    while len(ids) < n_persons:
        p = int(rng.choice([i for i in range(len(ids)) if fa[i] >= 0] + [0]))
        if p not in spouse:
            ids.append(f"S{len(ids)}")
            sex.append(3 - sex[p])
            fa.append(-1)
            mo.append(-1)
            spouse[p] = len(ids) - 1
        f, m = (p, spouse[p]) if sex[p] == 1 else (spouse[p], p)
        ids.append(f"P{len(ids)}")
        sex.append(int(rng.integers(1, 3)))
        fa.append(f)
        mo.append(m)
    return Pedigree(tuple(ids), np.array(sex), np.array(fa), np.array(mo))
