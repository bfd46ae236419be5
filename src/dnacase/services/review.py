"""The review queue: candidates from searches, two-reviewer confirmation, withdrawal.

Rules:

* A stored search result enters the queue (a :class:`ReviewCase`) when it meets either of the
  run's rules (``LR >= lr_threshold`` or pool-wide ``posterior >= posterior_threshold``;
  defaults 10,000 and 0.999; :mod:`dnacase.services.posteriors`); the queue is ranked by that
  posterior, refreshed for open cases after every search. A new run updates open cases,
  reopens a case waiting for more references (next round) when its LR changed (new
  references), and never touches confirmed, rejected or withdrawn ones.
* Ambiguity is shown: for each case, the other families the remains matched and the other
  remains the family matched (in the same run, pairs stored), and the ratio of the case's LR to
  the best competitor (log10 difference).
* Decisions (reviewer or admin role; a reason is required): ``confirm``, ``reject`` or
  ``more_references`` (with the relative who would help most). A reject or a request for more
  references closes the round at once; confirmation needs two *different* reviewers confirming
  in the same round. Blind review: :func:`visible_decisions` shows a reviewer the round's other
  decisions only after they decided (or once the case is closed).
* Confirmation marks the missing person ``identified`` and the remains' grave ``identified``
  with that person; an admin can withdraw a confirmed identification with a reason (the grave
  and the person go back). Every step writes an audit entry in the same transaction.
* One identification per remains and per missing person, rivals acknowledged before a
  confirmation, rivals closed on confirmation and re-opened on withdrawal:
  :mod:`dnacase.services.review_rivals`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from dnacase.db import utcnow
from dnacase.i18n import N_
from dnacase.i18n import gettext as _
from dnacase.models.families import FamilyRelationship, Relative
from dnacase.models.registry import Cemetery, Grave, MissingPerson, Remains
from dnacase.models.review import DECISIONS, ReviewCase, ReviewDecision
from dnacase.models.search import SearchResult, SearchRun
from dnacase.services import audit
from dnacase.services import review_rivals as rivals
from dnacase.services.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from dnacase.services.review_rivals import rivals_of

__all__ = [
    "Competitor",
    "QueueItem",
    "decide",
    "enqueue_candidates",
    "get_case",
    "list_queue",
    "rivals_of",
    "suggest_references",
    "visible_decisions",
    "withdraw",
]

REVIEW_ROLES = ("reviewer", "admin")
# relationships ranked by how much a typed relative of that kind adds to a missing-person LR
_HELP_ORDER = (
    "mother", "father", "son", "daughter", "full_brother", "full_sister", "spouse",
    "paternal_grandfather", "paternal_grandmother", "maternal_grandfather",
    "maternal_grandmother", "paternal_half_brother", "paternal_half_sister",
    "maternal_half_brother", "maternal_half_sister", "paternal_uncle", "paternal_aunt",
    "maternal_uncle", "maternal_aunt", "grandson", "granddaughter", "nephew", "niece",
    "first_cousin",
)


def _roles(actor: Any) -> frozenset[str]:
    roles = getattr(actor, "roles", None)
    if roles is None:
        return frozenset()
    return frozenset(getattr(r, "role", r) for r in roles)


#: Case statuses, decisions and search-run statuses are shown translated (``_(code)``).
STATUS_LABELS: tuple[str, ...] = (
    N_("open"), N_("confirmed"), N_("rejected"), N_("more_references"), N_("withdrawn"),
    N_("closed_rival"),
    N_("confirm"), N_("reject"),
    N_("queued"), N_("running"), N_("done"), N_("failed"), N_("interrupted"),
)


def _require(actor: Any, *roles: str) -> None:
    if not (_roles(actor) & set(roles)):
        raise PermissionDenied(_("This action needs one of the roles: %(roles)s.",
                                 roles=", ".join(_(r) for r in roles)))


async def enqueue_candidates(session: AsyncSession, run: SearchRun) -> int:
    """Create or update review cases for the run's candidates; returns how many changed."""
    rows = list((await session.execute(select(SearchResult).where(
        SearchResult.run_id == run.id, SearchResult.candidate.is_(True)))).scalars())
    if not rows:
        return 0
    existing = {(c.remains_id, c.missing_person_id): c for c in (await session.execute(
        select(ReviewCase).where(or_(*[and_(ReviewCase.remains_id == r.remains_id,
                                            ReviewCase.missing_person_id == r.missing_person_id)
                                       for r in rows])))).scalars()} if len(rows) < 500 else {
        (c.remains_id, c.missing_person_id): c
        for c in (await session.execute(select(ReviewCase))).scalars()}
    confirmed = list((await session.execute(select(ReviewCase).where(
        ReviewCase.status == "confirmed"))).scalars())
    from dnacase.services.reassociation import group_map

    gmap = await group_map(session)  # re-associated remains: one individual
    groups: dict[int, list[int]] = {}
    for rid, gid in gmap.items():
        groups.setdefault(gid, []).append(rid)
    by_remains = {m: c.id for c in confirmed
                  for m in groups.get(gmap.get(c.remains_id, -1), [c.remains_id])}
    by_person = {c.missing_person_id: c.id for c in confirmed}
    changed = 0
    for r in rows:
        case = existing.get((r.remains_id, r.missing_person_id))
        if case is None:
            case = ReviewCase(remains_id=r.remains_id, missing_person_id=r.missing_person_id,
                              result_id=r.id, log10_lr=r.log10_lr, posterior=r.posterior)
            # a rival of a confirmed identification arrives closed
            blocker = by_remains.get(r.remains_id) or by_person.get(r.missing_person_id)
            if blocker is not None:
                case.status, case.closed_by_case_id = "closed_rival", blocker
            session.add(case)
            await session.flush()
            await audit.record(session, audit.SYSTEM, "review.case.enqueue", case,
                               after=audit.snapshot(case))
            changed += 1
        elif case.status in ("open", "more_references") and case.result_id != r.id:
            before = audit.snapshot(case)
            changed_lr = abs(case.log10_lr - r.log10_lr) > 1e-9
            case.result_id, case.log10_lr, case.posterior = r.id, r.log10_lr, r.posterior
            if case.status == "more_references" and changed_lr:
                # new references changed the evidence: the next round of review
                case.status, case.round = "open", case.round + 1
            case.updated_at = utcnow()
            await audit.record(session, audit.SYSTEM, "review.case.update", case, before=before,
                               after=audit.snapshot(case))
            changed += 1
    return changed


@dataclass(slots=True)
class Competitor:
    """Another stored pair sharing the remains or the family of a case (log10 LR)."""

    remains_id: int
    missing_person_id: int
    log10_lr: float
    posterior: float
    name: str = ""


@dataclass(slots=True)
class QueueItem:
    case: ReviewCase
    result: SearchResult
    missing: MissingPerson
    remains: Remains
    grave: Grave | None
    cemetery: Cemetery | None
    other_families: list[Competitor] = field(default_factory=list)
    other_remains: list[Competitor] = field(default_factory=list)

    @property
    def ambiguous(self) -> bool:
        lr_min = 4.0
        return any(c.log10_lr >= lr_min for c in self.other_families + self.other_remains)

    @property
    def log10_ratio_families(self) -> float | None:
        """log10 (this LR / best LR of another family for the same remains); ``None`` when no
        other family was stored for these remains."""
        if not self.other_families:
            return None
        return self.result.log10_lr - max(c.log10_lr for c in self.other_families)

    @property
    def log10_ratio_remains(self) -> float | None:
        """log10 (this LR / best LR of other remains for the same family)."""
        if not self.other_remains:
            return None
        return self.result.log10_lr - max(c.log10_lr for c in self.other_remains)

    @property
    def log10_ratio(self) -> float | None:
        """The smaller of the two ratios (the closest competitor), ``None`` without one."""
        vals = [v for v in (self.log10_ratio_families, self.log10_ratio_remains) if v is not None]
        return min(vals) if vals else None


async def _items(session: AsyncSession, cases: list[ReviewCase]) -> list[QueueItem]:
    if not cases:
        return []
    results = {r.id: r for r in (await session.execute(select(SearchResult).where(
        SearchResult.id.in_([c.result_id for c in cases])))).scalars()}
    mps = {m.id: m for m in (await session.execute(select(MissingPerson).where(
        MissingPerson.id.in_({c.missing_person_id for c in cases})))).scalars()}
    rem = {r.id: r for r in (await session.execute(select(Remains).where(
        Remains.id.in_({c.remains_id for c in cases})))).scalars()}
    gids = {r.grave_id for r in rem.values() if r.grave_id}
    graves = {g.id: g for g in (await session.execute(
        select(Grave).where(Grave.id.in_(gids)))).scalars()} if gids else {}
    cids = {g.cemetery_id for g in graves.values()}
    cems = {c.id: c for c in (await session.execute(select(Cemetery).where(
        Cemetery.id.in_(cids)))).scalars()} if cids else {}
    run_ids = {r.run_id for r in results.values()}
    rids = {c.remains_id for c in cases}
    mids = {c.missing_person_id for c in cases}
    comp = list((await session.execute(select(
        SearchResult.run_id, SearchResult.remains_id, SearchResult.missing_person_id,
        SearchResult.log10_lr, SearchResult.posterior).where(
        SearchResult.run_id.in_(run_ids),
        or_(SearchResult.remains_id.in_(rids), SearchResult.missing_person_id.in_(mids))))
    ).all())
    names = {m.id: m.full_name for m in mps.values()}
    extra = {x[2] for x in comp} - set(names)
    if extra:
        for mid, nm in await session.execute(select(MissingPerson.id, MissingPerson.full_name)
                                             .where(MissingPerson.id.in_(extra))):
            names[mid] = nm
    by_remains: dict[tuple[int, int], list[Competitor]] = {}
    by_family: dict[tuple[int, int], list[Competitor]] = {}
    for run_id, rid, mid, lr, post in comp:
        comp_item = Competitor(rid, mid, lr, post, names.get(mid, ""))
        by_remains.setdefault((run_id, rid), []).append(comp_item)
        by_family.setdefault((run_id, mid), []).append(comp_item)
    items = []
    for c in cases:
        res = results[c.result_id]
        r = rem[c.remains_id]
        g = graves.get(r.grave_id) if r.grave_id else None
        fams = sorted((x for x in by_remains.get((res.run_id, c.remains_id), [])
                       if x.missing_person_id != c.missing_person_id),
                      key=lambda x: -x.log10_lr)
        rems = sorted((x for x in by_family.get((res.run_id, c.missing_person_id), [])
                       if x.remains_id != c.remains_id), key=lambda x: -x.log10_lr)
        items.append(QueueItem(c, res, mps[c.missing_person_id], r, g,
                               cems.get(g.cemetery_id) if g else None, fams[:5], rems[:5]))
    return items


async def list_queue(
    session: AsyncSession, *, status: str | None = "open", limit: int = 1000
) -> list[QueueItem]:
    """Cases (default: open ones), highest pool-wide posterior first (then LR), with their
    competitors."""
    q = select(ReviewCase)
    if status:
        q = q.where(ReviewCase.status == status)
    q = q.order_by(ReviewCase.posterior.desc(), ReviewCase.log10_lr.desc(),
                   ReviewCase.id).limit(limit)
    return await _items(session, list((await session.execute(q)).scalars()))


async def get_case(session: AsyncSession, case_id: int) -> QueueItem:
    case = await session.get(ReviewCase, case_id)
    if case is None:
        raise NotFound(_("Review case %(id)s not found.", id=case_id))
    return (await _items(session, [case]))[0]


async def decisions_of(session: AsyncSession, case: ReviewCase) -> list[ReviewDecision]:
    return list((await session.execute(select(ReviewDecision).where(
        ReviewDecision.case_id == case.id).order_by(ReviewDecision.id))).scalars())


async def visible_decisions(
    session: AsyncSession, case: ReviewCase, viewer: Any
) -> list[ReviewDecision]:
    """Blind review: the current round's decisions are shown to a viewer only after they
    decided in that round or once the case is closed; earlier rounds are always shown."""
    all_d = await decisions_of(session, case)
    if case.status != "open":
        return all_d
    mine = any(d.round == case.round and d.reviewer_id == getattr(viewer, "id", None)
               for d in all_d)
    return [d for d in all_d if d.round < case.round or mine]


async def decide(
    session: AsyncSession,
    case_id: int,
    reviewer: Any,
    decision: str,
    reason: str,
    *,
    suggested_relative: str = "",
    acknowledge_rivals: bool = False,
    request_meta: audit.RequestMeta | None = None,
) -> ReviewCase:
    """Record a reviewer's decision (see module doc for the rules); returns the case.

    ``confirm`` is refused (:class:`Conflict`) when the remains or the missing person already
    has a confirmed identification, and (:class:`ValidationFailed`) while rival cases are open
    unless ``acknowledge_rivals`` (their ids are stored with the decision)."""
    _require(reviewer, *REVIEW_ROLES)
    if decision not in DECISIONS:
        raise ValidationFailed(_("Choose a decision (there is no default).") if not decision
                               else _("Unknown decision."), field_errors={
            "decision": _("Choose one of: %(choices)s.",
                          choices=", ".join(_(d) for d in DECISIONS))})
    if not reason or not reason.strip():
        raise ValidationFailed(_("A reason is required."), field_errors={
            "reason": _("Give the reason for the decision.")})
    case, related = await rivals.lock_related(session, case_id)
    ident = await rivals.blocking_identification(session, case, decision)
    if ident is not None:
        raise ident.conflict()
    if case.status != "open":
        raise Conflict(_("The case is %(status)s; no decision can be added.",
                         status=_(case.status)))
    prior = [d for d in await decisions_of(session, case) if d.round == case.round]
    if any(d.reviewer_id == reviewer.id for d in prior):
        raise Conflict(_("You have already decided on this case; a second, different reviewer "
                         "must decide."))
    acknowledged = (await rivals.require_acknowledgement(
        session, case, related, acknowledge_rivals) if decision == "confirm" else [])
    d = ReviewDecision(case_id=case.id, round=case.round, reviewer_id=reviewer.id,
                       decision=decision, reason=reason.strip(),
                       suggested_relative=suggested_relative.strip(), result_id=case.result_id,
                       rivals_acknowledged=acknowledged or None)
    session.add(d)
    await session.flush()
    await audit.record(session, reviewer, f"review.decision.{decision}", d,
                       after=audit.snapshot(d), request_meta=request_meta)
    before = audit.snapshot(case)
    if decision == "reject":
        case.status = "rejected"
    elif decision == "more_references":
        case.status = "more_references"
    else:
        confirmers = {x.reviewer_id for x in prior if x.decision == "confirm"} | {reviewer.id}
        if len(confirmers) >= 2:
            await _confirm(session, case, related, reviewer, request_meta)
    if case.status != before["status"]:
        case.updated_at = utcnow()
        await audit.record(session, reviewer, "review.case.status", case, before=before,
                           after=audit.snapshot(case), request_meta=request_meta)
    return case


async def _confirm(session: AsyncSession, case: ReviewCase, related: list[ReviewCase],
                   actor: Any, meta: audit.RequestMeta | None) -> None:
    case.status = "confirmed"
    case.confirmed_at = utcnow()
    await rivals.flush_confirmation(session, case)
    await rivals.close_rivals(session, case, related, actor, meta)
    mp = await session.get(MissingPerson, case.missing_person_id)
    assert mp is not None
    before = audit.snapshot(mp)
    mp.status = "identified"
    mp.updated_at = utcnow()
    await audit.record(session, actor, "registry.missing_person.identified", mp, before=before,
                       after=audit.snapshot(mp), request_meta=meta)
    rem = await session.get(Remains, case.remains_id)
    if rem is not None and rem.grave_id:
        grave = await session.get(Grave, rem.grave_id)
        assert grave is not None
        gb = audit.snapshot(grave)
        grave.status = "identified"
        grave.missing_person_id = mp.id
        grave.registry_number = mp.registry_number
        grave.updated_at = utcnow()
        await audit.record(session, actor, "registry.grave.identified", grave, before=gb,
                           after=audit.snapshot(grave), request_meta=meta)
    from dnacase.services import reassociation  # re-associated remains: one identification

    await reassociation.on_identified(session, case.remains_id, mp, actor, meta)


async def withdraw(
    session: AsyncSession, case_id: int, admin: Any, reason: str,
    *, request_meta: audit.RequestMeta | None = None,
) -> ReviewCase:
    """Withdraw a confirmed identification (admin only, reason required); the rivals its
    confirmation closed are re-opened in their next round."""
    _require(admin, "admin")
    if not reason or not reason.strip():
        raise ValidationFailed(_("A reason is required."), field_errors={
            "reason": _("Give the reason for the withdrawal.")})
    case, related = await rivals.lock_related(session, case_id)
    if case.status != "confirmed":
        raise Conflict(_("Only a confirmed identification can be withdrawn."))
    before = audit.snapshot(case)
    case.status = "withdrawn"
    case.withdrawn_at = utcnow()
    case.withdrawn_by_id = admin.id
    case.withdraw_reason = reason.strip()
    case.updated_at = utcnow()
    mp = await session.get(MissingPerson, case.missing_person_id)
    assert mp is not None
    mb = audit.snapshot(mp)
    mp.status = "missing"
    await audit.record(session, admin, "registry.missing_person.identification_withdrawn", mp,
                       before=mb, after=audit.snapshot(mp), request_meta=request_meta)
    rem = await session.get(Remains, case.remains_id)
    if rem is not None and rem.grave_id:
        grave = await session.get(Grave, rem.grave_id)
        if grave is not None and grave.missing_person_id == mp.id:
            gb = audit.snapshot(grave)
            grave.status = "named_unconfirmed" if grave.inscription else "unnamed"
            grave.missing_person_id = None
            grave.registry_number = ""
            await audit.record(session, admin, "registry.grave.identification_withdrawn", grave,
                               before=gb, after=audit.snapshot(grave), request_meta=request_meta)
    from dnacase.services import reassociation

    await reassociation.on_withdrawn(session, case.remains_id, mp.id, admin,  # type: ignore[arg-type]
                                     request_meta)
    await audit.record(session, admin, "review.case.withdraw", case, before=before,
                       after=audit.snapshot(case), request_meta=request_meta)
    await rivals.reopen_rivals(session, case, related, admin, request_meta)
    return case


@dataclass(slots=True)
class Suggestion:
    relative: str
    relationship: str
    recorded: bool


async def suggest_references(
    session: AsyncSession, missing_person_id: int, typed_relative_ids: set[int]
) -> list[Suggestion]:
    """Relatives whose reference sample would help most, best first: recorded but untyped
    relatives ranked by relationship (parents, children, full siblings first); when none are
    recorded, the closest kinds not yet typed."""
    links = list((await session.execute(select(FamilyRelationship, Relative).join(
        Relative, Relative.id == FamilyRelationship.relative_id).where(
        FamilyRelationship.missing_person_id == missing_person_id))).all())
    typed_codes = {lk.relationship for lk, _r in links if lk.relative_id in typed_relative_ids}
    rank = {c: i for i, c in enumerate(_HELP_ORDER)}
    untyped = sorted(((lk, r) for lk, r in links if lk.relative_id not in typed_relative_ids
                      and not r.deceased), key=lambda x: rank.get(x[0].relationship, 99))
    out = [Suggestion(r.full_name, lk.relationship, True) for lk, r in untyped]
    if not out:
        for code in ("mother", "father", "son", "daughter", "full_brother", "full_sister"):
            if code not in typed_codes or code.startswith("full_"):
                out.append(Suggestion("", code, False))
            if len(out) >= 3:
                break
    return out

