"""Import a synthetic 54,000-row grave list through the service; print the time.

Usage (from the repository root)::

    .venv/bin/python benchmarks/registry_import.py            # SQLite and PostgreSQL
    .venv/bin/python benchmarks/registry_import.py sqlite     # one backend

SQLite: a fresh file under a temporary directory. PostgreSQL: a fresh database on
127.0.0.1:5432 (trust auth; override the server with DNACASE_BENCH_PG_URL), dropped afterwards.
Each run migrates, registers a cemetery and the 2,000 missing persons the identified graves
refer to, then times ``import_graves`` (parse + validate + bulk insert + audit, one
transaction), then times a re-import of the same file (idempotent: nothing written). Target:
under 60 s for the import.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from dnacase.db import create_engine, create_sessionmaker, migrate, unit_of_work
from dnacase.services import audit, registry

ROWS = 54_000
PG = os.environ.get("DNACASE_BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


def grave_list(rows: int = ROWS) -> tuple[bytes, bytes]:
    """A grave list of *rows* graves (plots A-Z.., 30 rows of 75) and the registry it cites."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["plot", "row", "number", "inscription", "status", "registry_number", "notes"])
    reg = io.StringIO()
    rw = csv.writer(reg)
    rw.writerow(["registry_number", "full_name", "birth_year"])
    for i in range(rows):
        plot, rest = divmod(i, 30 * 75)
        row, number = divmod(rest, 75)
        if i % 27 == 0 and i // 27 < 2000:
            number_ = f"BM-{i // 27:05d}"
            rw.writerow([number_, f"Liệt sĩ Nguyễn Văn Số {i}", 1950])
            w.writerow([f"P{plot}", row + 1, number + 1, f"Liệt sĩ Nguyễn Văn Số {i}",
                        "đã xác định", number_, ""])
        elif i % 5 == 0:
            w.writerow([f"P{plot}", row + 1, number + 1, f"Liệt sĩ Trần Đức Tên {i}", "", "", ""])
        else:
            w.writerow([f"P{plot}", row + 1, number + 1, "Liệt sĩ vô danh", "", "", ""])
    return out.getvalue().encode(), reg.getvalue().encode()


async def run(url: str, graves: bytes, reg: bytes) -> tuple[float, float]:
    engine = create_engine(url)
    sm = create_sessionmaker(engine)
    try:
        async with unit_of_work(sm) as s:
            await registry.import_registry(s, reg, "registry.csv", actor=audit.SYSTEM)
            cem = await registry.create_cemetery(s, {"name": "Nghĩa trang liệt sĩ Benchmark",
                                                     "province": "Quảng Trị"},
                                                 actor=audit.SYSTEM)
        t0 = time.perf_counter()
        async with unit_of_work(sm) as s:
            report = await registry.import_graves(s, cem.id, graves, "graves54k.csv",
                                                  actor=audit.SYSTEM)
        first = time.perf_counter() - t0
        assert report.created == ROWS, report
        t0 = time.perf_counter()
        async with unit_of_work(sm) as s:
            again = await registry.import_graves(s, cem.id, graves, "graves54k.csv",
                                                 actor=audit.SYSTEM)
        second = time.perf_counter() - t0
        assert again.created == 0 and again.unchanged == ROWS
        return first, second
    finally:
        await engine.dispose()


async def _pg_database(action: str, name: str) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    dsn = make_url(PG).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'{action} DATABASE "{name}"')
    finally:
        await conn.close()


def main() -> None:
    backends = sys.argv[1:] or ["sqlite", "postgresql"]
    graves, reg = grave_list()
    print(f"grave list: {ROWS} rows, {len(graves) / 1e6:.1f} MB")
    for backend in backends:
        if backend == "sqlite":
            tmp = tempfile.mkdtemp()
            url = f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"
            migrate(url)
            first, second = asyncio.run(run(url, graves, reg))
        else:
            from sqlalchemy.engine import make_url

            name = f"dnacase_bench_{uuid.uuid4().hex[:8]}"
            asyncio.run(_pg_database("CREATE", name))
            try:
                url = make_url(PG).set(database=name).render_as_string(hide_password=False)
                migrate(url)
                first, second = asyncio.run(run(url, graves, reg))
            finally:
                asyncio.run(_pg_database("DROP", name))
        print(f"{backend:<10} import {ROWS} graves: {first:6.1f} s "
              f"({ROWS / first:,.0f} rows/s; target < 60 s) | re-import (no change): "
              f"{second:5.1f} s")


if __name__ == "__main__":
    main()
