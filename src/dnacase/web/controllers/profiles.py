"""Stored profiles: versions, QC flags, lab overrides; the kit page's profile section; frequency
tables. Both sides call :mod:`dnacase.services.profiles` / :mod:`dnacase.services.frequencies`.

Lab users, reviewers and admins read profiles; lab users and admins accept held profiles;
lab users, reviewers and admins resolve review flags; lab users and admins import frequency
tables. The kit page includes ``profiles/partials/sample_profiles.html``, which loads
``/profiles/kit/<barcode>`` (an HTML fragment) for users allowed to read profiles.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.params import JSONBody
from litestar.response import Redirect, Template

from dnacase.domain.ids import parse_id
from dnacase.i18n import N_
from dnacase.i18n import gettext as _
from dnacase.models.profiles import Profile, ProfileQCFlag
from dnacase.services import dropout as dropout_service
from dnacase.services import frequencies as freq_service
from dnacase.services import haplotype_databases as hdb_service
from dnacase.services import kits as kits_service
from dnacase.services import profiles as service
from dnacase.services.errors import DomainError, ValidationFailed
from dnacase.web.auth import request_meta
from dnacase.web.deps import AuthUser, DbSession, FromPath
from dnacase.web.guards import requires_roles
from dnacase.web.responses import flash, form_data, page, redirect

READ = requires_roles("lab", "reviewer", "admin")
LAB = requires_roles("lab", "admin")
DROPOUT = requires_roles(*dropout_service.DROPOUT_ROLES)

MARKER_LABELS = {"autosomal_STR": N_("autosomal STR"), "Y_STR": N_("Y-STR"),
                 "mtDNA": N_("mtDNA"), "SNP": N_("SNP panel")}
FLAG_LABELS = {
    "mixture": N_("mixture"), "contamination": N_("contamination sign"),
    "sex_mismatch": N_("sex mismatch"), "duplicate": N_("duplicate profile"),
    "elimination_match": N_("matches staff (elimination)"),
    "family_inconsistency": N_("family inconsistency"), "partial": N_("partial profile"),
}
SEVERITY_LABELS = {"hold": N_("held"), "review": N_("for review"), "info": N_("note")}


def profile_label(code: str) -> str:
    """Translated label of a marker type, QC flag kind or severity."""
    text = MARKER_LABELS.get(code) or FLAG_LABELS.get(code) or SEVERITY_LABELS.get(code)
    return _(text) if text else code


class ProfilePages(Controller):
    path = "/profiles"
    include_in_schema = False

    @get("/{profile_id:int}", name="profiles_detail", guards=[READ])
    async def detail(self, db_session: DbSession, profile_id: FromPath[int]) -> Template:
        view = await service.get_profile(db_session, profile_id)
        versions = await service.versions_of(db_session, view.profile)
        return page("profiles/detail.html", view=view, versions=versions,
                    profile_label=profile_label, error_message=None)

    @get("/kit/{barcode:str}", name="profiles_kit_fragment", guards=[READ])
    async def kit_fragment(self, db_session: DbSession, barcode: FromPath[str]) -> Template:
        kit = await kits_service.get_kit(db_session, barcode)
        views = await service.profiles_for_kit(db_session, kit.id)  # type: ignore[arg-type]
        return page("profiles/partials/kit_profiles.html", kit=kit, views=views,
                    profile_label=profile_label)

    @post("/{profile_id:int}/override", name="profiles_override", guards=[LAB])
    async def override(self, request: Request[Any, Any, Any], db_session: DbSession,
                       user: AuthUser, profile_id: FromPath[int]) -> Template | Redirect:
        form = await form_data(request)
        try:
            await service.override_hold(db_session, profile_id, str(form.get("reason") or ""),
                                        actor=user, meta=request_meta(request))
        except DomainError as exc:
            view = await service.get_profile(db_session, profile_id)
            versions = await service.versions_of(db_session, view.profile)
            return page("profiles/detail.html", view=view, versions=versions,
                        profile_label=profile_label, error_message=exc.message,
                        status_code=exc.status_code)
        flash(request, _("The profile is now used as a single-source profile."))
        return redirect(f"/profiles/{profile_id}")

    @post("/flags/{flag_id:int}/resolve", name="profiles_flag_resolve", guards=[READ])
    async def resolve(self, request: Request[Any, Any, Any], db_session: DbSession,
                      user: AuthUser, flag_id: FromPath[int]) -> Template | Redirect:
        form = await form_data(request)
        flag = await db_session.get(ProfileQCFlag, flag_id)
        try:
            flag = await service.resolve_flag(db_session, flag_id,
                                              str(form.get("resolution") or ""), actor=user,
                                              meta=request_meta(request))
        except DomainError as exc:
            if flag is None:
                raise
            view = await service.get_profile(db_session, flag.profile_id)
            versions = await service.versions_of(db_session, view.profile)
            return page("profiles/detail.html", view=view, versions=versions,
                        profile_label=profile_label, error_message=exc.message,
                        status_code=exc.status_code)
        flash(request, _("QC flag resolved."))
        return redirect(f"/profiles/{flag.profile_id}")


# ----------------------------------------------------------------------------- JSON


@dataclass
class FlagRead:
    id: int
    kind: str
    severity: str
    status: str
    message: str
    details: Any
    resolution: str

    @classmethod
    def of(cls, f: ProfileQCFlag) -> FlagRead:
        assert f.id is not None
        return cls(f.id, f.kind, f.severity, f.status, f.message, f.details, f.resolution)


@dataclass
class ProfileRead:
    id: int
    barcode: str
    marker_type: str
    version: int
    status: str
    typing_kit: str
    lab: str
    import_id: int
    n_loci: int
    n_autosomal: int
    sex: str | None
    mixture: bool
    single_source: bool
    override_reason: str
    digest: str
    supersedes_id: int | None
    superseded_by_id: int | None
    supersede_reason: str
    created_at: str
    last_searched_at: str | None
    loci: Any
    flags: list[FlagRead]

    @classmethod
    def of(cls, view: service.ProfileView) -> ProfileRead:
        p: Profile = view.profile
        assert p.id is not None
        return cls(p.id, view.barcode, p.marker_type, p.version, p.status, p.typing_kit, p.lab,
                   p.import_id, p.n_loci, p.n_autosomal, p.sex, p.mixture, p.single_source,
                   p.override_reason, p.digest, p.supersedes_id, p.superseded_by_id,
                   p.supersede_reason, p.created_at.isoformat(),
                   p.last_searched_at.isoformat() if p.last_searched_at else None, p.loci,
                   [FlagRead.of(f) for f in view.flags])


@dataclass
class ReasonWrite:
    reason: str


@dataclass
class ResolutionWrite:
    resolution: str


@dataclass
class DropoutWrite:
    """``dropout_probability``: 0 <= d < 1, or null for the sample type's default."""

    dropout_probability: float | None
    reason: str


@dataclass
class DropoutRead:
    barcode: str
    sample_type: str
    dropout_probability: float | None
    effective: float
    default: float


@dataclass
class HaplotypeDatabaseRead:
    id: str
    marker: str
    population: str
    n_haplotypes: int
    source_format: str
    source: str
    sha256: str

    @classmethod
    def of(cls, r: Any) -> HaplotypeDatabaseRead:
        return cls(r.slug, r.marker, r.population, r.n_haplotypes, r.source_format, r.source,
                   r.sha256)


@dataclass
class TableRead:
    id: str
    population: str
    n_individuals: int | None
    origin: str
    default: bool
    n_loci: int | None
    source: str


class ProfileApi(Controller):
    path = "/api"
    tags = ["profiles"]  # noqa: RUF012

    @get("/profiles/kit/{barcode:str}", guards=[READ],
         summary="Every profile version of a kit's sample (current first), with QC flags")
    async def for_kit(self, db_session: DbSession, barcode: FromPath[str]) -> list[ProfileRead]:
        kit = await kits_service.get_kit(db_session, barcode)
        return [ProfileRead.of(v) for v in
                await service.profiles_for_kit(db_session, kit.id)]  # type: ignore[arg-type]

    @get("/profiles/{profile_id:int}", guards=[READ], summary="One profile version")
    async def get_profile(self, db_session: DbSession, profile_id: FromPath[int]
                          ) -> ProfileRead:
        return ProfileRead.of(await service.get_profile(db_session, profile_id))

    @post("/profiles/{profile_id:int}/override", guards=[LAB], status_code=200,
          summary="Accept a held profile as single-source (with a reason)")
    async def override(self, request: Request[Any, Any, Any], db_session: DbSession,
                       user: AuthUser, profile_id: FromPath[int],
                       data: JSONBody[ReasonWrite]) -> ProfileRead:
        await service.override_hold(db_session, profile_id, data.reason, actor=user,
                                    meta=request_meta(request))
        return ProfileRead.of(await service.get_profile(db_session, profile_id))

    @post("/profiles/flags/{flag_id:int}/resolve", guards=[READ], status_code=200,
          summary="Resolve a review flag (with what was found)")
    async def resolve(self, request: Request[Any, Any, Any], db_session: DbSession,
                      user: AuthUser, flag_id: FromPath[int],
                      data: JSONBody[ResolutionWrite]) -> FlagRead:
        flag = await service.resolve_flag(db_session, flag_id, data.resolution, actor=user,
                                          meta=request_meta(request))
        return FlagRead.of(flag)

    @post("/samples/{barcode:str}/dropout", guards=[DROPOUT], status_code=200,
          summary="Set the allele dropout probability of a remains sample (null: the default "
                  "of its sample type), with a reason; the next search reads its single "
                  "peaks with it")
    async def set_dropout(self, request: Request[Any, Any, Any], db_session: DbSession,
                          user: AuthUser, barcode: FromPath[str],
                          data: JSONBody[DropoutWrite]) -> DropoutRead:
        s = await dropout_service.set_sample_dropout(
            db_session, barcode, data.dropout_probability, data.reason, actor=user,
            meta=request_meta(request))
        return DropoutRead(barcode, s.sample_type, s.dropout_probability,
                           dropout_service.sample_dropout(s),
                           dropout_service.DEFAULT_DROPOUT.get(s.sample_type, 0.0))

    @get("/frequency-tables", guards=[READ], summary="Frequency tables (shipped and imported)")
    async def tables(self, db_session: DbSession) -> list[TableRead]:
        return [TableRead(t.id, t.population, t.n_individuals, t.origin, t.default, t.n_loci,
                          t.source) for t in await freq_service.list_tables(db_session)]

    @post("/frequency-tables", guards=[LAB], status_code=201,
          summary="Import a frequency table in one step (multipart: file, population, n, id)")
    async def import_table(self, request: Request[Any, Any, Any], db_session: DbSession,
                           user: AuthUser) -> TableRead:
        form = await form_data(request)
        item = form.get("file")
        if not isinstance(item, UploadFile) or not item.filename:
            raise ValidationFailed(_("Choose the table file."),
                                   field_errors={"file": _("Choose a file.")})
        n_text = str(form.get("n") or "").strip()
        if n_text and parse_id(n_text) is None:
            raise ValidationFailed(_("N must be a positive number of persons."),
                                   field_errors={"n": _("Invalid N.")})
        result = await freq_service.import_table(
            db_session, await item.read(), item.filename,
            population=str(form.get("population") or ""),
            n_individuals=int(n_text) if n_text else None,
            table_id=str(form.get("id") or "") or None, source=str(form.get("source") or ""),
            actor=user, meta=request_meta(request))
        r = result.record
        return TableRead(r.slug, r.population, r.n_individuals, "imported", False, r.n_loci,
                         r.source)


    @get("/haplotype-databases", guards=[READ],
         summary="Population haplotype databases (mtDNA, Y-STR) for the lineage LRs")
    async def haplotype_databases(self, db_session: DbSession) -> list[HaplotypeDatabaseRead]:
        return [HaplotypeDatabaseRead.of(r) for r in await hdb_service.list_databases(db_session)]

    @post("/haplotype-databases", guards=[LAB], status_code=201,
          summary="Import a population haplotype database in one step (multipart: file, "
                  "marker mtDNA or Y_STR, population, id, source)")
    async def import_haplotype_database(self, request: Request[Any, Any, Any],
                                        db_session: DbSession,
                                        user: AuthUser) -> HaplotypeDatabaseRead:
        form = await form_data(request)
        item = form.get("file")
        if not isinstance(item, UploadFile) or not item.filename:
            raise ValidationFailed(_("Choose the haplotype file."),
                                   field_errors={"file": _("Choose a file.")})
        result = await hdb_service.import_database(
            db_session, await item.read(), item.filename, marker=str(form.get("marker") or ""),
            population=str(form.get("population") or ""),
            database_id=str(form.get("id") or "") or None, source=str(form.get("source") or ""),
            actor=user, meta=request_meta(request))
        return HaplotypeDatabaseRead.of(result.record)


ROUTE_HANDLERS: list[Any] = [ProfilePages, ProfileApi]
