"""Decisions that stay consistent (issue 10): one confirmed identification per remains and per
missing person (service and database), rivals acknowledged before a confirmation, rivals closed
on confirmation and re-opened on withdrawal, concurrent confirmations on PostgreSQL.

The world: three families of the synthetic search world, plus a brother of the first missing
person (his family: the same typed mother and brother, so the first remains match both brothers
with the same LR) and a second bone of the first missing person (a twin remains). The search puts
four cases in the queue around them: (R0, M0), (R0, M0b), (R0b, M0), (R0b, M0b).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError
from test_review import Who, _users
from test_search_support import build_world

from dnacase.i18n import use_locale
from dnacase.models.audit import AuditEntry
from dnacase.models.families import FamilyRelationship
from dnacase.models.registry import MissingPerson, Remains
from dnacase.models.review import ReviewCase, ReviewDecision
from dnacase.services import review, review_rivals, search
from dnacase.services.errors import Conflict, ValidationFailed


@dataclass
class Rivals:
    m0: int
    m0b: int
    r0: int
    r0b: int
    cases: dict[tuple[int, int], int]  # (remains, missing person) -> case id
    names: dict[int, str]
    source: Any  # the world's profiles (StaticProfileSource), for later searches

    def case(self, remains: int, person: int) -> int:
        return self.cases[(remains, person)]


async def _rival_world(sessionmaker, tmp_path) -> Rivals:
    async with sessionmaker() as s, s.begin():
        world = await build_world(s, n_families=3, n_unrelated=1)
        m0, r0 = world.mp_ids[0], world.remains_ids[0]
        brother = MissingPerson(registry_number="T-B000", full_name="Liệt sĩ Em Trai",
                                name_key="liet si em trai", sex="M", unit="E320")
        s.add(brother)
        await s.flush()
        for link in (await s.execute(select(FamilyRelationship).where(
                FamilyRelationship.missing_person_id == m0))).scalars():
            s.add(FamilyRelationship(missing_person_id=brother.id, relative_id=link.relative_id,
                                     relationship=link.relationship,
                                     via_relative_id=link.via_relative_id))
        twin = Remains(grave_id=world.grave_of[world.remains_ids[1]])
        s.add(twin)
        await s.flush()
        world.source.remains[twin.id] = world.source.remains[r0]
        run = await search.create_run(s, search.SearchParameters())
    await search.execute_run(sessionmaker, run.id, world.source, cache_dir=tmp_path)
    async with sessionmaker() as s:
        cases = {(c.remains_id, c.missing_person_id): c.id
                 for c in (await s.execute(select(ReviewCase))).scalars()}
        names = dict((await s.execute(select(MissingPerson.id, MissingPerson.full_name))).all())
    w = Rivals(m0, brother.id, r0, twin.id, cases, names, world.source)
    for key in ((r0, m0), (r0, brother.id), (twin.id, m0), (twin.id, brother.id)):
        assert key in cases, f"the rival world must queue {key}: {sorted(cases)}"
    return w


async def _decide(sessionmaker, case_id: int, who: Who, decision: str = "confirm",
                  lang: str = "en", **kw):
    with use_locale(lang):
        async with sessionmaker() as s, s.begin():
            return await review.decide(s, case_id, who, decision,
                                       f"{decision} by {who.username}", **kw)


async def _confirm(sessionmaker, case_id: int, who: dict[str, Who]) -> None:
    await _decide(sessionmaker, case_id, who["rev1"], acknowledge_rivals=True)
    c = await _decide(sessionmaker, case_id, who["rev2"], acknowledge_rivals=True)
    assert c.status == "confirmed"


async def _status(sessionmaker, *case_ids: int) -> list[str]:
    async with sessionmaker() as s:
        return [(await s.get(ReviewCase, cid)).status for cid in case_ids]


async def test_confirming_a_case_with_open_rivals_needs_an_acknowledgement(sessionmaker,
                                                                           tmp_path):
    w = await _rival_world(sessionmaker, tmp_path)
    who = await _users(sessionmaker)
    a = w.case(w.r0, w.m0)
    with pytest.raises(ValidationFailed) as exc:
        await _decide(sessionmaker, a, who["rev1"])
    msg = exc.value.message
    # the rivals are named, with their LRs and posteriors
    for rival in (w.case(w.r0, w.m0b), w.case(w.r0b, w.m0)):
        assert f"case #{rival} (" in msg
    assert w.names[w.m0b] in msg and "LR " in msg and "posterior" in msg
    assert "This case: LR " in msg  # both posteriors, side by side
    assert "acknowledge_rivals" in exc.value.field_errors
    assert set(exc.value.details["rivals"]) == {w.case(w.r0, w.m0b), w.case(w.r0b, w.m0)}
    async with sessionmaker() as s:  # nothing was written
        assert (await s.execute(select(func.count()).select_from(ReviewDecision))).scalar() == 0
    # reject and more_references need no acknowledgement
    c = await _decide(sessionmaker, w.case(w.r0b, w.m0b), who["rev1"], "reject")
    assert c.status == "rejected"
    await _decide(sessionmaker, a, who["rev1"], acknowledge_rivals=True)
    async with sessionmaker() as s:
        d = (await s.execute(select(ReviewDecision).where(ReviewDecision.case_id == a))).scalar()
        assert d.rivals_acknowledged == sorted([w.case(w.r0, w.m0b), w.case(w.r0b, w.m0)])
    # the second reviewer must acknowledge too
    with pytest.raises(ValidationFailed):
        await _decide(sessionmaker, a, who["rev2"])


async def test_confirmation_closes_the_rivals_and_refuses_contradictions(sessionmaker,
                                                                          tmp_path):
    w = await _rival_world(sessionmaker, tmp_path)
    who = await _users(sessionmaker)
    a, same_remains, same_person = (w.case(w.r0, w.m0), w.case(w.r0, w.m0b),
                                    w.case(w.r0b, w.m0))
    other = w.case(w.r0b, w.m0b)  # shares neither the remains nor the person of a
    await _confirm(sessionmaker, a, who)
    assert await _status(sessionmaker, same_remains, same_person, other) == [
        "closed_rival", "closed_rival", "open"]
    async with sessionmaker() as s:
        assert (await s.get(ReviewCase, same_remains)).closed_by_case_id == a
        closes = (await s.execute(select(AuditEntry.entity_id).where(
            AuditEntry.action == "review.case.close_rival"))).scalars().all()
        assert sorted(closes) == sorted([str(same_remains), str(same_person)])
    # same remains -> a second person: refused, naming the identification and its reviewers
    with pytest.raises(Conflict) as exc:
        await _decide(sessionmaker, same_remains, who["boss"], acknowledge_rivals=True)
    msg = exc.value.message
    assert f"#{w.r0} " in msg and w.names[w.m0] in msg and f"(case #{a}, " in msg
    assert "rev1" in msg and "rev2" in msg and "already identified as" in msg
    with pytest.raises(Conflict) as exc:  # Vietnamese first
        await _decide(sessionmaker, same_remains, who["boss"], lang="vi", acknowledge_rivals=True)
    assert f"đã được xác định là {w.names[w.m0]} (hồ sơ #{a}" in exc.value.message
    # same person -> second remains: refused, naming the remains
    with pytest.raises(Conflict) as exc:
        await _decide(sessionmaker, same_person, who["boss"], "reject")
    assert f"{w.names[w.m0]} is already identified by remains #{w.r0} " in exc.value.message
    # an open case that contradicts the identification (e.g. from an older version) is refused
    async with sessionmaker() as s, s.begin():
        await s.execute(update(ReviewCase).where(ReviewCase.id == same_remains)
                        .values(status="open", closed_by_case_id=None))
    with pytest.raises(Conflict, match="already identified as"):
        await _decide(sessionmaker, same_remains, who["rev1"], acknowledge_rivals=True)
    # ... but rejecting it is fine
    assert (await _decide(sessionmaker, same_remains, who["rev1"], "reject")).status == "rejected"
    # a new search does not reopen closed rivals, and new candidates of the identified
    # remains or person arrive closed (here: none new; the closed ones stay closed)
    async with sessionmaker() as s, s.begin():
        assert (await s.get(ReviewCase, same_person)).status == "closed_rival"


async def test_withdrawal_reopens_the_rivals_in_the_next_round(sessionmaker, tmp_path):
    w = await _rival_world(sessionmaker, tmp_path)
    who = await _users(sessionmaker)
    a, b, c, d = (w.case(w.r0, w.m0), w.case(w.r0, w.m0b), w.case(w.r0b, w.m0),
                  w.case(w.r0b, w.m0b))
    await _confirm(sessionmaker, a, who)
    async with sessionmaker() as s, s.begin():
        await review.withdraw(s, a, who["boss"], "a sample mix-up at the lab")
    async with sessionmaker() as s:
        for cid in (b, c):
            case = await s.get(ReviewCase, cid)
            assert (case.status, case.round, case.closed_by_case_id) == ("open", 2, None)
        reopened = (await s.execute(select(AuditEntry.entity_id).where(
            AuditEntry.action == "review.case.reopen_rival"))).scalars().all()
        assert sorted(reopened) == sorted([str(b), str(c)])
        assert (await s.get(ReviewCase, a)).status == "withdrawn"
    # the re-opened rivals can now be confirmed (round 2, acknowledging the open ones)
    await _confirm(sessionmaker, d, who)
    assert await _status(sessionmaker, b, c) == ["closed_rival", "closed_rival"]


async def test_withdrawal_leaves_rivals_closed_that_another_identification_blocks(
        sessionmaker, tmp_path):
    w = await _rival_world(sessionmaker, tmp_path)
    who = await _users(sessionmaker)
    a, b, c, d = (w.case(w.r0, w.m0), w.case(w.r0, w.m0b), w.case(w.r0b, w.m0),
                  w.case(w.r0b, w.m0b))
    await _confirm(sessionmaker, a, who)  # closes b and c
    await _confirm(sessionmaker, d, who)  # no open rival left: b, c already closed
    async with sessionmaker() as s, s.begin():
        await review.withdraw(s, a, who["boss"], "wrong grave register")
    async with sessionmaker() as s:
        for cid in (b, c):  # b shares M0b with d, c shares R0b with d
            case = await s.get(ReviewCase, cid)
            assert (case.status, case.closed_by_case_id) == ("closed_rival", d)


async def test_the_database_refuses_a_second_identification(sessionmaker, tmp_path):
    """The partial unique indexes, without the service: a direct update and a direct insert."""
    w = await _rival_world(sessionmaker, tmp_path)
    a, b, c = w.case(w.r0, w.m0), w.case(w.r0, w.m0b), w.case(w.r0b, w.m0)
    async with sessionmaker() as s, s.begin():
        await s.execute(update(ReviewCase).where(ReviewCase.id == a).values(status="confirmed"))
    for other in (b, c):  # same remains, same person
        with pytest.raises(IntegrityError):
            async with sessionmaker() as s, s.begin():
                await s.execute(update(ReviewCase).where(ReviewCase.id == other)
                                .values(status="confirmed"))
    async with sessionmaker() as s:
        res = (await s.get(ReviewCase, a)).result_id
        mp = MissingPerson(registry_number="T-NEW", full_name="x", name_key="x")
        s.add(mp)
        await s.flush()
        with pytest.raises(IntegrityError):
            s.add(ReviewCase(remains_id=w.r0, missing_person_id=mp.id, result_id=res,
                             status="confirmed", log10_lr=5.0, posterior=0.9999))
            await s.flush()
        await s.rollback()
    async with sessionmaker() as s:  # other statuses may repeat freely
        await s.execute(update(ReviewCase).where(ReviewCase.id.in_([b, c]))
                        .values(status="withdrawn"))
        await s.commit()
        n = (await s.execute(text("SELECT count(*) FROM review_cases WHERE remains_id = :r "
                                  "AND status = 'confirmed'"), {"r": w.r0})).scalar()
        assert n == 1


async def test_an_index_violation_comes_back_as_the_same_conflict(sessionmaker, tmp_path,
                                                                 monkeypatch):
    """If the service's check is passed (a race), the index refuses the confirmation at the
    flush, and the reviewer gets the same message naming the identification, not an error."""
    w = await _rival_world(sessionmaker, tmp_path)
    who = await _users(sessionmaker)
    a, b = w.case(w.r0, w.m0), w.case(w.r0, w.m0b)
    await _confirm(sessionmaker, a, who)

    async def no_check(*_a, **_k):
        return None

    monkeypatch.setattr(review_rivals, "blocking_identification", no_check)
    async with sessionmaker() as s, s.begin():  # as if the closing had not happened yet
        await s.execute(update(ReviewCase).where(ReviewCase.id == b).values(status="open"))
    await _decide(sessionmaker, b, who["rev1"], acknowledge_rivals=True)
    with pytest.raises(Conflict) as exc:
        await _decide(sessionmaker, b, who["rev2"], acknowledge_rivals=True)
    assert "already identified as" in exc.value.message
    assert f"(case #{a}, " in exc.value.message
    assert "rev1" in exc.value.message
    assert await _status(sessionmaker, a, b) == ["confirmed", "open"]


async def test_concurrent_confirmations_of_rivals_on_postgresql(sessionmaker, tmp_path,
                                                                backend):
    """Two reviewers give the second confirmation of two rival cases at the same moment, in two
    sessions (two connections): exactly one wins, the other gets the Conflict."""
    if backend != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (SQLite serialises writers)")
    w = await _rival_world(sessionmaker, tmp_path)
    who = await _users(sessionmaker)
    a, b = w.case(w.r0, w.m0), w.case(w.r0, w.m0b)
    for cid in (a, b):
        await _decide(sessionmaker, cid, who["rev1"], acknowledge_rivals=True)
    outcomes = await asyncio.gather(
        _decide(sessionmaker, a, who["rev2"], acknowledge_rivals=True),
        _decide(sessionmaker, b, who["boss"], acknowledge_rivals=True),
        return_exceptions=True)
    wins = [o for o in outcomes if isinstance(o, ReviewCase)]
    losses = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(wins) == 1 and len(losses) == 1, outcomes
    winner, loser = wins[0].id, (b if wins[0].id == a else a)
    assert "already identified as" in losses[0].message
    assert f"(case #{winner}, " in losses[0].message
    assert await _status(sessionmaker, winner, loser) == ["confirmed", "closed_rival"]


async def test_concurrent_direct_updates_on_postgresql(sessionmaker, tmp_path, backend):
    """The index alone, under a real race: the second transaction waits for the first and
    fails when it commits."""
    if backend != "postgresql":
        pytest.skip("PostgreSQL only")
    w = await _rival_world(sessionmaker, tmp_path)
    a, b = w.case(w.r0, w.m0), w.case(w.r0, w.m0b)

    async def confirm(cid: int, delay: float) -> str:
        await asyncio.sleep(delay)
        async with sessionmaker() as s, s.begin():
            await s.execute(update(ReviewCase).where(ReviewCase.id == cid)
                            .values(status="confirmed"))
            await asyncio.sleep(0.3)  # still uncommitted while the other one writes
        return "ok"

    outcomes = await asyncio.gather(confirm(a, 0.0), confirm(b, 0.1), return_exceptions=True)
    assert outcomes[0] == "ok" and isinstance(outcomes[1], IntegrityError), outcomes


async def test_a_new_candidate_of_identified_remains_arrives_closed(sessionmaker, tmp_path):
    """A later search that finds a third brother's family for the identified remains queues
    the new pair closed (pointing at the identification); the withdrawal re-opens it."""
    w = await _rival_world(sessionmaker, tmp_path)
    who = await _users(sessionmaker)
    a = w.case(w.r0, w.m0)
    await _confirm(sessionmaker, a, who)
    async with sessionmaker() as s, s.begin():
        third = MissingPerson(registry_number="T-B001", full_name="Liệt sĩ Em Út",
                              name_key="liet si em ut", sex="M")
        s.add(third)
        await s.flush()
        for link in (await s.execute(select(FamilyRelationship).where(
                FamilyRelationship.missing_person_id == w.m0))).scalars():
            s.add(FamilyRelationship(missing_person_id=third.id, relative_id=link.relative_id,
                                     relationship=link.relationship,
                                     via_relative_id=link.via_relative_id))
    async with sessionmaker() as s, s.begin():
        run = await search.create_run(s, search.SearchParameters())
    await search.execute_run(sessionmaker, run.id, w.source, cache_dir=tmp_path)
    async with sessionmaker() as s:
        new = (await s.execute(select(ReviewCase).where(
            ReviewCase.remains_id == w.r0, ReviewCase.missing_person_id == third.id))).scalar()
        assert new is not None and (new.status, new.closed_by_case_id) == ("closed_rival", a)
    async with sessionmaker() as s, s.begin():
        await review.withdraw(s, a, who["boss"], "re-examined")
    assert await _status(sessionmaker, new.id) == ["open"]


# --------------------------------------------------------------------------- one individual
async def _reassociate(sessionmaker, w: Rivals, who: dict[str, Who]) -> list[int]:
    """Two reviewers decide that R0 and R0b are one individual; returns the members."""
    from dnacase.models.reassociation import RemainsPair
    from dnacase.services import reassociation

    async with sessionmaker() as s, s.begin():
        a, b = sorted((w.r0, w.r0b))
        pair = RemainsPair(remains_a_id=a, remains_b_id=b, log10_lr=20.0)
        s.add(pair)
        await s.flush()
        pid = pair.id
    for rev in ("rev1", "rev2"):
        async with sessionmaker() as s, s.begin():
            await reassociation.decide_pair(s, pid, who[rev], "same", "one individual")
    async with sessionmaker() as s:
        return await reassociation.group_members(s, w.r0)


async def test_reassociated_remains_are_one_individual_for_the_rules(sessionmaker, tmp_path):
    w = await _rival_world(sessionmaker, tmp_path)
    who = await _users(sessionmaker)
    members = await _reassociate(sessionmaker, w, who)
    assert members == sorted((w.r0, w.r0b)) and members[0] == w.r0
    a, a_b = w.case(w.r0, w.m0), w.case(w.r0, w.m0b)
    b, b_b = w.case(w.r0b, w.m0), w.case(w.r0b, w.m0b)
    # the group forms: the non-representative member's open cases close, with the reason
    assert await _status(sessionmaker, a, a_b, b, b_b) == [
        "open", "open", "closed_rival", "closed_rival"]
    async with sessionmaker() as s:
        closed = await s.get(ReviewCase, b)
        assert closed.closed_reason == f"group_member:{w.r0}"
        with use_locale("en"):
            assert f"re-associated with remains #{w.r0}" in review_rivals.closed_reason_text(
                closed.closed_reason)
        assert (await s.execute(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "review.case.close_group_member"))).scalar() == 2
    # an older case of member B for M0 is still open (e.g. made before the group formed):
    # it is not a rival of A = M0 (no acknowledgement asks for it) ...
    async with sessionmaker() as s, s.begin():
        await s.execute(update(ReviewCase).where(ReviewCase.id.in_((b, b_b))).values(
            status="open", closed_reason=None))
    with pytest.raises(ValidationFailed) as exc:
        await _decide(sessionmaker, a, who["rev1"])
    assert set(exc.value.details["rivals"]) == {a_b, b_b}  # B = M0 is not among them
    await _confirm(sessionmaker, a, who)
    # ... and is closed as part of the same identification
    assert await _status(sessionmaker, b, a_b, b_b) == ["closed_rival"] * 3
    async with sessionmaker() as s:
        same = await s.get(ReviewCase, b)
        assert same.closed_by_case_id == a and same.closed_reason == f"same_individual:{a}:{w.r0}"
        assert (await s.execute(select(AuditEntry.entity_id).where(
            AuditEntry.action == "review.case.close_same_individual"))).scalars().all() == [
            str(b)]
    # A = M0 confirmed blocks confirming member B as another person, naming the identification
    async with sessionmaker() as s, s.begin():
        await s.execute(update(ReviewCase).where(ReviewCase.id == b_b).values(
            status="open", closed_by_case_id=None))
    with pytest.raises(Conflict) as err:
        await _decide(sessionmaker, b_b, who["boss"], acknowledge_rivals=True)
    msg = err.value.message
    assert f"#{w.r0}" in msg and w.names[w.m0] in msg and f"case #{a}" in msg
    assert who["rev1"].username in msg  # display name = username here
    # and B = M0 itself is part of A's identification, not a second one
    async with sessionmaker() as s, s.begin():
        await s.execute(update(ReviewCase).where(ReviewCase.id == b).values(
            status="open", closed_by_case_id=None, closed_reason=None))
    with pytest.raises(Conflict) as err:
        await _decide(sessionmaker, b, who["boss"])
    assert "part of that identification" in err.value.message
    # withdrawal re-opens what the identification closed
    async with sessionmaker() as s, s.begin():
        await s.execute(update(ReviewCase).where(ReviewCase.id == b).values(
            status="closed_rival", closed_by_case_id=a,
            closed_reason=f"same_individual:{a}:{w.r0}"))
    async with sessionmaker() as s, s.begin():
        await review.withdraw(s, a, who["boss"], "sample mix-up")
    assert await _status(sessionmaker, b, a_b) == ["open", "open"]
    async with sessionmaker() as s:
        assert (await s.get(ReviewCase, b)).closed_reason is None

