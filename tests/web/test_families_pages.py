"""Families through HTTP: record relatives (with the signed form), pedigree SVG, refusals."""

from __future__ import annotations

import hashlib

from tests.conftest import csrf_headers, csrf_token


async def _en(client_as, role: str):
    """A client logged in as *role* that chose English (the default language is Vietnamese)."""
    c = await client_as(role)
    r = await c.post("/lang", data={"locale": "en", "next": "/"}, headers=await csrf_headers(c))
    assert r.status_code == 200
    return c


PDF = b"%PDF-1.4\n% synthetic\n%%EOF\n"


async def _mp(admin) -> int:
    h = await csrf_headers(admin)
    r = await admin.post("/api/missing-persons", json={
        "registry_number": "LS-T1", "full_name": "Nguyễn Văn Thử", "birth_year": 1950},
        headers=h)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


async def test_family_page_records_relatives_and_draws_the_pedigree(client_as, demo_users):
    admin = await _en(client_as, "admin")
    mp_id = await _mp(admin)
    col = await _en(client_as, "collector")
    token = await csrf_token(col)
    r = await col.post(f"/registry/{mp_id}/family/relatives", data={
        "_csrf_token": token, "full_name": "Lê Thị Mẹ", "sex": "F", "relationship": "mother",
        "consent_date": "2024-02-02", "consent_scope": "identification"},
        files={"consent_form": ("phieu-dong-y.pdf", PDF, "application/pdf")})
    assert r.status_code == 200 and "Lê Thị Mẹ" in r.text and 'class="pedigree"' in r.text
    # a contradiction is refused in the form, with what was typed kept
    r = await col.post(f"/registry/{mp_id}/family/relatives", data={
        "_csrf_token": token, "full_name": "Trần Thị Khác", "sex": "F",
        "relationship": "mother", "contact": "0912 345 678"})
    assert r.status_code == 400
    assert "already has a mother recorded (Lê Thị Mẹ)" in r.text
    assert "Trần Thị Khác" in r.text and "0912 345 678" in r.text
    r = await col.post(f"/registry/{mp_id}/family/relatives", data={
        "_csrf_token": token, "full_name": "Nguyễn Văn Cha", "sex": "F", "relationship": "father"})
    assert r.status_code == 400 and "but as female" in r.text
    fam = (await col.get(f"/api/missing-persons/{mp_id}/family")).json()
    mother = fam["members"][0]["relative"]
    assert mother["consent_form_sha256"] == hashlib.sha256(PDF).hexdigest()
    assert {p["id"] for p in fam["pedigree"]["persons"]} >= {f"mp:{mp_id}",
                                                            f"rel:{mother['id']}"}
    r = await col.get(f"/relatives/{mother['id']}/consent-form")
    assert r.status_code == 200 and r.content == PDF
    r = await col.get(f"/registry/{mp_id}/family/pedigree.svg")
    assert r.headers["content-type"].startswith("image/svg+xml") and "Lê Thị Mẹ" in r.text
    # API: nephew through a brother that is not recorded is refused; then through the brother
    h = await csrf_headers(col)
    r = await col.post(f"/api/missing-persons/{mp_id}/family/relatives", json={
        "full_name": "Nguyễn Văn Cháu", "sex": "M", "relationship": "nephew"}, headers=h)
    assert r.status_code == 400 and "via" in r.json()["fields"]
    r = await col.post(f"/api/missing-persons/{mp_id}/family/relatives", json={
        "full_name": "Nguyễn Văn Anh", "sex": "M", "relationship": "full_brother",
        "deceased": True}, headers=h)
    brother = r.json()["id"]
    r = await col.post(f"/api/missing-persons/{mp_id}/family/relatives", json={
        "full_name": "Nguyễn Văn Cháu", "sex": "M", "relationship": "nephew",
        "via_relative_id": brother}, headers=h)
    assert r.status_code == 201, r.text
    # one person both mother and sister
    r = await col.post(f"/api/missing-persons/{mp_id}/family/relationships", json={
        "relative_id": mother["id"], "relationship": "full_sister"}, headers=h)
    assert r.status_code == 400 and "both as mother and as full sister" in r.json()["detail"]
    # reviewers read, but may not record
    rev = await _en(client_as, "reviewer")
    assert (await rev.get(f"/registry/{mp_id}/family")).status_code == 200
    r = await rev.post(f"/api/missing-persons/{mp_id}/family/relatives", json={
        "full_name": "X", "sex": "M", "relationship": "son"}, headers=await csrf_headers(rev))
    assert r.status_code == 403
    vocab = (await col.get("/api/relationships")).json()
    assert {v["code"] for v in vocab} >= {"mother", "niece", "first_cousin", "spouse"}


async def test_registry_search_and_csv_import_over_http(client_as, demo_users):
    admin = await _en(client_as, "admin")
    token = await csrf_token(admin)
    csv = ("registry_number,full_name,birth_year,home_province\n"
           "LS-H1,Đỗ Văn Đạt,1949,Nam Định\nLS-H2,Hồ Thị Ơn,1951,Nghệ An\n").encode()
    r = await admin.post("/registry/import", data={"_csrf_token": token, "dry_run": "on"},
                         files={"file": ("ls.csv", csv, "text/csv")})
    assert r.status_code == 200 and "import-report" in r.text
    assert (await admin.get("/api/missing-persons?q=dat")).json()["total"] == 0
    r = await admin.post("/registry/import", data={"_csrf_token": token},
                         files={"file": ("ls.csv", csv, "text/csv")})
    assert r.status_code == 200
    for q in ("do van dat", "Đỗ Văn Đạt", "DAT", "on"):
        assert (await admin.get(f"/api/missing-persons?q={q}")).json()["total"] >= 1, q
    bad = csv + b"LS-H3,,1950,\n"
    r = await admin.post("/registry/import", data={"_csrf_token": token},
                         files={"file": ("bad.csv", bad, "text/csv")})
    assert r.status_code == 400 and "bad.csv, line 4, column full_name" in r.text
    h = await csrf_headers(admin)
    r = await admin.post("/api/registry/import", files={"file": ("bad.csv", bad, "text/csv")},
                         headers=h)
    assert r.status_code == 400
    assert r.json()["details"]["report"]["errors"][0].startswith("bad.csv, line 4")
    r = await admin.post("/api/registry/import", files={"file": ("ls.csv", csv, "text/csv")},
                         headers=h)
    assert r.status_code == 201 and r.json()["unchanged"] == 2 and r.json()["created"] == 0
    # cemetery + grave list
    r = await admin.post("/api/cemeteries", json={"name": "NTLS Thử", "province": "Quảng Trị",
                                                  "latitude": 16.8, "longitude": 107.1}, headers=h)
    cem = r.json()["id"]
    graves = "plot,row,number,inscription\nA,1,1,Liệt sĩ vô danh\nA,1,2,X\n".encode()
    r = await admin.post(f"/api/cemeteries/{cem}/graves/import",
                         files={"file": ("g.csv", graves, "text/csv")}, headers=h)
    assert r.status_code == 201 and r.json()["created"] == 2
    page = (await admin.get(f"/api/cemeteries/{cem}/graves?status=unnamed")).json()
    assert [g["label"] for g in page["items"]] == ["A-1-1"]
    r = await admin.post(f"/cemeteries/{cem}/graves", data={"_csrf_token": token, "plot": "A",
                                                            "row": "1", "number": "2"})
    assert r.status_code == 400 and "already exists" in r.text
    col = await _en(client_as, "collector")
    r = await col.post("/api/registry/import", files={"file": ("ls.csv", csv, "text/csv")},
                       headers=await csrf_headers(col))
    assert r.status_code == 403
