"""Browser test: on the demo, a reviewer and an admin confirm that the two bones of one man are
one individual (the pair page at phone and desktop widths, screenshots saved), then the pair is
confirmed. Headless Chromium through Playwright."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import serve_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_only(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on the demo database (``dnacase demo`` queues the two bones)."""
    with serve_app(tmp_path_factory.mktemp("reassoc-live"), ["demo"]) as base:
        yield base


def _login(browser, base: str, username: str, password: str, width: int):
    ctx = browser.new_context(base_url=base, locale="vi-VN",
                              viewport={"width": width, "height": 900})
    page = ctx.new_page()
    page.set_default_timeout(15_000)
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form[action=\"/login\"] button[type=submit]")
    page.wait_for_load_state()
    assert "/login" not in page.url, page.content()[-3000:]
    return ctx, page


def _no_horizontal_scroll(page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"page wider than the viewport by {overflow}px"


def test_two_reviewers_reassociate_the_two_bones(browser, demo_only, tmp_path: Path) -> None:
    shots = tmp_path
    ctx1, p1 = _login(browser, demo_only, "reviewer", "reviewer-demo-pass", 390)
    p1.goto("/reassociation/")
    card = p1.locator("#pairs [data-pair]")
    assert card.count() == 1
    assert "C-4-3" in card.first.inner_text() and "C-4-4" in card.first.inner_text()
    _no_horizontal_scroll(p1)
    p1.screenshot(path=str(shots / "reassociation-list-390.png"), full_page=True)
    card.first.click()
    p1.wait_for_selector("#pair-decision-form")
    _no_horizontal_scroll(p1)
    p1.screenshot(path=str(shots / "reassociation-pair-390.png"), full_page=True)
    assert p1.locator("#loci tbody tr").count() == 9
    # no default decision: submitting without a choice is stopped by the required radio
    assert p1.locator("#pair-decision-form input[type=radio]:checked").count() == 0
    p1.check("#pair-decision-form input[value=same]")
    p1.fill("#pair-decision-form input[name=reason]", "Chín locus trùng khớp, mộ liền kề")
    p1.click("#pair-decision-form button[type=submit]")
    p1.wait_for_selector("text=Chín locus trùng khớp, mộ liền kề")
    assert p1.locator("#pair-status").inner_text().strip() != ""
    ctx1.close()
    ctx2, p2 = _login(browser, demo_only, "admin", "admin-demo-pass", 1280)
    p2.goto("/reassociation/")
    p2.locator("#pairs [data-pair] ").first.click()
    p2.wait_for_selector("#pair-decision-form")
    assert p2.locator("text=Chín locus trùng khớp, mộ liền kề").count() == 0  # blind
    p2.screenshot(path=str(shots / "reassociation-pair-1280.png"), full_page=True)
    p2.check("#pair-decision-form input[value=same]")
    p2.fill("#pair-decision-form input[name=reason]", "Đồng ý: cùng một người")
    p2.click("#pair-decision-form button[type=submit]")
    p2.wait_for_selector("text=Đồng ý: cùng một người")
    assert p2.locator("#pair-decision-form").count() == 0
    p2.goto("/reassociation/?status=confirmed")
    assert p2.locator("#pairs [data-pair]").count() == 1
    p2.screenshot(path=str(shots / "reassociation-confirmed-1280.png"), full_page=True)
    ctx2.close()
