"""The review queue one page at a time: keyset pagination and filters.

The queue order is pool-wide posterior (descending), then log10 LR (descending), then case id;
a page is the ``limit`` cases after a *cursor*, the sort key ``(posterior, log10_lr, id)`` of
the last case shown, so a page costs the same at the head of the queue and deep in it, and
cases decided meanwhile do not shift the following pages. The cursor is opaque to clients
(URL-safe base64 of the JSON key); a malformed one is refused (400).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from dnacase.i18n import gettext as _
from dnacase.models.review import ReviewCase
from dnacase.services.errors import ValidationFailed
from dnacase.services.review import QueueItem, _items

PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True, slots=True)
class QueueFilters:
    """``status`` (``None``: every status); ``min_log10_lr``: only cases whose LR is at least
    10^min_log10_lr; ``remains_id`` / ``missing_person_id``: one remains or missing person."""

    status: str | None = "open"
    min_log10_lr: float | None = None
    remains_id: int | None = None
    missing_person_id: int | None = None


@dataclass(frozen=True, slots=True)
class QueuePage:
    items: list[QueueItem]
    next_cursor: str | None  # ``None``: this is the last page


def encode_cursor(case: ReviewCase) -> str:
    key = json.dumps([case.posterior, case.log10_lr, case.id])
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[float, float, int]:
    """The sort key in ``cursor``; :class:`ValidationFailed` naming the ``after`` field."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        posterior, log10_lr, case_id = json.loads(raw)
        key = (float(posterior), float(log10_lr), int(case_id))
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        key = None
    if key is None or not all(math.isfinite(v) for v in key[:2]) or not 0 < key[2] < 2**31:
        message = _("This page link is not valid; start from the first page.")
        raise ValidationFailed(message, field_errors={"after": message})
    return key


async def queue_page(
    session: AsyncSession,
    filters: QueueFilters | None = None,
    *,
    after: str | None = None,
    limit: int = PAGE_SIZE,
) -> QueuePage:
    """One page of the queue in queue order (see the module docstring), with competitors."""
    f = filters or QueueFilters()
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    q = select(ReviewCase)
    if f.status:
        q = q.where(ReviewCase.status == f.status)
    if f.min_log10_lr is not None:
        q = q.where(ReviewCase.log10_lr >= f.min_log10_lr)
    if f.remains_id is not None:
        q = q.where(ReviewCase.remains_id == f.remains_id)
    if f.missing_person_id is not None:
        q = q.where(ReviewCase.missing_person_id == f.missing_person_id)
    if after:
        p, lr, cid = decode_cursor(after)
        q = q.where(or_(
            ReviewCase.posterior < p,
            and_(ReviewCase.posterior == p, ReviewCase.log10_lr < lr),
            and_(ReviewCase.posterior == p, ReviewCase.log10_lr == lr, ReviewCase.id > cid),
        ))
    q = q.order_by(ReviewCase.posterior.desc(), ReviewCase.log10_lr.desc(), ReviewCase.id)
    cases = list((await session.execute(q.limit(limit + 1))).scalars())
    more = len(cases) > limit
    cases = cases[:limit]
    return QueuePage(await _items(session, cases),
                     encode_cursor(cases[-1]) if more and cases else None)
