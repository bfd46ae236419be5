"""The demo's re-association: two bones of one man (``fixtures/demo/reassociation.json``).

A femur and a tooth from two adjacent unnamed graves carry overlapping partial profiles of one
missing person (written by ``scripts/demo_reassociation_fixture.py``). They go through the same
services as the rest of the demo (a kit batch, remains collection, shipment, check-in, the lab
import of their genotype table), then the remains x remains scan
(:func:`dnacase.services.reassociation_scan.scan_remains_pairs`) queues the pair for the
reviewers' "same individual" decision. Idempotent: a second run writes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dnacase.domain import kit_states as ks
from dnacase.models.kits import Kit, ShipmentItem
from dnacase.services import kits, reassociation_scan
from dnacase.services.audit import CLI_META
from dnacase.services.search_inputs import DatabaseProfileSource

SPEC = "reassociation.json"


async def load(session: AsyncSession, demo: Path, report: Any, *, collector: Any, lab: Any,
               cemetery_ids: dict[str, int]) -> None:
    """Load the two bones (see module doc) and run the scan; counts go into ``report``."""
    from dnacase.services.demo import _lab_import

    path = demo / SPEC
    if not path.is_file():
        return
    spec = json.loads(path.read_text(encoding="utf-8"))
    barcodes = [c["barcode"] for c in spec["collections"]]
    have = set((await session.execute(select(Kit.barcode).where(
        Kit.barcode.in_(barcodes)))).scalars())
    if not have:
        b = spec["batch"]
        _batch, made = await kits.register_batch(
            session, b["count"], year=b["year"], notes=b["notes"],
            issued_at=dt.datetime.fromisoformat(b["issued_at"]), actor=collector, meta=CLI_META)
        if [k.barcode for k in made] != barcodes:
            raise ValueError(f"{path}: the kit batch gave {[k.barcode for k in made]}, the "
                             f"fixture expects {barcodes}")
        report.kits += len(made)
    for col in spec["collections"]:
        kit = await kits.get_kit(session, col["barcode"])
        if kit.state != ks.ISSUED:
            continue
        await kits.collect_remains(session, {
            "barcode": col["barcode"], "collected_at": col["collected_at"], "place": col["place"],
            "sample_type": col["sample_type"], "cemetery_id": cemetery_ids[col["cemetery"]],
            "element": col["element"], **col["grave"]}, actor=collector, meta=CLI_META)
        report.collections += 1
    ship = spec["shipment"]
    item = (await session.execute(select(ShipmentItem).where(
        ShipmentItem.barcode == barcodes[0], ShipmentItem.status != "unexpected"))
            ).scalars().first()
    if item is None:
        shipment = await kits.create_shipment(session, {
            "lab_name": ship["lab"], "barcodes": "\n".join(barcodes), "sent_at": ship["sent_at"],
            "notes": "Demo: two bones of one man"}, actor=collector, meta=CLI_META)
        report.shipments += 1
    else:
        shipment = await kits.get_shipment(session, item.shipment_id)
    if shipment.state == "sent":
        await kits.check_in(session, shipment.id, {  # type: ignore[arg-type]
            "barcodes": "\n".join(barcodes), "received_at": ship["received_at"]},
            actor=lab, meta=CLI_META)
        report.check_ins += 1
    done = await _lab_import(session, demo / spec["profiles"]["file"], spec["profiles"]["lab"],
                             lab)
    if done is not None:
        report.profiles += done.counts()["new"]
    scan = await reassociation_scan.scan_remains_pairs(session, DatabaseProfileSource(),
                                                       request_meta=CLI_META)
    if scan.queued:
        report.notes.append(f"re-association candidates queued: {scan.queued}")
