"""Login, sessions, cookies, CSRF, throttling, language switch, JSON API auth."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from dnacase.db import create_engine
from dnacase.web.app import create_app
from tests.conftest import csrf_headers, csrf_token, login


async def test_login_page_is_vietnamese_first(client: Any) -> None:
    r = await client.get("/login")
    assert r.status_code == 200
    assert '<html lang="vi">' in r.text and "Đăng nhập" in r.text and "Tên đăng nhập" in r.text


async def test_form_post_without_csrf_is_refused(client: Any, demo_users: Any) -> None:
    await client.get("/login")
    r = await client.post("/login", data={"username": "admin", "password": "admin-demo-pass"})
    assert r.status_code == 403
    assert "Biểu mẫu đã hết hạn" in r.text
    assert (await client.get("/", follow_redirects=False)).status_code == 303


async def test_wrong_password_keeps_username_and_says_why(client: Any, demo_users: Any) -> None:
    r = await login(client, "collector", "not-the-password")
    assert r.status_code == 401
    assert 'value="collector"' in r.text
    assert "Sai tên đăng nhập hoặc mật khẩu." in r.text
    assert "not-the-password" not in r.text


async def test_login_rotates_the_session_and_logout_kills_it(client: Any, demo_users: Any) -> None:
    await client.get("/login")
    before = client.cookies.get("dnacase_session")
    r = await login(client, "admin", "admin-demo-pass")
    assert r.status_code == 200 and r.url.path == "/"
    after = client.cookies.get("dnacase_session")
    assert after and after != before
    r = await client.post("/logout", headers=await csrf_headers(client))
    assert r.url.path == "/login" and "Bạn đã đăng xuất." in r.text
    # replaying the old session cookie does not log anyone in
    client.cookies.set("dnacase_session", after)
    r = await client.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


async def test_next_parameter_is_local_only(client: Any, demo_users: Any) -> None:
    r = await client.get("/audit", follow_redirects=False)
    assert r.headers["location"] == "/login?next=/audit"
    await client.get("/login")
    data = {"username": "admin", "password": "admin-demo-pass", "next": "//evil.example/x"}
    r = await client.post(
        "/login", data={**data, "_csrf_token": await csrf_token(client)}, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"] == "/"


async def test_next_parameter_returns_to_the_page(client: Any, demo_users: Any) -> None:
    await client.get("/login?next=/audit")
    data = {"username": "admin", "password": "admin-demo-pass", "next": "/audit?action=x"}
    r = await client.post("/login", data={**data, "_csrf_token": await csrf_token(client)})
    assert r.url.path == "/audit" and r.url.params["action"] == "x"


async def test_failed_logins_lock_the_account_from_that_address(
    client: Any, demo_users: Any
) -> None:
    for _ in range(5):
        assert (await login(client, "lab", "wrong-password")).status_code == 401
    r = await login(client, "lab", "lab-demo-pass")
    assert r.status_code == 401 and "15 phút" in r.text


async def test_cookie_flags_in_production(settings: Any, demo_users: Any) -> None:
    prod = settings.with_(cookie_secure=True, environment="production")
    app = create_app(prod, engine=create_engine(prod.database_url))
    async with AsyncTestClient(app=app, base_url="https://dnacase.example") as c:
        try:
            r = await c.get("/login")
            csrf_cookie = r.headers.get_list("set-cookie")
            assert any(h.startswith("csrftoken=") and "Secure" in h for h in csrf_cookie)
            r = await c.post(
                "/login",
                data={
                    "username": "admin",
                    "password": "admin-demo-pass",
                    "_csrf_token": c.cookies["csrftoken"],
                },
                follow_redirects=False,
            )
            assert r.status_code == 303
            session = [h for h in r.headers.get_list("set-cookie") if "dnacase_session=" in h]
            assert session, r.headers
            flags = session[-1].lower()
            assert "httponly" in flags and "secure" in flags and "samesite=lax" in flags
        finally:
            c.blocking_portal.call(app.state.engine.dispose)


async def test_language_switch_anonymous_and_per_user(
    client: Any, client_as: Any, demo_users: Any
) -> None:
    r = await client.post(
        "/lang", data={"locale": "en", "next": "/login"}, headers=await csrf_headers(client)
    )
    assert r.url.path == "/login" and '<html lang="en">' in r.text and "Username" in r.text
    reviewer = await client_as("reviewer")
    r = await reviewer.post(
        "/lang", data={"locale": "en", "next": "/"}, headers=await csrf_headers(reviewer)
    )
    assert "Hello, " in r.text
    # the choice is stored on the user: a new login gets English right away
    again = await client_as("reviewer")
    assert "Hello, " in (await again.get("/")).text
    r = await reviewer.post("/lang", data={"locale": "xx"}, headers=await csrf_headers(reviewer))
    assert r.status_code == 400


async def test_api_login_with_csrf_header(client: Any, demo_users: Any) -> None:
    r = await client.post("/api/auth/login", json={"username": "lab", "password": "lab-demo-pass"})
    assert r.status_code == 403  # no CSRF header
    headers = await csrf_headers(client)
    r = await client.post(
        "/api/auth/login", json={"username": "lab", "password": "bad"}, headers=headers
    )
    assert r.status_code == 401 and r.json()["error"] == "login_failed"
    r = await client.post(
        "/api/auth/login", json={"username": "lab", "password": "lab-demo-pass"}, headers=headers
    )
    assert r.status_code == 201 and r.json()["roles"] == ["lab"]
    me = await client.get("/api/me")
    assert me.json()["username"] == "lab"
    r = await client.post("/api/auth/logout", headers=headers)
    assert r.status_code == 200
    assert (await client.get("/api/me")).status_code == 401


async def test_password_reset_and_deactivation_end_sessions(
    client_as: Any, demo_users: Any
) -> None:
    admin = await client_as("admin")
    lab = await client_as("lab")
    lab_id = (await lab.get("/api/me")).json()["id"]
    assert (await lab.get("/api/me")).status_code == 200
    r = await admin.patch(
        f"/api/users/{lab_id}",
        json={"password": "a brand new one"},
        headers=await csrf_headers(admin),
    )
    assert r.status_code == 200
    assert (await lab.get("/api/me")).status_code == 401
    lab2 = await client_as("collector")
    coll_id = (await lab2.get("/api/me")).json()["id"]
    r = await admin.patch(
        f"/api/users/{coll_id}", json={"is_active": False}, headers=await csrf_headers(admin)
    )
    assert r.status_code == 200 and r.json()["is_active"] is False
    assert (await lab2.get("/api/me")).status_code == 401


async def test_openapi_document_lists_the_api(client_as: Any) -> None:
    admin = await client_as("admin")
    doc = (await admin.get("/schema/openapi.json")).json()
    assert "/api/users" in doc["paths"] and "/api/audit" in doc["paths"]
    assert "/users" not in doc["paths"]  # HTML pages stay out of the API document


async def test_unknown_page_is_a_translated_404(client_as: Any) -> None:
    admin = await client_as("admin")
    r = await admin.get("/users/987654")
    assert r.status_code == 404 and "Không tìm thấy người dùng 987654." in r.text
    r = await admin.get("/api/users/987654")
    assert r.status_code == 404 and r.json()["error"] == "not_found"
