"""Re-association of remains: the list of candidate pairs (two remains samples that may be one
individual), one pair with its per-locus identity LRs and the "same individual" decision form,
and the JSON API. Reviewers and admins only; two different reviewers must say "same". An admin
can run the remains x remains comparison now (it also runs after ``dnacase search run|resume``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import JSONBody
from litestar.response import Redirect, Template

from dnacase.i18n import N_
from dnacase.i18n import gettext as _
from dnacase.models.reassociation import PAIR_STATUSES
from dnacase.services import reassociation as service
from dnacase.services import reassociation_scan
from dnacase.services.errors import DomainError
from dnacase.services.search_inputs import DatabaseProfileSource
from dnacase.settings import Settings
from dnacase.web.auth import request_meta
from dnacase.web.controllers import NavItem
from dnacase.web.deps import AuthUser, DbSession, FromPath, FromQuery
from dnacase.web.guards import requires_roles
from dnacase.web.responses import flash, form_data, form_page, page, redirect

REVIEW = requires_roles("reviewer", "admin")
ADMIN = requires_roles("admin")


def pair_json(it: service.PairItem) -> dict[str, Any]:
    p = it.pair
    return {"pair_id": p.id, "status": p.status, "remains_a_id": p.remains_a_id,
            "remains_b_id": p.remains_b_id, "log10_lr": p.log10_lr,
            "loci_compared": p.loci_compared, "details": p.details,
            "places": [it.a.text, it.b.text],
            "decisions": [{"reviewer_id": d.reviewer_id, "decision": d.decision,
                           "reason": d.reason} for d in it.decisions]}


@dataclass
class PairDecisionWrite:
    decision: str
    reason: str


async def _detail(db_session: Any, user: Any, pair_id: int, *, form: dict | None = None,
                  error: DomainError | None = None) -> Template:
    it = await service.get_pair(db_session, pair_id, viewer=user)
    mine = any(d.reviewer_id == user.id for d in it.decisions)
    return form_page("reassociation/pair.html", it=it, form=form or {}, error=error,
                     already_decided=mine)


class ReassociationPages(Controller):
    path = "/reassociation"
    include_in_schema = False

    @get("/", name="reassociation_list", guards=[REVIEW])
    async def index(self, db_session: DbSession, status: FromQuery[str] = "open") -> Template:
        st = status if status in PAIR_STATUSES else "open"
        return page("reassociation/index.html", items=await service.list_pairs(
            db_session, status=st), status=st, statuses=PAIR_STATUSES)

    @post("/scan", name="reassociation_scan", guards=[ADMIN])
    async def scan(self, request: Request[Any, Any, Any], db_session: DbSession,
                   user: AuthUser) -> Redirect:
        settings: Settings = request.app.state["settings"]
        rep = await reassociation_scan.scan_remains_pairs(
            db_session, DatabaseProfileSource(), min_log10=settings.reassociation_min_log10,
            actor=user, request_meta=request_meta(request))
        flash(request, _("%(n)d remains profiles compared; %(queued)d new candidates, "
                         "%(updated)d updated.", n=rep.profiles, queued=rep.queued,
                         updated=rep.updated))
        return redirect("/reassociation/")

    @get("/{pair_id:int}", name="reassociation_pair", guards=[REVIEW])
    async def pair(self, db_session: DbSession, user: AuthUser,
                   pair_id: FromPath[int]) -> Template:
        return await _detail(db_session, user, pair_id)

    @post("/{pair_id:int}/decision", name="reassociation_decide", guards=[REVIEW])
    async def decide(self, request: Request[Any, Any, Any], db_session: DbSession,
                     user: AuthUser, pair_id: FromPath[int]) -> Template | Redirect:
        form = {k: v for k, v in (await form_data(request)).items() if k != "_csrf_token"}
        try:
            pair = await service.decide_pair(
                db_session, pair_id, user, str(form.get("decision") or ""),
                str(form.get("reason") or ""), request_meta=request_meta(request))
        except DomainError as exc:
            await db_session.rollback()
            return await _detail(db_session, user, pair_id, form=form, error=exc)
        flash(request, _("Decision recorded. Case status: %(s)s.", s=_(pair.status)))
        return redirect(f"/reassociation/{pair_id}")


class ReassociationApi(Controller):
    path = "/api/reassociation"
    tags = ["review"]  # noqa: RUF012

    @get("/pairs", guards=[REVIEW], summary="Re-association candidates (default: open)")
    async def pairs(self, db_session: DbSession,
                    status: FromQuery[str] = "open") -> list[dict[str, Any]]:
        st = status if status in PAIR_STATUSES else "open"
        return [pair_json(i) for i in await service.list_pairs(db_session, status=st)]

    @get("/pairs/{pair_id:int}", guards=[REVIEW], summary="One re-association candidate")
    async def pair(self, db_session: DbSession, user: AuthUser,
                   pair_id: FromPath[int]) -> dict[str, Any]:
        return pair_json(await service.get_pair(db_session, pair_id, viewer=user))

    @post("/pairs/{pair_id:int}/decision", guards=[REVIEW], summary="Same individual or "
          "different individuals (two different reviewers must say 'same')")
    async def decide(self, request: Request[Any, Any, Any], db_session: DbSession,
                     user: AuthUser, pair_id: FromPath[int],
                     data: JSONBody[PairDecisionWrite]) -> dict[str, Any]:
        pair = await service.decide_pair(db_session, pair_id, user, data.decision, data.reason,
                                         request_meta=request_meta(request))
        return {"pair_id": pair.id, "status": pair.status}


ROUTE_HANDLERS = [ReassociationPages, ReassociationApi]
NAV_ITEMS = [NavItem(N_("Re-association"), "/reassociation/", ("reviewer", "admin"),
                     N_("Remains samples that may be one individual"), order=62)]
