"""Browser test: the candidate page's joint analysis of the demo's two brothers, at 390 px and
1280 px (no horizontal scrolling of the page), in Vietnamese. Screenshots go to
``$DNACASE_SCREENSHOTS`` when set (to look at), else to the test's temporary directory."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.browser.test_review_browser import _login, _rival_pair
from tests.conftest import serve_app

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def joint_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    genotypes = str(ROOT / "fixtures" / "demo" / "genotypes_globalfiler.csv")
    with serve_app(tmp_path_factory.mktemp("joint-live"), ["demo"],
                   ["search", "run", "--genotypes", genotypes]) as base:
        yield base


@pytest.mark.parametrize("width", [390, 1280])
def test_joint_section_at_390_and_1280(browser, joint_server, tmp_path, width) -> None:
    ctx, page = _login(browser, joint_server, "reviewer", "reviewer-demo-pass")
    x, _y = _rival_pair(ctx)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"/review/{x}")
    section = page.locator("#joint")
    section.wait_for()
    assert "Phân tích đồng thời" in section.inner_text()
    assert page.locator("#joint-differs").is_visible()
    assert page.locator("#joint .joint-rows li").count() >= 2
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
    out = Path(os.environ.get("DNACASE_SCREENSHOTS") or tmp_path)
    section.scroll_into_view_if_needed()
    section.screenshot(path=str(out / f"joint-{width}.png"))
    ctx.close()
