"""Registry through the HTTP layer: search with/without diacritics, records, imports."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import csrf_headers
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


async def test_every_page_renders_for_admin(client_as, demo) -> None:
    admin = await _en(client_as, "admin")
    r = await admin.get("/api/missing-persons?per_page=1")
    mp_id = r.json()["items"][0]["id"]
    cem_id = (await admin.get("/api/cemeteries")).json()[0]["id"]
    grave_id = (await admin.get(f"/api/cemeteries/{cem_id}/graves?per_page=1")).json()[
        "items"][0]["id"]
    kit = (await admin.get("/api/kits?state=profiled")).json()[0]["barcode"]
    ship = (await admin.get("/api/shipments")).json()[0]["id"]
    relative = (await admin.get("/api/relatives?q=a")).json()[0]["id"]
    for path in ["/registry", "/registry?q=nguyen", "/registry/new", f"/registry/{mp_id}",
                 f"/registry/{mp_id}/edit", "/registry/import", "/cemeteries", "/cemeteries/new",
                 f"/cemeteries/{cem_id}", f"/cemeteries/{cem_id}?q=A-1-2",
                 f"/cemeteries/{cem_id}/import", f"/graves/{grave_id}",
                 f"/registry/{mp_id}/family", f"/registry/{mp_id}/family/pedigree.svg",
                 "/relatives", "/relatives?q=nguyen", f"/relatives/{relative}",
                 "/kits", "/kits?state=issued", "/kits/batches/new", "/kits/batches/1/labels",
                 f"/kits/{kit}", f"/kits/{kit}/label.svg", f"/kits/{kit}/label.svg?kind=qr",
                 "/shipments", "/shipments/new", f"/shipments/{ship}", "/custody/verify",
                 "/collection", "/collection/reference", "/collection/remains",
                 f"/collection/remains?grave_id={grave_id}", "/schema/openapi.json"]:
        r = await admin.get(path)
        assert r.status_code == 200, (path, r.text[:2000])
