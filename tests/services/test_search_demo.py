"""``dnacase demo`` + a search: the true identifications top the queue, no false one passes."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from dnacase.db import unit_of_work
from dnacase.models.kits import Kit, Sample
from dnacase.models.profiles import Profile
from dnacase.models.registry import MissingPerson
from dnacase.services import audit, demo, profile_import, review, search
from dnacase.services.search_inputs import DatabaseProfileSource, WideTableProfileSource

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


async def test_demo_search_finds_the_truth(sessionmaker, tmp_path, backend) -> None:
    async with unit_of_work(sessionmaker) as s:
        await demo.load_demo(s, FIXTURES, upload_dir=tmp_path / "up")
        run = await search.create_run(s, search.SearchParameters())
    source = WideTableProfileSource(FIXTURES / "demo" / "genotypes_globalfiler.csv")
    run = await search.execute_run(sessionmaker, run.id, source, cache_dir=tmp_path / "cache")
    assert run.status == "done" and run.n_remains > 0 and run.n_families > 0
    truth = json.loads((FIXTURES / "demo" / "truth.json").read_text())["remains"]
    truth.update(json.loads((FIXTURES / "demo" / "reassociation.json").read_text())["truth"])
    async with sessionmaker() as s:
        kit_remains = {b: rid for b, rid in await s.execute(
            select(Kit.barcode, Sample.remains_id).join(Sample, Sample.kit_id == Kit.id).where(
                Sample.kind == "remains"))}
        reg = {m.id: m.registry_number for m in (await s.execute(select(MissingPerson))).scalars()}
        items = await review.list_queue(s)
    expected = {(kit_remains[k], v) for k, v in truth.items()
                 if v is not None and str(kit_remains[k]) in run.profile_versions["remains"]}
    by_pair = {(i.case.remains_id, reg[i.case.missing_person_id]): i for i in items}
    found = set(by_pair) & expected
    # the strong families (parents, siblings, spouse and children) are identified; distant
    # relatives alone (nephews, grandchildren, uncle + cousin) stay below the thresholds
    assert len(found) >= 6, sorted(expected - found)
    # no false identification above the thresholds, except the one the DNA cannot resolve: the
    # demo records one mother and brother for two missing sons, so both sons match equally;
    # the queue shows it as ambiguous (ratio 1) next to the true pair
    for pair, item in by_pair.items():
        if pair in expected:
            continue
        assert item.ambiguous and abs(item.log10_ratio_families) < 1e-9, pair
        assert any((pair[0], reg[c.missing_person_id]) in found for c in item.other_families)
    # highest pool-wide posterior first, then the LR; a true pair on top; the two brothers
    # who match equally share the posterior mass (sum <= 1, each well below the thresholds)
    keys = [(i.case.posterior, i.result.log10_lr) for i in items]
    assert keys == sorted(keys, reverse=True)
    assert (items[0].case.remains_id, reg[items[0].case.missing_person_id]) in found
    for rid in {i.case.remains_id for i in items}:
        assert sum(i.case.posterior for i in items if i.case.remains_id == rid) <= 1.0


async def test_demo_blind_search_from_the_database(sessionmaker, tmp_path, backend) -> None:
    """``dnacase demo`` imports the lab table through the profile import; a blind search that
    reads the current profile versions from the database puts the true identifications at the
    top of the review queue, and no false pair passes the thresholds."""
    async with unit_of_work(sessionmaker) as s:
        await demo.load_demo(s, FIXTURES, upload_dir=tmp_path / "up")
        run = await search.create_run(s, search.SearchParameters())
    run = await search.execute_run(sessionmaker, run.id, DatabaseProfileSource(),
                                   cache_dir=tmp_path / "cache")
    assert run.status == "done"
    assert all(v.startswith("profile:") for v in run.profile_versions["remains"].values())
    truth = json.loads((FIXTURES / "demo" / "truth.json").read_text())["remains"]
    truth.update(json.loads((FIXTURES / "demo" / "reassociation.json").read_text())["truth"])
    async with sessionmaker() as s:
        kit_remains = {b: rid for b, rid in await s.execute(
            select(Kit.barcode, Sample.remains_id).join(Sample, Sample.kit_id == Kit.id).where(
                Sample.kind == "remains"))}
        reg = {m.id: m.registry_number for m in (await s.execute(select(MissingPerson))).scalars()}
        items = await review.list_queue(s)
        held = (await s.execute(select(Profile).where(
            Profile.status == "current", Profile.single_source.is_(False)))).scalars().all()
    assert not held  # QC may flag relatives, but holds nothing out of the search
    searched = {int(k) for k in run.profile_versions["remains"]}
    # every remains kit of the lab file was searched, nothing else
    table = (FIXTURES / "demo" / "genotypes_globalfiler.csv").read_text().splitlines()[1:]
    table += (FIXTURES / "demo" / "reassociation_globalfiler.csv").read_text().splitlines()[1:]
    in_file = {line.split(",", 1)[0] for line in table}
    assert searched == {kit_remains[k] for k in truth if k in in_file}
    assert run.n_remains == len(searched) >= 10
    expected = {(kit_remains[k], v) for k, v in truth.items()
                if v is not None and kit_remains[k] in searched}
    by_pair = {(i.case.remains_id, reg[i.case.missing_person_id]): i for i in items}
    found = set(by_pair) & expected
    assert len(found) >= 6, sorted(expected - found)
    # false pairs above the thresholds: only the one the DNA cannot resolve (one mother and
    # brother recorded for two missing sons), shown as ambiguous (ratio 1) next to the true one
    false = [p for p in by_pair if p not in expected]
    for pair in false:
        item = by_pair[pair]
        assert item.ambiguous and abs(item.log10_ratio_families) < 1e-9, pair
        assert any((pair[0], reg[c.missing_person_id]) in found for c in item.other_families)
    fams = json.loads((FIXTURES / "demo" / "families.json").read_text())
    sharing = {f["missing"] for f in fams if f.get("shared")}
    sharing |= {f["missing"] for f in fams
                if {r["key"] for r in f["relatives"]}
                & {x["key"] for g in fams for x in g.get("shared", [])}}
    assert {m for _, m in false} <= sharing, (false, sharing)
    # the true identifications are at the top of the queue, highest posterior first
    assert (items[0].case.remains_id, reg[items[0].case.missing_person_id]) in found
    top = [(i.case.remains_id, reg[i.case.missing_person_id]) for i in items[:len(found)]]
    assert sum(p in found for p in top) >= len(found) - len(false)
    keys = [(i.case.posterior, i.result.log10_lr) for i in items]
    assert keys == sorted(keys, reverse=True)


async def test_demo_profiles_imported_give_the_same_search(sessionmaker, tmp_path, backend):
    """The lab table imported by the demo through the profile import (profile versions in the
    database) and read back by the default source gives the same results as the table itself."""
    if backend != "sqlite":
        import pytest

        pytest.skip("the equality of sources does not depend on the database")
    table = FIXTURES / "demo" / "genotypes_globalfiler.csv"
    async with unit_of_work(sessionmaker) as s:
        await demo.load_demo(s, FIXTURES, upload_dir=tmp_path / "up")
        again = await profile_import.commit_import(s, table.read_bytes(), table.name,
                                                   lab="Phòng xét nghiệm ADN (demo)",
                                                   actor=audit.SYSTEM)
        assert again.already is not None  # ``dnacase demo`` imported it already
        # the autosomal genotypes are compared: without the lineage markers (the database
        # source also reads the demo's mtDNA and haplotype database, which the lab table lacks)
        a = await search.create_run(s, search.SearchParameters(lineage_filter=False))
        b = await search.create_run(s, search.SearchParameters(lineage_filter=False))
    both = tmp_path / "both.csv"  # the demo's two lab tables (the second: two bones)
    both.write_text(table.read_text() + "".join(
        (FIXTURES / "demo" / "reassociation_globalfiler.csv").read_text().splitlines(True)[1:]))
    ra = await search.execute_run(sessionmaker, a.id, WideTableProfileSource(both),
                                  cache_dir=tmp_path / "c")
    rb = await search.execute_run(sessionmaker, b.id, DatabaseProfileSource(),
                                  cache_dir=tmp_path / "c")
    assert rb.tables_built == 0  # same data, same digests: the cached tables are reused
    assert all(v.startswith("profile:") for v in rb.profile_versions["remains"].values())
    assert set(rb.profile_versions["remains"]) == set(ra.profile_versions["remains"])
    from dnacase.models.search import SearchResult

    async with sessionmaker() as s:
        def key(r):
            return (r.remains_id, r.missing_person_id, round(r.log10_lr, 9))

        res = {}
        for run_id in (a.id, b.id):
            res[run_id] = sorted(key(r) for r in (await s.execute(
                select(SearchResult).where(SearchResult.run_id == run_id))).scalars())
        assert res[a.id] == res[b.id] and res[a.id]
        searched = (await s.execute(select(Profile).where(
            Profile.last_searched_at.is_not(None)))).scalars().all()
        assert len(searched) >= rb.n_remains
