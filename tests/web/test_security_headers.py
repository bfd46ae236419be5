"""Security headers on every kind of response, and no inline script in any template (the
Content-Security-Policy allows scripts from this site only). SQLite and PostgreSQL."""

from __future__ import annotations

import re
from typing import Any

import pytest

from dnacase.settings import project_root
from tests.conftest import csrf_headers


def _check(r: Any) -> None:
    csp = r.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["frame-ancestors"] == "'none'"
    assert directives["script-src"] == "'self'" and "unsafe" not in directives["default-src"]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "same-origin"
    assert r.headers.get_list("content-security-policy") == [csp]  # set once


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/login", 200),
        ("/api/health", 200),
        ("/static/app.css", 200),
        ("/static/sample_profiles.js", 200),
        ("/no/such/page", 404),
        ("/api/me", 401),
        ("/", 303),
    ],
)
async def test_anonymous_responses_carry_the_headers(client: Any, path: str, status: int) -> None:
    r = await client.get(path, follow_redirects=False)
    assert r.status_code == status
    _check(r)


async def test_logged_in_pages_errors_and_api_carry_the_headers(client_as: Any) -> None:
    admin = await client_as("admin")
    for path, status in (("/", 200), ("/api/users", 200), ("/users/987654", 404),
                         ("/api/graves/3000000000", 404)):
        r = await admin.get(path)
        assert r.status_code == status, path
        _check(r)
    r = await admin.post("/api/auth/logout")  # no CSRF header: 403
    assert r.status_code == 403
    _check(r)
    r = await admin.post("/api/auth/logout", headers=await csrf_headers(admin))
    _check(r)


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)


def test_templates_have_no_inline_script_or_event_handler() -> None:
    offenders = []
    for path in (project_root() / "templates").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        if INLINE_SCRIPT.search(text) or EVENT_HANDLER.search(text) or "javascript:" in text:
            offenders.append(str(path))
    assert offenders == []
