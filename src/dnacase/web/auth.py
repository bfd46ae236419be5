"""Who is asking: the current user (loaded once per request), request metadata, login/logout.

The session (server-side, :mod:`dnacase.web.session_store`) holds ``uid``, ``pwd_at`` (the user's
``password_changed_at`` at login: a password change ends other sessions) and ``locale``.
:class:`CurrentUserMiddleware` loads the user into ``scope["state"]["user"]`` (a
:class:`CurrentUser` or ``None``) and sets the request's locale. Handlers get it with
:func:`current_user` / :func:`require_user` or the ``user`` dependency.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Empty, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from dnacase.db import as_utc
from dnacase.i18n import normalize_locale, reset_locale, set_locale
from dnacase.models.users import User
from dnacase.services.audit import RequestMeta
from dnacase.services.errors import NotAuthenticated

SESSION_UID = "uid"
SESSION_PWD_AT = "pwd_at"
SESSION_LOCALE = "locale"


@dataclass(frozen=True, slots=True)
class CurrentUser:
    """The logged-in user as seen by the web layer (also usable as an audit actor)."""

    id: int
    username: str
    display_name: str
    roles: frozenset[str]
    locale: str

    def has_role(self, *roles: str) -> bool:
        """True if the user holds at least one of ``roles``."""
        return bool(self.roles.intersection(roles))

    @classmethod
    def from_user(cls, user: User) -> CurrentUser:
        assert user.id is not None
        return cls(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            roles=frozenset(user.role_names),
            locale=user.locale,
        )


def _state(scope: Scope) -> dict[str, Any]:
    return scope.setdefault("state", {})  # type: ignore[return-value]


def current_user(connection: ASGIConnection[Any, Any, Any, Any]) -> CurrentUser | None:
    """The logged-in user or ``None``."""
    return _state(connection.scope).get("user")


def require_user(connection: ASGIConnection[Any, Any, Any, Any]) -> CurrentUser:
    """The logged-in user; raises :class:`NotAuthenticated` if there is none."""
    user = current_user(connection)
    if user is None:
        from dnacase.i18n import gettext as _

        raise NotAuthenticated(_("Please log in."))
    return user


def request_locale(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The locale chosen for this request (user preference, session choice or default)."""
    return _state(connection.scope).get("locale") or connection.app.state.settings.default_locale


def _in_networks(address: str, networks: tuple[str, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(n, strict=False) for n in networks)


def client_ip(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The client address: the socket's peer, unless that peer is one of the configured
    ``trusted_proxies`` (``DNACASE_TRUSTED_PROXIES``). Then ``X-Forwarded-For`` is read from the
    right: the first address that is not a trusted proxy is the client (entries left of it were
    written by the client and prove nothing). ``dnacase serve`` runs uvicorn without its own
    proxy-header handling, so this is the only place a forwarded address is believed."""
    peer = connection.client.host if connection.client else "unknown"
    trusted = connection.app.state.settings.trusted_proxies
    if not trusted or not _in_networks(peer, trusted):
        return peer
    hops = [
        h.strip() for h in ",".join(connection.headers.getall("x-forwarded-for", [])).split(",")
    ]
    for hop in reversed([h for h in hops if h]):
        if not _in_networks(hop, trusted):
            return hop if _is_ip(hop) else peer
    return peer


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def request_meta(connection: ASGIConnection[Any, Any, Any, Any]) -> RequestMeta:
    """IP and user agent for audit entries."""
    return RequestMeta(ip=client_ip(connection), user_agent=connection.headers.get("user-agent"))


def _pwd_stamp(user: User) -> str:
    return as_utc(user.password_changed_at).isoformat()


def _is_static(scope: Scope) -> bool:
    """Static files need no user: skip the session lookup for ``/static/...``."""
    return scope["path"].startswith("/static/")


class CurrentUserMiddleware(ASGIMiddleware):
    """Load the session's user (one query) and set the locale for the request."""

    scopes = (ScopeType.HTTP,)
    # A request-path test, not ``exclude_path_pattern`` (which Litestar 3 matches against the
    # handler's path template instead).
    should_bypass_for_scope = staticmethod(_is_static)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        app = scope["litestar_app"]
        settings = app.state.settings
        session = scope.get("session")
        session = session if isinstance(session, dict) else {}
        user: CurrentUser | None = None
        uid = session.get(SESSION_UID)
        if isinstance(uid, int):
            async with app.state.sessionmaker() as db:
                row = await db.get(User, uid)
                if (
                    row is not None
                    and row.is_active
                    and session.get(SESSION_PWD_AT) == _pwd_stamp(row)
                ):
                    user = CurrentUser.from_user(row)
            if user is None:
                session.clear()
        locale = normalize_locale(
            user.locale if user else session.get(SESSION_LOCALE), settings.default_locale
        )
        state = _state(scope)
        state["user"] = user
        state["locale"] = locale
        token = set_locale(locale)
        try:
            await next_app(scope, receive, send)
        finally:
            reset_locale(token)
            expired = state.pop("_expired_sessions", None)
            if expired:
                store = app.stores.get(app.state.session_store_name)
                for key in expired:
                    await store.delete(key)


async def rotate_session(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    """Drop the incoming session (server-side record included) so that the session middleware
    issues a new id: prevents session fixation at login and kills the old session at logout."""
    key = connection.app.state.session_cookie_key
    old = connection.cookies.pop(key, None)
    if old and old != "null":
        # Deleted after the response (CurrentUserMiddleware): on SQLite a second connection
        # cannot write while this request's transaction holds the write lock.
        _state(connection.scope).setdefault("_expired_sessions", []).append(old)
    ScopeState.from_scope(connection.scope).session_id = Empty


async def start_session(connection: ASGIConnection[Any, Any, Any, Any], user: User) -> CurrentUser:
    """Log ``user`` in on this connection: new session id, session data, request state."""
    await rotate_session(connection)
    connection.set_session(
        {SESSION_UID: user.id, SESSION_PWD_AT: _pwd_stamp(user), SESSION_LOCALE: user.locale}
    )
    cu = CurrentUser.from_user(user)
    state = _state(connection.scope)
    state["user"] = cu
    state["locale"] = user.locale
    set_locale(user.locale)
    return cu


async def end_session(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    """Log out: the server-side session is deleted; a fresh one keeps only the language choice."""
    locale = request_locale(connection)
    await rotate_session(connection)
    connection.set_session({SESSION_LOCALE: locale})
    _state(connection.scope)["user"] = None
