"""Database plumbing: async engine, sessions, unit of work, column types, migrations.

* One session class: SQLAlchemy's :class:`~sqlalchemy.ext.asyncio.AsyncSession` with
  ``expire_on_commit=False`` (objects stay readable after commit; load relationships explicitly or
  declare them ``lazy="selectin"`` to avoid ``MissingGreenlet``).
* SQLite connections get ``PRAGMA foreign_keys=ON``, WAL journaling and a busy timeout on every
  connection; in-memory databases use a static pool.
* Datetimes are stored as UTC (:class:`UTCDateTime` gives aware UTC values on every backend).
* JSON columns use :class:`JSONType` (JSONB on PostgreSQL, JSON elsewhere).
* The metadata naming convention is set here, before any table is defined, so that Alembic batch
  mode on SQLite can address constraints by name.
* Schema changes go through Alembic (:func:`migrate`); nothing here calls ``create_all``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, DateTime, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool, StaticPool
from sqlalchemy.types import TypeDecorator, TypeEngine
from sqlmodel import SQLModel

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION

SQLITE_BUSY_TIMEOUT_MS = 15_000


def utcnow() -> dt.datetime:
    """The current time as a timezone-aware UTC datetime."""
    return dt.datetime.now(dt.UTC)


def as_utc(value: dt.datetime) -> dt.datetime:
    """Interpret ``value`` as UTC if naive, else convert it to UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetime on every backend.

    PostgreSQL: ``timestamp with time zone``. SQLite: naive UTC text (no offset kept); values
    read back are tagged UTC. Naive datetimes given to the database are taken to be UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        value = as_utc(value)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        return as_utc(value)


class JSONType(TypeDecorator[Any]):
    """JSON document: ``JSONB`` on PostgreSQL, ``JSON`` (text) on SQLite."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(JSON())


def _set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def create_engine(database_url: str, *, echo: bool = False, null_pool: bool = False) -> AsyncEngine:
    """Create the async engine for ``database_url`` (SQLite pragmas on every connection).

    ``null_pool=True``: no connection reuse (each checkout opens a connection on the current event
    loop). The test client serves requests on its own loop, so the app's engine in tests uses it.
    """
    kwargs: dict[str, Any] = {"echo": echo}
    if null_pool and ":memory:" not in database_url:
        kwargs["poolclass"] = NullPool
    elif database_url.startswith("sqlite"):
        if ":memory:" in database_url or database_url.rstrip("/").endswith("sqlite+aiosqlite:"):
            kwargs["poolclass"] = StaticPool
            kwargs["connect_args"] = {"check_same_thread": False}
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_async_engine(database_url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _set_sqlite_pragmas)
    return engine


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Session factory: ``AsyncSession``, ``expire_on_commit=False``."""
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


@asynccontextmanager
async def unit_of_work(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """One transaction per use case: commit when the block succeeds, roll back if it raises.

    Usage (CLI, background jobs; the web layer gets the same per request through the ``db_session``
    dependency)::

        async with unit_of_work(sessionmaker) as session:
            await users.create_user(session, ...)
    """
    async with sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


# --------------------------------------------------------------------------- migrations


def alembic_config(database_url: str) -> Any:
    """An Alembic ``Config`` for the project's ``migrations/`` directory and ``database_url``."""
    from alembic.config import Config

    from dnacase.settings import project_root

    root = project_root()
    cfg = Config(str(root / "alembic.ini"))
    cfg.set_main_option("script_location", str(root / "migrations"))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    cfg.attributes["database_url"] = database_url
    return cfg


def _run_outside_loop(fn: Any, *args: Any) -> None:
    """Run a blocking function that itself calls ``asyncio.run`` (Alembic's async env).

    If an event loop is already running in this thread, run it in a helper thread instead.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        fn(*args)
        return
    errors: list[BaseException] = []

    def target() -> None:
        try:
            fn(*args)
        except BaseException as exc:  # re-raised in the caller's thread
            errors.append(exc)

    t = threading.Thread(target=target, name="alembic")
    t.start()
    t.join()
    if errors:
        raise errors[0]


def migrate(database_url: str, revision: str = "head") -> None:
    """Upgrade the database at ``database_url`` to ``revision`` (programmatic ``alembic upgrade``).

    For a SQLite file, the parent directory is created if missing.
    """
    from alembic import command

    _ensure_sqlite_dir(database_url)
    _run_outside_loop(command.upgrade, alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    """Downgrade the database at ``database_url`` to ``revision``."""
    from alembic import command

    _run_outside_loop(command.downgrade, alembic_config(database_url), revision)


def _ensure_sqlite_dir(database_url: str) -> None:
    if database_url.startswith("sqlite") and ":memory:" not in database_url:
        path = database_url.split("///", 1)[-1]
        if path:
            Path(path).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
