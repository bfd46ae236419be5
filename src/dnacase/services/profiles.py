"""Stored profiles: their JSON form, versions, QC flags, lab overrides, and the search's view.

Profile JSON (``Profile.loci``):

* STR (autosomal kits and Y-STR kits): ``{locus: {"type": marker type, "alleles": [...],
  "single_peak": true, "off_ladder": ["255.1"], "null": true, "duplication": true,
  "mixture": true}}``; flags only when true; a locus absent was not reported, a locus with
  ``alleles == []`` was attempted without result. ``single_peak`` means one allele reported
  once: a homozygote or a dropout (see :class:`dnacase.formats.LocusCall`).
* mtDNA: ``{"variants": ["16223T", ...], "ranges": [[16024, 16569], [1, 576]],
  "haplogroup": "D4"}`` (EMPOP notation against rCRS; outside the ranges is unknown).
* SNP: ``{"panel_id": n, "panel_sha256": ..., "gt": "0/1,1/1,./.,0", "gq": [..], "dp": [..]}``:
  one token per panel variant (allele indices; ``.`` missing; one index for haploid calls),
  qualities ``-1`` when absent; the variant list is stored once in ``snp_panels``.

``Profile.digest`` is the SHA-256 of the canonical genotype (STR: sorted alleles per typed
locus; mtDNA: variants and ranges; SNP: panel and ``gt``): equal digests = same genotype.

Versions: a sample has at most one ``current`` profile per marker type; a re-issued profile
supersedes it (``superseded``, with the reason and the new version's id). Nothing is deleted.
A profile that is not ``single_source`` (a mixture or contamination sign without a lab
override) is stored but never given to the search.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dnacase.db import utcnow
from dnacase.formats import LocusCall, MtHaplotype, STRProfile, find_kit, sort_alleles
from dnacase.i18n import gettext as _
from dnacase.models.kits import Kit, Sample
from dnacase.models.profiles import Profile, ProfileImport, ProfileQCFlag
from dnacase.services import audit
from dnacase.services.audit import ActorLike, RequestMeta
from dnacase.services.errors import Conflict, NotFound, ValidationFailed

MIN_REASON = 5

# --------------------------------------------------------------------------- JSON forms


def call_to_json(call: LocusCall) -> dict[str, Any]:
    """One STR locus call as stored (flags only when true)."""
    out: dict[str, Any] = {"type": call.marker_type, "alleles": list(call.alleles)}
    if call.single_peak:
        out["single_peak"] = True
    if call.off_ladder:
        out["off_ladder"] = list(call.off_ladder)
    if call.null_allele:
        out["null"] = True
    if call.duplication:
        out["duplication"] = True
    if call.is_mixture:
        out["mixture"] = True
    return out


def str_to_json(record: STRProfile) -> dict[str, Any]:
    return {locus: call_to_json(call) for locus, call in record.loci.items()}


def mt_to_json(record: MtHaplotype) -> dict[str, Any]:
    return {"variants": list(record.variants), "ranges": [list(r) for r in record.ranges],
            "haplogroup": record.haplogroup}


def _sha(obj: Any) -> str:
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def genotype_digest(marker_type: str, loci: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical genotype of a stored profile (see module doc)."""
    if marker_type in ("autosomal_STR", "Y_STR"):
        canon = {k: sort_alleles(v.get("alleles", [])) for k, v in loci.items()
                 if v.get("alleles") or v.get("null")}
        return _sha({k: list(v) for k, v in canon.items()})
    if marker_type == "mtDNA":
        return _sha({"v": loci.get("variants", []), "r": loci.get("ranges", [])})
    return _sha({"p": loci.get("panel_sha256"), "gt": loci.get("gt", "")})


def typed_count(marker_type: str, loci: Mapping[str, Any]) -> tuple[int, int]:
    """``(typed loci, typed autosomal loci)`` of a stored profile (SNP: called variants)."""
    if marker_type in ("autosomal_STR", "Y_STR"):
        typed = [v for v in loci.values() if v.get("alleles") or v.get("null")]
        return len(typed), sum(1 for v in typed if v.get("type") == "autosomal_STR")
    if marker_type == "mtDNA":
        return len(loci.get("variants", [])), 0
    gt = str(loci.get("gt", ""))
    return sum(1 for t in gt.split(",") if t and not t.startswith(".")), 0


def autosomal_genotypes(loci: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """Typed autosomal loci -> allele set (1 allele: single peak or homozygote; 2 alleles).

    Loci with more than two alleles (mixtures) and off-ladder-only loci are left out.
    """
    out: dict[str, tuple[str, ...]] = {}
    for locus, v in loci.items():
        if v.get("type", "autosomal_STR") != "autosomal_STR":
            continue
        alleles = tuple(sort_alleles(v.get("alleles", [])))
        if 1 <= len(alleles) <= 2:
            out[locus] = alleles
    return out


def pairs_for_kinship(loci: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """Autosomal genotypes as two alleles each; a locus with one called allele ``a`` is
    written ``(a, a)`` and listed by :func:`one_allele_loci`, which says how to read it."""
    return {k: (a[0], a[-1]) for k, a in autosomal_genotypes(loci).items()}


def one_allele_loci(loci: Mapping[str, Any]) -> dict[str, str]:
    """Autosomal loci with one called allele: ``"off_ladder"`` when an off-ladder peak stands
    beside it (the called allele plus one unknown allele: never a homozygote), else
    ``"peak"`` (one peak, whether the file wrote it once or twice: a homozygote, or a
    heterozygote whose other allele dropped out; read with the sample's dropout
    probability, :mod:`dnacase.services.dropout`)."""
    out: dict[str, str] = {}
    for k, a in autosomal_genotypes(loci).items():
        if len(a) == 1:
            out[k] = "off_ladder" if loci[k].get("off_ladder") else "peak"
    return out


# --------------------------------------------------------------------------- views


@dataclass(slots=True)
class LocusRow:
    locus: str
    marker_type: str
    alleles: list[str]
    single_peak: bool = False
    off_ladder: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ProfileView:
    """A profile version with its flags and display rows."""

    profile: Profile
    flags: list[ProfileQCFlag]
    rows: list[LocusRow]
    barcode: str = ""

    @property
    def open_flags(self) -> list[ProfileQCFlag]:
        return [f for f in self.flags if f.status == "open"]

    @property
    def held(self) -> bool:
        return not self.profile.single_source


def locus_rows(profile: Profile) -> list[LocusRow]:
    """Rows for display, in the typing kit's marker order when the kit is known."""
    loci = profile.loci or {}
    if profile.marker_type not in ("autosomal_STR", "Y_STR"):
        return []
    kit = find_kit(profile.typing_kit) if profile.typing_kit else None
    order = list(kit.loci) if kit else []
    names = [k for k in order if k in loci] + [k for k in loci if k not in order]
    rows = []
    for k in names:
        v = loci[k]
        flags = [f for f in ("mixture", "null", "duplication") if v.get(f)]
        rows.append(LocusRow(k, v.get("type", ""), list(v.get("alleles", [])),
                             bool(v.get("single_peak")), list(v.get("off_ladder", [])), flags))
    return rows


async def flags_for(session: AsyncSession, profile_ids: list[int]
                    ) -> dict[int, list[ProfileQCFlag]]:
    out: dict[int, list[ProfileQCFlag]] = {}
    if not profile_ids:
        return out
    rows = (await session.execute(select(ProfileQCFlag).where(
        ProfileQCFlag.profile_id.in_(profile_ids)).order_by(ProfileQCFlag.id))).scalars()
    for f in rows:
        out.setdefault(f.profile_id, []).append(f)
    return out


async def profiles_for_kit(session: AsyncSession, kit_id: int) -> list[ProfileView]:
    """Every profile version of the sample a kit carries (current first, then older versions)."""
    profiles = list((await session.execute(
        select(Profile).where(Profile.kit_id == kit_id)
        .order_by(Profile.marker_type, Profile.version.desc()))).scalars())
    flags = await flags_for(session, [p.id for p in profiles if p.id is not None])
    kit = await session.get(Kit, kit_id)
    barcode = kit.barcode if kit else ""
    views = [ProfileView(p, flags.get(p.id or 0, []), locus_rows(p), barcode) for p in profiles]
    views.sort(key=lambda v: (v.profile.status != "current", v.profile.marker_type,
                              -v.profile.version))
    return views


async def get_profile(session: AsyncSession, profile_id: int) -> ProfileView:
    profile = await session.get(Profile, profile_id)
    if profile is None:
        raise NotFound(_("Profile %(id)s not found.", id=profile_id))
    kit = await session.get(Kit, profile.kit_id)
    flags = await flags_for(session, [profile_id])
    return ProfileView(profile, flags.get(profile_id, []), locus_rows(profile),
                       kit.barcode if kit else "")


async def versions_of(session: AsyncSession, profile: Profile) -> list[Profile]:
    """All versions of the same sample and marker type, newest first."""
    return list((await session.execute(select(Profile).where(
        Profile.sample_id == profile.sample_id, Profile.marker_type == profile.marker_type)
        .order_by(Profile.version.desc()))).scalars())


async def get_import(session: AsyncSession, import_id: int) -> ProfileImport:
    imp = await session.get(ProfileImport, import_id)
    if imp is None:
        raise NotFound(_("Import %(id)s not found.", id=import_id))
    return imp


async def list_imports(session: AsyncSession, *, limit: int = 50) -> list[ProfileImport]:
    return list((await session.execute(select(ProfileImport).order_by(ProfileImport.id.desc())
                                       .limit(limit))).scalars())


async def import_profiles(session: AsyncSession, import_id: int) -> list[tuple[Profile, str]]:
    """Profiles written by one import with their kit barcodes (file order)."""
    rows = await session.execute(select(Profile, Kit.barcode).join(Kit, Kit.id == Profile.kit_id)
                                 .where(Profile.import_id == import_id).order_by(Profile.id))
    return [(p, b) for p, b in rows]


# --------------------------------------------------------------------------- changes


def _reason(reason: str | None, field_name: str = "reason") -> str:
    text = " ".join((reason or "").split())
    if len(text) < MIN_REASON:
        raise ValidationFailed(_("Give a reason (at least %(n)d characters).", n=MIN_REASON),
                               field_errors={field_name: _("A reason is required.")})
    return text


async def override_hold(session: AsyncSession, profile_id: int, reason: str, *,
                        actor: ActorLike | None, meta: RequestMeta | None = None) -> Profile:
    """A lab user accepts a held profile (mixture / contamination sign) as single-source,
    with a reason; the hold flags are resolved with that reason."""
    text = _reason(reason)
    profile = await session.get(Profile, profile_id)
    if profile is None:
        raise NotFound(_("Profile %(id)s not found.", id=profile_id))
    if profile.status != "current":
        raise Conflict(_("Only the current version of a profile can be accepted."))
    if profile.single_source:
        raise Conflict(_("This profile is already used as a single-source profile."))
    before = audit.snapshot(profile, exclude=("loci",))
    profile.single_source = True
    profile.override_reason = text
    profile.override_by_id = getattr(actor, "id", None)
    now = utcnow()
    for flag in (await flags_for(session, [profile_id])).get(profile_id, []):
        if flag.severity == "hold" and flag.status == "open":
            flag.status = "resolved"
            flag.resolution = text
            flag.resolved_at = now
            flag.resolved_by_id = getattr(actor, "id", None)
    await session.flush()
    await audit.record(session, actor, "profile.override", profile, before=before,
                       after=audit.snapshot(profile, exclude=("loci",)), request_meta=meta)
    return profile


async def resolve_flag(session: AsyncSession, flag_id: int, resolution: str, *,
                       actor: ActorLike | None, meta: RequestMeta | None = None
                       ) -> ProfileQCFlag:
    """Close a review flag with what was found (a hold flag is closed by :func:`override_hold`)."""
    text = _reason(resolution, "resolution")
    flag = await session.get(ProfileQCFlag, flag_id)
    if flag is None:
        raise NotFound(_("QC flag %(id)s not found.", id=flag_id))
    if flag.status != "open":
        raise Conflict(_("This QC flag is already resolved."))
    if flag.severity == "hold":
        raise Conflict(_("A hold is lifted by accepting the profile as single-source, "
                         "with a reason."))
    before = audit.snapshot(flag)
    flag.status = "resolved"
    flag.resolution = text
    flag.resolved_at = utcnow()
    flag.resolved_by_id = getattr(actor, "id", None)
    await session.flush()
    await audit.record(session, actor, "profile.flag.resolve", flag, before=before,
                       after=audit.snapshot(flag), request_meta=meta)
    return flag


# --------------------------------------------------------------------------- search view


@dataclass(slots=True)
class DatabaseProfileSource:
    """The search's :class:`dnacase.services.search_inputs.ProfileSource` over the stored
    profiles: the current, single-source autosomal STR profile of each relative / remains.

    ``version`` is ``"<barcode>@v<version>#<profile id>"``; ``qc_flags`` the open flag kinds.
    """

    marker_type: str = "autosomal_STR"

    def spec(self) -> dict[str, str]:
        return {"kind": "database", "marker_type": self.marker_type}

    async def _load(self, session: AsyncSession, column: Any, ids: Iterable[int] | None
                    ) -> dict[int, Any]:
        from dnacase.services.dropout import sample_dropout
        from dnacase.services.search_inputs import ProfileInput

        stmt = (select(column, Profile, Kit.barcode, Sample)
                .join(Sample, Sample.id == Profile.sample_id)
                .join(Kit, Kit.id == Profile.kit_id)
                .where(Profile.status == "current", Profile.single_source.is_(True),
                       Profile.marker_type == self.marker_type, column.is_not(None)))
        wanted = None if ids is None else set(ids)
        rows = [(int(i), p, b, s) for i, p, b, s in await session.execute(stmt)
                if wanted is None or int(i) in wanted]
        flags = await flags_for(session, [p.id for _, p, _, _ in rows])
        out: dict[int, Any] = {}
        for owner, p, barcode, sample in sorted(rows, key=lambda r: r[1].id):
            out[owner] = ProfileInput(
                f"{barcode}@v{p.version}#{p.id}", pairs_for_kinship(p.loci or {}), (barcode,),
                tuple(sorted({f.kind for f in flags.get(p.id, []) if f.status == "open"})),
                one_allele_loci(p.loci or {}), sample_dropout(sample))
        return out

    async def relative_profiles(self, session: AsyncSession, relative_ids: Iterable[int]
                                ) -> dict[int, Any]:
        return await self._load(session, Sample.relative_id, relative_ids)

    async def remains_profiles(self, session: AsyncSession,
                               remains_ids: Iterable[int] | None = None) -> dict[int, Any]:
        return await self._load(session, Sample.remains_id, remains_ids)
