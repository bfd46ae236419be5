"""The collector's workflow through HTTP: kits, reference and remains collection, shipment,
check-in, outcome; forms that refuse keep what was typed; roles."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dnacase.domain.accession import make_accession
from tests.conftest import csrf_headers, csrf_token
from tests.services.test_demo import load_demo_data


async def _en(client_as, role: str):
    """A client logged in as *role* that chose English (the default language is Vietnamese)."""
    c = await client_as(role)
    r = await c.post("/lang", data={"locale": "en", "next": "/"}, headers=await csrf_headers(c))
    assert r.status_code == 200
    return c



@pytest.fixture
async def demo(sessionmaker, settings):
    return await load_demo_data(sessionmaker, Path(settings.var_dir) / "uploads")


async def _form(client, path: str, data: dict) -> object:
    return await client.post(path, data={**data, "_csrf_token": await csrf_token(client)})


async def test_html_collection_day(client_as, demo) -> None:
    col = await _en(client_as, "collector")
    r = await col.get("/collection")
    assert r.status_code == 200 and "open-kits" in r.text
    # a new batch of kits, with printable labels
    r = await _form(col, "/kits/batches", {"count": "3", "notes": "test"})
    assert r.status_code == 200 and "/labels" in str(r.url)
    barcodes = re.findall(r'data-barcode="(KIT-[0-9-]+)"', r.text)
    assert len(barcodes) == 3 and r.text.count("<svg") >= 6
    kit = barcodes[0]
    # search by barcode (lower case, no dashes) opens the kit page
    r = await col.get(f"/collection/search?barcode={kit.lower().replace('-', '')}")
    assert r.status_code == 200 and str(r.url).endswith(kit)
    # a wrong check digit is refused with the expected digits, input kept
    typo = kit[:-2] + f"{(int(kit[-2:]) + 1) % 100:02d}"
    r = await col.get(f"/collection/search?barcode={typo}")
    assert r.status_code == 400 and f"(expected {kit[-2:]})" in r.text and typo in r.text
    # refused collection keeps what was typed
    relatives = (await col.get("/api/relatives?q=")).json()
    with_consent = next(x for x in relatives if x["consent_date"] and not x["deceased"])
    without = next(x for x in relatives if not x["consent_date"])
    r = await _form(col, "/collection/reference", {
        "barcode": kit, "relative_id": str(without["id"]), "sample_type": "buccal_swab",
        "collected_at": "2024-06-01T10:00", "place": "Trạm y tế xã Đông"})
    assert r.status_code == 400
    assert "no recorded consent" in r.text and "Trạm y tế xã Đông" in r.text
    r = await _form(col, "/collection/reference", {
        "barcode": kit, "relative_id": str(with_consent["id"]), "sample_type": "buccal_swab",
        "collected_at": "2024-06-01T10:00", "place": "Trạm y tế xã Đông"})
    assert r.status_code == 200 and str(r.url).endswith(kit)
    assert 'data-event="collected"' in r.text and with_consent["full_name"] in r.text
    # remains sample from a grave
    cem = (await col.get("/api/cemeteries")).json()[0]
    grave = (await col.get(f"/api/cemeteries/{cem['id']}/graves?status=unnamed&per_page=1")
             ).json()["items"][0]
    r = await _form(col, "/collection/remains", {
        "barcode": barcodes[1], "cemetery_id": str(cem["id"]), "plot": grave["plot"],
        "row": grave["row"], "number": grave["number"], "element": "",
        "collected_at": "2024-06-01T11:00"})
    assert r.status_code == 400 and "skeletal element" in r.text
    r = await _form(col, "/collection/remains", {
        "barcode": barcodes[1], "cemetery_id": str(cem["id"]), "plot": grave["plot"],
        "row": grave["row"], "number": grave["number"], "element": "tooth",
        "collected_at": "2024-06-01T11:00"})
    assert r.status_code == 200 and 'data-event="collected"' in r.text
    # ship both, refusing an issued kit first
    r = await _form(col, "/shipments", {"lab_name": "Lab", "barcodes": f"{kit}\n{barcodes[2]}"})
    assert r.status_code == 400 and "cannot ship" in r.text and barcodes[2] in r.text
    r = await _form(col, "/shipments", {"lab_name": "Lab", "barcodes": f"{kit}\n{barcodes[1]}"})
    assert r.status_code == 200 and "manifest" in r.text
    ship_url = r.url.path
    # the collector may not check in; the lab does, and one kit is missing
    r = await col.get(ship_url + "/check-in", follow_redirects=False)
    assert r.status_code == 403
    lab = await _en(client_as, "lab")
    r = await _form(lab, ship_url + "/check-in", {"barcodes": kit})
    assert r.status_code == 200 and barcodes[1] in r.text and "item-missing" in r.text
    r = await _form(lab, f"/kits/{kit}/outcome", {"outcome": "profiled"})
    assert r.status_code == 200
    r = await lab.get(f"/kits/{kit}")
    events = re.findall(r'data-event="(\w+)"', r.text)
    assert events == ["issued", "collected", "shipped", "received", "profiled"]
    assert with_consent["full_name"] not in r.text  # labs see barcodes, not people
    r = await _form(lab, f"/kits/{kit}/outcome", {"outcome": "failed"})
    assert r.status_code == 409 and "cannot fail" in r.text


async def test_api_collection_and_refusals(client_as, demo) -> None:
    col = await _en(client_as, "collector")
    h = await csrf_headers(col)
    batch = (await col.post("/api/kits/batches", json={"count": 2}, headers=h)).json()
    k1, k2 = batch["barcodes"]
    rel = next(x for x in (await col.get("/api/relatives?q=")).json()
               if x["consent_date"] and not x["deceased"])
    body = {"barcode": k1, "relative_id": rel["id"], "sample_type": "blood_card",
            "collected_at": "2024-06-02T08:00:00+07:00", "place": "UBND"}
    r = await col.post("/api/collection/reference", json=body, headers=h)
    assert r.status_code == 201, r.text
    r = await col.post("/api/collection/reference", json=body, headers=h)
    assert r.status_code == 400 and "cannot collect" in r.json()["fields"]["barcode"]
    r = await col.get(f"/api/kits/{k1}")
    assert r.json()["state"] == "collected" and r.json()["allowed_actions"] == ["ship"]
    assert [e["event"] for e in r.json()["custody"]] == ["issued", "collected"]
    r = await col.get(f"/api/kits/{k1[:-2]}00")
    assert r.status_code in (400, 404)
    r = await col.get(f"/api/kits/{make_accession('KIT', 1999, 1)}")
    assert r.status_code == 404
    r = await col.post("/api/shipments", json={"lab_name": "Lab", "barcodes": [k1]}, headers=h)
    assert r.status_code == 201
    ship = r.json()
    lab = await _en(client_as, "lab")
    hl = await csrf_headers(lab)
    r = await col.post(f"/api/shipments/{ship['id']}/check-in", json={"barcodes": [k1]},
                       headers=h)
    assert r.status_code == 403
    r = await lab.post(f"/api/shipments/{ship['id']}/check-in", json={"barcodes": [k1, k2]},
                       headers=hl)
    assert r.status_code == 201 and r.json()["unexpected"] == [k2]
    r = await lab.post(f"/api/shipments/{ship['id']}/check-in", json={"barcodes": [k1]},
                       headers=hl)
    assert r.status_code == 409
    r = await lab.post(f"/api/kits/{k2}/outcome", json={"outcome": "profiled"}, headers=hl)
    assert r.status_code == 409 and "allowed next: collect" in r.json()["detail"]
    r = await lab.get(f"/api/kits/{k1}")
    assert r.json()["sample"]["source"] is None  # no names for the lab
    admin = await _en(client_as, "admin")
    r = await admin.get("/api/custody/verify")
    assert r.json()["ok"] is True and r.json()["checked"] > 200


@pytest.mark.parametrize(
    ("role", "path", "allowed"),
    [
        ("lab", "/registry", False), ("lab", "/kits", True), ("lab", "/collection", False),
        ("reviewer", "/registry", True), ("reviewer", "/collection", False),
        ("reviewer", "/shipments/new", False), ("collector", "/registry/import", False),
        ("collector", "/custody/verify", False), ("admin", "/custody/verify", True),
        ("lab", "/api/missing-persons", False), ("reviewer", "/api/kits", True),
        ("collector", "/api/collection/dashboard", True), ("lab", "/api/relatives", False),
    ],
)
async def test_roles(client_as, demo_users, role, path, allowed) -> None:
    c = await _en(client_as, role)
    r = await c.get(path, follow_redirects=False)
    assert (r.status_code == 200) is allowed, (role, path, r.status_code)
    if not allowed:
        assert r.status_code == 403


async def test_anonymous_is_sent_to_login(client) -> None:
    r = await client.get("/collection", follow_redirects=False)
    assert r.status_code in (302, 303) and "/login" in r.headers["location"]
    r = await client.get("/api/kits")
    assert r.status_code == 401


async def test_post_without_csrf_is_refused(client_as, demo_users) -> None:
    col = await _en(client_as, "collector")
    r = await col.post("/kits/batches", data={"count": "2"})
    assert r.status_code == 403


async def test_refusals_speak_vietnamese_by_default(client_as, demo) -> None:
    col = await client_as("collector")  # default language: Vietnamese
    kit = make_accession("KIT", 2024, 1)
    typo = kit[:-2] + f"{(int(kit[-2:]) + 1) % 100:02d}"
    r = await col.get(f"/collection/search?barcode={typo}")
    assert r.status_code == 400
    assert f"chữ số kiểm tra {typo[-2:]}" in r.text and f"đúng phải là {kit[-2:]}" in r.text
    r = await col.get(f"/api/kits/{typo}")
    assert "chữ số kiểm tra" in r.json()["detail"]
