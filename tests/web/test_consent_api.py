"""The signed consent form through the JSON API (multipart), checked like the HTML page."""

from __future__ import annotations

import hashlib
from typing import Any

from tests.conftest import csrf_headers

PDF = b"%PDF-1.4\n% synthetic consent\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def _relative(admin: Any) -> int:
    h = await csrf_headers(admin)
    r = await admin.post("/api/missing-persons", json={
        "registry_number": "LS-C1", "full_name": "Phạm Văn Thử", "birth_year": 1948}, headers=h)
    assert r.status_code == 201, r.text
    mp_id = r.json()["id"]
    r = await admin.post(f"/api/missing-persons/{mp_id}/family/relatives", json={
        "full_name": "Phạm Thị Em", "sex": "F", "relationship": "full_sister"}, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["consent_form_sha256"] == ""
    return int(r.json()["id"])


async def test_consent_upload_through_the_api(client_as: Any) -> None:
    admin = await client_as("admin")
    rel_id = await _relative(admin)
    col = await client_as("collector")
    r = await col.post(f"/api/relatives/{rel_id}/consent",
                       data={"consent_date": "2024-03-04", "consent_scope": "identification"},
                       files={"consent_form": ("phieu.pdf", PDF, "application/pdf")},
                       headers=await csrf_headers(col))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["consent_date"] == "2024-03-04" and body["consent_scope"] == "identification"
    assert body["consent_form_name"] == "phieu.pdf"
    assert body["consent_form_sha256"] == hashlib.sha256(PDF).hexdigest()
    r = await col.get(f"/relatives/{rel_id}/consent-form")
    assert r.status_code == 200 and r.content == PDF
    audit = (await admin.get("/api/audit", params={"entity_type": "relatives",
                                                   "entity_id": str(rel_id)})).json()
    assert audit["items"][0]["action"] == "relative.consent"
    assert audit["items"][0]["actor_username"] == "collector"
    # replacing it with a PNG
    r = await col.post(f"/api/relatives/{rel_id}/consent",
                       data={"consent_date": "2024-03-05", "consent_scope": "identification"},
                       files={"consent_form": ("scan.png", PNG, "image/png")},
                       headers=await csrf_headers(col))
    assert r.status_code == 201 and r.json()["consent_form_sha256"] == hashlib.sha256(
        PNG).hexdigest()


async def test_consent_upload_refuses_bad_files_with_field_errors(client_as: Any) -> None:
    admin = await client_as("admin")
    rel_id = await _relative(admin)
    h = await csrf_headers(admin)
    ok = {"consent_date": "2024-03-04", "consent_scope": "identification"}
    r = await admin.post(f"/api/relatives/{rel_id}/consent", data=ok,
                         files={"consent_form": ("phieu.docx", b"PK\x03\x04 not a pdf",
                                                 "application/octet-stream")}, headers=h)
    assert r.status_code == 400, r.text
    assert set(r.json()["fields"]) == {"consent_form"}
    big = PDF + b"0" * (10 * 1024 * 1024)
    r = await admin.post(f"/api/relatives/{rel_id}/consent", data=ok,
                         files={"consent_form": ("big.pdf", big, "application/pdf")}, headers=h)
    assert r.status_code == 400, r.text
    assert set(r.json()["fields"]) == {"consent_form"}
    r = await admin.post(f"/api/relatives/{rel_id}/consent", data={"consent_scope": "x"},
                         files={"consent_form": ("phieu.pdf", PDF, "application/pdf")},
                         headers=h)
    assert r.status_code == 400 and "consent_date" in r.json()["fields"]
    rel = (await admin.get(f"/api/relatives/{rel_id}")).json()
    assert rel["consent_form_sha256"] == "" and rel["consent_date"] is None
    # reviewers may read but not record consent
    rev = await client_as("reviewer")
    r = await rev.post(f"/api/relatives/{rel_id}/consent", data=ok,
                       files={"consent_form": ("phieu.pdf", PDF, "application/pdf")},
                       headers=await csrf_headers(rev))
    assert r.status_code == 403
