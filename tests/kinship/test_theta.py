"""theta (Balding-Nichols) for one typed reference: closed forms of the literature and a
brute-force enumeration of every founder allele drawn jointly with the sampling formula."""

from __future__ import annotations

import itertools
import math
from collections import defaultdict

import numpy as np
import pytest

from dnacase.kinship.theta import draw_probability, pairwise_lr_theta

P = np.array([0.2, 0.3, 0.5])
THETA = 0.03


def _pi(a, th=THETA, n_a=0, n=2):
    return (n_a * th + (1 - th) * P[a]) / (1 + (n - 1) * th)


def test_motherless_paternity_index():
    """Child (a, b), alleged father (a, c), no mother: PI = (1 + 2 theta) / (4 (theta +
    (1 - theta) p_a)) (Balding & Nichols; Buckleton et al., Forensic DNA Evidence
    Interpretation, paternity with theta); 1 / (4 p_a) at theta = 0."""
    a, b, c = 0, 1, 2
    for th in (0.0, 0.01, 0.03, 0.1):
        got = 10 ** pairwise_lr_theta(P, (a, c), (a, b), (0, 1, 0), th)
        assert got == pytest.approx((1 + 2 * th) / (4 * (th + (1 - th) * P[a])), rel=1e-12)


def test_full_sibling_conditional_match_probabilities_nrc2():
    """NRC II (1996) section 4: probability that a full sibling of a person with genotype g
    has g too: homozygote (a, a): [1 + 2 (2t + (1-t) p) / (1 + t) + (2t + (1-t) p)(3t +
    (1-t) p) / ((1 + t)(1 + 2t))] / 4; heterozygote (a, b): [1 + ((t + (1-t) p) + (t + (1-t)
    q)) / (1 + t) + 2 (t + (1-t) p)(t + (1-t) q) / ((1 + t)(1 + 2t))] / 4. The LR is that
    over the unrelated match probability (the last term without the 1/4 weights)."""
    t, sib = THETA, (0.25, 0.5, 0.25)
    p = P[0]
    hom_match = (1 + 2 * (2 * t + (1 - t) * p) / (1 + t)
                 + (2 * t + (1 - t) * p) * (3 * t + (1 - t) * p) / ((1 + t) * (1 + 2 * t))) / 4
    hom_unrel = (2 * t + (1 - t) * p) * (3 * t + (1 - t) * p) / ((1 + t) * (1 + 2 * t))
    got = 10 ** pairwise_lr_theta(P, (0, 0), (0, 0), sib, t)
    assert got == pytest.approx(hom_match / hom_unrel, rel=1e-12)
    q = P[1]
    het_match = (1 + ((t + (1 - t) * p) + (t + (1 - t) * q)) / (1 + t)
                 + 2 * (t + (1 - t) * p) * (t + (1 - t) * q) / ((1 + t) * (1 + 2 * t))) / 4
    het_unrel = 2 * (t + (1 - t) * p) * (t + (1 - t) * q) / ((1 + t) * (1 + 2 * t))
    got = 10 ** pairwise_lr_theta(P, (0, 1), (1, 0), sib, t)
    assert got == pytest.approx(het_match / het_unrel, rel=1e-12)


def test_theta_zero_is_the_hardy_weinberg_pairwise_lr():
    """theta = 0: parent-child of homozygotes (a, a), (a, a) is 1 / p_a; unrelated is 1."""
    assert 10 ** pairwise_lr_theta(P, (0, 0), (0, 0), (0, 1, 0), 0.0) == pytest.approx(1 / P[0])
    assert pairwise_lr_theta(P, (0, 1), (2, 2), (1, 0, 0), THETA) == pytest.approx(0.0)
    assert pairwise_lr_theta(P, (0, 1), (2, 2), (0, 1, 0), THETA) == -math.inf


def _brute(persons, ix, iy, th):
    """P(x, y) (unordered genotypes) on a pedigree ``persons`` [(father, mother) or None],
    every founder allele drawn jointly with the sampling formula, Mendelian transmission."""
    founders = [i for i, pp in enumerate(persons) if pp is None]
    others = [i for i, pp in enumerate(persons) if pp is not None]
    out = defaultdict(float)
    for alleles in itertools.product(range(P.size), repeat=2 * len(founders)):
        pf = draw_probability(alleles, P, th)
        for picks in itertools.product((0, 1), repeat=2 * len(others)):
            g = {f: alleles[2 * n: 2 * n + 2] for n, f in enumerate(founders)}
            for n, i in enumerate(others):  # persons listed after their parents
                fa, mo = persons[i]
                g[i] = (g[fa][picks[2 * n]], g[mo][picks[2 * n + 1]])
            out[(tuple(sorted(g[ix])), tuple(sorted(g[iy])))] += pf / 2 ** len(picks)
    return out


PEDIGREES = {  # persons, x, y, (k0, k1, k2)
    "parent-child": ([None, None, (0, 1)], 0, 2, (0, 1, 0)),
    "full siblings": ([None, None, (0, 1), (0, 1)], 2, 3, (0.25, 0.5, 0.25)),
    "half siblings": ([None, None, None, (0, 1), (0, 2)], 3, 4, (0.5, 0.5, 0)),
    "grandparent (untyped parent)": ([None, None, (0, 1), None, (2, 3)], 0, 4, (0.5, 0.5, 0)),
}


@pytest.mark.parametrize("name", sorted(PEDIGREES))
def test_pairwise_theta_equals_joint_founder_enumeration(name):
    persons, ix, iy, k = PEDIGREES[name]
    joint = _brute(persons, ix, iy, THETA)
    unrel = _brute([None, None], 0, 1, THETA)
    genos = [(a, b) for a in range(P.size) for b in range(a, P.size)]
    for x, y in itertools.product(genos, repeat=2):
        want = joint[(x, y)] / unrel[(x, y)]
        got = pairwise_lr_theta(P, x, y, k, THETA)
        if want == 0:
            assert got == -math.inf
        else:
            assert 10 ** got == pytest.approx(want, rel=1e-10), (x, y)
