"""Input bounds: integers beyond the database's range, non-UTF-8 form fields and odd digits give
400/404 with a message, never 500 (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest

from dnacase.domain.ids import DB_INT_MAX, parse_id
from tests.conftest import csrf_headers

HUGE = "3000000000"
TWENTY_DIGITS = "12345678901234567890"


@pytest.mark.parametrize(
    "path",
    [
        f"/api/graves/{HUGE}",
        f"/api/graves/{TWENTY_DIGITS}",
        f"/api/relatives/{HUGE}",
        f"/api/profiles/{HUGE}",
        f"/api/missing-persons/{HUGE}",
        f"/api/users/{HUGE}",
        f"/api/search/runs/{HUGE}",
        f"/graves/{HUGE}",
        f"/relatives/{TWENTY_DIGITS}",
    ],
)
async def test_ids_beyond_the_integer_range_are_not_found(client_as: Any, path: str) -> None:
    admin = await client_as("admin")
    r = await admin.get(path)
    assert r.status_code == 404, r.text
    if path.startswith("/api/"):
        assert r.json()["error"] == "not_found" and "Không có bản ghi" in r.json()["detail"]


@pytest.mark.parametrize("query", [f"page={HUGE}", f"per_page={TWENTY_DIGITS}", "page=-3000000000"])
async def test_page_numbers_beyond_the_range_are_refused(client_as: Any, query: str) -> None:
    admin = await client_as("admin")
    r = await admin.get(f"/api/missing-persons?{query}")
    assert r.status_code == 400, r.text
    name = query.split("=")[0]
    assert r.json()["fields"][name].startswith(f"{name}: ")


async def test_ids_at_the_edge_of_the_range_are_looked_up(client_as: Any) -> None:
    admin = await client_as("admin")
    assert (await admin.get(f"/api/graves/{DB_INT_MAX}")).status_code == 404
    assert (await admin.get(f"/api/missing-persons?page={DB_INT_MAX}")).status_code == 200


@pytest.mark.parametrize("q", ["²", TWENTY_DIGITS, "٣", "7"])
async def test_relative_search_with_odd_digits(client_as: Any, q: str) -> None:
    admin = await client_as("admin")
    r = await admin.get("/api/relatives", params={"q": q})
    assert r.status_code == 200 and r.json() == []
    r = await admin.get("/relatives/", params={"q": q})
    assert r.status_code == 200


def test_parse_id() -> None:
    assert parse_id(" 42 ") == 42 and parse_id(str(DB_INT_MAX)) == DB_INT_MAX
    assert parse_id(str(DB_INT_MAX + 1)) is None and parse_id(TWENTY_DIGITS) is None
    assert parse_id("²") is None and parse_id("-1") is None and parse_id(None) is None


LATIN1 = "Phòng Đức".encode("cp1252", errors="replace")  # not UTF-8


async def test_non_utf8_consent_field_is_refused_naming_it(client_as: Any) -> None:
    admin = await client_as("admin")
    r = await admin.post(
        "/api/relatives/1/consent",
        data={"consent_date": "2024-03-04", "consent_scope": LATIN1},
        files={"consent_form": ("phieu.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")},
        headers=await csrf_headers(admin),
    )
    assert r.status_code == 400, r.text
    assert r.json()["fields"] == {"consent_scope": "Trường consent_scope của biểu mẫu không phải "
                                  "văn bản UTF-8."}


@pytest.mark.parametrize("path", ["/api/imports/profiles/validate", "/imports/profiles/validate"])
async def test_non_utf8_import_field_is_refused_naming_it(client_as: Any, path: str) -> None:
    lab = await client_as("lab")
    r = await lab.post(
        path,
        data={"lab": LATIN1},
        files={"file": ("run.txt", b"Sample Name\tMarker\tAllele 1\n")},
        headers=await csrf_headers(lab),
    )
    assert r.status_code == 400, r.text
    assert "lab" in r.text and "UTF-8" in r.text
