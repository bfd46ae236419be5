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

import numba as nb
import numpy as np

from .emission import distinct_emissions
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
    em, inv = distinct_emissions(space.labels, geno, freqs)
    r_m, r_f = haldane(np.diff(cm_male)), haldane(np.diff(cm_female))
    mats, strides, sizes = _interval_matrices(space, r_m, r_f)
    return _forward(em, inv, mats, strides, sizes)


def _interval_matrices(
    space: InheritanceSpace, r_m: np.ndarray, r_f: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Block transition matrices of every interval, zero padded: ``(B, M - 1, n, n)``, and
    each block's stride and size in the flat (C order) state index."""
    n_b = len(space.blocks)
    nmax = max(space.shape, default=1)
    mats = np.zeros((n_b, r_m.size, nmax, nmax))
    for b, blk in enumerate(space.blocks):
        r = r_m if blk.male else r_f
        k = 2**blk.bits
        mats[b, :, :k, :k] = space.block_matrices(b, r)
    sizes = np.array(space.shape, dtype=np.int64)
    strides = np.ones(n_b, dtype=np.int64)
    for b in range(n_b - 2, -1, -1):
        strides[b] = strides[b + 1] * sizes[b + 1]
    return mats, strides, sizes


@nb.njit(cache=True, nogil=True)
def _forward(
    em: np.ndarray, inv: np.ndarray, mats: np.ndarray, strides: np.ndarray, sizes: np.ndarray
) -> np.ndarray:
    m, n_states = em.shape[0], inv.size
    out = np.zeros(m)
    alpha = np.full(n_states, 1.0 / n_states)
    tmp = np.empty(n_states)
    for j in range(m):
        if j:
            for b in range(sizes.size):
                st, n = strides[b], sizes[b]
                if n == 1:
                    continue
                t = mats[b, j - 1]
                for outer in range(0, n_states, n * st):
                    for inner in range(st):
                        base = outer + inner
                        for d in range(n):
                            acc = 0.0
                            for k in range(n):
                                acc += alpha[base + k * st] * t[k, d]
                            tmp[base + d * st] = acc
                alpha, tmp = tmp, alpha
        c = 0.0
        for s in range(n_states):
            alpha[s] *= em[j, inv[s]]
            c += alpha[s]
        if not c > 0.0:
            out[j] = -np.inf
            break
        for s in range(n_states):
            alpha[s] /= c
        out[j] = np.log(c)
    return out
