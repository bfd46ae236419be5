"""Is a ``running`` search run still being worked on? Owner process and heartbeat.

A process executing a run records itself as the run's owner (``notes["owner"]``: host name and
process id) and, while it works, refreshes ``heartbeat_at`` every :data:`HEARTBEAT_SECONDS` from
a background task (independent of block progress: a long block does not look dead). A run is
dead, and ``dnacase search resume`` takes it over, when

* its owner ran on this host and that process no longer exists (noticed at once), or
* its heartbeat is older than ``stale_seconds`` (default :data:`STALE_SECONDS`, three missed
  beats: the owner is on another host, or hung).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import socket
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dnacase.db import as_utc
from dnacase.models.search import SearchRun

HEARTBEAT_SECONDS = 10.0
"""Interval of the running process's heartbeat, seconds."""

STALE_SECONDS = 3 * HEARTBEAT_SECONDS
"""Seconds without a heartbeat after which a run counts as dead (three missed beats)."""


def process_owner() -> dict[str, Any]:
    """This process as a run owner: ``{"host": ..., "pid": ...}`` (JSON for ``notes``)."""
    return {"host": socket.gethostname(), "pid": os.getpid()}


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True


def owner_is_dead(owner: Any) -> bool:
    """True if ``owner`` (``notes["owner"]``) ran on this host and its process is gone.
    Unknown owners and other hosts: ``False`` (only the heartbeat can tell)."""
    if not isinstance(owner, dict) or owner.get("host") != socket.gethostname():
        return False
    pid = owner.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        return False
    return pid != os.getpid() and not _process_exists(pid)


def run_is_dead(run: SearchRun, now: dt.datetime, stale_seconds: float = STALE_SECONDS) -> bool:
    """True if the ``running`` run ``run`` has no live owner (see the module docstring)."""
    if owner_is_dead((run.notes or {}).get("owner")):
        return True
    beat = run.heartbeat_at or run.started_at or run.created_at
    return beat is None or as_utc(beat) < now - dt.timedelta(seconds=stale_seconds)


async def _beat(sessionmaker: async_sessionmaker[AsyncSession], run_id: int) -> None:
    while True:
        await asyncio.sleep(HEARTBEAT_SECONDS)
        with contextlib.suppress(Exception):  # a missed beat is retried; never kill the run
            async with sessionmaker() as session, session.begin():
                await session.execute(
                    update(SearchRun)
                    .where(SearchRun.id == run_id, SearchRun.status == "running")
                    .values(heartbeat_at=dt.datetime.now(dt.UTC))
                )


@contextlib.asynccontextmanager
async def keep_alive(
    sessionmaker: async_sessionmaker[AsyncSession], run_id: int
) -> AsyncIterator[None]:
    """Refresh the run's heartbeat every :data:`HEARTBEAT_SECONDS` while the block runs."""
    task = asyncio.create_task(_beat(sessionmaker, run_id))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
