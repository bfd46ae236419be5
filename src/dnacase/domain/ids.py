"""Record numbers typed by people: one parser for ids, page numbers and numeric searches.

Database ids are ``INTEGER`` columns (32-bit signed on PostgreSQL), so a number beyond
``DB_INT_MAX`` cannot name a record; comparing such a number with an id column makes PostgreSQL
(and SQLite past 64 bits) raise instead of matching nothing. ``str.isdigit`` also accepts
non-ASCII digits such as ``"²"`` that ``int()`` refuses, so every typed number goes through
:func:`parse_id`.
"""

from __future__ import annotations

from typing import Any

DB_INT_MAX = 2**31 - 1
"""Largest value of a PostgreSQL ``INTEGER`` (ids, page numbers, counts typed in forms)."""

DB_INT_MIN = -(2**31)


def in_db_range(value: int) -> bool:
    """True if ``value`` fits a database ``INTEGER`` column."""
    return DB_INT_MIN <= value <= DB_INT_MAX


def is_ascii_digits(text: str) -> bool:
    """True for a non-empty string of the ASCII digits 0-9 only (not ``"²"``, not ``"٣"``)."""
    return bool(text) and text.isascii() and text.isdigit()


def parse_id(value: Any) -> int | None:
    """The non-negative integer written in ``value`` (surrounding spaces allowed), or ``None`` if
    it is not ASCII digits or does not fit a database ``INTEGER``."""
    text = str(value if value is not None else "").strip()
    if not is_ascii_digits(text) or len(text) > 10:
        return None
    number = int(text)
    return number if number <= DB_INT_MAX else None
