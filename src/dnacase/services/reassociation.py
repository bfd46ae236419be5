"""Re-association of remains: one individual, several samples (issue 10).

Rules:

* **Scan** (:func:`dnacase.services.reassociation_scan.scan_remains_pairs`,
  ``dnacase search remains-pairs``): every current remains
  profile against every other one with the identity LR of :mod:`dnacase.kinship.identity`
  (H1 = one individual, H2 = two unrelated individuals; log10, summed over the loci typed in
  both; one-peak calls may be dropout, per-locus error allowance). Pairs with
  ``log10 LR >= min_log10`` (setting ``DNACASE_REASSOCIATION_MIN_LOG10``, default 6) are queued
  as :class:`RemainsPair` for a reviewer's "same individual" decision. A new scan updates open
  pairs and never touches decided ones; pairs already in one group are not queued.
* **Decisions** (:func:`decide_pair`; reviewer or admin, a reason is required): ``different``
  closes the pair (``rejected``) at once; ``same`` from two *different* reviewers confirms it
  and re-associates the two remains (:class:`RemainsGroup`; groups of either side merge).
* **One individual from then on**: the search reads one consensus profile per group under its
  representative (lowest member id) (:func:`apply_groups`, called by
  :func:`dnacase.services.search_inputs.gather_inputs`): loci typed in any member; loci where
  members conflict are left out and flagged on the profile. Confirming the identification of any
  member marks the graves of every member identified (:func:`on_identified`, called by the
  review's confirmation; :func:`on_withdrawn` undoes it), and re-associating a member with an
  already identified group marks the newcomer's grave too. The candidate page and the report
  list every member's grave or recovery site (:func:`group_places`).

Every step writes an audit entry in the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dnacase.db import utcnow
from dnacase.i18n import N_
from dnacase.i18n import gettext as _
from dnacase.kinship.identity import consensus_genotypes
from dnacase.models.kits import Kit, Sample
from dnacase.models.reassociation import (
    PAIR_DECISIONS,
    RemainsGroup,
    RemainsGroupMember,
    RemainsPair,
    RemainsPairDecision,
)
from dnacase.models.registry import Cemetery, Grave, MissingPerson, Remains
from dnacase.services import audit
from dnacase.services.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from dnacase.services.search_inputs import ProfileInput, ProfileSource, RemainsInput

__all__ = [
    "DEFAULT_MIN_LOG10",
    "PairItem",
    "Place",
    "apply_groups",
    "decide_pair",
    "get_pair",
    "group_map",
    "group_members",
    "group_places",
    "list_pairs",
    "on_identified",
    "on_withdrawn",
]

DEFAULT_MIN_LOG10 = 6.0
REVIEW_ROLES = ("reviewer", "admin")
DECISION_LABELS = (N_("same"), N_("different"))


# --------------------------------------------------------------------------- groups
async def group_map(session: AsyncSession) -> dict[int, int]:
    """``{remains id: group id}`` of every re-associated remains."""
    return {int(r): int(g) for r, g in await session.execute(
        select(RemainsGroupMember.remains_id, RemainsGroupMember.group_id))}


async def group_members(session: AsyncSession, remains_id: int) -> list[int]:
    """The remains re-associated with ``remains_id`` (itself included), sorted; ``[id]`` alone
    when it is in no group."""
    gid = (await session.execute(select(RemainsGroupMember.group_id).where(
        RemainsGroupMember.remains_id == remains_id))).scalar_one_or_none()
    if gid is None:
        return [remains_id]
    return sorted(int(r) for r in (await session.execute(select(
        RemainsGroupMember.remains_id).where(RemainsGroupMember.group_id == gid))).scalars())


async def apply_groups(session: AsyncSession, source: ProfileSource,
                       remains: list[RemainsInput]) -> list[RemainsInput]:
    """The search's remains with every group replaced by one consensus profile under the
    group's representative (lowest member id with a profile); see module doc.

    The consensus version is ``group:<id>[<member versions>]``; conflicting loci are left out
    and named in the profile's ``qc_flags``."""
    gmap = await group_map(session)
    if not gmap or not any(r.remains_id in gmap for r in remains):
        return remains
    wanted = {g for r in remains if (g := gmap.get(r.remains_id)) is not None}
    member_ids = sorted(rid for rid, g in gmap.items() if g in wanted)
    profiles = await source.remains_profiles(session, member_ids)
    out: list[RemainsInput] = []
    done: set[int] = set()
    for r in remains:
        gid = gmap.get(r.remains_id)
        if gid is None:
            out.append(r)
            continue
        if gid in done:
            continue
        done.add(gid)
        members = [m for m in member_ids if gmap[m] == gid and m in profiles]
        cons, conflicts = consensus_genotypes([profiles[m].alleles for m in members])
        flags = [f for m in members for f in profiles[m].qc_flags]
        flags += [_("re-association: locus %(locus)s left out, the samples disagree (%(reads)s)",
                    locus=loc, reads="; ".join("/".join(x) for x in reads))
                  for loc, reads in sorted(conflicts.items())]
        version = f"group:{gid}[{','.join(profiles[m].version for m in members)}]"
        kits = tuple(k for m in members for k in profiles[m].kits)
        out.append(RemainsInput(members[0], ProfileInput(version, cons, kits, tuple(flags))))
    return out


async def _merge(session: AsyncSession, pair: RemainsPair, actor: Any,
                 meta: audit.RequestMeta | None) -> list[int]:
    """Put the pair's two remains in one group (new, extended or merged); returns members."""
    a, b = pair.remains_a_id, pair.remains_b_id
    # lock both remains: two pairs sharing a remains confirmed at once merge one after the other
    await session.execute(select(Remains.id).where(Remains.id.in_((a, b))).with_for_update())
    rows = {m.remains_id: m for m in (await session.execute(select(RemainsGroupMember).where(
        RemainsGroupMember.remains_id.in_((a, b))))).scalars()}
    gids = sorted({m.group_id for m in rows.values()})
    if gids:
        group = await session.get(RemainsGroup, gids[0])
        assert group is not None
    else:
        group = RemainsGroup()
        session.add(group)
        await session.flush()
        await audit.record(session, actor, "reassociation.group.create", group,
                           after=audit.snapshot(group), request_meta=meta)
    for other in gids[1:]:  # merge a second group into the first
        for m in (await session.execute(select(RemainsGroupMember).where(
                RemainsGroupMember.group_id == other))).scalars():
            before = audit.snapshot(m)
            m.group_id = group.id  # type: ignore[assignment]
            await audit.record(session, actor, "reassociation.group.merge", m, before=before,
                               after=audit.snapshot(m), request_meta=meta)
    for rid in (a, b):
        if rid not in rows:
            m = RemainsGroupMember(group_id=group.id, remains_id=rid, pair_id=pair.id)
            session.add(m)
            await session.flush()
            await audit.record(session, actor, "reassociation.group.add", m,
                               after=audit.snapshot(m), request_meta=meta)
    group.updated_at = utcnow()
    await session.flush()
    return await group_members(session, a)


# --------------------------------------------------------------------------- identification
async def _set_graves(session: AsyncSession, remains_ids: list[int], mp: MissingPerson | None,
                      actor: Any, meta: audit.RequestMeta | None, *, withdraw_of: int = 0
                      ) -> None:
    """Mark the graves of ``remains_ids`` identified as ``mp`` (or, with ``mp=None``, undo the
    identification of missing person ``withdraw_of``)."""
    gids = [g for (g,) in (await session.execute(select(Remains.grave_id).where(
        Remains.id.in_(remains_ids), Remains.grave_id.is_not(None)))).all()]
    for gid in sorted(set(gids)):
        grave = await session.get(Grave, gid)
        assert grave is not None
        before = audit.snapshot(grave)
        if mp is not None:
            if grave.status == "identified" and grave.missing_person_id == mp.id:
                continue
            grave.status, grave.missing_person_id = "identified", mp.id
            grave.registry_number = mp.registry_number
            action = "registry.grave.identified"
        else:
            if grave.missing_person_id != withdraw_of:
                continue
            grave.status = "named_unconfirmed" if grave.inscription else "unnamed"
            grave.missing_person_id, grave.registry_number = None, ""
            action = "registry.grave.identification_withdrawn"
        grave.updated_at = utcnow()
        await audit.record(session, actor, action, grave, before=before,
                           after={**audit.snapshot(grave), "via": "reassociation"},
                           request_meta=meta)


async def on_identified(session: AsyncSession, remains_id: int, mp: MissingPerson, actor: Any,
                        meta: audit.RequestMeta | None = None) -> None:
    """A confirmed identification of ``remains_id``: the graves of every remains re-associated
    with it are marked identified as ``mp`` (audited). Called by the review's confirmation.

    Raises :class:`Conflict` (the caller's transaction is rolled back) when another remains of
    the group is already identified as someone else: one individual, one identification."""
    from dnacase.models.review import ReviewCase

    members = await group_members(session, remains_id)
    others = [m for m in members if m != remains_id]
    if not others:
        return
    rival = (await session.execute(
        select(MissingPerson.full_name, MissingPerson.registry_number, ReviewCase.remains_id)
        .join(ReviewCase, ReviewCase.missing_person_id == MissingPerson.id)
        .where(ReviewCase.remains_id.in_(others), ReviewCase.status == "confirmed",
               ReviewCase.missing_person_id != mp.id))).first()
    if rival is not None:
        raise Conflict(_("Remains #%(rid)s, re-associated with these remains as one individual, "
                         "is already identified as %(name)s (%(reg)s).",
                         rid=rival[2], name=rival[0], reg=rival[1]))
    await _set_graves(session, others, mp, actor, meta)


async def on_withdrawn(session: AsyncSession, remains_id: int, missing_person_id: int,
                       actor: Any, meta: audit.RequestMeta | None = None) -> None:
    """An identification of ``remains_id`` withdrawn: the re-associated remains' graves that
    carried that missing person go back (audited)."""
    members = await group_members(session, remains_id)
    others = [m for m in members if m != remains_id]
    if others:
        await _set_graves(session, others, None, actor, meta, withdraw_of=missing_person_id)


async def _group_identification(session: AsyncSession, members: list[int]
                                ) -> MissingPerson | None:
    """The missing person a confirmed review case gave any of ``members``, if any."""
    from dnacase.models.review import ReviewCase

    mid = (await session.execute(select(ReviewCase.missing_person_id).where(
        ReviewCase.remains_id.in_(members), ReviewCase.status == "confirmed"))).scalars().first()
    return await session.get(MissingPerson, mid) if mid is not None else None


async def _refuse_two_identities(session: AsyncSession, pair: RemainsPair) -> None:
    """:class:`Conflict` when the two sides are already identified as different persons (an
    identification must be withdrawn first); the message names them."""
    from dnacase.models.review import ReviewCase

    members = set(await group_members(session, pair.remains_a_id)) | set(
        await group_members(session, pair.remains_b_id))
    rows = (await session.execute(
        select(MissingPerson.full_name, MissingPerson.registry_number)
        .join(ReviewCase, ReviewCase.missing_person_id == MissingPerson.id)
        .where(ReviewCase.remains_id.in_(members), ReviewCase.status == "confirmed")
        .distinct())).all()
    if len(rows) > 1:
        raise Conflict(_("These remains are identified as different persons (%(names)s): "
                         "withdraw one identification before re-associating them.",
                         names="; ".join(f"{n} ({r})" for n, r in rows)))


# --------------------------------------------------------------------------- review
@dataclass(slots=True)
class Place:
    """Where one remains came from: grave (cemetery, label, status) or recovery site, and the
    barcodes and skeletal elements of its samples."""

    remains_id: int
    cemetery: str = ""
    grave: str = ""
    grave_status: str = ""
    recovery_site: str = ""
    samples: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        where = f"{self.cemetery}, {self.grave}" if self.grave else self.recovery_site
        return f"#{self.remains_id}: {where}" + (
            f" ({', '.join(self.samples)})" if self.samples else "")


async def _places(session: AsyncSession, ids: list[int]) -> dict[int, Place]:
    rows = (await session.execute(select(Remains, Grave, Cemetery).outerjoin(
        Grave, Grave.id == Remains.grave_id).outerjoin(
        Cemetery, Cemetery.id == Grave.cemetery_id).where(Remains.id.in_(ids)))).all()
    out = {r.id: Place(r.id, c.name if c else "", g.label if g else "", g.status if g else "",
                       r.recovery_site) for r, g, c in rows}
    for rid, barcode, element in await session.execute(select(
            Sample.remains_id, Kit.barcode, Sample.element).join(Kit, Kit.id == Sample.kit_id)
            .where(Sample.remains_id.in_(ids)).order_by(Kit.barcode)):
        out[rid].samples.append(f"{barcode} {_(element) if element else ''}".strip())
    return out


async def group_places(session: AsyncSession, remains_id: int) -> list[Place]:
    """Graves / recovery sites of every remains re-associated with ``remains_id`` (itself
    first); empty when it is in no group."""
    members = await group_members(session, remains_id)
    if len(members) < 2:
        return []
    places = await _places(session, members)
    return [places[remains_id]] + [places[m] for m in members if m != remains_id]


@dataclass(slots=True)
class PairItem:
    pair: RemainsPair
    a: Place
    b: Place
    decisions: list[RemainsPairDecision] = field(default_factory=list)


async def list_pairs(session: AsyncSession, *, status: str | None = "open",
                     limit: int = 500) -> list[PairItem]:
    """Re-association candidates (default: open), strongest first."""
    q = select(RemainsPair)
    if status:
        q = q.where(RemainsPair.status == status)
    pairs = list((await session.execute(q.order_by(RemainsPair.log10_lr.desc(), RemainsPair.id)
                                         .limit(limit))).scalars())
    if not pairs:
        return []
    places = await _places(session, sorted({x for p in pairs
                                             for x in (p.remains_a_id, p.remains_b_id)}))
    return [PairItem(p, places[p.remains_a_id], places[p.remains_b_id]) for p in pairs]


async def get_pair(session: AsyncSession, pair_id: int, viewer: Any = None) -> PairItem:
    """One pair with its places and decisions (blind: an open pair's decisions are shown to a
    reviewer only once they decided)."""
    pair = await session.get(RemainsPair, pair_id)
    if pair is None:
        raise NotFound(_("Re-association candidate %(id)s not found.", id=pair_id))
    places = await _places(session, [pair.remains_a_id, pair.remains_b_id])
    decisions = list((await session.execute(select(RemainsPairDecision).where(
        RemainsPairDecision.pair_id == pair_id).order_by(RemainsPairDecision.id))).scalars())
    if pair.status == "open" and not any(
            d.reviewer_id == getattr(viewer, "id", None) for d in decisions):
        decisions = []
    return PairItem(pair, places[pair.remains_a_id], places[pair.remains_b_id], decisions)


def _roles(actor: Any) -> frozenset[str]:
    return frozenset(getattr(r, "role", r) for r in getattr(actor, "roles", None) or ())


async def decide_pair(
    session: AsyncSession, pair_id: int, reviewer: Any, decision: str, reason: str,
    *, request_meta: audit.RequestMeta | None = None,
) -> RemainsPair:
    """Record a reviewer's "same individual" / "different individuals" decision (see module
    doc); returns the pair."""
    if not (_roles(reviewer) & set(REVIEW_ROLES)):
        raise PermissionDenied(_("This action needs one of the roles: %(roles)s.",
                                 roles=", ".join(_(r) for r in REVIEW_ROLES)))
    if decision not in PAIR_DECISIONS:
        raise ValidationFailed(_("Unknown decision."), field_errors={
            "decision": _("Choose one of: %(choices)s.",
                          choices=", ".join(_(d) for d in PAIR_DECISIONS))})
    if not reason or not reason.strip():
        raise ValidationFailed(_("A reason is required."), field_errors={
            "reason": _("Give the reason for the decision.")})
    pair = await session.get(RemainsPair, pair_id, with_for_update=True)
    if pair is None:
        raise NotFound(_("Re-association candidate %(id)s not found.", id=pair_id))
    if pair.status != "open":
        raise Conflict(_("The case is %(status)s; no decision can be added.",
                         status=_(pair.status)))
    prior = list((await session.execute(select(RemainsPairDecision).where(
        RemainsPairDecision.pair_id == pair_id))).scalars())
    if any(d.reviewer_id == reviewer.id for d in prior):
        raise Conflict(_("You have already decided on this case; a second, different reviewer "
                         "must decide."))
    if decision == "same":
        await _refuse_two_identities(session, pair)
    d = RemainsPairDecision(pair_id=pair_id, reviewer_id=reviewer.id, decision=decision,
                            reason=reason.strip())
    session.add(d)
    await session.flush()
    await audit.record(session, reviewer, f"reassociation.decision.{decision}", d,
                       after=audit.snapshot(d), request_meta=request_meta)
    before = audit.snapshot(pair)
    if decision == "different":
        pair.status = "rejected"
    elif len({x.reviewer_id for x in prior if x.decision == "same"} | {reviewer.id}) >= 2:
        pair.status, pair.confirmed_at = "confirmed", utcnow()
        members = await _merge(session, pair, reviewer, request_meta)
        from dnacase.services.review_rivals import close_group_members

        await close_group_members(session, members, reviewer, request_meta)
        mp = await _group_identification(session, members)
        if mp is not None:  # the group is already identified: so are the newcomers' graves
            await _set_graves(session, members, mp, reviewer, request_meta)
    if pair.status != before["status"]:
        pair.updated_at = utcnow()
        await audit.record(session, reviewer, "reassociation.pair.status", pair, before=before,
                           after=audit.snapshot(pair), request_meta=request_meta)
    return pair
