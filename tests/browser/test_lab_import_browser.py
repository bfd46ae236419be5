"""Browser test: a lab user uploads a GeneMapper export, reads the validation report, commits,
and finds the profiles on the samples' (kits') pages. Headless Chromium through Playwright, on
the demo database (kits checked in by the demo lab)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import serve_app
from tests.services.test_profile_import import genemapper

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
DEMO_LAB = "Phòng xét nghiệm ADN (demo)"


@pytest.fixture(scope="module")
def lab_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on the demo database (kits checked in by the demo lab)."""
    with serve_app(tmp_path_factory.mktemp("lab-live"), ["demo"]) as base:
        yield base


def _demo_export() -> tuple[bytes, dict[str, dict[str, list[str]]]]:
    """The demo's lab-upload example (kits received by the demo lab, not yet profiled: the demo
    itself imports the other genotypes) as a GeneMapper ID-X export."""
    text = (ROOT / "fixtures" / "demo" / "lab_upload_example.csv").read_text("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    samples, amel = {}, {}
    for row in rows:
        name = row.pop("SampleName")
        row.pop("Kit", None)
        amel[name] = row.pop("AMEL").split(",")
        samples[name] = {k: v.split(",") for k, v in row.items() if v}
    return genemapper(samples, amel=amel), samples


def test_lab_user_imports_and_sees_profiles(browser, lab_server, tmp_path) -> None:
    data, samples = _demo_export()
    n = len(samples)
    assert n >= 2
    path = tmp_path / "GlobalFiler_run_2024-09-17.txt"
    path.write_bytes(data)
    ctx = browser.new_context(base_url=lab_server, locale="vi-VN")
    page = ctx.new_page()
    page.set_default_timeout(20_000)
    try:
        page.goto("/login")
        page.fill("input[name=username]", "lab")
        page.fill("input[name=password]", "lab-demo-pass")
        page.click("form[action=\"/login\"] button[type=submit]")
        page.wait_for_load_state()
        assert "/login" not in page.url
        page.goto("/imports/profiles")
        page.fill("#upload-form input[name=lab]", DEMO_LAB)
        page.set_input_files("#upload-form input[type=file]", str(path))
        page.click("#upload-form button[type=submit]")
        page.wait_for_selector("#report-summary")
        assert page.locator("#report-summary").get_attribute("data-ok") == "yes"
        assert page.locator("#count-samples").inner_text().strip() == str(n)
        assert page.locator("#samples tbody tr").count() == n
        assert page.locator("#issues").is_visible()
        page.click("#commit-button")
        page.wait_for_selector("#import-profiles")
        assert page.locator("#import-profiles tbody tr").count() == n
        for barcode, prof in samples.items():
            page.goto(f"/kits/{barcode}")
            page.wait_for_selector("#profiles[data-loaded=yes]")
            section = page.locator("#profiles")
            assert section.locator(".profile-card").count() == 1
            row = section.locator("tr[data-locus=D3S1358] td.alleles")
            assert row.inner_text().replace(" ", "") == ",".join(
                sorted(set(prof["D3S1358"]), key=float))
    finally:
        ctx.close()
