"""Population haplotype databases for the lineage LRs (mtDNA, Y-STR).

An admin imports a file of population haplotypes with the population's name: an EMPOP-style
``.emp`` or HaploGrep ``.hsd`` file for mtDNA (the EMPOP count column gives how many persons
carry each haplotype) or a Y-STR haplotype table (one person a row). The file is validated by
the lab-file readers of :mod:`dnacase.formats` and stored as received in one step
(all-or-nothing, idempotent by SHA-256, audited). The review counts the remains' haplotype in
the newest database of each marker (:func:`population_database`; 95 % Clopper-Pearson upper
bound, :mod:`dnacase.kinship.lineage.frequency`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dnacase.formats import detect_format, parse_file, sha256_hex
from dnacase.formats.records import MtHaplotype as MtRecord
from dnacase.formats.records import STRProfile
from dnacase.i18n import gettext as _
from dnacase.kinship.lineage import PopulationDatabase
from dnacase.models.lineage import HAPLOTYPE_MARKERS, HaplotypeDatabaseRecord
from dnacase.services import audit
from dnacase.services.audit import ActorLike, RequestMeta
from dnacase.services.errors import Conflict, ValidationFailed
from dnacase.services.frequencies import describe_issue, localized_issue, slugify
from dnacase.services.profiles import mt_to_json, str_to_json
from dnacase.services.search_inputs import lineage_from_loci

#: Readers accepted per marker.
FORMATS: dict[str, tuple[str, ...]] = {"mtDNA": ("empop", "haplogrep"), "Y_STR": ("ystr_table",)}


@dataclass(slots=True)
class DatabaseImport:
    """Outcome of :func:`import_database`."""

    record: HaplotypeDatabaseRecord
    created: bool


def _haplotypes(marker: str, records: list[Any]) -> list[Any]:
    """Kinship haplotypes of the parsed records (an EMPOP count of k gives k entries)."""
    out: list[Any] = []
    for rec in records:
        if marker == "mtDNA" and isinstance(rec, MtRecord):
            hap = lineage_from_loci("mtDNA", mt_to_json(rec), sample=rec.sample)
            out += [hap] * max(1, int(rec.count))
        elif marker == "Y_STR" and isinstance(rec, STRProfile):
            out.append(lineage_from_loci("Y_STR", str_to_json(rec), sample=rec.sample))
    return out


def _parse(marker: str, data: bytes, filename: str) -> tuple[str, list[Any]]:
    fmt = detect_format(data, filename)
    if fmt not in FORMATS[marker]:
        raise ValidationFailed(_(
            "%(file)s is not a %(marker)s haplotype file (read as %(format)s; expected "
            "%(expected)s).", file=filename, marker=marker, format=fmt or "?",
            expected=", ".join(FORMATS[marker])))
    result = parse_file(data, filename, fmt)
    errors = [i for i in result.issues if i.severity == "error"]
    if errors:
        raise ValidationFailed(
            _("The haplotype file was refused: %(first)s", first=describe_issue(errors[0])),
            details={"issues": [localized_issue(i) for i in errors]})
    haps = _haplotypes(marker, list(result.records))
    if not haps:
        raise ValidationFailed(_("The haplotype file holds no haplotype."))
    return fmt, haps


async def import_database(
    session: AsyncSession, data: bytes, filename: str, *, marker: str, population: str,
    source: str = "", database_id: str | None = None, actor: ActorLike | None,
    meta: RequestMeta | None = None,
) -> DatabaseImport:
    """Validate and store a population haplotype database (all-or-nothing).

    ``marker``: ``mtDNA`` or ``Y_STR``; ``population`` is required. The id defaults to the
    slug of marker and population. The same file under the same id again changes nothing; a
    different file under an existing id is refused. Every error of the file is refused with
    file, line and sample (``details["issues"]``)."""
    if marker not in HAPLOTYPE_MARKERS:
        raise ValidationFailed(_("The marker must be mtDNA or Y_STR."),
                               field_errors={"marker": _("Unknown marker.")})
    population = " ".join((population or "").split())
    if not population:
        raise ValidationFailed(_("Name the population of the haplotypes."),
                               field_errors={"population": _("The population is required.")})
    slug = slugify(database_id or f"{marker} {population}")
    fmt, haps = _parse(marker, data, filename)
    sha = sha256_hex(data)
    old = (await session.execute(select(HaplotypeDatabaseRecord).where(
        HaplotypeDatabaseRecord.slug == slug))).scalar_one_or_none()
    if old is not None:
        if old.sha256 == sha and old.marker == marker:
            return DatabaseImport(old, False)
        raise Conflict(_("A different haplotype database already has the id %(id)s.", id=slug))
    rec = HaplotypeDatabaseRecord(
        slug=slug, marker=marker, population=population, n_haplotypes=len(haps),
        source=source, source_format=fmt, filename=filename[:300], sha256=sha, content=data,
        created_by_id=getattr(actor, "id", None))
    session.add(rec)
    await session.flush()
    await audit.record(session, actor, "lineage.database.import", rec, after={
        "slug": slug, "marker": marker, "population": population, "n": len(haps),
        "sha256": sha, "filename": filename}, request_meta=meta)
    return DatabaseImport(rec, True)


async def list_databases(session: AsyncSession) -> list[HaplotypeDatabaseRecord]:
    """Every imported haplotype database, newest first."""
    return list((await session.execute(select(HaplotypeDatabaseRecord).order_by(
        HaplotypeDatabaseRecord.id.desc()))).scalars())


_PARSED: dict[tuple[str, str, str], PopulationDatabase] = {}  # by (sha256, marker, label)


async def population_database(session: AsyncSession, marker: str) -> PopulationDatabase | None:
    """The newest imported database of ``marker`` (``mtDNA`` or ``Y_STR``), or None."""
    rec = (await session.execute(select(HaplotypeDatabaseRecord).where(
        HaplotypeDatabaseRecord.marker == marker).order_by(
        HaplotypeDatabaseRecord.id.desc()).limit(1))).scalar_one_or_none()
    if rec is None:
        return None
    label = f"{rec.population} (N = {rec.n_haplotypes}, {rec.slug})"
    key = (rec.sha256, marker, label)
    if key not in _PARSED:  # parsed once per process (the stored file never changes)
        if len(_PARSED) >= 16:
            _PARSED.pop(next(iter(_PARSED)))
        _PARSED[key] = PopulationDatabase(label, tuple(_parse(marker, bytes(rec.content),
                                                              rec.filename)[1]))
    return _PARSED[key]
