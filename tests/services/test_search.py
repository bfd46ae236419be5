"""Search service: results equal the direct kinship LR, restart safety, table cache, Dask."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from pool_brute import brute_posteriors
from sqlalchemy import func, select
from test_search_support import build_world

from dnacase.kinship import encode_profiles, missing_person_lr
from dnacase.models.search import FamilyTableDigest, SearchBlock, SearchResult, SearchRun
from dnacase.services import search
from dnacase.services.search_inputs import ProfileInput, gather_inputs


async def _world(sessionmaker, **kw):
    async with sessionmaker() as s, s.begin():
        return await build_world(s, **kw)


async def _run(sessionmaker, world, cache: Path, params=None, **kw):
    params = params or search.SearchParameters(block_families=2)
    async with sessionmaker() as s, s.begin():
        run = await search.create_run(s, params, **{k: v for k, v in kw.items()
                                                    if k in ("missing_person_id", "remains_id")})
    run_kw = {k: v for k, v in kw.items() if k not in ("missing_person_id", "remains_id")}
    return await search.execute_run(sessionmaker, run.id, world.source, cache_dir=cache,
                                    **run_kw)


async def _results(sessionmaker, run_id):
    async with sessionmaker() as s:
        return list((await s.execute(select(SearchResult).where(
            SearchResult.run_id == run_id).order_by(SearchResult.remains_id,
                                                    SearchResult.missing_person_id))).scalars())


def test_posterior_in_log_space():
    odds, post = search.posterior_from_log10(4.0, 0.01)
    lr, p = 1e4, 0.01
    assert post == pytest.approx(lr * p / (lr * p + 1 - p), rel=1e-12)
    assert odds == pytest.approx(math.log10(lr * p / (1 - p)))
    assert search.posterior_from_log10(-math.inf, 0.5) == (-math.inf, 0.0)
    assert search.posterior_from_log10(400.0, 1e-4)[1] == 1.0  # no overflow


async def test_results_equal_direct_kinship_lr(sessionmaker, tmp_path):
    world = await _world(sessionmaker)
    run = await _run(sessionmaker, world, tmp_path / "cache")
    assert run.status == "done"
    assert run.pairs_done == run.pairs_total == len(world.remains_ids) * len(world.mp_ids)
    assert run.profile_versions["remains"][str(world.remains_ids[0])] == (
        f"rem{world.remains_ids[0]}v1")
    rows = await _results(sessionmaker, run.id)
    stored = {(r.remains_id, r.missing_person_id): r for r in rows}
    params = search.run_parameters(run)
    async with sessionmaker() as s:
        inputs = await gather_inputs(s, world.source)
    panel = search.build_panel(params, inputs)
    checked = 0
    every: dict[tuple[int, int], float] = {}
    for fam_in in inputs.families:
        fam, _dg = search.family_arrays(panel, fam_in)
        for rem in inputs.remains:
            poi = encode_profiles(panel.loci, ["x"], {"x": dict(rem.profile.alleles)})[0]
            direct = missing_person_lr(fam.pedigree, fam.missing, panel.loci, fam.references, poi)
            key = (rem.remains_id, fam_in.missing_person_id)
            every[key] = direct.log10_lr
            if direct.log10_lr >= params.store_min_log10:
                r = stored.pop(key)
                assert r.log10_lr == pytest.approx(direct.log10_lr, abs=1e-9)
                per = direct.per_locus()
                for locus, v in r.per_locus.items():
                    assert v == pytest.approx(per[locus], abs=1e-9)
                assert sorted(r.inconsistent) == sorted(direct.inconsistent)
                checked += 1
            else:
                assert key not in stored
    assert not stored and checked >= len(world.mp_ids)
    # pool posteriors (every pair in the denominators, stored or not): the smaller side
    want = brute_posteriors(every, n_missing=26, n_remains=len(world.remains_ids),
                            families=list(world.mp_ids), remains=list(world.remains_ids),
                            pi0=params.prior_none)
    for r in rows:
        assert r.posterior == pytest.approx(min(want[(r.remains_id, r.missing_person_id)]),
                                            rel=1e-9)
    # flat prior: 1 / number of missing persons still missing (6 families + 20 others)
    assert run.prior_value == pytest.approx(1 / 26)
    # the true pairs are the top result of their remains and above the thresholds
    for rid, mid in world.truth.items():
        mine = [r for r in rows if r.remains_id == rid]
        if mid is None:
            assert not any(r.candidate for r in mine)
        else:
            best = max(mine, key=lambda r: r.log10_lr)
            assert best.missing_person_id == mid


async def test_interrupted_run_resumes_without_duplicates(sessionmaker, tmp_path):
    world = await _world(sessionmaker)
    full = await _run(sessionmaker, world, tmp_path / "c1")
    expected = [(r.remains_id, r.missing_person_id, r.log10_lr)
                for r in await _results(sessionmaker, full.id)]
    params = search.SearchParameters(block_families=2)
    async with sessionmaker() as s, s.begin():
        run = await search.create_run(s, params)
    with pytest.raises(search.RunInterrupted):
        await search.execute_run(sessionmaker, run.id, world.source, cache_dir=tmp_path / "c2",
                                 stop_after_blocks=1)
    async with sessionmaker() as s:
        r = await s.get(SearchRun, run.id)
        assert r.status == "running" and r.blocks_done == 1 and r.blocks_total == 3
        assert 0 < r.pairs_done < r.pairs_total and r.seconds_left is not None
    # the process "died": recovery marks it interrupted, then it resumes
    async with sessionmaker() as s, s.begin():
        assert await search.recover_interrupted(s, stale_seconds=0) == [run.id]
    done = await search.execute_run(sessionmaker, run.id, world.source,
                                    cache_dir=tmp_path / "c2")
    assert done.status == "done" and done.blocks_done == 3
    got = [(r.remains_id, r.missing_person_id, r.log10_lr)
           for r in await _results(sessionmaker, run.id)]
    assert got == expected
    async with sessionmaker() as s:
        n_blocks = (await s.execute(select(func.count()).select_from(SearchBlock).where(
            SearchBlock.run_id == run.id))).scalar_one()
    assert n_blocks == 3 and done.results_count == len(expected)


async def test_tables_rebuilt_only_when_family_data_change(sessionmaker, tmp_path):
    world = await _world(sessionmaker, n_families=3, n_unrelated=1)
    cache = tmp_path / "cache"
    first = await _run(sessionmaker, world, cache)
    assert first.tables_built == 3
    second = await _run(sessionmaker, world, cache)
    assert second.tables_built == 0
    # a new profile version for one relative: only that family's table is rebuilt
    rid = world.relatives[world.mp_ids[1]][0]
    old = world.source.relatives[rid]
    locus = next(iter(old.alleles))
    _a, b = old.alleles[locus]
    world.source.relatives[rid] = ProfileInput("v2", {**old.alleles, locus: (b, b)})
    async with sessionmaker() as s:
        before = await s.get(FamilyTableDigest, world.mp_ids[1])
        d_before = before.digest
    third = await _run(sessionmaker, world, cache)
    assert third.tables_built == 1
    async with sessionmaker() as s:
        after = await s.get(FamilyTableDigest, world.mp_ids[1])
        assert after.digest != d_before
    assert third.profile_versions["relatives"][str(rid)] == "v2"


async def test_one_family_and_one_remains_on_demand(sessionmaker, tmp_path):
    world = await _world(sessionmaker, n_families=3, n_unrelated=1)
    fam = await _run(sessionmaker, world, tmp_path / "c", missing_person_id=world.mp_ids[0])
    assert fam.scope == "family" and fam.n_families == 1
    assert fam.n_remains == len(world.remains_ids)
    rem = await _run(sessionmaker, world, tmp_path / "c", remains_id=world.remains_ids[0])
    assert rem.scope == "remains" and rem.n_remains == 1 and rem.n_families == 3
    rows = await _results(sessionmaker, rem.id)
    assert {r.remains_id for r in rows} <= {world.remains_ids[0]}
    assert world.mp_ids[0] in {r.missing_person_id for r in rows}


async def test_dask_cluster_gives_the_same_results(sessionmaker, tmp_path, backend):
    if backend != "sqlite":
        pytest.skip("one backend is enough for the cluster test")
    distributed = pytest.importorskip("distributed")
    world = await _world(sessionmaker, n_families=4, n_unrelated=2)
    local = await _run(sessionmaker, world, tmp_path / "c")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=40) as cluster:
        remote = await _run(sessionmaker, world, tmp_path / "c",
                            dask_scheduler=cluster.scheduler_address)
    a = [(r.remains_id, r.missing_person_id, r.log10_lr, r.per_locus)
         for r in await _results(sessionmaker, local.id)]
    b = [(r.remains_id, r.missing_person_id, r.log10_lr, r.per_locus)
         for r in await _results(sessionmaker, remote.id)]
    assert a == b and remote.blocks_done == 2
    assert np.isfinite([x[2] for x in a]).all()


async def test_incremental_search_covers_just_what_changed(sessionmaker, tmp_path):
    world = await _world(sessionmaker, n_families=4, n_unrelated=2)
    cache = tmp_path / "cache"
    first = await _run(sessionmaker, world, cache)
    async with sessionmaker() as s, s.begin():
        from dnacase.models.registry import Remains

        new = Remains(recovery_site="Đồi 724")
        s.add(new)
        await s.flush()
        new_id = new.id
    world.source.remains[new_id] = world.source.remains[world.remains_ids[2]]
    rid = world.relatives[world.mp_ids[1]][0]
    world.source.relatives[rid] = ProfileInput("v2", dict(world.source.relatives[rid].alleles))
    async with sessionmaker() as s, s.begin():
        run = await search.create_run(s, search.SearchParameters(block_families=2),
                                      incremental=True)
    inc = await search.execute_run(sessionmaker, run.id, world.source, cache_dir=cache)
    n_r, n_f = len(world.remains_ids) + 1, len(world.mp_ids)
    # one changed family against every remains + the new remains against the other families
    assert inc.scope == "incremental" and inc.pairs_total == n_r + (n_f - 1)
    assert inc.pairs_done == inc.pairs_total
    rows = await _results(sessionmaker, inc.id)
    assert all(r.remains_id == new_id or r.missing_person_id == world.mp_ids[1] for r in rows)
    full = {(r.remains_id, r.missing_person_id): r.log10_lr
            for r in await _results(sessionmaker, first.id)}
    for r in rows:
        if r.remains_id != new_id:
            assert r.log10_lr == pytest.approx(full[(r.remains_id, r.missing_person_id)])
    assert (new_id, world.mp_ids[2]) in {(r.remains_id, r.missing_person_id) for r in rows}
    # nothing changed since: an incremental run has no pair to compute
    async with sessionmaker() as s, s.begin():
        again = await search.create_run(s, search.SearchParameters(), incremental=True)
    again = await search.execute_run(sessionmaker, again.id, world.source, cache_dir=cache)
    assert again.pairs_total == 0 and again.status == "done"
