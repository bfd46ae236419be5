"""dvir-style classification of a DVI solution.

1. Undisputed (as dvir's ``findUndisputed``, non-strict): a pairing V = M is undisputed when
   its pairwise LR >= T and >= T times every other pairwise LR of V (row) and of M (column).
   It is fixed (V's genotypes placed on M in the family), the LRs of the rest are recomputed
   given it, and the step repeats until nothing new is undisputed.
2. Joint: every other pairing of the best assignment is classified by its generalised LR
   (best assignment with the pairing / best without it, :mod:`.joint`): ``joint`` when
   GLR >= T, ``probable`` when GLR >= T2, else ``inconclusive``. A victim whose target differs
   between equally likely best assignments is a ``tie`` (all its targets listed): never
   picked silently.

T = ``threshold`` (default 1e4), T2 = ``threshold2`` (default T / 10), natural scale.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .joint import JointResult
from .pairwise import Config, FamilyLikelihoods
from .problem import NOT_MISSING

__all__ = ["classify", "undisputed"]

_LN10 = math.log(10.0)


def undisputed(lik: FamilyLikelihoods, threshold: float = 1e4) -> list[tuple[int, str, float]]:
    """Iterated undisputed pairings ``(victim index, missing person, natural-log LR given the
    earlier ones)`` in the order found."""
    pr = lik.problem
    lt = math.log(threshold)
    fixed: dict[int, Config] = {}
    found: list[tuple[int, str, float]] = []
    while True:
        done_v = {v for v, _, _ in found}
        done_m = {m for _, m, _ in found}
        vs = [v for v in range(len(pr.victims)) if v not in done_v]
        ms = [m for m in pr.missing if m not in done_m]
        mat = np.full((len(vs), len(ms)), -math.inf)
        for f in {pr.family_of[m] for m in ms}:
            base = fixed.get(f, ())
            lik.prefetch(f, [tuple(sorted((*base, (m, v)))) for m in pr.families[f].missing
                             if m in ms for v in vs if pr.considered(v, m)])
        for j, m in enumerate(ms):
            f = pr.family_of[m]
            base = fixed.get(f, ())
            b = lik.config_log_lr(f, base)
            for i, v in enumerate(vs):
                if pr.considered(v, m):
                    mat[i, j] = lik.config_log_lr(f, tuple(sorted((*base, (m, v))))) - b
        new = []
        for i, j in zip(*np.nonzero(mat >= lt), strict=True):
            x = mat[i, j]
            others = np.concatenate([np.delete(mat[i], j), np.delete(mat[:, j], i)])
            if not others.size or x >= lt + others.max():
                new.append((vs[i], ms[j], float(x)))
        if not new:
            return found
        for v, m, x in new:
            f = pr.family_of[m]
            fixed[f] = tuple(sorted((*fixed.get(f, ()), (m, v))))
            found.append((v, m, x))


def classify(
    lik: FamilyLikelihoods, pw: np.ndarray, joint: JointResult, threshold: float = 1e4,
    threshold2: float | None = None,
) -> list[dict[str, Any]]:
    """One entry per victim: ``{"victim", "missing", "class", "log10_lr", "log10_glr",
    "alternatives"}`` (see module docstring; ``missing`` null for a tie or no match;
    ``log10_lr``: pairwise, given earlier undisputed pairings for those)."""
    pr = lik.problem
    t2 = threshold / 10 if threshold2 is None else threshold2
    und = {v: (m, x) for v, m, x in undisputed(lik, threshold)}
    col = {m: j for j, m in enumerate(pr.missing)}
    out = []
    for v, vid in enumerate(pr.victims):
        item: dict[str, Any] = {"victim": vid, "missing": None, "class": "not identified",
                                "log10_lr": None, "log10_glr": None, "alternatives": []}
        if v in und:
            m, x = und[v]
            item.update(missing=m, log10_lr=x / _LN10, **{"class": "undisputed"})
            g = joint.glr.get((v, m))
            item["log10_glr"] = _fin(g)
            out.append(item)
            continue
        targets = sorted(joint.best_targets.get(v, {NOT_MISSING}))
        if len(targets) > 1:
            item.update(alternatives=targets, **{"class": "tie"})
        elif targets and targets[0] != NOT_MISSING:
            m = targets[0]
            g = joint.glr.get((v, m), -math.inf)
            cls = ("joint" if g >= math.log(threshold) else
                   "probable" if g >= math.log(t2) else "inconclusive")
            item.update(missing=m, log10_lr=_fin(pw[v, col[m]]), log10_glr=_fin(g),
                        **{"class": cls})
        out.append(item)
    return out


def _fin(x: float | None) -> float | None:
    """log10 of a natural-log value, None when infinite or absent."""
    if x is None or not math.isfinite(x):
        return None
    return float(x) / _LN10
