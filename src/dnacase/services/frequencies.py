"""Allele frequency tables: the shipped defaults (package files) and imported tables (database).

The shipped tables (NIST 1036 U.S. Asian, norSTR East Asia, ...) are always available by id;
an imported table (e.g. a Vietnamese Kinh table transcribed from a paper's supplement) is
validated by :func:`dnacase.formats.import_frequency_table` and stored in one step with its
population, N and source, under an id of its own. Every user of a table names it explicitly
(no implicit population).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from unidecode import unidecode

from dnacase.formats import (
    DEFAULT_TABLE_ID,
    FrequencyTable,
    FrequencyTableError,
    Issue,
    import_frequency_table,
    list_frequency_tables,
    load_frequency_table,
    sha256_hex,
)
from dnacase.i18n import gettext as _
from dnacase.models.profiles import FrequencyTableRecord
from dnacase.services import audit
from dnacase.services.audit import ActorLike, RequestMeta
from dnacase.services.errors import Conflict, NotFound, ValidationFailed

DEFAULT_TABLE = DEFAULT_TABLE_ID
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True, slots=True)
class TableInfo:
    """A frequency table offered to users."""

    id: str
    population: str
    n_individuals: int | None
    origin: str  # "shipped" or "imported"
    default: bool = False
    n_loci: int | None = None
    created_at: dt.datetime | None = None
    source: str = ""


def slugify(text: str) -> str:
    """``"Kinh (Viet Nam) 2024"`` -> ``"kinh_viet_nam_2024"`` (max 64 characters)."""
    return _SLUG.sub("_", unidecode(text).lower()).strip("_")[:64]


async def list_tables(session: AsyncSession) -> list[TableInfo]:
    """Shipped tables (defaults first), then imported ones (newest first)."""
    out = [TableInfo(t.id, t.population_label, t.n_individuals, "shipped", t.default,
                     source=t.licence) for t in list_frequency_tables()]
    rows = (await session.execute(select(FrequencyTableRecord)
                                  .order_by(FrequencyTableRecord.id.desc()))).scalars()
    out += [TableInfo(r.slug, r.population, r.n_individuals, "imported", False, r.n_loci,
                      r.created_at, r.source) for r in rows]
    return out


async def get_table(session: AsyncSession, table_id: str) -> FrequencyTable:
    """The table with ``table_id`` (shipped or imported) or :class:`NotFound`."""
    if any(t.id == table_id for t in list_frequency_tables()):
        return load_frequency_table(table_id)
    rec = (await session.execute(select(FrequencyTableRecord).where(
        FrequencyTableRecord.slug == table_id))).scalar_one_or_none()
    if rec is None:
        raise NotFound(_("No frequency table %(id)s.", id=table_id))
    table = load_frequency_table(rec.content.encode(), filename=f"{rec.slug}.csv",
                                 population=rec.population, n_individuals=rec.n_individuals)
    return FrequencyTable(rec.slug, rec.population, table.frequencies, table.n_individuals,
                          table.n_alleles, table.header, table.source_format, rec.sha256)


@dataclass(slots=True)
class TableImport:
    """Outcome of :func:`import_table`: the stored record, whether it already existed, and the
    warnings of the validation."""

    record: FrequencyTableRecord
    created: bool
    warnings: list[Issue]


def _issue_messages(issues: list[Issue]) -> list[str]:
    return [str(i) for i in issues]


def localized_issue(issue: Issue) -> dict[str, object]:
    """``Issue.to_dict()`` with ``message`` in the current locale (id and params kept)."""
    return {**issue.to_dict(), "message": issue.translated(_)}


def describe_issue(issue: Issue) -> str:
    """"file, line 3, locus TH01: message" in the current locale."""
    where = [w for w in (issue.file,
                         _("line %(n)s", n=issue.line) if issue.line else None,
                         _("sample %(s)s", s=issue.sample) if issue.sample else None,
                         _("locus %(l)s", l=issue.locus) if issue.locus else None) if w]
    return f"{', '.join(where)}: {issue.translated(_)}"


async def import_table(
    session: AsyncSession, data: bytes, filename: str, *, population: str,
    n_individuals: int | None = None, table_id: str | None = None, source: str = "",
    actor: ActorLike | None, meta: RequestMeta | None = None,
) -> TableImport:
    """Validate and store a frequency table in one step (all-or-nothing).

    ``population`` is required (e.g. ``"Kinh, Viet Nam"``); ``n_individuals`` is N (persons
    typed) when the file does not give it. The id defaults to the population's slug. Importing
    the same file under the same id again changes nothing; a different table under an existing
    id is refused. Errors are refused with every row-level issue in ``details["issues"]``.
    """
    population = " ".join((population or "").split())
    if not population:
        raise ValidationFailed(_("Name the population of the table."),
                               field_errors={"population": _("The population is required.")})
    slug = slugify(table_id or population)
    if not slug:
        raise ValidationFailed(_("Give the table an id of letters and digits."),
                               field_errors={"table_id": _("Invalid id.")})
    if any(t.id == slug for t in list_frequency_tables()):
        raise Conflict(_("%(id)s is the id of a shipped table; choose another id.", id=slug),
                       field_errors={"table_id": _("Already used.")})
    if n_individuals is not None and n_individuals <= 0:
        raise ValidationFailed(_("N must be a positive number of persons."),
                               field_errors={"n": _("Invalid N.")})
    result = import_frequency_table(data, filename, table_id=slug, population=population,
                                    n_individuals=n_individuals)
    errors = [i for i in result.issues if i.severity == "error"]
    if result.table is None or errors:
        first = errors[0] if errors else None
        raise ValidationFailed(
            _("The frequency table was refused: %(why)s",
              why=describe_issue(first) if first else "?"),
            details={"issues": [localized_issue(i) for i in (errors or result.issues)]})
    table = result.table
    digest = sha256_hex(bytes(data))
    existing = (await session.execute(select(FrequencyTableRecord).where(
        FrequencyTableRecord.slug == slug))).scalar_one_or_none()
    warnings = [i for i in result.issues if i.severity == "warning"]
    if existing is not None:
        if existing.sha256 == digest:
            return TableImport(existing, False, warnings)
        raise Conflict(_("A different table already has the id %(id)s; choose another id.",
                         id=slug), field_errors={"table_id": _("Already used.")})
    rec = FrequencyTableRecord(
        slug=slug, population=population, n_individuals=table.n_individuals,
        n_loci=len(table.loci), source=" ".join(source.split())[:2000] or filename,
        source_format=table.source_format, sha256=digest, content=table.to_csv().decode(),
        created_by_id=getattr(actor, "id", None))
    session.add(rec)
    await session.flush()
    await audit.record(session, actor, "frequency_table.import", rec,
                       after=audit.snapshot(rec, exclude=("content",)), request_meta=meta)
    return TableImport(rec, True, warnings)


__all__ = ["DEFAULT_TABLE", "FrequencyTableError", "TableImport", "TableInfo", "get_table",
           "import_table", "list_tables", "slugify"]
