"""The JSON result of a solved DVI problem (the ``dnacase dvi solve`` contract)::

    {"id", "pairwise": {V: {M: {"lr", "log10_lr"}}},
     "joint": {"n_assignments", "exhaustive", "rule", "loglik_null", "n_best_tied",
               "top": [{"assignment": {V: M or "*"}, "loglik", "log10_lr_vs_null",
                        "posterior"}]},
     "glr": {V: {M: log10}}, "classification": [...], "engine", "options"}

Pairwise: ``lr`` 0.0 and ``log10_lr`` null for an exclusion; ``lr`` null (``log10_lr``
finite) when the LR overflows a double; both null when the pairing is not considered (sexes
differ or ``pairings`` leaves it out). ``loglik`` is a natural log (null: likelihood 0);
``log10_lr_vs_null`` is log10 of the LR against every victim unassigned; ``posterior`` is
under a flat prior over the enumerated assignments; ``n_best_tied`` counts the assignments
tied for the best (rows tied with the last listed are added, up to 1,000 rows). With a
``prior`` per pairing in the problem each row also has ``posterior_prior``. ``glr`` is
log10 of the generalised LR of each pairing of the enumerated space (null when no assignment
with positive likelihood has it).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..lr import ENGINE_VERSION
from .joint import JointResult
from .problem import DVIProblem

__all__ = ["error_json", "lr_json", "solution_json"]

_LN10 = math.log(10.0)


def lr_json(log10_lr: float) -> dict[str, float | None]:
    """``{"lr", "log10_lr"}`` of a log10 LR (``-inf``: exclusion; ``nan``: not considered)."""
    if math.isnan(log10_lr):
        return {"lr": None, "log10_lr": None}
    if log10_lr == -math.inf:
        return {"lr": 0.0, "log10_lr": None}
    try:
        v = 10.0**log10_lr
    except OverflowError:
        v = math.inf
    return {"lr": v if 0.0 < v < math.inf else None, "log10_lr": float(log10_lr)}


def _num(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def solution_json(
    pr: DVIProblem, pw: np.ndarray, joint: JointResult, classification: list[dict[str, Any]],
    options: dict[str, Any],
) -> dict[str, Any]:
    """The result object of one problem (module docstring). ``pw``: natural-log pairwise LRs."""
    pairwise = {vid: {m: lr_json(pw[v, j] / _LN10) for j, m in enumerate(pr.missing)}
                for v, vid in enumerate(pr.victims)}
    top = []
    for r in joint.rows:
        finite = r.score > -math.inf
        top.append({
            "assignment": dict(zip(pr.victims, r.targets, strict=True)),
            "loglik": joint.loglik_null + r.score if finite else None,
            "log10_lr_vs_null": r.score / _LN10 if finite else None,
            "posterior": math.exp(r.score - joint.log_total) if finite else 0.0,
        })
        if joint.log_total_prior is not None:
            d = sum(pr.prior_delta(v, m) for v, m in enumerate(r.targets))
            x = r.score + d - joint.log_total_prior
            top[-1]["posterior_prior"] = math.exp(x) if finite and x > -math.inf else 0.0
    glr: dict[str, dict[str, float | None]] = {vid: {} for vid in pr.victims}
    for (v, m), g in sorted(joint.glr.items(), key=lambda kv: (kv[0][0],
                                                                pr.missing.index(kv[0][1]))):
        glr[pr.victims[v]][m] = _num(g / _LN10)
    return {
        "id": pr.id,
        "pairwise": pairwise,
        "joint": {"n_assignments": joint.n_assignments, "exhaustive": joint.exhaustive,
                  "rule": joint.rule, "loglik_null": joint.loglik_null,
                  "n_best_tied": joint.n_best, "top": top},
        "glr": glr,
        "classification": classification,
        "engine": ENGINE_VERSION,
        "options": options,
    }


def error_json(problem_id: str, message: str) -> dict[str, str]:
    """The result object of a problem that could not be solved."""
    return {"id": problem_id, "error": message}
