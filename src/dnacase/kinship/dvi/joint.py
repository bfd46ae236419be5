"""Joint assignments of a DVI problem: enumeration, pruning, posteriors.

An assignment maps every victim to one missing person or ``*``, no missing person twice,
within the allowed pairings. With natural logs (see :mod:`.pairwise`)::

    ln L(a) = ln L_null + sum_f lnLR_f(c_f(a))

where ``c_f(a)`` is the configuration (missing person -> victim) that ``a`` gives family f:
each family's factor depends only on the victims it receives, so it is computed once per
configuration (:class:`.pairwise.FamilyLikelihoods`) and shared by every assignment.
Posterior under a flat prior over the enumerated assignments:
``exp(ln L(a)) / sum_a' exp(ln L(a'))``; under a prior per pairing (weights w(V, M), the
prior of an assignment the product over victims): ``w(a) L(a) / sum_a' w(a') L(a')``.

Families and victims split into independent components (no victim is a candidate in two
components); the assignment space is their product, so each component is enumerated alone
(family by family, vectorised over partial assignments) and the best assignments, totals and
counts are combined exactly.

Pruning (``exhaustive: false``): when the allowed space exceeds ``max_assignments``, the
pairings are restricted, in this order, until it fits: (1) exclusions removed (pairwise LR 0,
or more than ``max_incomp`` loci inconsistent without mutation, as dvir's ``findExcluded``);
(2) besides, only pairings with pairwise LR >= 1, then >= 10, 100, ... kept (``*`` always
kept), as dvir's ``pairwiseLR(limit = )``. The rule applied is reported. A space whose upper
size bound is far above the cap is not enumerated at all (no long enumeration abandoned).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .pairwise import FamilyLikelihoods, incompatible_loci
from .problem import NOT_MISSING, DVIError, DVIProblem
from .space import (
    Enumeration,
    candidates,
    components,
    enumerate_component,
    space_bound,
    targets_of,
)

__all__ = ["JointOptions", "JointResult", "Row", "solve_joint"]

#: Two log-likelihoods closer than this (natural log) are an exact tie (symmetric missing
#: persons give equal values up to rounding).
TIE_TOL = 1e-9


@dataclass(frozen=True)
class JointOptions:
    """``max_assignments``: largest space enumerated (per component); ``top``: rows kept
    (at least; rows tied with the last are added); ``lr_limit``: force the pairwise-LR
    restriction (natural scale, e.g. 1.0) whatever the size; ``max_incomp``: the exclusion
    rule's largest number of inconsistent loci (dvir's ``maxIncomp``)."""

    max_assignments: int = 2_000_000
    top: int = 10
    lr_limit: float | None = None
    max_incomp: int = 2


@dataclass(frozen=True)
class Row:
    """One assignment: ``targets[v]`` missing person or ``*`` per victim; ``score``: natural-log
    LR against all-``*`` (``-inf``: likelihood 0)."""

    targets: tuple[str, ...]
    score: float


@dataclass
class JointResult:
    """``n_assignments``: size of the enumerated space; ``log_total``: ln sum_a exp(score(a));
    ``rows``: best assignments, decreasing score; ``glr``: (victim, missing person) ->
    natural-log generalised LR; ``rule``: the pruning rule (None when exhaustive);
    ``n_best``: number of assignments tied for the best; ``best_targets``: victim -> its
    targets among those tied best assignments (more than one: a tie)."""

    loglik_null: float
    n_assignments: int
    exhaustive: bool
    rule: str | None
    log_total: float
    rows: list[Row]
    glr: dict[tuple[int, str], float] = field(default_factory=dict)
    n_best: int = 1
    best_targets: dict[int, set[str]] = field(default_factory=dict)
    log_total_prior: float | None = None


def _logsumexp(x: np.ndarray) -> float:
    mx = float(np.max(x)) if x.size else -math.inf
    if mx == -math.inf:
        return -math.inf
    return mx + math.log(float(np.exp(x - mx).sum()))


#: Most rows listed: the best ``top`` plus rows tied with the last, up to this many (many
#: independent symmetric families multiply their ties; the full count is ``n_best``).
MAX_ROWS = 1000


def _best(scores: np.ndarray, k: int, cap: int | None = None) -> np.ndarray:
    """Indices of the ``k`` best scores (decreasing), plus rows tied with the last (up to
    ``cap`` rows in all when given)."""
    order = np.argsort(-scores, kind="stable")
    if order.size <= k:
        return order
    last = scores[order[k - 1]]
    n = k
    stop = order.size if cap is None else min(order.size, max(cap, k))
    while last > -math.inf and n < stop and abs(scores[order[n]] - last) <= TIE_TOL:
        n += 1
    return order[:n]


def _glr(e: Enumeration, out: dict[tuple[int, str], float]) -> None:
    """Natural-log GLR of each pairing of the component: best score with it minus best
    without it (``-inf``: no possible assignment has it)."""
    for fi, cfgs in enumerate(e.configs):
        gmax = np.full(len(cfgs), -math.inf)
        np.maximum.at(gmax, e.choice[:, fi], e.scores)
        pairs = {p for c in cfgs for p in c}
        for m, v in pairs:
            has = np.array([(m, v) in c for c in cfgs])
            w, wo = gmax[has].max(), gmax[~has].max() if (~has).any() else -math.inf
            d = -math.inf if w == -math.inf else (math.inf if wo == -math.inf
                                                  else float(w - wo))
            out[(v, m)] = 0.0 if abs(d) <= TIE_TOL else d  # symmetric persons: an exact tie


def _combine(parts: Sequence[tuple[np.ndarray, list[dict[int, str]]]], k: int
             ) -> list[tuple[float, dict[int, str]]]:
    """The best assignments of a product of independent components (scores add)."""
    sc = np.zeros(1)
    idx = np.zeros((1, 0), dtype=np.int64)
    for scores, _ in parts:
        tot = (sc[:, None] + scores[None, :]).ravel()
        keep = _best(tot, k, MAX_ROWS)
        a, b = np.divmod(keep, scores.size)
        sc, idx = tot[keep], np.column_stack([idx[a], b])
    out = []
    for r in range(sc.size):
        tg: dict[int, str] = {}
        for c, (_, targets) in enumerate(parts):
            tg.update(targets[idx[r, c]])
        out.append((float(sc[r]), tg))
    return out


#: A component whose size bound exceeds the cap by at most this factor is still tried (the
#: enumeration stops as soon as it passes the cap); beyond, the next pruning rule applies.
_TRY_ABOVE_BOUND = 8


def _try(pr, lik, cands, pw_excl, cap, k):
    comps = components(cands, len(pr.victims))
    if any(space_bound(c, cands) > _TRY_ABOVE_BOUND * cap for c in comps):
        return None
    enums = []
    for comp in comps:
        e = enumerate_component(comp, cands, lik, pw_excl, cap)
        if e is None:
            return None
        enums.append(e)
    return enums


def solve_joint(lik: FamilyLikelihoods, pw: np.ndarray, opts: JointOptions = JointOptions()
                ) -> JointResult:
    """Enumerate (or prune, see module docstring) and summarise the joint assignments.
    ``pw``: the pairwise natural-log LR matrix of :func:`.pairwise.pairwise_log_lr`."""
    pr = lik.problem
    for v, allowed in enumerate(pr.allowed):
        if not allowed:
            raise DVIError(f"problem {pr.id!r}, victim {pr.victims[v]!r}: no allowed pairing")
    col = {m: j for j, m in enumerate(pr.missing)}

    def excl(v: int, m: str) -> bool:
        return pw[v, col[m]] == -math.inf

    rules: list[tuple[str | None, object]] = []
    if opts.lr_limit is None:
        rules.append((None, lambda v, j: True))
        limits = [10.0**e for e in range(0, 31)]
    else:
        limits = [opts.lr_limit]
    inc: list[np.ndarray] = []  # computed when first needed

    def kept(v: int, j: int) -> bool:
        if not inc:
            inc.append(incompatible_loci(lik))
        return pw[v, j] > -math.inf and inc[0][v, j] <= opts.max_incomp

    excl_rule = f"exclusions removed (pairwise LR 0 or more than {opts.max_incomp} " \
                "inconsistent loci)"
    if opts.lr_limit is None:
        rules.append((excl_rule, kept))
    for lim in limits:
        lg = math.log(lim) if lim > 0 else -math.inf
        rules.append((f"{excl_rule}; pairings restricted to pairwise LR >= {lim:g} (and '*')",
                      lambda v, j, lg=lg: kept(v, j) and pw[v, j] >= lg - 1e-12))
    cap = opts.max_assignments if opts.lr_limit is None else 10**18
    for rule, keep in rules:
        enums = _try(pr, lik, candidates(pr, pw, keep), excl, cap, opts.top)
        if enums is not None:
            return _summarise(pr, lik, enums, rule, opts.top)
    raise DVIError(f"problem {pr.id!r}: more than {opts.max_assignments:,} assignments "
                   "even with the strictest pruning")


def _summarise(pr: DVIProblem, lik: FamilyLikelihoods, enums: list[Enumeration], rule, k: int
               ) -> JointResult:
    in_comp = {v for e in enums for v in e.comp.victims}
    forced = [v for v, a in enumerate(pr.allowed) if NOT_MISSING not in a and v not in in_comp]
    if forced:
        raise DVIError(f"problem {pr.id!r}, victim {pr.victims[forced[0]]!r}: no possible "
                       "assignment (no candidate and '*' not allowed)")
    n, n_best, log_total, log_total_prior = 1, 1, 0.0, 0.0
    parts = []
    glr: dict[tuple[int, str], float] = {}
    best_targets = {v: {NOT_MISSING} for v in range(len(pr.victims))}
    for e in enums:
        n *= int(e.scores.size)
        log_total += _logsumexp(e.scores)
        if pr.log_prior is not None:
            log_total_prior += _logsumexp(e.scores + _prior_deltas(pr, e))
        top = _best(e.scores, k, MAX_ROWS)
        parts.append((e.scores[top], [targets_of(e, int(i)) for i in top]))
        mx = float(e.scores.max())
        tied = np.flatnonzero(np.abs(e.scores - mx) <= TIE_TOL) if mx > -math.inf else []
        n_best *= max(1, len(tied))
        for v in e.comp.victims:
            best_targets[v] = set()
        for i in tied:
            tg = targets_of(e, int(i))
            for v in e.comp.victims:
                best_targets[v].add(tg.get(v, NOT_MISSING))
        _glr(e, glr)
    rows = [Row(tuple(tg.get(v, NOT_MISSING) for v in range(len(pr.victims))), s)
            for s, tg in _combine(parts, k)]
    return JointResult(lik.loglik_null(), n, rule is None, rule, log_total, rows, glr,
                       n_best, best_targets,
                       None if pr.log_prior is None else log_total_prior)


def _prior_deltas(pr: DVIProblem, e: Enumeration) -> np.ndarray:
    """Per enumerated row, ln of its prior weight relative to all-'*' (see
    :attr:`.problem.DVIProblem.log_prior`)."""
    out = np.zeros(e.scores.size)
    for fi, cfgs in enumerate(e.configs):
        d = np.array([sum(pr.prior_delta(v, m) for m, v in c) for c in cfgs])
        out += d[e.choice[:, fi]]
    return out
