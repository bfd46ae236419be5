"""Benchmark: a GeneMapper ID-X export of 5,000 samples x 24 markers (GlobalFiler), validated and
committed through the import service, on SQLite and PostgreSQL.

Setup (not timed): a migrated database with 5,000 kits collected (remains samples) and checked
in by the lab, inserted in bulk. Timed: the validation report (parse, kit matching, QC incl. the
all-pairs duplicate screen), then the commit (validates again, then writes 5,000 profiles, QC
flags, 5,000 kit transitions with custody events, one audit entry), then a re-import of the same
file (recognised by its SHA-256, nothing written). Target: under 30 s, report included.

    .venv/bin/python benchmarks/profile_import.py [--samples N] [--backend sqlite|postgresql|both]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import insert

from dnacase.db import create_engine, create_sessionmaker, migrate, unit_of_work
from dnacase.domain.accession import make_accession
from dnacase.formats import find_kit, load_frequency_table
from dnacase.models.kits import Kit, KitBatch, Sample, Shipment, ShipmentItem
from dnacase.models.registry import Remains
from dnacase.services import audit
from dnacase.services import profile_import as pi

LAB = "Phòng xét nghiệm ADN (benchmark)"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/{db}"


def export(barcodes: list[str], seed: int = 7) -> bytes:
    """GeneMapper Genotypes Table: one row per sample x marker (24 GlobalFiler markers)."""
    rng = random.Random(seed)
    kit = find_kit("GlobalFiler")
    freq = load_frequency_table("nist1036_asian")
    tables = {loc: (list(t), list(t.values())) for loc, t in freq.frequencies.items()}
    head = ["Sample File", "Sample Name", "Sample Type", "Panel", "Marker", "Dye",
            "Allele 1", "Allele 2", "Allele 3", "Allele 4", "Size 1", "Size 2", "Height 1",
            "Height 2"]
    out = ["\t".join(head)]
    for i, code in enumerate(barcodes):
        sfile = f"{i % 96:02d}_{code}.hid"
        for marker in kit.loci:
            if marker == "Amelogenin":
                alleles = ["X", "Y"]
            elif marker == "Yindel":
                alleles = [rng.choice(["1", "2"])]
            elif marker == "DYS391":
                alleles = [str(rng.randint(9, 12))]
            elif marker in tables:
                alleles = sorted(set(rng.choices(*tables[marker], k=2)), key=float)
            else:
                alleles = sorted({str(rng.randint(10, 14)) for _ in range(2)}, key=int)
            cells = [*alleles, "", "", "", ""][:4]
            sizes = [f"{100 + rng.random() * 300:.2f}" if a else "" for a in cells[:2]]
            heights = [str(rng.randint(800, 6000)) if a else "" for a in cells[:2]]
            out.append("\t".join([sfile, code, "Sample", "GlobalFiler_Panel_v1X", marker, "B",
                                  *cells, *sizes, *heights]))
    return ("\r\n".join(out) + "\r\n").encode("utf-8")


async def setup(url: str, n: int) -> list[str]:
    """Kits collected (remains), shipped and checked in by LAB: bulk inserts, not timed."""
    engine = create_engine(url)
    now = dt.datetime.now(dt.UTC)
    try:
        async with unit_of_work(create_sessionmaker(engine)) as s:
            batch = KitBatch(year=2024, first_sequence=1, count=n, notes="benchmark")
            s.add(batch)
            ship = Shipment(accession=make_accession("SHP", 2024, 1), year=2024, sequence=1,
                            lab_name=LAB, state="received", received_at=now)
            s.add(ship)
            await s.flush()
            codes = [make_accession("KIT", 2024, i + 1) for i in range(n)]
            await s.execute(insert(Kit), [
                {"barcode": c, "year": 2024, "sequence": i + 1, "batch_id": batch.id,
                 "state": "received", "created_at": now, "updated_at": now}
                for i, c in enumerate(codes)])
            await s.execute(insert(Remains), [
                {"id": i + 1, "recovery_site": f"site {i}", "notes": "", "created_at": now}
                for i in range(n)])
            await s.execute(insert(Sample), [
                {"kit_id": i + 1, "kind": "remains", "sample_type": "bone_or_tooth",
                 "remains_id": i + 1, "element": "petrous bone", "collected_at": now,
                 "collector_name": "bench", "place": "bench", "notes": "", "created_at": now}
                for i in range(n)])
            await s.execute(insert(ShipmentItem), [
                {"shipment_id": ship.id, "kit_id": i + 1, "barcode": c, "status": "received"}
                for i, c in enumerate(codes)])
        return codes
    finally:
        await engine.dispose()


async def run(url: str, n: int) -> dict[str, float]:
    codes = await setup(url, n)
    data = export(codes)
    engine = create_engine(url)
    sm = create_sessionmaker(engine)
    out: dict[str, float] = {"file_mb": len(data) / 2**20}
    try:
        async with sm() as s:
            t = time.perf_counter()
            report = await pi.validate_import(s, data, "bench.txt", lab=LAB)
            out["validate_s"] = time.perf_counter() - t
            assert report.ok, [i.to_dict() for i in report.errors[:5]]
            assert report.counts()["new"] == n
        t = time.perf_counter()
        async with unit_of_work(sm) as s:
            done = await pi.commit_import(s, data, "bench.txt", lab=LAB, actor=audit.SYSTEM)
        out["commit_s"] = time.perf_counter() - t
        assert done.committed
        t = time.perf_counter()
        async with unit_of_work(sm) as s:
            again = await pi.commit_import(s, data, "bench.txt", lab=LAB, actor=audit.SYSTEM)
        out["reimport_s"] = time.perf_counter() - t
        assert again.already is not None
        async with sm() as s:
            counts = await pi.profile_counts(s)
        assert counts["profiles"] == n and counts["profiled_kits"] == n, counts
    finally:
        await engine.dispose()
    out["report_plus_commit_s"] = out["validate_s"] + out["commit_s"]
    return out


async def _pg(query: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(query)
    finally:
        await conn.close()


def bench(backend: str, n: int) -> dict[str, float]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.sqlite3'}"
            migrate(url, "heads")
            return asyncio.run(run(url, n))
    name = f"dnacase_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(_pg(f'CREATE DATABASE "{name}"'))
    try:
        url = PG_URL.format(db=name)
        migrate(url, "heads")
        return asyncio.run(run(url, n))
    finally:
        asyncio.run(_pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=5000)
    ap.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    args = ap.parse_args()
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    print(f"GeneMapper export: {args.samples} samples x 24 markers (GlobalFiler)")
    worst = 0.0
    for b in backends:
        r = bench(b, args.samples)
        worst = max(worst, r["report_plus_commit_s"])
        print(f"{b:<10} file {r['file_mb']:.1f} MiB | validation report {r['validate_s']:.2f} s"
              f" | commit (re-validates + writes) {r['commit_s']:.2f} s | report + commit "
              f"{r['report_plus_commit_s']:.2f} s | re-import (same file) "
              f"{r['reimport_s']:.2f} s")
    print(f"target: report + commit under 30 s: {'met' if worst < 30 else 'MISSED'} "
          f"(worst {worst:.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
