"""Admin pages: users (forms that keep the input and say what is wrong) and the audit browser."""

from __future__ import annotations

from typing import Any

from tests.conftest import csrf_headers


async def _create_form(admin: Any, **fields: Any) -> Any:
    data = {
        "username": "hanh.le",
        "display_name": "Lê Thị Hạnh",
        "email": "",
        "roles": ["lab", "reviewer"],
        "locale": "vi",
        "password": "long enough pw",
    }
    data.update(fields)
    return await admin.post("/users", data=data, headers=await csrf_headers(admin))


async def test_admin_creates_and_edits_a_user(client_as: Any) -> None:
    admin = await client_as("admin")
    r = await _create_form(admin)
    assert r.status_code == 200 and "Đã tạo người dùng hanh.le." in r.text
    user_id = int(str(r.url.path).rsplit("/", 1)[-1])
    listing = await admin.get("/users")
    assert "hanh.le" in listing.text and "Lê Thị Hạnh" in listing.text
    r = await admin.post(
        f"/users/{user_id}",
        data={
            "display_name": "Lê Thị Hạnh",
            "roles": ["collector"],
            "locale": "en",
            "is_active": "on",
        },
        headers=await csrf_headers(admin),
    )
    assert "Đã lưu thay đổi." in r.text
    api = (await admin.get(f"/api/users/{user_id}")).json()
    assert api["roles"] == ["collector"] and api["locale"] == "en" and api["is_active"]
    audit = (
        await admin.get("/api/audit", params={"entity_type": "users", "entity_id": str(user_id)})
    ).json()
    assert [e["action"] for e in audit["items"]] == ["user.update", "user.create"]
    update = audit["items"][0]
    assert update["actor_username"] == "admin" and update["ip"]
    assert update["before"]["roles"] == ["lab", "reviewer"]
    assert update["after"]["roles"] == ["collector"]


async def test_refused_form_keeps_input_and_marks_fields(client_as: Any) -> None:
    admin = await client_as("admin")
    r = await _create_form(admin, username="X", password="short", roles=[])
    assert r.status_code == 400
    assert 'value="Lê Thị Hạnh"' in r.text  # what was typed is kept ...
    assert "short" not in r.text  # ... except the password
    assert "Mật khẩu phải có ít nhất 8 ký tự." in r.text
    assert "Hãy chọn ít nhất một vai trò." in r.text
    assert "Tên đăng nhập: 2–64 ký tự" in r.text
    r = await _create_form(admin, username="admin")
    assert r.status_code == 409 and "Tên đăng nhập này đã có người dùng." in r.text


async def test_api_user_refusals_carry_field_errors(client_as: Any) -> None:
    admin = await client_as("admin")
    r = await admin.post(
        "/api/users",
        json={"username": "", "display_name": "", "password": "x", "roles": ["pilot"]},
        headers=await csrf_headers(admin),
    )
    assert r.status_code == 400
    body = r.json()
    assert body["error"] == "validation_failed"
    assert set(body["fields"]) == {"username", "display_name", "password", "roles"}


async def test_audit_browser_filters_pages_and_details(client_as: Any) -> None:
    admin = await client_as("admin")
    for i in range(3):
        r = await _create_form(admin, username=f"user{i}", display_name=f"Người {i}")
        assert r.status_code == 200
    page = await admin.get("/audit", params={"action": "user.create", "actor": "admin"})
    assert page.status_code == 200
    assert page.text.count("<code>user.create</code>") == 3
    assert "3 mục" in page.text
    api = (await admin.get("/api/audit", params={"per_page": 2, "page_no": 1})).json()
    assert api["total"] >= 4 and api["pages"] >= 2 and len(api["items"]) == 2
    paged = await admin.get("/audit", params={"action": "user.create"})
    assert "Trang sau" not in paged.text
    entry_id = api["items"][0]["id"]
    detail = await admin.get(f"/audit/{entry_id}")
    assert detail.status_code == 200 and api["items"][0]["hash"] in detail.text
    bad = await admin.get("/audit", params={"date_from": "29/11/2026"})
    assert "Hãy dùng định dạng NNNN-TT-NN" in bad.text
    assert (await admin.get("/api/audit", params={"date_to": "x"})).status_code == 400
    verify = await admin.get("/audit/verify")
    assert 'data-verify="ok"' in verify.text
    assert (await admin.get("/api/audit/verify")).json()["ok"] is True
