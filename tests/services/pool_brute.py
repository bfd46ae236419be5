"""Brute-force pool posteriors (the reference for :mod:`dnacase.services.posteriors`).

Plain Python over an explicit list of every pair's LR (as a float ratio, not log-sum-exp):
for remains V, ``P(V = M_i) = pi LR_i / (sum_j pi_j LR_j + pi_0)`` with the sum over every
registered missing person (scored families at their LR, the others at LR 1); for family M the
same over every registered remains with ``rho`` and ``rho_0`` (see the module doc there).
"""

from __future__ import annotations

import math


def brute_posteriors(lrs: dict[tuple[int, int], float], *, n_missing: int, n_remains: int,
                     families: list[int], remains: list[int], pi0: float,
                     pool: int | None = None) -> dict[tuple[int, int], tuple[float, float]]:
    """``{(remains, missing person): (remains-side posterior, family-side posterior)}`` for
    every pair in ``lrs`` (log10 LRs of *every* scored pair, -inf for LR 0)."""
    n = max(pool or n_missing, len(families))
    pi = (1 - pi0) / n
    k = max(n_remains, len(remains))
    rho = min((1 - pi0) / max(n_missing, len(families)), 1 / k)
    rho0 = 1 - k * rho
    lr = {key: (0.0 if v == -math.inf else 10.0 ** v) for key, v in lrs.items()}
    out = {}
    for (r, m), x in lr.items():
        den_r = sum(pi * lr[(r, f)] for f in families) + pi * (n - len(families)) + pi0
        den_f = sum(rho * lr[(q, m)] for q in remains) + rho * (k - len(remains)) + rho0
        out[(r, m)] = (pi * x / den_r, rho * x / den_f)
    return out


def brute_sums(lrs: dict[tuple[int, int], float], families: list[int], remains: list[int]
               ) -> tuple[dict[int, float], dict[int, float]]:
    """log10 of the sum of the LRs per remains (over families) and per family (over remains)."""
    def lg(vals):
        s = sum(0.0 if v == -math.inf else 10.0 ** v for v in vals)
        return math.log10(s) if s > 0 else -math.inf
    return ({r: lg(lrs[(r, f)] for f in families) for r in remains},
            {f: lg(lrs[(r, f)] for r in remains) for f in families})
