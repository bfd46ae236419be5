"""Slow, obviously correct reference: enumerate every ordered genotype of every person.

P(data) = sum over all (g_i1, g_i2) for all persons i of
    prod_founders p[g1] p[g2]
  * prod_nonfounders (1/2 Mm[gF1, g1] + 1/2 Mm[gF2, g1]) (1/2 Mf[gM1, g2] + 1/2 Mf[gM2, g2])
  * prod_typed [{g1, g2} == observed]
"""

from __future__ import annotations

import numpy as np


def brute_likelihood(father, mother, p, mf, mm, geno) -> float:
    """father/mother: parent indices (-1 founder); p (n,); mf/mm (n, n) mother/father
    mutation matrices; geno: (P, 2) allele indices, -1 untyped. Returns the likelihood."""
    n_pers = len(father)
    n = len(p)
    size = n ** (2 * n_pers)
    if size > 3_000_000:
        raise ValueError("too large for brute force")
    idx = np.indices((n,) * (2 * n_pers)).reshape(2 * n_pers, -1)
    a = idx.reshape(n_pers, 2, -1)  # a[i, 0] paternal, a[i, 1] maternal allele of person i
    prob = np.ones(idx.shape[1])
    for i in range(n_pers):
        g1, g2 = a[i, 0], a[i, 1]
        if father[i] < 0:
            prob *= p[g1] * p[g2]
        else:
            f, m = father[i], mother[i]
            prob *= 0.5 * (mm[a[f, 0], g1] + mm[a[f, 1], g1])
            prob *= 0.5 * (mf[a[m, 0], g2] + mf[a[m, 1], g2])
        x, y = geno[i]
        if x >= 0:
            prob *= ((g1 == x) & (g2 == y)) | ((g1 == y) & (g2 == x))
    return float(prob.sum())


def brute_joint(father, mother, p, mf, mm, geno, q) -> np.ndarray:
    """Joint P(data, person q has ordered alleles (a, b)) as an (n, n) array (q untyped)."""
    n_pers = len(father)
    n = len(p)
    idx = np.indices((n,) * (2 * n_pers)).reshape(2 * n_pers, -1)
    a = idx.reshape(n_pers, 2, -1)
    prob = np.ones(idx.shape[1])
    for i in range(n_pers):
        g1, g2 = a[i, 0], a[i, 1]
        if father[i] < 0:
            prob *= p[g1] * p[g2]
        else:
            f, m = father[i], mother[i]
            prob *= 0.5 * (mm[a[f, 0], g1] + mm[a[f, 1], g1])
            prob *= 0.5 * (mf[a[m, 0], g2] + mf[a[m, 1], g2])
        x, y = geno[i]
        if x >= 0:
            prob *= ((g1 == x) & (g2 == y)) | ((g1 == y) & (g2 == x))
    out = np.zeros((n, n))
    np.add.at(out, (a[q, 0], a[q, 1]), prob)
    return out


def random_stochastic(rng: np.random.Generator, n: int, rate: float) -> np.ndarray:
    """A random mutation matrix with rows summing to 1 (diagonal about 1 - rate)."""
    m = rng.random((n, n)) + 0.1
    np.fill_diagonal(m, 0.0)
    m = m / m.sum(axis=1, keepdims=True) * rate
    np.fill_diagonal(m, 1.0 - rate)
    return m
