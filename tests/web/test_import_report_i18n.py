"""The import validation report page and JSON API show parser issues in the user's language
(Vietnamese by default, English when chosen). SQLite and PostgreSQL."""

from __future__ import annotations

import html

import pytest

from dnacase.db import unit_of_work
from tests.conftest import csrf_headers
from tests.services.test_profile_import import LAB, _received_genotypes, build_lab, genemapper
from tests.services.test_profile_import_i18n import EN_ABC, VI_ABC


@pytest.fixture
async def lab(sessionmaker, tmp_path):
    async with unit_of_work(sessionmaker) as s:
        return await build_lab(s, tmp_path)


def _bad(lab) -> bytes:
    base = genemapper(_received_genotypes(lab, lab.remains[:2]))
    return base.replace(b"\tTH01\tB\t", b"\tTH01\tB\tabc\t", 1)


async def test_report_page_and_api_in_vietnamese_then_english(client_as, lab) -> None:
    c = await client_as("lab")
    data = _bad(lab)
    r = await c.post("/imports/profiles/validate", files={"file": ("chạy 7.txt", data)},
                     data={"lab": LAB}, headers=await csrf_headers(c))
    assert r.status_code == 422
    page = html.unescape(r.text)
    assert VI_ABC in page and "chạy 7.txt" in page and lab.remains[0] in page
    r = await c.post("/api/imports/profiles/validate", files={"file": ("run.txt", data)},
                     data={"lab": LAB}, headers=await csrf_headers(c))
    (issue,) = [i for i in r.json()["issues"] if i["code"] == "invalid_allele"]
    assert issue["message"] == VI_ABC and issue["message_id"] == "%(locus)s: %(problem)s"
    assert issue["params"]["locus"] == "TH01" and issue["sample"] == lab.remains[0]
    r = await c.post("/lang", data={"locale": "en", "next": "/imports/profiles"},
                     headers=await csrf_headers(c))
    r = await c.post("/imports/profiles/validate", files={"file": ("run.txt", data)},
                     data={"lab": LAB}, headers=await csrf_headers(c))
    page = html.unescape(r.text)
    assert EN_ABC in page and VI_ABC not in page
