"""The registry: missing persons, cemeteries, graves, CSV imports (HTML pages and JSON API).

Both sides call :mod:`dnacase.services.registry`. Reading: collectors, reviewers, admins;
changing and importing: admins.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, get, patch, post, put
from litestar.datastructures import UploadFile
from litestar.params import JSONBody, MultipartBody
from litestar.response import Redirect, Template

from dnacase.i18n import N_
from dnacase.i18n import gettext as _
from dnacase.models.registry import GRAVE_STATUSES, MISSING_PERSON_STATUSES, Cemetery, Grave
from dnacase.models.registry import MissingPerson as MissingPersonModel
from dnacase.services import registry as service
from dnacase.services.errors import DomainError, ValidationFailed
from dnacase.web.auth import request_meta
from dnacase.web.controllers import NavItem
from dnacase.web.deps import AuthUser, DbSession, FromPath, FromQuery
from dnacase.web.guards import requires_roles
from dnacase.web.responses import flash, form_data, form_dict, form_page, page, redirect

READ = requires_roles("collector", "reviewer", "admin")
ADMIN = requires_roles("admin")

STATUS_LABELS = {
    "missing": N_("missing"),
    "identified": N_("identified"),
    "unnamed": N_("unnamed"),
    "named_unconfirmed": N_("named, unconfirmed"),
}
SEX_LABELS = {"M": N_("male"), "F": N_("female"), "U": N_("unknown")}


def label(value: str) -> str:
    """Translated label of a status or sex code (the code itself if unknown)."""
    text = STATUS_LABELS.get(value) or SEX_LABELS.get(value)
    return _(text) if text else value


def choices(values: tuple[str, ...] | list[str], labels: dict[str, str] | None = None,
            *, blank: str | None = None) -> list[dict[str, str]]:
    """Options for the ``forms.select`` macro, labels translated."""
    table = labels if labels is not None else STATUS_LABELS
    out = [{"value": "", "label": blank}] if blank is not None else []
    out += [{"value": v, "label": _(table.get(v, v))} for v in values]
    return out


def values_of(form: Any) -> dict[str, Any]:
    """Plain dict of a submitted form (strings), without the CSRF field."""
    return form_dict(form)


def api_values(data: Any) -> dict[str, Any]:
    """A JSON body (dataclass) as the string values the services validate."""
    raw = dataclasses.asdict(data) if dataclasses.is_dataclass(data) else dict(data)
    return {k: "" if v is None else (v if isinstance(v, list) else str(v))
            for k, v in raw.items()}


async def upload_of(form: Any, name: str) -> tuple[str, bytes] | None:
    """The uploaded file *name* of a multipart form as (filename, bytes), or ``None``."""
    item = form.get(name)
    if isinstance(item, UploadFile) and item.filename:
        data = await item.read()
        return (item.filename, data) if data else None
    return None


# ----------------------------------------------------------------------------- read schemas


@dataclass
class MissingPersonRead:
    id: int
    registry_number: str
    full_name: str
    sex: str
    birth_year: int | None
    home_village: str
    home_commune: str
    home_district: str
    home_province: str
    unit: str
    death_date: str
    death_place: str
    initial_burial_place: str
    status: str
    notes: str

    @classmethod
    def of(cls, mp: MissingPersonModel) -> MissingPersonRead:
        return cls(**{f.name: getattr(mp, f.name) for f in dataclasses.fields(cls)})


@dataclass
class MissingPersonWrite:
    registry_number: str
    full_name: str
    sex: str = "M"
    birth_year: int | None = None
    home_village: str = ""
    home_commune: str = ""
    home_district: str = ""
    home_province: str = ""
    unit: str = ""
    death_date: str = ""
    death_place: str = ""
    initial_burial_place: str = ""
    status: str = "missing"
    notes: str = ""


@dataclass
class MissingPersonPage:
    items: list[MissingPersonRead]
    total: int
    page: int
    per_page: int


@dataclass
class CemeteryRead:
    id: int
    name: str
    commune: str
    district: str
    province: str
    latitude: float | None
    longitude: float | None
    notes: str
    graves: dict[str, int]
    #: missing persons who could be buried here (``area`` prior 1/N); None: flat default
    candidate_pool_size: int | None = None

    @classmethod
    def of(cls, c: Cemetery, counts: dict[str, int] | None = None) -> CemeteryRead:
        return cls(c.id or 0, c.name, c.commune, c.district, c.province, c.latitude, c.longitude,
                   c.notes, counts or {}, c.candidate_pool_size)


@dataclass
class CemeteryPoolWrite:
    """``candidate_pool_size``: a whole number >= 2, or null/empty for the flat default."""

    candidate_pool_size: int | float | str | None = None


@dataclass
class CemeteryWrite:
    name: str
    province: str = ""
    district: str = ""
    commune: str = ""
    latitude: float | None = None
    longitude: float | None = None
    notes: str = ""


@dataclass
class GraveRead:
    id: int
    cemetery_id: int
    plot: str
    row: str
    number: str
    label: str
    inscription: str
    status: str
    registry_number: str
    missing_person_id: int | None
    notes: str

    @classmethod
    def of(cls, g: Grave) -> GraveRead:
        return cls(g.id or 0, g.cemetery_id, g.plot, g.row, g.number, g.label, g.inscription,
                   g.status, g.registry_number, g.missing_person_id, g.notes)


@dataclass
class GraveWrite:
    number: str
    plot: str = ""
    row: str = ""
    inscription: str = ""
    status: str = ""
    registry_number: str = ""
    notes: str = ""


@dataclass
class GravePage:
    items: list[GraveRead]
    total: int
    page: int
    per_page: int


@dataclass
class ImportReportRead:
    kind: str
    filename: str
    sha256: str
    rows: int
    created: int
    unchanged: int
    errors: list[str]
    warnings: list[str]
    truncated: bool
    dry_run: bool
    imported: bool
    previous_import_at: str | None
    cemetery_id: int | None


@dataclass
class ImportUpload:
    file: UploadFile
    dry_run: bool = False


# ----------------------------------------------------------------------------- HTML pages


def _mp_form(mp: MissingPersonModel | None) -> dict[str, Any]:
    if mp is None:
        return {"sex": "M", "status": "missing"}
    return {k: "" if v is None else str(v) for k, v in dataclasses.asdict(
        MissingPersonRead.of(mp)).items()}


def _mp_form_context() -> dict[str, Any]:
    return {"sexes": choices(("M", "F", "U"), SEX_LABELS),
            "statuses": choices(MISSING_PERSON_STATUSES)}


class RegistryPages(Controller):
    path = "/registry"
    include_in_schema = False

    @get("/", name="registry_index", guards=[READ])
    async def index(
        self, db_session: DbSession, q: FromQuery[str] = "", status: FromQuery[str] = "",
        province: FromQuery[str] = "", page_no: FromQuery[int] = 1,
    ) -> Template:
        result = await service.search_missing_persons(
            db_session, q, status=status or None, province=province or None, page=page_no)
        from dnacase.services import families as families_service

        counts = await families_service.families_of(db_session, [m.id for m in result.items])
        query = urlencode({k: v for k, v in (("q", q), ("status", status),
                                             ("province", province)) if v})
        return page("registry/index.html", result=result, q=q, status=status,
                    province=province, query=query, counts=counts, label=label,
                    statuses=choices(MISSING_PERSON_STATUSES, blank=_("any status")))

    @get("/new", name="registry_new", guards=[ADMIN])
    async def new(self) -> Template:
        return form_page("registry/form.html", form=_mp_form(None), target=None,
                         **_mp_form_context())

    @post("/", name="registry_create", guards=[ADMIN])
    async def create(self, request: Request[Any, Any, Any], db_session: DbSession,
                     user: AuthUser) -> Template | Redirect:
        values = values_of(await form_data(request))
        try:
            mp = await service.create_missing_person(db_session, values, actor=user,
                                                     meta=request_meta(request))
        except DomainError as exc:
            return form_page("registry/form.html", form=values, error=exc, target=None,
                             **_mp_form_context())
        flash(request, _("%(name)s registered.", name=mp.full_name))
        return redirect(f"/registry/{mp.id}")

    @get("/{person_id:int}", name="registry_detail", guards=[READ])
    async def detail(self, db_session: DbSession, person_id: FromPath[int]) -> Template:
        mp = await service.get_missing_person(db_session, person_id)
        from sqlalchemy import select

        graves = (await db_session.execute(select(Grave, Cemetery).join(
            Cemetery, Cemetery.id == Grave.cemetery_id).where(
            Grave.missing_person_id == person_id))).all()
        return page("registry/detail.html", mp=mp, label=label, graves=graves)

    @get("/{person_id:int}/edit", name="registry_edit", guards=[ADMIN])
    async def edit(self, db_session: DbSession, person_id: FromPath[int]) -> Template:
        mp = await service.get_missing_person(db_session, person_id)
        return form_page("registry/form.html", form=_mp_form(mp), target=mp,
                         **_mp_form_context())

    @post("/{person_id:int}", name="registry_update", guards=[ADMIN])
    async def update(self, request: Request[Any, Any, Any], db_session: DbSession,
                     user: AuthUser, person_id: FromPath[int]) -> Template | Redirect:
        mp = await service.get_missing_person(db_session, person_id)
        values = values_of(await form_data(request))
        try:
            await service.update_missing_person(db_session, person_id, values, actor=user,
                                                meta=request_meta(request))
        except DomainError as exc:
            values["registry_number"] = mp.registry_number
            return form_page("registry/form.html", form=values, error=exc, target=mp,
                             **_mp_form_context())
        flash(request, _("Changes saved."))
        return redirect(f"/registry/{person_id}")

    @get("/import", name="registry_import_form", guards=[ADMIN])
    async def import_form(self, db_session: DbSession) -> Template:
        return page("registry/import.html", report=None, target=None, error_message=None,
                    imports=await service.list_imports(db_session))

    @post("/import", name="registry_import", guards=[ADMIN])
    async def do_import(self, request: Request[Any, Any, Any], db_session: DbSession,
                        user: AuthUser) -> Template:
        return await _html_import(request, db_session, user, None)


async def _html_import(request: Request[Any, Any, Any], db_session: DbSession, user: AuthUser,
                       cemetery: Cemetery | None) -> Template:
    form = await form_data(request)
    upload = await upload_of(form, "file")
    dry_run = form.get("dry_run") in ("on", "1", "true")
    imports = await service.list_imports(db_session)
    if upload is None:
        return page("registry/import.html", report=None, target=cemetery, imports=imports,
                    error_message=_("Choose a CSV file."), status_code=400)
    name, data = upload
    try:
        if cemetery is None:
            report = await service.import_registry(db_session, data, name, actor=user,
                                                   meta=request_meta(request), dry_run=dry_run)
        else:
            report = await service.import_graves(db_session, cemetery.id, data, name,  # type: ignore[arg-type]
                                                 actor=user, meta=request_meta(request),
                                                 dry_run=dry_run)
    except ValidationFailed as exc:
        report_data = exc.details.get("report", {})
        return page("registry/import.html", report=report_data, target=cemetery,
                    imports=imports, error_message=exc.message, status_code=400)
    return page("registry/import.html", report=report.to_dict(), target=cemetery,
                imports=imports, error_message=None)


def _pool_context(cem: Cemetery) -> dict[str, Any]:
    """The candidate-pool form of the cemetery page, showing the stored value."""
    size = cem.candidate_pool_size
    return {"pool_form": {"candidate_pool_size": "" if size is None else str(size)},
            "pool_errors": {}, "pool_error": None}


class CemeteryPages(Controller):
    path = "/cemeteries"
    include_in_schema = False

    @get("/", name="cemeteries_index", guards=[READ])
    async def index(self, db_session: DbSession) -> Template:
        return page("registry/cemeteries.html",
                    cemeteries=await service.list_cemeteries(db_session), label=label)

    @get("/new", name="cemeteries_new", guards=[ADMIN])
    async def new(self) -> Template:
        return form_page("registry/cemetery_form.html", form={})

    @post("/", name="cemeteries_create", guards=[ADMIN])
    async def create(self, request: Request[Any, Any, Any], db_session: DbSession,
                     user: AuthUser) -> Template | Redirect:
        values = values_of(await form_data(request))
        try:
            cem = await service.create_cemetery(db_session, values, actor=user,
                                                meta=request_meta(request))
        except DomainError as exc:
            return form_page("registry/cemetery_form.html", form=values, error=exc)
        flash(request, _("%(name)s registered.", name=cem.name))
        return redirect(f"/cemeteries/{cem.id}")

    @get("/{cemetery_id:int}", name="cemeteries_detail", guards=[READ])
    async def detail(
        self, db_session: DbSession, cemetery_id: FromPath[int], q: FromQuery[str] = "",
        status: FromQuery[str] = "", page_no: FromQuery[int] = 1,
    ) -> Template:
        cem = await service.get_cemetery(db_session, cemetery_id)
        result = await service.list_graves(db_session, cemetery_id, query=q,
                                           status=status or None, page=page_no)
        query = urlencode({k: v for k, v in (("q", q), ("status", status)) if v})
        return form_page("registry/cemetery.html", cem=cem, result=result, q=q, status=status,
                         query=query, label=label, form={}, **_pool_context(cem),
                         statuses=choices(GRAVE_STATUSES, blank=_("any status")),
                         grave_statuses=choices(GRAVE_STATUSES, blank=_("from the inscription")))

    @post("/{cemetery_id:int}/candidate-pool", name="cemeteries_candidate_pool", guards=[ADMIN])
    async def set_pool(self, request: Request[Any, Any, Any], db_session: DbSession,
                       user: AuthUser, cemetery_id: FromPath[int]) -> Template | Redirect:
        cem = await service.get_cemetery(db_session, cemetery_id)
        values = values_of(await form_data(request))
        try:
            await service.set_candidate_pool_size(
                db_session, cemetery_id, values.get("candidate_pool_size"), actor=user,
                meta=request_meta(request))
        except DomainError as exc:
            result = await service.list_graves(db_session, cemetery_id)
            return page("registry/cemetery.html", cem=cem, result=result, q="", status="",
                        query="", label=label, form={}, errors={}, error_message=None,
                        pool_form=values, pool_errors=exc.field_errors,
                        pool_error=exc.message, status_code=exc.status_code,
                        statuses=choices(GRAVE_STATUSES, blank=_("any status")),
                        grave_statuses=choices(GRAVE_STATUSES, blank=_("from the inscription")))
        flash(request, _("Candidate pool size saved."))
        return redirect(f"/cemeteries/{cemetery_id}")

    @post("/{cemetery_id:int}/graves", name="cemeteries_add_grave", guards=[ADMIN])
    async def add_grave(self, request: Request[Any, Any, Any], db_session: DbSession,
                        user: AuthUser, cemetery_id: FromPath[int]) -> Template | Redirect:
        cem = await service.get_cemetery(db_session, cemetery_id)
        values = values_of(await form_data(request))
        try:
            grave = await service.create_grave(db_session, cemetery_id, values, actor=user,
                                               meta=request_meta(request))
        except DomainError as exc:
            result = await service.list_graves(db_session, cemetery_id)
            return form_page("registry/cemetery.html", cem=cem, result=result, q="",
                             status="", query="", label=label, form=values, error=exc,
                             **_pool_context(cem),
                             statuses=choices(GRAVE_STATUSES, blank=_("any status")),
                             grave_statuses=choices(GRAVE_STATUSES,
                                                    blank=_("from the inscription")))
        flash(request, _("Grave %(g)s added.", g=grave.label))
        return redirect(f"/graves/{grave.id}")

    @get("/{cemetery_id:int}/import", name="cemeteries_import_form", guards=[ADMIN])
    async def import_form(self, db_session: DbSession, cemetery_id: FromPath[int]) -> Template:
        cem = await service.get_cemetery(db_session, cemetery_id)
        return page("registry/import.html", report=None, target=cem, error_message=None,
                    imports=await service.list_imports(db_session))

    @post("/{cemetery_id:int}/import", name="cemeteries_import", guards=[ADMIN])
    async def do_import(self, request: Request[Any, Any, Any], db_session: DbSession,
                        user: AuthUser, cemetery_id: FromPath[int]) -> Template:
        cem = await service.get_cemetery(db_session, cemetery_id)
        return await _html_import(request, db_session, user, cem)


class GravePages(Controller):
    path = "/graves"
    include_in_schema = False

    @get("/{grave_id:int}", name="graves_detail", guards=[READ])
    async def detail(self, db_session: DbSession, grave_id: FromPath[int]) -> Template:
        from sqlalchemy import select

        from dnacase.models.kits import Kit, Sample
        from dnacase.models.registry import Remains

        grave = await service.get_grave(db_session, grave_id)
        cem = await service.get_cemetery(db_session, grave.cemetery_id)
        mp = (await service.get_missing_person(db_session, grave.missing_person_id)
              if grave.missing_person_id else None)
        samples = (await db_session.execute(
            select(Sample, Kit).join(Kit, Kit.id == Sample.kit_id)
            .join(Remains, Remains.id == Sample.remains_id)
            .where(Remains.grave_id == grave_id).order_by(Sample.id))).all()
        return page("registry/grave.html", grave=grave, cem=cem, mp=mp, samples=samples,
                    label=label)


# ----------------------------------------------------------------------------- JSON API


class RegistryApi(Controller):
    path = "/api"
    tags = ["registry"]  # noqa: RUF012

    @get("/missing-persons", guards=[READ], summary="Search missing persons")
    async def list_missing(
        self, db_session: DbSession, q: FromQuery[str] = "", status: FromQuery[str] = "",
        province: FromQuery[str] = "", page: FromQuery[int] = 1, per_page: FromQuery[int] = 50,
    ) -> MissingPersonPage:
        """Name search ignores diacritics (``nguyen van duc`` finds ``Nguyễn Văn Đức``)."""
        result = await service.search_missing_persons(
            db_session, q, status=status or None, province=province or None, page=page,
            per_page=per_page)
        return MissingPersonPage([MissingPersonRead.of(m) for m in result.items], result.total,
                                 result.page, result.per_page)

    @post("/missing-persons", guards=[ADMIN], summary="Register a missing person")
    async def create_missing(self, request: Request[Any, Any, Any], db_session: DbSession,
                             user: AuthUser,
                             data: JSONBody[MissingPersonWrite]) -> MissingPersonRead:
        mp = await service.create_missing_person(db_session, api_values(data), actor=user,
                                                 meta=request_meta(request))
        return MissingPersonRead.of(mp)

    @get("/missing-persons/{person_id:int}", guards=[READ], summary="A missing person")
    async def get_missing(self, db_session: DbSession,
                          person_id: FromPath[int]) -> MissingPersonRead:
        return MissingPersonRead.of(await service.get_missing_person(db_session, person_id))

    @put("/missing-persons/{person_id:int}", guards=[ADMIN],
         summary="Correct a missing person's record")
    async def update_missing(self, request: Request[Any, Any, Any], db_session: DbSession,
                             user: AuthUser, person_id: FromPath[int],
                             data: JSONBody[MissingPersonWrite]) -> MissingPersonRead:
        mp = await service.update_missing_person(db_session, person_id, api_values(data),
                                                 actor=user, meta=request_meta(request))
        return MissingPersonRead.of(mp)

    @post("/registry/import", guards=[ADMIN], summary="Import the registry (CSV)")
    async def import_registry(
        self, request: Request[Any, Any, Any], db_session: DbSession, user: AuthUser,
        data: MultipartBody[ImportUpload],
    ) -> ImportReportRead:
        """All or nothing; a refused file gives 400 with ``details.report``."""
        report = await service.import_registry(
            db_session, await data.file.read(), data.file.filename, actor=user,
            meta=request_meta(request), dry_run=data.dry_run)
        return ImportReportRead(**report.to_dict())

    @get("/cemeteries", guards=[READ], summary="Cemeteries with grave counts")
    async def list_cemeteries(self, db_session: DbSession) -> list[CemeteryRead]:
        return [CemeteryRead.of(c, n) for c, n in await service.list_cemeteries(db_session)]

    @post("/cemeteries", guards=[ADMIN], summary="Register a cemetery")
    async def create_cemetery(self, request: Request[Any, Any, Any], db_session: DbSession,
                              user: AuthUser, data: JSONBody[CemeteryWrite]) -> CemeteryRead:
        cem = await service.create_cemetery(db_session, api_values(data), actor=user,
                                            meta=request_meta(request))
        return CemeteryRead.of(cem)

    @get("/cemeteries/{cemetery_id:int}", guards=[READ], summary="A cemetery")
    async def get_cemetery(self, db_session: DbSession,
                           cemetery_id: FromPath[int]) -> CemeteryRead:
        return CemeteryRead.of(await service.get_cemetery(db_session, cemetery_id))

    @patch("/cemeteries/{cemetery_id:int}", guards=[ADMIN],
           summary="Set a cemetery's candidate pool size (area prior)")
    async def set_candidate_pool(self, request: Request[Any, Any, Any], db_session: DbSession,
                                 user: AuthUser, cemetery_id: FromPath[int],
                                 data: JSONBody[CemeteryPoolWrite]) -> CemeteryRead:
        """``candidate_pool_size``: N >= 2 (remains from its graves get the prior 1/N under
        ``prior_mode="area"``), or null/empty for the flat default; 400 with a field error
        otherwise."""
        cem = await service.set_candidate_pool_size(
            db_session, cemetery_id, data.candidate_pool_size, actor=user,
            meta=request_meta(request))
        return CemeteryRead.of(cem)

    @get("/cemeteries/{cemetery_id:int}/graves", guards=[READ], summary="Graves of a cemetery")
    async def list_graves(
        self, db_session: DbSession, cemetery_id: FromPath[int], q: FromQuery[str] = "",
        status: FromQuery[str] = "", page: FromQuery[int] = 1, per_page: FromQuery[int] = 100,
    ) -> GravePage:
        await service.get_cemetery(db_session, cemetery_id)
        result = await service.list_graves(db_session, cemetery_id, query=q,
                                           status=status or None, page=page, per_page=per_page)
        return GravePage([GraveRead.of(g) for g in result.items], result.total, result.page,
                         result.per_page)

    @post("/cemeteries/{cemetery_id:int}/graves", guards=[ADMIN], summary="Add a grave")
    async def create_grave(self, request: Request[Any, Any, Any], db_session: DbSession,
                           user: AuthUser, cemetery_id: FromPath[int],
                           data: JSONBody[GraveWrite]) -> GraveRead:
        grave = await service.create_grave(db_session, cemetery_id, api_values(data),
                                           actor=user, meta=request_meta(request))
        return GraveRead.of(grave)

    @post("/cemeteries/{cemetery_id:int}/graves/import", guards=[ADMIN],
          summary="Import a cemetery's grave list (CSV)")
    async def import_graves(
        self, request: Request[Any, Any, Any], db_session: DbSession, user: AuthUser,
        cemetery_id: FromPath[int],
        data: MultipartBody[ImportUpload],
    ) -> ImportReportRead:
        report = await service.import_graves(
            db_session, cemetery_id, await data.file.read(), data.file.filename, actor=user,
            meta=request_meta(request), dry_run=data.dry_run)
        return ImportReportRead(**report.to_dict())

    @get("/graves/{grave_id:int}", guards=[READ], summary="A grave")
    async def get_grave(self, db_session: DbSession, grave_id: FromPath[int]) -> GraveRead:
        return GraveRead.of(await service.get_grave(db_session, grave_id))


ROUTE_HANDLERS: list[Any] = [RegistryPages, CemeteryPages, GravePages, RegistryApi]
NAV_ITEMS = [
    NavItem(N_("Registry"), "/registry", ("collector", "reviewer", "admin"),
            N_("Missing persons: search with or without diacritics, families."), order=20),
    NavItem(N_("Cemeteries"), "/cemeteries", ("collector", "reviewer", "admin"),
            N_("Cemeteries and their graves; grave-list imports."), order=25),
]
