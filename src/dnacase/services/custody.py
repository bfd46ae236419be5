"""Chain of custody: every hand-over of a kit is an append-only, hash-chained event.

``hash = sha256(canonical_json(payload))`` where the payload holds the event's fields and
``prev_hash`` (the previous event's hash; 64 zeros for the first). Writers lock the chain head
(``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite a write to the head row takes the database
write lock) so that ``seq`` is gapless and the chain linear. :func:`verify` recomputes it.
Events are written by the kit and shipment services, in their transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from dnacase.db import as_utc, utcnow
from dnacase.models.custody import GENESIS_HASH, CustodyChainHead, CustodyEvent
from dnacase.models.kits import Kit
from dnacase.services.audit import (
    ActorLike,
    VerifyResult,
    canonical_json,
    format_at,
    verify_hash_chain,
)


def event_payload(event: CustodyEvent) -> dict[str, Any]:
    """The fields covered by the event's hash."""
    return {
        "seq": event.seq,
        "kit_id": event.kit_id,
        "shipment_id": event.shipment_id,
        "event": event.event,
        "from_party": event.from_party,
        "to_party": event.to_party,
        "location": event.location,
        "actor_id": event.actor_id,
        "actor_username": event.actor_username,
        "at": format_at(event.at),
        "notes": event.notes,
        "prev_hash": event.prev_hash,
    }


def compute_hash(event: CustodyEvent) -> str:
    """SHA-256 (hex) of the canonical JSON of the event (including ``prev_hash``)."""
    return hashlib.sha256(canonical_json(event_payload(event))).hexdigest()


async def _lock_head(session: AsyncSession) -> CustodyChainHead:
    if session.get_bind().dialect.name == "postgresql":
        stmt = select(CustodyChainHead).where(CustodyChainHead.id == 1).with_for_update()
    else:
        await session.execute(
            text("UPDATE custody_chain_head SET last_seq = last_seq WHERE id = 1"))
        stmt = select(CustodyChainHead).where(CustodyChainHead.id == 1)
    head = (await session.execute(stmt.execution_options(populate_existing=True))
            ).scalar_one_or_none()
    if head is None:
        head = CustodyChainHead(id=1, last_seq=0, last_hash=GENESIS_HASH)
        session.add(head)
        await session.flush()
    return head


async def append(
    session: AsyncSession,
    kit: Kit,
    event: str,
    *,
    actor: ActorLike | None,
    from_party: str = "",
    to_party: str = "",
    location: str = "",
    at: dt.datetime | None = None,
    shipment_id: int | None = None,
    notes: str = "",
) -> CustodyEvent:
    """Append one custody event for *kit* in the caller's transaction (flushed)."""
    if kit.id is None:
        await session.flush()
    head = await _lock_head(session)
    record = CustodyEvent(
        seq=head.last_seq + 1,
        kit_id=kit.id,  # type: ignore[arg-type]
        shipment_id=shipment_id,
        event=event,
        from_party=from_party[:200],
        to_party=to_party[:200],
        location=location[:300],
        actor_id=getattr(actor, "id", None),
        actor_username=(getattr(actor, "username", None) or "")[:64],
        at=as_utc(at) if at is not None else utcnow(),
        notes=notes,
        prev_hash=head.last_hash,
        hash="",
    )
    record.hash = compute_hash(record)
    session.add(record)
    head.last_seq = record.seq
    head.last_hash = record.hash
    await session.flush()
    return record


async def append_many(
    session: AsyncSession, kits: list[Kit], event: str, *, actor: ActorLike | None,
    **fields: Any,
) -> list[CustodyEvent]:
    """Append the same event for several kits (one head lock, one flush)."""
    if any(k.id is None for k in kits):
        await session.flush()
    head = await _lock_head(session)
    out = []
    at = fields.pop("at", None)
    when = as_utc(at) if at is not None else utcnow()
    for kit in kits:
        record = CustodyEvent(
            seq=head.last_seq + 1, kit_id=kit.id,  # type: ignore[arg-type]
            shipment_id=fields.get("shipment_id"), event=event,
            from_party=str(fields.get("from_party", ""))[:200],
            to_party=str(fields.get("to_party", ""))[:200],
            location=str(fields.get("location", ""))[:300],
            actor_id=getattr(actor, "id", None),
            actor_username=(getattr(actor, "username", None) or "")[:64],
            at=when, notes=str(fields.get("notes", "")), prev_hash=head.last_hash, hash="",
        )
        record.hash = compute_hash(record)
        session.add(record)
        head.last_seq = record.seq
        head.last_hash = record.hash
        out.append(record)
    await session.flush()
    return out


async def chain_for_kit(session: AsyncSession, kit_id: int) -> list[CustodyEvent]:
    """All custody events of one kit, oldest first."""
    return list((await session.execute(
        select(CustodyEvent).where(CustodyEvent.kit_id == kit_id).order_by(CustodyEvent.seq)
    )).scalars())


async def verify(session: AsyncSession, *, batch: int = 2000) -> VerifyResult:
    """Recompute the whole custody chain; report the first broken event (the audit log's
    verifier, :func:`dnacase.services.audit.verify_hash_chain`)."""
    return await verify_hash_chain(
        session, CustodyEvent, CustodyChainHead, compute_hash, noun="event", batch=batch
    )
