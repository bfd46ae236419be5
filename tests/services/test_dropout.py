"""A remains sample's allele dropout probability: defaults per sample type, set by the lab or a
reviewer with a reason (audited), refused for others, for reference samples, out of range."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from dnacase.i18n import use_locale
from dnacase.models.audit import AuditEntry
from dnacase.services import audit, dropout, families, kits, registry
from dnacase.services.errors import NotFound, PermissionDenied, ValidationFailed

ACTOR = audit.SYSTEM


@dataclass(frozen=True)
class Who:
    id: int | None
    username: str
    roles: frozenset[str]


LAB = Who(None, "lab1", frozenset({"lab"}))
REVIEWER = Who(None, "rev1", frozenset({"reviewer"}))
COLLECTOR = Who(None, "col1", frozenset({"collector"}))


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with use_locale("en"):
        yield


@pytest.fixture
async def samples(db_session, tmp_path):
    await registry.import_registry(
        db_session, "registry_number,full_name\nLS-1,Nguyễn Văn An\n".encode(), "r.csv",
        actor=ACTOR)
    mp = (await registry.search_missing_persons(db_session, "LS-1")).items[0]
    mother = await families.add_relative(db_session, mp.id, {
        "full_name": "Lê Thị Bình", "sex": "F", "relationship": "mother",
        "consent_date": "2024-03-01", "consent_scope": "identification"},
        upload_dir=tmp_path, actor=ACTOR)
    cem = await registry.create_cemetery(db_session, {"name": "NTLS Thử", "province": "QT"},
                                         actor=ACTOR)
    await registry.import_graves(db_session, cem.id, b"plot,row,number\nA,1,1\n", "g.csv",
                                 actor=ACTOR)
    _batch, items = await kits.register_batch(db_session, 2, actor=ACTOR)
    k1, k2 = (k.barcode for k in items)
    ref = await kits.collect_reference(db_session, {
        "barcode": k1, "relative_id": mother.id, "sample_type": "buccal_swab",
        "collected_at": "2024-05-01T09:30", "place": "UBND xã"}, actor=ACTOR)
    rem = await kits.collect_remains(db_session, {
        "barcode": k2, "cemetery_id": cem.id, "plot": "A", "row": "1", "number": "1",
        "element": "tooth", "collected_at": "2024-05-01T10:00"}, actor=ACTOR)
    return {"ref": (k1, ref), "rem": (k2, rem)}


async def test_defaults_per_sample_type(samples):
    _k, ref = samples["ref"]
    _k, rem = samples["rem"]
    assert dropout.sample_dropout(ref) == 0.0
    assert dropout.sample_dropout(rem) == dropout.DEFAULT_DROPOUT["bone_or_tooth"] > 0
    assert dropout.effective_dropout("bone_or_tooth", 0.0) == 0.0  # set to 0: a homozygote


async def test_lab_and_reviewer_set_it_with_a_reason_audited(db_session, samples):
    k2, rem = samples["rem"]
    await dropout.set_sample_dropout(db_session, k2, "0.25", "low quant, 12 pg/ul", actor=LAB)
    assert rem.dropout_probability == 0.25 and dropout.sample_dropout(rem) == 0.25
    await dropout.set_sample_dropout(db_session, k2, 0.4, "re-read peak heights",
                                     actor=REVIEWER)
    assert rem.dropout_probability == 0.4
    await dropout.set_sample_dropout(db_session, k2, "", "back to the default", actor=LAB)
    assert rem.dropout_probability is None
    entries = list((await db_session.execute(select(AuditEntry).where(
        AuditEntry.action == "sample.dropout").order_by(AuditEntry.id))).scalars())
    assert len(entries) == 3
    assert entries[0].after["dropout_probability"] == 0.25
    assert entries[0].after["reason"] == "low quant, 12 pg/ul"
    assert entries[1].before["dropout_probability"] == 0.25


@pytest.mark.parametrize("value", ["1", "-0.1", "abc", 1.5, float("nan")])
async def test_out_of_range_is_refused(db_session, samples, value):
    k2, rem = samples["rem"]
    with pytest.raises(ValidationFailed) as info:
        await dropout.set_sample_dropout(db_session, k2, value, "a reason here", actor=LAB)
    assert "dropout_probability" in info.value.field_errors
    assert rem.dropout_probability is None


async def test_refusals(db_session, samples):
    k1, _ref = samples["ref"]
    k2, _rem = samples["rem"]
    with pytest.raises(PermissionDenied):
        await dropout.set_sample_dropout(db_session, k2, 0.2, "a reason here", actor=COLLECTOR)
    with pytest.raises(ValidationFailed, match="remains samples only"):
        await dropout.set_sample_dropout(db_session, k1, 0.2, "a reason here", actor=LAB)
    with pytest.raises(ValidationFailed, match="reason"):
        await dropout.set_sample_dropout(db_session, k2, 0.2, "", actor=LAB)
    with pytest.raises(NotFound):
        await dropout.set_sample_dropout(db_session, "KIT-0000-XX", 0.2, "a reason", actor=LAB)
