"""The demo's two bones of one man: queued as a re-association candidate by ``dnacase demo``;
once two reviewers confirm, the search reads their consensus profile and the man's family gets
one candidate (the group) with a stronger LR than either bone alone."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select, update

from dnacase.db import unit_of_work
from dnacase.models.kits import Kit, Sample
from dnacase.models.reassociation import RemainsPair
from dnacase.models.registry import MissingPerson
from dnacase.models.search import SearchResult
from dnacase.services import audit, demo, reassociation, search
from dnacase.services import users as users_service
from dnacase.services.search_inputs import DatabaseProfileSource

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


async def test_demo_queues_the_two_bones_and_the_group_is_searched_once(sessionmaker, tmp_path):
    spec = json.loads((FIXTURES / "demo" / "reassociation.json").read_text())
    async with unit_of_work(sessionmaker) as s:
        await demo.load_demo(s, FIXTURES, upload_dir=tmp_path / "up")
        run1 = await search.create_run(s, search.SearchParameters())
    async with sessionmaker() as s:
        bones = {b: rid for b, rid in await s.execute(select(Kit.barcode, Sample.remains_id).join(
            Sample, Sample.kit_id == Kit.id).where(Kit.barcode.in_(list(spec["truth"]))))}
        pairs = list((await s.execute(select(RemainsPair))).scalars())
        man = (await s.execute(select(MissingPerson.id).where(
            MissingPerson.registry_number == "LS-2023-0011"))).scalar_one()
    assert len(bones) == 2 and len(pairs) == 1, "exactly the two bones are queued"
    pair = pairs[0]
    assert {pair.remains_a_id, pair.remains_b_id} == set(bones.values())
    assert pair.status == "open" and pair.log10_lr >= 6
    assert pair.loci_compared == 9 and pair.details["dropout_loci"] == ["D21S11"]
    # before re-association: each bone is a separate candidate for the man
    await search.execute_run(sessionmaker, run1.id, DatabaseProfileSource(),
                             cache_dir=tmp_path / "c")
    async with sessionmaker() as s:
        before = {r.remains_id: r.log10_lr for r in (await s.execute(select(SearchResult).where(
            SearchResult.run_id == run1.id, SearchResult.missing_person_id == man))).scalars()}
    assert set(before) == set(bones.values())
    from dnacase.models.profiles import Profile
    from dnacase.models.review import ReviewCase

    async with unit_of_work(sessionmaker) as s:  # forget run 1's marks
        bone_profiles = [p.id for p in (await s.execute(select(Profile).join(
            Sample, Sample.id == Profile.sample_id).where(
            Sample.remains_id.in_(list(bones.values()))))).scalars()]
        await s.execute(update(Profile).where(Profile.id.in_(bone_profiles)).values(
            last_searched_at=None))
        open_before = {c.remains_id: c.id for c in (await s.execute(select(ReviewCase).where(
            ReviewCase.missing_person_id == man, ReviewCase.status == "open"))).scalars()}
    async with unit_of_work(sessionmaker) as s:
        rev = await users_service.get_by_username(s, "reviewer")
        adm = await users_service.get_by_username(s, "admin")
        await reassociation.decide_pair(s, pair.id, rev, "same", "9 loci agree")
        await reassociation.decide_pair(s, pair.id, adm, "same", "graves adjacent, agree")
        run2 = await search.create_run(s, search.SearchParameters())
    await search.execute_run(sessionmaker, run2.id, DatabaseProfileSource(),
                             cache_dir=tmp_path / "c")
    async with sessionmaker() as s:
        after = {r.remains_id: r.log10_lr for r in (await s.execute(select(SearchResult).where(
            SearchResult.run_id == run2.id, SearchResult.missing_person_id == man))).scalars()}
        assert (await audit.verify(s)).ok
    rep = min(bones.values())
    assert set(after) == {rep}  # one individual, one candidate
    other = max(bones.values())
    async with sessionmaker() as s:
        # the group's consensus was searched: both bones' profiles are marked searched
        marks = (await s.execute(select(Profile.last_searched_at).where(
            Profile.id.in_(bone_profiles)))).scalars().all()
        assert len(marks) >= 2 and all(m is not None for m in marks)
        # the non-representative bone's older open case closed, with the reason
        if other in open_before:
            closed = await s.get(ReviewCase, open_before[other])
            assert closed.status == "closed_rival"
            assert closed.closed_reason == f"group_member:{rep}"
    assert other in open_before, "run 1 queued the second bone for the man"
    assert after[rep] > max(before.values())  # the consensus types more loci than either bone
    # the candidate page and the report: both bones' kits and graves
    from dnacase.services import report

    async with sessionmaker() as s:
        case_id = (await s.execute(select(ReviewCase.id).where(
            ReviewCase.remains_id == rep, ReviewCase.missing_person_id == man))).scalar_one()
        d = await report.candidate_detail(s, case_id)
    assert set(spec["truth"]) <= {k["barcode"] for k in d.kits}
    assert [p.grave for p in d.group_places] == ["C-4-3", "C-4-4"]
    ctx = report.report_context(d, "en")
    assert len(ctx["reassociated"]) == 2 and "C-4-4" in ctx["reassociated"][1]
    assert set(spec["truth"]) <= set(ctx["kits"].split(", "))
