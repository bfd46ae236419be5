"""Audit log browser and chain verification (admin only)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, get
from litestar.response import Template

from dnacase.i18n import N_
from dnacase.i18n import gettext as _
from dnacase.models.audit import AuditEntry
from dnacase.services import audit as audit_service
from dnacase.services.audit import AuditFilter
from dnacase.services.errors import ValidationFailed
from dnacase.web.controllers import NavItem
from dnacase.web.deps import DbSession, FromPath, FromQuery
from dnacase.web.guards import requires_roles
from dnacase.web.responses import page

ADMIN = requires_roles("admin")
PER_PAGE = 50


def _parse_date(name: str, value: str | None, errors: dict[str, str]) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        errors[name] = _("Use the format YYYY-MM-DD.")
        return None


def _filters(
    actor: str | None,
    action: str | None,
    entity_type: str | None,
    entity_id: str | None,
    date_from: str | None,
    date_to: str | None,
) -> tuple[AuditFilter, dict[str, str]]:
    errors: dict[str, str] = {}
    f = AuditFilter(
        actor=actor or None,
        action=action or None,
        entity_type=entity_type or None,
        entity_id=entity_id or None,
        date_from=_parse_date("date_from", date_from, errors),
        date_to=_parse_date("date_to", date_to, errors),
    )
    return f, errors


class AuditPages(Controller):
    path = "/audit"
    guards = [ADMIN]  # noqa: RUF012
    include_in_schema = False

    @get("/", name="audit_index")
    async def index(
        self,
        db_session: DbSession,
        actor: FromQuery[str | None] = None,
        action: FromQuery[str | None] = None,
        entity_type: FromQuery[str | None] = None,
        entity_id: FromQuery[str | None] = None,
        date_from: FromQuery[str | None] = None,
        date_to: FromQuery[str | None] = None,
        page_no: FromQuery[int] = 1,
    ) -> Template:
        f, errors = _filters(actor, action, entity_type, entity_id, date_from, date_to)
        result = await audit_service.list_entries(db_session, f, page=page_no, per_page=PER_PAGE)
        form = {
            "actor": actor or "",
            "action": action or "",
            "entity_type": entity_type or "",
            "entity_id": entity_id or "",
            "date_from": date_from or "",
            "date_to": date_to or "",
        }
        query = urlencode({k: v for k, v in form.items() if v})
        return page(
            "audit/index.html",
            result=result,
            form=form,
            errors=errors,
            query=query,
            choices=await audit_service.distinct_values(db_session),
        )

    @get("/{entry_id:int}", name="audit_detail")
    async def detail(self, db_session: DbSession, entry_id: FromPath[int]) -> Template:
        entry = await audit_service.get_entry(db_session, entry_id)
        return page("audit/detail.html", entry=entry)

    @get("/verify", name="audit_verify")
    async def verify(self, db_session: DbSession) -> Template:
        result = await audit_service.verify(db_session)
        return page("audit/verify.html", result=result)


@dataclass
class AuditRead:
    id: int
    seq: int
    at: dt.datetime
    actor_id: int | None
    actor_username: str | None
    action: str
    entity_type: str
    entity_id: str | None
    ip: str | None
    user_agent: str | None
    before: Any
    after: Any
    prev_hash: str
    hash: str


@dataclass
class AuditPage:
    items: list[AuditRead]
    total: int
    page: int
    per_page: int
    pages: int


@dataclass
class VerifyRead:
    ok: bool
    checked: int
    first_bad_seq: int | None
    first_bad_id: int | None
    reason: str | None


def to_read(e: AuditEntry) -> AuditRead:
    assert e.id is not None
    return AuditRead(
        e.id,
        e.seq,
        e.at,
        e.actor_id,
        e.actor_username,
        e.action,
        e.entity_type,
        e.entity_id,
        e.ip,
        e.user_agent,
        e.before,
        e.after,
        e.prev_hash,
        e.hash,
    )


class AuditApi(Controller):
    path = "/api/audit"
    guards = [ADMIN]  # noqa: RUF012
    tags = ["audit"]  # noqa: RUF012

    @get("/", summary="Browse the audit log (newest first)")
    async def list_entries(
        self,
        db_session: DbSession,
        actor: FromQuery[str | None] = None,
        action: FromQuery[str | None] = None,
        entity_type: FromQuery[str | None] = None,
        entity_id: FromQuery[str | None] = None,
        date_from: FromQuery[str | None] = None,
        date_to: FromQuery[str | None] = None,
        page_no: FromQuery[int] = 1,
        per_page: FromQuery[int] = PER_PAGE,
    ) -> AuditPage:
        f, errors = _filters(actor, action, entity_type, entity_id, date_from, date_to)
        if errors:
            raise ValidationFailed(_("Please correct the marked fields."), field_errors=errors)
        r = await audit_service.list_entries(db_session, f, page=page_no, per_page=per_page)
        return AuditPage([to_read(e) for e in r.items], r.total, r.page, r.per_page, r.pages)

    @get("/{entry_id:int}", summary="One audit entry")
    async def get_entry(self, db_session: DbSession, entry_id: FromPath[int]) -> AuditRead:
        return to_read(await audit_service.get_entry(db_session, entry_id))

    @get("/verify", summary="Verify the hash chain")
    async def verify(self, db_session: DbSession) -> VerifyRead:
        r = await audit_service.verify(db_session)
        return VerifyRead(r.ok, r.checked, r.first_bad_seq, r.first_bad_id, r.reason)


NAV_ITEMS = [
    NavItem(
        N_("Audit log"),
        "/audit",
        roles=("admin",),
        description=N_("Who changed what, when and from where; chain verification."),
        order=910,
    ),
]

ROUTE_HANDLERS: list[Any] = [AuditPages, AuditApi]
