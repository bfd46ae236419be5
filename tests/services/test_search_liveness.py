"""``search resume`` notices a dead run by its owner process and its heartbeat, not by age
alone: a run whose process on this host is gone is taken over at once; a live owner with a
fresh heartbeat is left alone; a silent one is taken over after three missed beats. The
heartbeat is refreshed while a run works. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import socket
import subprocess
from typing import Any

import pytest

from dnacase.models.search import SearchRun
from dnacase.services import search, search_liveness


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


async def _running(sessionmaker: Any, owner: dict[str, Any], beat_age_s: float) -> int:
    async with sessionmaker() as s, s.begin():
        run = await search.create_run(s, search.SearchParameters(block_families=2))
        run.status = "running"
        run.notes = {**(run.notes or {}), "owner": owner}
        run.heartbeat_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=beat_age_s)
        return int(run.id)


async def _recover(sessionmaker: Any, **kw: Any) -> list[int]:
    async with sessionmaker() as s, s.begin():
        return await search.recover_interrupted(s, **kw)


async def test_a_dead_owner_on_this_host_is_noticed_at_once(sessionmaker: Any) -> None:
    host = socket.gethostname()
    dead = await _running(sessionmaker, {"host": host, "pid": _dead_pid()}, beat_age_s=1)
    alive = await _running(sessionmaker, {"host": host, "pid": os.getpid()}, beat_age_s=1)
    remote = await _running(sessionmaker, {"host": "other-node", "pid": 1}, beat_age_s=1)
    assert await _recover(sessionmaker) == [dead]
    async with sessionmaker() as s:
        assert (await s.get(SearchRun, dead)).status == "interrupted"
        assert (await s.get(SearchRun, alive)).status == "running"
        assert (await s.get(SearchRun, remote)).status == "running"


async def test_a_silent_owner_is_dead_after_three_missed_beats(sessionmaker: Any) -> None:
    stale = search_liveness.STALE_SECONDS
    assert stale == 3 * search_liveness.HEARTBEAT_SECONDS < 120  # not the old 2-minute wait
    fresh = await _running(sessionmaker, {"host": "other-node", "pid": 7}, beat_age_s=stale - 5)
    silent = await _running(sessionmaker, {"host": "other-node", "pid": 8}, beat_age_s=stale + 1)
    legacy = await _running(sessionmaker, {}, beat_age_s=stale + 1)  # no owner recorded
    assert sorted(await _recover(sessionmaker)) == sorted([silent, legacy])
    async with sessionmaker() as s:
        assert (await s.get(SearchRun, fresh)).status == "running"


async def test_the_heartbeat_is_refreshed_while_the_run_works(
    sessionmaker: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_liveness, "HEARTBEAT_SECONDS", 0.05)
    run_id = await _running(sessionmaker, {"host": "other-node", "pid": 9}, beat_age_s=3600)
    async with search_liveness.keep_alive(sessionmaker, run_id):
        await asyncio.sleep(0.4)  # a long block
    async with sessionmaker() as s:
        run = await s.get(SearchRun, run_id)
        age = (dt.datetime.now(dt.UTC) - run.heartbeat_at).total_seconds()
    assert age < 5
    assert await _recover(sessionmaker) == []


async def test_execute_run_records_its_owner(sessionmaker: Any, tmp_path: Any) -> None:
    from tests.services.test_search import _world

    world = await _world(sessionmaker)
    async with sessionmaker() as s, s.begin():
        run = await search.create_run(s, search.SearchParameters(block_families=2))
    with pytest.raises(search.RunInterrupted):
        await search.execute_run(sessionmaker, run.id, world.source, cache_dir=tmp_path,
                                 stop_after_blocks=1)
    async with sessionmaker() as s:
        left = await s.get(SearchRun, run.id)
    assert left.status == "running"
    assert left.notes["owner"] == {"host": socket.gethostname(), "pid": os.getpid()}
    assert await _recover(sessionmaker) == []  # its process (this one) is alive
