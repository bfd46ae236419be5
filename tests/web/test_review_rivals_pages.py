"""Candidate page and API with rival cases (issue 10): the decision has no default, the rivals are
listed above the form with a warning, a confirmation must acknowledge them, and a contradictory
confirmation is refused with a message naming the identification, in Vietnamese and English."""

from __future__ import annotations

import html
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services"))

from test_review_rivals import _rival_world


async def _form(client, csrf, case_id: int, **fields):
    token = (await csrf(client))["x-csrftoken"]
    return await client.post(f"/review/{case_id}/decision",
                             data={"_csrf_token": token, **fields})


async def test_candidate_page_lists_rivals_above_an_empty_decision(sessionmaker, tmp_path,
                                                                  client_as, csrf):
    w = await _rival_world(sessionmaker, tmp_path)
    rev = await client_as("reviewer")
    a, b, c = w.case(w.r0, w.m0), w.case(w.r0, w.m0b), w.case(w.r0b, w.m0)
    page = (await rev.get(f"/review/{a}")).text
    # the rivals, with a warning, above the decision form
    assert 'id="rival-warning"' in page and 'id="rival-alert"' in page
    assert page.index('id="rivals"') < page.index('id="decision-form"')
    for rival in (b, c):
        assert f'data-rival="{rival}"' in page
    assert html.escape(w.names[w.m0b]) in page and "cùng hài cốt, liệt sĩ khác" in page
    assert 'name="acknowledge_rivals"' in page
    assert 'class="rival-self"' in page and "ứng viên này" in page
    # no default decision: the select starts on the empty "choose..." option
    select = page[page.index('name="decision"'):]
    select = select[:select.index("</select>")]
    assert 'required' in select[:40]
    assert '<option value="" selected>chọn…</option>' in " ".join(select.split())
    assert 'value="confirm" selected' not in select
    # submitting without a decision is refused
    resp = await _form(rev, csrf, a, reason="looks right")
    assert resp.status_code == 400 and "Hãy chọn một kết luận" in resp.text
    # a confirmation without acknowledging the rivals is refused, naming them (Vietnamese)
    resp = await _form(rev, csrf, a, decision="confirm", reason="unit fits")
    assert resp.status_code == 400
    text = html.unescape(resp.text)
    assert "vẫn đang mở" in text and f"hồ sơ #{b} ({w.names[w.m0b]}" in text
    assert "xác suất hậu nghiệm" in text
    assert 'value="confirm" selected' in resp.text  # the reviewer's input is kept
    resp = await _form(rev, csrf, a, decision="confirm", reason="unit fits",
                       acknowledge_rivals="yes")
    assert resp.status_code in (200, 303)  # redirected back to the case
    assert "Đang chờ người thẩm định thứ hai" in (await rev.get(f"/review/{a}")).text


async def test_contradictory_confirmation_refused_in_both_languages(sessionmaker, tmp_path,
                                                                   client_as, csrf):
    w = await _rival_world(sessionmaker, tmp_path)
    rev = await client_as("reviewer")
    adm = await client_as("admin")
    a, b = w.case(w.r0, w.m0), w.case(w.r0, w.m0b)
    # the API requires the decision and the acknowledgement
    resp = await rev.post(f"/api/review/cases/{a}/decision", json={"reason": "x"},
                          headers=await csrf(rev))
    assert resp.status_code == 400
    resp = await rev.post(f"/api/review/cases/{a}/decision",
                          json={"decision": "confirm", "reason": "fits"}, headers=await csrf(rev))
    assert resp.status_code == 400 and resp.json()["fields"]["acknowledge_rivals"]
    assert set(resp.json()["details"]["rivals"]) == {b, w.case(w.r0b, w.m0)}
    detail = (await rev.get(f"/api/review/cases/{a}")).json()
    assert {r["case_id"] for r in detail["rivals"] if r["active"]} == {b, w.case(w.r0b, w.m0)}
    for client in (rev, adm):
        resp = await client.post(f"/api/review/cases/{a}/decision", json={
            "decision": "confirm", "reason": "fits", "acknowledge_rivals": True},
            headers=await csrf(client))
        assert resp.status_code == 201, resp.text
    assert resp.json()["status"] == "confirmed"
    # the rival's page says it is closed and offers no form
    page = (await rev.get(f"/review/{b}")).text
    assert 'id="closed-rival"' in page and 'id="decision-form"' not in page
    # a rival confirmation is refused (API: 409 naming the identification and its reviewers)
    resp = await rev.post(f"/api/review/cases/{b}/decision", json={
        "decision": "confirm", "reason": "fits", "acknowledge_rivals": True},
        headers=await csrf(rev))
    assert resp.status_code == 409
    body = resp.json()
    assert body["details"]["identified_case"] == a
    assert f"(hồ sơ #{a}, " in body["detail"] and "Quản trị viên (demo)" in body["detail"]
    # the form (a stale page): the same message, Vietnamese first ...
    resp = await _form(rev, csrf, b, decision="confirm", reason="fits", acknowledge_rivals="yes")
    assert resp.status_code == 409
    text = html.unescape(resp.text)
    assert f"Hài cốt #{w.r0} (" in text and f"đã được xác định là {w.names[w.m0]}" in text
    assert f"hồ sơ #{a}" in text
    # ... and in English
    r = await rev.post("/lang", data={"locale": "en", "next": "/"}, headers=await csrf(rev))
    assert r.status_code in (200, 303)
    resp = await _form(rev, csrf, b, decision="confirm", reason="fits", acknowledge_rivals="yes")
    text = html.unescape(resp.text)
    assert resp.status_code == 409
    assert f"Remains #{w.r0} (" in text and f"are already identified as {w.names[w.m0]}" in text
    assert f"(case #{a}, confirmed by " in text


async def test_an_index_violation_is_a_409_not_a_500(sessionmaker, tmp_path, client_as, csrf,
                                                     monkeypatch):
    """When the service's check is raced past, the database index refuses the confirmation and
    the reviewer gets the same 409 message (API) and the re-rendered page (form)."""
    from sqlalchemy import update

    from dnacase.models.review import ReviewCase
    from dnacase.services import review_rivals

    w = await _rival_world(sessionmaker, tmp_path)
    rev = await client_as("reviewer")
    adm = await client_as("admin")
    a, b = w.case(w.r0, w.m0), w.case(w.r0, w.m0b)
    for client, case in ((rev, a), (rev, b), (adm, b)):  # a: one confirmation; b: confirmed
        resp = await client.post(f"/api/review/cases/{case}/decision", json={
            "decision": "confirm", "reason": "fits", "acknowledge_rivals": True},
            headers=await csrf(client))
        assert resp.status_code == 201

    async def no_check(*_a, **_k):
        return None

    monkeypatch.setattr(review_rivals, "blocking_identification", no_check)
    async with sessionmaker() as s, s.begin():  # as if b's closing had not happened yet
        await s.execute(update(ReviewCase).where(ReviewCase.id == a).values(status="open"))
    resp = await adm.post(f"/api/review/cases/{a}/decision", json={
        "decision": "confirm", "reason": "fits", "acknowledge_rivals": True},
        headers=await csrf(adm))
    assert resp.status_code == 409, resp.text
    assert f"(hồ sơ #{b}, " in resp.json()["detail"] and w.names[w.m0b] in resp.json()["detail"]
    resp = await _form(adm, csrf, a, decision="confirm", reason="fits", acknowledge_rivals="yes")
    assert resp.status_code == 409
    assert f"đã được xác định là {w.names[w.m0b]}" in html.unescape(resp.text)
