"""The custody chain is append-only and tamper-evident."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text

from dnacase.i18n import use_locale
from dnacase.models.custody import CustodyEvent
from dnacase.services import audit, custody, kits

ACTOR = audit.SYSTEM


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages in English (the catalogue would give Vietnamese, the default locale)."""
    with use_locale("en"):
        yield


async def test_chain_verifies_and_detects_tampering(db_session) -> None:
    await kits.register_batch(db_session, 3, actor=ACTOR)
    result = await custody.verify(db_session)
    assert result.ok and result.checked == 3
    # the database refuses updates and deletes
    with pytest.raises(Exception, match="append-only"):
        async with db_session.begin_nested():
            await db_session.execute(text("UPDATE custody_events SET notes = 'x' WHERE seq = 2"))
    with pytest.raises(Exception, match="append-only"):
        async with db_session.begin_nested():
            await db_session.execute(text("DELETE FROM custody_events WHERE seq = 3"))
    # a forged event inserted directly breaks the chain
    kit = (await kits.list_kits(db_session)).items[0]
    forged = CustodyEvent(seq=4, kit_id=kit.id, event="handed_over", prev_hash="f" * 64,
                          hash="0" * 64)
    db_session.add(forged)
    await db_session.flush()
    result = await custody.verify(db_session)
    assert not result.ok and result.first_bad_seq == 4
