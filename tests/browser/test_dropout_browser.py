"""Browser test: the demo's degraded remains sample is a candidate only thanks to the dropout
model, and its candidate page says which loci were read with dropout (390 px and 1280 px)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests.browser.test_review_browser import _login, demo_server  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("DNACASE_SCREENSHOTS", "/tmp/dnacase-screenshots"))


def test_candidate_page_names_the_dropout_loci(browser, demo_server) -> None:  # noqa: F811
    ctx, page = _login(browser, demo_server, "reviewer", "reviewer-demo-pass")
    page.goto("/review/")
    ids = [r.get_attribute("data-case")
           for r in page.locator("#queue tbody tr[data-case]").all()]
    found = None
    for cid in ids:
        page.goto(f"/review/{cid}")
        note = page.locator("#dropout-note")
        if note.count() and "alen 0.3 " in note.inner_text():  # bone default: 0.1
            found = cid
            break
    assert found is not None, "the degraded remains sample must reach the queue"
    note = page.locator("#dropout-note").inner_text()
    for locus in ("CSF1PO", "D16S539", "D8S1179", "D22S1045", "D13S317", "D2S1338"):
        assert locus in note
    assert "0.3" in note
    assert page.locator("#loci td:has-text('một đỉnh: mất alen')").count() >= 6
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"/review/{found}")
        page.locator("#loci").scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / f"candidate-dropout-{width}.png"), full_page=True)
        box = page.locator("#dropout-note").bounding_box()
        assert box is not None and box["x"] + box["width"] <= width + 1  # the note fits
    ctx.close()
