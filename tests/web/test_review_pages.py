"""Search and review pages and API: queue, candidate page, blind two-reviewer confirmation, the
identification report (HTML and PDF)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services"))

import pytest
from test_search_support import build_world

from dnacase.services import search


async def _candidates(sessionmaker, tmp_path):
    async with sessionmaker() as s, s.begin():
        world = await build_world(s, n_families=3, n_unrelated=1)
        run = await search.create_run(s, search.SearchParameters())
    await search.execute_run(sessionmaker, run.id, world.source, cache_dir=tmp_path / "t")
    return world, run


async def test_reviewers_confirm_blind_and_open_the_report(sessionmaker, tmp_path, client_as,
                                                          csrf, backend):
    world, _run = await _candidates(sessionmaker, tmp_path)
    rev = await client_as("reviewer")
    adm = await client_as("admin")
    lab = await client_as("lab")
    assert (await lab.get("/review/")).status_code == 403
    queue = await rev.get("/api/review/cases")
    assert queue.status_code == 200
    cases = queue.json()
    assert cases and all(world.truth[c["remains_id"]] == c["missing_person_id"] for c in cases)
    case_id = cases[0]["case_id"]
    page = await rev.get("/review/")
    assert page.status_code == 200 and f'data-case="{case_id}"' in page.text
    page = await rev.get(f"/review/{case_id}")
    assert page.status_code == 200 and 'id="pedigree"' in page.text and "<svg" in page.text
    # first reviewer confirms through the form
    token = (await csrf(rev))["x-csrftoken"]
    resp = await rev.post(f"/review/{case_id}/decision", data={
        "decision": "confirm", "reason": "unit and grave fit the story", "_csrf_token": token})
    assert resp.status_code in (200, 303)
    # the same reviewer cannot decide twice
    again = await rev.post(f"/api/review/cases/{case_id}/decision", json={
        "decision": "confirm", "reason": "again"}, headers=await csrf(rev))
    assert again.status_code == 409
    # blind: the second reviewer does not see the first decision before deciding
    page = await adm.get(f"/review/{case_id}")
    assert "unit and grave fit the story" not in page.text and 'id="decision-form"' in page.text
    assert (await adm.get(f"/api/review/cases/{case_id}")).json()["decisions"] == []
    resp = await adm.post(f"/api/review/cases/{case_id}/decision", json={
        "decision": "confirm", "reason": "independent check agrees"}, headers=await csrf(adm))
    assert resp.status_code in (200, 201) and resp.json()["status"] == "confirmed"
    page = await rev.get(f"/review/{case_id}")
    assert "unit and grave fit the story" in page.text and 'id="report-links"' in page.text
    html = await rev.get(f"/review/{case_id}/report?lang=en")
    assert html.status_code == 200 and "H1: the remains are those of" in html.text
    vi = await rev.get(f"/review/{case_id}/report?lang=vi")
    assert "Tỷ số khả năng (LR)" in vi.text
    pdf = await rev.get(f"/review/{case_id}/report.pdf?lang=vi")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    # withdrawal: admin only, with a reason
    resp = await rev.post(f"/api/review/cases/{case_id}/withdraw", json={"reason": "x"},
                          headers=await csrf(rev))
    assert resp.status_code == 403
    resp = await adm.post(f"/api/review/cases/{case_id}/withdraw", json={"reason": ""},
                          headers=await csrf(adm))
    assert resp.status_code == 400
    resp = await adm.post(f"/api/review/cases/{case_id}/withdraw",
                          json={"reason": "sample mix-up"}, headers=await csrf(adm))
    assert resp.json()["status"] == "withdrawn"


async def test_search_pages_and_api(sessionmaker, tmp_path, client_as, csrf, settings):
    _world, run = await _candidates(sessionmaker, tmp_path)
    rev = await client_as("reviewer")
    page = await rev.get("/search/")
    assert page.status_code == 200 and f'href="/search/runs/{run.id}"' in page.text
    page = await rev.get(f"/search/runs/{run.id}")
    assert page.status_code == 200 and 'id="progress"' in page.text
    prog = (await rev.get(f"/api/search/runs/{run.id}")).json()
    assert prog["status"] == "done" and prog["pairs_done"] == prog["pairs_total"]
    assert prog["profile_versions"]["remains"]
    # a run started through the API (no profile imported here: nothing to search)
    resp = await rev.post("/api/search/runs", json={"lr_threshold": 1e6},
                          headers=await csrf(rev))
    assert resp.status_code == 202
    new = (await rev.get(f"/api/search/runs/{resp.json()['id']}")).json()
    assert new["status"] == "done" and new["parameters"]["lr_threshold"] == 1e6
    bad = await rev.post("/api/search/runs", json={"posterior_threshold": 2},
                         headers=await csrf(rev))
    assert bad.status_code == 400
    collector = await client_as("collector")
    assert (await collector.get("/search/")).status_code == 403


async def test_candidate_page_shows_the_lineage_comparisons(sessionmaker, tmp_path, client_as,
                                                           monkeypatch):
    """The candidate page lists the remains' mtDNA against each typed relative: compared along
    the maternal line (here identical: cannot exclude), the others shown as outside it."""
    import numpy as np
    from test_search_lineage_filter import _mt

    from dnacase.services import report
    from dnacase.services.search_inputs import LineageInput

    world, _run = await _candidates(sessionmaker, tmp_path)
    rev = await client_as("reviewer")
    mt = _mt(np.random.default_rng(5))
    for rid in world.source.remains:
        world.source.remains_lineage[rid] = LineageInput(mt, None, "r")
    for rids in world.relatives.values():
        for rid in rids:
            world.source.relative_lineage[rid] = LineageInput(mt, None, f"l{rid}")
    monkeypatch.setattr(report, "source_from_spec", lambda spec: world.source)
    seen = set()
    for case in (await rev.get("/api/review/cases")).json():
        page = await rev.get(f"/review/{case['case_id']}")
        assert page.status_code == 200 and 'id="lineage"' in page.text
        if 'class="lineage-cannot-exclude"' in page.text:
            assert "không loại trừ được" in page.text  # Vietnamese first
            seen.add("in line")
        if 'class="lineage-outside"' in page.text:
            assert "ngoài dòng dõi: không so sánh" in page.text
            seen.add("outside")
    assert seen == {"in line", "outside"}  # the world's families have both kinds
    # with a population haplotype database: the mtDNA LR and the combined LR
    from dnacase.services import audit
    from dnacase.services import haplotype_databases as hdb

    pop = ("#! 16024-576\n" + "".join(f"P{i}\t?\t1\t16223T\t73G\n" for i in range(20)))
    async with sessionmaker() as s, s.begin():
        await hdb.import_database(s, pop.encode(), "pop.emp", marker="mtDNA",
                                  population="Kinh", actor=audit.SYSTEM)
    combined = 0
    for case in (await rev.get("/api/review/cases")).json():
        page = await rev.get(f"/review/{case['case_id']}")
        assert 'id="lineage-lrs"' in page.text
        if 'id="combined-lr"' in page.text:
            assert "log10 LR kết hợp" in page.text and "0 trên 20 trong Kinh" in page.text
            combined += 1
    assert combined >= 1


async def test_pages_show_the_evidence_model_of_the_run(sessionmaker, tmp_path, client_as,
                                                         backend):
    """The run page, the candidate page and the report name the table each LR used, the
    mutation model and its rates, theta and the minimum allele frequency, and ask for a Kinh
    table when a shipped one was used."""
    if backend != "sqlite":
        pytest.skip("rendering does not depend on the database")
    _world, run = await _candidates(sessionmaker, tmp_path)
    rev = await client_as("reviewer")
    page = await rev.get(f"/search/runs/{run.id}")
    assert page.status_code == 200
    for text in ('id="run-table"', "norstr_east_asia", "x1.7", "x0.3", "1e-05",
                 'id="run-theta"', "5/2N", 'id="kinh-note"'):
        assert text in page.text, text
    case_id = (await rev.get("/api/review/cases")).json()[0]["case_id"]
    page = await rev.get(f"/review/{case_id}")
    for text in ("norstr_east_asia", "x1.7", 'id="theta"', 'id="kinh-note"'):
        assert text in page.text, text
    report = await rev.get(f"/review/{case_id}/report?lang=en")
    assert 'id="kinh-note"' in report.text and "Kinh" in report.text
