"""Append-only, hash-chained audit log.

Each entry's ``hash`` is ``sha256(prev_hash + canonical_json(entry))`` (hex), where
``canonical_json`` is defined in :mod:`dnacase.services.audit`. ``audit_chain_head`` holds the last
sequence number and hash; writers lock it (``SELECT ... FOR UPDATE`` on PostgreSQL, a write on
SQLite) so that sequence numbers are gapless and the chain is linear under concurrency. Database
triggers (created by the migration) refuse UPDATE and DELETE on ``audit_log``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Index

from dnacase.models.base import Field, SQLModel, json_field, utc_field

GENESIS_HASH = "0" * 64


class AuditEntry(SQLModel, table=True):
    """Who did what to which record, when (UTC), from where, with before/after values."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_entity", "entity_type", "entity_id"),
        Index("ix_audit_log_actor_id", "actor_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(unique=True)
    at: dt.datetime = utc_field(index=True)
    actor_id: int | None = Field(default=None, foreign_key="users.id")
    actor_username: str | None = Field(default=None, max_length=64)
    action: str = Field(max_length=64, index=True)
    entity_type: str = Field(max_length=64)
    entity_id: str | None = Field(default=None, max_length=64)
    ip: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=300)
    before: Any = json_field()
    after: Any = json_field()
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)


class AuditChainHead(SQLModel, table=True):
    """Single row (id=1): the last sequence number and hash of the audit chain."""

    __tablename__ = "audit_chain_head"

    id: int = Field(default=1, primary_key=True)
    last_seq: int = Field(default=0)
    last_hash: str = Field(default=GENESIS_HASH, max_length=64)
