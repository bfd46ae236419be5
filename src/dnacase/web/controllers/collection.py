"""The collector's day: dashboard of open kits, search by barcode, collection forms.

Both the HTML forms and the JSON API call :mod:`dnacase.services.kits`. Forms validate
everything before saving and, when they refuse, come back with what was typed and a message
per field. Collectors and admins only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, get, post
from litestar.params import JSONBody
from litestar.response import Redirect, Template

from dnacase.domain.ids import parse_id
from dnacase.i18n import N_
from dnacase.i18n import gettext as _
from dnacase.models.kits import REFERENCE_SAMPLE_TYPES, REMAINS_ELEMENTS, Sample
from dnacase.services import kits as service
from dnacase.services import registry as registry_service
from dnacase.services.errors import DomainError
from dnacase.web.auth import request_meta
from dnacase.web.controllers import NavItem
from dnacase.web.controllers.kits import SAMPLE_LABELS, KitSummary, kit_label
from dnacase.web.controllers.registry import api_values, choices, values_of
from dnacase.web.deps import AuthUser, DbSession, FromQuery
from dnacase.web.guards import requires_roles
from dnacase.web.responses import flash, form_data, form_page, redirect

COLLECT = requires_roles("collector", "admin")


def _now_local() -> str:
    return service.utcnow().astimezone(service.VIETNAM).strftime("%Y-%m-%dT%H:%M")


async def _reference_context(db_session: Any, form: dict[str, Any]) -> dict[str, Any]:
    relative = None
    if (rid := parse_id(form.get("relative_id"))) is not None:
        from dnacase.models.families import Relative

        relative = await db_session.get(Relative, rid)
    return {"relative": relative,
            "sample_types": choices(REFERENCE_SAMPLE_TYPES, SAMPLE_LABELS)}


async def _remains_context(db_session: Any, form: dict[str, Any]) -> dict[str, Any]:
    grave = cemetery = None
    if (gid := parse_id(form.get("grave_id"))) is not None:
        from dnacase.models.registry import Cemetery, Grave

        grave = await db_session.get(Grave, gid)
        cemetery = await db_session.get(Cemetery, grave.cemetery_id) if grave else None
    cems = await registry_service.list_cemeteries(db_session)
    return {"grave": grave, "grave_cemetery": cemetery,
            "cemeteries": [{"value": "", "label": _("choose…")}] + [
                {"value": str(c.id), "label": f"{c.name} ({c.province})"} for c, _n in cems],
            "elements": [{"value": "", "label": _("choose…")},
                         *choices(REMAINS_ELEMENTS, SAMPLE_LABELS)]}


@dataclass
class ReferenceCollectionWrite:
    barcode: str
    relative_id: int
    sample_type: str
    collected_at: str
    place: str
    notes: str = ""


@dataclass
class RemainsCollectionWrite:
    barcode: str
    element: str
    collected_at: str
    cemetery_id: int | None = None
    plot: str = ""
    row: str = ""
    number: str = ""
    grave_id: int | None = None
    place: str = ""
    notes: str = ""


@dataclass
class CollectionRead:
    barcode: str
    state: str
    kind: str
    sample_type: str
    element: str
    collected_at: str
    place: str


@dataclass
class DashboardRead:
    counts: dict[str, int]
    open_kits: list[KitSummary]


def _collection_read(sample: Sample, barcode: str) -> CollectionRead:
    return CollectionRead(barcode, "collected", sample.kind, sample.sample_type, sample.element,
                          sample.collected_at.isoformat(), sample.place)


class CollectionPages(Controller):
    path = "/collection"
    include_in_schema = False
    guards = [COLLECT]  # noqa: RUF012

    @get("/", name="collection_dashboard")
    async def dashboard(self, db_session: DbSession) -> Template:
        return form_page("collection/dashboard.html", form={},
                         counts=await service.state_counts(db_session),
                         open_kits=await service.open_kits(db_session), kit_label=kit_label)

    @get("/search", name="collection_search")
    async def search(self, db_session: DbSession,
                     barcode: FromQuery[str] = "") -> Template | Redirect:
        try:
            kit = await service.get_kit(db_session, barcode)
        except DomainError as exc:
            return form_page("collection/dashboard.html", form={"barcode": barcode}, error=exc,
                             counts=await service.state_counts(db_session),
                             open_kits=await service.open_kits(db_session),
                             kit_label=kit_label)
        return redirect(f"/kits/{quote(kit.barcode)}")

    @get("/reference", name="collection_reference_form")
    async def reference_form(self, db_session: DbSession, barcode: FromQuery[str] = "",
                             relative_id: FromQuery[str] = "") -> Template:
        form = {"barcode": barcode, "relative_id": relative_id, "sample_type": "buccal_swab",
                "collected_at": _now_local()}
        return form_page("collection/reference.html", form=form,
                         **await _reference_context(db_session, form))

    @post("/reference", name="collection_reference")
    async def reference(self, request: Request[Any, Any, Any], db_session: DbSession,
                        user: AuthUser) -> Template | Redirect:
        values = values_of(await form_data(request))
        try:
            sample = await service.collect_reference(db_session, values, actor=user,
                                                     meta=request_meta(request))
        except DomainError as exc:
            return form_page("collection/reference.html", form=values, error=exc,
                             **await _reference_context(db_session, values))
        kit = await service.get_kit_by_id(db_session, sample.kit_id)
        flash(request, _("Sample recorded on kit %(b)s.", b=kit.barcode))
        return redirect(f"/kits/{quote(kit.barcode)}")

    @get("/remains", name="collection_remains_form")
    async def remains_form(self, db_session: DbSession, barcode: FromQuery[str] = "",
                           grave_id: FromQuery[str] = "") -> Template:
        form = {"barcode": barcode, "grave_id": grave_id, "collected_at": _now_local()}
        return form_page("collection/remains.html", form=form,
                         **await _remains_context(db_session, form))

    @post("/remains", name="collection_remains")
    async def remains(self, request: Request[Any, Any, Any], db_session: DbSession,
                      user: AuthUser) -> Template | Redirect:
        values = values_of(await form_data(request))
        try:
            sample = await service.collect_remains(db_session, values, actor=user,
                                                   meta=request_meta(request))
        except DomainError as exc:
            return form_page("collection/remains.html", form=values, error=exc,
                             **await _remains_context(db_session, values))
        kit = await service.get_kit_by_id(db_session, sample.kit_id)
        flash(request, _("Sample recorded on kit %(b)s.", b=kit.barcode))
        return redirect(f"/kits/{quote(kit.barcode)}")


class CollectionApi(Controller):
    path = "/api/collection"
    tags = ["collection"]  # noqa: RUF012
    guards = [COLLECT]  # noqa: RUF012

    @get("/dashboard", summary="Kit counts by state and the open kits")
    async def dashboard(self, db_session: DbSession) -> DashboardRead:
        kits = await service.open_kits(db_session)
        return DashboardRead(await service.state_counts(db_session),
                             [KitSummary.of(k.kit) for k in kits])

    @post("/reference", summary="Record a reference sample from a relative")
    async def reference(self, request: Request[Any, Any, Any], db_session: DbSession,
                        user: AuthUser, data: JSONBody[ReferenceCollectionWrite]) -> CollectionRead:
        sample = await service.collect_reference(db_session, api_values(data), actor=user,
                                                 meta=request_meta(request))
        kit = await service.get_kit_by_id(db_session, sample.kit_id)
        return _collection_read(sample, kit.barcode)

    @post("/remains", summary="Record a remains sample from a grave")
    async def remains(self, request: Request[Any, Any, Any], db_session: DbSession,
                      user: AuthUser, data: JSONBody[RemainsCollectionWrite]) -> CollectionRead:
        sample = await service.collect_remains(db_session, api_values(data), actor=user,
                                               meta=request_meta(request))
        kit = await service.get_kit_by_id(db_session, sample.kit_id)
        return _collection_read(sample, kit.barcode)


ROUTE_HANDLERS: list[Any] = [CollectionPages, CollectionApi]
NAV_ITEMS = [
    NavItem(N_("Collection"), "/collection", ("collector", "admin"),
            N_("The collector's day: open kits, search by barcode, record samples."), order=10),
]
