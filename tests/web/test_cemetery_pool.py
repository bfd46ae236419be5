"""A cemetery's candidate pool size (the search's ``area`` prior 1/N) through HTTP."""

from __future__ import annotations

from typing import Any

from tests.conftest import csrf_headers, csrf_token


async def _en(client_as: Any, role: str) -> Any:
    c = await client_as(role)
    r = await c.post("/lang", data={"locale": "en", "next": "/"}, headers=await csrf_headers(c))
    assert r.status_code == 200
    return c


async def _cemetery(admin: Any) -> int:
    r = await admin.post("/api/cemeteries", json={"name": "Nghĩa trang Trường Sơn",
                                                  "province": "Quảng Trị"},
                         headers=await csrf_headers(admin))
    assert r.status_code == 201, r.text
    assert r.json()["candidate_pool_size"] is None
    return int(r.json()["id"])


async def test_admin_sets_pool_size_through_api_and_it_is_audited(client_as: Any) -> None:
    admin = await _en(client_as, "admin")
    cem_id = await _cemetery(admin)
    r = await admin.patch(f"/api/cemeteries/{cem_id}", json={"candidate_pool_size": 250},
                          headers=await csrf_headers(admin))
    assert r.status_code == 200, r.text
    assert r.json()["candidate_pool_size"] == 250
    assert (await admin.get(f"/api/cemeteries/{cem_id}")).json()["candidate_pool_size"] == 250
    r = await admin.patch(f"/api/cemeteries/{cem_id}", json={"candidate_pool_size": None},
                          headers=await csrf_headers(admin))
    assert r.status_code == 200 and r.json()["candidate_pool_size"] is None
    audit = (await admin.get("/api/audit", params={"entity_type": "cemeteries",
                                                   "entity_id": str(cem_id)})).json()
    actions = [e["action"] for e in audit["items"]]
    assert actions == ["cemetery.candidate_pool", "cemetery.candidate_pool", "cemetery.create"]
    cleared, set_ = audit["items"][0], audit["items"][1]
    assert set_["before"] == {"candidate_pool_size": None}
    assert set_["after"] == {"candidate_pool_size": 250}
    assert cleared["before"] == {"candidate_pool_size": 250}
    assert cleared["after"] == {"candidate_pool_size": None}
    assert set_["actor_username"] == "admin"


async def test_invalid_pool_sizes_are_refused_with_a_field_error(client_as: Any) -> None:
    admin = await _en(client_as, "admin")
    cem_id = await _cemetery(admin)
    for bad in (1, 0, -5, "abc", 2.5):
        r = await admin.patch(f"/api/cemeteries/{cem_id}", json={"candidate_pool_size": bad},
                              headers=await csrf_headers(admin))
        assert r.status_code == 400, (bad, r.text)
        assert "candidate_pool_size" in r.json()["fields"], (bad, r.json())
    assert (await admin.get(f"/api/cemeteries/{cem_id}")).json()["candidate_pool_size"] is None


async def test_only_admins_may_set_the_pool_size(client_as: Any) -> None:
    admin = await _en(client_as, "admin")
    cem_id = await _cemetery(admin)
    for role in ("collector", "reviewer", "lab"):
        c = await client_as(role)
        r = await c.patch(f"/api/cemeteries/{cem_id}", json={"candidate_pool_size": 10},
                          headers=await csrf_headers(c))
        assert r.status_code == 403, (role, r.status_code)
        r = await c.post(f"/cemeteries/{cem_id}/candidate-pool",
                         data={"candidate_pool_size": "10", "_csrf_token": await csrf_token(c)})
        assert r.status_code == 403, (role, r.status_code)
    assert (await admin.get(f"/api/cemeteries/{cem_id}")).json()["candidate_pool_size"] is None


async def test_cemetery_page_form_sets_pool_and_keeps_input_on_refusal(client_as: Any) -> None:
    admin = await _en(client_as, "admin")
    cem_id = await _cemetery(admin)
    page = await admin.get(f"/cemeteries/{cem_id}")
    assert page.status_code == 200
    assert f'action="/cemeteries/{cem_id}/candidate-pool"' in page.text
    assert "flat default prior" in page.text
    r = await admin.post(f"/cemeteries/{cem_id}/candidate-pool",
                         data={"candidate_pool_size": "1x",
                               "_csrf_token": await csrf_token(admin)})
    assert r.status_code == 400
    assert 'value="1x"' in r.text and 'id="e-candidate_pool_size"' in r.text
    r = await admin.post(f"/cemeteries/{cem_id}/candidate-pool",
                         data={"candidate_pool_size": "120",
                               "_csrf_token": await csrf_token(admin)})
    assert r.status_code == 200 and r.url.path == f"/cemeteries/{cem_id}"
    assert "1/120" in r.text and 'value="120"' in r.text
    assert (await admin.get(f"/api/cemeteries/{cem_id}")).json()["candidate_pool_size"] == 120
    # a reader sees the value but no form
    collector = await _en(client_as, "collector")
    page = await collector.get(f"/cemeteries/{cem_id}")
    assert "1/120" in page.text and "/candidate-pool" not in page.text
