"""Route guards. Every route needs a login unless its handler says ``opt=PUBLIC``;
:func:`requires_roles` narrows a controller or a route to some roles.

Usage::

    class KitController(Controller):
        path = "/kits"
        guards = [requires_roles("collector", "admin")]     # whole controller

    @get("/kits/{kit_id:int}/label", guards=[requires_roles("collector", "lab", "admin")])
    @get("/login", opt=PUBLIC)                                # no login needed

Refusals: no login -> :class:`NotAuthenticated` (browser: redirect to ``/login?next=...``; API
``/api/...``: 401 JSON); logged in without the role -> :class:`PermissionDenied` (403 page or JSON).
The declared roles are kept on the guard (``guard.roles``) so the route table in
``docs/routes.md`` can be checked against the code (``tests/web/test_route_access.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from dnacase.i18n import gettext as _
from dnacase.models.users import ROLES
from dnacase.services.errors import NotAuthenticated, PermissionDenied
from dnacase.web.auth import current_user

PUBLIC: dict[str, Any] = {"public": True}
"""``opt`` for handlers reachable without login (login page, language switch, health, static)."""

Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]


def login_required(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """App-wide guard: a logged-in user is needed unless the handler is marked ``PUBLIC``."""
    if handler.opt.get("public"):
        return
    if current_user(connection) is None:
        raise NotAuthenticated(_("Please log in."))


def requires_roles(*roles: str) -> Guard:
    """Guard allowing users who hold at least one of ``roles``."""
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        raise ValueError(
            f"requires_roles: unknown or no roles {unknown or roles!r}; known: {ROLES}"
        )
    allowed = frozenset(roles)

    def guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
        user = current_user(connection)
        if user is None:
            raise NotAuthenticated(_("Please log in."))
        if not user.roles & allowed:
            raise PermissionDenied(_("You do not have permission to open this page."))

    guard.roles = allowed  # type: ignore[attr-defined]
    guard.__name__ = f"requires_roles({', '.join(sorted(allowed))})"
    return guard


def declared_access(handler: BaseRouteHandler) -> frozenset[str] | None:
    """Roles a handler admits according to its guards (every ``requires_roles`` guard on its
    layers must pass, so their intersection). ``None`` = public; ``frozenset(ROLES)`` with no role
    guard = any logged-in user."""
    if handler.opt.get("public"):
        return None
    allowed = frozenset(ROLES)
    for layer in handler.ownership_layers:
        for guard in layer.guards or ():
            roles = getattr(getattr(guard, "func", guard), "roles", None)
            if roles is not None:
                allowed &= roles
    return allowed
