"""End to end in headless Chromium: the pages work under the Content-Security-Policy (no
violation reported on the main pages of each area) and the site refuses to be framed."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.browser

PAGES = ("/", "/audit", "/users", "/registry", "/kits", "/imports/profiles", "/review")


def test_pages_raise_no_csp_violation_and_cannot_be_framed(page: Any, live_server: str) -> None:
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text))
    page.goto("/login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "admin-demo-pass")
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(re.compile(r".*/$"))
    for path in PAGES:
        response = page.goto(path)
        assert response is not None and response.status < 500, path
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    # an inline script injected into a page is blocked by the policy
    page.set_content("<p>x</p>")  # about:blank has no policy: go back to a served page
    page.goto("/")
    page.evaluate("""() => { const s = document.createElement('script');
        s.textContent = 'window.__inline_ran = true'; document.body.appendChild(s); }""")
    assert page.evaluate("() => window.__inline_ran === true") is False
    csp = [v for v in violations if "Content Security" in v]
    assert len(csp) == 1 and "inline" in csp[0], csp  # only the injected script was refused
    # framing: a page that frames the site gets nothing
    framed = page.context.new_page()
    framed.set_content(f'<iframe id="f" src="{live_server}/login"></iframe>')
    framed.wait_for_timeout(500)
    urls = [f.url for f in framed.frames[1:]]
    assert urls and not any(u.endswith("/login") for u in urls), urls  # blocked: error page
