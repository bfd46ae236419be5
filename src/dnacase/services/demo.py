"""Load the synthetic demo data set from ``fixtures/demo`` (idempotent: twice = no change).

Everything goes through the same services the application uses (imports, relatives,
collections, shipments, check-in, lab outcomes), acted by the demo users (one per role), so the
audit log and the chain of custody of the demo are real. Each step first looks whether its
result is already there and then does nothing; a second run writes nothing at all.

The STR genotypes of the profiled kits (``fixtures/demo/genotypes_globalfiler.csv``, a wide lab
table) are imported through the lab import (:mod:`dnacase.services.profile_import`, validate
then commit, by the demo lab user), so the kits go received -> profiled as in real use and the
search reads current profile versions from the database. Two received kits stay unprofiled:
their genotypes are in ``lab_upload_example.csv``, to try the lab import in the UI.
``truth.json`` says which remains belong to whom.

One remains sample (``KIT-2024-000035-21``, the son of a typed father and mother) is degraded:
six loci show a single low peak, the other allele having dropped out. Read as homozygotes,
those loci contradict one parent each and the family falls far below the thresholds; the
demo sets the sample's dropout probability (``kits.json`` ``"dropout"``, as the lab user,
with a reason, :func:`dnacase.services.dropout.set_sample_dropout`), and the search read
with the dropout model finds the family, its candidate page naming the loci read so.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dnacase.domain import kit_states as ks
from dnacase.models.families import FamilyRelationship, Relative
from dnacase.models.kits import Kit, Sample, ShipmentItem
from dnacase.models.registry import Cemetery, MissingPerson
from dnacase.models.users import User
from dnacase.services import (
    dropout,
    families,
    haplotype_databases,
    kits,
    profile_import,
    registry,
)
from dnacase.services import users as users_service
from dnacase.services.audit import CLI_META


@dataclass(slots=True)
class DemoReport:
    """What a demo load did (all zero on a second run)."""

    missing_persons: int = 0
    cemeteries: int = 0
    graves: int = 0
    relatives: int = 0
    relationships: int = 0
    kits: int = 0
    collections: int = 0
    shipments: int = 0
    check_ins: int = 0
    outcomes: int = 0
    profiles: int = 0
    qc_flags: int = 0
    lineage_profiles: int = 0
    haplotype_databases: int = 0
    dropout_settings: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(getattr(self, name) for name in (
            "missing_persons", "cemeteries", "graves", "relatives", "relationships", "kits",
            "collections", "shipments", "check_ins", "outcomes", "profiles",
            "lineage_profiles", "haplotype_databases", "dropout_settings"))


def _consent_pdf(name: str) -> bytes:
    """A tiny synthetic PDF standing for a signed consent form."""
    text = f"Synthetic demo consent form - {name}".encode("ascii", "replace")
    return (b"%PDF-1.4\n% dnacase demo: not a real document\n1 0 obj << /Type /Catalog >> "
            b"endobj\n% " + text + b"\n%%EOF\n")


async def _user(session: AsyncSession, username: str) -> User:
    user = await users_service.get_by_username(session, username)
    assert user is not None, username
    return user


async def load_demo(session: AsyncSession, fixtures: Path, *, upload_dir: Path) -> DemoReport:
    """Load ``fixtures/demo`` into the database in the caller's transaction."""
    demo = fixtures / "demo" if (fixtures / "demo").is_dir() else fixtures
    report = DemoReport()
    await users_service.ensure_demo_users(session)
    admin = await _user(session, "admin")
    collector = await _user(session, "collector")
    lab = await _user(session, "lab")

    # registry and graves
    rep = await registry.import_registry(session, (demo / "registry.csv").read_bytes(),
                                         "registry.csv", actor=admin, meta=CLI_META)
    report.missing_persons = rep.created
    with (demo / "cemeteries.csv").open(encoding="utf-8") as fh:
        cemetery_rows = list(csv.DictReader(fh))
    cemetery_ids: dict[str, int] = {}
    for row in cemetery_rows:
        cem = (await session.execute(select(Cemetery).where(
            Cemetery.name == row["name"], Cemetery.province == row["province"]))
               ).scalar_one_or_none()
        if cem is None:
            cem = await registry.create_cemetery(session, row, actor=admin, meta=CLI_META)
            report.cemeteries += 1
        cemetery_ids[row["slug"]] = cem.id  # type: ignore[assignment]
        path = demo / "graves" / f"{row['slug']}.csv"
        rep = await registry.import_graves(session, cem.id, path.read_bytes(),  # type: ignore[arg-type]
                                           path.name, actor=admin, meta=CLI_META)
        report.graves += rep.created

    # families
    fams = json.loads((demo / "families.json").read_text(encoding="utf-8"))
    relative_ids: dict[str, int] = {}
    for fam in fams:
        mp = (await session.execute(select(MissingPerson).where(
            MissingPerson.registry_number == fam["missing"]))).scalar_one()
        linked = {r.full_name: r for r in (await session.execute(
            select(Relative).join(FamilyRelationship,
                                  FamilyRelationship.relative_id == Relative.id)
            .where(FamilyRelationship.missing_person_id == mp.id))).scalars()}
        for rel in fam["relatives"]:
            existing = linked.get(rel["full_name"])
            if existing is not None:
                relative_ids[rel["key"]] = existing.id  # type: ignore[assignment]
                continue
            consent = rel.get("consent") or {}
            values: dict[str, Any] = {
                "full_name": rel["full_name"], "sex": rel["sex"],
                "birth_year": rel["birth_year"], "id_document": rel["id_document"],
                "contact": rel["contact"], "deceased": "" if rel["typed"] else "on",
                "consent_date": consent.get("date", ""), "consent_scope": consent.get("scope", ""),
                "relationship": rel["relationship"],
                "via_relative_id": relative_ids.get(rel["via"] or "", ""),
            }
            upload = (families.UploadedFile(f"consent-{rel['key']}.pdf",
                                            _consent_pdf(rel["full_name"]))
                      if consent else None)
            created = await families.add_relative(session, mp.id, values,  # type: ignore[arg-type]
                                                   consent_form=upload, upload_dir=upload_dir,
                                                   actor=collector, meta=CLI_META)
            relative_ids[rel["key"]] = created.id  # type: ignore[assignment]
            report.relatives += 1
        for shared in fam.get("shared", []):
            rid = relative_ids[shared["key"]]
            exists = (await session.execute(select(FamilyRelationship.id).where(
                FamilyRelationship.missing_person_id == mp.id,
                FamilyRelationship.relative_id == rid))).scalar_one_or_none()
            if exists is None:
                await families.add_relationship(session, mp.id, {  # type: ignore[arg-type]
                    "relative_id": rid, "relationship": shared["relationship"],
                    "via_relative_id": relative_ids.get(shared["via"] or "", ""),
                }, actor=collector, meta=CLI_META)
                report.relationships += 1

    # kits
    spec = json.loads((demo / "kits.json").read_text(encoding="utf-8"))
    for batch in spec["batches"]:
        have = (await session.execute(select(func.count(Kit.id)).where(
            Kit.year == batch["year"]))).scalar_one()
        if have < batch["count"]:
            await kits.register_batch(
                session, batch["count"] - have, year=batch["year"], notes=batch["notes"],
                issued_at=dt.datetime.fromisoformat(batch["issued_at"]), actor=collector,
                meta=CLI_META)
            report.kits += batch["count"] - have
    for col in spec["collections"]:
        kit = await kits.get_kit(session, col["barcode"])
        if kit.state != ks.ISSUED:
            continue
        values = {"barcode": col["barcode"], "collected_at": col["collected_at"],
                  "place": col["place"], "sample_type": col["sample_type"]}
        if col["kind"] == "reference":
            values["relative_id"] = relative_ids[col["relative"]]
            await kits.collect_reference(session, values, actor=collector, meta=CLI_META)
        else:
            values.update(cemetery_id=cemetery_ids[col["cemetery"]], element=col["element"],
                          **col["grave"])
            await kits.collect_remains(session, values, actor=collector, meta=CLI_META)
        report.collections += 1
    for ship in spec["shipments"]:
        first = ship["kits"][0]
        item = (await session.execute(select(ShipmentItem).where(
            ShipmentItem.barcode == first, ShipmentItem.status != "unexpected"))
                ).scalars().first()
        if item is None:
            shipment = await kits.create_shipment(session, {
                "lab_name": ship["lab"], "barcodes": "\n".join(ship["kits"]),
                "sent_at": ship["sent_at"], "notes": f"Demo {ship['key']}"},
                actor=collector, meta=CLI_META)
            report.shipments += 1
        else:
            shipment = await kits.get_shipment(session, item.shipment_id)
        if ship["receive"] and shipment.state == "sent":
            await kits.check_in(session, shipment.id, {  # type: ignore[arg-type]
                "barcodes": "\n".join(ship["receive"]["scanned"]),
                "received_at": ship["receive"]["at"]}, actor=lab, meta=CLI_META)
            report.check_ins += 1
    lab_file = spec.get("profiles")
    if lab_file:
        # the lab's genotype table, imported as a lab would (validate, then commit): the kits
        # go received -> profiled with custody and audit; a second run finds the same file
        # (SHA-256) already imported and writes nothing
        done = await _lab_import(session, demo / lab_file["file"], lab_file["lab"], lab)
        if done is not None:
            report.profiles = done.counts()["new"]
            report.qc_flags = done.counts()["flagged"]
    lineage = spec.get("lineage")
    if lineage:
        # the same kits' mtDNA (EMPOP file), then the population haplotypes the review's
        # mtDNA LRs count in (synthetic)
        done = await _lab_import(session, demo / lineage["file"], lineage["lab"], lab)
        if done is not None:
            report.lineage_profiles = done.counts()["new"]
        pop = lineage.get("population")
        if pop:
            path = demo / pop["file"]
            res = await haplotype_databases.import_database(
                session, path.read_bytes(), path.name, marker=pop["marker"],
                population=pop["population"], actor=lab, meta=CLI_META)
            report.haplotype_databases += int(res.created)
    for item in spec.get("dropout", []):
        kit = await kits.get_kit(session, item["barcode"])
        sample = (await session.execute(select(Sample).where(Sample.kit_id == kit.id))
                  ).scalar_one()
        if sample.dropout_probability != item["value"]:
            await dropout.set_sample_dropout(session, item["barcode"], item["value"],
                                             item["reason"], actor=lab, meta=CLI_META)
            report.dropout_settings += 1
    for res in spec["results"]:
        kit = await kits.get_kit(session, res["barcode"])
        if kit.state == ks.RECEIVED:
            await kits.record_outcome(session, res["barcode"], res["outcome"], notes="demo",
                                      at=dt.datetime.fromisoformat(res["at"]), actor=lab,
                                      meta=CLI_META)
            report.outcomes += 1
    from dnacase.services import demo_reassociation  # two bones of one man

    await demo_reassociation.load(session, demo, report, collector=collector, lab=lab,
                                  cemetery_ids=cemetery_ids)
    return report


async def _lab_import(session: AsyncSession, path: Path, lab_name: str, actor: Any) -> Any:
    """Validate then commit a demo lab file as the lab user; None when already imported."""
    data = path.read_bytes()
    checked = await profile_import.validate_import(session, data, path.name, lab=lab_name)
    if checked.already is not None:
        return None
    if not checked.ok:
        raise ValueError(f"{path}: the demo lab file is refused: "
                         + "; ".join(i.message for i in checked.errors[:5]))
    held = [s.name for s in checked.samples if s.hold]
    if held:
        raise ValueError(f"{path}: QC holds {', '.join(held)}: they would be left out of the "
                         "search")
    return await profile_import.commit_import(session, data, path.name, lab=lab_name,
                                              actor=actor, meta=CLI_META)


def summary(report: DemoReport) -> str:
    """One line per count, for the CLI."""
    out = io.StringIO()
    if not report.changed:
        out.write("demo data already loaded: nothing changed\n")
        return out.getvalue()
    for name in ("missing_persons", "cemeteries", "graves", "relatives", "relationships",
                 "kits", "collections", "shipments", "check_ins", "outcomes", "profiles",
                 "lineage_profiles", "haplotype_databases", "dropout_settings"):
        out.write(f"{name.replace('_', ' ')}: {getattr(report, name)} added\n")
    if report.qc_flags:
        out.write(f"profiles flagged by QC (not held): {report.qc_flags}\n")
    return out.getvalue()
