"""The demo's degraded remains (KIT-2024-000035-21, six loci with one peak): identified only
with the dropout model; read as homozygotes (d = 0) its family falls far below the
thresholds; its candidate page names the loci read with dropout."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from dnacase.db import unit_of_work
from dnacase.models.kits import Kit, Sample
from dnacase.models.registry import MissingPerson
from dnacase.models.search import SearchResult
from dnacase.models.users import User
from dnacase.services import demo, dropout, report, review, search
from dnacase.services.search_inputs import DatabaseProfileSource

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
KIT = "KIT-2024-000035-21"
DROPPED = {"D16S539", "D8S1179", "D22S1045", "D2S1338", "CSF1PO", "D13S317"}


async def _pair(sessionmaker, run_id, remains_id, mp_id):
    async with sessionmaker() as s:
        return (await s.execute(select(SearchResult).where(
            SearchResult.run_id == run_id, SearchResult.remains_id == remains_id,
            SearchResult.missing_person_id == mp_id))).scalar_one_or_none()


async def test_degraded_remains_found_only_with_dropout(sessionmaker, tmp_path, backend):
    if backend != "sqlite":
        import pytest

        pytest.skip("the model does not depend on the database")
    truth = json.loads((FIXTURES / "demo" / "truth.json").read_text())["remains"]
    async with unit_of_work(sessionmaker) as s:
        rep = await demo.load_demo(s, FIXTURES, upload_dir=tmp_path / "up")
        assert rep.dropout_settings == 1
        run = await search.create_run(s, search.SearchParameters())
        rid = (await s.execute(select(Sample.remains_id).join(Kit, Kit.id == Sample.kit_id)
                               .where(Kit.barcode == KIT))).scalar_one()
        mp_id = (await s.execute(select(MissingPerson.id).where(
            MissingPerson.registry_number == truth[KIT]))).scalar_one()
    async with unit_of_work(sessionmaker) as s:  # idempotent
        assert (await demo.load_demo(s, FIXTURES, upload_dir=tmp_path / "up")
                ).dropout_settings == 0
    run = await search.execute_run(sessionmaker, run.id, DatabaseProfileSource(),
                                   cache_dir=tmp_path / "cache")
    hit = await _pair(sessionmaker, run.id, rid, mp_id)
    assert hit is not None and hit.candidate, hit and hit.log10_lr
    assert hit.dropout == 0.3
    assert {k for k, v in hit.one_allele.items() if v == "peak"} >= DROPPED
    async with sessionmaker() as s:
        case = next(i.case for i in await review.list_queue(s)
                    if (i.case.remains_id, i.case.missing_person_id) == (rid, mp_id))
        d = await report.candidate_detail(s, case.id)
    assert d.one_allele_lines is not None
    assert all(loc in d.one_allele_lines[0] for loc in DROPPED)
    shown = {r.locus: r for r in d.loci}
    assert shown["D2S1338"].remains == "17" and shown["D2S1338"].one_allele == "peak"
    # read as homozygotes, the same profile does not identify the family
    async with unit_of_work(sessionmaker) as s:
        lab = (await s.execute(select(User).where(User.username == "lab"))).scalar_one()
        await dropout.set_sample_dropout(s, KIT, 0.0, "compare with d = 0", actor=lab)
        run0 = await search.create_run(s, search.SearchParameters(store_min_log10=-400.0))
    run0 = await search.execute_run(sessionmaker, run0.id, DatabaseProfileSource(),
                                    cache_dir=tmp_path / "cache")
    miss = await _pair(sessionmaker, run0.id, rid, mp_id)
    assert miss is None or (not miss.candidate and miss.log10_lr < hit.log10_lr - 10)
    assert miss is None or miss.one_allele is None
