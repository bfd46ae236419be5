"""Pool-wide posteriors: the search's per-remains and per-family sums equal a brute-force sum
over every pair (stored or not) in blind, incremental and interrupted-then-resumed runs; the
stored posteriors equal brute-force posteriors; rival posteriors sum to at most 1."""

from __future__ import annotations

import math

import pytest
from pool_brute import brute_posteriors, brute_sums
from sqlalchemy import func, select
from test_search_support import build_world

from dnacase.kinship import encode_profiles, missing_person_lr
from dnacase.models.registry import MissingPerson, Remains
from dnacase.models.search import SearchBlock, SearchPoolSum, SearchResult, SearchRun
from dnacase.services import posteriors, search
from dnacase.services.search_inputs import ProfileInput, gather_inputs


async def _world(sessionmaker, **kw):
    async with sessionmaker() as s, s.begin():
        return await build_world(s, **kw)


async def _create(sessionmaker, params=None, **kw):
    async with sessionmaker() as s, s.begin():
        return await search.create_run(s, params or search.SearchParameters(block_families=2),
                                       **kw)


async def _direct_lrs(sessionmaker, world, run) -> dict[tuple[int, int], float]:
    """log10 LR of every remains x family pair, computed pair by pair by the kinship engine."""
    async with sessionmaker() as s:
        inputs = await gather_inputs(s, world.source)
    panel = search.build_panel(search.run_parameters(run), inputs)
    out = {}
    for fam_in in inputs.families:
        fam, _dg = search.family_arrays(panel, fam_in)
        for rem in inputs.remains:
            poi = encode_profiles(panel.loci, ["x"], {"x": dict(rem.profile.alleles)})[0]
            out[(rem.remains_id, fam_in.missing_person_id)] = missing_person_lr(
                fam.pedigree, fam.missing, panel.loci, fam.references, poi).log10_lr
    return out


async def _sums(sessionmaker, run_id):
    async with sessionmaker() as s:
        rows = list((await s.execute(select(SearchPoolSum).where(
            SearchPoolSum.run_id == run_id))).scalars())
    def total(x):
        a = -math.inf if x.log10_max is None else x.log10_max
        b = -math.inf if x.log10_rest is None else x.log10_rest
        return posteriors._add(a, b)
    return ({x.subject_id: total(x) for x in rows if x.side == "remains"},
            {x.subject_id: total(x) for x in rows if x.side == "family"}, rows)


async def _counts(sessionmaker):
    async with sessionmaker() as s:
        n_m = (await s.execute(select(func.count()).select_from(MissingPerson).where(
            MissingPerson.status == "missing"))).scalar_one()
        n_r = (await s.execute(select(func.count()).select_from(Remains))).scalar_one()
    return n_m, n_r


async def _check_run(sessionmaker, world, run):
    """The run's sums and stored posteriors against brute force over every pair."""
    lrs = await _direct_lrs(sessionmaker, world, run)
    fams = sorted({m for _r, m in lrs})
    rems = sorted({r for r, _m in lrs})
    want_r, want_f = brute_sums(lrs, fams, rems)
    got_r, got_f, rows = await _sums(sessionmaker, run.id)
    assert set(got_r) == set(rems) and set(got_f) == set(fams)
    for r in rems:
        assert got_r[r] == pytest.approx(want_r[r], abs=1e-9)
    for f in fams:
        assert got_f[f] == pytest.approx(want_f[f], abs=1e-9)
    for x in rows:  # the largest term is the best pair's LR
        if x.log10_max is not None:
            key = (x.subject_id, x.best_id) if x.side == "remains" else (x.best_id, x.subject_id)
            assert lrs[key] == pytest.approx(x.log10_max, abs=1e-9)
    n_m, n_r = await _counts(sessionmaker)
    want = brute_posteriors(lrs, n_missing=n_m, n_remains=n_r, families=fams, remains=rems,
                            pi0=search.run_parameters(run).prior_none)
    async with sessionmaker() as s:
        stored = list((await s.execute(select(SearchResult).where(
            SearchResult.run_id == run.id))).scalars())
    assert stored
    for res in stored:
        pr, pf = want[(res.remains_id, res.missing_person_id)]
        assert res.posterior == pytest.approx(min(pr, pf), rel=1e-9, abs=1e-12)
    async with sessionmaker() as s:
        left = (await s.execute(select(func.count()).select_from(SearchBlock).where(
            SearchBlock.run_id == run.id, SearchBlock.remains_sums.is_not(None)))).scalar_one()
    assert left == 0  # folded into the run's rows, block copies cleared
    return lrs, want, stored


async def test_blind_run_sums_and_posteriors_equal_brute_force(sessionmaker, tmp_path):
    world = await _world(sessionmaker)
    run = await _create(sessionmaker)
    run = await search.execute_run(sessionmaker, run.id, world.source, cache_dir=tmp_path)
    lrs, want, stored = await _check_run(sessionmaker, world, run)
    # the sums hold pairs that were not stored (log10 LR < 2)
    assert len(stored) < len(lrs)
    # rival posteriors of one remains (and of one family) sum to less than 1 (pi_0 > 0)
    for rid in {r for r, _m in lrs}:
        assert sum(want[k][0] for k in want if k[0] == rid) < 1
        assert sum(r.posterior for r in stored if r.remains_id == rid) < 1
    for mid in {m for _r, m in lrs}:
        assert sum(want[k][1] for k in want if k[1] == mid) < 1
    async with sessionmaker() as s:
        runs = (await s.execute(select(SearchRun).where(SearchRun.id == run.id))).scalar_one()
    pool = runs.notes["pool"]
    assert pool["prior_none"] == 0.1 and pool["sums"] is True
    assert 0 < pool["rho_none"] < 1


async def test_rivals_of_one_remains_sum_to_at_most_one(sessionmaker, tmp_path):
    """Two brothers' families with the same evidence: the remains' two posteriors share the
    mass (each <= 1/2), where the per-pair posterior gave both ~1."""
    world = await _world(sessionmaker, n_families=3, n_unrelated=1)
    # a second family with exactly the references of the first (the brother of its missing
    # person): the same LR for every remains
    first = world.mp_ids[0]
    async with sessionmaker() as s:
        inputs = await gather_inputs(s, world.source)
    fam0 = next(f for f in inputs.families if f.missing_person_id == first)
    twin = await _twin_family(sessionmaker, world, fam0)
    run = await _create(sessionmaker)
    run = await search.execute_run(sessionmaker, run.id, world.source, cache_dir=tmp_path)
    async with sessionmaker() as s:
        rows = list((await s.execute(select(SearchResult).where(
            SearchResult.run_id == run.id, SearchResult.missing_person_id.in_([first, twin]))
        )).scalars())
    by_rem: dict[int, list[SearchResult]] = {}
    for r in rows:
        by_rem.setdefault(r.remains_id, []).append(r)
    pairs = [v for v in by_rem.values() if len(v) == 2]
    assert pairs
    for a, b in pairs:
        assert a.log10_lr == pytest.approx(b.log10_lr, abs=1e-9)
        assert a.posterior + b.posterior <= 1.0 + 1e-12
        assert a.posterior < 0.5 + 1e-12
        _odds, old = search.posterior_from_log10(a.log10_lr, run.prior_value)
        assert old > a.posterior  # the per-pair posterior ignored the rival


async def _twin_family(sessionmaker, world, fam0) -> int:
    """A new missing person with the same relatives (pedigree links and profiles) as fam0."""
    from dnacase.models.families import FamilyRelationship

    async with sessionmaker() as s, s.begin():
        mp0 = await s.get(MissingPerson, fam0.missing_person_id)
        mp = MissingPerson(full_name=mp0.full_name + " (em)", name_key=mp0.name_key + " em",
                           sex=mp0.sex,
                           registry_number=mp0.registry_number + "-B", status="missing")
        s.add(mp)
        await s.flush()
        links = list((await s.execute(select(FamilyRelationship).where(
            FamilyRelationship.missing_person_id == mp0.id))).scalars())
        for lk in links:
            data = {c: getattr(lk, c) for c in type(lk).model_fields if c not in ("id",)}
            data["missing_person_id"] = mp.id
            s.add(FamilyRelationship(**data))
        return int(mp.id)


async def test_incremental_and_resumed_runs_keep_exact_sums(sessionmaker, tmp_path):
    world = await _world(sessionmaker, n_families=4, n_unrelated=2)
    cache = tmp_path / "cache"
    first = await _create(sessionmaker)
    await search.execute_run(sessionmaker, first.id, world.source, cache_dir=cache)
    # new remains and a changed relative: the incremental run stores only the changed pairs
    async with sessionmaker() as s, s.begin():
        new = Remains(recovery_site="Đồi 724")
        s.add(new)
        await s.flush()
        new_id = new.id
    world.source.remains[new_id] = world.source.remains[world.remains_ids[2]]
    rid = world.relatives[world.mp_ids[1]][0]
    old = world.source.relatives[rid]
    locus = next(iter(old.alleles))
    world.source.relatives[rid] = ProfileInput("v2", {**old.alleles,
                                                      locus: (old.alleles[locus][1],) * 2})
    inc = await _create(sessionmaker, incremental=True)
    with pytest.raises(search.RunInterrupted):  # interrupted after one block, then resumed
        await search.execute_run(sessionmaker, inc.id, world.source, cache_dir=cache,
                                 stop_after_blocks=1)
    async with sessionmaker() as s, s.begin():
        assert await search.recover_interrupted(s, stale_seconds=0) == [inc.id]
    inc = await search.execute_run(sessionmaker, inc.id, world.source, cache_dir=cache)
    assert inc.status == "done" and inc.scope == "incremental"
    lrs, _want, stored = await _check_run(sessionmaker, world, inc)
    assert all(r.remains_id == new_id or r.missing_person_id == world.mp_ids[1]
               for r in stored)
    assert len(stored) < sum(1 for v in lrs.values() if v >= 2)  # fewer stored than summed


async def test_partial_runs_use_the_newest_whole_grid_sums(sessionmaker, tmp_path):
    """A family-scoped run keeps no sums; its posteriors come from the newest whole-grid
    run."""
    world = await _world(sessionmaker, n_families=3, n_unrelated=1)
    full = await _create(sessionmaker)
    await search.execute_run(sessionmaker, full.id, world.source, cache_dir=tmp_path)
    one = await _create(sessionmaker, missing_person_id=world.mp_ids[0])
    one = await search.execute_run(sessionmaker, one.id, world.source, cache_dir=tmp_path)
    assert one.notes["pool"]["sums"] is False
    _r, _f, rows = await _sums(sessionmaker, one.id)
    assert rows == []
    async with sessionmaker() as s:
        a = {(x.remains_id, x.missing_person_id): x.posterior for x in (await s.execute(
            select(SearchResult).where(SearchResult.run_id == full.id))).scalars()}
        b = {(x.remains_id, x.missing_person_id): x.posterior for x in (await s.execute(
            select(SearchResult).where(SearchResult.run_id == one.id))).scalars()}
    assert b and all(b[k] == pytest.approx(a[k], rel=1e-12) for k in b)


def test_side_posterior_closed_form():
    # pi LR / (pi (LR + others + unscored) + pi0), the pair the largest term
    lr, others, n_un, pi, pi0 = 1e6, 30.0, 7, 0.9 / 10, 0.1
    p = posteriors.side_posterior(6.0, 6.0, math.log10(others), prior=pi, prior_none=pi0,
                                  n_unscored=n_un, pool=10)
    want = pi * lr / (pi * (lr + others + n_un) + pi0)
    assert p.posterior == pytest.approx(want, rel=1e-12)
    assert p.log10_odds == pytest.approx(math.log10(want / (1 - want)), rel=1e-9)
    # a pair that is not the largest term: the others are the total minus its LR
    q = posteriors.side_posterior(1.0, 6.0, math.log10(10.0 + 20.0), prior=pi, prior_none=pi0,
                                  n_unscored=n_un, pool=10)
    want = pi * 10 / (pi * (lr + 30.0 + n_un) + pi0)
    assert q.posterior == pytest.approx(want, rel=1e-12)
    # huge odds stay exact in log space (no 1 - p cancellation)
    h = posteriors.side_posterior(40.0, 40.0, -math.inf, prior=1e-6, prior_none=0.1,
                                  n_unscored=0, pool=10**6)
    assert h.log10_odds == pytest.approx(40.0 - 6.0 + 1.0, abs=1e-9)
    assert posteriors.rules_met(4.0, 0.5, 1e4, 0.999) == ("lr",)
    assert posteriors.rules_met(3.9, 0.9995, 1e4, 0.999) == ("posterior",)


def test_prior_none_is_validated():
    with pytest.raises(Exception, match="invalid search parameters"):
        search.SearchParameters(prior_none=1.0).validate()




async def test_lineage_excluded_pairs_are_lr_zero_in_the_sums(sessionmaker, tmp_path):
    """With the lineage filter (the default), the pairs it excludes count as LR 0: the run's
    sums equal brute-force sums over every pair's LR with the excluded ones set to 0."""
    from test_search_lineage_filter import _excluded, _pairs, _setup

    world, inputs = await _setup(sessionmaker)
    _plain_run, plain = await _pairs(sessionmaker, world, tmp_path, lineage_filter=False)
    run, _filtered = await _pairs(sessionmaker, world, tmp_path)
    assert run.parameters["lineage_filter"] is True
    excluded = _excluded(world, inputs)
    assert excluded
    lrs = {k: (-math.inf if k in excluded else v) for k, v in plain.items()}
    fams = sorted({m for _r, m in lrs})
    rems = sorted({r for r, _m in lrs})
    want_r, want_f = brute_sums(lrs, fams, rems)
    got_r, got_f, _rows = await _sums(sessionmaker, run.id)
    for r in rems:
        assert got_r[r] == pytest.approx(want_r[r], abs=1e-9)
    for f in fams:
        assert got_f[f] == pytest.approx(want_f[f], abs=1e-9)


def test_runs_recorded_before_pool_posteriors_keep_their_registry_size():
    old = SearchRun(frequency_table="x", prior_mode="flat", prior_value=1 / 500, n_remains=40,
                    n_families=30, notes=None)
    ctx = posteriors.PoolContext.of(old)
    assert ctx.n_missing == 500 and ctx.remains_pool() == 500 and ctx.n_remains == 40
    assert ctx.rho == pytest.approx(0.9 / 500) and ctx.rho_none == pytest.approx(1 - 40 * 0.9 / 500)
