"""Review queue, candidate page, decisions, withdrawal and the identification report.

Pages and JSON API side by side, both calling :mod:`dnacase.services.review` and
:mod:`dnacase.services.report`. Reviewers and admins only. Blind second review: the candidate
page shows the round's earlier decisions only to a reviewer who has already decided.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.params import JSONBody
from litestar.response import Redirect, Response, Template

from dnacase.i18n import N_, get_locale
from dnacase.i18n import gettext as _
from dnacase.services import joint_analysis, posteriors, report_evidence, review_queue
from dnacase.services import report as report_service
from dnacase.services import review as service
from dnacase.services.errors import DomainError
from dnacase.services.review_rivals import Rival, closed_reason_text
from dnacase.web.auth import request_meta
from dnacase.web.controllers import NavItem
from dnacase.web.deps import AuthUser, DbSession, FromPath, FromQuery
from dnacase.web.guards import requires_roles
from dnacase.web.responses import flash, form_data, form_page, page, redirect

REVIEW = requires_roles("reviewer", "admin")
ADMIN = requires_roles("admin")
STATUSES = ("open", "confirmed", "rejected", "more_references", "withdrawn", "closed_rival")


def item_json(it: service.QueueItem, rules: tuple[str, ...] | None = None) -> dict[str, Any]:
    return {
        "case_id": it.case.id, "status": it.case.status, "round": it.case.round,
        "remains_id": it.case.remains_id, "missing_person_id": it.case.missing_person_id,
        "missing_person": it.missing.full_name, "registry_number": it.missing.registry_number,
        "log10_lr": it.result.log10_lr, "prior": it.result.prior,
        "posterior": it.case.posterior, "loci_compared": it.result.loci_compared,
        "rules_met": list(rules) if rules is not None else None,
        "inconsistent": it.result.inconsistent, "run_id": it.result.run_id,
        "grave": it.grave.label if it.grave else None,
        "cemetery": it.cemetery.name if it.cemetery else None,
        "ambiguous": it.ambiguous, "log10_ratio_families": it.log10_ratio_families,
        "log10_ratio_remains": it.log10_ratio_remains,
        "other_families": [{"missing_person_id": c.missing_person_id, "name": c.name,
                            "log10_lr": c.log10_lr} for c in it.other_families],
        "other_remains": [{"remains_id": c.remains_id, "log10_lr": c.log10_lr}
                          for c in it.other_remains],
        "closed_by_case_id": it.case.closed_by_case_id,
    }


def rival_json(r: Rival) -> dict[str, Any]:
    return {"case_id": r.case.id, "status": r.case.status, "same": r.same,
            "remains_id": r.case.remains_id, "missing_person_id": r.case.missing_person_id,
            "missing_person": r.name, "remains": r.remains, "log10_lr": r.log10_lr,
            "posterior": r.posterior, "active": r.active}


@dataclass
class DecisionWrite:
    """``decision`` has no default; ``acknowledge_rivals`` must be true to confirm a case while
    rival cases of the same remains or missing person are open."""

    decision: str
    reason: str
    suggested_relative: str = ""
    acknowledge_rivals: bool = False


@dataclass
class WithdrawWrite:
    reason: str


async def _detail_page(db_session: Any, user: Any, case_id: int, *, form: dict | None = None,
                       error: DomainError | None = None) -> Template:
    detail = await report_service.candidate_detail(db_session, case_id, viewer=user)
    detail.joint, joint_error = await joint_analysis.joint_for_page(db_session, case_id)
    mine = any(d.reviewer_id == user.id and d.round == detail.item.case.round
               for d in detail.decisions)
    rivals = await service.rivals_of(db_session, detail.item.case)
    lang = get_locale()
    return form_page("review/candidate.html", d=detail, it=detail.item, form=form or {},
                     error=error, already_decided=mine, rivals=rivals,
                     active_rivals=[r for r in rivals if r.active],
                     rival_ids=", ".join(f"#{r.case.id}" for r in rivals if r.active),
                     pl=report_service.posterior_lines(detail, lang, html=True),
                     prior_sentence=report_service.prior_sentence(detail, lang),
                     ev=report_evidence.evidence_lines(detail, lang, html=True),
                     versions_title=report_evidence.title(lang, "genotypes"), lang=lang,
                     closed_reason=closed_reason_text(detail.item.case.closed_reason),
                     joint=detail.joint, joint_error=joint_error,
                     joint_remarks=joint_analysis.remarks(detail.joint) if detail.joint else [],
                     joint_engine=joint_analysis.engine_text(detail.joint) if detail.joint
                     else "")


class ReviewPages(Controller):
    path = "/review"
    include_in_schema = False

    @get("/", name="review_queue", guards=[REVIEW])
    async def queue(self, db_session: DbSession, status: FromQuery[str] = "open",
                    after: FromQuery[str] = "", min_lr: FromQuery[float | None] = None,
                    ) -> Template:
        st = status if status in STATUSES else "open"
        result = await review_queue.queue_page(
            db_session, review_queue.QueueFilters(status=st, min_log10_lr=min_lr),
            after=after or None, limit=review_queue.PAGE_SIZE)
        items = result.items
        rules = await posteriors.rules_of_cases(db_session, [(i.case, i.result) for i in items])
        query = urlencode({k: v for k, v in (("status", st), ("min_lr", min_lr))
                           if v is not None})
        return page("review/queue.html", items=items, status=st, statuses=STATUSES,
                    rules=rules, min_lr=min_lr, query=query, after=after,
                    next_cursor=result.next_cursor)

    @get("/{case_id:int}", name="review_case", guards=[REVIEW])
    async def case(self, db_session: DbSession, user: AuthUser,
                   case_id: FromPath[int]) -> Template:
        return await _detail_page(db_session, user, case_id)

    @post("/{case_id:int}/decision", name="review_decide", guards=[REVIEW])
    async def decide(self, request: Request[Any, Any, Any], db_session: DbSession,
                     user: AuthUser, case_id: FromPath[int]) -> Template | Redirect:
        form = {k: v for k, v in (await form_data(request)).items() if k != "_csrf_token"}
        try:
            case = await service.decide(
                db_session, case_id, user, str(form.get("decision") or ""),
                str(form.get("reason") or ""),
                suggested_relative=str(form.get("suggested_relative") or ""),
                acknowledge_rivals=bool(form.get("acknowledge_rivals")),
                request_meta=request_meta(request))
        except DomainError as exc:
            await db_session.rollback()
            return await _detail_page(db_session, user, case_id, form=form, error=exc)
        flash(request, _("Decision recorded. Case status: %(s)s.", s=_(case.status)))
        return redirect(f"/review/{case_id}")

    @post("/{case_id:int}/withdraw", name="review_withdraw", guards=[ADMIN])
    async def withdraw(self, request: Request[Any, Any, Any], db_session: DbSession,
                       user: AuthUser, case_id: FromPath[int]) -> Template | Redirect:
        form = {k: v for k, v in (await form_data(request)).items() if k != "_csrf_token"}
        try:
            await service.withdraw(db_session, case_id, user, str(form.get("reason") or ""),
                                   request_meta=request_meta(request))
        except DomainError as exc:
            await db_session.rollback()
            return await _detail_page(db_session, user, case_id, form=form, error=exc)
        flash(request, _("Identification withdrawn."))
        return redirect(f"/review/{case_id}")

    @get("/{case_id:int}/report", name="review_report", guards=[REVIEW])
    async def report_html(self, db_session: DbSession, case_id: FromPath[int],
                          lang: FromQuery[str] = "vi") -> Template:
        detail = await report_service.candidate_detail(db_session, case_id)
        detail.joint, _err = await joint_analysis.joint_for_page(db_session, case_id)
        ctx = report_service.report_context(detail, lang, html=True)
        return page("report/identification.html", c=ctx, d=detail)

    @get("/{case_id:int}/report.pdf", name="review_report_pdf", guards=[REVIEW])
    async def report_pdf(self, db_session: DbSession, case_id: FromPath[int],
                         lang: FromQuery[str] = "vi") -> Response[bytes]:
        detail = await report_service.candidate_detail(db_session, case_id)
        detail.joint, _err = await joint_analysis.joint_for_page(db_session, case_id)
        lang = "en" if lang == "en" else "vi"
        import asyncio

        pdf = await asyncio.to_thread(report_service.report_pdf, detail, lang)
        return Response(pdf, media_type="application/pdf", headers={
            "content-disposition": f'inline; filename="identification-{case_id}-{lang}.pdf"'})


class ReviewApi(Controller):
    path = "/api/review"
    tags = ["review"]  # noqa: RUF012

    @get("/cases", guards=[REVIEW], summary="The review queue (default: open cases)")
    async def cases(self, db_session: DbSession, status: FromQuery[str] = "open",
                    after: FromQuery[str] = "", limit: FromQuery[int] = 1000,
                    min_log10_lr: FromQuery[float | None] = None,
                    remains_id: FromQuery[int | None] = None,
                    missing_person_id: FromQuery[int | None] = None,
                    ) -> Response[list[dict[str, Any]]]:
        """In queue order, ``limit`` cases (at most 1000) after the cursor ``after``; the next
        page's cursor is in the ``x-next-cursor`` header (absent on the last page)."""
        result = await review_queue.queue_page(
            db_session, review_queue.QueueFilters(
                status=status if status in STATUSES else "open", min_log10_lr=min_log10_lr,
                remains_id=remains_id, missing_person_id=missing_person_id),
            after=after or None, limit=limit)
        items = result.items
        rules = await posteriors.rules_of_cases(db_session, [(i.case, i.result) for i in items])
        headers = {"x-next-cursor": result.next_cursor} if result.next_cursor else {}
        return Response([item_json(i, rules[i.case.id]) for i in items], headers=headers)

    @get("/cases/{case_id:int}", guards=[REVIEW], summary="One candidate with its per-locus LRs")
    async def case(self, db_session: DbSession, user: AuthUser,
                   case_id: FromPath[int]) -> dict[str, Any]:
        d = await report_service.candidate_detail(db_session, case_id, viewer=user)
        rivals = await service.rivals_of(db_session, d.item.case)
        p = d.posterior
        sides = {} if p is None else {
            "posterior_remains": p.remains_side.posterior,
            "log10_posterior_odds_remains": p.remains_side.log10_odds,
            "posterior_family": p.family_side.posterior,
            "log10_posterior_odds_family": p.family_side.log10_odds,
            "posterior": p.decisive.posterior, "log10_posterior_odds": p.decisive.log10_odds,
            "prior": p.remains_side.prior, "prior_none": p.remains_side.prior_none,
            "competitors": [{"remains_id": r.remains_id, "missing_person_id": r.missing_person_id,
                        "log10_lr": r.log10_lr,
                        "posterior_remains": r.posterior.remains_side.posterior,
                        "posterior_family": r.posterior.family_side.posterior}
                       for r in (*d.rivals_person, *d.rivals_remains)]}
        return {**item_json(d.item, d.rules), **sides, "per_locus": d.item.result.per_locus,
                "rivals": [rival_json(r) for r in rivals],
                "decisions": [{"reviewer_id": x.reviewer_id, "decision": x.decision,
                               "reason": x.reason, "round": x.round} for x in d.decisions]}

    @post("/cases/{case_id:int}/decision", guards=[REVIEW], summary="Confirm, reject or ask "
          "for more references (two different reviewers must confirm; acknowledge_rivals: true "
          "to confirm while rival cases are open)")
    async def decide(self, request: Request[Any, Any, Any], db_session: DbSession,
                     user: AuthUser, case_id: FromPath[int],
                     data: JSONBody[DecisionWrite]) -> dict[str, Any]:
        case = await service.decide(db_session, case_id, user, data.decision, data.reason,
                                    suggested_relative=data.suggested_relative,
                                    acknowledge_rivals=data.acknowledge_rivals,
                                    request_meta=request_meta(request))
        return {"case_id": case.id, "status": case.status, "round": case.round}

    @post("/cases/{case_id:int}/withdraw", guards=[ADMIN],
          summary="Withdraw a confirmed identification (admin, with a reason)")
    async def withdraw(self, request: Request[Any, Any, Any], db_session: DbSession,
                       user: AuthUser, case_id: FromPath[int],
                       data: JSONBody[WithdrawWrite]) -> dict[str, Any]:
        case = await service.withdraw(db_session, case_id, user, data.reason,
                                      request_meta=request_meta(request))
        return {"case_id": case.id, "status": case.status}


ROUTE_HANDLERS = [ReviewPages, ReviewApi]
NAV_ITEMS = [NavItem(N_("Review queue"), "/review/", ("reviewer", "admin"),
                     N_("Candidates waiting for two reviewers"), order=61)]
