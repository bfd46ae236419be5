"""The table of routes x roles (``docs/routes.md``), generated from the guards in the code.

    python -m dnacase.web.routes_doc > docs/routes.md

``tests/web/test_route_access.py`` fails when ``docs/routes.md`` differs from this output, and
checks by real requests that every role is let in or refused exactly as the table says.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dnacase.models.users import ROLES
from dnacase.web.guards import declared_access

COLUMNS: tuple[str, ...] = ("anonymous", *ROLES)
YES = "✓"
NO = "·"
SKIP_METHODS = {"HEAD", "OPTIONS"}


@dataclass(frozen=True, slots=True)
class RouteAccess:
    """One method + path and who may use it (``None`` in ``roles`` = public)."""

    method: str
    path: str
    roles: frozenset[str] | None
    handler: Any

    def allows(self, who: str) -> bool:
        if self.roles is None:
            return True
        return who != "anonymous" and who in self.roles


def route_table(app: Any) -> list[RouteAccess]:
    """Every (method, path) of ``app`` with its declared access, sorted by path then method."""
    rows: list[RouteAccess] = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            for method in sorted(handler.http_methods):
                if method in SKIP_METHODS:
                    continue
                rows.append(RouteAccess(method, route.path, declared_access(handler), handler))
    rows.sort(key=lambda r: (r.path, r.method))
    return rows


def render_markdown(rows: list[RouteAccess]) -> str:
    out = [
        "# Routes and roles",
        "",
        "Generated from the guards in the code by `python -m dnacase.web.routes_doc > "
        "docs/routes.md`; `tests/web/test_route_access.py` fails if this file differs from the "
        "code and checks every cell with real requests.",
        "",
        f"{YES} = allowed, {NO} = refused: an anonymous browser is sent to `/login`, an anonymous "
        "API call (`/api/...`) gets 401; a logged-in user without the role gets 403 (page or "
        "JSON). JSON API: session cookie from `POST /api/auth/login`, plus the `csrftoken` "
        "cookie's value in the `x-csrftoken` header on POST/PUT/PATCH/DELETE.",
        "",
        "| Method | Path | " + " | ".join(COLUMNS) + " |",
        "|---|---|" + "|".join(":-:" for _ in COLUMNS) + "|",
    ]
    for r in rows:
        cells = " | ".join(YES if r.allows(c) else NO for c in COLUMNS)
        out.append(f"| {r.method} | `{r.path}` | {cells} |")
    return "\n".join(out) + "\n"


def main() -> None:
    from dnacase.settings import Settings
    from dnacase.web.app import create_app

    app = create_app(Settings(secret_key="x" * 40, environment="test"))
    print(render_markdown(route_table(app)), end="")


if __name__ == "__main__":
    main()
