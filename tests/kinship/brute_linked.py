"""Slow, obviously correct reference for linked markers: enumerate every inheritance vector at
every marker (no reduction, no pruning) and every founder-allele assignment.

P(data) = sum over paths (v_1 .. v_M) of 2^-m prod_j P(x_j | v_j) prod_j T_j(v_{j-1}, v_j),
T_j(v, w) = prod over meioses i of r_i if v_i != w_i else (1 - r_i), r_i Haldane's r of the
interval on the map of the transmitting parent's sex;
P(x_j | v) = sum over founder alleles of prod p[allele] * [typed genotypes match].
"""

from __future__ import annotations

import itertools
import math

import numpy as np


def _haldane(d):
    return 0.5 * (1.0 - math.exp(-2.0 * d / 100.0))


def brute_linked_likelihood(father, mother, male, freqs, geno, cm_m, cm_f) -> float:
    """father/mother: parent indices (-1 founder); male: bool per person; freqs: list of (M)
    frequency arrays; geno: (P, M, 2) allele indices (-1 untyped); cm_m / cm_f: (M,) in map
    order. Returns the likelihood of the typed data."""
    n = len(father)
    founders = [i for i in range(n) if father[i] < 0]
    meioses = [(c, s) for c in range(n) if father[c] >= 0 for s in (0, 1)]
    m = len(meioses)
    vecs = list(itertools.product((0, 1), repeat=m))
    n_mark = len(freqs)
    if len(vecs) ** n_mark > 300_000:
        raise ValueError("too large for brute force")

    def alleles_of(v, fa):  # fa: founder allele per founder slot -> person's alleles
        al = {}
        for f, i in enumerate(founders):
            al[i] = (fa[2 * f], fa[2 * f + 1])
        bit = dict(zip(meioses, v, strict=True))
        done = False
        while not done:
            done = True
            for c in range(n):
                if c in al:
                    continue
                f, mo = father[c], mother[c]
                if f in al and mo in al:
                    al[c] = (al[f][bit[(c, 0)]], al[mo][bit[(c, 1)]])
                else:
                    done = False
        return al

    em = np.zeros((n_mark, len(vecs)))
    for j in range(n_mark):
        p = freqs[j]
        for k, v in enumerate(vecs):
            tot = 0.0
            for fa in itertools.product(range(len(p)), repeat=2 * len(founders)):
                al = alleles_of(v, fa)
                ok = all(
                    geno[i, j, 0] < 0 or sorted(al[i]) == sorted(geno[i, j].tolist())
                    for i in range(n)
                )
                if ok:
                    tot += math.prod(p[a] for a in fa)
            em[j, k] = tot
    trans = []
    for j in range(1, n_mark):
        t = np.ones((len(vecs), len(vecs)))
        for a, v in enumerate(vecs):
            for b, w in enumerate(vecs):
                for i, (c, s) in enumerate(meioses):
                    par = father[c] if s == 0 else mother[c]
                    d = (cm_m if male[par] else cm_f)[j] - (cm_m if male[par] else cm_f)[j - 1]
                    r = _haldane(d)
                    t[a, b] *= r if v[i] != w[i] else 1.0 - r
        trans.append(t)
    total = 0.0
    for path in itertools.product(range(len(vecs)), repeat=n_mark):
        pr = em[0, path[0]]
        for j in range(1, n_mark):
            pr *= trans[j - 1][path[j - 1], path[j]] * em[j, path[j]]
        total += pr
    return total / len(vecs)
