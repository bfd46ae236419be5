"""Alembic environment (async engine). Runs migrations for the URL given by
``dnacase.db.alembic_config`` or, when Alembic is run by hand, by ``dnacase.settings``.

* ``compare_type=True`` and ``render_as_batch=True`` (SQLite ALTER support).
* The project's column types render as ``dnacase.db.UTCDateTime()`` / ``dnacase.db.JSONType()``.
* Every model module is imported through ``dnacase.models.load_all_models``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy.engine import Connection

from dnacase.db import JSONType, UTCDateTime, create_engine
from dnacase.models import load_all_models

config = context.config
target_metadata = load_all_models().metadata


def _database_url() -> str:
    url = config.attributes.get("database_url")
    if url:
        return str(url)
    from dnacase.settings import Settings

    return Settings.from_env().database_url


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "dnacase.db.UTCDateTime()"
    if type_ == "type" and isinstance(obj, JSONType):
        return "dnacase.db.JSONType()"
    return False


def _configure(connection: Connection | None = None, **kw: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=True,
        render_item=render_item,
        transaction_per_migration=True,
        **kw,
    )


def run_migrations_offline() -> None:
    _configure(url=_database_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def _do_run_migrations(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


async def run_migrations_online() -> None:
    engine = create_engine(_database_url())
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_do_run_migrations)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_migrations_online())
