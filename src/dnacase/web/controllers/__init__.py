"""Web areas. Each module in ``AREA_MODULES`` exposes:

* ``ROUTE_HANDLERS``: a list of Litestar controllers / route handlers (JSON API under ``/api/...``
  and HTML pages side by side, both calling the same service);
* optionally ``NAV_ITEMS``: a list of :class:`NavItem` shown in the menu and on the home dashboard
  to users holding one of the item's roles.

To add an area: create ``dnacase/web/controllers/<area>.py``; add its module name here.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from dnacase.i18n import gettext as _

AREA_MODULES: tuple[str, ...] = (
    "dnacase.web.controllers.home",
    "dnacase.web.controllers.auth",
    "dnacase.web.controllers.users",
    "dnacase.web.controllers.audit",
    "dnacase.web.controllers.registry",
    "dnacase.web.controllers.families",
    "dnacase.web.controllers.kits",
    "dnacase.web.controllers.custody",
    "dnacase.web.controllers.collection",
    "dnacase.web.controllers.imports",
    "dnacase.web.controllers.profiles",
    "dnacase.web.controllers.search",
    "dnacase.web.controllers.review",
    "dnacase.web.controllers.reassociation",
)


@dataclass(frozen=True, slots=True)
class NavItem:
    """A menu entry. ``label``/``description`` are English msgids (translated when shown);
    ``roles``: who sees it (empty = every logged-in user); lower ``order`` comes first."""

    label: str
    href: str
    roles: tuple[str, ...] = ()
    description: str = ""
    order: int = 100

    def visible_to(self, user: Any) -> bool:
        return user is not None and (not self.roles or user.has_role(*self.roles))

    def translated(self) -> dict[str, str]:
        return {
            "label": _(self.label),
            "href": self.href,
            "description": _(self.description) if self.description else "",
        }


def load_areas() -> tuple[list[Any], list[NavItem]]:
    """Import every area; return all route handlers and all nav items (sorted)."""
    handlers: list[Any] = []
    nav: list[NavItem] = []
    for name in AREA_MODULES:
        module = importlib.import_module(name)
        handlers.extend(getattr(module, "ROUTE_HANDLERS", []))
        nav.extend(getattr(module, "NAV_ITEMS", []))
    nav.sort(key=lambda n: (n.order, n.href))
    return handlers, nav
