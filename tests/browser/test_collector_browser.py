"""End to end in headless Chromium: a collector logs in, registers a kit, records a reference
sample from a relative and sees the collection in the kit's chain of custody."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.browser


def _api_login(base: str, username: str, password: str) -> httpx.Client:
    c = httpx.Client(base_url=base, follow_redirects=True, timeout=20)
    c.get("/login")
    token = c.cookies.get("csrftoken")
    r = c.post("/login", data={"username": username, "password": password,
                               "_csrf_token": token})
    assert r.status_code == 200, r.text[:500]
    c.headers["x-csrftoken"] = c.cookies.get("csrftoken") or token
    return c


def _prepare_family(base: str) -> dict[str, Any]:
    """A missing person (admin) and a relative with consent (collector), through the API."""
    admin = _api_login(base, "admin", "admin-demo-pass")
    try:
        r = admin.post("/api/missing-persons", json={
            "registry_number": "LS-BROWSER-1", "full_name": "Phạm Văn Trình", "birth_year": 1949})
        assert r.status_code in (201, 400), r.text  # 400: already there (re-run)
        mp = admin.get("/api/missing-persons?q=LS-BROWSER-1").json()["items"][0]
    finally:
        admin.close()
    col = _api_login(base, "collector", "collector-demo-pass")
    try:
        found = col.get("/api/relatives?q=Phạm Thị Lụa").json()
        if found:
            return dict(found[0])
        r = col.post(f"/api/missing-persons/{mp['id']}/family/relatives", json={
            "full_name": "Phạm Thị Lụa", "sex": "F", "relationship": "full_sister",
            "consent_date": "2024-03-03", "consent_scope": "identification"})
        assert r.status_code == 201, r.text
        return dict(r.json())
    finally:
        col.close()


def test_collector_registers_a_kit_collects_and_sees_custody(page: Any, live_server: str) -> None:
    relative = _prepare_family(live_server)
    page.goto("/login")
    page.fill("input[name=username]", "collector")
    page.fill("input[name=password]", "collector-demo-pass")
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(re.compile(r".*/$"))

    page.goto("/kits/batches/new")
    page.fill("input[name=count]", "1")
    page.click("form[action='/kits/batches'] button[type=submit]")
    page.wait_for_url(re.compile(r".*/kits/batches/\d+/labels"))
    barcode = page.locator(".label").first.get_attribute("data-barcode")
    assert barcode and barcode.startswith("KIT-")

    page.goto("/collection")
    page.fill("input[name=barcode]", barcode)
    page.click("form[role=search] button[type=submit]")
    page.wait_for_url(re.compile(rf".*/kits/{barcode}$"))
    assert page.locator("#kit-state").inner_text().strip() != ""

    # a refused form keeps what was typed
    page.goto(f"/collection/reference?barcode={barcode}")
    page.fill("input[name=relative_id]", str(relative["id"]))
    page.fill("input[name=place]", "")
    page.click("#reference-form button[type=submit]")
    assert page.locator("#reference-form .error").count() >= 1
    assert page.input_value("input[name=relative_id]") == str(relative["id"])

    page.fill("input[name=place]", "Trạm y tế xã Hòa Bình")
    page.click("#reference-form button[type=submit]")
    page.wait_for_url(re.compile(rf".*/kits/{barcode}$"))
    events = page.locator("#custody li").evaluate_all("els => els.map(e => e.dataset.event)")
    assert events == ["issued", "collected"]
    collected = page.locator('#custody li[data-event="collected"]').inner_text()
    assert "Phạm Thị Lụa" in collected and "Trạm y tế xã Hòa Bình" in collected
    assert "Phạm Thị Lụa" in page.locator("#sample").inner_text()
