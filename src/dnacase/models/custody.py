"""Chain of custody: an append-only, hash-chained log of every hand-over of a kit.

No ``from __future__ import annotations`` here: SQLModel needs real annotations.
Each event's ``hash`` is the SHA-256 of the canonical JSON of its fields including
``prev_hash`` (see :mod:`dnacase.services.custody`); ``custody_chain_head`` holds the last
sequence number and hash. The migration adds triggers that refuse UPDATE and DELETE.
"""

import datetime as dt

from sqlalchemy import Text

from dnacase.models.base import Field, SQLModel, utc_field

GENESIS_HASH = "0" * 64

CUSTODY_EVENTS: tuple[str, ...] = (
    "issued", "collected", "shipped", "received", "missing", "unexpected", "profiled", "failed",
    "handed_over",
)


class CustodyEvent(SQLModel, table=True):
    """One custody event of one kit: who handed what to whom, where and when."""

    __tablename__ = "custody_events"

    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(unique=True)
    kit_id: int = Field(foreign_key="kits.id", index=True)
    shipment_id: int | None = Field(default=None, foreign_key="shipments.id")
    event: str = Field(max_length=24)
    from_party: str = Field(default="", max_length=200)
    to_party: str = Field(default="", max_length=200)
    location: str = Field(default="", max_length=300)
    actor_id: int | None = Field(default=None, foreign_key="users.id")
    actor_username: str = Field(default="", max_length=64)
    at: dt.datetime = utc_field()
    notes: str = Field(default="", sa_type=Text)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class CustodyChainHead(SQLModel, table=True):
    """The last sequence number and hash of the custody chain (one row, id 1)."""

    __tablename__ = "custody_chain_head"

    id: int = Field(default=1, primary_key=True)
    last_seq: int = Field(default=0)
    last_hash: str = Field(default=GENESIS_HASH, max_length=64)
