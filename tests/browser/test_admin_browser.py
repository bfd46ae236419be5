"""End to end in headless Chromium: an admin logs in (Vietnamese), switches to English and opens
the audit log, which shows the login."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.browser


def test_admin_logs_in_switches_language_and_sees_the_audit_log(
    page: Any, live_server: str
) -> None:
    page.goto("/audit")
    page.wait_for_url(re.compile(r".*/login\?next=/audit$"))
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.locator("h1").inner_text() == "Đăng nhập"

    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "admin-demo-pass")
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(re.compile(r".*/audit$"))
    assert page.locator("h1").inner_text() == "Nhật ký kiểm toán"

    page.click("form.lang-switch button[value=en]")
    page.wait_for_url(re.compile(r".*/audit$"))
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Audit log"
    rows = page.locator("table.audit tbody tr")
    assert rows.count() >= 1
    assert "auth.login" in page.locator("table.audit").inner_text()

    page.fill("input[name=action]", "auth.login")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r".*/audit\?.*action=auth.login.*"))
    assert "admin" in page.locator("table.audit tbody").inner_text()

    page.click("a[href='/audit/verify']")
    assert page.locator("[data-verify=ok]").is_visible()
