"""Posteriors over the whole pool: every registered missing person, every recovered remains.

Model. For remains V and the registered missing persons M_1..M_N (N = ``n_missing``, the
persons of the registry with status ``missing``), the priors are ``pi_j`` (V is M_j) and
``pi_0`` (V is nobody in the registry), with ``sum_j pi_j + pi_0 = 1``. Given the DNA data::

    P(V = M_i | data) = pi_i LR_i / (sum_j pi_j LR_j + pi_0)

the sum running over *every* registered missing person: a family the search scored
contributes ``pi_j LR_j`` (LR 0 for a pair the lineage filter excluded, or whose references
are impossible), a person never scored (no typed relative) contributes ``pi_j x 1`` (no
evidence either way). ``LR_j`` is the autosomal LR of the pair (H1: V is M_j, the missing
person of the family pedigree; H2: V is unrelated to the family), loci independent
(the product of the per-locus LRs); the families' LRs are treated as the LRs of the
alternatives "V is M_j" against one common "V unrelated to all of them" (the families are
taken as unrelated to each other).

Priors (``prior_mode`` of the run; ``pi_0`` = the run parameter ``prior_none``, default 0.1:
one remains in ten is taken to be of someone not in the registry, e.g. a soldier never
registered as missing, or a person already identified elsewhere):

* ``flat``: ``pi_j = (1 - pi_0) / N`` for every registered missing person;
* ``area``: for remains from a cemetery with a ``candidate_pool_size`` ``n_c``:
  ``pi_j = (1 - pi_0) / n`` with ``n = max(n_c, families scored)``: the registry does not say
  *which* persons make up the pool, so every scored family is counted in it (the rivals get
  the raised prior too: conservative) and the ``n - scored`` others at LR 1; other remains
  take the flat prior;
* ``fixed`` (prior value ``p``): the pool is ``n = round((1 - pi_0) / p)`` persons (at least
  the families scored), ``pi_j = (1 - pi_0) / n``, i.e. ``p`` when it fits.

In every mode the prior is the same for every person of V's pool, so it factors out of the
sums: the search stores ``S_V = sum_j LR_j`` over the families scored and the posterior is
``pi LR_i / (pi (S_V + n - n_scored) + pi_0)``.

The family's side. For missing person M and the remains R_1..R_K (K = the remains of the
registry, at least those scored): ``rho_k = P(M = R_k)`` and ``rho_0`` = M is not among the
remains recovered. Under the same joint flat model each remains is a given registered person
with probability ``(1 - pi_0) / N``, so ``rho = min((1 - pi_0) / N, 1 / K)`` for every remains and
``rho_0 = 1 - K rho`` (with 300,000 missing and 10,000 remains, ``rho_0`` is about 0.97)::

    P(M = R_i | data) = rho LR_i / (rho (S_M + K - k_scored) + rho_0)

Which posterior decides. A candidate's posterior is the *smaller* of the two (a pair is only
as certain as its weaker side: two remains matching one son, or one remains matching two
brothers, lower it); the reviewer sees both. A pair enters the review queue when it meets
either rule: ``LR >= lr_threshold`` (default 10^4) or ``posterior >= posterior_threshold``
(default 0.999); the page says which (with a flat prior over 300,000 missing persons a
posterior of 0.999 needs an LR above 3 x 10^8).

Sums are exact over all pairs, stored or not (:func:`dnacase.kinship.pool_sums.screen_sums`);
they are kept as the largest term and the rest so that ``sum_{j != i}`` (the denominator's
"others" for the best pair) is exact too. The posteriors of stored pairs and open review
cases use the newest finished whole-grid run (``all`` or ``incremental``) that summed the
remains or the family; remains or families not yet in such a run are given the
no-information denominator (every other person at LR 1).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dnacase.kinship.pool_sums import PoolSums
from dnacase.models.registry import MissingPerson, Remains
from dnacase.models.review import ReviewCase
from dnacase.models.search import SearchBlock, SearchPoolSum, SearchResult, SearchRun

__all__ = [
    "DEFAULT_PRIOR_NONE",
    "PairPosterior",
    "PoolContext",
    "SidePosterior",
    "fold_run_sums",
    "pair_posteriors",
    "pool_context",
    "refresh_posteriors",
    "rules_met",
    "rules_of_cases",
    "side_posterior",
]

DEFAULT_PRIOR_NONE = 0.1
_TIE = 1e-9  # log10 LRs closer than this are the same pair's value


def _log10(x: float) -> float:
    return math.log10(x) if x > 0 else -math.inf


def _add(a: float, b: float) -> float:
    """log10(10^a + 10^b)."""
    if a == -math.inf:
        return b
    if b == -math.inf:
        return a
    hi, lo = (a, b) if a >= b else (b, a)
    return hi + math.log10(1.0 + 10.0 ** (lo - hi))


def _sub(a: float, b: float) -> float:
    """log10(10^a - 10^b) for a > b."""
    if b == -math.inf:
        return a
    return a + math.log10(-math.expm1((b - a) * math.log(10.0)))


@dataclass(frozen=True, slots=True)
class SidePosterior:
    """One side's posterior of a pair (log10 odds and probability) and what went into it:
    ``prior`` (each person's or each remains' prior), ``prior_none`` (``pi_0`` or ``rho_0``),
    ``log10_others`` (log10 of the sum of the *other* scored LRs), ``n_unscored`` (pool
    members never scored, at LR 1), ``pool`` (the pool size)."""

    log10_odds: float
    posterior: float
    prior: float
    prior_none: float
    log10_others: float
    n_unscored: int
    pool: int


def side_posterior(log10_lr: float, log10_max: float, log10_rest: float, *, prior: float,
                   prior_none: float, n_unscored: int, pool: int) -> SidePosterior:
    """``pi LR_i / (pi (sum_j LR_j + n_unscored) + pi_0)`` in log space (module doc): the
    sum is given as its largest term and the rest (log10); the pair's own term is taken out
    exactly when it is the largest, by subtraction otherwise, and when the sum does not hold
    it (a newer LR than the run that summed) the whole sum counts as others."""
    if log10_lr == -math.inf:
        return SidePosterior(-math.inf, 0.0, prior, prior_none, -math.inf, n_unscored, pool)
    if log10_max > -math.inf and abs(log10_lr - log10_max) <= _TIE * max(1.0, abs(log10_lr)):
        others = log10_rest
    else:
        total = _add(log10_max, log10_rest)
        others = _sub(total, log10_lr) if total > log10_lr + _TIE else total
    num = _log10(prior) + log10_lr
    rest = _add(_log10(prior) + _add(others, _log10(n_unscored)), _log10(prior_none))
    odds = num - rest
    post = 1.0 if odds > 300 else (0.0 if odds < -300 else 1.0 / (1.0 + 10.0 ** (-odds)))
    return SidePosterior(odds, post, prior, prior_none, others, n_unscored, pool)


@dataclass(frozen=True, slots=True)
class PairPosterior:
    """Both sides of a pair; ``decisive`` is the smaller (module doc)."""

    remains_side: SidePosterior
    family_side: SidePosterior

    @property
    def decisive(self) -> SidePosterior:
        r, f = self.remains_side, self.family_side
        return r if r.log10_odds <= f.log10_odds else f


def rules_met(log10_lr: float, posterior: float, lr_threshold: float,
              posterior_threshold: float) -> tuple[str, ...]:
    """Which queue rules a pair meets: ``"lr"`` (LR >= threshold), ``"posterior"``."""
    out = []
    if log10_lr >= math.log10(lr_threshold) - 1e-12:
        out.append("lr")
    if posterior >= posterior_threshold:
        out.append("posterior")
    return tuple(out)


# --------------------------------------------------------------------------- run context
@dataclass(frozen=True, slots=True)
class PoolContext:
    """The pool of a run (``run.notes["pool"]``): ``prior_none`` (pi_0), ``n_missing`` (N),
    ``n_remains`` (K), the families and remains it scored (``n_families_scored``,
    ``n_remains_scored``; whole-grid runs only, else 0), ``prior_mode`` and ``default_pool``
    (flat: N; fixed: (1 - pi_0) / p)."""

    prior_none: float
    n_missing: int
    n_remains: int
    n_families_scored: int
    n_remains_scored: int
    prior_mode: str = "flat"
    default_pool: int = 0

    @classmethod
    def of(cls, run: SearchRun) -> PoolContext:
        d = dict((run.notes or {}).get("pool") or {})
        # a run recorded before pool posteriors: its flat prior was 1 / the missing persons
        n0 = round(1.0 / run.prior_value) if run.prior_value and run.prior_mode != "fixed" \
            else max(int(run.n_families or 0), 2)
        return cls(float(d.get("prior_none", DEFAULT_PRIOR_NONE)), int(d.get("n_missing", n0)),
                   int(d.get("n_remains", max(run.n_remains or 0, 1))),
                   int(d.get("n_families_scored", 0)), int(d.get("n_remains_scored", 0)),
                   str(d.get("prior_mode", run.prior_mode)),
                   int(d.get("default_pool", d.get("n_missing", n0))))

    def as_json(self) -> dict[str, Any]:
        return {"prior_none": self.prior_none, "n_missing": self.n_missing,
                "n_remains": self.n_remains, "n_families_scored": self.n_families_scored,
                "n_remains_scored": self.n_remains_scored, "prior_mode": self.prior_mode,
                "default_pool": self.default_pool, "rho": self.rho, "rho_none": self.rho_none}

    def remains_pool(self, area_pool: int | None = None) -> int:
        """Pool size n of a remains (module doc)."""
        base = area_pool if area_pool else self.default_pool
        return max(int(base), self.n_families_scored, 1)

    @property
    def n_remains_pool(self) -> int:
        return max(self.n_remains, self.n_remains_scored, 1)

    @property
    def rho(self) -> float:
        """Prior that the family's missing person is one given remains."""
        return min((1.0 - self.prior_none) / max(self.n_missing, self.n_families_scored, 1),
                   1.0 / self.n_remains_pool)

    @property
    def rho_none(self) -> float:
        """Prior that the missing person is not among the remains recovered."""
        return max(0.0, 1.0 - self.n_remains_pool * self.rho)


async def pool_context(session: AsyncSession, params: Any, *, n_families_scored: int,
                       n_remains_scored: int) -> PoolContext:
    """The pool of a run about to be recorded (counts from the registry)."""
    n_missing = int((await session.execute(select(func.count()).select_from(MissingPerson)
                                           .where(MissingPerson.status == "missing"))).scalar_one())
    n_remains = int((await session.execute(select(func.count()).select_from(Remains)))
                    .scalar_one())
    pi0 = float(params.prior_none)
    default = max(n_missing, 2)
    if params.prior_mode == "fixed" and params.prior_value:
        default = max(1, round((1.0 - pi0) / float(params.prior_value)))
    return PoolContext(pi0, max(n_missing, 2), max(n_remains, 1), n_families_scored,
                       n_remains_scored, params.prior_mode, default)


# --------------------------------------------------------------------------- folding
def _pool_bytes(p: PoolSums) -> bytes:
    return np.ascontiguousarray(p.to_array(), "<f8").tobytes()


def _pool_from(b: bytes) -> PoolSums:
    return PoolSums.from_array(np.frombuffer(b, "<f8"))


block_bytes = _pool_bytes


def _opt(x: float) -> float | None:
    return None if x == -math.inf else float(x)


async def fold_run_sums(session: AsyncSession, run: SearchRun, family_ids: Sequence[int],
                        remains_ids: Sequence[int]) -> int:
    """Fold the blocks' partial sums of ``run`` into its :class:`SearchPoolSum` rows (one per
    remains and per family; ``family_ids`` / ``remains_ids`` in the run's order) and clear
    them from the blocks; returns the number of rows. Called in the finishing transaction."""
    blocks = list((await session.execute(select(SearchBlock).where(
        SearchBlock.run_id == run.id).order_by(SearchBlock.block_no))).scalars())
    if not blocks or any(b.remains_sums is None or b.family_sums is None for b in blocks):
        return 0
    rem = PoolSums.empty(len(remains_ids))
    fam = PoolSums.empty(len(family_ids))
    for b in blocks:
        assert b.remains_sums is not None and b.family_sums is not None
        rem = rem.merge(_pool_from(b.remains_sums))
        part = _pool_from(b.family_sums)
        sl = slice(b.family_start, b.family_stop)
        fam.log10_max[sl], fam.best[sl], fam.log10_rest[sl] = (
            part.log10_max, part.best, part.log10_rest)
    rows: list[dict[str, Any]] = []
    for side, ids, sums, other in (("remains", remains_ids, rem, family_ids),
                                   ("family", family_ids, fam, remains_ids)):
        for i, sid in enumerate(ids):
            best = int(sums.best[i])
            rows.append({"run_id": run.id, "side": side, "subject_id": int(sid),
                         "log10_max": _opt(sums.log10_max[i]),
                         "best_id": int(other[best]) if best >= 0 else None,
                         "log10_rest": _opt(sums.log10_rest[i])})
    from sqlalchemy import insert

    for c in range(0, len(rows), 2000):
        await session.execute(insert(SearchPoolSum), rows[c:c + 2000])
    await session.execute(update(SearchBlock).where(SearchBlock.run_id == run.id).values(
        family_sums=None, remains_sums=None))
    return len(rows)


# --------------------------------------------------------------------------- lookups
_SUMMED = ("all", "incremental")


async def _newest_sums(session: AsyncSession, side: str, ids: Iterable[int]
                       ) -> dict[int, tuple[SearchPoolSum, SearchRun]]:
    """The newest finished whole-grid run's sums of each subject."""
    ids = sorted(set(ids))
    rows: dict[int, tuple[SearchPoolSum, int]] = {}
    for c in range(0, len(ids), 1000):
        q = (select(SearchPoolSum).join(SearchRun, SearchRun.id == SearchPoolSum.run_id)
             .where(SearchPoolSum.side == side, SearchPoolSum.subject_id.in_(ids[c:c + 1000]),
                    SearchRun.status == "done", SearchRun.scope.in_(_SUMMED))
             .order_by(SearchPoolSum.subject_id, SearchRun.finished_at, SearchRun.id))
        for row in (await session.execute(q)).scalars():
            rows[int(row.subject_id)] = (row, int(row.run_id))  # the last (newest) wins
    runs = {r.id: r for r in (await session.execute(select(SearchRun).where(
        SearchRun.id.in_({rid for _row, rid in rows.values()})))).scalars()} if rows else {}
    return {sid: (row, runs[rid]) for sid, (row, rid) in rows.items()}


def _max_rest(row: SearchPoolSum | None) -> tuple[float, float]:
    if row is None:
        return -math.inf, -math.inf
    return (-math.inf if row.log10_max is None else row.log10_max,
            -math.inf if row.log10_rest is None else row.log10_rest)


async def _area_pool_sizes(session: AsyncSession, run: SearchRun,
                           remains_ids: Iterable[int]) -> dict[int, int]:
    if run.prior_mode != "area":
        return {}
    from dnacase.services.search import area_priors

    pools = {int(k): int(v) for k, v in (((run.notes or {}).get("prior_area") or {})
                                         .get("cemeteries") or {}).items()}
    return {rid: round(1.0 / p) for rid, p in (await area_priors(
        session, list(remains_ids), pools)).items()}


async def pair_posteriors(
    session: AsyncSession, pairs: Sequence[tuple[int, int, float]], fallback: SearchRun,
) -> dict[tuple[int, int, float], PairPosterior]:
    """Both posteriors of each ``(remains id, missing person id, log10 LR)`` with the newest
    sums of the remains and of the family (``fallback``: the run whose priors apply to a
    subject no whole-grid run summed)."""
    if not pairs:
        return {}
    by_rem = await _newest_sums(session, "remains", (p[0] for p in pairs))
    by_fam = await _newest_sums(session, "family", (p[1] for p in pairs))
    runs = {r.id: r for _row, r in (*by_rem.values(), *by_fam.values())}
    runs.setdefault(fallback.id, fallback)
    area: dict[int, dict[int, int]] = {}
    for run in runs.values():
        rids = [p[0] for p in pairs if (by_rem.get(p[0], (None, fallback))[1].id == run.id)]
        area[run.id] = await _area_pool_sizes(session, run, rids) if rids else {}
    out: dict[tuple[int, int], PairPosterior] = {}
    for rid, mid, lr in pairs:
        rrow, rrun = by_rem.get(rid, (None, fallback))
        ctx = PoolContext.of(rrun)
        n = ctx.remains_pool(area[rrun.id].get(rid))
        scored = ctx.n_families_scored if rrow is not None else 1
        mx, rest = _max_rest(rrow)
        rs = side_posterior(lr, mx, rest, prior=(1.0 - ctx.prior_none) / n,
                            prior_none=ctx.prior_none, n_unscored=max(n - scored, 0), pool=n)
        frow, frun = by_fam.get(mid, (None, fallback))
        fctx = PoolContext.of(frun)
        k = fctx.n_remains_pool
        kscored = fctx.n_remains_scored if frow is not None else 1
        mx, rest = _max_rest(frow)
        fs = side_posterior(lr, mx, rest, prior=fctx.rho, prior_none=fctx.rho_none,
                            n_unscored=max(k - kscored, 0), pool=k)
        out[(rid, mid, lr)] = PairPosterior(rs, fs)
    return out


async def rules_of_cases(session: AsyncSession, cases: Sequence[Any]
                         ) -> dict[int, tuple[str, ...]]:
    """The queue rules each case meets (:func:`rules_met`, its LR and posterior against the
    thresholds of the run that stored its result); ``cases``: ``(case, result)`` pairs."""
    run_ids = {res.run_id for _c, res in cases}
    runs = {r.id: r for r in (await session.execute(select(SearchRun).where(
        SearchRun.id.in_(run_ids)))).scalars()} if run_ids else {}
    return {int(c.id): rules_met(res.log10_lr, c.posterior, runs[res.run_id].lr_threshold,
                                 runs[res.run_id].posterior_threshold) for c, res in cases}


async def refresh_posteriors(session: AsyncSession, run: SearchRun) -> int:
    """Posteriors of the run's stored pairs (prior, log10 odds, posterior = the decisive
    side, candidate = either rule) and of the open review cases, from the newest sums;
    returns how many rows and cases were refreshed."""
    rows = list((await session.execute(select(SearchResult).where(
        SearchResult.run_id == run.id))).scalars())
    cases = list((await session.execute(select(ReviewCase, SearchResult).join(
        SearchResult, SearchResult.id == ReviewCase.result_id).where(
        ReviewCase.status.in_(("open", "more_references"))))).all())
    pairs = {(r.remains_id, r.missing_person_id, r.log10_lr) for r in rows}
    pairs |= {(c.remains_id, c.missing_person_id, res.log10_lr) for c, res in cases}
    post = await pair_posteriors(session, sorted(pairs), run)
    for r in rows:
        p = post[(r.remains_id, r.missing_person_id, r.log10_lr)]
        d = p.decisive
        r.prior = p.remains_side.prior
        r.log10_posterior_odds = d.log10_odds
        r.posterior = d.posterior
        r.candidate = bool(rules_met(r.log10_lr, d.posterior, run.lr_threshold,
                                     run.posterior_threshold))
    for c, res in cases:
        c.posterior = post[(c.remains_id, c.missing_person_id, res.log10_lr)].decisive.posterior
        c.log10_lr = res.log10_lr
    await session.flush()
    return len(rows) + len(cases)
