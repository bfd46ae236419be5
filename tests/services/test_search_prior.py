"""Prior by area: 1 / the cemetery's candidate pool, the flat default elsewhere."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from test_search_support import build_world

from dnacase.models.registry import Cemetery, MissingPerson, Remains
from dnacase.models.search import SearchResult
from dnacase.services import report, review, search
from dnacase.services.errors import ValidationFailed


async def _world_with_pool(sessionmaker, pool: int | None):
    async with sessionmaker() as s, s.begin():
        world = await build_world(s, n_families=3, n_unrelated=1)
        if pool is not None:
            await s.execute(update(Cemetery).values(candidate_pool_size=pool))
        # remains recovered outside a cemetery: no area, so the flat default
        loose = Remains(recovery_site="Đồi 724")
        s.add(loose)
        await s.flush()
        world.source.remains[loose.id] = world.source.remains[world.remains_ids[0]]
        n_missing = len((await s.execute(select(MissingPerson.id).where(
            MissingPerson.status == "missing"))).all())
    return world, loose.id, n_missing


async def _results(sessionmaker, run_id):
    async with sessionmaker() as s:
        return list((await s.execute(select(SearchResult).where(
            SearchResult.run_id == run_id))).scalars())


def test_area_is_a_prior_mode():
    search.SearchParameters(prior_mode="area").validate()
    with pytest.raises(ValidationFailed):
        search.SearchParameters(prior_mode="region").validate()


async def test_area_prior_per_cemetery_and_flat_default(sessionmaker, tmp_path):
    world, loose_id, n_missing = await _world_with_pool(sessionmaker, 5)
    async with sessionmaker() as s, s.begin():
        run = await search.create_run(s, search.SearchParameters(prior_mode="area"))
    run = await search.execute_run(sessionmaker, run.id, world.source, cache_dir=tmp_path)
    assert run.parameters["prior_mode"] == "area" and run.prior_mode == "area"
    assert run.prior_value == pytest.approx(1 / n_missing)  # the flat default
    area = run.notes["prior_area"]
    assert list(area["cemeteries"].values()) == [5]
    assert area["remains_with_area_prior"] == len(world.remains_ids)
    rows = await _results(sessionmaker, run.id)
    assert {r.remains_id for r in rows} >= {loose_id, world.remains_ids[0]}
    pi0 = run.parameters["prior_none"]
    for r in rows:  # each person's prior: (1 - pi_0) / the pool (5, or the registry)
        want = (1 - pi0) / (n_missing if r.remains_id == loose_id else 5)
        assert r.prior == pytest.approx(want)
        assert r.candidate == (r.log10_lr >= 4 or r.posterior >= 0.999)
    # same LRs as a flat run; only prior and posterior differ
    async with sessionmaker() as s, s.begin():
        flat = await search.create_run(s, search.SearchParameters())
    flat = await search.execute_run(sessionmaker, flat.id, world.source, cache_dir=tmp_path)
    fl = {(r.remains_id, r.missing_person_id): r for r in await _results(sessionmaker, flat.id)}
    assert set(fl) == {(r.remains_id, r.missing_person_id) for r in rows}
    for r in rows:
        f = fl[(r.remains_id, r.missing_person_id)]
        assert f.log10_lr == pytest.approx(r.log10_lr)
        assert f.prior == pytest.approx((1 - pi0) / n_missing)
        if r.remains_id == loose_id:
            assert r.posterior == pytest.approx(f.posterior, rel=1e-12)
        else:  # the raised prior raises the remains' side (the family's side is flat)
            assert r.posterior >= f.posterior


async def test_area_without_pool_sizes_is_the_flat_prior(sessionmaker, tmp_path):
    world, _loose, n_missing = await _world_with_pool(sessionmaker, None)
    async with sessionmaker() as s, s.begin():
        run = await search.create_run(s, search.SearchParameters(prior_mode="area"))
    run = await search.execute_run(sessionmaker, run.id, world.source, cache_dir=tmp_path)
    assert run.notes["prior_area"]["remains_with_area_prior"] == 0
    assert all(r.prior == pytest.approx(0.9 / n_missing)
               for r in await _results(sessionmaker, run.id))


@pytest.mark.parametrize("lang", ["en", "vi"])
async def test_report_states_the_area_prior(sessionmaker, tmp_path, lang):
    world, _loose, _n = await _world_with_pool(sessionmaker, 40)
    async with sessionmaker() as s, s.begin():
        run = await search.create_run(s, search.SearchParameters(prior_mode="area"))
    await search.execute_run(sessionmaker, run.id, world.source, cache_dir=tmp_path)
    async with sessionmaker() as s:
        items = [it for it in await review.list_queue(s) if it.case.remains_id != _loose]
        assert items
        d = await report.candidate_detail(s, items[0].case.id, source=world.source)
    ctx = report.report_context(d, lang)
    assert ctx["prior"].startswith("0.0225 = (1 − 0.1)/40: ")
    assert d.item.cemetery.name in ctx["prior"]
