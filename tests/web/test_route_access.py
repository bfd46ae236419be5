"""Route by route, role by role: who gets in and who is refused, exactly as ``docs/routes.md``
says. The table is generated from the guards (``python -m dnacase.web.routes_doc``), so:

1. ``docs/routes.md`` must equal the generated table (the docs cannot drift from the code);
2. every cell is checked against the guards the app really runs (all methods);
3. every refused cell, and every allowed GET, is checked with a real HTTP request: refused ->
   303 to ``/login`` (anonymous browser), 401 JSON (anonymous API), 403 (logged in, wrong role);
   allowed -> anything but those. Allowed POST/PATCH/... are checked at the guard only, so that
   the test does not run the use cases with junk input.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import RequestFactory

from dnacase.models.users import ROLES
from dnacase.web.auth import CurrentUser
from dnacase.web.routes_doc import COLUMNS, RouteAccess, render_markdown, route_table
from tests.conftest import csrf_headers

DOC = Path(__file__).resolve().parents[2] / "docs" / "routes.md"
PARAM = re.compile(r"\{(\w+):(\w+)\}")
FILL = {"int": "987654321", "str": "ZZ-NOPE-0", "path": "app.css", "uuid": "0" * 32}
SAFE = {"GET"}


def concrete(path: str) -> str:
    return PARAM.sub(lambda m: FILL.get(m.group(2), "x"), path)


def test_docs_table_matches_the_code(app: Any) -> None:
    expected = render_markdown(route_table(app))
    actual = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    assert actual == expected, (
        "docs/routes.md is out of date: run `python -m dnacase.web.routes_doc > docs/routes.md` "
        "and review the change"
    )


def test_every_route_is_guarded_or_explicitly_public(app: Any) -> None:
    public = {(r.method, r.path) for r in route_table(app) if r.roles is None}
    assert public == {
        ("GET", "/api/auth/csrf"),
        ("POST", "/api/auth/login"),
        ("GET", "/api/health"),
        ("POST", "/lang"),
        ("GET", "/login"),
        ("POST", "/login"),
        ("GET", "/static/{file_path:path}"),
    }, "a new public route must be added here deliberately"


async def test_guards_enforce_the_table(app: Any) -> None:
    factory = RequestFactory(app=app)
    users = {
        role: CurrentUser(
            id=i + 1, username=role, display_name=role, roles=frozenset({role}), locale="vi"
        )
        for i, role in enumerate(ROLES)
    }
    problems = []
    for row in route_table(app):
        for who in COLUMNS:
            request = factory.get(concrete(row.path))
            request.scope["state"] = {"user": users.get(who)}
            try:
                await row.handler.authorize_connection(request)
                allowed = True
            except Exception:
                allowed = False
            if allowed != row.allows(who):
                problems.append(f"{row.method} {row.path} as {who}: guard says {allowed}")
    assert not problems, "\n".join(problems)


def _refusal_problem(row: RouteAccess, who: str, resp: Any) -> str | None:
    api = row.path.startswith("/api/")
    if who == "anonymous" and not api:
        ok = resp.status_code == 303 and resp.headers.get("location", "").startswith("/login")
    elif who == "anonymous":
        ok = resp.status_code == 401 and resp.json().get("error") == "not_authenticated"
    elif api:
        ok = resp.status_code == 403 and resp.json().get("error") == "permission_denied"
    else:
        ok = resp.status_code == 403 and 'data-status="403"' in resp.text
    return None if ok else f"expected a refusal, got {resp.status_code}"


def _entry_problem(resp: Any) -> str | None:
    if resp.status_code in (401, 403):
        return f"refused with {resp.status_code}"
    if resp.status_code in (302, 303) and resp.headers.get("location", "").startswith("/login"):
        return "sent to the login page"
    if resp.status_code >= 500:
        return f"server error {resp.status_code}"
    return None


async def test_requests_follow_the_table(app: Any, client: Any, client_as: Any) -> None:
    clients = {"anonymous": client}
    for role in ROLES:
        clients[role] = await client_as(role)
    headers = {who: await csrf_headers(c) for who, c in clients.items()}
    problems = []
    checked = 0
    for row in route_table(app):
        url = concrete(row.path)
        for who in COLUMNS:
            allowed = row.allows(who)
            if allowed and row.method not in SAFE:
                continue  # guard-level check above; do not run use cases with junk input
            c = clients[who]
            resp = await c.request(
                row.method,
                url,
                headers=headers[who],
                follow_redirects=False,
                **({} if row.method in SAFE else {"data": {}}),
            )
            checked += 1
            problem = _entry_problem(resp) if allowed else _refusal_problem(row, who, resp)
            if problem:
                problems.append(f"{row.method} {url} as {who}: {problem}")
    assert checked > 100
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("who", ["collector", "lab", "reviewer"])
async def test_admin_pages_refuse_other_roles(client_as: Any, who: str) -> None:
    c = await client_as(who)
    for path in ("/users", "/audit", "/api/users", "/api/audit"):
        resp = await c.get(path, follow_redirects=False)
        assert resp.status_code == 403, (path, resp.status_code)
