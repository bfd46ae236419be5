"""Solve a DVI problem end to end: pairwise LRs, joint assignments, GLR, classification."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .classify import classify
from .joint import JointOptions, solve_joint
from .pairwise import FamilyLikelihoods, pairwise_log_lr
from .problem import DVIProblem
from .result import solution_json

__all__ = ["DVIOptions", "solve"]


@dataclass(frozen=True)
class DVIOptions:
    """``max_assignments``/``top``/``lr_limit``: see :class:`.joint.JointOptions`;
    ``threshold``/``threshold2``: classification LR thresholds (natural scale);
    ``max_clique``: the engine's complexity limit (None: its default)."""

    max_assignments: int = 2_000_000
    top: int = 10
    lr_limit: float | None = None
    threshold: float = 1e4
    threshold2: float | None = None
    max_clique: int | None = None


def solve(problem: DVIProblem, options: DVIOptions = DVIOptions()) -> dict[str, Any]:
    """The result object of :func:`.result.solution_json`; :class:`.problem.DVIError` when the
    problem cannot be solved (naming the family, person or locus)."""
    lik = FamilyLikelihoods(problem, options.max_clique)
    pw = pairwise_log_lr(lik)
    for f in range(len(problem.families)):
        lik.base(f)  # families without a candidate: their references must be possible too
    joint = solve_joint(lik, pw, JointOptions(options.max_assignments, options.top,
                                              options.lr_limit))
    cls = classify(lik, pw, joint, options.threshold, options.threshold2)
    return solution_json(problem, pw, joint, cls, asdict(options))
