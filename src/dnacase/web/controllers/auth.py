"""Login, logout, language switch (HTML) and the JSON API's login/logout/csrf/me."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import JSONBody
from litestar.response import Redirect, Template
from litestar.utils.scope.state import ScopeState

from dnacase.i18n import LOCALES, normalize_locale, set_locale
from dnacase.i18n import gettext as _
from dnacase.services import users as users_service
from dnacase.services.errors import ValidationFailed
from dnacase.services.users import LoginFailed, ThrottlePolicy
from dnacase.web.auth import (
    SESSION_LOCALE,
    CurrentUser,
    end_session,
    request_meta,
    start_session,
)
from dnacase.web.deps import AuthUser, DbSession, FromQuery, MaybeUser
from dnacase.web.guards import PUBLIC
from dnacase.web.responses import flash, form_data, form_page, page, redirect, safe_next


def _policy(request: Request) -> ThrottlePolicy:
    s = request.app.state.settings
    return ThrottlePolicy(
        max_failures=s.login_max_failures, lockout_seconds=s.login_lockout_seconds
    )


class AuthPages(Controller):
    """HTML: ``/login``, ``/logout``, ``/lang``."""

    include_in_schema = False

    @get("/login", opt=PUBLIC, name="login")
    async def login_form(
        self, request: Request, user: MaybeUser, next: FromQuery[str | None] = None
    ) -> Template | Redirect:
        if user is not None:
            return redirect(safe_next(next))
        return page("auth/login.html", form={"next": safe_next(next, "")}, errors={})

    @post("/login", opt=PUBLIC)
    async def login(self, request: Request, db_session: DbSession) -> Any:
        form = await form_data(request)
        username = (form.get("username") or "").strip()
        nxt = safe_next(form.get("next"), "/")
        try:
            account = await users_service.authenticate(
                db_session,
                username,
                form.get("password") or "",
                meta=request_meta(request),
                policy=_policy(request),
            )
        except LoginFailed as exc:
            return form_page("auth/login.html", form={"username": username, "next": nxt}, error=exc)
        await start_session(request, account)
        flash(request, _("Welcome, %(name)s.", name=account.display_name))
        return redirect(nxt)

    @post("/logout", name="logout")
    async def logout(self, request: Request) -> Redirect:
        await end_session(request)
        flash(request, _("You have logged out."), "info")
        return redirect("/login")

    @post("/lang", opt=PUBLIC, name="set_language")
    async def set_language(
        self, request: Request, db_session: DbSession, user: MaybeUser
    ) -> Redirect:
        form = await form_data(request)
        locale = normalize_locale(form.get("locale"), "")
        if locale not in LOCALES:
            raise ValidationFailed(
                _("Unknown language."), field_errors={"locale": _("Unknown language.")}
            )
        session = request.scope.get("session")
        if isinstance(session, dict):
            session[SESSION_LOCALE] = locale
        else:
            request.set_session({SESSION_LOCALE: locale})
        if user is not None:
            await users_service.set_user_locale(db_session, user.id, locale)
        set_locale(locale)
        referer = form.get("next") or request.headers.get("referer", "")
        if referer.startswith(str(request.base_url)):
            referer = "/" + referer[len(str(request.base_url)) :].lstrip("/")
        return redirect(safe_next(referer, "/"))


@dataclass
class LoginRequest:
    username: str
    password: str


@dataclass
class MeResponse:
    id: int
    username: str
    display_name: str
    roles: list[str]
    locale: str


def _me(user: CurrentUser) -> MeResponse:
    return MeResponse(user.id, user.username, user.display_name, sorted(user.roles), user.locale)


class AuthApi(Controller):
    """JSON: session login for API clients. Send the ``csrftoken`` cookie value in the
    ``x-csrftoken`` header on every unsafe request (``GET /api/auth/csrf`` returns it)."""

    path = "/api/auth"
    tags = ["auth"]  # noqa: RUF012

    @get("/csrf", opt=PUBLIC, summary="Get a CSRF token (also set as the csrftoken cookie)")
    async def csrf(self, request: Request) -> dict[str, str]:
        token = ScopeState.from_scope(request.scope).csrf_token
        return {"csrf_token": token if isinstance(token, str) else ""}

    @post("/login", opt=PUBLIC, summary="Log in (starts a session cookie)")
    async def login(
        self, request: Request, db_session: DbSession, data: JSONBody[LoginRequest]
    ) -> MeResponse:
        try:
            account = await users_service.authenticate(
                db_session,
                data.username,
                data.password,
                meta=request_meta(request),
                policy=_policy(request),
            )
        except LoginFailed as exc:
            # commit the counted failure, then refuse
            await db_session.commit()
            raise exc
        return _me(await start_session(request, account))

    @post("/logout", summary="Log out", status_code=200)
    async def logout(self, request: Request) -> dict[str, bool]:
        await end_session(request)
        return {"ok": True}


@get("/api/me", tags=["auth"], summary="The logged-in user")
async def api_me(user: AuthUser) -> MeResponse:
    return _me(user)


ROUTE_HANDLERS: list[Any] = [AuthPages, AuthApi, api_me]
