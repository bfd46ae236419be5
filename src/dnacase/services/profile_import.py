"""Lab result import in two steps: validate (nothing written), then commit (all-or-nothing).

:func:`validate_import` parses the file (:func:`dnacase.formats.parse_file`), matches every
sample to a kit by its barcode (the sample name), checks that the kit was received by the
importing lab, compares each profile with the sample's current version, runs the quality
control (:mod:`dnacase.services.qc`) and returns an :class:`ImportReport`: every error and
warning by line, sample and locus, and what a commit would do per sample. It writes nothing.

:func:`commit_import` validates again in the caller's transaction and, only if there is no
error, writes everything at once: the raw file (stored once, by SHA-256), the import record,
the new profile versions (superseding current ones, with the reason), the QC flags, the kit
transitions received -> profiled (the kit state machine, one custody event per kit) and one
audit entry. Re-importing a file already imported changes nothing and says so.

Refusals (errors): anything the parser refuses (encoding, delimiter, truncation, unknown
locus, invalid allele, duplicate sample, file over 50 MiB...), a sample name that is not a
kit barcode, an unknown kit, a kit never received by the importing lab (or received by
another lab), a kit reported failed, and the same kit twice in one file.

Elimination imports (``purpose="elimination"``): sample names are staff codes; profiles go to
the elimination database (no kits, no QC except parsing).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dnacase.db import utcnow
from dnacase.domain import kit_states as ks
from dnacase.domain.accession import parse_accession
from dnacase.domain.errors import AccessionError, IllegalTransition, PedigreeContradiction
from dnacase.domain.family import (
    FamilyMember,
    MissingPersonInfo,
    RecordedRelationship,
    build_family_pedigree,
)
from dnacase.formats import (
    DEFAULT_MAX_BYTES,
    Issue,
    MtHaplotype,
    ParseOptions,
    SNPProfile,
    STRProfile,
    find_kit,
    parse_file,
    sha256_hex,
)
from dnacase.i18n import gettext as _
from dnacase.models.custody import CustodyEvent
from dnacase.models.families import FamilyRelationship, Relative
from dnacase.models.kits import Kit, Sample, Shipment, ShipmentItem
from dnacase.models.profiles import (
    EliminationProfile,
    Profile,
    ProfileFile,
    ProfileImport,
    ProfileQCFlag,
    SNPPanel,
)
from dnacase.models.registry import Grave, MissingPerson, Remains
from dnacase.services import audit, custody, qc
from dnacase.services import frequencies as freq_service
from dnacase.services.audit import ActorLike, RequestMeta
from dnacase.services.dropout import sample_dropout
from dnacase.services.errors import NotFound, ValidationFailed
from dnacase.services.profiles import (
    MIN_REASON,
    autosomal_genotypes,
    genotype_digest,
    mt_to_json,
    one_allele_loci,
    pairs_for_kinship,
    str_to_json,
    typed_count,
)

KIT_PREFIX = "KIT"
MAX_BYTES = DEFAULT_MAX_BYTES
PURPOSES = ("profiles", "elimination")
_CHUNK = 500


# --------------------------------------------------------------------------- report


@dataclass(slots=True)
class ReportIssue:
    """One line of the validation report (``source``: file, kit, version or qc)."""

    severity: str
    code: str
    message: str
    line: int | None = None
    sample: str | None = None
    locus: str | None = None
    source: str = "file"
    #: For issues of the file parser: the catalogue message id and its parameters (``message``
    #: is already rendered in the request's language).
    message_id: str | None = None
    params: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        d = {"severity": self.severity, "code": self.code, "message": self.message,
             "line": self.line, "sample": self.sample, "locus": self.locus,
             "source": self.source}
        if self.message_id:
            d["message_id"] = self.message_id
            d["params"] = self.params or {}
        return d


@dataclass(slots=True)
class SampleReport:
    """What the file says about one sample and what a commit would do with it.

    ``action``: ``new`` (first profile of this marker type), ``new_version`` (supersedes the
    current version), ``unchanged`` (same genotype as the current version: nothing written) or
    ``refused``.
    """

    name: str
    line: int | None
    marker_type: str
    loci: dict[str, Any]
    digest: str
    typing_kit: str = ""
    barcode: str | None = None
    kit_id: int | None = None
    kit_state: str | None = None
    sample_id: int | None = None
    sample_kind: str | None = None
    relative_id: int | None = None
    n_loci: int = 0
    n_autosomal: int = 0
    n_expected: int = 0
    sex: str | None = None
    action: str = "new"
    version: int = 1
    current_id: int | None = None
    findings: list[qc.Finding] = field(default_factory=list)
    override: str = ""
    mixture: bool = False
    snp_keys: list[str] | None = None

    @property
    def hold(self) -> bool:
        """A hold finding and no override: stored, but not as a single-source profile."""
        return any(f.hold for f in self.findings) and not self.override

    @property
    def needs_override(self) -> bool:
        return any(f.hold for f in self.findings)

    @property
    def writes(self) -> bool:
        return self.action in ("new", "new_version")

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "line": self.line, "barcode": self.barcode,
                "marker_type": self.marker_type, "typing_kit": self.typing_kit,
                "kit_state": self.kit_state, "sample_kind": self.sample_kind,
                "n_loci": self.n_loci, "n_autosomal": self.n_autosomal,
                "n_expected": self.n_expected, "sex": self.sex, "action": self.action,
                "version": self.version, "held": self.hold,
                "needs_override": self.needs_override, "override": self.override or None,
                "findings": [f.to_dict() for f in self.findings]}


@dataclass(slots=True)
class ImportReport:
    """Validation (and, after a commit, its outcome) of one file."""

    filename: str
    sha256: str
    size: int
    lab: str
    purpose: str = "profiles"
    format: str = ""
    encoding: str | None = None
    issues: list[ReportIssue] = field(default_factory=list)
    samples: list[SampleReport] = field(default_factory=list)
    already: ProfileImport | None = None
    import_id: int | None = None
    seconds: float = 0.0
    search_run_id: int | None = None  # the incremental search queued by the commit

    @property
    def errors(self) -> list[ReportIssue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[ReportIssue]:
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def ok(self) -> bool:
        """Nothing refuses the file (a commit may still need a reason, see ``needs_reason``)."""
        return not self.errors

    @property
    def needs_reason(self) -> bool:
        return any(s.action == "new_version" for s in self.samples)

    @property
    def committed(self) -> bool:
        return self.import_id is not None

    def counts(self) -> dict[str, int]:
        c = {"samples": len(self.samples), "errors": len(self.errors),
             "warnings": len(self.warnings)}
        for action in ("new", "new_version", "unchanged", "refused"):
            c[action] = sum(1 for s in self.samples if s.action == action)
        c["held"] = sum(1 for s in self.samples if s.writes and s.hold)
        c["flagged"] = sum(1 for s in self.samples
                           if s.writes and any(f.severity != "info" for f in s.findings))
        return c

    def to_dict(self) -> dict[str, Any]:
        already = None
        if self.already is not None:
            already = {"import_id": self.already.id, "at": self.already.at.isoformat(),
                       "by": self.already.actor_username, "lab": self.already.lab}
        return {"file": self.filename, "sha256": self.sha256, "size": self.size,
                "format": self.format, "encoding": self.encoding, "lab": self.lab,
                "purpose": self.purpose, "ok": self.ok, "needs_reason": self.needs_reason,
                "already_imported": already, "import_id": self.import_id,
                "search_run_id": self.search_run_id, "counts": self.counts(),
                "issues": [i.to_dict() for i in self.issues],
                "samples": [s.to_dict() for s in self.samples]}


def _lab_key(lab: str) -> str:
    return " ".join(lab.split()).casefold()


def _chunks(items: Sequence[Any], n: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), n):
        yield items[i:i + n]


def clean_overrides(overrides: Mapping[str, str] | None) -> dict[str, str]:
    """``{barcode or staff code: reason}`` with canonical barcodes and tidy reasons."""
    out: dict[str, str] = {}
    for key, reason in (overrides or {}).items():
        text = " ".join(str(reason or "").split())
        if not text:
            continue
        try:
            name = str(parse_accession(key, prefix=KIT_PREFIX))
        except AccessionError:
            name = key.strip()
        out[name] = text
    return out


# --------------------------------------------------------------------------- records


def _sample_from_record(rec: Any, result_format: str) -> SampleReport:
    if isinstance(rec, STRProfile):
        loci = str_to_json(rec)
        kit = find_kit(rec.kit) if rec.kit else None
        y_only = bool(loci) and all(v["type"] in ("Y_STR", "Y_indel") for v in loci.values())
        is_y = kit.is_y_kit if kit is not None else y_only
        mtype = "Y_STR" if is_y else "autosomal_STR"
        n, n_auto = typed_count(mtype, loci)
        return SampleReport(rec.sample, rec.line, mtype, loci, genotype_digest(mtype, loci),
                            typing_kit=rec.kit or "", n_loci=n, n_autosomal=n_auto,
                            n_expected=len(kit.autosomal_loci) if kit else 0, sex=rec.sex,
                            mixture=rec.mixture)
    if isinstance(rec, MtHaplotype):
        loci = mt_to_json(rec)
        return SampleReport(rec.sample, rec.line, "mtDNA", loci,
                            genotype_digest("mtDNA", loci), n_loci=len(rec.variants))
    assert isinstance(rec, SNPProfile)
    keys = rec.variants.keys()
    gts = []
    for row, hap in zip(rec.genotypes.tolist(), rec.haploid.tolist(), strict=True):
        if row[0] < 0:
            gts.append(".")
        elif hap:
            gts.append(str(row[0]))
        else:
            gts.append(f"{row[0]}/{row[1]}" if row[1] >= 0 else f"{row[0]}/.")
    panel_sha = sha256_hex(json.dumps(keys).encode())
    loci = {"panel_id": None, "panel_sha256": panel_sha, "gt": ",".join(gts),
            "gq": rec.gq.tolist() if rec.gq is not None else None,
            "dp": rec.dp.tolist() if rec.dp is not None else None}
    return SampleReport(rec.sample, rec.column, "SNP", loci, genotype_digest("SNP", loci),
                        n_loci=rec.n_called, snp_keys=keys)


def _kit_issue(report: ImportReport, s: SampleReport, code: str, message: str) -> None:
    s.action = "refused"
    report.issues.append(ReportIssue("error", code, message, s.line, s.name, None, "kit"))


# --------------------------------------------------------------------------- validation


async def validate_import(
    session: AsyncSession,
    data: bytes,
    filename: str,
    *,
    lab: str,
    purpose: str = "profiles",
    format: str | None = None,
    typing_kit: str | None = None,
    overrides: Mapping[str, str] | None = None,
    frequency_table: str | None = None,
    settings: qc.QCSettings = qc.DEFAULT_SETTINGS,
    max_bytes: int = MAX_BYTES,
) -> ImportReport:
    """Check a lab file and report what a commit would do; writes nothing (see module doc).

    ``lab``: the importing laboratory (must be the one that received the kits);
    ``format``: a :data:`dnacase.formats.PARSERS` id (default: detected); ``typing_kit``: kit
    to assume when the file names none; ``overrides``: ``{barcode: reason}`` accepting held
    profiles as single-source; ``frequency_table``: table id for the family consistency LRs
    (default: the evidence model's table, norSTR East Asia).
    """
    started = time.perf_counter()
    lab = " ".join((lab or "").split())
    if not lab:
        raise ValidationFailed(_("Name the laboratory that sent the file."),
                               field_errors={"lab": _("The laboratory is required.")})
    if purpose not in PURPOSES:
        raise ValidationFailed(_("Unknown import purpose %(p)s.", p=purpose),
                               field_errors={"purpose": _("Choose profiles or elimination.")})
    data = bytes(data)
    report = ImportReport(filename, sha256_hex(data), len(data), lab, purpose)
    if len(data) > max_bytes:
        report.issues.append(ReportIssue(
            "error", "file_too_large",
            _("The file has %(size)s bytes; the limit is %(max)s bytes (%(mb)d MiB): split the "
              "export.", size=f"{len(data):,}", max=f"{max_bytes:,}", mb=max_bytes // 2**20)))
        return report
    known = (await session.execute(
        select(ProfileImport).join(ProfileFile, ProfileFile.id == ProfileImport.file_id)
        .where(ProfileFile.sha256 == report.sha256))).scalar_one_or_none()
    if known is not None:
        report.already = known
        report.issues.append(ReportIssue("info", "already_imported", _(
            "This file (SHA-256 %(sha)s…) was already imported on %(at)s by %(by)s (import "
            "#%(id)s); importing it again changes nothing.", sha=report.sha256[:12],
            at=known.at.strftime("%Y-%m-%d %H:%M UTC"), by=known.actor_username or "?",
            id=known.id)))
        return report
    result = await asyncio.to_thread(
        parse_file, data, filename, format,
        ParseOptions(max_bytes=max_bytes, kit=typing_kit or None))
    report.format = result.format
    report.encoding = result.encoding
    report.issues += [_file_issue(i) for i in result.issues]
    report.samples = [_sample_from_record(r, result.format) for r in result.records]
    if purpose == "elimination":
        await _check_elimination(session, report)
    else:
        codes_by_sample: dict[str, set[str]] = {}
        for i in result.issues:
            if i.sample:
                codes_by_sample.setdefault(i.sample, set()).add(str(i.code))
        dirty_control = any(str(i.code) == "control_not_clean" for i in result.issues)
        await _match_kits(session, report)
        await _versions(session, report)
        await _quality(session, report, codes_by_sample, dirty_control, frequency_table,
                       settings)
    ov = clean_overrides(overrides)
    by_barcode = {s.barcode or s.name: s for s in report.samples}
    for key, reason in ov.items():
        s = by_barcode.get(key)
        if s is None or not s.needs_override:
            report.issues.append(ReportIssue("warning", "override_unused", _(
                "Override for %(k)s ignored: no held profile of that sample in this file.",
                k=key), sample=key, source="qc"))
        elif len(reason) < MIN_REASON:
            report.issues.append(ReportIssue("error", "override_reason", _(
                "The override of %(k)s needs a reason of at least %(n)d characters.", k=key,
                n=MIN_REASON), s.line, s.name, None, "qc"))
        else:
            s.override = reason
    for s in report.samples:
        for f in s.findings:
            report.issues.append(ReportIssue(
                "info" if f.severity == "info" else "warning", f"qc_{f.kind}",
                f.message + (" " + _("Accepted by the lab: %(r)s", r=s.override)
                             if f.hold and s.override else ""),
                s.line, s.name, None, "qc"))
    if report.needs_reason:
        report.issues.append(ReportIssue("warning", "reason_required", _(
            "%(n)d samples already have a profile: committing supersedes those versions and "
            "needs the reason for the re-issue.",
            n=sum(1 for s in report.samples if s.action == "new_version")), source="version"))
    report.issues.sort(key=lambda i: (i.line is None, i.line or 0))
    report.seconds = time.perf_counter() - started
    return report


def _file_issue(issue: Issue) -> ReportIssue:
    """A parser issue as a report line, its message in the current locale."""
    d = issue.to_dict()
    return ReportIssue(issue.severity, str(issue.code), issue.translated(_), issue.line,
                       issue.sample, issue.locus, message_id=d["message_id"],
                       params=d["params"])  # type: ignore[arg-type]


async def _match_kits(session: AsyncSession, report: ImportReport) -> None:
    seen: dict[str, SampleReport] = {}
    for s in report.samples:
        try:
            s.barcode = str(parse_accession(s.name, prefix=KIT_PREFIX))
        except AccessionError as exc:
            _kit_issue(report, s, "not_a_barcode", _(
                "Sample name %(n)s is not a kit barcode: %(why)s", n=s.name,
                why=exc.translated(_)))
            continue
        first = seen.get(s.barcode)
        if first is not None:
            _kit_issue(report, s, "duplicate_kit", _(
                "Kit %(b)s appears twice in this file (also line %(l)s): keep one result per "
                "kit.", b=s.barcode, l=first.line))
            first.action = "refused"
            continue
        seen[s.barcode] = s
    barcodes = list(seen)
    kits: dict[str, Kit] = {}
    for part in _chunks(barcodes):
        for kit in (await session.execute(select(Kit).where(Kit.barcode.in_(part)))).scalars():
            kits[kit.barcode] = kit
    kit_ids = [k.id for k in kits.values()]
    samples: dict[int, Sample] = {}
    labs: dict[int, set[str]] = {}
    for part in _chunks(kit_ids):
        for smp in (await session.execute(select(Sample).where(Sample.kit_id.in_(part)))
                    ).scalars():
            samples[smp.kit_id] = smp
        rows = await session.execute(
            select(ShipmentItem.kit_id, Shipment.lab_name)
            .join(Shipment, Shipment.id == ShipmentItem.shipment_id)
            .where(ShipmentItem.kit_id.in_(part), ShipmentItem.status == "received"))
        for kid, lab_name in rows:
            labs.setdefault(int(kid), set()).add(lab_name)
    want = _lab_key(report.lab)
    for s in report.samples:
        if s.action == "refused" or s.barcode is None:
            continue
        kit = kits.get(s.barcode)
        if kit is None:
            _kit_issue(report, s, "unknown_kit", _(
                "Kit %(b)s is not registered: check the sample name.", b=s.barcode))
            continue
        s.kit_id, s.kit_state = kit.id, kit.state
        received_by = labs.get(kit.id or 0, set())
        if kit.state == ks.FAILED:
            _kit_issue(report, s, "kit_failed", _(
                "Kit %(b)s was reported failed by the lab; a failed kit takes no profile.",
                b=s.barcode))
            continue
        if kit.state not in (ks.RECEIVED, ks.PROFILED) or not received_by:
            _kit_issue(report, s, "kit_not_received", _(
                "Kit %(b)s was never received by a laboratory (state: %(st)s): check it in "
                "first.", b=s.barcode, st=kit.state))
            continue
        if want not in {_lab_key(x) for x in received_by}:
            _kit_issue(report, s, "kit_wrong_lab", _(
                "Kit %(b)s was received by %(labs)s, not by %(lab)s.", b=s.barcode,
                labs=", ".join(sorted(received_by)), lab=report.lab))
            continue
        smp = samples.get(kit.id or 0)
        if smp is None:
            _kit_issue(report, s, "no_sample", _(
                "Kit %(b)s carries no recorded sample.", b=s.barcode))
            continue
        s.sample_id, s.sample_kind, s.relative_id = smp.id, smp.kind, smp.relative_id


async def _versions(session: AsyncSession, report: ImportReport) -> None:
    live = [s for s in report.samples if s.action != "refused" and s.sample_id is not None]
    current: dict[tuple[int, str], Profile] = {}
    for part in _chunks([s.sample_id for s in live]):
        rows = (await session.execute(select(Profile).where(
            Profile.sample_id.in_(part), Profile.status == "current"))).scalars()
        for p in rows:
            current[(p.sample_id, p.marker_type)] = p
    for s in live:
        cur = current.get((s.sample_id, s.marker_type))  # type: ignore[arg-type]
        if cur is None:
            continue
        s.current_id = cur.id
        if cur.digest == s.digest:
            s.action = "unchanged"
            s.version = cur.version
            report.issues.append(ReportIssue("info", "unchanged", _(
                "Kit %(b)s: same genotype as its current profile (version %(v)d); nothing "
                "changes.", b=s.barcode, v=cur.version), s.line, s.name, None, "version"))
        else:
            s.action = "new_version"
            s.version = cur.version + 1
            report.issues.append(ReportIssue("warning", "new_version", _(
                "Kit %(b)s already has profile version %(v)d: this file supersedes it with "
                "version %(n)d (both kept).", b=s.barcode, v=cur.version, n=cur.version + 1),
                s.line, s.name, None, "version"))


async def _check_elimination(session: AsyncSession, report: ImportReport) -> None:
    seen: dict[str, SampleReport] = {}
    for s in report.samples:
        code = s.name.strip()
        if code in seen:
            _kit_issue(report, s, "duplicate_kit", _(
                "Staff code %(c)s appears twice in this file (also line %(l)s).", c=code,
                l=seen[code].line))
            continue
        seen[code] = s
        s.barcode = code
    rows = (await session.execute(select(EliminationProfile).where(
        EliminationProfile.status == "current"))).scalars()
    current = {(e.code, e.marker_type): e for e in rows}
    for s in report.samples:
        if s.action == "refused":
            continue
        cur = current.get((s.name.strip(), s.marker_type))
        if cur is None:
            continue
        s.current_id = cur.id
        if cur.digest == s.digest:
            s.action, s.version = "unchanged", cur.version
        else:
            s.action, s.version = "new_version", cur.version + 1


# --------------------------------------------------------------------------- quality control


def _finding_label(s: SampleReport) -> str:
    return s.barcode or s.name


async def _recorded_sexes(session: AsyncSession, samples: list[SampleReport]
                          ) -> dict[int, tuple[str | None, str]]:
    """sample id -> (recorded sex, whose) for relatives and named graves' missing persons."""
    ids = [s.sample_id for s in samples if s.sample_id is not None]
    out: dict[int, tuple[str | None, str]] = {}
    for part in _chunks(ids):
        rows = await session.execute(
            select(Sample.id, Relative.sex, Relative.full_name)
            .join(Relative, Relative.id == Sample.relative_id).where(Sample.id.in_(part)))
        for sid, sex, name in rows:
            out[sid] = (sex, _("the relative %(n)s", n=name))
        rows = await session.execute(
            select(Sample.id, MissingPerson.sex, MissingPerson.full_name)
            .join(Remains, Remains.id == Sample.remains_id)
            .join(Grave, Grave.id == Remains.grave_id)
            .join(MissingPerson, MissingPerson.id == Grave.missing_person_id)
            .where(Sample.id.in_(part)))
        for sid, sex, name in rows:
            out[sid] = (sex, _("the person named on the grave (%(n)s)", n=name))
    return out


async def _quality(session: AsyncSession, report: ImportReport,
                   codes_by_sample: dict[str, set[str]], dirty_control: bool,
                   frequency_table: str | None, settings: qc.QCSettings) -> None:
    todo = [s for s in report.samples if s.writes]
    strs = [s for s in todo if s.marker_type in ("autosomal_STR", "Y_STR")]
    for s in strs:
        s.findings += qc.mixture_findings(s.loci, codes_by_sample.get(s.name, set()))
        if dirty_control:
            s.findings.append(qc.Finding("contamination", "review", _(
                "The negative control of this batch shows peaks: possible contamination of "
                "the batch; review."), {"sign": "negative_control"}))
        if s.marker_type == "autosomal_STR":
            f = qc.partial_finding(s.n_autosomal, s.n_expected, s.typing_kit)
            if f:
                s.findings.append(f)
    sexes = await _recorded_sexes(session, strs)
    for s in strs:
        rec = sexes.get(s.sample_id or 0)
        if rec:
            f = qc.sex_finding(s.sex, rec[0], rec[1])
            if f:
                s.findings.append(f)
    auto = [s for s in strs if s.marker_type == "autosomal_STR"]
    if not auto:
        return
    genos = [autosomal_genotypes(s.loci) for s in auto]
    # duplicates: other samples' stored profiles, and other samples of this file
    own = {s.sample_id for s in auto}
    stored_rows = [(pid, kid, sid, loci) for pid, kid, sid, loci in await session.execute(
        select(Profile.id, Profile.kit_id, Profile.sample_id, Profile.loci).where(
            Profile.status == "current", Profile.marker_type == "autosomal_STR",
            Profile.n_autosomal >= settings.duplicate_min_loci)) if sid not in own]
    kit_barcodes: dict[int, str] = {}
    for part in _chunks([r[1] for r in stored_rows]):
        for kid, bc in await session.execute(select(Kit.id, Kit.barcode)
                                             .where(Kit.id.in_(part))):
            kit_barcodes[kid] = bc
    elim = list((await session.execute(select(EliminationProfile).where(
        EliminationProfile.status == "current",
        EliminationProfile.marker_type == "autosomal_STR"))).scalars())
    stored_genos = [autosomal_genotypes(r[3] or {}) for r in stored_rows]
    elim_genos = [autosomal_genotypes(e.loci or {}) for e in elim]
    remains_idx = [i for i, s in enumerate(auto) if s.sample_kind == "remains"]

    def screens() -> tuple[list[qc.Match], list[qc.Match], list[qc.Match]]:
        m_stored = qc.find_matches(genos, stored_genos, min_loci=settings.duplicate_min_loci,
                                   max_mismatches=settings.max_mismatches)
        m_self = qc.find_matches(genos, None, min_loci=settings.duplicate_min_loci,
                                 max_mismatches=settings.max_mismatches)
        m_elim = qc.find_matches([genos[i] for i in remains_idx], elim_genos,
                                 min_loci=settings.elimination_min_loci,
                                 max_mismatches=settings.max_mismatches)
        return m_stored, m_self, m_elim

    m_stored, m_self, m_elim = await asyncio.to_thread(screens)
    for m in m_stored:
        s = auto[m.i]
        other = kit_barcodes.get(stored_rows[m.j][1], "?")
        s.findings.append(qc.Finding("duplicate", "review", _(
            "Identical or nearly identical to the stored profile of kit %(o)s (%(c)d loci "
            "compared, %(d)d differ only by a single peak): the same person sampled twice, a "
            "sample swap or contamination; review.", o=other, c=m.compared, d=m.dropout),
            {"other_kit": other, "other_profile_id": stored_rows[m.j][0], **m.to_dict()}))
    for m in m_self:
        a, b = auto[m.i], auto[m.j]
        for s, o in ((a, b), (b, a)):
            s.findings.append(qc.Finding("duplicate", "review", _(
                "Identical or nearly identical to kit %(o)s in this file (%(c)d loci "
                "compared): the same person sampled twice, a sample swap or contamination; "
                "review.", o=_finding_label(o), c=m.compared),
                {"other_kit": _finding_label(o), "same_file": True, **m.to_dict()}))
    for m in m_elim:
        s = auto[remains_idx[m.i]]
        e = elim[m.j]
        s.findings.append(qc.Finding("elimination_match", "hold", _(
            "Matches the elimination profile of staff member %(c)s (%(n)d loci compared): "
            "probable contamination; held until a lab user accepts it with a reason.",
            c=e.code, n=m.compared), {"staff_code": e.code, "elimination_id": e.id,
                                      **m.to_dict()}))
    await _family_checks(session, auto, frequency_table, settings)


async def _family_checks(session: AsyncSession, auto: list[SampleReport],
                         frequency_table: str | None, settings: qc.QCSettings) -> None:
    refs = [s for s in auto if s.relative_id is not None and not s.hold]
    if not refs:
        return
    incoming = {s.relative_id: s for s in refs}
    links = list((await session.execute(select(FamilyRelationship).where(
        FamilyRelationship.relative_id.in_(list(incoming))))).scalars())
    mp_ids = sorted({link.missing_person_id for link in links})
    if not mp_ids:
        return
    table = await freq_service.get_table(session, frequency_table or freq_service.DEFAULT_TABLE)
    all_links = list((await session.execute(select(FamilyRelationship).where(
        FamilyRelationship.missing_person_id.in_(mp_ids)).order_by(FamilyRelationship.id)))
        .scalars())
    rel_ids = {x.relative_id for x in all_links} | {x.via_relative_id for x in all_links
                                                      if x.via_relative_id}
    relatives = {r.id: r for r in (await session.execute(
        select(Relative).where(Relative.id.in_(rel_ids)))).scalars()}
    mps = {m.id: m for m in (await session.execute(
        select(MissingPerson).where(MissingPerson.id.in_(mp_ids)))).scalars()}
    typed: dict[int, tuple[str, dict[str, tuple[str, str]]]] = {}
    read: dict[int, qc.Reading] = {}  # single peaks read as the search reads them
    rows = await session.execute(
        select(Sample.relative_id, Kit.barcode, Profile.loci, Sample)
        .join(Profile, Profile.sample_id == Sample.id).join(Kit, Kit.id == Sample.kit_id)
        .where(Sample.relative_id.in_(list(rel_ids)), Profile.status == "current",
               Profile.single_source.is_(True), Profile.marker_type == "autosomal_STR"))
    for rid, barcode, loci, smp in rows:
        typed[int(rid)] = (barcode, pairs_for_kinship(loci or {}))
        read[int(rid)] = qc.Reading(one_allele_loci(loci or {}), sample_dropout(smp))
    smp_of = {x.id: x for x in (await session.execute(select(Sample).where(Sample.id.in_(
        [s.sample_id for s in incoming.values() if s.sample_id is not None])))).scalars()}
    for rid, s in incoming.items():
        typed[rid] = (s.barcode or s.name, pairs_for_kinship(s.loci))
        own = smp_of.get(s.sample_id) if s.sample_id is not None else None
        read[rid] = qc.Reading(one_allele_loci(s.loci),
                               sample_dropout(own) if own is not None else 0.0)
    jobs = []
    for mp_id in mp_ids:
        mp = mps[mp_id]
        fam = [x for x in all_links if x.missing_person_id == mp_id]
        members = [FamilyMember(str(x.relative_id), relatives[x.relative_id].full_name,
                                relatives[x.relative_id].sex) for x in fam]
        recorded = [RecordedRelationship(str(x.relative_id), x.relationship,
                                         str(x.via_relative_id) if x.via_relative_id else None)
                    for x in fam]
        try:
            ped = build_family_pedigree(MissingPersonInfo(str(mp.id), mp.full_name, mp.sex),
                                        members, recorded)
        except PedigreeContradiction:
            continue
        rel_of = {x.relative_id: x.relationship for x in fam}
        typed_here = [x.relative_id for x in fam if x.relative_id in typed]
        for rid in typed_here:
            if rid not in incoming:
                continue
            for other in typed_here:
                if other == rid or (other in incoming and other < rid):
                    continue  # each pair of two incoming relatives once
                a, b = f"rel:{rid}", f"rel:{other}"
                if not qc.blood_related(ped, a, b):
                    continue
                labels = (
                    _("H1: %(a)s (%(ra)s of %(mp)s) and %(b)s (%(rb)s) are related as "
                      "recorded", a=typed[rid][0], ra=_(rel_of[rid].replace("_", " ")),
                      mp=mp.full_name, b=typed[other][0],
                      rb=_(rel_of[other].replace("_", " "))),
                    _("H2: %(a)s and %(b)s are unrelated", a=typed[rid][0],
                      b=typed[other][0]))
                jobs.append((rid, other, ped, a, b, labels))

    def run() -> list[tuple[int, int, qc.PairCheck | None]]:
        return [(rid, other, qc.family_pair_check(ped, a, b, typed[rid][1], typed[other][1],
                                                  table, labels, settings,
                                                  {a: read[rid], b: read[other]}))
                for rid, other, ped, a, b, labels in jobs]

    results = await asyncio.to_thread(run)
    per_sample: dict[int, list[tuple[str, qc.PairCheck]]] = {}
    for rid, other, check in results:
        if check is None:
            continue
        per_sample.setdefault(rid, []).append((typed[other][0], check))
        if other in incoming:
            per_sample.setdefault(other, []).append((typed[rid][0], check))
    for rid, checks in per_sample.items():
        f = qc.family_finding(checks, settings)
        if f:
            incoming[rid].findings.append(f)


# --------------------------------------------------------------------------- commit


async def commit_import(
    session: AsyncSession,
    data: bytes,
    filename: str,
    *,
    lab: str,
    actor: ActorLike | None,
    meta: RequestMeta | None = None,
    purpose: str = "profiles",
    format: str | None = None,
    typing_kit: str | None = None,
    overrides: Mapping[str, str] | None = None,
    reason: str | None = None,
    frequency_table: str | None = None,
    settings: qc.QCSettings = qc.DEFAULT_SETTINGS,
    max_bytes: int = MAX_BYTES,
) -> ImportReport:
    """Validate again and write everything in the caller's transaction, or nothing.

    Raises :class:`ValidationFailed` (``details["issues"]``: the errors) when the file is
    refused, or when it re-issues profiles and ``reason`` is missing. A file imported before
    returns its report with ``already`` set and writes nothing.
    """
    report = await validate_import(
        session, data, filename, lab=lab, purpose=purpose, format=format,
        typing_kit=typing_kit, overrides=overrides, frequency_table=frequency_table,
        settings=settings, max_bytes=max_bytes)
    if report.already is not None:
        return report
    if not report.ok:
        errors = report.errors
        raise ValidationFailed(
            _("The file was refused (%(n)d errors); nothing was imported. First: %(first)s",
              n=len(errors), first=_describe(errors[0])),
            details={"issues": [i.to_dict() for i in errors[:500]]})
    reason_text = " ".join((reason or "").split())
    if report.needs_reason and len(reason_text) < MIN_REASON:
        raise ValidationFailed(
            _("This file re-issues profiles that are already stored: give the reason for the "
              "correction (at least %(n)d characters); nothing was imported.", n=MIN_REASON),
            field_errors={"reason": _("A reason is required for a re-issue.")})
    started = time.perf_counter()
    now = utcnow()
    file_row = ProfileFile(sha256=report.sha256, filename=filename[:300],
                           format=report.format[:32], encoding=(report.encoding or "")[:32],
                           size_bytes=report.size, content=bytes(data),
                           uploaded_by_id=getattr(actor, "id", None), created_at=now)
    session.add(file_row)
    await session.flush()
    counts = report.counts()
    imp = ProfileImport(file_id=file_row.id, purpose=purpose, lab=report.lab,  # type: ignore[arg-type]
                        reason=reason_text if report.needs_reason else "",
                        n_samples=counts["samples"], n_new=counts["new"],
                        n_versions=counts["new_version"], n_unchanged=counts["unchanged"],
                        n_flagged=counts["flagged"], n_held=counts["held"],
                        actor_id=getattr(actor, "id", None),
                        actor_username=(getattr(actor, "username", None) or "")[:64], at=now)
    session.add(imp)
    await session.flush()
    if purpose == "elimination":
        written = await _write_elimination(session, report, imp, now)
        kits_profiled: list[str] = []
    else:
        written, kits_profiled = await _write_profiles(session, report, imp, reason_text,
                                                       actor, now)
    imp.summary = {"issues": _issue_summary(report), "format": report.format,
                   "validation_seconds": round(report.seconds, 3)}
    await session.flush()
    await audit.record(session, actor, f"{'elimination' if purpose == 'elimination' else 'profile'}"
                       ".import", imp, after={
                           "file": {"name": filename, "sha256": report.sha256,
                                    "size": report.size, "format": report.format},
                           "lab": report.lab, "reason": imp.reason, "counts": counts,
                           "profiles": written, "kits_profiled": kits_profiled,
                           "overrides": {s.barcode: s.override for s in report.samples
                                         if s.override},
                       }, request_meta=meta)
    report.import_id = imp.id
    if purpose != "elimination" and (counts["new"] or counts["new_version"]):
        from dnacase.services import search  # new profiles: queue an incremental search

        report.search_run_id = (await search.queue_incremental_after_import(
            session, int(imp.id), actor=actor)).id  # type: ignore[arg-type]
    report.seconds += time.perf_counter() - started
    return report


def _describe(issue: ReportIssue) -> str:
    where = [w for w in (_("line %(n)s", n=issue.line) if issue.line else None,
                         _("sample %(s)s", s=issue.sample) if issue.sample else None,
                         _("locus %(l)s", l=issue.locus) if issue.locus else None) if w]
    return f"{', '.join(where)}: {issue.message}" if where else issue.message


def _issue_summary(report: ImportReport) -> dict[str, int]:
    out: dict[str, int] = {}
    for i in report.issues:
        key = f"{i.severity}:{i.code}"
        out[key] = out.get(key, 0) + 1
    return out


async def _snp_panels(session: AsyncSession, samples: list[SampleReport]) -> None:
    by_sha = {s.loci["panel_sha256"]: s.snp_keys for s in samples if s.marker_type == "SNP"}
    for sha, keys in by_sha.items():
        panel = (await session.execute(select(SNPPanel).where(SNPPanel.sha256 == sha))
                 ).scalar_one_or_none()
        if panel is None:
            panel = SNPPanel(sha256=sha, n_variants=len(keys or []), keys=keys)
            session.add(panel)
            await session.flush()
        for s in samples:
            if s.marker_type == "SNP" and s.loci["panel_sha256"] == sha:
                s.loci["panel_id"] = panel.id


async def _write_profiles(session: AsyncSession, report: ImportReport, imp: ProfileImport,
                          reason: str, actor: ActorLike | None, now: Any
                          ) -> tuple[list[list[Any]], list[str]]:
    todo = [s for s in report.samples if s.writes]
    await _snp_panels(session, todo)
    rows = [{
        "sample_id": s.sample_id, "kit_id": s.kit_id, "marker_type": s.marker_type,
        "version": s.version, "status": "current", "typing_kit": s.typing_kit[:64],
        "lab": report.lab[:200], "import_id": imp.id, "file_line": s.line,
        "name_in_file": s.name[:200], "loci": s.loci, "n_loci": s.n_loci,
        "n_autosomal": s.n_autosomal, "sex": s.sex, "mixture": s.mixture,
        "single_source": not s.hold, "override_reason": s.override,
        "override_by_id": getattr(actor, "id", None) if s.override else None,
        "digest": s.digest, "supersedes_id": s.current_id if s.action == "new_version" else None,
        "superseded_by_id": None, "supersede_reason": "", "superseded_at": None,
        "last_searched_at": None, "created_at": now,
    } for s in todo]
    ids: list[int] = []
    for part in _chunks(rows, 1000):
        result = await session.execute(
            insert(Profile).returning(Profile.id, sort_by_parameter_order=True), list(part))
        ids += [int(r[0]) for r in result]
    superseded = [(s.current_id, pid) for s, pid in zip(todo, ids, strict=True)
                  if s.action == "new_version"]
    for old, new in superseded:
        await session.execute(update(Profile).where(Profile.id == old).values(
            status="superseded", superseded_by_id=new, supersede_reason=reason,
            superseded_at=now))
    flags = [{
        "profile_id": pid, "kit_id": s.kit_id, "kind": f.kind, "severity": f.severity,
        "message": f.message, "details": f.details,
        "status": "resolved" if f.hold and s.override else "open",
        "resolved_by_id": getattr(actor, "id", None) if f.hold and s.override else None,
        "resolved_at": now if f.hold and s.override else None,
        "resolution": s.override if f.hold else "", "created_at": now,
    } for s, pid in zip(todo, ids, strict=True) for f in s.findings]
    for part in _chunks(flags, 1000):
        await session.execute(insert(ProfileQCFlag), list(part))
    # kit life cycle: received -> profiled through the state machine, one custody event each
    to_profile = [s for s in todo if s.kit_state == ks.RECEIVED]
    kits: list[Kit] = []
    for part in _chunks([s.kit_id for s in to_profile]):
        kits += list((await session.execute(select(Kit).where(Kit.id.in_(part)))).scalars())
    for kit in kits:
        try:
            kit.state = ks.apply(kit.state, ks.PROFILE, barcode=kit.barcode)
        except IllegalTransition as exc:  # changed since validation: refuse everything
            raise ValidationFailed(exc.translated(_)) from None
        kit.updated_at = now
    await session.flush()
    if kits:
        await custody.append_many(session, kits, "profiled", actor=actor,
                                  from_party=report.lab, to_party=report.lab,
                                  location=report.lab, at=now,
                                  notes=_("Profile imported (import #%(id)s, %(f)s)",
                                          id=imp.id, f=report.filename))
    written = [[s.barcode, s.marker_type, s.version, pid, s.action]
               for s, pid in zip(todo, ids, strict=True)]
    return written, [k.barcode for k in kits]


async def _write_elimination(session: AsyncSession, report: ImportReport, imp: ProfileImport,
                             now: Any) -> list[list[Any]]:
    todo = [s for s in report.samples if s.writes]
    out = []
    for s in todo:
        if s.action == "new_version":
            await session.execute(update(EliminationProfile).where(
                EliminationProfile.id == s.current_id).values(status="superseded"))
        e = EliminationProfile(code=s.name.strip()[:64], marker_type=s.marker_type,
                               version=s.version, status="current",
                               typing_kit=s.typing_kit[:64], lab=report.lab[:200],
                               import_id=imp.id, loci=s.loci, n_loci=s.n_loci,  # type: ignore[arg-type]
                               digest=s.digest, created_at=now)
        session.add(e)
        await session.flush()
        out.append([e.code, e.marker_type, e.version, e.id, s.action])
    return out


# --------------------------------------------------------------------------- staging (web)

_TOKEN = re.compile(r"^[0-9a-f]{64}$")
STAGING_TTL_SECONDS = 24 * 3600


def staging_dir(var_dir: Path) -> Path:
    return Path(var_dir) / "staging" / "profiles"


def stage_upload(var_dir: Path, data: bytes, filename: str) -> str:
    """Keep an uploaded file between validation and commit (outside the database); returns
    its token (the SHA-256). Staged files older than a day are removed."""
    d = staging_dir(var_dir)
    d.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - STAGING_TTL_SECONDS
    for old in d.iterdir():
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:
            pass
    token = sha256_hex(bytes(data))
    (d / f"{token}.bin").write_bytes(bytes(data))
    (d / f"{token}.json").write_text(json.dumps({"filename": filename}), encoding="utf-8")
    return token


def load_staged(var_dir: Path, token: str) -> tuple[bytes, str]:
    """The staged file and its name, or :class:`NotFound` (expired or never uploaded)."""
    if not _TOKEN.match(token or ""):
        raise NotFound(_("Unknown upload; upload the file again."))
    d = staging_dir(var_dir)
    try:
        data = (d / f"{token}.bin").read_bytes()
        meta = json.loads((d / f"{token}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise NotFound(_("The uploaded file has expired; upload it again.")) from None
    if sha256_hex(data) != token:
        raise NotFound(_("The uploaded file is damaged; upload it again."))
    return data, str(meta.get("filename") or "upload")


def discard_staged(var_dir: Path, token: str) -> None:
    if _TOKEN.match(token or ""):
        for ext in (".bin", ".json"):
            (staging_dir(var_dir) / f"{token}{ext}").unlink(missing_ok=True)


async def profile_counts(session: AsyncSession) -> dict[str, int]:
    """Row counts of the tables an import writes (tests: "nothing written")."""
    from sqlalchemy import func

    out = {}
    for name, model in (("files", ProfileFile), ("imports", ProfileImport),
                        ("profiles", Profile), ("flags", ProfileQCFlag),
                        ("elimination", EliminationProfile), ("custody", CustodyEvent)):
        out[name] = int((await session.execute(select(func.count()).select_from(model)))
                        .scalar_one())
    out["profiled_kits"] = int((await session.execute(
        select(func.count()).select_from(Kit).where(Kit.state == ks.PROFILED))).scalar_one())
    return out


async def get_import_file(session: AsyncSession, import_id: int) -> ProfileFile:
    imp = await session.get(ProfileImport, import_id)
    if imp is None:
        raise NotFound(_("Import %(id)s not found.", id=import_id))
    f = await session.get(ProfileFile, imp.file_id)
    if f is None:  # pragma: no cover - foreign key
        raise NotFound(_("Import %(id)s not found.", id=import_id))
    return f
