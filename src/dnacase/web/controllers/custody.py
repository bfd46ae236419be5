"""Shipments (printable manifests, lab check-in) and the custody chain check.

Both sides call :mod:`dnacase.services.kits` / :mod:`dnacase.services.custody`. Everyone with a
role reads shipments; collectors and admins send them; labs and admins check them in; admins
verify the custody hash chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import JSONBody
from litestar.response import Redirect, Template

from dnacase.i18n import N_
from dnacase.i18n import gettext as _
from dnacase.models.kits import Shipment
from dnacase.services import custody as custody_service
from dnacase.services import kits as service
from dnacase.services.errors import DomainError
from dnacase.web.auth import request_meta
from dnacase.web.controllers import NavItem
from dnacase.web.controllers.kits import kit_label
from dnacase.web.controllers.registry import api_values, values_of
from dnacase.web.deps import AuthUser, DbSession, FromPath
from dnacase.web.guards import requires_roles
from dnacase.web.responses import flash, form_data, form_page, page, redirect

ANY_ROLE = requires_roles("collector", "lab", "reviewer", "admin")
SEND = requires_roles("collector", "admin")
LAB = requires_roles("lab", "admin")
ADMIN = requires_roles("admin")

ITEM_LABELS = {"listed": N_("listed"), "received": N_("received"), "missing": N_("missing"),
               "unexpected": N_("unexpected")}
SHIPMENT_LABELS = {"sent": N_("sent"), "received": N_("checked in")}


def item_label(code: str) -> str:
    text = ITEM_LABELS.get(code) or SHIPMENT_LABELS.get(code)
    return _(text) if text else code


@dataclass
class ShipmentItemRead:
    barcode: str
    status: str


@dataclass
class ShipmentRead:
    id: int
    accession: str
    lab_name: str
    state: str
    sent_at: str
    received_at: str | None
    notes: str
    items: list[ShipmentItemRead]


@dataclass
class ShipmentWrite:
    lab_name: str
    barcodes: list[str]
    notes: str = ""


@dataclass
class CheckInWrite:
    barcodes: list[str]


@dataclass
class CheckInRead:
    accession: str
    received: list[str]
    missing: list[str]
    unexpected: list[str]


@dataclass
class CustodyVerifyRead:
    ok: bool
    checked: int
    first_bad_seq: int | None
    reason: str | None


async def _shipment_read(db_session: Any, shipment: Shipment) -> ShipmentRead:
    items = await service.shipment_items(db_session, shipment.id)  # type: ignore[arg-type]
    return ShipmentRead(shipment.id or 0, shipment.accession, shipment.lab_name, shipment.state,
                        shipment.sent_at.isoformat(),
                        shipment.received_at.isoformat() if shipment.received_at else None,
                        shipment.notes, [ShipmentItemRead(i.barcode, i.status) for i in items])


def _barcodes_text(values: dict[str, Any]) -> dict[str, Any]:
    return {**values, "barcodes": "\n".join(values["barcodes"])
            if isinstance(values.get("barcodes"), list) else values.get("barcodes", "")}


class ShipmentPages(Controller):
    path = "/shipments"
    include_in_schema = False

    @get("/", name="shipments_index", guards=[ANY_ROLE])
    async def index(self, db_session: DbSession) -> Template:
        return page("custody/shipments.html", shipments=await service.list_shipments(db_session),
                    item_label=item_label)

    @get("/new", name="shipments_new", guards=[SEND])
    async def new(self, db_session: DbSession) -> Template:
        collected = await service.list_kits(db_session, states=("collected",), per_page=500)
        return form_page("custody/shipment_form.html", form={}, collected=collected.items)

    @post("/", name="shipments_create", guards=[SEND])
    async def create(self, request: Request[Any, Any, Any], db_session: DbSession,
                     user: AuthUser) -> Template | Redirect:
        form = await form_data(request)
        values = values_of(form)
        values["barcodes"] = "\n".join([values.get("barcodes") or "", *form.getall("kit")]
                                       if "kit" in form else [values.get("barcodes") or ""])
        values.pop("kit", None)
        try:
            shipment = await service.create_shipment(db_session, values, actor=user,
                                                     meta=request_meta(request))
        except DomainError as exc:
            collected = await service.list_kits(db_session, states=("collected",), per_page=500)
            return form_page("custody/shipment_form.html", form=values, error=exc,
                             collected=collected.items)
        flash(request, _("Shipment %(s)s recorded: print the manifest.", s=shipment.accession))
        return redirect(f"/shipments/{shipment.id}")

    @get("/{shipment_id:int}", name="shipments_detail", guards=[ANY_ROLE])
    async def detail(self, db_session: DbSession, shipment_id: FromPath[int]) -> Template:
        shipment = await service.get_shipment(db_session, shipment_id)
        items = await service.shipment_items(db_session, shipment_id)
        return page("custody/shipment.html", shipment=shipment, items=items,
                    item_label=item_label, kit_label=kit_label,
                    manifest=service.label_svg(shipment.accession))

    @get("/{shipment_id:int}/check-in", name="shipments_check_in_form", guards=[LAB])
    async def check_in_form(self, db_session: DbSession, shipment_id: FromPath[int]) -> Template:
        shipment = await service.get_shipment(db_session, shipment_id)
        return form_page("custody/check_in.html", shipment=shipment, form={}, report=None)

    @post("/{shipment_id:int}/check-in", name="shipments_check_in", guards=[LAB])
    async def check_in(self, request: Request[Any, Any, Any], db_session: DbSession,
                       user: AuthUser, shipment_id: FromPath[int]) -> Template:
        shipment = await service.get_shipment(db_session, shipment_id)
        values = values_of(await form_data(request))
        try:
            report = await service.check_in(db_session, shipment_id, values, actor=user,
                                            meta=request_meta(request))
        except DomainError as exc:
            return form_page("custody/check_in.html", shipment=shipment, form=values,
                             error=exc, report=None)
        return form_page("custody/check_in.html", shipment=shipment, form={}, report=report)


class CustodyPages(Controller):
    path = "/custody"
    include_in_schema = False

    @get("/verify", name="custody_verify", guards=[ADMIN])
    async def verify(self, db_session: DbSession) -> Template:
        return page("custody/verify.html", result=await custody_service.verify(db_session))


class ShipmentApi(Controller):
    path = "/api"
    tags = ["custody"]  # noqa: RUF012

    @get("/shipments", guards=[ANY_ROLE], summary="Recent shipments")
    async def list_shipments(self, db_session: DbSession) -> list[ShipmentRead]:
        return [await _shipment_read(db_session, s)
                for s, _counts in await service.list_shipments(db_session)]

    @post("/shipments", guards=[SEND], summary="Send collected kits to a laboratory")
    async def create(self, request: Request[Any, Any, Any], db_session: DbSession,
                     user: AuthUser, data: JSONBody[ShipmentWrite]) -> ShipmentRead:
        shipment = await service.create_shipment(db_session, _barcodes_text(api_values(data)),
                                                 actor=user, meta=request_meta(request))
        return await _shipment_read(db_session, shipment)

    @get("/shipments/{shipment_id:int}", guards=[ANY_ROLE], summary="A shipment's manifest")
    async def get_shipment(self, db_session: DbSession,
                           shipment_id: FromPath[int]) -> ShipmentRead:
        return await _shipment_read(db_session,
                                    await service.get_shipment(db_session, shipment_id))

    @post("/shipments/{shipment_id:int}/check-in", guards=[LAB],
          summary="Check a shipment in (missing and unexpected kits flagged)")
    async def check_in(self, request: Request[Any, Any, Any], db_session: DbSession,
                       user: AuthUser, shipment_id: FromPath[int],
                       data: JSONBody[CheckInWrite]) -> CheckInRead:
        report = await service.check_in(db_session, shipment_id,
                                        _barcodes_text(api_values(data)), actor=user,
                                        meta=request_meta(request))
        return CheckInRead(report.shipment.accession, report.received, report.missing,
                           report.unexpected)

    @get("/custody/verify", guards=[ADMIN], summary="Verify the custody hash chain")
    async def verify(self, db_session: DbSession) -> CustodyVerifyRead:
        r = await custody_service.verify(db_session)
        return CustodyVerifyRead(r.ok, r.checked, r.first_bad_seq, r.reason)


ROUTE_HANDLERS: list[Any] = [ShipmentPages, CustodyPages, ShipmentApi]
NAV_ITEMS = [
    NavItem(N_("Shipments"), "/shipments", ("collector", "lab", "reviewer", "admin"),
            N_("Manifests of kits sent to the laboratory; check-in."), order=45),
]
