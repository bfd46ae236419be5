"""Home dashboard: one card per area the user's roles open (from the areas' ``NAV_ITEMS``)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Template

from dnacase.i18n import N_
from dnacase.i18n import gettext as _
from dnacase.web.deps import AuthUser
from dnacase.web.responses import page

ROLE_LABELS = {
    "collector": N_("Sample collector"),
    "lab": N_("Laboratory"),
    "reviewer": N_("Reviewer"),
    "admin": N_("Administrator"),
}


def role_label(role: str) -> str:
    """Translated name of a role."""
    return _(ROLE_LABELS.get(role, role))


@get("/", name="home", include_in_schema=False)
async def home(request: Request, user: AuthUser) -> Template:
    nav = request.app.state.nav
    cards = [item.translated() for item in nav if item.visible_to(user)]
    return page(
        "home/index.html",
        cards=cards,
        role_names=[role_label(r) for r in sorted(user.roles)],
    )


ROUTE_HANDLERS: list[Any] = [home]
