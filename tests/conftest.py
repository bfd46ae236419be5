"""Shared test fixtures: databases on SQLite AND PostgreSQL, the app, logged-in clients, a live
server with Chromium.

Database fixtures
-----------------
* ``backend`` (session, parametrised ``sqlite`` / ``postgresql``): every test that uses
  ``database_url`` (directly or through ``db_session``, ``app``, ``client``...) runs on both.
  PostgreSQL is ``postgresql+asyncpg://postgres@127.0.0.1:5432/test`` (override with
  ``DNACASE_TEST_PG_URL``); each test session creates a fresh database next to it, migrates it and
  drops it at the end. If the server is unreachable the PostgreSQL tests are skipped with the
  reason, except when ``CI=true``: then they fail. ``DNACASE_TEST_BACKENDS=sqlite`` restricts.
* ``database_url`` (function): an empty, migrated database. SQLite: a copy of a migrated template
  file; PostgreSQL: all tables truncated and the rows seeded by migrations restored.
* ``db_session``: an ``AsyncSession`` on it (commit yourself, or use ``unit_of_work``).
* ``settings``: test settings (non-secure cookies, cheap argon2, temporary var dir).

Web fixtures
------------
* ``app``: ``create_app(settings)``; ``client``: an anonymous ``AsyncTestClient``.
* ``demo_users``: creates the demo accounts (one per role) -> ``{role: DemoUser}``.
* ``client_as``: ``await client_as("collector")`` -> a new client logged in as that demo user.
* ``csrf_headers(client)`` -> ``{"x-csrftoken": ...}`` for POST/PUT/PATCH/DELETE.

Browser fixtures (mark tests ``@pytest.mark.browser``)
-------------------------------------------------------
* ``live_server``: the real app under uvicorn in a subprocess on a free port, temporary SQLite
  database, demo users; yields its base URL.
* ``browser`` / ``page``: Playwright Chromium (``/usr/bin/chromium``), one context per test.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url

from dnacase.db import create_engine, create_sessionmaker, migrate
from dnacase.services import users as users_service
from dnacase.settings import Settings

PG_URL = os.environ.get("DNACASE_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
BACKENDS = [
    b.strip()
    for b in os.environ.get("DNACASE_TEST_BACKENDS", "sqlite,postgresql").split(",")
    if b.strip()
]
TEST_SECRET = "test-secret-key-" + "x" * 40
CHROMIUM = os.environ.get("DNACASE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def run_sync(coro_factory: Callable[[], Awaitable[Any]]) -> Any:
    """Run a coroutine to completion in a helper thread with its own event loop (usable from
    sync fixtures whatever the state of pytest-asyncio's loop)."""
    result: list[Any] = []
    error: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(coro_factory()))
        except BaseException as exc:
            error.append(exc)

    t = threading.Thread(target=target)
    t.start()
    t.join()
    if error:
        raise error[0]
    return result[0] if result else None


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _pg_check(url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_asyncpg_dsn(url), timeout=5)
    await conn.close()


def _pg_unreachable_reason() -> str | None:
    try:
        run_sync(lambda: _pg_check(PG_URL))
    except Exception as exc:
        return f"PostgreSQL at {PG_URL} unreachable: {exc!r}"
    return None


# ----------------------------------------------------------------------------- databases


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing() -> None:
    """argon2 at minimal cost in tests (the production cost is tested separately)."""
    users_service.configure_password_hashing(1, 8, 1)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """``sqlite`` or ``postgresql``."""
    name = str(request.param)
    if name == "postgresql":
        reason = _pg_unreachable_reason()
        if reason:
            if IN_CI:
                pytest.fail(f"{reason} (CI=true: the PostgreSQL backend may not be skipped)")
            pytest.skip(reason)
    return name


class _PgDatabase:
    """A fresh database for this test session, with a snapshot of migration-seeded rows."""

    def __init__(self) -> None:
        self.name = f"dnacase_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        self.url = make_url(PG_URL).set(database=self.name).render_as_string(hide_password=False)
        self.tables: list[str] = []
        self.seed: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = {}
        self.serials: list[tuple[str, str]] = []

    async def create(self) -> None:
        import asyncpg

        conn = await asyncpg.connect(_asyncpg_dsn(PG_URL))
        try:
            await conn.execute(f'CREATE DATABASE "{self.name}"')
        finally:
            await conn.close()

    async def drop(self) -> None:
        import asyncpg

        conn = await asyncpg.connect(_asyncpg_dsn(PG_URL))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        finally:
            await conn.close()

    async def snapshot(self) -> None:
        import asyncpg

        conn = await asyncpg.connect(_asyncpg_dsn(self.url))
        try:
            self.tables = [
                r["tablename"]
                for r in await conn.fetch(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename <> 'alembic_version' ORDER BY tablename"
                )
            ]
            for t in self.tables:
                rows = await conn.fetch(f'SELECT * FROM "{t}"')
                if rows:
                    cols = list(rows[0].keys())
                    self.seed[t] = (cols, [tuple(r.values()) for r in rows])
            self.serials = [
                (r["table_name"], r["column_name"])
                for r in await conn.fetch(
                    "SELECT table_name, column_name FROM information_schema.columns "
                    "WHERE table_schema = 'public' AND (column_default LIKE 'nextval(%' "
                    "OR is_identity = 'YES')"
                )
            ]
        finally:
            await conn.close()

    async def reset(self) -> None:
        """Empty every table, restore the migration-seeded rows and restart the sequences: one
        server-side function call (DELETE with triggers off is much faster than TRUNCATE here)."""
        import asyncpg

        if not self.tables:
            return
        conn = await asyncpg.connect(_asyncpg_dsn(self.url))
        try:
            async with conn.transaction():
                await conn.execute(_RESET_SQL)
                for t, (cols, rows) in self.seed.items():
                    await conn.copy_records_to_table(t, records=rows, columns=cols)
                await conn.execute(_RESEQUENCE_SQL)
        finally:
            await conn.close()


# Both run with session_replication_role = replica: no FK checks, no user triggers (the
# audit_log append-only trigger), so the order of the tables does not matter.
_RESET_SQL = """
SET LOCAL session_replication_role = replica;
DO $$
DECLARE t text;
BEGIN
  FOR t IN SELECT tablename FROM pg_tables
           WHERE schemaname = 'public' AND tablename <> 'alembic_version' LOOP
    EXECUTE format('DELETE FROM %I', t);
  END LOOP;
END $$;
"""
_RESEQUENCE_SQL = """
DO $$
DECLARE r record; m bigint;
BEGIN
  FOR r IN SELECT table_name, column_name FROM information_schema.columns
           WHERE table_schema = 'public'
             AND (column_default LIKE 'nextval(%' OR is_identity = 'YES') LOOP
    EXECUTE format('SELECT MAX(%I) FROM %I', r.column_name, r.table_name) INTO m;
    PERFORM setval(pg_get_serial_sequence(quote_ident(r.table_name), r.column_name),
                   COALESCE(m, 1), m IS NOT NULL);
  END LOOP;
END $$;
"""


@pytest.fixture(scope="session")
def migrated_database(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Per backend and test session: a migrated template (SQLite file) or database (PostgreSQL)."""
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
        migrate(f"sqlite+aiosqlite:///{path}", "heads")
        yield path
        return
    db = _PgDatabase()
    run_sync(db.create)
    try:
        migrate(db.url, "heads")
        run_sync(db.snapshot)
        yield db
    finally:
        run_sync(db.drop)


@pytest.fixture
def database_url(backend: str, migrated_database: Any, tmp_path: Path) -> str:
    """URL of an empty, migrated database for this test (SQLite or PostgreSQL)."""
    if backend == "sqlite":
        target = tmp_path / "test.sqlite3"
        shutil.copyfile(migrated_database, target)
        return f"sqlite+aiosqlite:///{target}"
    run_sync(migrated_database.reset)
    return str(migrated_database.url)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key=TEST_SECRET,
        environment="test",
        cookie_secure=False,
        var_dir=tmp_path / "var",
        argon2_time_cost=1,
        argon2_memory_cost_kib=8,
        argon2_parallelism=1,
    )


@pytest.fixture
async def sessionmaker(database_url: str) -> AsyncIterator[Any]:
    engine = create_engine(database_url)
    try:
        yield create_sessionmaker(engine)
    finally:
        await engine.dispose()


@pytest.fixture
async def db_session(sessionmaker: Any) -> AsyncIterator[Any]:
    """An ``AsyncSession`` on the test database (not committed automatically)."""
    async with sessionmaker() as session:
        yield session


# ----------------------------------------------------------------------------- web


@pytest.fixture
def app(settings: Settings) -> Any:
    """The app on the test database. Its engine is used only on the ``client`` fixture's event
    loop (all test clients share it) and disposed there."""
    from dnacase.web.app import create_app

    return create_app(settings, engine=create_engine(settings.database_url))


@pytest.fixture
async def client(app: Any) -> AsyncIterator[Any]:
    """Anonymous test client. It runs the app's lifespan and owns the event loop (a "portal"
    thread) on which every test client of this test serves requests."""
    from litestar.testing import AsyncTestClient

    async with AsyncTestClient(app=app) as c:
        try:
            yield c
        finally:
            c.blocking_portal.call(app.state.engine.dispose)


@pytest.fixture
async def demo_users(sessionmaker: Any) -> dict[str, users_service.DemoUser]:
    """Create the demo accounts; returns ``{role: DemoUser}`` (username, password, ...)."""
    from dnacase.db import unit_of_work

    async with unit_of_work(sessionmaker) as session:
        await users_service.ensure_demo_users(session)
    return {d.roles[0]: d for d in users_service.DEMO_USERS}


async def csrf_token(client: Any) -> str:
    """The client's CSRF token (fetched from ``/api/auth/csrf`` if it has no cookie yet)."""
    token = client.cookies.get("csrftoken")
    if not token:
        resp = await client.get("/api/auth/csrf")
        token = resp.json()["csrf_token"] or client.cookies.get("csrftoken")
    return str(token)


async def csrf_headers(client: Any) -> dict[str, str]:
    """Headers for an unsafe request: ``{"x-csrftoken": token}``."""
    return {"x-csrftoken": await csrf_token(client)}


async def login(client: Any, username: str, password: str) -> httpx.Response:
    """Log ``client`` in through the HTML form (CSRF included); returns the response."""
    await client.get("/login")
    return await client.post(
        "/login",
        data={"username": username, "password": password, "_csrf_token": await csrf_token(client)},
    )


@pytest.fixture
def csrf() -> Callable[[Any], Awaitable[dict[str, str]]]:
    """``await csrf(client)`` -> CSRF headers."""
    return csrf_headers


def _session_client_class() -> type:
    from litestar.testing import AsyncTestClient

    class SessionClient(AsyncTestClient):  # type: ignore[type-arg,misc]
        """A client with its own cookies that serves requests on another client's event loop
        and does not run the lifespan (several lifespans on one app deadlock; one loop lets the
        app keep a connection pool)."""

        def __init__(self, *, app: Any, portal: Any) -> None:
            super().__init__(app=app)
            self._shared_portal = portal

        async def __aenter__(self) -> Any:
            self.blocking_portal = self._shared_portal
            return self

        async def __aexit__(self, *args: Any) -> None:
            del self.blocking_portal

    return SessionClient


@pytest.fixture
async def client_as(
    app: Any, client: Any, demo_users: dict[str, users_service.DemoUser]
) -> AsyncIterator[Callable[[str], Awaitable[Any]]]:
    """Factory: ``c = await client_as("admin")`` -> a client logged in as that role's demo user
    (each call: a new client with its own cookies)."""
    client_cls = _session_client_class()
    opened: list[Any] = []

    async def make(role: str) -> Any:
        demo = demo_users[role]
        c = client_cls(app=app, portal=client.blocking_portal)
        await c.__aenter__()
        opened.append(c)
        resp = await login(c, demo.username, demo.password)
        assert resp.status_code in (200, 303), resp.text
        assert resp.url.path == "/" or resp.status_code == 303, f"login as {role} failed"
        return c

    yield make
    for c in reversed(opened):
        await c.__aexit__(None, None, None)


# ----------------------------------------------------------------------------- browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve_app(workdir: Path, *setup: Sequence[str]) -> Iterator[str]:
    """Run ``dnacase <setup>`` commands on a fresh SQLite database in ``workdir``, then the real
    app (``dnacase serve --dev``) on a free port; yields ``http://127.0.0.1:<port>`` and stops
    the server afterwards. Used by every browser test's server fixture."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'live.sqlite3'}",
        "DNACASE_VAR_DIR": str(workdir / "var"),
        "DNACASE_SECRET_KEY": TEST_SECRET,
    }
    exe = str(Path(sys.executable).parent / "dnacase")
    for args in setup:
        subprocess.run([exe, *args], env=env, check=True, capture_output=True)
    port = _free_port()
    log = (workdir / "server.log").open("w")
    proc = subprocess.Popen(
        [exe, "serve", "--dev", "--no-migrate", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"server exited: {(workdir / 'server.log').read_text(errors='replace')}"
                )
            try:
                if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start within 30 s")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real app on a temporary SQLite database with the demo users (no demo data)."""
    with serve_app(
        tmp_path_factory.mktemp("live"), ["db", "upgrade"], ["users", "create-demo"]
    ) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium through Playwright (Debian's /usr/bin/chromium). Module-scoped: the
    sync Playwright API keeps an event loop running in the main thread while it is open, which
    would break the async tests collected after the browser tests."""
    if not Path(CHROMIUM).exists():
        msg = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if IN_CI:
            pytest.fail(msg)
        pytest.skip(msg)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Any, live_server: str) -> Iterator[Any]:
    """A fresh browser page (own cookies); ``page.goto(live_server + "/login")``."""
    context = browser.new_context(base_url=live_server, locale="vi-VN")
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    try:
        yield pg
    finally:
        context.close()
