"""Shared pieces for SQLModel tables.

Import ``SQLModel``, ``Field``, ``Relationship`` and the column helpers from here so every table
uses the naming convention (set in :mod:`dnacase.db`), UTC datetimes and the portable JSON type.

Rules: table models (``table=True``) are never accepted as request data (SQLModel skips validation
on them); use separate create/update/read schemas. Relationships are either declared
``lazy="selectin"`` or loaded explicitly with ``selectinload``.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Field, Relationship, SQLModel

from dnacase.db import NAMING_CONVENTION, JSONType, UTCDateTime, as_utc, utcnow

__all__ = [
    "NAMING_CONVENTION",
    "Field",
    "JSONType",
    "Relationship",
    "SQLModel",
    "UTCDateTime",
    "as_utc",
    "json_field",
    "utc_field",
    "utcnow",
]


def utc_field(*, nullable: bool = False, index: bool = False, default_now: bool = True) -> Any:
    """A UTC timestamp column; defaults to now (UTC) unless ``default_now=False``."""
    kwargs: dict[str, Any] = {"sa_type": UTCDateTime, "nullable": nullable, "index": index}
    if default_now and not nullable:
        kwargs["default_factory"] = utcnow
    else:
        kwargs["default"] = None
    return Field(**kwargs)


def json_field(*, nullable: bool = True) -> Any:
    """A JSON column (JSONB on PostgreSQL)."""
    return Field(default=None, sa_type=JSONType, nullable=nullable)
