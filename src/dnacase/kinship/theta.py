"""theta (F_ST) for one typed reference: the Balding-Nichols sampling formula, pairwise.

Balding & Nichols (1994): in a subpopulation with coancestry ``theta``, after ``n`` alleles of
which ``n_a`` were ``a`` have been drawn, the next allele is ``a`` with probability::

    P(a | n_a of n) = (n_a theta + (1 - theta) p_a) / (1 + (n - 1) theta)

(:func:`next_allele`); a set of founder alleles is one joint draw (:func:`draw_probability`),
not a product over founders.

**What is exact here.** Two persons, a typed reference ``x`` and the person of interest ``y``
(both with two peaks), related with IBD probabilities ``(k0, k1, k2)`` (the pedigree between
them, untyped relatives included), no mutation. Given the IBD state, the alleles of ``y`` not
IBD with ``x`` are new draws from the subpopulation after ``x``'s two alleles; alleles of
untyped relatives that are never observed marginalise out of the exchangeable draw. So::

    P(y | x, H1) = k0 P0 + k1 P1 + k2 [y = x]
    P0 = P(y's two alleles drawn after x's two)              (also P(y | x, H2): unrelated)
    P1 = 1/2 sum_{s in x} P(y = {s, t}, t drawn after x's two)
    LR = P(y | x, H1) / P0

(:func:`pairwise_lr_theta`, log10 per locus). With ``theta = 0`` it is the textbook pairwise
LR ``k0 + k1 P1 / P0 + k2 [y = x] / P0``. Checked in ``tests/kinship/test_theta.py`` against
the closed forms of the literature (NRC II 1996, section 4: conditional match probabilities of
full siblings; the motherless paternity index ``(1 + 2 theta) / (4 (theta + (1 - theta)
p_a))``) and against a brute-force enumeration of every founder allele of small pedigrees
drawn jointly with the sampling formula.

**What is not.** A family with two or more typed references, or any mutation model: the
founder alleles of the whole pedigree are one joint draw, which the variable-elimination
engine (founders independent, Hardy-Weinberg) cannot represent; conditioning the person of
interest on the *typed* references' alleles alone is not the model when untyped founders
carry unobserved alleles that are correlated with them. The search therefore keeps refusing
``theta > 0`` (``docs/evidence-model.md``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = ["draw_probability", "next_allele", "pairwise_lr_theta"]


def next_allele(a: int, drawn: Sequence[int], p: np.ndarray, theta: float) -> float:
    """Probability that the next allele is ``a`` after the alleles ``drawn`` (sampling formula,
    module doc)."""
    n = len(drawn)
    n_a = sum(1 for x in drawn if x == a)
    return (n_a * theta + (1.0 - theta) * float(p[a])) / (1.0 + (n - 1) * theta)


def draw_probability(alleles: Sequence[int], p: np.ndarray, theta: float,
                     drawn: Sequence[int] = ()) -> float:
    """Probability of drawing the ordered ``alleles`` one after another after ``drawn``."""
    seen = list(drawn)
    out = 1.0
    for a in alleles:
        out *= next_allele(a, seen, p, theta)
        seen.append(a)
    return out


def _unordered(y: tuple[int, int], p: np.ndarray, theta: float, drawn: Sequence[int]) -> float:
    a, b = y
    first = draw_probability((a, b), p, theta, drawn)
    return first if a == b else first + draw_probability((b, a), p, theta, drawn)


def pairwise_lr_theta(freqs: np.ndarray, x: tuple[int, int], y: tuple[int, int],
                      k: tuple[float, float, float], theta: float) -> float:
    """log10 LR at one locus of ``y`` related to the typed reference ``x`` with IBD
    probabilities ``k = (k0, k1, k2)`` against ``y`` unrelated to ``x`` (same subpopulation,
    coancestry ``theta``); genotypes as allele indices into ``freqs``, two peaks each, no
    mutation (module doc). ``-inf`` when the relationship excludes ``y``."""
    if not (0.0 <= theta < 1.0):
        raise ValueError("theta must be in [0, 1)")
    if abs(sum(k) - 1.0) > 1e-12 or min(k) < 0:
        raise ValueError("IBD probabilities must be non-negative and sum to 1")
    p = np.asarray(freqs, dtype=np.float64)
    drawn = (int(x[0]), int(x[1]))
    yy = (int(y[0]), int(y[1]))
    p0 = _unordered(yy, p, theta, drawn)
    p1 = 0.0
    for s in drawn:  # the allele of x shared IBD, 1/2 each
        if s == yy[0]:
            p1 += 0.5 * next_allele(yy[1], drawn, p, theta)
        elif s == yy[1]:
            p1 += 0.5 * next_allele(yy[0], drawn, p, theta)
    p2 = 1.0 if sorted(yy) == sorted(drawn) else 0.0
    num = k[0] * p0 + k[1] * p1 + k[2] * p2
    return math.log10(num / p0) if num > 0 else -math.inf
