"""New profiles trigger an incremental search of just what changed: a profile import commit
queues an incremental run; executed, it covers only the new profiles."""

from __future__ import annotations

from sqlalchemy import select
from test_profile_import import LAB, build_lab, genemapper, good_file

from dnacase.i18n import use_locale
from dnacase.models.search import SearchResult, SearchRun
from dnacase.services import audit, search
from dnacase.services import profile_import as pi
from dnacase.services.search_inputs import DatabaseProfileSource


async def _commit(sessionmaker, data: bytes, name: str) -> pi.ImportReport:
    with use_locale("en"):
        async with sessionmaker() as s, s.begin():
            return await pi.commit_import(s, data, name, lab=LAB, actor=audit.SYSTEM)


async def _execute(sessionmaker, run_id: int, tmp_path) -> SearchRun:
    return await search.execute_run(sessionmaker, run_id, DatabaseProfileSource(),
                                    cache_dir=tmp_path / "tables")


async def _runs(sessionmaker) -> list[SearchRun]:
    async with sessionmaker() as s:
        return list((await s.execute(select(SearchRun).order_by(SearchRun.id))).scalars())


async def test_import_queues_an_incremental_run_of_just_the_new_profiles(sessionmaker,
                                                                          tmp_path):
    async with sessionmaker() as s, s.begin():
        lab = await build_lab(s, tmp_path)
    _data, samples = good_file(lab)
    last_remains = lab.remains[-1]
    first_samples = {k: v for k, v in samples.items() if k != last_remains}
    amel = {k: ["X", "Y"] for k in first_samples}
    first = await _commit(sessionmaker, genemapper(first_samples, amel=amel), "run1.txt")
    assert first.search_run_id is not None
    runs = await _runs(sessionmaker)
    assert [(r.id, r.scope, r.status) for r in runs] == [
        (first.search_run_id, "incremental", "queued")]
    assert runs[0].notes["imports"] == [first.import_id]
    # a second import before the queued run executes reuses it (no duplicate run)
    second = await _commit(sessionmaker, genemapper({last_remains: samples[last_remains]},
                                                    amel={last_remains: ["X", "Y"]}), "run2.txt")
    assert second.search_run_id == first.search_run_id
    run = await _execute(sessionmaker, first.search_run_id, tmp_path)
    assert run.status == "done" and run.scope == "incremental"
    n_remains = len(lab.remains)
    assert run.n_families == 1 and run.n_remains == n_remains
    assert run.pairs_total == run.pairs_done == n_remains  # nothing searched before: all new
    assert (await _runs(sessionmaker))[0].notes["imports"] == [first.import_id,
                                                                second.import_id]

    # re-importing the same file changes nothing and queues nothing
    again = await _commit(sessionmaker, genemapper({last_remains: samples[last_remains]},
                                                   amel={last_remains: ["X", "Y"]}), "run2.txt")
    assert again.already is not None and again.search_run_id is None
    assert len(await _runs(sessionmaker)) == 1

    # a new remains profile (the remains at the other lab's kit is not ours; re-issue one of
    # ours with a changed genotype instead): only that remains x the family is searched
    changed = dict(samples[lab.remains[0]])
    locus = next(iter(changed))
    changed[locus] = ["8", "9"] if changed[locus] != ["8", "9"] else ["10", "11"]
    with use_locale("en"):
        async with sessionmaker() as s, s.begin():
            third = await pi.commit_import(
                s, genemapper({lab.remains[0]: changed}, amel={lab.remains[0]: ["X", "Y"]}),
                "run3.txt", lab=LAB, actor=audit.SYSTEM,
                reason="Re-typed after a failed first locus, new extract")
    assert third.search_run_id not in (None, first.search_run_id)
    inc = await _execute(sessionmaker, third.search_run_id, tmp_path)
    assert inc.scope == "incremental" and inc.pairs_total == inc.pairs_done == 1
    assert inc.parameters == run.parameters  # the same parameters as the earlier run
    before, after = run.profile_versions["remains"], inc.profile_versions["remains"]
    changed_ids = {int(k) for k in after if before.get(k) != after[k]}
    assert len(changed_ids) == 1 and len(after) == n_remains
    async with sessionmaker() as s:
        rows = (await s.execute(select(SearchResult.remains_id).where(
            SearchResult.run_id == inc.id))).scalars().all()
    assert set(rows) <= changed_ids


async def test_queued_incremental_run_after_a_blind_run_has_nothing_left(sessionmaker,
                                                                         tmp_path):
    async with sessionmaker() as s, s.begin():
        lab = await build_lab(s, tmp_path)
    data, _samples = good_file(lab)
    report = await _commit(sessionmaker, data, "run1.txt")
    assert report.search_run_id is not None
    async with sessionmaker() as s, s.begin():  # a blind search runs before the queued one
        blind = await search.create_run(s, search.SearchParameters())
    blind = await _execute(sessionmaker, blind.id, tmp_path)
    assert blind.pairs_total == len(lab.remains)
    inc = await _execute(sessionmaker, report.search_run_id, tmp_path)
    assert inc.status == "done" and inc.pairs_total == 0


async def test_api_and_page_start_incremental_runs_and_execute_the_queued_one(
        sessionmaker, tmp_path, client_as, csrf):
    async with sessionmaker() as s, s.begin():
        lab = await build_lab(s, tmp_path)
    data, _samples = good_file(lab)
    report = await _commit(sessionmaker, data, "run1.txt")
    c = await client_as("lab")
    resp = await c.post(f"/api/search/runs/{report.search_run_id}/execute",
                        headers=await csrf(c))
    assert resp.status_code == 202 and resp.json()["scope"] == "incremental"
    done = (await c.get(f"/api/search/runs/{report.search_run_id}")).json()
    assert done["status"] == "done" and done["pairs_total"] == len(lab.remains)
    again = await c.post(f"/api/search/runs/{report.search_run_id}/execute",
                         headers=await csrf(c))
    assert again.status_code == 200 and again.json()["status"] == "done"
    resp = await c.post("/api/search/runs", json={
        "incremental": True, "prior_mode": "area", "lineage_filter": True},
        headers=await csrf(c))
    assert resp.status_code == 202
    run = (await c.get(f"/api/search/runs/{resp.json()['id']}")).json()
    assert run["scope"] == "incremental" and run["status"] == "done"
    assert run["pairs_total"] == 0  # nothing new since the run above
    assert run["parameters"]["prior_mode"] == "area" and run["parameters"]["lineage_filter"]
    page = await c.post("/search/runs", data={"incremental": "on", "prior_mode": "flat"},
                        headers=await csrf(c), follow_redirects=True)
    assert page.status_code == 200 and 'id="run-prior"' in page.text
    async with sessionmaker() as s:
        last = (await s.execute(select(SearchRun).order_by(SearchRun.id.desc()))).scalars().first()
    assert last.scope == "incremental" and last.parameters["lineage_filter"] is False
