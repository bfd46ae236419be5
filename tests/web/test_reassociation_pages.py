"""Re-association pages and API: the candidate list, the pair page (vi/en), the two-reviewer
"same individual" decision through the form and the API, role guards, and the re-associated
graves on the identification candidate page and in the report."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services"))

from sqlalchemy import select
from test_reassociation import _world_with_second_bone

from dnacase.models.reassociation import RemainsPair
from dnacase.models.review import ReviewCase
from dnacase.services import reassociation_scan, search


async def _queued(sessionmaker):
    world, first, bone, _het = await _world_with_second_bone(sessionmaker)
    async with sessionmaker() as s, s.begin():
        await reassociation_scan.scan_remains_pairs(s, world.source)
        pid = (await s.execute(select(RemainsPair.id))).scalar_one()
    return world, first, bone, pid


async def test_pair_pages_guards_and_two_reviewer_rule(sessionmaker, client_as, csrf):
    _world, _first, _bone, pid = await _queued(sessionmaker)
    rev = await client_as("reviewer")
    adm = await client_as("admin")
    lab = await client_as("lab")
    for url in ("/reassociation/", f"/reassociation/{pid}", "/api/reassociation/pairs"):
        assert (await lab.get(url)).status_code == 403
    listing = await rev.get("/reassociation/?lang=en")
    assert listing.status_code == 200 and f'data-pair="{pid}"' in listing.text
    assert "C-2-7" in listing.text and "A-1-1" in listing.text
    page = await rev.get(f"/reassociation/{pid}")
    assert page.status_code == 200 and 'id="pair-decision-form"' in page.text
    assert 'id="model"' in page.text
    assert 'checked' not in page.text.split('id="pair-decision-form"')[1].split("</form>")[0]
    api = (await rev.get("/api/reassociation/pairs")).json()
    assert [p["pair_id"] for p in api] == [pid] and api[0]["log10_lr"] >= 6
    # no decision chosen / no reason: the form comes back with the messages, nothing stored
    token = (await csrf(rev))["x-csrftoken"]
    resp = await rev.post(f"/reassociation/{pid}/decision", data={
        "decision": "", "reason": "", "_csrf_token": token})
    assert resp.status_code == 400 and 'id="pair-decision-form"' in resp.text
    resp = await rev.post(f"/reassociation/{pid}/decision", data={
        "decision": "same", "reason": "profiles agree at every shared locus",
        "_csrf_token": token})
    assert resp.status_code in (200, 303)
    again = await rev.post(f"/api/reassociation/pairs/{pid}/decision", json={
        "decision": "same", "reason": "again"}, headers=await csrf(rev))
    assert again.status_code == 409
    # blind second review
    assert "profiles agree at every shared locus" not in (
        await adm.get(f"/reassociation/{pid}")).text
    resp = await adm.post(f"/api/reassociation/pairs/{pid}/decision", json={
        "decision": "same", "reason": "independent check agrees"}, headers=await csrf(adm))
    assert resp.status_code in (200, 201) and resp.json()["status"] == "confirmed"
    page = await rev.get(f"/reassociation/{pid}")
    assert "profiles agree at every shared locus" in page.text
    assert 'id="pair-decision-form"' not in page.text


async def test_pair_page_in_vietnamese_and_english(sessionmaker, client_as, csrf):
    _world, _first, _bone, pid = await _queued(sessionmaker)
    rev = await client_as("reviewer")
    for lang, words in (("vi", ("hai mẫu là của cùng một người", "Ghép hài cốt")),
                        ("en", ("the two samples come from one individual", "Re-association"))):
        r = await rev.post("/lang", data={"locale": lang, "next": "/",
                                          "_csrf_token": (await csrf(rev))["x-csrftoken"]})
        assert r.status_code in (200, 302, 303)
        page = await rev.get(f"/reassociation/{pid}")
        assert page.status_code == 200
        for w in words:
            assert w in page.text, (lang, w)


async def test_candidate_page_and_report_list_every_grave(sessionmaker, tmp_path, client_as,
                                                          csrf):
    world, first, bone, pid = await _queued(sessionmaker)
    rev = await client_as("reviewer")
    adm = await client_as("admin")
    for c, why in ((rev, "same"), (adm, "agree")):
        r = await c.post(f"/api/reassociation/pairs/{pid}/decision",
                         json={"decision": "same", "reason": why}, headers=await csrf(c))
        assert r.status_code in (200, 201)
    async with sessionmaker() as s, s.begin():
        run = await search.create_run(s, search.SearchParameters())
    await search.execute_run(sessionmaker, run.id, world.source, cache_dir=tmp_path / "t")
    async with sessionmaker() as s:
        case_id = (await s.execute(select(ReviewCase.id).where(
            ReviewCase.remains_id == first))).scalar_one()
    page = await rev.get(f"/review/{case_id}")
    assert page.status_code == 200 and 'id="group-places"' in page.text
    block = page.text.split('id="group-places"')[1].split("</dd>")[0]
    assert "A-1-1" in block and "C-2-7" in block and f"#{bone}" in block
    html = await rev.get(f"/review/{case_id}/report?lang=en")
    assert 'id="report-reassociated"' in html.text and "Re-associated remains" in html.text
    assert "C-2-7" in html.text
    vi = await rev.get(f"/review/{case_id}/report?lang=vi")
    assert "Hài cốt đã ghép" in vi.text
    pdf = await rev.get(f"/review/{case_id}/report.pdf?lang=vi")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")


async def test_admin_runs_the_comparison_from_the_page(sessionmaker, client_as, csrf):
    """The page's "compare now" (admin only) reads the current profile versions in the database:
    with none imported it compares nothing and queues nothing, and says so."""
    rev = await client_as("reviewer")
    adm = await client_as("admin")
    assert 'id="scan-form"' not in (await rev.get("/reassociation/")).text
    assert 'id="scan-form"' in (await adm.get("/reassociation/")).text
    r = await rev.post("/reassociation/scan", data={
        "_csrf_token": (await csrf(rev))["x-csrftoken"]})
    assert r.status_code == 403
    r = await adm.post("/reassociation/scan", data={
        "_csrf_token": (await csrf(adm))["x-csrftoken"]})
    assert r.status_code in (200, 302, 303)
    page = r if r.status_code == 200 else await adm.get("/reassociation/")  # redirect followed
    assert ("Đã so sánh 0 hồ sơ hài cốt; 0 ứng viên mới" in page.text
            or "0 remains profiles compared; 0 new candidates" in page.text), page.text[-2000:]
