"""Browser test: a reviewer confirms a demo candidate (second of two reviewers) and opens the
identification report (HTML and PDF). Headless Chromium through Playwright."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import serve_app

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on a demo database that has been searched (candidates in the queue)."""
    genotypes = str(ROOT / "fixtures" / "demo" / "genotypes_globalfiler.csv")
    with serve_app(
        tmp_path_factory.mktemp("review-live"),
        ["demo"],
        ["search", "run", "--genotypes", genotypes],
    ) as base:
        yield base


def _login(browser, base: str, username: str, password: str):
    ctx = browser.new_context(base_url=base, locale="vi-VN")
    page = ctx.new_page()
    page.set_default_timeout(15_000)
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form[action=\"/login\"] button[type=submit]")
    page.wait_for_load_state()
    assert "/login" not in page.url, page.content()[-3000:]
    return ctx, page


def test_reviewer_confirms_and_opens_the_pdf(browser, demo_server) -> None:
    base = demo_server
    # first reviewer (the admin also holds review rights) confirms the top candidate
    ctx1, p1 = _login(browser, base, "admin", "admin-demo-pass")
    p1.goto("/review/")
    first = p1.locator("#queue tbody tr[data-case]").first
    case_id = first.get_attribute("data-case")
    first.locator("a").first.click()
    p1.wait_for_url(f"**/review/{case_id}")
    assert p1.locator("#pedigree svg").count() == 1
    assert p1.locator("#loci tbody tr").count() >= 15
    p1.select_option("#decision-form select[name=decision]", "confirm")
    p1.fill("#decision-form input[name=reason]", "Đơn vị và nơi an táng phù hợp")
    p1.click("#decision-form button[type=submit]")
    p1.wait_for_selector("text=Đơn vị và nơi an táng phù hợp")
    ctx1.close()
    # the reviewer: blind (does not see the first decision), confirms, opens the report
    ctx2, p2 = _login(browser, base, "reviewer", "reviewer-demo-pass")
    p2.goto(f"/review/{case_id}")
    assert p2.locator("text=Đơn vị và nơi an táng phù hợp").count() == 0
    p2.select_option("#decision-form select[name=decision]", "confirm")
    p2.fill("#decision-form input[name=reason]", "Kiểm tra độc lập: đồng ý")
    p2.click("#decision-form button[type=submit]")
    p2.wait_for_selector("#report-links")
    assert p2.locator("#case-status").inner_text().strip() != ""
    p2.click("text=HTML (vi)")
    p2.wait_for_selector("#report-lr")
    assert "Tỷ số khả năng (LR)" in p2.content()
    href = p2.locator("a:has-text('PDF')").first.get_attribute("href")
    pdf = ctx2.request.get(base + href if href.startswith("/") else href)
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF-")
    ctx2.close()
