"""Lab import pages and JSON API: upload -> report -> commit, refusals, roles, the kit page's
profile section, overrides, frequency tables. SQLite and PostgreSQL."""

from __future__ import annotations

import json
import random
import re

import pytest

from dnacase.db import unit_of_work
from dnacase.models.search import SearchRun
from dnacase.services import profile_import as pi
from tests.conftest import csrf_headers
from tests.services.test_profile_import import (
    LAB,
    build_lab,
    genemapper,
    good_file,
    random_profile,
)


@pytest.fixture
async def lab(sessionmaker, tmp_path):
    async with unit_of_work(sessionmaker) as s:
        return await build_lab(s, tmp_path)


async def counts(sessionmaker) -> dict[str, int]:
    async with sessionmaker() as s:
        return await pi.profile_counts(s)


async def test_upload_report_commit_and_kit_page(client_as, lab, sessionmaker) -> None:
    c = await client_as("lab")
    r = await c.get("/imports/profiles")
    assert r.status_code == 200 and 'id="upload-form"' in r.text
    data, samples = good_file(lab)
    before = await counts(sessionmaker)
    r = await c.post("/imports/profiles/validate", files={"file": ("run 1.txt", data)},
                     data={"lab": LAB, "format": "", "purpose": "profiles"},
                     headers=await csrf_headers(c))
    assert r.status_code == 200, r.text
    assert 'data-ok="yes"' in r.text and 'id="commit-form"' in r.text
    assert all(code in r.text for code in samples)
    assert await counts(sessionmaker) == before  # nothing written
    token = re.search(r'name="token" value="([0-9a-f]{64})"', r.text).group(1)
    r = await c.post("/imports/profiles/commit", data={
        "token": token, "lab": LAB, "purpose": "profiles", "format": "", "typing_kit": ""},
        headers=await csrf_headers(c))
    assert r.status_code == 200 and r.url.path == "/imports/profiles/1", r.text
    assert lab.mother in r.text and 'id="import-profiles"' in r.text
    after = await counts(sessionmaker)
    assert after["profiles"] == 8 and after["imports"] == 1
    r = await c.get(f"/kits/{lab.mother}")
    assert r.status_code == 200 and f'data-src="/profiles/kit/{lab.mother}"' in r.text
    r = await c.get(f"/profiles/kit/{lab.mother}")
    assert r.status_code == 200 and 'data-locus="D3S1358"' in r.text
    assert "profile-card" in r.text
    r = await c.get("/imports/profiles/1/file")
    assert r.status_code == 200 and r.content == data
    # the same file again: says so, changes nothing
    r = await c.post("/imports/profiles/validate", files={"file": ("again.txt", data)},
                     data={"lab": LAB}, headers=await csrf_headers(c))
    assert "already_imported" in r.text and 'id="commit-form"' not in r.text
    assert await counts(sessionmaker) == after


async def test_refused_file_shows_every_problem(client_as, lab, sessionmaker) -> None:
    c = await client_as("lab")
    ok = {code: random_profile(random.Random(i)) for i, code in enumerate(lab.remains[:2])}
    bad = genemapper({**ok, lab.not_received: random_profile(random.Random(7))})
    bad = bad.replace(b"\tTH01\tB\t", b"\tTH01\tB\tabc\t", 1)
    r = await c.post("/imports/profiles/validate", files={"file": ("bad.txt", bad)},
                     data={"lab": LAB}, headers=await csrf_headers(c))
    assert r.status_code == 422
    assert 'data-ok="no"' in r.text and 'id="commit-form"' not in r.text
    assert 'data-code="invalid_allele"' in r.text and 'data-code="kit_not_received"' in r.text
    assert await counts(sessionmaker) == {**await counts(sessionmaker)}
    assert (await counts(sessionmaker))["profiles"] == 0


async def test_api_two_steps_refusals_and_idempotence(client_as, lab, sessionmaker) -> None:
    c = await client_as("lab")
    h = await csrf_headers(c)
    data, samples = good_file(lab)
    r = await c.post("/api/imports/profiles/validate", files={"file": ("run.txt", data)},
                     data={"lab": LAB}, headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ok"] and body["counts"]["new"] == len(samples) and len(body["token"]) == 64
    assert [s["barcode"] for s in body["samples"]] == list(samples)
    r = await c.post("/api/imports/profiles/commit", data={"token": body["token"], "lab": LAB},
                     headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["import_id"] == 1
    # new profiles trigger an incremental search, executed after the response
    run_id = r.json()["search_run_id"]
    assert run_id is not None
    async with unit_of_work(sessionmaker) as session:
        run = await session.get(SearchRun, run_id)
        assert run is not None and run.scope == "incremental"
        assert run.status == "done", run.status
    r = await c.post("/api/imports/profiles/commit", files={"file": ("run.txt", data)},
                     data={"lab": LAB}, headers=h)
    assert r.status_code == 201 and r.json()["already_imported"]["import_id"] == 1
    before = await counts(sessionmaker)
    wrong = genemapper({lab.other_lab: random_profile(random.Random(3))})
    r = await c.post("/api/imports/profiles/commit", files={"file": ("w.txt", wrong)},
                     data={"lab": LAB}, headers=h)
    assert r.status_code == 400
    err = r.json()
    assert err["error"] == "validation_failed" and "không nhập gì" in err["detail"]  # vi
    assert err["details"]["issues"][0]["code"] == "kit_wrong_lab"
    assert err["details"]["issues"][0]["sample"] == lab.other_lab
    assert await counts(sessionmaker) == before
    r = await c.get("/api/imports/profiles/1")
    assert r.status_code == 200 and len(r.json()["profiles"]) == len(samples)


async def test_roles(client_as, lab) -> None:
    data, _ = good_file(lab)
    collector = await client_as("collector")
    r = await collector.post("/api/imports/profiles/validate", files={"file": ("x.txt", data)},
                             data={"lab": LAB}, headers=await csrf_headers(collector))
    assert r.status_code == 403
    r = await collector.get(f"/api/profiles/kit/{lab.mother}")
    assert r.status_code == 403
    r = await collector.get(f"/kits/{lab.mother}")
    assert r.status_code == 200 and "/profiles/kit/" not in r.text
    reviewer = await client_as("reviewer")
    r = await reviewer.post("/api/imports/profiles/validate", files={"file": ("x.txt", data)},
                            data={"lab": LAB}, headers=await csrf_headers(reviewer))
    assert r.status_code == 403
    r = await reviewer.get(f"/api/profiles/kit/{lab.mother}")
    assert r.status_code == 200 and r.json() == []
    r = await reviewer.get("/imports/profiles")
    assert r.status_code == 200 and 'id="upload-form"' not in r.text


async def test_held_mixture_override_and_flag_resolution(client_as, lab) -> None:
    c = await client_as("lab")
    h = await csrf_headers(c)
    code = lab.remains[0]
    prof = random_profile(random.Random(12))
    prof["D8S1179"] = ["10", "12", "14"]
    r = await c.post("/api/imports/profiles/commit", files={"file": ("m.txt", genemapper(
        {code: prof, lab.mother: random_profile(random.Random(13))},
        amel={lab.mother: ["X", "Y"]}))}, data={"lab": LAB}, headers=h)
    assert r.status_code == 201, r.text
    views = (await c.get(f"/api/profiles/kit/{code}")).json()
    assert len(views) == 1 and not views[0]["single_source"]
    pid = views[0]["id"]
    r = await c.post(f"/api/profiles/{pid}/override", json={"reason": "x"}, headers=h)
    assert r.status_code == 400 and "reason" in r.json()["fields"]
    r = await c.post(f"/profiles/{pid}/override", data={"reason": "stutter peak, re-read"},
                     headers=h)
    assert r.status_code == 200 and r.url.path == f"/profiles/{pid}"
    got = (await c.get(f"/api/profiles/{pid}")).json()
    assert got["single_source"] and got["flags"][0]["status"] == "resolved"
    mother = (await c.get(f"/api/profiles/kit/{lab.mother}")).json()[0]
    flag = next(f for f in mother["flags"] if f["kind"] == "sex_mismatch")
    reviewer = await client_as("reviewer")
    r = await reviewer.post(f"/api/profiles/flags/{flag['id']}/resolve",
                            json={"resolution": "AMELY artefact confirmed"},
                            headers=await csrf_headers(reviewer))
    assert r.status_code == 200 and r.json()["status"] == "resolved"


async def test_frequency_table_api(client_as, lab) -> None:
    c = await client_as("lab")
    table = b"# population=Kinh\nlocus,allele,frequency\nTH01,6,0.5\nTH01,7,0.5\n"
    r = await c.post("/api/frequency-tables", files={"file": ("k.csv", table)},
                     data={"population": "Kinh, Viet Nam", "n": "200", "id": "kinh_web"},
                     headers=await csrf_headers(c))
    assert r.status_code == 201, r.text
    assert r.json()["id"] == "kinh_web" and r.json()["n_individuals"] == 200
    listed = {t["id"]: t for t in (await c.get("/api/frequency-tables")).json()}
    assert listed["nist1036_asian"]["origin"] == "shipped" and "kinh_web" in listed
    r = await c.post("/api/frequency-tables", files={"file": ("k.csv", table)},
                     data={"population": "", "n": "200"}, headers=await csrf_headers(c))
    assert r.status_code == 400 and "population" in json.dumps(r.json())


async def test_haplotype_database_api(client_as) -> None:
    c = await client_as("lab")
    emp = b"#! 16024-576\nH1\t?\t3\t16223T\t73G\nH2\t?\t1\t263G\n"
    r = await c.post("/api/haplotype-databases", files={"file": ("kinh.emp", emp)},
                     data={"marker": "mtDNA", "population": "Kinh"},
                     headers=await csrf_headers(c))
    assert r.status_code == 201, r.text
    assert r.json()["id"] == "mtdna_kinh" and r.json()["n_haplotypes"] == 4
    listed = (await c.get("/api/haplotype-databases")).json()
    assert [(d["id"], d["marker"]) for d in listed] == [("mtdna_kinh", "mtDNA")]
    bad = b"#! 16024-576\nH1\t?\t1\t16223Q\n"
    r = await c.post("/api/haplotype-databases", files={"file": ("bad.emp", bad)},
                     data={"marker": "mtDNA", "population": "Other"},
                     headers=await csrf_headers(c))
    assert r.status_code == 400 and "H1" in json.dumps(r.json(), ensure_ascii=False)
    assert len((await c.get("/api/haplotype-databases")).json()) == 1
