"""Kits, collections, shipments, check-in, outcomes: the life cycle and its custody chain."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from dnacase.domain.accession import make_accession
from dnacase.i18n import use_locale
from dnacase.models.custody import CustodyEvent
from dnacase.services import audit, custody, families, kits, registry
from dnacase.services.errors import Conflict, NotFound, ValidationFailed

ACTOR = audit.SYSTEM


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages in English (the catalogue would give Vietnamese, the default locale)."""
    with use_locale("en"):
        yield


@pytest.fixture
async def setup(db_session, tmp_path):
    await registry.import_registry(
        db_session, "registry_number,full_name\nLS-1,Nguyễn Văn An\n".encode(), "r.csv",
        actor=ACTOR)
    mp = (await registry.search_missing_persons(db_session, "LS-1")).items[0]
    mother = await families.add_relative(db_session, mp.id, {
        "full_name": "Lê Thị Bình", "sex": "F", "relationship": "mother",
        "consent_date": "2024-03-01", "consent_scope": "identification"},
        upload_dir=tmp_path, actor=ACTOR)
    no_consent = await families.add_relative(db_session, mp.id, {
        "full_name": "Nguyễn Văn Cường", "sex": "M", "relationship": "full_brother"},
        upload_dir=tmp_path, actor=ACTOR)
    cem = await registry.create_cemetery(db_session, {"name": "NTLS Thử", "province": "QT"},
                                         actor=ACTOR)
    await registry.import_graves(db_session, cem.id, b"plot,row,number\nA,1,1\nA,1,2\n", "g.csv",
                                 actor=ACTOR)
    _batch, items = await kits.register_batch(db_session, 4, actor=ACTOR)
    return {"mother": mother, "brother": no_consent, "cem": cem,
            "kits": [k.barcode for k in items]}


async def test_full_life_cycle_with_custody_chain(db_session, setup) -> None:
    k1, k2, k3, k4 = setup["kits"]
    when = "2024-05-01T09:30"
    await kits.collect_reference(db_session, {
        "barcode": k1.lower(), "relative_id": setup["mother"].id, "sample_type": "buccal_swab",
        "collected_at": when, "place": "UBND xã"}, actor=ACTOR)
    sample = await kits.collect_remains(db_session, {
        "barcode": k2, "cemetery_id": setup["cem"].id, "plot": "a", "row": "1", "number": "2",
        "element": "petrous bone", "collected_at": when}, actor=ACTOR)
    assert sample.place == "NTLS Thử" and sample.element == "petrous bone"
    await kits.collect_reference(db_session, {
        "barcode": k3, "relative_id": setup["mother"].id, "sample_type": "blood_card",
        "collected_at": when, "place": "Nhà"}, actor=ACTOR)
    shipment = await kits.create_shipment(db_session, {
        "lab_name": "Lab", "barcodes": f"{k1}\n{k2}"}, actor=ACTOR)
    assert shipment.accession.startswith("SHP-")
    report = await kits.check_in(db_session, shipment.id, {"barcodes": f"{k1} {k3}"},
                                 actor=ACTOR)
    assert (report.received, report.missing, report.unexpected) == ([k1], [k2], [k3])
    assert (await kits.get_kit(db_session, k1)).state == "received"
    assert (await kits.get_kit(db_session, k2)).state == "shipped"  # flagged missing
    assert (await kits.get_kit(db_session, k3)).state == "collected"  # unexpected: unchanged
    await kits.record_outcome(db_session, k1, "profiled", actor=ACTOR)
    view = await kits.kit_view(db_session, k1)
    assert [e.event for e in view.events] == ["issued", "collected", "shipped", "received",
                                             "profiled"]
    assert view.sample.relative.full_name == "Lê Thị Bình"
    assert view.allowed == ()
    events2 = [e.event for e in (await kits.kit_view(db_session, k2)).events]
    assert events2[-1] == "missing"
    assert [e.event for e in (await kits.kit_view(db_session, k3)).events][-1] == "unexpected"
    assert (await custody.verify(db_session)).ok
    counts = await kits.state_counts(db_session)
    assert counts["issued"] == 1 and counts["profiled"] == 1
    open_kits = await kits.open_kits(db_session)
    assert k4 in [o.kit.barcode for o in open_kits] and k1 not in [o.kit.barcode
                                                                    for o in open_kits]


async def test_illegal_transitions_are_refused(db_session, setup) -> None:
    k1 = setup["kits"][0]
    with pytest.raises(Conflict, match=r"cannot profile kit .*: it is issued; allowed next: "
                                       r"collect"):
        await kits.record_outcome(db_session, k1, "profiled", actor=ACTOR)
    with pytest.raises(ValidationFailed) as info:
        await kits.create_shipment(db_session, {"lab_name": "Lab", "barcodes": k1}, actor=ACTOR)
    assert "cannot ship" in info.value.field_errors["barcodes"]
    await kits.collect_reference(db_session, {
        "barcode": k1, "relative_id": setup["mother"].id, "sample_type": "buccal_swab",
        "collected_at": "2024-05-01T09:30", "place": "X"}, actor=ACTOR)
    with pytest.raises(ValidationFailed) as info:
        await kits.collect_reference(db_session, {
            "barcode": k1, "relative_id": setup["mother"].id, "sample_type": "buccal_swab",
            "collected_at": "2024-05-01T09:30", "place": "X"}, actor=ACTOR)
    assert "cannot collect" in info.value.field_errors["barcode"]


async def test_collection_validation_reports_every_field(db_session, setup) -> None:
    good = setup["kits"][0]
    bad_check = good[:-2] + f"{(int(good[-2:]) + 1) % 100:02d}"
    with pytest.raises(ValidationFailed) as info:
        await kits.collect_reference(db_session, {
            "barcode": bad_check, "relative_id": setup["brother"].id, "sample_type": "hair",
            "collected_at": "2999-01-01T00:00", "place": ""}, actor=ACTOR)
    fields = info.value.field_errors
    assert "check digits" in fields["barcode"] and "expected" in fields["barcode"]
    assert "no recorded consent" in fields["relative_id"]
    assert set(fields) >= {"sample_type", "collected_at", "place"}
    with pytest.raises(ValidationFailed) as info:
        await kits.collect_remains(db_session, {
            "barcode": good, "cemetery_id": setup["cem"].id, "plot": "Z", "row": "9",
            "number": "9", "element": "", "collected_at": "2024-01-01 10:00"}, actor=ACTOR)
    assert "There is no grave Z-9-9" in info.value.field_errors["number"]
    assert "element" in info.value.field_errors
    unknown = make_accession("KIT", 2001, 5)
    with pytest.raises(NotFound):
        await kits.get_kit(db_session, unknown)
    with pytest.raises(ValidationFailed) as info:
        await kits.create_shipment(db_session, {"lab_name": "", "barcodes": f"{unknown} XX"},
                                   actor=ACTOR)
    assert "not registered" in info.value.field_errors["barcodes"]
    assert "not a barcode" in info.value.field_errors["barcodes"]
    assert "lab_name" in info.value.field_errors
    assert (await db_session.execute(select(CustodyEvent.event).distinct())).scalars().all() == [
        "issued"]


async def test_batches_continue_the_numbering(db_session, setup) -> None:
    _batch, more = await kits.register_batch(db_session, 2, actor=ACTOR)
    assert [k.sequence for k in more] == [5, 6]
    with pytest.raises(ValidationFailed):
        await kits.register_batch(db_session, 0, actor=ACTOR)
    with pytest.raises(ValidationFailed):
        await kits.register_batch(db_session, "many", actor=ACTOR)
    svg = kits.label_svg(more[0].barcode)
    assert svg.startswith("<svg") and more[0].barcode in svg
    assert kits.label_svg(more[0].barcode, kind="qr").startswith("<svg")
