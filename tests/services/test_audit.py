"""Audit log: entries chain by hash, are written in the caller's transaction, survive concurrent
writers, and any tampering is pinpointed by verify (service and ``dnacase audit verify``)."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

from dnacase.db import unit_of_work
from dnacase.models.audit import GENESIS_HASH, AuditChainHead, AuditEntry
from dnacase.services import audit
from dnacase.services.audit import Actor, AuditFilter, RequestMeta

ALICE = Actor(id=None, username="alice")
META = RequestMeta(ip="10.0.0.7", user_agent="pytest")


async def _record_n(sessionmaker: Any, n: int, **kw: Any) -> list[AuditEntry]:
    out = []
    for i in range(n):
        async with unit_of_work(sessionmaker) as s:
            out.append(
                await audit.record(
                    s,
                    kw.get("actor", ALICE),
                    kw.get("action", "thing.update"),
                    ("thing", i),
                    {"n": i, "name": "Nguyễn Văn A"},
                    {"n": i + 1, "when": dt.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=dt.UTC)},
                    META,
                )
            )
    return out


async def _tamper(sessionmaker: Any, backend: str, sql: str, **params: Any) -> None:
    """Change audit_log behind the application's back (as an attacker with DB access would)."""
    async with sessionmaker() as s:
        if backend == "sqlite":
            await s.execute(text("DROP TRIGGER IF EXISTS audit_log_no_update"))
            await s.execute(text("DROP TRIGGER IF EXISTS audit_log_no_delete"))
            await s.execute(text(sql), params)
        else:
            await s.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
            await s.execute(text(sql), params)
            await s.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
        await s.commit()


async def test_entries_chain_and_verify(sessionmaker: Any) -> None:
    entries = await _record_n(sessionmaker, 3)
    assert [e.seq for e in entries] == [1, 2, 3]
    assert entries[0].prev_hash == GENESIS_HASH
    assert entries[1].prev_hash == entries[0].hash
    assert entries[2].prev_hash == entries[1].hash
    assert len({e.hash for e in entries}) == 3
    assert entries[0].after["when"] == "2026-01-02T03:04:05.000006Z"
    assert (entries[0].ip, entries[0].user_agent, entries[0].actor_username) == (
        "10.0.0.7",
        "pytest",
        "alice",
    )
    async with sessionmaker() as s:
        result = await audit.verify(s)
        head = await s.get(AuditChainHead, 1)
    assert result.ok and result.checked == 3
    assert head is not None and (head.last_seq, head.last_hash) == (3, entries[2].hash)


async def test_hash_covers_every_field(sessionmaker: Any) -> None:
    (entry,) = await _record_n(sessionmaker, 1)
    assert audit.compute_hash(entry) == entry.hash
    for field, value in [
        ("action", "thing.delete"),
        ("entity_id", "99"),
        ("ip", "10.9.9.9"),
        ("actor_username", "mallory"),
        ("before", {"n": 5}),
        ("at", entry.at + dt.timedelta(microseconds=1)),
    ]:
        original = getattr(entry, field)
        setattr(entry, field, value)
        assert audit.compute_hash(entry) != entry.hash, field
        setattr(entry, field, original)


async def test_entry_rolls_back_with_the_change(sessionmaker: Any) -> None:
    await _record_n(sessionmaker, 1)
    try:
        async with unit_of_work(sessionmaker) as s:
            await audit.record(s, ALICE, "thing.create", ("thing", 7), None, {"a": 1}, META)
            raise RuntimeError("the use case fails after writing")
    except RuntimeError:
        pass
    async with sessionmaker() as s:
        count = (await s.execute(select(func.count(AuditEntry.id)))).scalar_one()
        head = await s.get(AuditChainHead, 1)
        assert (await audit.verify(s)).ok
    assert count == 1 and head is not None and head.last_seq == 1


async def test_concurrent_writers_keep_one_linear_chain(sessionmaker: Any) -> None:
    async def writer(i: int) -> None:
        async with unit_of_work(sessionmaker) as s:
            await audit.record(s, ALICE, "thing.touch", ("thing", i), None, {"i": i}, META)
            await asyncio.sleep(0.01)  # hold the lock a little while others queue

    await asyncio.gather(*(writer(i) for i in range(8)))
    async with sessionmaker() as s:
        seqs = (await s.execute(select(AuditEntry.seq).order_by(AuditEntry.seq))).scalars().all()
        result = await audit.verify(s)
    assert list(seqs) == list(range(1, 9))
    assert result.ok and result.checked == 8


async def test_modified_entry_is_pinpointed(sessionmaker: Any, backend: str) -> None:
    await _record_n(sessionmaker, 5)
    await _tamper(
        sessionmaker,
        backend,
        "UPDATE audit_log SET actor_username = 'mallory' WHERE seq = 3",
    )
    async with sessionmaker() as s:
        result = await audit.verify(s)
    assert not result.ok
    assert result.first_bad_seq == 3 and result.checked == 2
    assert "modified" in (result.reason or "")


async def test_deleted_entries_are_detected(sessionmaker: Any, backend: str) -> None:
    await _record_n(sessionmaker, 4)
    await _tamper(sessionmaker, backend, "DELETE FROM audit_log WHERE seq = 2")
    async with sessionmaker() as s:
        middle = await audit.verify(s)
    assert not middle.ok and middle.first_bad_seq == 3 and "gap" in (middle.reason or "")


async def test_truncated_tail_is_detected(sessionmaker: Any, backend: str) -> None:
    await _record_n(sessionmaker, 4)
    await _tamper(sessionmaker, backend, "DELETE FROM audit_log WHERE seq = 4")
    async with sessionmaker() as s:
        result = await audit.verify(s)
    assert not result.ok and result.checked == 3 and "head" in (result.reason or "")


async def test_rewritten_chain_with_recomputed_hash_breaks_the_link(
    sessionmaker: Any, backend: str
) -> None:
    """An attacker who edits an entry and recomputes its own hash still breaks the next link."""
    entries = await _record_n(sessionmaker, 3)
    forged = entries[1]
    forged.after = {"n": 999}
    new_hash = audit.compute_hash(forged)
    await _tamper(
        sessionmaker,
        backend,
        "UPDATE audit_log SET after = :after, hash = :h WHERE seq = 2",
        after='{"n": 999}',
        h=new_hash,
    )
    async with sessionmaker() as s:
        result = await audit.verify(s)
    assert not result.ok and result.first_bad_seq == 3
    assert "prev_hash" in (result.reason or "")


async def test_snapshot_leaves_out_secrets(sessionmaker: Any) -> None:
    from dnacase.services import users

    async with unit_of_work(sessionmaker) as s:
        u = await users.create_user(
            s, username="thu", display_name="Thu", password="long-enough-pw", roles=["lab"]
        )
        snap = audit.snapshot(u)
    assert "password_hash" not in snap and snap["username"] == "thu"


async def test_list_entries_filters_and_pages(sessionmaker: Any) -> None:
    await _record_n(sessionmaker, 3, action="kit.ship")
    await _record_n(sessionmaker, 2, action="kit.receive", actor=Actor(id=None, username="bob"))
    async with sessionmaker() as s:
        all_ = await audit.list_entries(s, AuditFilter(), page=1, per_page=2)
        assert all_.total == 5 and all_.pages == 3 and [e.seq for e in all_.items] == [5, 4]
        ships = await audit.list_entries(s, AuditFilter(action="kit.ship"))
        assert ships.total == 3
        kits = await audit.list_entries(s, AuditFilter(action="kit.*"))
        assert kits.total == 5
        bob = await audit.list_entries(s, AuditFilter(actor="BOB"))
        assert {e.actor_username for e in bob.items} == {"bob"}
        one = await audit.list_entries(s, AuditFilter(entity_type="thing", entity_id="1"))
        assert one.total == 2
        today = dt.datetime.now(dt.UTC).date()
        assert (await audit.list_entries(s, AuditFilter(date_from=today))).total == 5
        tomorrow = today + dt.timedelta(days=1)
        assert (await audit.list_entries(s, AuditFilter(date_from=tomorrow))).total == 0
        yesterday = today - dt.timedelta(days=1)
        assert (await audit.list_entries(s, AuditFilter(date_to=yesterday))).total == 0
        values = await audit.distinct_values(s)
    assert values["actions"] == ["kit.receive", "kit.ship"]
    assert values["actors"] == ["alice", "bob"]


def _cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    exe = str(Path(sys.executable).parent / "dnacase")
    env = {**os.environ, "DATABASE_URL": database_url, "DNACASE_SECRET_KEY": "k" * 40}
    return subprocess.run([exe, *args], env=env, capture_output=True, text=True, check=False)


async def test_cli_verify_proves_and_pinpoints(
    sessionmaker: Any, database_url: str, backend: str
) -> None:
    await _record_n(sessionmaker, 3)
    ok = await asyncio.to_thread(_cli, database_url, "audit", "verify")
    assert ok.returncode == 0 and "3 entries verified" in ok.stdout
    await _tamper(sessionmaker, backend, "UPDATE audit_log SET entity_id = 'x' WHERE seq = 2")
    bad = await asyncio.to_thread(_cli, database_url, "audit", "verify")
    assert bad.returncode == 1
    assert "seq=2" in bad.stderr and "modified" in bad.stderr
