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


def _rival_pair(ctx) -> tuple[str, str]:
    """Two open cases of the same remains (the demo's two missing brothers): ``(x, y)``."""
    cases = ctx.request.get("/api/review/cases").json()
    by_remains: dict[int, list[dict]] = {}
    for c in cases:
        by_remains.setdefault(c["remains_id"], []).append(c)
    pairs = [v for v in by_remains.values() if len(v) >= 2]
    assert pairs, "the demo must hold two candidates of one remains"
    x, y = sorted(pairs[0], key=lambda c: c["case_id"])[:2]
    return str(x["case_id"]), str(y["case_id"])


def _shoot(page, name: str, tmp_path: Path) -> None:
    """Screenshots at phone and desktop widths (DNACASE_SCREENSHOT_DIR keeps them)."""
    import os

    out = Path(os.environ.get("DNACASE_SCREENSHOT_DIR") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(out / f"{name}-{width}.png"), full_page=True)
        # nothing may stick out sideways at either width
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1, name


def test_rival_warning_and_refused_rival_confirmation(browser, demo_server, tmp_path) -> None:
    base = demo_server
    ctx1, p1 = _login(browser, base, "admin", "admin-demo-pass")
    x, y = _rival_pair(ctx1)
    # the first reviewer sees the rivals above the form with a warning; no default decision
    p1.goto(f"/review/{x}")
    assert p1.locator("#rival-warning").is_visible()
    assert "Cảnh báo" in p1.locator("#rival-warning").inner_text()
    assert p1.locator(f"#rivals li[data-rival='{y}']").count() == 1
    box_rivals = p1.locator("#rivals").bounding_box()
    box_form = p1.locator("#decision-form").bounding_box()
    assert box_rivals["y"] < box_form["y"]
    assert p1.locator("#decision-form select[name=decision]").input_value() == ""
    # the evidence the LR rests on and the profile versions it was computed from
    assert "STR nhiễm sắc thể thường" in p1.locator("#evidence").inner_text()
    assert "@" in p1.locator("#versions-used").inner_text()  # the lab table's row versions
    _shoot(p1, "candidate-with-rivals", tmp_path)
    # confirming without acknowledging the rivals is refused, naming them
    p1.select_option("#decision-form select[name=decision]", "confirm")
    p1.fill("#decision-form input[name=reason]", "Đơn vị và quê quán phù hợp")
    p1.click("#decision-form button[type=submit]")
    p1.wait_for_selector(".flash-error")
    assert f"#{y}" in p1.locator(".flash-error").inner_text()
    p1.check("#decision-form input[name=acknowledge_rivals]")
    p1.click("#decision-form button[type=submit]")
    p1.wait_for_selector("#decisions")
    # the second reviewer has the rival's page open (a stale page) ...
    ctx2, p2 = _login(browser, base, "reviewer", "reviewer-demo-pass")
    p2.goto(f"/review/{y}")
    assert p2.locator("#rival-warning").is_visible()
    # ... confirms x in another tab: x is identified, y is closed
    p3 = ctx2.new_page()
    p3.goto(f"/review/{x}")
    p3.select_option("#decision-form select[name=decision]", "confirm")
    p3.fill("#decision-form input[name=reason]", "Kiểm tra độc lập: đồng ý")
    p3.check("#decision-form input[name=acknowledge_rivals]")
    p3.click("#decision-form button[type=submit]")
    p3.wait_for_selector("#report-links")
    # the rival confirmation from the stale page is refused with the message
    p2.select_option("#decision-form select[name=decision]", "confirm")
    p2.fill("#decision-form input[name=reason]", "Cũng phù hợp")
    p2.check("#decision-form input[name=acknowledge_rivals]")
    p2.click("#decision-form button[type=submit]")
    p2.wait_for_selector(".flash-error")
    msg = p2.locator(".flash-error").inner_text()
    assert "đã được xác định là" in msg and f"hồ sơ #{x}" in msg
    assert "Quản trị viên (demo)" in msg
    _shoot(p2, "rival-refused", tmp_path)
    p2.goto(f"/review/{y}")
    assert p2.locator("#closed-rival").is_visible()
    assert p2.locator("#decision-form").count() == 0
    # the identification report of x names the rival that was considered, with its posterior
    rival_name = ctx2.request.get(f"/api/review/cases/{y}").json()["missing_person"]
    p3.goto(f"/review/{x}/report?lang=vi")
    rivals = p3.locator("#report-rivals").inner_text()
    assert rival_name in rivals and "%" in rivals
    _shoot(p3, "report-names-the-rival", tmp_path)
    ctx1.close()
    ctx2.close()
