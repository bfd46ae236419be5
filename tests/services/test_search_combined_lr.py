"""The search's LR is the combined LR of all typed evidence: for pairs with lineage data on
both sides (comparable and not excluded) the stored ``log10_lr`` is the autosomal log10 LR plus
the mtDNA and Y-STR log10 LRs of :mod:`dnacase.kinship.combined` (computed here pair by pair,
independently of the search), ``log10_lr_autosomal`` is the autosomal LR of a run without the
lineage markers, and the pool sums equal a brute-force sum of the combined LRs. Without a
population database the run falls back to the autosomal LR and says so."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pool_brute import brute_sums
from sqlalchemy import select
from test_search_lineage_filter import _excluded, _mt, _pairs, _setup, _y
from test_search_posteriors import _sums

from dnacase.kinship.combined import combine_pair, mtdna_evidence, ystr_evidence
from dnacase.kinship.lineage import LineageClass, PopulationDatabase
from dnacase.models.search import SearchResult
from dnacase.services import search_lineage


def _databases(world):
    """Synthetic populations: random haplotypes plus one copy of each family's line."""
    rng = np.random.default_rng(5)
    fam_mt = list({x.mt for x in world.source.relative_lineage.values()})
    fam_y = list({x.y for x in world.source.relative_lineage.values()})
    return {"mtDNA": PopulationDatabase("test mt", tuple([_mt(rng) for _ in range(40)] + fam_mt)),
            "Y_STR": PopulationDatabase("test Y", tuple([_y(rng) for _ in range(40)] + fam_y))}


def _want_parts(world, inputs, dbs, remains_id, missing_id):
    """mtDNA and Y-STR evidence of one pair straight from kinship.combined (None: no part)."""
    fam = next(f for f in inputs.families if f.missing_person_id == missing_id)
    rem = world.source.remains_lineage.get(remains_id)
    if rem is None:
        return None, None
    ped = fam.pedigree.to_kinship()
    lin = {n: world.source.relative_lineage[r] for n, r in fam.relative_ids.items()}
    out = []
    for attr, fn, db in (("mt", mtdna_evidence, dbs["mtDNA"]), ("y", ystr_evidence,
                                                                  dbs["Y_STR"])):
        mine = getattr(rem, attr)
        ev = (fn(ped, fam.missing_node, mine, {n: getattr(x, attr) for n, x in lin.items()}, db)
              if mine is not None else None)
        out.append(ev if ev is not None and ev.reference is not None else None)
    return tuple(out)


async def test_stored_lr_is_autosomal_plus_lineage_and_sums_equal_brute_force(
        sessionmaker, tmp_path, monkeypatch):
    world, inputs = await _setup(sessionmaker)
    plain_run, plain = await _pairs(sessionmaker, world, tmp_path, lineage_filter=False)
    dbs = _databases(world)

    async def fake_databases(_session):
        return dbs

    monkeypatch.setattr(search_lineage, "databases", fake_databases)
    run, _combined = await _pairs(sessionmaker, world, tmp_path)
    note = run.notes["lineage_lr"]
    assert note["evidence"] == ["autosomal", "mtDNA", "Y-STR"] and note["pairs"] > 0
    async with sessionmaker() as s:
        rows = {(r.remains_id, r.missing_person_id): r for r in (await s.execute(
            select(SearchResult).where(SearchResult.run_id == run.id))).scalars()}
    excluded = _excluded(world, inputs)
    assert set(rows) == set(plain) - excluded
    with_parts = 0
    for key, row in rows.items():
        mt, y = _want_parts(world, inputs, dbs, *key)
        assert row.log10_lr_autosomal == pytest.approx(plain[key], abs=1e-9)
        usable = [ev for ev in (mt, y) if ev is not None
                  and ev.classification is not LineageClass.EXCLUDED]
        want = combine_pair("r", "m", autosomal=plain[key], mtdna=usable[0] if mt in usable
                            else None, y=y if y in usable else None).combined_log10_lr
        assert row.log10_lr == pytest.approx(want, abs=1e-9)
        want_rec = {ev.marker: ("excluded" if ev.classification is LineageClass.EXCLUDED
                                else pytest.approx(ev.log10_lr, abs=1e-12))
                    for ev in (mt, y) if ev is not None}
        assert (row.lineage_lr or {}) == want_rec
        with_parts += bool(usable)
    assert with_parts >= 5
    # a true pair whose lineages match gains the lineage LRs
    truth = [(r, m) for r, m in world.truth.items() if m is not None]
    assert rows[truth[3]].log10_lr > rows[truth[3]].log10_lr_autosomal + 1
    # pool sums: brute force over every pair's combined LR (excluded pairs LR 0)
    lrs = {k: (-math.inf if k in excluded else rows[k].log10_lr) for k in plain}
    fams = sorted({m for _r, m in lrs})
    rems = sorted({r for r, _m in lrs})
    want_r, want_f = brute_sums(lrs, fams, rems)
    got_r, got_f, _ = await _sums(sessionmaker, run.id)
    for r in rems:
        assert got_r[r] == pytest.approx(want_r[r], abs=1e-9)
    for f in fams:
        assert got_f[f] == pytest.approx(want_f[f], abs=1e-9)
    assert plain_run.notes["lineage_lr"]["evidence"] == ["autosomal"]


async def test_without_a_database_the_run_falls_back_to_autosomal(sessionmaker, tmp_path):
    world, _inputs = await _setup(sessionmaker)
    run, _stored = await _pairs(sessionmaker, world, tmp_path)
    note = run.notes["lineage_lr"]
    assert note == {"evidence": ["autosomal"], "databases": {"mtDNA": None, "Y-STR": None},
                    "lineage_filter": True, "pairs": 0}
    async with sessionmaker() as s:
        rows = (await s.execute(select(SearchResult).where(
            SearchResult.run_id == run.id))).scalars().all()
    assert rows and all(r.lineage_lr is None and r.log10_lr_autosomal == r.log10_lr
                        for r in rows)


async def test_candidate_page_and_report_state_the_evidence_and_the_versions_used(
        sessionmaker, tmp_path, monkeypatch):
    """The candidate's LR is the stored combined LR (not the combined LR plus the lineage LRs
    again); the page and the report name the evidence; a profile re-issued after the search is
    named with 'run the search again'."""
    from dataclasses import replace

    from dnacase.services import report, review

    world, _inputs = await _setup(sessionmaker)
    dbs = _databases(world)

    async def fake_databases(_session):
        return dbs

    monkeypatch.setattr(search_lineage, "databases", fake_databases)
    run, _stored = await _pairs(sessionmaker, world, tmp_path)
    async with sessionmaker() as s:
        items = [i for i in await review.list_queue(s)
                 if isinstance((i.result.lineage_lr or {}).get("mtDNA"), float)]
    assert items
    case = items[0].case
    async with sessionmaker() as s:
        d = await report.candidate_detail(s, case.id, source=world.source)
    res = d.item.result
    assert d.combined_log10_lr == res.log10_lr  # stored combined, lineage not added twice
    assert sum(r.log10_lr for r in d.loci if r.log10_lr is not None) == pytest.approx(
        res.log10_lr_autosomal)
    ctx = report.report_context(d, "en")
    assert f"mtDNA (log10 LR {res.lineage_lr['mtDNA']:.2f})" in ctx["evidence"]
    assert f"autosomal STR (log10 LR {res.log10_lr_autosomal:.2f})" in ctx["evidence"]
    assert "independent" in ctx["evidence"] and ctx["newer"] == []
    used = run.profile_versions["remains"][str(case.remains_id)]
    assert ctx["versions"][0] == f"#{case.remains_id}: {used}"
    # the remains' profile is re-issued after the search
    src = world.source
    src.remains[case.remains_id] = replace(src.remains[case.remains_id], version="v2")
    async with sessionmaker() as s:
        d = await report.candidate_detail(s, case.id, source=src)
    ctx = report.report_context(d, "en")
    assert ctx["newer"] == [f"a newer profile of #{case.remains_id} was imported after this "
                            "search: run the search again"]
    assert report.report_context(d, "vi")["newer"][0].startswith("một hồ sơ mới hơn")
    assert report.report_pdf(d, "en").startswith(b"%PDF-")


async def test_without_a_database_the_page_says_why_the_lineage_lr_is_missing(sessionmaker,
                                                                             tmp_path):
    from dnacase.services import report, review

    world, _inputs = await _setup(sessionmaker)
    await _pairs(sessionmaker, world, tmp_path)
    async with sessionmaker() as s:
        for item in await review.list_queue(s):
            d = await report.candidate_detail(s, item.case.id, source=world.source)
            if any(r.in_line and r.marker == "mtDNA" for r in d.lineage):
                break
        else:
            pytest.fail("no candidate with an mtDNA comparison")
    ctx = report.report_context(d, "en")
    assert ctx["evidence"].startswith("the autosomal STR LR alone")
    assert any("no population haplotype database for mtDNA" in n
               for n in ctx["evidence_notes"])
