"""``dnacase demo``: the demo data set loads through the services, twice = no change."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from dnacase.db import unit_of_work
from dnacase.domain import kit_states as ks
from dnacase.models.audit import AuditEntry
from dnacase.models.custody import CustodyEvent
from dnacase.models.families import FamilyRelationship, Relative
from dnacase.models.kits import Kit, Sample, Shipment, ShipmentItem
from dnacase.models.profiles import Profile
from dnacase.models.registry import Cemetery, Grave, MissingPerson
from dnacase.services import audit, custody, demo, haplotype_databases, kits

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


async def load_demo_data(sessionmaker: Any, upload_dir: Path) -> demo.DemoReport:
    """Load the demo fixtures in one unit of work (helper shared by the web tests)."""
    async with unit_of_work(sessionmaker) as session:
        return await demo.load_demo(session, FIXTURES, upload_dir=upload_dir)


async def _counts(session: Any) -> dict[str, int]:
    out = {}
    for model in (MissingPerson, Cemetery, Grave, Relative, FamilyRelationship, Kit, Sample,
                  Shipment, ShipmentItem, CustodyEvent, AuditEntry):
        out[model.__tablename__] = (await session.execute(
            select(func.count()).select_from(model))).scalar_one()
    return out


async def test_demo_loads_every_workflow_and_is_idempotent(sessionmaker, tmp_path) -> None:
    first = await load_demo_data(sessionmaker, tmp_path)
    assert first.changed
    assert first.missing_persons == 60 and first.cemeteries == 4 and first.graves >= 600
    async with sessionmaker() as session:
        before = await _counts(session)
        states = await kits.state_counts(session)
        assert all(states[s] > 0 for s in ks.STATES), states  # kits in every state
        assert (await custody.verify(session)).ok
        assert (await audit.verify(session)).ok
        # the lab file went through the profile import, acted by the lab user: every kit of
        # the file is profiled with its current profile, a custody event and one audit entry
        bones = {line.split(",", 1)[0] for line in (  # two bones of one man: STR only
            FIXTURES / "demo" / "reassociation_globalfiler.csv").read_text().splitlines()[1:]}
        barcodes = bones | {line.split(",", 1)[0] for line in (
            FIXTURES / "demo" / "genotypes_globalfiler.csv").read_text().splitlines()[1:]}
        assert first.profiles == len(barcodes) == states[ks.PROFILED]
        profiled = {k.barcode: k for k in (await session.execute(
            select(Kit).where(Kit.state == ks.PROFILED))).scalars()}
        assert set(profiled) == barcodes
        current = (await session.execute(select(Profile).where(
            Profile.status == "current"))).scalars().all()
        assert {p.kit_id for p in current} == {k.id for k in profiled.values()}
        # the same kits' mtDNA came in through the import too, and the population haplotypes
        mt = [p for p in current if p.marker_type == "mtDNA"]
        assert {p.kit_id for p in mt} == {k.id for k in profiled.values()
                                          if k.barcode not in bones}
        assert first.lineage_profiles == len(mt) and first.haplotype_databases == 1
        db = await haplotype_databases.population_database(session, "mtDNA")
        assert db is not None and len(db) == 400
        assert all(p.single_source for p in current)  # QC flags, holds nothing
        events = (await session.execute(select(CustodyEvent).where(
            CustodyEvent.event == "profiled"))).scalars().all()
        assert sorted(e.kit_id for e in events) == sorted(k.id for k in profiled.values())
        assert {e.actor_username for e in events} == {"lab"}
        imports = (await session.execute(select(AuditEntry).where(
            AuditEntry.action == "profile.import"))).scalars().all()
        assert len(imports) == 3 and {i.actor_username for i in imports} == {"lab"}
        # the two kits left received have their genotypes in the example file for the UI
        waiting = {k.barcode for k in (await session.execute(
            select(Kit).where(Kit.state == ks.RECEIVED))).scalars()}
        example = {line.split(",", 1)[0] for line in (
            FIXTURES / "demo" / "lab_upload_example.csv").read_text().splitlines()[1:]}
        assert example and example <= waiting
        flagged = {i.status for i in (await session.execute(select(ShipmentItem))).scalars()}
        assert {"missing", "unexpected", "received", "listed"} <= flagged
    second = await load_demo_data(sessionmaker, tmp_path)
    assert not second.changed
    async with sessionmaker() as session:
        assert await _counts(session) == before
    assert "nothing changed" in demo.summary(second)
    # consent forms were stored with their SHA-256
    stored = list((tmp_path / "consent_forms").iterdir())
    assert stored and all(p.read_bytes().startswith(b"%PDF") for p in stored)


async def test_demo_family_shapes_build(sessionmaker, tmp_path) -> None:
    from dnacase.services import families

    await load_demo_data(sessionmaker, tmp_path)
    async with sessionmaker() as session:
        ids = (await session.execute(select(FamilyRelationship.missing_person_id).distinct())
               ).scalars().all()
        assert len(ids) == 15
        for mp_id in ids:
            view = await families.family_view(session, mp_id)
            assert view.problem is None and view.pedigree is not None
            assert view.svg.startswith("<svg")
        # the mother recorded for two missing sons
        shared = (await session.execute(
            select(FamilyRelationship.relative_id, func.count())
            .group_by(FamilyRelationship.relative_id).having(func.count() > 1))).all()
        assert len(shared) == 2


async def test_demo_lab_upload_example_is_accepted(sessionmaker, tmp_path) -> None:
    """The example file for the UI profiles the kits the demo leaves received."""
    from dnacase.services import profile_import

    await load_demo_data(sessionmaker, tmp_path)
    path = FIXTURES / "demo" / "lab_upload_example.csv"
    async with sessionmaker() as session:
        report = await profile_import.validate_import(
            session, path.read_bytes(), path.name, lab="Phòng xét nghiệm ADN (demo)")
    assert report.ok and report.already is None, [i.message for i in report.errors]
    assert report.counts()["new"] == len(report.samples) == 2
    assert not any(s.hold for s in report.samples)
    assert {s.kit_state for s in report.samples} == {ks.RECEIVED}
