"""Lab files: header-only and sample-less files are refused with their cause (nothing written:
no file, no import row, no audit entry); UTF-8, UTF-8 BOM, UTF-16 and Windows-1252 exports are
recognised before the format is guessed. SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from dnacase.formats import parse_file
from dnacase.models.audit import AuditEntry
from tests.conftest import csrf_headers
from tests.services.test_profile_import import LAB, genemapper, good_file
from tests.web.test_profiles import counts, lab  # noqa: F401  (fixture)

HEADER_ONLY = genemapper({})


async def _audit_count(sessionmaker: Any) -> int:
    async with sessionmaker() as s:
        return int((await s.execute(select(func.count()).select_from(AuditEntry))).scalar_one())


@pytest.mark.parametrize(
    ("data", "vi_cause"),
    [
        (HEADER_ONLY, "tệp chỉ có dòng tiêu đề"),
        (HEADER_ONLY + b"\r\n\r\n", "tệp chỉ có dòng tiêu đề"),
        (HEADER_ONLY.decode().encode("utf-16"), "tệp chỉ có dòng tiêu đề"),
    ],
)
async def test_sample_less_files_are_refused_and_nothing_is_written(
    client_as: Any, lab: Any, sessionmaker: Any, data: bytes, vi_cause: str  # noqa: F811
) -> None:
    c = await client_as("lab")
    h = await csrf_headers(c)
    before, audit_before = await counts(sessionmaker), await _audit_count(sessionmaker)
    r = await c.post("/api/imports/profiles/validate", files={"file": ("run.txt", data)},
                     data={"lab": LAB}, headers=h)
    assert r.status_code == 200 and not r.json()["ok"] and r.json()["token"] == ""
    (issue,) = [i for i in r.json()["issues"] if i["severity"] == "error"]
    assert issue["code"] == "no_samples" and vi_cause in issue["message"]
    r = await c.post("/api/imports/profiles/commit", files={"file": ("run.txt", data)},
                     data={"lab": LAB}, headers=h)
    assert r.status_code == 400 and r.json()["details"]["issues"][0]["code"] == "no_samples"
    r = await c.post("/imports/profiles/validate", files={"file": ("run.txt", data)},
                     data={"lab": LAB}, headers=h)
    assert vi_cause in r.text and 'id="commit-form"' not in r.text
    assert await counts(sessionmaker) == before
    assert await _audit_count(sessionmaker) == audit_before


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-be-bom", "cp1252"])
async def test_exports_in_every_encoding_are_recognised_and_imported(
    client_as: Any, lab: Any, sessionmaker: Any, encoding: str  # noqa: F811
) -> None:
    data, samples = good_file(lab)
    text = data.decode("utf-8")
    raw = (b"\xfe\xff" + text.encode("utf-16-be")) if encoding == "utf-16-be-bom" else (
        text.encode(encoding))
    c = await client_as("lab")
    r = await c.post("/api/imports/profiles/validate", files={"file": ("run.txt", raw)},
                     data={"lab": LAB}, headers=await csrf_headers(c))
    body = r.json()
    assert r.status_code == 200 and body["ok"], body["issues"]
    assert body["format"] == "genemapper" and len(body["samples"]) == len(samples)


def test_format_detection_after_decoding() -> None:
    rows = "Sample\tD3S1358\tvWA\nHài cốt Đức\t15,16\t17,18\n"
    for raw in (rows.encode("utf-8"), rows.encode("utf-16"), rows.encode("utf-16-le"),
                "Sample\tD3S1358\tvWA\nJosé\t15,16\t17,18\n".encode("cp1252")):
        result = parse_file(raw, "table.txt")
        assert result.format == "wide_table", (raw[:8], result.issues)
    # UTF-16 without a byte-order mark is recognised, then refused with its cause
    result = parse_file(rows.encode("utf-16-le"), "table.txt")
    assert result.records or "byte-order mark" in result.issues[0].message
    cp = parse_file("Sample\tD3S1358\tvWA\nJosé\t15,16\t17,18\n".encode("cp1252"), "t.txt")
    assert [r.sample for r in cp.records] == ["José"] and cp.encoding == "cp1252"


def test_header_only_files_say_so_in_every_encoding() -> None:
    header = "Sample,D3S1358,vWA\r\n\r\n"
    for raw in (header.encode(), b"\xef\xbb\xbf" + header.encode(), header.encode("utf-16")):
        result = parse_file(raw, "t.csv")
        assert result.format == "wide_table" and not result.ok and not result.records
        (error,) = result.errors
        assert error.code == "no_samples" and "only its header line" in error.message
        assert error.message_id == error.message  # translated through the catalogue
