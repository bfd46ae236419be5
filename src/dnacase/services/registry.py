"""The registry: missing persons, cemeteries, graves, remains, and CSV imports.

Every change runs in the caller's transaction (one per use case: the web request or the CLI's
unit of work) and writes an audit entry in it. Imports are all-or-nothing: the file is parsed
and checked against the database first; any row error or conflict refuses the whole file with a
report naming file, line and column. Re-importing rows that are already there changes nothing
(they are counted as unchanged; no audit entry or import record is written when nothing is
new). New rows are inserted in bulk (executemany in chunks).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dnacase.db import utcnow
from dnacase.domain.errors import DomainError as PureDomainError
from dnacase.domain.names import clean_text, like_pattern, name_key
from dnacase.formats.registry_csv import (
    GraveRow,
    Message,
    MissingPersonRow,
    ParseResult,
    RowError,
    parse_grave_list,
    parse_missing_persons,
    validate_grave,
    validate_missing_person,
)
from dnacase.i18n import N_
from dnacase.i18n import gettext as _
from dnacase.models.registry import Cemetery, Grave, MissingPerson, RegistryImport, Remains
from dnacase.services import audit
from dnacase.services.audit import ActorLike, Page, RequestMeta
from dnacase.services.errors import Conflict, NotFound, ValidationFailed

CHUNK = 2000
_MP_FIELDS = ("registry_number", "full_name", "sex", "birth_year", "home_village", "home_commune",
              "home_district", "home_province", "unit", "death_date", "death_place",
              "initial_burial_place", "status", "notes")
_GRAVE_FIELDS = ("inscription", "status", "registry_number", "notes")


def refuse(exc: PureDomainError, *, conflict: bool = False) -> ValidationFailed | Conflict:
    """Turn a pure domain error into the service error the web layer maps (translated)."""
    message = exc.translated(_)
    fields = {exc.field: message} if exc.field else {}
    cls = Conflict if conflict else ValidationFailed
    return cls(message, field_errors=fields)


def _translate_fields(errors: dict[str, Message]) -> dict[str, str]:
    return {k: v.translated(_) for k, v in errors.items()}


# --------------------------------------------------------------------------- missing persons


async def get_missing_person(session: AsyncSession, person_id: int) -> MissingPerson:
    """The missing person with ``person_id`` or :class:`NotFound`."""
    person = await session.get(MissingPerson, person_id)
    if person is None:
        raise NotFound(_("Missing person %(id)s not found.", id=person_id))
    return person


async def search_missing_persons(
    session: AsyncSession,
    query: str = "",
    *,
    status: str | None = None,
    province: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page:
    """Missing persons whose name (with or without diacritics) or registry number matches.

    Words of *query* must appear in order in the name ("nguyen duc" finds "Nguyễn Văn Đức").
    """
    stmt = select(MissingPerson)
    count = select(func.count(MissingPerson.id))
    conditions = []
    q = clean_text(query)
    if q:
        conditions.append(or_(MissingPerson.name_key.like(like_pattern(q)),
                              MissingPerson.registry_number == q.upper(),
                              MissingPerson.registry_number == q))
    if status:
        conditions.append(MissingPerson.status == status)
    if province:
        conditions.append(MissingPerson.home_province == province)
    for cond in conditions:
        stmt = stmt.where(cond)
        count = count.where(cond)
    page = max(1, page)
    per_page = min(max(1, per_page), 500)
    total = (await session.execute(count)).scalar_one()
    rows = (await session.execute(
        stmt.order_by(MissingPerson.name_key, MissingPerson.id)
        .offset((page - 1) * per_page).limit(per_page)
    )).scalars().all()
    return Page(list(rows), int(total), page, per_page)


def _mp_values(row: MissingPersonRow) -> dict[str, Any]:
    values = {name: getattr(row, name) for name in _MP_FIELDS}
    values["name_key"] = name_key(row.full_name)
    return values


async def create_missing_person(
    session: AsyncSession, values: dict[str, str], *, actor: ActorLike | None,
    meta: RequestMeta | None = None,
) -> MissingPerson:
    """Register one missing person from form values (validated like a registry file row)."""
    row, errors = validate_missing_person(values)
    if row is None:
        raise ValidationFailed(_("Please correct the marked fields."),
                               field_errors=_translate_fields(errors))
    exists = (await session.execute(select(MissingPerson.id).where(
        MissingPerson.registry_number == row.registry_number))).scalar_one_or_none()
    if exists is not None:
        raise ValidationFailed(
            _("Registry number %(n)s is already registered.", n=row.registry_number),
            field_errors={"registry_number": _("This registry number is already registered.")},
        )
    person = MissingPerson(**_mp_values(row))
    session.add(person)
    await session.flush()
    await audit.record(session, actor, "missing_person.create", person,
                       after=audit.snapshot(person), request_meta=meta)
    return person


async def update_missing_person(
    session: AsyncSession, person_id: int, values: dict[str, str], *,
    actor: ActorLike | None, meta: RequestMeta | None = None,
) -> MissingPerson:
    """Correct a missing person's record (the registry number stays)."""
    person = await get_missing_person(session, person_id)
    values = {**values, "registry_number": person.registry_number}
    row, errors = validate_missing_person(values)
    if row is None:
        raise ValidationFailed(_("Please correct the marked fields."),
                               field_errors=_translate_fields(errors))
    before = audit.snapshot(person)
    for key, value in _mp_values(row).items():
        setattr(person, key, value)
    person.updated_at = utcnow()
    await session.flush()
    await audit.record(session, actor, "missing_person.update", person, before=before,
                       after=audit.snapshot(person), request_meta=meta)
    return person


# --------------------------------------------------------------------------- imports


@dataclass(slots=True)
class ImportReport:
    """Outcome of a registry or grave-list import (or of its dry run)."""

    kind: str
    filename: str
    sha256: str
    rows: int = 0
    created: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    truncated: bool = False
    dry_run: bool = False
    imported: bool = False
    previous_import_at: str | None = None
    cemetery_id: int | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _report(kind: str, parsed: ParseResult[Any], dry_run: bool) -> ImportReport:
    return ImportReport(
        kind=kind, filename=parsed.file, sha256=parsed.sha256, rows=len(parsed.rows),
        errors=[e.translated(_) for e in parsed.errors],
        warnings=[w.translated(_) for w in parsed.warnings],
        truncated=parsed.truncated, dry_run=dry_run,
    )


def _refuse_report(report: ImportReport) -> ValidationFailed:
    return ValidationFailed(
        _("%(file)s was not imported: %(n)d problem(s) found. Nothing was changed.",
          file=report.filename, n=len(report.errors)),
        details={"report": report.to_dict()},
    )


async def _previous_import(session: AsyncSession, kind: str, sha256: str,
                           cemetery_id: int | None) -> RegistryImport | None:
    stmt = select(RegistryImport).where(RegistryImport.kind == kind,
                                        RegistryImport.sha256 == sha256)
    if cemetery_id is not None:
        stmt = stmt.where(RegistryImport.cemetery_id == cemetery_id)
    return (await session.execute(stmt.order_by(RegistryImport.id.desc()).limit(1))
            ).scalars().first()


async def _insert_many(session: AsyncSession, table: Any, rows: Sequence[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        await session.execute(insert(table), list(rows[start:start + CHUNK]))


async def import_registry(
    session: AsyncSession, data: bytes, filename: str, *, actor: ActorLike | None,
    meta: RequestMeta | None = None, dry_run: bool = False,
) -> ImportReport:
    """Import the missing-persons registry from CSV bytes (all or nothing, idempotent).

    A row whose registry number exists with the same content is unchanged; with different
    content it is a conflict that refuses the file. With *dry_run* nothing is written and the
    report says what would happen. Raises :class:`ValidationFailed` (``details["report"]``)
    when the file is refused.
    """
    parsed = parse_missing_persons(data, file=filename)
    report = _report("registry", parsed, dry_run)
    existing: dict[str, MissingPerson] = {}
    numbers = [r.registry_number for r in parsed.rows]
    for start in range(0, len(numbers), CHUNK):
        chunk = numbers[start:start + CHUNK]
        for person in (await session.execute(
                select(MissingPerson).where(MissingPerson.registry_number.in_(chunk)))).scalars():
            existing[person.registry_number] = person
    new: list[dict[str, Any]] = []
    for row in parsed.rows:
        old = existing.get(row.registry_number)
        if old is None:
            new.append({**_mp_values(row), "created_at": utcnow(), "updated_at": utcnow()})
            continue
        diffs = [name for name in _MP_FIELDS if getattr(old, name) != getattr(row, name)]
        if diffs:
            report.errors.append(RowError(
                filename, row.line, diffs[0],
                N_("registry number %(n)s is already registered with different data "
                   "(%(fields)s); correct the registry record instead"),
                {"n": row.registry_number, "fields": ", ".join(diffs)}).translated(_))
        else:
            report.unchanged += 1
    report.created = len(new)
    if report.errors:
        raise _refuse_report(report)
    previous = await _previous_import(session, "registry", report.sha256, None)
    report.previous_import_at = previous.at.isoformat() if previous else None
    if dry_run or not new:
        return report
    await _insert_many(session, MissingPerson.__table__, new)
    record = RegistryImport(kind="registry", filename=filename[:300], sha256=report.sha256,
                            rows=report.rows, created=report.created, unchanged=report.unchanged,
                            actor_id=getattr(actor, "id", None))
    session.add(record)
    await session.flush()
    await audit.record(session, actor, "registry.import", record, after={
        "filename": filename, "sha256": report.sha256, "rows": report.rows,
        "created": report.created, "unchanged": report.unchanged,
        "registry_numbers": [v["registry_number"] for v in new][:1000],
    }, request_meta=meta)
    report.imported = True
    return report


# --------------------------------------------------------------------------- cemeteries, graves


async def list_cemeteries(session: AsyncSession) -> list[tuple[Cemetery, dict[str, int]]]:
    """Cemeteries with their grave counts by status, by province and name."""
    cems = (await session.execute(select(Cemetery).order_by(Cemetery.province, Cemetery.name_key))
            ).scalars().all()
    counts: dict[int, dict[str, int]] = {c.id: {} for c in cems if c.id is not None}
    rows = await session.execute(
        select(Grave.cemetery_id, Grave.status, func.count(Grave.id))
        .group_by(Grave.cemetery_id, Grave.status))
    for cem_id, status, n in rows:
        counts.setdefault(cem_id, {})[status] = int(n)
    return [(c, counts.get(c.id or 0, {})) for c in cems]


async def get_cemetery(session: AsyncSession, cemetery_id: int) -> Cemetery:
    """The cemetery with ``cemetery_id`` or :class:`NotFound`."""
    cem = await session.get(Cemetery, cemetery_id)
    if cem is None:
        raise NotFound(_("Cemetery %(id)s not found.", id=cemetery_id))
    return cem


def _float(value: str | None, name: str, low: float, high: float,
           errors: dict[str, str]) -> float | None:
    text = (value or "").strip().replace(",", ".")
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        errors[name] = _("%(v)s is not a number.", v=text)
        return None
    if not low <= number <= high:
        errors[name] = _("Must be between %(low)s and %(high)s.", low=low, high=high)
        return None
    return number


async def create_cemetery(
    session: AsyncSession, values: dict[str, str], *, actor: ActorLike | None,
    meta: RequestMeta | None = None,
) -> Cemetery:
    """Register a cemetery (name unique within its province; coordinates in decimal degrees)."""
    errors: dict[str, str] = {}
    name = clean_text(values.get("name"))
    if not name:
        errors["name"] = _("The name is required.")
    province = clean_text(values.get("province"))
    lat = _float(values.get("latitude"), "latitude", -90, 90, errors)
    lon = _float(values.get("longitude"), "longitude", -180, 180, errors)
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), field_errors=errors)
    dup = (await session.execute(select(Cemetery.id).where(
        Cemetery.name == name, Cemetery.province == province))).scalar_one_or_none()
    if dup is not None:
        raise ValidationFailed(_("This cemetery is already registered in %(p)s.", p=province),
                               field_errors={"name": _("Already registered.")})
    cem = Cemetery(name=name, name_key=name_key(name), commune=clean_text(values.get("commune")),
                   district=clean_text(values.get("district")), province=province,
                   latitude=lat, longitude=lon, notes=clean_text(values.get("notes")))
    session.add(cem)
    await session.flush()
    await audit.record(session, actor, "cemetery.create", cem, after=audit.snapshot(cem),
                       request_meta=meta)
    return cem


def _pool_size(value: Any, errors: dict[str, str]) -> int | None:
    text = "" if value is None else str(value).strip()
    if not text:
        return None
    try:
        number = int(text)
    except ValueError:
        errors["candidate_pool_size"] = _("%(v)s is not a whole number.", v=text)
        return None
    if number < 2:
        errors["candidate_pool_size"] = _(
            "Must be at least 2 (the prior 1/N must be below 1), or empty for the default.")
        return None
    return number


async def set_candidate_pool_size(
    session: AsyncSession, cemetery_id: int, value: Any, *, actor: ActorLike | None,
    meta: RequestMeta | None = None,
) -> Cemetery:
    """Set (or clear) a cemetery's candidate pool size for the search's ``area`` prior.

    *value* is a whole number N >= 2 (the number of missing persons who could be buried in
    the cemetery; remains from its graves get the prior ``1/N``) or empty/``None`` for the flat
    default. Refuses anything else with a field error on ``candidate_pool_size``. Audited with
    before/after (action ``cemetery.candidate_pool``); an unchanged value writes nothing.
    """
    cem = await get_cemetery(session, cemetery_id)
    errors: dict[str, str] = {}
    size = _pool_size(value, errors)
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), field_errors=errors)
    if size == cem.candidate_pool_size:
        return cem
    before = {"candidate_pool_size": cem.candidate_pool_size}
    cem.candidate_pool_size = size
    cem.updated_at = utcnow()
    await session.flush()
    await audit.record(session, actor, "cemetery.candidate_pool", cem, before=before,
                       after={"candidate_pool_size": size}, request_meta=meta)
    return cem


async def list_graves(
    session: AsyncSession, cemetery_id: int, *, query: str = "", status: str | None = None,
    page: int = 1, per_page: int = 100,
) -> Page:
    """Graves of a cemetery in plot/row/number order; *query* searches the inscription
    (diacritics ignored) or the place (``A-3-12``)."""
    stmt = select(Grave).where(Grave.cemetery_id == cemetery_id)
    count = select(func.count(Grave.id)).where(Grave.cemetery_id == cemetery_id)
    q = clean_text(query)
    conditions = []
    if q:
        parts = q.upper().split("-")
        place = None
        if len(parts) == 3:
            place = (Grave.plot == parts[0]) & (Grave.row == parts[1]) & (Grave.number == parts[2])
        cond = Grave.inscription_key.like(like_pattern(q))
        conditions.append(or_(cond, place) if place is not None else cond)
    if status:
        conditions.append(Grave.status == status)
    for cond in conditions:
        stmt = stmt.where(cond)
        count = count.where(cond)
    page = max(1, page)
    per_page = min(max(1, per_page), 1000)
    total = (await session.execute(count)).scalar_one()
    rows = (await session.execute(
        stmt.order_by(Grave.plot, func.length(Grave.row), Grave.row, func.length(Grave.number),
                      Grave.number).offset((page - 1) * per_page).limit(per_page)
    )).scalars().all()
    return Page(list(rows), int(total), page, per_page)


async def get_grave(session: AsyncSession, grave_id: int) -> Grave:
    """The grave with ``grave_id`` or :class:`NotFound`."""
    grave = await session.get(Grave, grave_id)
    if grave is None:
        raise NotFound(_("Grave %(id)s not found.", id=grave_id))
    return grave


async def find_grave(session: AsyncSession, cemetery_id: int, plot: str, row: str,
                     number: str) -> Grave | None:
    """The grave at (plot, row, number) of a cemetery, or ``None``."""
    return (await session.execute(select(Grave).where(
        Grave.cemetery_id == cemetery_id, Grave.plot == clean_text(plot).upper(),
        Grave.row == clean_text(row).upper(), Grave.number == clean_text(number).upper(),
    ))).scalar_one_or_none()


def _grave_values(row: GraveRow) -> dict[str, Any]:
    return {"plot": row.plot.upper(), "row": row.row.upper(), "number": row.number.upper(),
            "inscription": row.inscription, "inscription_key": name_key(row.inscription),
            "status": row.status, "registry_number": row.registry_number, "notes": row.notes}


async def _registry_ids(session: AsyncSession, numbers: set[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    items = sorted(numbers)
    for start in range(0, len(items), CHUNK):
        rows = await session.execute(select(MissingPerson.registry_number, MissingPerson.id)
                                     .where(MissingPerson.registry_number.in_(
                                         items[start:start + CHUNK])))
        out.update({n: i for n, i in rows})
    return out


async def create_grave(
    session: AsyncSession, cemetery_id: int, values: dict[str, str], *,
    actor: ActorLike | None, meta: RequestMeta | None = None,
) -> Grave:
    """Add one grave to a cemetery (validated like a grave-list row)."""
    await get_cemetery(session, cemetery_id)
    row, errors = validate_grave(values)
    if row is None:
        raise ValidationFailed(_("Please correct the marked fields."),
                               field_errors=_translate_fields(errors))
    v = _grave_values(row)
    if await find_grave(session, cemetery_id, v["plot"], v["row"], v["number"]):
        raise ValidationFailed(_("Grave %(g)s already exists in this cemetery.", g=row.label),
                               field_errors={"number": _("Already exists.")})
    mp_id = None
    if row.registry_number:
        mp_id = (await _registry_ids(session, {row.registry_number})).get(row.registry_number)
        if mp_id is None:
            raise ValidationFailed(
                _("Registry number %(n)s is not in the registry.", n=row.registry_number),
                field_errors={"registry_number": _("Not in the registry.")})
    grave = Grave(cemetery_id=cemetery_id, missing_person_id=mp_id, **v)
    session.add(grave)
    await session.flush()
    await audit.record(session, actor, "grave.create", grave, after=audit.snapshot(grave),
                       request_meta=meta)
    return grave


async def import_graves(
    session: AsyncSession, cemetery_id: int, data: bytes, filename: str, *,
    actor: ActorLike | None, meta: RequestMeta | None = None, dry_run: bool = False,
) -> ImportReport:
    """Import a cemetery's grave list from CSV bytes (all or nothing, idempotent).

    Graves are keyed by (plot, row, number). A grave already there with the same inscription,
    status, registry number and notes is unchanged; with different values it is a conflict that
    refuses the file. Registry numbers must exist in the registry.
    """
    cem = await get_cemetery(session, cemetery_id)
    parsed = parse_grave_list(data, file=filename)
    report = _report("graves", parsed, dry_run)
    report.cemetery_id = cemetery_id
    existing: dict[tuple[str, str, str], tuple[Any, ...]] = {}
    rows = await session.execute(
        select(Grave.plot, Grave.row, Grave.number, Grave.inscription, Grave.status,
               Grave.registry_number, Grave.notes).where(Grave.cemetery_id == cemetery_id))
    for plot, row_, number, *rest in rows:
        existing[(plot, row_, number)] = tuple(rest)
    wanted = {r.registry_number for r in parsed.rows if r.registry_number}
    reg_ids = await _registry_ids(session, wanted)
    now = utcnow()
    new: list[dict[str, Any]] = []
    for row in parsed.rows:
        if row.registry_number and row.registry_number not in reg_ids:
            report.errors.append(RowError(
                filename, row.line, "registry_number",
                N_("registry number %(n)s is not in the registry"),
                {"n": row.registry_number}).translated(_))
            continue
        v = _grave_values(row)
        key = (v["plot"], v["row"], v["number"])
        old = existing.get(key)
        if old is None:
            new.append({**v, "cemetery_id": cemetery_id,
                        "missing_person_id": reg_ids.get(row.registry_number),
                        "created_at": now, "updated_at": now})
        elif old != tuple(v[f] for f in _GRAVE_FIELDS):
            report.errors.append(RowError(
                filename, row.line, "inscription",
                N_("grave %(g)s already exists with other data (%(old)s); the file says %(new)s"),
                {"g": row.label, "old": " / ".join(str(x) for x in old if x),
                 "new": " / ".join(str(v[f]) for f in _GRAVE_FIELDS if v[f])}).translated(_))
        else:
            report.unchanged += 1
        if len(report.errors) >= 200:
            report.truncated = True
            break
    report.created = len(new)
    if report.errors:
        raise _refuse_report(report)
    previous = await _previous_import(session, "graves", report.sha256, cemetery_id)
    report.previous_import_at = previous.at.isoformat() if previous else None
    if dry_run or not new:
        return report
    await _insert_many(session, Grave.__table__, new)
    record = RegistryImport(kind="graves", cemetery_id=cemetery_id, filename=filename[:300],
                            sha256=report.sha256, rows=report.rows, created=report.created,
                            unchanged=report.unchanged, actor_id=getattr(actor, "id", None))
    session.add(record)
    await session.execute(update(Cemetery).where(Cemetery.id == cemetery_id)
                          .values(updated_at=now))
    await session.flush()
    await audit.record(session, actor, "graves.import", record, after={
        "cemetery": cem.name, "filename": filename, "sha256": report.sha256,
        "rows": report.rows, "created": report.created, "unchanged": report.unchanged,
    }, request_meta=meta)
    report.imported = True
    return report


async def list_imports(session: AsyncSession, *, limit: int = 20) -> list[RegistryImport]:
    """The most recent accepted imports."""
    return list((await session.execute(
        select(RegistryImport).order_by(RegistryImport.id.desc()).limit(limit))).scalars())


# --------------------------------------------------------------------------- remains


async def remains_for_grave(
    session: AsyncSession, grave: Grave, *, actor: ActorLike | None,
    meta: RequestMeta | None = None,
) -> Remains:
    """The remains recorded for *grave*, recorded now if there are none yet."""
    found = (await session.execute(select(Remains).where(Remains.grave_id == grave.id)
                                   .order_by(Remains.id).limit(1))).scalars().first()
    if found is not None:
        return found
    remains = Remains(grave_id=grave.id)
    session.add(remains)
    await session.flush()
    await audit.record(session, actor, "remains.create", remains,
                       after=audit.snapshot(remains), request_meta=meta)
    return remains


async def get_remains(session: AsyncSession, remains_id: int) -> Remains:
    """The remains with ``remains_id`` or :class:`NotFound`."""
    remains = await session.get(Remains, remains_id)
    if remains is None:
        raise NotFound(_("Remains %(id)s not found.", id=remains_id))
    return remains
