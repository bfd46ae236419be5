"""Kits: batches, printable labels, the kit (sample) page with its chain of custody, lab outcome.

Both sides call :mod:`dnacase.services.kits`. Everyone with a role reads kits (labs see
barcodes, not relatives' names); collectors and admins register batches and print labels; labs
and admins record the outcome (profiled / failed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.params import JSONBody, QueryParameter
from litestar.response import Redirect, Template

from dnacase.domain import kit_states as ks
from dnacase.i18n import N_
from dnacase.i18n import gettext as _
from dnacase.models.custody import CustodyEvent
from dnacase.models.kits import Kit
from dnacase.services import kits as service
from dnacase.services.errors import DomainError
from dnacase.web.auth import request_meta
from dnacase.web.controllers import NavItem
from dnacase.web.controllers.registry import label, values_of
from dnacase.web.deps import AuthUser, DbSession, FromPath, FromQuery
from dnacase.web.guards import requires_roles
from dnacase.web.responses import flash, form_data, form_page, page, redirect

StateQuery = Annotated[str, QueryParameter(name="state", description="a kit state")]
ANY_ROLE = requires_roles("collector", "lab", "reviewer", "admin")
ISSUE = requires_roles("collector", "admin")
LAB = requires_roles("lab", "admin")

STATE_LABELS = {
    "issued": N_("issued"), "collected": N_("collected"), "shipped": N_("shipped"),
    "received": N_("received by lab"), "profiled": N_("profiled"), "failed": N_("failed"),
}
ACTION_LABELS = {
    "collect": N_("collect"), "ship": N_("ship"), "receive": N_("receive"),
    "profile": N_("profile"), "fail": N_("fail"),
}
EVENT_LABELS = {
    **STATE_LABELS, "missing": N_("missing at check-in"),
    "unexpected": N_("unexpected at check-in"), "handed_over": N_("handed over"),
}
SAMPLE_LABELS = {
    "buccal_swab": N_("buccal swab"), "blood_card": N_("blood card"),
    "bone_or_tooth": N_("bone or tooth"), "tooth": N_("tooth"), "petrous bone": N_("petrous bone"),
    "femur": N_("femur"), "tibia": N_("tibia"), "humerus": N_("humerus"),
    "other long bone": N_("other long bone"), "other": N_("other"),
    "reference": N_("reference sample"), "remains": N_("remains sample"),
}


def kit_label(code: str) -> str:
    """Translated label of a state, action, custody event or sample type."""
    text = (STATE_LABELS.get(code) or ACTION_LABELS.get(code) or EVENT_LABELS.get(code)
            or SAMPLE_LABELS.get(code))
    return _(text) if text else code


def can_see_people(user: Any) -> bool:
    """Labs see barcodes only; other roles see who a sample comes from."""
    return bool(user and user.has_role("collector", "reviewer", "admin"))


def party_shown(view: service.KitView, people: bool) -> Any:
    """``party(event, "from_party")``: the party as shown; a relative's name is withheld from
    users who may not see people (labs)."""
    withheld = (not people and view.sample is not None and view.sample.relative is not None)

    def party(event: CustodyEvent, which: str) -> str:
        value = getattr(event, which)
        if withheld and event.event == "collected" and which == "from_party":
            return _("a relative (name withheld)")
        return str(value)

    return party


# ----------------------------------------------------------------------------- schemas


@dataclass
class CustodyEventRead:
    seq: int
    event: str
    at: str
    from_party: str
    to_party: str
    location: str
    actor: str
    notes: str
    shipment_id: int | None
    hash: str

    @classmethod
    def of(cls, ev: CustodyEvent, party: Any = None) -> CustodyEventRead:
        from_party = party(ev, "from_party") if party else ev.from_party
        return cls(ev.seq, ev.event, ev.at.isoformat(), from_party, ev.to_party, ev.location,
                   ev.actor_username, ev.notes, ev.shipment_id, ev.hash)


@dataclass
class SampleRead:
    kind: str
    sample_type: str
    element: str
    collected_at: str
    place: str
    collector: str
    relative_id: int | None
    grave_id: int | None
    source: str | None


@dataclass
class KitRead:
    barcode: str
    state: str
    allowed_actions: list[str]
    sample: SampleRead | None
    custody: list[CustodyEventRead]


@dataclass
class KitSummary:
    barcode: str
    state: str
    year: int
    sequence: int

    @classmethod
    def of(cls, kit: Kit) -> KitSummary:
        return cls(kit.barcode, kit.state, kit.year, kit.sequence)


@dataclass
class BatchWrite:
    count: int
    notes: str = ""


@dataclass
class BatchRead:
    id: int
    year: int
    count: int
    barcodes: list[str]


@dataclass
class OutcomeWrite:
    outcome: str
    notes: str = ""


def kit_read(view: service.KitView, *, people: bool) -> KitRead:
    sample = None
    if view.sample is not None:
        s = view.sample.sample
        sample = SampleRead(s.kind, s.sample_type, s.element, s.collected_at.isoformat(),
                            s.place, s.collector_name, s.relative_id if people else None,
                            view.sample.grave.id if view.sample.grave else None,
                            view.sample.source_label if people else None)
    party = party_shown(view, people)
    return KitRead(view.kit.barcode, view.kit.state, list(view.allowed), sample,
                   [CustodyEventRead.of(e, party) for e in view.events])


# ----------------------------------------------------------------------------- HTML


class KitPages(Controller):
    path = "/kits"
    include_in_schema = False

    @get("/", name="kits_index", guards=[ANY_ROLE])
    async def index(self, db_session: DbSession, kit_state: StateQuery = "",
                    barcode: FromQuery[str] = "",
                    page_no: FromQuery[int] = 1) -> Template | Redirect:
        error = None
        if barcode.strip():
            try:
                kit = await service.get_kit(db_session, barcode)
            except DomainError as exc:
                error = exc.message
            else:
                return redirect(f"/kits/{quote(kit.barcode)}")
        state = kit_state
        result = await service.list_kits(db_session, states=(state,) if state in ks.STATES
                                         else None, page=page_no)
        return page("kits/index.html", result=result, state=state, barcode=barcode,
                    error_message=error, counts=await service.state_counts(db_session),
                    batches=await service.list_batches(db_session, limit=10),
                    kit_label=kit_label, states=ks.STATES,
                    query=f"state={state}" if state else "",
                    status_code=400 if error else 200)

    @get("/batches/new", name="kits_batch_new", guards=[ISSUE])
    async def batch_new(self) -> Template:
        return form_page("kits/batch_form.html", form={"count": "20"})

    @post("/batches", name="kits_batch_create", guards=[ISSUE])
    async def batch_create(self, request: Request[Any, Any, Any], db_session: DbSession,
                           user: AuthUser) -> Template | Redirect:
        values = values_of(await form_data(request))
        try:
            batch, kits = await service.register_batch(
                db_session, values.get("count") or "", notes=values.get("notes") or "",
                actor=user, meta=request_meta(request))
        except DomainError as exc:
            return form_page("kits/batch_form.html", form=values, error=exc)
        flash(request, _("%(n)d kits registered: %(first)s … %(last)s", n=len(kits),
                         first=kits[0].barcode, last=kits[-1].barcode))
        return redirect(f"/kits/batches/{batch.id}/labels")

    @get("/batches/{batch_id:int}/labels", name="kits_batch_labels", guards=[ISSUE])
    async def labels(self, db_session: DbSession, batch_id: FromPath[int],
                     kind: FromQuery[str] = "both") -> Template:
        batch, kits = await service.get_batch(db_session, batch_id)
        items = [{"barcode": k.barcode,
                  "code": service.label_svg(k.barcode) if kind in ("both", "code128") else "",
                  "qr": service.label_svg(k.barcode, kind="qr") if kind in ("both", "qr")
                  else ""} for k in kits]
        return page("kits/labels.html", batch=batch, items=items, kind=kind)

    @get("/{barcode:str}", name="kits_detail", guards=[ANY_ROLE])
    async def detail(self, db_session: DbSession, user: AuthUser,
                     barcode: FromPath[str]) -> Template:
        view = await service.kit_view(db_session, barcode)
        people = can_see_people(user)
        return form_page("kits/detail.html", view=view, kit_label=kit_label, label=label,
                         people=people, party=party_shown(view, people), form={})

    @get("/{barcode:str}/label.svg", name="kits_label_svg", guards=[ANY_ROLE])
    async def label_svg(self, db_session: DbSession, barcode: FromPath[str],
                        kind: FromQuery[str] = "code128") -> Response[str]:
        kit = await service.get_kit(db_session, barcode)
        return Response(service.label_svg(kit.barcode, kind="qr" if kind == "qr" else "code128"),
                        media_type="image/svg+xml")

    @post("/{barcode:str}/outcome", name="kits_outcome", guards=[LAB])
    async def outcome(self, request: Request[Any, Any, Any], db_session: DbSession,
                      user: AuthUser, barcode: FromPath[str]) -> Template | Redirect:
        values = values_of(await form_data(request))
        try:
            kit = await service.record_outcome(db_session, barcode, values.get("outcome") or "",
                                               notes=values.get("notes") or "", actor=user,
                                               meta=request_meta(request))
        except DomainError as exc:
            view = await service.kit_view(db_session, barcode)
            people = can_see_people(user)
            return form_page("kits/detail.html", view=view, kit_label=kit_label, label=label,
                             people=people, party=party_shown(view, people), form=values,
                             error=exc)
        flash(request, _("Kit %(b)s: %(state)s.", b=kit.barcode, state=kit_label(kit.state)))
        return redirect(f"/kits/{quote(kit.barcode)}")


# ----------------------------------------------------------------------------- JSON API


class KitApi(Controller):
    path = "/api/kits"
    tags = ["kits"]  # noqa: RUF012

    @get("/", guards=[ANY_ROLE], summary="Kits, optionally in one state")
    async def list_kits(self, db_session: DbSession, kit_state: StateQuery = "",
                        page: FromQuery[int] = 1) -> list[KitSummary]:
        result = await service.list_kits(db_session, states=(kit_state,) if kit_state else None,
                                         page=page)
        return [KitSummary.of(k) for k in result.items]

    @post("/batches", guards=[ISSUE], summary="Register a batch of barcoded kits")
    async def create_batch(self, request: Request[Any, Any, Any], db_session: DbSession,
                           user: AuthUser, data: JSONBody[BatchWrite]) -> BatchRead:
        batch, kits = await service.register_batch(db_session, data.count, notes=data.notes,
                                                   actor=user, meta=request_meta(request))
        return BatchRead(batch.id or 0, batch.year, batch.count, [k.barcode for k in kits])

    @get("/{barcode:str}", guards=[ANY_ROLE],
         summary="A kit: state, next actions, sample, chain of custody")
    async def get_kit(self, db_session: DbSession, user: AuthUser,
                      barcode: FromPath[str]) -> KitRead:
        """A wrong check digit gives 400 with the expected digits; an unknown kit 404."""
        return kit_read(await service.kit_view(db_session, barcode),
                        people=can_see_people(user))

    @get("/{barcode:str}/custody", guards=[ANY_ROLE], summary="A kit's chain of custody")
    async def custody(self, db_session: DbSession, user: AuthUser,
                      barcode: FromPath[str]) -> list[CustodyEventRead]:
        view = await service.kit_view(db_session, barcode)
        party = party_shown(view, can_see_people(user))
        return [CustodyEventRead.of(e, party) for e in view.events]

    @post("/{barcode:str}/outcome", guards=[LAB], summary="Lab outcome: profiled or failed")
    async def outcome(self, request: Request[Any, Any, Any], db_session: DbSession,
                      user: AuthUser, barcode: FromPath[str],
                      data: JSONBody[OutcomeWrite]) -> KitSummary:
        kit = await service.record_outcome(db_session, barcode, data.outcome, notes=data.notes,
                                           actor=user, meta=request_meta(request))
        return KitSummary.of(kit)


ROUTE_HANDLERS: list[Any] = [KitPages, KitApi]
NAV_ITEMS = [
    NavItem(N_("Kits"), "/kits", ("collector", "lab", "reviewer", "admin"),
            N_("Barcoded kits, labels, each sample's chain of custody."), order=40),
]
