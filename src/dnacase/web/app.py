"""The Litestar application factory.

``create_app(settings)`` builds everything from explicit settings: engine and session factory
(no connection is opened until the first request), server-side sessions in the database, CSRF,
Jinja2 templates with Babel translations, guards, error mapping, the areas' controllers and the
OpenAPI document at ``/schema/openapi.json``. Nothing reads the environment here.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncGenerator
from typing import Any

from litestar import Litestar, Request, get
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware.session.server_side import ServerSideSessionConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

import dnacase
from dnacase import i18n
from dnacase.db import create_engine, create_sessionmaker
from dnacase.services import users as users_service
from dnacase.settings import Settings, package_dir
from dnacase.web.auth import CurrentUser, CurrentUserMiddleware, current_user
from dnacase.web.bounds import int_bounds_guard
from dnacase.web.controllers import NavItem, load_areas
from dnacase.web.errors import EXCEPTION_HANDLERS
from dnacase.web.guards import PUBLIC, login_required
from dnacase.web.i18n import create_environment, register_callables
from dnacase.web.security_headers import add_security_headers
from dnacase.web.session_store import DatabaseStore

SESSION_COOKIE = "dnacase_session"
SESSION_STORE = "sessions"
CSRF_COOKIE = "csrftoken"


async def provide_db_session(state: State) -> AsyncGenerator[AsyncSession, None]:
    """Dependency ``db_session``: one transaction per request (commit if the handler returns,
    roll back if it raises). Handlers that catch a refusal and re-render a form still commit
    whatever the service did before refusing (e.g. counting a failed login)."""
    async with state.sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


def provide_user(request: Request[Any, Any, Any]) -> CurrentUser | None:
    """Dependency ``user``: the logged-in user or ``None``."""
    return current_user(request)


@get("/api/health", opt=PUBLIC, tags=["meta"], summary="Liveness check")
async def health() -> dict[str, str]:
    return {"status": "ok", "version": dnacase.__version__}


def _derive(secret: str, label: str) -> str:
    return hmac.new(secret.encode(), label.encode(), hashlib.sha256).hexdigest()


def create_app(settings: Settings, *, engine: AsyncEngine | None = None) -> Litestar:
    """Build the web application from ``settings``.

    ``engine``: use this engine instead of creating one; the caller then owns it (disposes it).
    Tests pass one created on their own event loop: the test client runs the lifespan hooks in
    another thread, where asyncpg connections of the test loop cannot be closed.
    """
    i18n.ensure_compiled()
    users_service.configure_password_hashing(
        settings.argon2_time_cost, settings.argon2_memory_cost_kib, settings.argon2_parallelism
    )
    owns_engine = engine is None
    if engine is None:
        engine = create_engine(settings.database_url, echo=settings.echo_sql)
    sessionmaker = create_sessionmaker(engine)
    store = DatabaseStore(sessionmaker)

    handlers, nav = load_areas()

    def nav_for(user: Any) -> list[dict[str, str]]:
        return [item.translated() for item in nav if item.visible_to(user)]

    jinja_env = create_environment(settings.resolved_templates_dir())
    template_config = TemplateConfig(
        engine=JinjaTemplateEngine.from_environment(jinja_env),
        engine_callback=lambda eng: register_callables(eng, nav_for),
    )
    session_config = ServerSideSessionConfig(
        key=SESSION_COOKIE,
        max_age=settings.session_max_age,
        secure=settings.cookie_secure,
        httponly=True,
        samesite="lax",
        store=SESSION_STORE,
        renew_on_access=True,
    )
    csrf_config = CSRFConfig(
        secret=_derive(settings.secret_key, "csrf"),
        cookie_name=CSRF_COOKIE,
        header_name="x-csrftoken",
        cookie_secure=settings.cookie_secure,
        cookie_httponly=False,  # scripts (HTMX) read it to send the x-csrftoken header
        cookie_samesite="lax",
    )
    static_router = create_static_files_router(
        path="/static",
        directories=[package_dir() / "web" / "static"],
        opt=PUBLIC,
        include_in_schema=False,
        name="static",
    )

    async def on_shutdown(app: Litestar) -> None:
        if owns_engine:
            await engine.dispose()

    state = State(
        {
            "settings": settings,
            "engine": engine,
            "sessionmaker": sessionmaker,
            "session_cookie_key": SESSION_COOKIE,
            "session_store_name": SESSION_STORE,
            "nav": nav,
        }
    )
    return Litestar(
        route_handlers=[health, static_router, *handlers],
        dependencies={
            "db_session": Provide(provide_db_session),
            "user": Provide(provide_user, sync_to_thread=False),
        },
        guards=[login_required, int_bounds_guard],
        middleware=[session_config.middleware, CurrentUserMiddleware()],
        stores={SESSION_STORE: store},
        csrf_config=csrf_config,
        template_config=template_config,
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=OpenAPIConfig(
            title="dnacase API",
            version=dnacase.__version__,
            description=(
                "JSON API of dnacase. Authenticate with POST /api/auth/login (session cookie); "
                "send the csrftoken cookie's value in the x-csrftoken header on every "
                "POST/PUT/PATCH/DELETE (GET /api/auth/csrf returns it)."
            ),
            path="/schema",
            render_plugins=[JsonRenderPlugin()],
        ),
        state=state,
        on_shutdown=[on_shutdown],
        before_send=[add_security_headers],
        debug=False,
    )


def create_app_from_env() -> Litestar:
    """``create_app(Settings.from_env())``: the factory each ``dnacase serve --workers N``
    process calls."""
    return create_app(Settings.from_env())


__all__ = ["NavItem", "create_app", "create_app_from_env"]
