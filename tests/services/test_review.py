"""Review queue: candidates, ambiguity, two-reviewer rule (blind), confirmation, withdrawal."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select
from test_search_support import build_world

from dnacase.models.audit import AuditEntry
from dnacase.models.registry import Grave, MissingPerson
from dnacase.models.review import ReviewCase
from dnacase.services import audit, review, search
from dnacase.services import users as users_service
from dnacase.services.errors import Conflict, PermissionDenied, ValidationFailed


@dataclass(frozen=True)
class Who:
    id: int
    username: str
    roles: frozenset[str]


async def _users(sessionmaker) -> dict[str, Who]:
    out = {}
    async with sessionmaker() as s, s.begin():
        for name, roles in (("rev1", ("reviewer",)), ("rev2", ("reviewer",)),
                            ("boss", ("admin",)), ("lab1", ("lab",))):
            u = await users_service.create_user(
                s, username=name, display_name=name, password="password-" + name * 3,
                roles=roles, actor=audit.SYSTEM, meta=audit.CLI_META)
            out[name] = Who(u.id, name, frozenset(roles))
    return out


async def _searched(sessionmaker, tmp_path, **kw):
    async with sessionmaker() as s, s.begin():
        world = await build_world(s, **kw)
        run = await search.create_run(s, search.SearchParameters(block_families=4))
    run = await search.execute_run(sessionmaker, run.id, world.source, cache_dir=tmp_path)
    return world, run


async def test_queue_holds_true_candidates_strongest_first(sessionmaker, tmp_path):
    world, _run = await _searched(sessionmaker, tmp_path)
    async with sessionmaker() as s:
        items = await review.list_queue(s)
    assert items, "the true identifications must reach the queue"
    lrs = [i.result.log10_lr for i in items]
    assert lrs == sorted(lrs, reverse=True)
    for it in items:
        assert world.truth[it.case.remains_id] == it.case.missing_person_id
        assert it.result.log10_lr >= 4 and it.result.posterior >= 0.999
        assert it.grave is not None and it.cemetery is not None
        if it.log10_ratio_families is not None:
            assert it.log10_ratio_families > 0


async def test_ambiguity_is_shown(sessionmaker, tmp_path):
    async with sessionmaker() as s, s.begin():
        world = await build_world(s, n_families=3, n_unrelated=0)
        # a second remains sample of the first missing person (two bones, two graves)
        from dnacase.models.registry import Remains

        twin = Remains(grave_id=world.grave_of[world.remains_ids[1]])
        s.add(twin)
        await s.flush()
        world.source.remains[twin.id] = world.source.remains[world.remains_ids[0]]
        run = await search.create_run(s, search.SearchParameters())
    await search.execute_run(sessionmaker, run.id, world.source, cache_dir=tmp_path)
    async with sessionmaker() as s:
        items = await review.list_queue(s)
    mine = [i for i in items if i.case.missing_person_id == world.mp_ids[0]]
    assert len(mine) == 2
    for it in mine:
        assert it.ambiguous and it.other_remains
        assert it.log10_ratio_remains == pytest.approx(0.0)
        assert it.log10_ratio == pytest.approx(0.0)


async def test_two_different_reviewers_confirm_blind(sessionmaker, tmp_path):
    world, _run = await _searched(sessionmaker, tmp_path, n_families=3, n_unrelated=1)
    who = await _users(sessionmaker)
    async with sessionmaker() as s:
        case = (await review.list_queue(s))[0].case
    async with sessionmaker() as s, s.begin():
        with pytest.raises(PermissionDenied):
            await review.decide(s, case.id, who["lab1"], "confirm", "looks right")
    async with sessionmaker() as s, s.begin():
        with pytest.raises(ValidationFailed):
            await review.decide(s, case.id, who["rev1"], "confirm", "  ")
    async with sessionmaker() as s, s.begin():
        c = await review.decide(s, case.id, who["rev1"], "confirm", "LR and story fit")
        assert c.status == "open"
    async with sessionmaker() as s:
        c = await s.get(ReviewCase, case.id)
        # blind: the second reviewer sees nothing of the first decision before deciding
        assert await review.visible_decisions(s, c, who["rev2"]) == []
        assert len(await review.visible_decisions(s, c, who["rev1"])) == 1
    async with sessionmaker() as s, s.begin():
        with pytest.raises(Conflict):
            await review.decide(s, case.id, who["rev1"], "confirm", "again")
    async with sessionmaker() as s, s.begin():
        c = await review.decide(s, case.id, who["rev2"], "confirm", "agree: grave and unit fit")
        assert c.status == "confirmed"
    async with sessionmaker() as s:
        mp = await s.get(MissingPerson, case.missing_person_id)
        grave = await s.get(Grave, world.grave_of[case.remains_id])
        assert mp.status == "identified"
        assert grave.status == "identified" and grave.missing_person_id == mp.id
        assert grave.registry_number == mp.registry_number
        actions = [a for (a,) in await s.execute(select(AuditEntry.action))]
        assert actions.count("review.decision.confirm") == 2
        assert "registry.grave.identified" in actions
    # withdrawal: admin only, with a reason
    async with sessionmaker() as s, s.begin():
        with pytest.raises(PermissionDenied):
            await review.withdraw(s, case.id, who["rev1"], "wrong")
    async with sessionmaker() as s, s.begin():
        with pytest.raises(ValidationFailed):
            await review.withdraw(s, case.id, who["boss"], "")
    async with sessionmaker() as s, s.begin():
        c = await review.withdraw(s, case.id, who["boss"], "sample mix-up found at the lab")
        assert c.status == "withdrawn"
    async with sessionmaker() as s:
        mp = await s.get(MissingPerson, case.missing_person_id)
        grave = await s.get(Grave, world.grave_of[case.remains_id])
        assert mp.status == "missing" and grave.missing_person_id is None


async def test_reject_and_more_references(sessionmaker, tmp_path):
    world, _run = await _searched(sessionmaker, tmp_path, n_families=3, n_unrelated=1)
    who = await _users(sessionmaker)
    async with sessionmaker() as s:
        items = await review.list_queue(s)
    assert len(items) >= 2
    a, b = items[0].case, items[1].case
    async with sessionmaker() as s, s.begin():
        c = await review.decide(s, a.id, who["rev1"], "reject", "grave register contradicts")
        assert c.status == "rejected"
    async with sessionmaker() as s, s.begin():
        c = await review.decide(s, b.id, who["rev2"], "more_references",
                                "only two relatives typed", suggested_relative="father")
        assert c.status == "more_references"
        sugg = await review.suggest_references(s, b.missing_person_id, set())
        assert sugg and sugg[0].recorded
    # a new search with the same data does not reopen it; new references do (next round)
    async with sessionmaker() as s, s.begin():
        run = await search.create_run(s, search.SearchParameters())
    await search.execute_run(sessionmaker, run.id, world.source, cache_dir=tmp_path)
    async with sessionmaker() as s:
        assert (await s.get(ReviewCase, a.id)).status == "rejected"
        assert (await s.get(ReviewCase, b.id)).status == "more_references"
    rid = world.relatives[b.missing_person_id][-1]
    world.source.relatives.pop(rid)  # e.g. a reference profile superseded and re-typed later
    async with sessionmaker() as s, s.begin():
        run = await search.create_run(s, search.SearchParameters())
    await search.execute_run(sessionmaker, run.id, world.source, cache_dir=tmp_path)
    async with sessionmaker() as s:
        reopened = await s.get(ReviewCase, b.id)
        if reopened.log10_lr != b.log10_lr:
            assert reopened.status == "open" and reopened.round == 2
