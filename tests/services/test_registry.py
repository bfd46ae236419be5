"""Registry service: records, diacritic-insensitive search, all-or-nothing idempotent imports."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from dnacase.i18n import use_locale
from dnacase.models.audit import AuditEntry
from dnacase.models.registry import Grave, MissingPerson, RegistryImport
from dnacase.services import audit, registry
from dnacase.services.errors import ValidationFailed

ACTOR = audit.SYSTEM


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages in English (the catalogue would give Vietnamese, the default locale)."""
    with use_locale("en"):
        yield
REGISTRY = (
    "registry_number,full_name,sex,birth_year,home_province,death_date,status\n"
    "LS-1,Nguyễn Văn Đức,M,1950,Thanh Hóa,12/03/1972,missing\n"
    "LS-2,Trần Thị Bé,F,1952,Nghệ An,1971,\n"
    "LS-3,Lê Đức Anh,M,1948,Hà Tĩnh,06/1968,identified\n"
).encode()


async def _count(session, model) -> int:
    return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def test_registry_import_search_and_idempotence(db_session) -> None:
    report = await registry.import_registry(db_session, REGISTRY, "ls.csv", actor=ACTOR)
    assert (report.rows, report.created, report.unchanged, report.imported) == (3, 3, 0, True)
    for query in ("nguyen van duc", "Nguyễn Đức", "DUC", "đức", "LS-2"):
        page = await registry.search_missing_persons(db_session, query)
        assert page.total >= 1, query
    page = await registry.search_missing_persons(db_session, "duc")
    assert {m.registry_number for m in page.items} == {"LS-1", "LS-3"}
    assert (await registry.search_missing_persons(db_session, "", status="identified")).total == 1
    audits = await _count(db_session, AuditEntry)
    again = await registry.import_registry(db_session, REGISTRY, "ls.csv", actor=ACTOR)
    assert (again.created, again.unchanged, again.imported) == (0, 3, False)
    assert again.previous_import_at is not None
    assert await _count(db_session, MissingPerson) == 3
    assert await _count(db_session, AuditEntry) == audits  # nothing written
    assert await _count(db_session, RegistryImport) == 1


async def test_registry_import_is_all_or_nothing(db_session) -> None:
    await registry.import_registry(db_session, REGISTRY, "ls.csv", actor=ACTOR)
    bad = REGISTRY + "LS-4,Phạm Văn Tư,M,19x0,,,\nLS-2,Trần Thị Bé,F,1953,Nghệ An,1971,\n".encode()
    with pytest.raises(ValidationFailed) as info:
        await registry.import_registry(db_session, bad, "ls2.csv", actor=ACTOR)
    errors = info.value.details["report"]["errors"]
    assert any("ls2.csv, line 5, column birth_year" in e for e in errors)
    assert any("ls2.csv, line 6" in e and "already registered with different data" in e
               for e in errors)
    assert await _count(db_session, MissingPerson) == 3  # LS-4 not imported


async def test_dry_run_writes_nothing(db_session) -> None:
    report = await registry.import_registry(db_session, REGISTRY, "ls.csv", actor=ACTOR,
                                            dry_run=True)
    assert report.created == 3 and not report.imported
    assert await _count(db_session, MissingPerson) == 0


async def test_grave_list_import(db_session) -> None:
    await registry.import_registry(db_session, REGISTRY, "ls.csv", actor=ACTOR)
    cem = await registry.create_cemetery(db_session, {
        "name": "Nghĩa trang liệt sĩ Thử", "province": "Quảng Trị", "latitude": "16.8",
        "longitude": "107,1"}, actor=ACTOR)
    assert cem.longitude == pytest.approx(107.1)
    data = ("plot,row,number,inscription,status,registry_number\n"
            "a,1,1,Liệt sĩ vô danh,,\nA,1,2,Liệt sĩ Lê Đức Anh,identified,LS-3\n"
            "B,2,1,Liệt sĩ Hoàng Văn Năm,,\n").encode()
    report = await registry.import_graves(db_session, cem.id, data, "g.csv", actor=ACTOR)
    assert report.created == 3
    graves = {g.label: g for g in (await db_session.execute(select(Grave))).scalars()}
    assert graves["A-1-1"].status == "unnamed"
    assert graves["A-1-2"].missing_person_id is not None
    assert graves["B-2-1"].status == "named_unconfirmed"
    page = await registry.list_graves(db_session, cem.id, query="hoang nam")
    assert [g.label for g in page.items] == ["B-2-1"]
    page = await registry.list_graves(db_session, cem.id, query="a-1-2")
    assert [g.label for g in page.items] == ["A-1-2"]
    # re-import: nothing new; a changed inscription is a conflict; unknown registry refused
    assert (await registry.import_graves(db_session, cem.id, data, "g.csv",
                                         actor=ACTOR)).unchanged == 3
    changed = data.replace("Hoàng Văn Năm".encode(), "Hoàng Văn Sáu".encode())
    with pytest.raises(ValidationFailed) as info:
        await registry.import_graves(db_session, cem.id, changed, "g2.csv", actor=ACTOR)
    assert "g2.csv, line 4" in info.value.details["report"]["errors"][0]
    unknown = b"plot,row,number,inscription,status,registry_number\nC,1,1,X,identified,LS-99\n"
    with pytest.raises(ValidationFailed) as info:
        await registry.import_graves(db_session, cem.id, unknown, "g3.csv", actor=ACTOR)
    assert "LS-99 is not in the registry" in info.value.details["report"]["errors"][0]
    assert await _count(db_session, Grave) == 3


async def test_manual_records_are_validated(db_session) -> None:
    with pytest.raises(ValidationFailed) as info:
        await registry.create_missing_person(db_session, {
            "registry_number": "", "full_name": "X", "birth_year": "abc"}, actor=ACTOR)
    assert {"registry_number", "birth_year"} <= set(info.value.field_errors)
    mp = await registry.create_missing_person(db_session, {
        "registry_number": "LS-9", "full_name": "  Đặng  Văn Chín ", "death_date": "3/1970"},
        actor=ACTOR)
    assert mp.full_name == "Đặng Văn Chín" and mp.death_date == "1970-03"
    with pytest.raises(ValidationFailed, match="already registered"):
        await registry.create_missing_person(db_session, {
            "registry_number": "LS-9", "full_name": "Y"}, actor=ACTOR)
    with pytest.raises(ValidationFailed):
        await registry.create_cemetery(db_session, {"name": "", "latitude": "200"}, actor=ACTOR)
