from __future__ import annotations

from tests.conftest import csrf_headers


async def test_login_flow(client, demo_users, client_as):
    r = await client.get("/")
    assert r.status_code == 200 and r.url.path == "/login"
    admin = await client_as("admin")
    r = await admin.get("/")
    assert r.status_code == 200, r.text
    assert "Quản trị viên" in r.text
    r = await admin.get("/audit")
    assert r.status_code == 200, r.text
    r = await admin.get("/api/me")
    assert r.json()["username"] == "admin"
    col = await client_as("collector")
    r = await col.get("/audit", follow_redirects=False)
    assert r.status_code == 403
    r = await col.get("/api/audit")
    assert r.status_code == 403 and r.json()["error"] == "permission_denied"
    r = await client.get("/api/audit")
    assert r.status_code == 401
    r = await admin.post(
        "/lang", data={"locale": "en", "next": "/audit"}, headers=await csrf_headers(admin)
    )
    assert r.status_code == 200 and r.url.path == "/audit"
    assert "Audit log" in r.text
