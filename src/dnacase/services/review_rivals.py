"""Decisions that stay consistent: one identification per remains and per missing person.

Rules (issue 10, "Decisions that stay consistent"):

* **Rivals** of a case are the other cases of the same remains or of the same missing person.
  The *active* rivals (``open`` or ``more_references``) are still competing: a reviewer may
  confirm a case with active rivals only after acknowledging them (they are named, with their
  LRs and posteriors, in the refusal and on the candidate page).
* **One identification**: a remains with a confirmed case cannot be confirmed as anyone else, and
  a missing person identified by one remains cannot be confirmed with another. The refusal names
  the existing identification (case, person, remains) and the two reviewers who confirmed it.
  The database enforces the same with two partial unique indexes on ``status = 'confirmed'``
  (:mod:`dnacase.models.review`); a violation raised there comes back as the same
  :class:`Conflict`.
* **Closing and re-opening**: confirming a case closes its active rivals (status
  ``closed_rival``, ``closed_by_case_id`` = the confirmed case); an admin's withdrawal of that
  identification re-opens them in the next round, unless another confirmed identification still
  blocks them (they then point at that one). Every change writes an audit entry in the caller's
  transaction.
* **Re-associated remains are one individual** (:mod:`dnacase.services.reassociation`): the
  rules above treat a group's members as one remains. A case's rivals are the cases of every
  member and of the same missing person; a confirmed identification of member A blocks
  confirming member B as another person; confirming A as M is no contradiction with B's open
  case for M: that case is closed as part of the same identification (``closed_rival`` with
  ``closed_reason``), needs no acknowledgement, and cannot itself be confirmed once A is.
* **Concurrency**: :func:`lock_related` locks the case and all its rivals in id order
  (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite serialises writers), so two confirmations of
  rivals cannot both pass the service's check, and never deadlock on each other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from dnacase.db import utcnow
from dnacase.domain.numbers import lr_text, posterior_parts
from dnacase.i18n import gettext as _
from dnacase.models.registry import Cemetery, Grave, MissingPerson, Remains
from dnacase.models.review import ACTIVE_STATUSES, ReviewCase, ReviewDecision
from dnacase.models.search import SearchResult
from dnacase.models.users import User
from dnacase.services import audit
from dnacase.services.errors import Conflict, NotFound, ValidationFailed

__all__ = [
    "Identification",
    "Rival",
    "blocking_identification",
    "close_group_members",
    "close_rivals",
    "closed_reason_text",
    "existing_identification",
    "flush_confirmation",
    "lock_related",
    "reopen_rivals",
    "require_acknowledgement",
    "rivals_of",
]


#: stored ``closed_reason`` codes; :func:`closed_reason_text` writes them in the user's language
SAME_IDENTIFICATION = "same_individual:{case}:{remains}"
MEMBER_OF_GROUP = "group_member:{rep}"


def closed_reason_text(reason: str | None) -> str:
    """A stored ``closed_reason`` as a sentence in the current language ("" for none)."""
    kind, _sep, rest = (reason or "").partition(":")
    args = rest.split(":")
    if kind == "same_individual" and len(args) == 2:
        return _("Closed as part of the identification of case #%(case)s: remains #%(remains)s "
                 "and these remains are re-associated as one individual.",
                 case=args[0], remains=args[1])
    if kind == "group_member" and args[0]:
        return _("Closed when these remains were re-associated with remains #%(rep)s as one "
                 "individual: the search compares the group's consensus profile under "
                 "#%(rep)s.", rep=args[0])
    return reason or ""


def _related(members: list[int], missing_person_id: int) -> Any:
    return or_(ReviewCase.remains_id.in_(members),
               ReviewCase.missing_person_id == missing_person_id)


async def _members(session: AsyncSession, remains_id: int) -> list[int]:
    """The remains re-associated with ``remains_id`` (itself included): one individual."""
    from dnacase.services.reassociation import group_members

    return await group_members(session, remains_id)


def same_individual(case: ReviewCase, other: ReviewCase, members: list[int]) -> bool:
    """``other`` names the same person for another sample of the same individual: not a
    rival of ``case`` but part of the same identification."""
    return (other.missing_person_id == case.missing_person_id
            and other.remains_id != case.remains_id and other.remains_id in members)


async def lock_related(session: AsyncSession, case_id: int) -> tuple[ReviewCase, list[ReviewCase]]:
    """The case and its rivals (same remains, or re-associated with it, or same missing
    person), locked in id order and re-read; returns ``(case, rivals)``. Raises
    :class:`NotFound`."""
    ids = (await session.execute(select(ReviewCase.remains_id, ReviewCase.missing_person_id)
                                 .where(ReviewCase.id == case_id))).first()
    if ids is None:
        raise NotFound(_("Review case %(id)s not found.", id=case_id))
    members = await _members(session, ids[0])
    rows = list((await session.execute(
        select(ReviewCase).where(_related(members, ids[1])).order_by(ReviewCase.id)
        .with_for_update().execution_options(populate_existing=True))).scalars())
    case = next(c for c in rows if c.id == case_id)
    return case, [c for c in rows if c.id != case_id]


def remains_label(rem: Remains | None, grave: Grave | None, cemetery: Cemetery | None,
                  remains_id: int) -> str:
    """``#11 (Trường Sơn, A-3-12)``, ``#11 (recovery site)`` or ``#11``."""
    place = ""
    if grave is not None:
        place = ", ".join(p for p in ((cemetery.name if cemetery else ""), grave.label) if p)
    elif rem is not None:
        place = rem.recovery_site
    return f"#{remains_id} ({place})" if place else f"#{remains_id}"


async def _labels(session: AsyncSession, cases: list[ReviewCase]
                  ) -> tuple[dict[int, str], dict[int, str]]:
    """Names of the cases' missing persons and labels of their remains, by id."""
    names = dict((await session.execute(select(MissingPerson.id, MissingPerson.full_name).where(
        MissingPerson.id.in_({c.missing_person_id for c in cases})))).all()) if cases else {}
    rems = {r.id: r for r in (await session.execute(select(Remains).where(
        Remains.id.in_({c.remains_id for c in cases})))).scalars()} if cases else {}
    gids = {r.grave_id for r in rems.values() if r.grave_id}
    graves = {g.id: g for g in (await session.execute(
        select(Grave).where(Grave.id.in_(gids)))).scalars()} if gids else {}
    cids = {g.cemetery_id for g in graves.values()}
    cems = {c.id: c for c in (await session.execute(
        select(Cemetery).where(Cemetery.id.in_(cids)))).scalars()} if cids else {}
    labels = {}
    for rid in {c.remains_id for c in cases}:
        rem = rems.get(rid)
        grave = graves.get(rem.grave_id) if rem is not None and rem.grave_id else None
        labels[rid] = remains_label(rem, grave, cems.get(grave.cemetery_id) if grave else None,
                                    rid)
    return names, labels


@dataclass(slots=True)
class Rival:
    """Another case of the same remains (``same == "remains"``) or of the same missing person
    (``same == "missing_person"``). ``log10_lr``: the combined log10 LR of its search result;
    ``posterior`` and ``log10_posterior_odds`` as stored with that result."""

    case: ReviewCase
    same: str
    name: str
    remains: str
    log10_lr: float
    posterior: float
    log10_posterior_odds: float

    @property
    def active(self) -> bool:
        return self.case.status in ACTIVE_STATUSES


async def rivals_of(session: AsyncSession, case: ReviewCase,
                    rivals: list[ReviewCase] | None = None) -> list[Rival]:
    """The case's rivals (all statuses), active ones first, then strongest first."""
    if rivals is None:
        rivals = list((await session.execute(select(ReviewCase).where(
            _related(await _members(session, case.remains_id), case.missing_person_id),
            ReviewCase.id != case.id))).scalars())
    if not rivals:
        return []
    results = {r.id: r for r in (await session.execute(select(SearchResult).where(
        SearchResult.id.in_([c.result_id for c in rivals])))).scalars()}
    names, labels = await _labels(session, rivals)
    out = []
    for c in rivals:
        res = results.get(c.result_id)
        out.append(Rival(
            c, "missing_person" if c.missing_person_id == case.missing_person_id
            else "remains",
            names.get(c.missing_person_id, ""), labels[c.remains_id],
            res.log10_lr if res else c.log10_lr, res.posterior if res else c.posterior,
            res.log10_posterior_odds if res else float("nan")))
    out.sort(key=lambda r: (not r.active, -r.log10_lr, r.case.id or 0))
    return out


def posterior_words(posterior: float, log10_odds: float) -> str:
    """A posterior in a sentence: ``> 99.99 % (log10 odds 12.30)``
    (:mod:`dnacase.domain.numbers`)."""
    pct, odds = posterior_parts(posterior, log10_odds)
    return _("%(percent)s (log10 odds %(odds)s)", percent=pct, odds=odds)


def rival_text(r: Rival) -> str:
    """One rival for a refusal message: case, person, remains, LR and posterior as displayed."""
    return _("case #%(case)s (%(name)s, remains %(remains)s): LR %(lr)s, posterior %(post)s",
             case=r.case.id, name=r.name, remains=r.remains, lr=lr_text(r.log10_lr),
             post=posterior_words(r.posterior, r.log10_posterior_odds))


async def require_acknowledgement(session: AsyncSession, case: ReviewCase,
                                  rivals: list[ReviewCase], acknowledged: bool) -> list[int]:
    """The ids of the case's active rivals, which the reviewer must have acknowledged before a
    confirmation; raises :class:`ValidationFailed` naming them when ``acknowledged`` is false."""
    members = await _members(session, case.remains_id)
    active = [c for c in rivals if c.status in ACTIVE_STATUSES
              and not same_individual(case, c, members)]
    if active and not acknowledged:
        listed = "; ".join(rival_text(r) for r in await rivals_of(session, case, active))
        res = await session.get(SearchResult, case.result_id)
        assert res is not None
        raise ValidationFailed(
            _("Other candidates for these remains or this missing person are still open: "
              "%(rivals)s. This case: LR %(lr)s, posterior %(post)s. Confirm only after "
              "weighing them, and tick the acknowledgement.", rivals=listed,
              lr=lr_text(res.log10_lr), post=posterior_words(res.posterior,
                                                              res.log10_posterior_odds)),
            field_errors={"acknowledge_rivals": _(
                "Acknowledge the rival candidates to confirm this one.")},
            details={"rivals": [c.id for c in active]})
    return sorted(c.id for c in active if c.id is not None)


@dataclass(slots=True)
class Identification:
    """A confirmed case that blocks another confirmation, with what the refusal must name."""

    case_id: int
    same: str
    name: str
    remains: str
    reviewers: list[str]

    def conflict(self) -> Conflict:
        who = ", ".join(self.reviewers) or "?"
        if self.same == "individual":
            msg = _("These remains are re-associated with remains %(remains)s, already "
                    "identified as %(name)s (case #%(case)s, confirmed by %(reviewers)s): this "
                    "case is part of that identification.",
                    remains=self.remains, name=self.name, case=self.case_id, reviewers=who)
        elif self.same == "remains":
            msg = _("Remains %(remains)s are already identified as %(name)s (case #%(case)s, "
                    "confirmed by %(reviewers)s). An admin must withdraw that identification "
                    "before the remains can be confirmed as anyone else.",
                    remains=self.remains, name=self.name, case=self.case_id, reviewers=who)
        else:
            msg = _("%(name)s is already identified by remains %(remains)s (case #%(case)s, "
                    "confirmed by %(reviewers)s). An admin must withdraw that identification "
                    "before another remains can be confirmed as this person.",
                    remains=self.remains, name=self.name, case=self.case_id, reviewers=who)
        return Conflict(msg, details={"identified_case": self.case_id})


async def existing_identification(
    session: AsyncSession, case_id: int | None, remains_id: int, missing_person_id: int
) -> Identification | None:
    """The confirmed case (other than ``case_id``) of the same remains (or remains re-associated
    with it: one individual), else of the same missing person; ``None`` when there is none.
    ``same``: ``"remains"`` (identified as someone else), ``"missing_person"`` (the person
    identified by other remains) or ``"individual"`` (another sample of the same individual
    identified as the same person: this case is part of that identification)."""
    members = await _members(session, remains_id)
    rows = list((await session.execute(select(ReviewCase).where(
        _related(members, missing_person_id), ReviewCase.status == "confirmed",
        ReviewCase.id != (case_id or -1)))).scalars())
    if not rows:
        return None
    # the same remains first, then the same individual as someone else
    rows.sort(key=lambda c: (c.remains_id != remains_id, c.remains_id not in members))
    hit = rows[0]
    names, labels = await _labels(session, [hit])
    reviewers = [n for (n,) in await session.execute(
        select(User.display_name).join(ReviewDecision, ReviewDecision.reviewer_id == User.id)
        .where(ReviewDecision.case_id == hit.id, ReviewDecision.round == hit.round,
               ReviewDecision.decision == "confirm").order_by(ReviewDecision.id))]
    same = ("missing_person" if hit.remains_id not in members else "individual"
            if hit.missing_person_id == missing_person_id and hit.remains_id != remains_id
            else "remains")
    return Identification(hit.id or 0, same, names.get(hit.missing_person_id, ""),
                          labels[hit.remains_id], reviewers)


def _one_identification_violated(exc: IntegrityError) -> bool:
    """The violation is one of the two partial unique indexes (PostgreSQL names the index,
    SQLite the column)."""
    msg = str(exc.orig)
    return "uq_review_cases_confirmed" in msg or bool(re.search(
        r"UNIQUE constraint failed: review_cases\.(remains_id|missing_person_id)\s*$", msg))


async def blocking_identification(session: AsyncSession, case: ReviewCase,
                                  decision: str) -> Identification | None:
    """The identification that refuses this decision: any decision on a ``closed_rival`` case,
    a confirmation of an open case whose remains or person is already identified."""
    if case.status == "closed_rival" or (decision == "confirm" and case.status == "open"):
        return await existing_identification(session, case.id, case.remains_id,
                                             case.missing_person_id)
    return None


async def flush_confirmation(session: AsyncSession, case: ReviewCase) -> None:
    """Flush a confirmation; a violation of the one-identification indexes (a concurrent
    confirmation won) becomes the :class:`Conflict` naming the winner. The caller's transaction
    is then unusable and must be rolled back (the web layer and ``unit_of_work`` do)."""
    case_id, remains_id, mp_id = case.id, case.remains_id, case.missing_person_id
    try:
        await session.flush()
    except IntegrityError as exc:
        if not _one_identification_violated(exc):
            raise
        # read the committed winner on a fresh connection (this transaction is aborted)
        async with AsyncSession(session.bind, expire_on_commit=False) as fresh:
            ident = await existing_identification(fresh, case_id, remains_id, mp_id)
        if ident is None:
            raise Conflict(_("Another identification of these remains or this missing person "
                             "was confirmed at the same time. Reload the page.")) from exc
        raise ident.conflict() from exc


async def close_rivals(session: AsyncSession, case: ReviewCase, rivals: list[ReviewCase],
                       actor: Any, meta: audit.RequestMeta | None) -> list[ReviewCase]:
    """Close the active rivals of a case being confirmed (``closed_rival``, audited); a case
    of another sample of the same individual for the same person is closed as part of this
    identification (``closed_reason`` says so; audit ``review.case.close_same_individual``)."""
    closed = []
    members = await _members(session, case.remains_id)
    for r in rivals:
        if r.status not in ACTIVE_STATUSES:
            continue
        before = audit.snapshot(r)
        r.status, r.closed_by_case_id, r.updated_at = "closed_rival", case.id, utcnow()
        action = "review.case.close_rival"
        if same_individual(case, r, members):
            r.closed_reason = SAME_IDENTIFICATION.format(case=case.id, remains=case.remains_id)
            action = "review.case.close_same_individual"
        await audit.record(session, actor, action, r, before=before,
                           after=audit.snapshot(r), request_meta=meta)
        closed.append(r)
    return closed


async def reopen_rivals(session: AsyncSession, case: ReviewCase, rivals: list[ReviewCase],
                        actor: Any, meta: audit.RequestMeta | None) -> list[ReviewCase]:
    """After ``case``'s identification was withdrawn: re-open (next round) the rivals it had
    closed, or point them at another confirmed identification that still blocks them."""
    reopened = []
    for r in rivals:
        if r.status != "closed_rival" or r.closed_by_case_id != case.id:
            continue
        before = audit.snapshot(r)
        other = await existing_identification(session, r.id, r.remains_id, r.missing_person_id)
        if other is not None:
            r.closed_by_case_id = other.case_id
        else:
            r.status, r.round, r.closed_by_case_id = "open", r.round + 1, None
            r.closed_reason = None
            reopened.append(r)
        r.updated_at = utcnow()
        await audit.record(session, actor, "review.case.reopen_rival" if other is None
                           else "review.case.close_rival", r, before=before,
                           after=audit.snapshot(r), request_meta=meta)
    return reopened


async def close_group_members(session: AsyncSession, members: list[int], actor: Any,
                              meta: audit.RequestMeta | None) -> list[ReviewCase]:
    """When remains are re-associated: the active cases of every member but the group's
    representative (the lowest id, under which the search reads the consensus profile) are
    closed with the reason (``closed_rival``, ``closed_reason``; audited)."""
    rep, others = members[0], members[1:]
    if not others:
        return []
    rows = list((await session.execute(select(ReviewCase).where(
        ReviewCase.remains_id.in_(others), ReviewCase.status.in_(ACTIVE_STATUSES))
        .order_by(ReviewCase.id).with_for_update())).scalars())
    for r in rows:
        before = audit.snapshot(r)
        r.status, r.closed_reason = "closed_rival", MEMBER_OF_GROUP.format(rep=rep)
        r.updated_at = utcnow()
        await audit.record(session, actor, "review.case.close_group_member", r, before=before,
                           after=audit.snapshot(r), request_meta=meta)
    return rows
