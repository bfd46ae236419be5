"""Slow, obviously correct reference: enumerate every ordered genotype of every person.

P(data) = sum over all (g_i1, g_i2) for all persons i of
    prod_founders p[g1] p[g2]
  * prod_nonfounders (1/2 Mm[gF1, g1] + 1/2 Mm[gF2, g1]) (1/2 Mf[gM1, g2] + 1/2 Mf[gM2, g2])
  * prod_typed [{g1, g2} == observed]

With one-allele observations (allele dropout; ``peaks[i] = (w_hom, w_het)``, not NaN, for a
person whose genotype is written (a, a)) the indicator of that person becomes
``w_hom [g1 = g2 = a] + w_het [exactly one of g1, g2 is a]``.
"""

from __future__ import annotations

import numpy as np


def _evidence(g1, g2, x, y, w, null=-1):
    """Weight of the ordered true alleles (g1, g2) given the observation (x, y); ``null``:
    the silent allele (-1: none), weight ``w_hom - w_het`` for {x, null}."""
    if w is not None and not np.isnan(w[0]) and x == y:
        hit1, hit2 = g1 == x, g2 == x
        out = w[0] * (hit1 & hit2) + w[1] * (hit1 ^ hit2)
        if null >= 0:
            pair = (hit1 & (g2 == null)) | (hit2 & (g1 == null))
            out = np.where(pair, max(w[0] - w[1], 0.0), out)
        return out
    return ((g1 == x) & (g2 == y)) | ((g1 == y) & (g2 == x))


def brute_likelihood(father, mother, p, mf, mm, geno, peaks=None, null=-1) -> float:
    """father/mother: parent indices (-1 founder); p (n,); mf/mm (n, n) mother/father
    mutation matrices; geno: (P, 2) allele indices, -1 untyped; peaks: (P, 2) one-allele
    weights (NaN: read as written) or None. Returns the likelihood."""
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
            prob *= _evidence(g1, g2, x, y, None if peaks is None else peaks[i], null)
    return float(prob.sum())


def brute_joint(father, mother, p, mf, mm, geno, q, peaks=None) -> np.ndarray:
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
            prob *= _evidence(g1, g2, x, y, None if peaks is None else peaks[i])
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
