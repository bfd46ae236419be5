"""Linked-marker likelihood along one chromosome: the Lander-Green forward algorithm.

Model: states are inheritance vectors (:mod:`.space`), uniform a priori; between neighbouring
markers j-1 and j each meiosis recombines independently with Haldane's
``r = (1 - exp(-2 d / 100)) / 2``, d the cM distance on the map of the transmitting parent's
sex; emissions from the founder-allele graph (:mod:`.emission`). The forward recursion

    alpha_1 = pi * e_1,   alpha_j = (alpha_{j-1} T_j) * e_j,   c_j = sum(alpha_j)

normalised at every marker gives ``ln P(x_j | x_1 .. x_{j-1}) = ln c_j`` (natural log per
marker; their sum is the chromosome's log-likelihood).
"""

from __future__ import annotations

import numpy as np

from .emission import emissions
from .space import InheritanceSpace, haldane

__all__ = ["chain_loglik"]


def chain_loglik(
    space: InheritanceSpace,
    geno: np.ndarray,
    freqs: np.ndarray,
    cm_male: np.ndarray,
    cm_female: np.ndarray,
) -> np.ndarray:
    """Natural-log chain increments ``ln P(x_j | x_1 .. x_{j-1})`` float64 ``(M,)`` of the
    markers of one chromosome in map order.

    geno: int ``(M, len(space.persons), 2)`` allele indices of the kept persons (``-1``
    untyped); freqs: ``(M, max_alleles)`` padded frequencies; cm_male / cm_female ``(M,)``
    non-decreasing positions in cM. From the first marker whose data are impossible on the
    increments are ``-inf`` there and 0 after it."""
    m = geno.shape[0]
    out = np.zeros(m)
    if m == 0:
        return out
    em = emissions(space.labels, geno, freqs, space.n_founder_alleles)
    r_m, r_f = haldane(np.diff(cm_male)), haldane(np.diff(cm_female))
    mats = _interval_matrices(space, r_m, r_f)
    alpha = np.full(space.n_states, 1.0 / space.n_states)
    for j in range(m):
        if j:
            a = alpha.reshape(space.shape)
            for mat in mats:
                a = np.tensordot(a, mat[j - 1], axes=([0], [0]))
            alpha = a.reshape(-1)
        alpha = alpha * em[j]
        c = alpha.sum()
        if not c > 0.0:
            out[j] = -np.inf
            break
        alpha /= c
        out[j] = np.log(c)
    return out


def _interval_matrices(
    space: InheritanceSpace, r_m: np.ndarray, r_f: np.ndarray
) -> list[np.ndarray]:
    """Per block: its transition matrices for every interval, ``(M - 1, n_b, n_b)``."""
    out = []
    for b, blk in enumerate(space.blocks):
        r = r_m if blk.male else r_f
        out.append(
            np.stack([space.block_matrix(b, float(x)) for x in r])
            if r.size
            else np.zeros((0, 2**blk.bits, 2**blk.bits))
        )
    return out
