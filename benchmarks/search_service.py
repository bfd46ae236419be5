"""Blind search through the service on PostgreSQL with synthetic data; the review queue page.

Usage (from the repository root)::

    .venv/bin/python benchmarks/search_service.py                 # 20,000 x 20,000
    .venv/bin/python benchmarks/search_service.py 2000 2000       # smaller (remains, families)
    .venv/bin/python benchmarks/search_service.py 2000 2000 sqlite

A fresh database (PostgreSQL on 127.0.0.1:5432, trust auth, override the server with
``DNACASE_BENCH_PG_URL``; dropped afterwards) is migrated and filled in bulk with F families of
six shapes (mother + brother, three siblings, spouse + two children, both parents, brother +
nephew, mother + sister), their relatives and relationships, one cemetery, R graves and remains.
Genotypes (14 STR loci, NIST 1036 Asian) are simulated along each family's pedigree; the first
``min(R, F, 2000)`` remains are the missing persons of the first families, the others
unrelated. Profiles are given to the search through a :class:`StaticProfileSource` (the same
boundary the database source implements).

Printed: data set-up time (not part of the search), the search time through
:func:`dnacase.services.search.execute_run` (family tables, blocks, result rows, review queue),
pairs per second, peak RSS of the process, the number of candidates, and the time to open the
review queue page (``GET /review/``, up to 1,000 candidates, logged-in reviewer) through the app.
"""

from __future__ import annotations

import asyncio
import os
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests" / "services"))

from sqlalchemy import insert  # noqa: E402
from test_search_support import SHAPES, panel_loci  # noqa: E402

from dnacase.db import create_engine, create_sessionmaker, migrate, unit_of_work  # noqa: E402
from dnacase.domain.family import (  # noqa: E402
    FamilyMember,
    MissingPersonInfo,
    RecordedRelationship,
    build_family_pedigree,
)
from dnacase.kinship import random_profiles, simulate_genotypes  # noqa: E402
from dnacase.models.families import FamilyRelationship, Relative  # noqa: E402
from dnacase.models.registry import Cemetery, Grave, MissingPerson, Remains  # noqa: E402
from dnacase.services import audit, search  # noqa: E402
from dnacase.services.search_inputs import ProfileInput, StaticProfileSource  # noqa: E402

PG = os.environ.get("DNACASE_BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _profile(names: list[tuple[str, tuple[str, ...]]], g: np.ndarray, version: str) -> ProfileInput:
    return ProfileInput(version, {name: (al[int(g[j, 0])], al[int(g[j, 1])])
                                  for j, (name, al) in enumerate(names)})


async def fill(sm, n_remains: int, n_families: int, seed: int = 11) -> StaticProfileSource:
    rng = np.random.default_rng(seed)
    loci = panel_loci()
    names = [(loc.name, loc.alleles) for loc in loci]
    src = StaticProfileSource()
    mps, rels, links, graves, remains = [], [], [], [], []
    rid = 0
    fam_rel: dict[int, list[int]] = {}
    for f in range(n_families):
        mp_id = f + 1
        mps.append({"id": mp_id, "registry_number": f"B-{mp_id:06d}", "full_name": f"Liệt sĩ {f}",
                    "name_key": f"liet si {f}", "sex": "M", "status": "missing",
                    "notes": "", "home_village": "", "home_commune": "", "home_district": "",
                    "home_province": "", "unit": "", "death_date": "", "death_place": "",
                    "initial_burial_place": ""})
        shape = SHAPES[f % len(SHAPES)]
        ids = []
        for k, (code, sex, via) in enumerate(shape):
            rid += 1
            ids.append(rid)
            rels.append({"id": rid, "full_name": f"Người thân {f}-{k}",
                         "name_key": f"nguoi than {f} {k}", "sex": sex, "id_document": "",
                         "contact": "", "deceased": False, "consent_scope": "",
                         "consent_form_path": "", "consent_form_name": "",
                         "consent_form_sha256": "", "notes": ""})
            links.append({"missing_person_id": mp_id, "relative_id": rid, "relationship": code,
                          "via_relative_id": None if via is None else ids[int(via)]})
        fam_rel[mp_id] = ids
    # genotypes: simulate each shape in one batch on a template pedigree (same structure)
    truth_n = min(n_remains, n_families, 2000)
    mp_geno: dict[int, np.ndarray] = {}
    for si, shape in enumerate(SHAPES):
        fams = [f + 1 for f in range(n_families) if f % len(SHAPES) == si]
        if not fams:
            continue
        ped = build_family_pedigree(
            MissingPersonInfo("T", "t", "M"),
            [FamilyMember(f"a{k}", f"a{k}", s[1], True) for k, s in enumerate(shape)],
            [RecordedRelationship(f"a{k}", s[0], f"a{int(s[2])}" if s[2] else None)
             for k, s in enumerate(shape)])
        kp = ped.to_kinship()
        sims = simulate_genotypes(kp, loci, rng, len(fams))
        for j, mp_id in enumerate(fams):
            for k, r in enumerate(fam_rel[mp_id]):
                src.relatives[r] = _profile(names, sims[j, kp.index(f"rel:a{k}")], f"r{r}")
            if mp_id <= truth_n:
                mp_geno[mp_id] = sims[j, kp.index("mp:T")]
    unrelated = random_profiles(loci, rng, max(0, n_remains - truth_n))
    for i in range(n_remains):
        gid = i + 1
        graves.append({"id": gid, "cemetery_id": 1, "plot": "A", "row": str(i // 1000),
                       "number": str(i % 1000), "inscription": "", "inscription_key": "",
                       "status": "unnamed", "registry_number": "", "notes": ""})
        remains.append({"id": gid, "grave_id": gid, "recovery_site": "", "notes": ""})
        g = mp_geno[i + 1] if i < truth_n else unrelated[i - truth_n]
        src.remains[gid] = _profile(names, g, f"m{gid}")
    async with unit_of_work(sm) as s:
        s.add(Cemetery(id=1, name="Nghĩa trang benchmark", name_key="nghia trang benchmark"))
        await s.flush()
        now = audit.utcnow()
        for table, rows in ((MissingPerson, mps), (Relative, rels), (FamilyRelationship, links),
                            (Grave, graves), (Remains, remains)):
            for c in range(0, len(rows), 5000):
                chunk = [{**r, "created_at": now} | (
                    {"updated_at": now} if table not in (FamilyRelationship, Remains) else {})
                    for r in rows[c:c + 5000]]
                await s.execute(insert(table), chunk)
        if s.bind.dialect.name == "postgresql":
            for t in ("missing_persons", "relatives", "graves", "remains", "cemeteries"):
                await s.execute(__import__("sqlalchemy").text(
                    f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), "
                    f"(SELECT MAX(id) FROM {t}))"))
    return src


async def queue_page_seconds(url: str, var_dir: Path) -> tuple[float, int]:
    from litestar.testing import AsyncTestClient

    from dnacase.services import users as users_service
    from dnacase.settings import Settings
    from dnacase.web.app import create_app

    settings = Settings(database_url=url, secret_key="bench-" + "k" * 40, environment="test",
                        cookie_secure=False, var_dir=var_dir, argon2_time_cost=1,
                        argon2_memory_cost_kib=8, argon2_parallelism=1)
    app = create_app(settings)
    sm = create_sessionmaker(create_engine(url))
    async with unit_of_work(sm) as s:
        await users_service.create_user(s, username="benchrev", display_name="bench",
                                        password="bench-password-123", roles=("reviewer",),
                                        actor=audit.SYSTEM, meta=audit.CLI_META)
    async with AsyncTestClient(app=app) as c:
        await c.get("/login")
        token = c.cookies.get("csrftoken") or (await c.get("/api/auth/csrf")).json()["csrf_token"]
        await c.post("/login", data={"username": "benchrev", "password": "bench-password-123",
                                     "_csrf_token": token})
        t0 = time.perf_counter()
        resp = await c.get("/review/")
        dt = time.perf_counter() - t0
        assert resp.status_code == 200, resp.status_code
        return dt, resp.text.count("data-case=")


async def main(n_remains: int, n_families: int, backend: str) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="dnacase-search-bench-"))
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp / 'bench.sqlite3'}"
        drop = None
    else:
        import asyncpg
        from sqlalchemy.engine import make_url

        name = f"dnacase_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        base = make_url(PG)
        dsn = base.set(drivername="postgresql").render_as_string(hide_password=False)
        conn = await asyncpg.connect(dsn)
        await conn.execute(f'CREATE DATABASE "{name}"')
        await conn.close()
        url = base.set(database=name).render_as_string(hide_password=False)

        async def drop() -> None:
            c = await asyncpg.connect(dsn)
            await c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await c.close()
    try:
        await asyncio.to_thread(migrate, url, "heads")
        engine = create_engine(url)
        sm = create_sessionmaker(engine)
        t0 = time.perf_counter()
        src = await fill(sm, n_remains, n_families)
        print(f"set-up ({backend}): {n_families:,} families, {n_remains:,} remains in "
              f"{time.perf_counter() - t0:.1f} s")
        async with unit_of_work(sm) as s:
            run = await search.create_run(s, search.SearchParameters(block_families=2048))
        t0 = time.perf_counter()
        run = await search.execute_run(sm, run.id, src, cache_dir=tmp / "tables")
        secs = time.perf_counter() - t0
        print(f"search: {run.pairs_total:,} pairs in {secs:.1f} s = "
              f"{run.pairs_total / secs:,.0f} pairs/s; {run.results_count:,} pairs stored; "
              f"{run.tables_built:,} family tables built; peak RSS {_rss_mb():,.0f} MB")
        async with unit_of_work(sm) as s:
            run2 = await search.create_run(s, search.SearchParameters(block_families=2048))
        t0 = time.perf_counter()
        run2 = await search.execute_run(sm, run2.id, src, cache_dir=tmp / "tables")
        secs2 = time.perf_counter() - t0
        print(f"search again (tables cached, {run2.tables_built} rebuilt): {secs2:.1f} s = "
              f"{run2.pairs_total / secs2:,.0f} pairs/s")
        from sqlalchemy import func, select

        from dnacase.models.review import ReviewCase

        async with sm() as s:
            n_cases = (await s.execute(select(func.count()).select_from(ReviewCase))).scalar_one()
        await engine.dispose()
        page_s, rows = await queue_page_seconds(url, tmp / "var")
        print(f"review queue: {n_cases:,} candidates; GET /review/ ({rows:,} rows) "
              f"in {page_s:.2f} s")
    finally:
        if drop is not None:
            await drop()


if __name__ == "__main__":
    args = sys.argv[1:]
    backend = "postgresql"
    if args and args[-1] in ("sqlite", "postgresql"):
        backend = args.pop()
    r = int(args[0]) if args else 20_000
    f = int(args[1]) if len(args) > 1 else r
    asyncio.run(main(r, f, backend))
