"""Families: relatives, consent, relationships and the family pedigree (HTML and JSON API).

Both sides call :mod:`dnacase.services.families`. Reading: collectors, reviewers, admins
(labs see barcodes only); recording relatives and relationships: collectors and admins.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import JSONBody, MultipartBody
from litestar.response import File, Redirect, Template

from dnacase.domain import relationships as rels
from dnacase.i18n import N_
from dnacase.i18n import gettext as _
from dnacase.models.families import CONSENT_SCOPES, FamilyRelationship, Relative
from dnacase.services import families as service
from dnacase.services.errors import DomainError
from dnacase.web.auth import request_meta
from dnacase.web.controllers import NavItem
from dnacase.web.controllers.registry import (
    SEX_LABELS,
    api_values,
    choices,
    label,
    upload_of,
    values_of,
)
from dnacase.web.deps import AuthUser, DbSession, FromPath, FromQuery
from dnacase.web.guards import requires_roles
from dnacase.web.responses import flash, form_data, form_page, page, redirect

READ = requires_roles("collector", "reviewer", "admin")
WRITE = requires_roles("collector", "admin")
#: the body may hold a consent form of up to MAX_CONSENT_BYTES plus the other fields, so that
#: an oversize file gets the service's field error rather than the server's generic 413
CONSENT_BODY_BYTES = service.MAX_CONSENT_BYTES + 1024 * 1024

CONSENT_LABELS = {
    "identification": N_("identification of the missing person only"),
    "identification_and_search": N_("identification and searches against other cases"),
    "research": N_("identification, searches and anonymous research"),
}


def upload_dir(request: Request[Any, Any, Any]) -> Path:
    """Where uploaded files are kept: ``<var dir>/uploads`` of the settings."""
    return Path(request.app.state.settings.var_dir) / "uploads"


def relationship_choices() -> list[dict[str, str]]:
    """The vocabulary grouped as staff expect it, labels translated."""
    return [{"value": r.code, "label": _(r.label), "group": _(r.group),
             "needs_via": "1" if r.needs_via else ""} for r in rels.VOCABULARY]


def _context(view: service.FamilyView) -> dict[str, Any]:
    return {
        "view": view, "mp": view.missing, "label": label,
        "relationships": [{"value": "", "label": _("choose…")}, *relationship_choices()],
        "rel_label": lambda code: _(rels.BY_CODE[code].label) if code in rels.BY_CODE else code,
        "sexes": choices(("F", "M", "U"), SEX_LABELS),
        "scopes": choices(CONSENT_SCOPES, CONSENT_LABELS, blank=_("no consent recorded yet")),
        "via_options": [{"value": "", "label": _("nobody")}] + [
            {"value": str(m.relative.id), "label": f"{m.relative.full_name} "
             f"({_(rels.BY_CODE[m.link.relationship].label)})"} for m in view.members],
    }


# ----------------------------------------------------------------------------- schemas


@dataclass
class RelativeRead:
    id: int
    full_name: str
    sex: str
    birth_year: int | None
    id_document: str
    contact: str
    deceased: bool
    consent_date: str | None
    consent_scope: str
    consent_form_name: str
    consent_form_sha256: str

    @classmethod
    def of(cls, r: Relative) -> RelativeRead:
        return cls(r.id or 0, r.full_name, r.sex, r.birth_year, r.id_document, r.contact,
                   r.deceased, r.consent_date.isoformat() if r.consent_date else None,
                   r.consent_scope, r.consent_form_name, r.consent_form_sha256)


@dataclass
class RelativeWrite:
    full_name: str
    sex: str
    relationship: str
    via_relative_id: int | None = None
    birth_year: int | None = None
    id_document: str = ""
    contact: str = ""
    deceased: bool = False
    consent_date: str = ""
    consent_scope: str = ""
    notes: str = ""


@dataclass
class RelationshipWrite:
    relative_id: int
    relationship: str
    via_relative_id: int | None = None


@dataclass
class RelationshipRead:
    id: int
    missing_person_id: int
    relative_id: int
    relationship: str
    via_relative_id: int | None

    @classmethod
    def of(cls, link: FamilyRelationship) -> RelationshipRead:
        return cls(link.id or 0, link.missing_person_id, link.relative_id, link.relationship,
                   link.via_relative_id)


@dataclass
class FamilyMemberRead:
    relative: RelativeRead
    relationship: str
    relationship_label: str
    via_relative_id: int | None
    typed: bool
    kits: list[str]


@dataclass
class FamilyRead:
    missing_person_id: int
    registry_number: str
    full_name: str
    members: list[FamilyMemberRead]
    pedigree: dict[str, Any] | None
    problem: str | None


@dataclass
class RelationshipKind:
    code: str
    label: str
    group: str
    implied_sex: str | None
    via: list[str]
    via_required: bool


def _family_read(view: service.FamilyView) -> FamilyRead:
    return FamilyRead(
        view.missing.id or 0, view.missing.registry_number, view.missing.full_name,
        [FamilyMemberRead(RelativeRead.of(m.relative), m.link.relationship,
                          _(rels.BY_CODE[m.link.relationship].label), m.link.via_relative_id,
                          m.typed, [k.barcode for k in m.kits]) for m in view.members],
        view.pedigree.to_dict() if view.pedigree else None, view.problem)


# ----------------------------------------------------------------------------- HTML


class FamilyPages(Controller):
    path = "/registry/{person_id:int}/family"
    include_in_schema = False

    @get("/", name="family_show", guards=[READ])
    async def show(self, db_session: DbSession, person_id: FromPath[int]) -> Template:
        view = await service.family_view(db_session, person_id)
        return form_page("families/family.html", form={"sex": "F"}, form2={}, errors2={},
                         error2=None, **_context(view))

    @get("/pedigree.svg", name="family_svg", guards=[READ])
    async def svg(self, db_session: DbSession, person_id: FromPath[int]) -> Response[str]:
        view = await service.family_view(db_session, person_id)
        return Response(view.svg, media_type="image/svg+xml")

    @post("/relatives", name="family_add_relative", guards=[WRITE],
          request_max_body_size=CONSENT_BODY_BYTES)
    async def add_relative(self, request: Request[Any, Any, Any], db_session: DbSession,
                           user: AuthUser, person_id: FromPath[int]) -> Template | Redirect:
        form = await form_data(request)
        values = values_of(form)
        upload = await upload_of(form, "consent_form")
        values.pop("consent_form", None)
        try:
            relative = await service.add_relative(
                db_session, person_id, values,
                consent_form=service.UploadedFile(*upload) if upload else None,
                upload_dir=upload_dir(request), actor=user, meta=request_meta(request))
        except DomainError as exc:
            view = await service.family_view(db_session, person_id)
            return form_page("families/family.html", form=values, error=exc, form2={},
                             errors2={}, error2=None, **_context(view))
        flash(request, _("%(name)s recorded.", name=relative.full_name))
        return redirect(f"/registry/{person_id}/family")

    @post("/relationships", name="family_add_relationship", guards=[WRITE])
    async def add_relationship(self, request: Request[Any, Any, Any], db_session: DbSession,
                               user: AuthUser, person_id: FromPath[int]) -> Template | Redirect:
        values = values_of(await form_data(request))
        try:
            await service.add_relationship(db_session, person_id, values, actor=user,
                                           meta=request_meta(request))
        except DomainError as exc:
            view = await service.family_view(db_session, person_id)
            return form_page("families/family.html", form={"sex": "F"}, form2=values,
                             errors2=exc.field_errors, error2=exc.message,
                             status_code=exc.status_code, **_context(view))
        flash(request, _("Relationship recorded."))
        return redirect(f"/registry/{person_id}/family")


class RelativePages(Controller):
    path = "/relatives"
    include_in_schema = False

    @get("/", name="relatives_index", guards=[READ])
    async def index(self, db_session: DbSession, q: FromQuery[str] = "") -> Template:
        return page("families/relatives.html", q=q,
                    relatives=await service.search_relatives(db_session, q, limit=200)
                    if q else [])

    @get("/{relative_id:int}", name="relatives_detail", guards=[READ])
    async def detail(self, db_session: DbSession, relative_id: FromPath[int]) -> Template:
        view = await service.relative_view(db_session, relative_id)
        return form_page("families/relative.html", rv=view, label=label, form={},
                         rel_label=lambda c: _(rels.BY_CODE[c].label),
                         consent_label=lambda c: _(CONSENT_LABELS.get(c, c)) if c else "",
                         scopes=choices(CONSENT_SCOPES, CONSENT_LABELS))

    @post("/{relative_id:int}/consent", name="relatives_consent", guards=[WRITE],
          request_max_body_size=CONSENT_BODY_BYTES)
    async def consent(self, request: Request[Any, Any, Any], db_session: DbSession,
                      user: AuthUser, relative_id: FromPath[int]) -> Template | Redirect:
        form = await form_data(request)
        values = values_of(form)
        upload = await upload_of(form, "consent_form")
        values.pop("consent_form", None)
        try:
            await service.record_consent(
                db_session, relative_id, values,
                consent_form=service.UploadedFile(*upload) if upload else None,
                upload_dir=upload_dir(request), actor=user, meta=request_meta(request))
        except DomainError as exc:
            view = await service.relative_view(db_session, relative_id)
            return form_page("families/relative.html", rv=view, label=label, form=values,
                             error=exc, rel_label=lambda c: _(rels.BY_CODE[c].label),
                             consent_label=lambda c: _(CONSENT_LABELS.get(c, c)) if c else "",
                             scopes=choices(CONSENT_SCOPES, CONSENT_LABELS))
        flash(request, _("Consent recorded."))
        return redirect(f"/relatives/{relative_id}")

    @get("/{relative_id:int}/consent-form", name="relatives_consent_form", guards=[READ])
    async def consent_form(self, request: Request[Any, Any, Any], db_session: DbSession,
                           relative_id: FromPath[int]) -> File:
        relative = await service.get_relative(db_session, relative_id)
        path = service.consent_form_path(upload_dir(request), relative)
        return File(path=path, filename=relative.consent_form_name or path.name)


# ----------------------------------------------------------------------------- JSON API


@dataclass
class ConsentUpload:
    """Multipart body of the consent upload: the fields of the HTML form."""

    consent_date: str = ""
    consent_scope: str = ""
    consent_form: UploadFile | None = None


class FamilyApi(Controller):
    path = "/api"
    tags = ["families"]  # noqa: RUF012

    @get("/relationships", guards=[READ], summary="The relationship vocabulary")
    async def vocabulary(self) -> list[RelationshipKind]:
        return [RelationshipKind(r.code, _(r.label), r.group, r.implied_sex, list(r.via),
                                 r.needs_via) for r in rels.VOCABULARY]

    @get("/missing-persons/{person_id:int}/family", guards=[READ],
         summary="A missing person's family and pedigree")
    async def family(self, db_session: DbSession, person_id: FromPath[int]) -> FamilyRead:
        return _family_read(await service.family_view(db_session, person_id))

    @post("/missing-persons/{person_id:int}/family/relatives", guards=[WRITE],
          summary="Record a relative (signed consent form: POST /api/relatives/{id}/consent)")
    async def add_relative(self, request: Request[Any, Any, Any], db_session: DbSession,
                           user: AuthUser, person_id: FromPath[int],
                           data: JSONBody[RelativeWrite]) -> RelativeRead:
        values = api_values(data)
        values["deceased"] = "on" if data.deceased else ""
        relative = await service.add_relative(db_session, person_id, values,
                                              upload_dir=upload_dir(request), actor=user,
                                              meta=request_meta(request))
        return RelativeRead.of(relative)

    @post("/missing-persons/{person_id:int}/family/relationships", guards=[WRITE],
          summary="Record a relationship of an already recorded relative")
    async def add_relationship(self, request: Request[Any, Any, Any], db_session: DbSession,
                               user: AuthUser, person_id: FromPath[int],
                               data: JSONBody[RelationshipWrite]) -> RelationshipRead:
        link = await service.add_relationship(db_session, person_id, api_values(data),
                                              actor=user, meta=request_meta(request))
        return RelationshipRead.of(link)

    @post("/relatives/{relative_id:int}/consent", guards=[WRITE],
          request_max_body_size=CONSENT_BODY_BYTES,
          summary="Record a relative's consent with the signed form (multipart)")
    async def record_consent(self, request: Request[Any, Any, Any], db_session: DbSession,
                             user: AuthUser, relative_id: FromPath[int],
                             data: MultipartBody[ConsentUpload]) -> RelativeRead:
        """Fields ``consent_date`` (YYYY-MM-DD), ``consent_scope`` and the file
        ``consent_form`` (PDF, JPEG or PNG, at most 10 MB): the same checks as the HTML page;
        400 with ``fields`` when refused."""
        upload = None
        if data.consent_form is not None and data.consent_form.filename:
            content = await data.consent_form.read()
            if content:
                upload = service.UploadedFile(data.consent_form.filename, content)
        relative = await service.record_consent(
            db_session, relative_id, {"consent_date": data.consent_date,
                                      "consent_scope": data.consent_scope},
            consent_form=upload, upload_dir=upload_dir(request), actor=user,
            meta=request_meta(request))
        return RelativeRead.of(relative)

    @get("/relatives", guards=[READ], summary="Search relatives by name")
    async def search(self, db_session: DbSession, q: FromQuery[str] = "") -> list[RelativeRead]:
        return [RelativeRead.of(r) for r in await service.search_relatives(db_session, q)]

    @get("/relatives/{relative_id:int}", guards=[READ], summary="A relative")
    async def get_relative(self, db_session: DbSession,
                           relative_id: FromPath[int]) -> RelativeRead:
        return RelativeRead.of(await service.get_relative(db_session, relative_id))


ROUTE_HANDLERS: list[Any] = [FamilyPages, RelativePages, FamilyApi]
NAV_ITEMS = [
    NavItem(N_("Relatives"), "/relatives", ("collector", "reviewer", "admin"),
            N_("Reference persons, their consent and kits."), order=30),
]
