"""Migrations: ``upgrade heads`` on a fresh SQLite file and a fresh PostgreSQL database gives
exactly the schema the models describe (Alembic autogenerate finds no difference), and the
platform's migration can be reverted and re-applied."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from dnacase.db import create_engine, downgrade, migrate
from dnacase.models import load_all_models
from tests.conftest import _PgDatabase, run_sync


@pytest.fixture
def fresh_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A brand-new, empty database (not the session's migrated one)."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    db = _PgDatabase()
    run_sync(db.create)
    try:
        yield str(db.url)
    finally:
        run_sync(db.drop)


def _schema_diff(url: str) -> list[Any]:
    metadata = load_all_models().metadata

    async def go() -> list[Any]:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:

                def compare(sync_conn: Any) -> list[Any]:
                    ctx = MigrationContext.configure(sync_conn, opts={"compare_type": True})
                    return list(compare_metadata(ctx, metadata))

                return await conn.run_sync(compare)
        finally:
            await engine.dispose()

    return run_sync(go)


def _tables(url: str) -> set[str]:
    async def go() -> set[str]:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
        finally:
            await engine.dispose()

    return run_sync(go)


def test_upgrade_heads_matches_models(fresh_url: str) -> None:
    migrate(fresh_url, "heads")
    diff = _schema_diff(fresh_url)
    assert diff == [], "models and migrations differ; write a migration:\n" + "\n".join(
        map(str, diff)
    )
    tables = _tables(fresh_url)
    assert {"users", "user_roles", "audit_log", "audit_chain_head", "web_sessions"} <= tables


def test_chain_head_seeded_and_audit_log_append_only(fresh_url: str) -> None:
    migrate(fresh_url, "heads")

    async def go() -> tuple[Any, str]:
        engine = create_engine(fresh_url)
        try:
            async with engine.connect() as conn:
                head = (
                    await conn.execute(text("SELECT last_seq, last_hash FROM audit_chain_head"))
                ).all()
            async with engine.begin() as conn:
                await conn.execute(
                    text(
                        "INSERT INTO audit_log (seq, at, action, entity_type, prev_hash, hash) "
                        "VALUES (1, '2026-01-01 00:00:00', 'x', 'y', :z, :h)"
                    ),
                    {"z": "0" * 64, "h": "1" * 64},
                )
            message = ""
            try:
                async with engine.begin() as conn:
                    await conn.execute(text("UPDATE audit_log SET action = 'changed'"))
            except Exception as exc:
                message = str(exc)
            return head, message
        finally:
            await engine.dispose()

    head, message = run_sync(go)
    assert [tuple(r) for r in head] == [(0, "0" * 64)]
    assert "append-only" in message


def test_platform_migration_reverts_and_reapplies(fresh_url: str) -> None:
    migrate(fresh_url, "0001")
    downgrade(fresh_url, "base")
    assert _tables(fresh_url) <= {"alembic_version"}
    migrate(fresh_url, "0001")
    assert "users" in _tables(fresh_url)
