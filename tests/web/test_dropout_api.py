"""POST /api/samples/{barcode}/dropout (lab, reviewer): sets a remains sample's dropout
probability; the database profile source then passes single peaks with it. SQLite and
PostgreSQL."""

from __future__ import annotations

from dnacase.db import unit_of_work
from dnacase.services import profile_import as pi
from dnacase.services.dropout import DEFAULT_DROPOUT
from dnacase.services.search_inputs import DatabaseProfileSource
from tests.conftest import csrf_headers
from tests.services.test_profile_import import ACTOR, LAB, build_lab, good_file


async def test_set_dropout_and_the_search_input(client_as, sessionmaker, tmp_path) -> None:
    async with unit_of_work(sessionmaker) as s:
        lab = await build_lab(s, tmp_path)
    data, samples = good_file(lab)
    rem = lab.remains[0]
    samples_one = {k: list(v) for k, v in samples[rem].items()}
    async with unit_of_work(sessionmaker) as s:
        await pi.commit_import(s, data, "run1.txt", lab=LAB, actor=ACTOR)
    c = await client_as("lab")
    url = f"/api/samples/{rem}/dropout"
    r = await c.post(url, json={"dropout_probability": 0.3, "reason": "12 pg/ul, low peaks"},
                     headers=await csrf_headers(c))
    assert r.status_code == 200, r.text
    assert r.json() == {"barcode": rem, "sample_type": "bone_or_tooth",
                        "dropout_probability": 0.3, "effective": 0.3,
                        "default": DEFAULT_DROPOUT["bone_or_tooth"]}
    r = await c.post(url, json={"dropout_probability": 1.2, "reason": "a reason here"},
                     headers=await csrf_headers(c))
    assert r.status_code == 400 and "dropout_probability" in r.text
    r = await c.post(f"/api/samples/{lab.mother}/dropout",
                     json={"dropout_probability": 0.1, "reason": "a reason here"},
                     headers=await csrf_headers(c))
    assert r.status_code == 400
    col = await client_as("collector")
    r = await col.post(url, json={"dropout_probability": 0.1, "reason": "a reason here"},
                       headers=await csrf_headers(col))
    assert r.status_code == 403
    async with sessionmaker() as s:
        rems = await DatabaseProfileSource().remains_profiles(s)
        refs = await DatabaseProfileSource().relative_profiles(s, range(1, 100))
    prof = next(p for p in rems.values() if p.dropout == 0.3)
    hom = {k for k, v in samples_one.items() if v[0] == v[1]}
    assert {k for k, v in prof.one_allele.items() if v == "peak"} >= hom
    assert all(p.dropout == DEFAULT_DROPOUT["bone_or_tooth"] for p in rems.values()
               if p is not prof)
    assert refs and all(p.dropout == 0.0 for p in refs.values())
