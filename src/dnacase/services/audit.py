"""Audit trail: append-only, hash-chained, written in the same transaction as the change.

Every service that changes data calls :func:`record` with the same ``session`` before the unit of
work commits, so the change and its audit entry commit or roll back together::

    before = audit.snapshot(kit)
    kit.state = "shipped"
    await audit.record(session, actor, "kit.ship", kit, before=before, after=audit.snapshot(kit),
                       request_meta=meta)

Hash chain: ``hash = sha256(canonical_json(payload))`` where ``payload`` holds the entry's fields
and ``prev_hash`` (the previous entry's hash; 64 zeros for the first entry). ``canonical_json`` is
UTF-8 JSON with sorted keys and no whitespace; ``at`` is ISO-8601 UTC with microseconds and ``Z``.
Writers lock the chain head (``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite a write to the head
row takes the database write lock) so that ``seq`` is gapless and the chain linear.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import hashlib
import json
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.inspection import inspect as sa_inspect
from sqlmodel import SQLModel

from dnacase.db import as_utc, utcnow
from dnacase.models.audit import GENESIS_HASH, AuditChainHead, AuditEntry
from dnacase.services.errors import NotFound

SENSITIVE_FIELDS: frozenset[str] = frozenset({"password_hash", "password", "secret", "token"})


class ActorLike(Protocol):
    """Anything with ``id`` and ``username`` (the web layer's current user, a ``User``)."""

    @property
    def id(self) -> int | None: ...

    @property
    def username(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Actor:
    """A plain actor value (CLI, system jobs)."""

    id: int | None
    username: str


SYSTEM = Actor(id=None, username="system")


@dataclass(frozen=True, slots=True)
class RequestMeta:
    """Where a change came from."""

    ip: str | None = None
    user_agent: str | None = None


CLI_META = RequestMeta(ip=None, user_agent="dnacase-cli")


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return as_utc(value).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, set | frozenset | tuple):
        return sorted(value, key=str) if isinstance(value, set | frozenset) else list(value)
    if isinstance(value, bytes):
        return hashlib.sha256(value).hexdigest()
    if isinstance(value, SQLModel):
        return snapshot(value)
    raise TypeError(f"cannot put {type(value).__name__} into an audit entry")


def to_jsonable(value: Any) -> Any:
    """Normalise ``value`` to plain JSON types exactly as it will be stored (and hashed)."""
    if value is None:
        return None
    return json.loads(json.dumps(value, default=_json_default, ensure_ascii=False))


def snapshot(obj: SQLModel, *, exclude: Iterable[str] = ()) -> dict[str, Any]:
    """Column values of a table model as JSON-safe data (sensitive fields left out)."""
    skip = SENSITIVE_FIELDS | set(exclude)
    mapper = sa_inspect(type(obj))
    out: dict[str, Any] = {}
    for attr in mapper.column_attrs:
        if attr.key in skip:
            continue
        out[attr.key] = getattr(obj, attr.key)
    return to_jsonable(out)


def canonical_json(payload: Mapping[str, Any]) -> bytes:
    """UTF-8 JSON, keys sorted, no whitespace."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def format_at(at: dt.datetime) -> str:
    return as_utc(at).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_payload(entry: AuditEntry) -> dict[str, Any]:
    """The fields covered by the entry's hash."""
    return {
        "seq": entry.seq,
        "at": format_at(entry.at),
        "actor_id": entry.actor_id,
        "actor_username": entry.actor_username,
        "action": entry.action,
        "entity_type": entry.entity_type,
        "entity_id": entry.entity_id,
        "ip": entry.ip,
        "user_agent": entry.user_agent,
        "before": entry.before,
        "after": entry.after,
        "prev_hash": entry.prev_hash,
    }


def compute_hash(entry: AuditEntry) -> str:
    """SHA-256 (hex) of the canonical JSON of the entry's payload (which includes ``prev_hash``)."""
    return hashlib.sha256(canonical_json(entry_payload(entry))).hexdigest()


def _entity_ref(entity: Any) -> tuple[str, str | None]:
    if isinstance(entity, tuple):
        etype, eid = entity
        return str(etype), None if eid is None else str(eid)
    if isinstance(entity, str):
        return entity, None
    if isinstance(entity, SQLModel):
        table = getattr(type(entity), "__tablename__", type(entity).__name__.lower())
        ident = sa_inspect(entity).identity
        if ident is None:
            pk = [getattr(entity, c.key) for c in sa_inspect(type(entity)).primary_key]
            ident = tuple(pk)
        return str(table), ":".join(str(v) for v in ident) if ident else None
    raise TypeError(
        f"audit entity must be a table model, a (type, id) tuple or a str, not {entity!r}"
    )


async def _lock_head(session: AsyncSession) -> AuditChainHead:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        stmt = select(AuditChainHead).where(AuditChainHead.id == 1).with_for_update()
    else:
        # Writing first takes SQLite's database write lock (waiting up to busy_timeout), so the
        # head we then read cannot change under us until commit.
        await session.execute(text("UPDATE audit_chain_head SET last_seq = last_seq WHERE id = 1"))
        stmt = select(AuditChainHead).where(AuditChainHead.id == 1)
    head = (
        await session.execute(stmt.execution_options(populate_existing=True))
    ).scalar_one_or_none()
    if head is None:
        head = AuditChainHead(id=1, last_seq=0, last_hash=GENESIS_HASH)
        session.add(head)
        await session.flush()
    return head


async def record(
    session: AsyncSession,
    actor: ActorLike | None,
    action: str,
    entity: Any,
    before: Any = None,
    after: Any = None,
    request_meta: RequestMeta | None = None,
    *,
    at: dt.datetime | None = None,
) -> AuditEntry:
    """Append one audit entry in the caller's transaction and return it (flushed).

    ``action``: dotted verb such as ``"user.create"`` or ``"kit.ship"``.
    ``entity``: a table model instance (flushed first if it has no id yet), a ``(type, id)`` tuple,
    or a type name. ``before``/``after``: JSON-able values (use :func:`snapshot` for models).
    """
    if isinstance(entity, SQLModel) and sa_inspect(entity).identity is None:
        await session.flush()
    entity_type, entity_id = _entity_ref(entity)
    meta = request_meta or RequestMeta()
    head = await _lock_head(session)
    entry = AuditEntry(
        seq=head.last_seq + 1,
        at=as_utc(at) if at is not None else utcnow(),
        actor_id=getattr(actor, "id", None) if actor is not None else None,
        actor_username=(getattr(actor, "username", None) if actor is not None else None),
        action=action[:64],
        entity_type=entity_type[:64],
        entity_id=None if entity_id is None else entity_id[:64],
        ip=(meta.ip or None) and meta.ip[:64],
        user_agent=(meta.user_agent or None) and meta.user_agent[:300],
        before=to_jsonable(before),
        after=to_jsonable(after),
        prev_hash=head.last_hash,
        hash="",
    )
    entry.hash = compute_hash(entry)
    session.add(entry)
    head.last_seq = entry.seq
    head.last_hash = entry.hash
    await session.flush()
    return entry


# --------------------------------------------------------------------------- verification


@dataclass(slots=True)
class VerifyResult:
    """Outcome of :func:`verify`: ``ok``, how many entries were checked, the first broken one."""

    ok: bool
    checked: int
    first_bad_seq: int | None = None
    first_bad_id: int | None = None
    reason: str | None = None
    problems: list[str] = field(default_factory=list)


async def verify_hash_chain(
    session: AsyncSession,
    row_model: Any,
    head_model: Any,
    row_hash: Callable[[Any], str],
    *,
    noun: str = "entry",
    batch: int = 2000,
) -> VerifyResult:
    """Recompute a hash chain (``row_model`` rows with ``seq``, ``prev_hash`` and ``hash``, and
    the single ``head_model`` row with ``last_seq``/``last_hash``); stop at the first broken row
    and say what is wrong with it. Shared by the audit log and the custody events."""
    prev_hash = GENESIS_HASH
    expected_seq = 1
    checked = 0
    while True:
        rows = (
            (
                await session.execute(
                    select(row_model)
                    .where(row_model.seq >= expected_seq)
                    .order_by(row_model.seq)
                    .limit(batch)
                    .execution_options(populate_existing=True)
                )
            )
            .scalars()
            .all()
        )
        if not rows:
            break
        for row in rows:
            reason = None
            if row.seq != expected_seq:
                reason = f"sequence gap: expected seq {expected_seq}, found {row.seq}"
            elif row.prev_hash != prev_hash:
                reason = f"prev_hash does not match the previous {noun}'s hash"
            elif row_hash(row) != row.hash:
                reason = f"content does not match its hash ({noun} was modified)"
            if reason:
                return VerifyResult(False, checked, row.seq, row.id, reason)
            prev_hash = row.hash
            expected_seq += 1
            checked += 1

        for row in rows:
            session.expunge(row)
    head = (
        await session.execute(
            select(head_model)
            .where(head_model.id == 1)
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if head is not None and (head.last_seq != checked or head.last_hash != prev_hash):
        return VerifyResult(
            False,
            checked,
            checked + 1 if head.last_seq > checked else checked,
            None,
            f"chain head says {head.last_seq} rows ending in {head.last_hash[:12]}…, "
            f"found {checked} ending in {prev_hash[:12]}… (rows removed or head altered)",
        )
    return VerifyResult(True, checked)


async def verify(session: AsyncSession, *, batch: int = 2000) -> VerifyResult:
    """Recompute the whole audit chain; stop at the first broken entry and say what is wrong."""
    return await verify_hash_chain(
        session, AuditEntry, AuditChainHead, compute_hash, noun="entry", batch=batch
    )


# --------------------------------------------------------------------------- browsing


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Filters for the audit browser; empty fields are ignored. Dates are inclusive (UTC days)."""

    actor: str | None = None
    action: str | None = None
    entity_type: str | None = None
    entity_id: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None


@dataclass(frozen=True, slots=True)
class Page:
    """One page of results (``page`` is 1-based)."""

    items: list[Any]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _apply_filter(stmt: Any, f: AuditFilter) -> Any:
    if f.actor:
        stmt = stmt.where(AuditEntry.actor_username == f.actor.strip().lower())
    if f.action:
        a = f.action.strip()
        stmt = stmt.where(
            AuditEntry.action.startswith(a[:-1]) if a.endswith("*") else AuditEntry.action == a
        )
    if f.entity_type:
        stmt = stmt.where(AuditEntry.entity_type == f.entity_type.strip())
    if f.entity_id:
        stmt = stmt.where(AuditEntry.entity_id == f.entity_id.strip())
    if f.date_from:
        start = dt.datetime.combine(f.date_from, dt.time.min, tzinfo=dt.UTC)
        stmt = stmt.where(AuditEntry.at >= start)
    if f.date_to:
        end = dt.datetime.combine(f.date_to + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
        stmt = stmt.where(AuditEntry.at < end)
    return stmt


async def list_entries(
    session: AsyncSession, filters: AuditFilter, *, page: int = 1, per_page: int = 50
) -> Page:
    """Entries matching ``filters``, newest first."""
    page = max(1, page)
    per_page = min(max(1, per_page), 500)
    total = (
        await session.execute(_apply_filter(select(func.count(AuditEntry.id)), filters))
    ).scalar_one()
    rows = (
        (
            await session.execute(
                _apply_filter(select(AuditEntry), filters)
                .order_by(AuditEntry.seq.desc())
                .offset((page - 1) * per_page)
                .limit(per_page)
            )
        )
        .scalars()
        .all()
    )
    return Page(list(rows), int(total), page, per_page)


async def get_entry(session: AsyncSession, entry_id: int) -> AuditEntry:
    entry = await session.get(AuditEntry, entry_id)
    if entry is None:
        from dnacase.i18n import gettext as _

        raise NotFound(_("Audit entry %(id)s not found.", id=entry_id))
    return entry


async def distinct_values(session: AsyncSession) -> dict[str, list[str]]:
    """Known actions, entity types and actors (for filter drop-downs)."""
    out: dict[str, list[str]] = {}
    for key, col in (
        ("actions", AuditEntry.action),
        ("entity_types", AuditEntry.entity_type),
        ("actors", AuditEntry.actor_username),
    ):
        vals = (await session.execute(select(col).distinct().order_by(col))).scalars().all()
        out[key] = [v for v in vals if v]
    return out
