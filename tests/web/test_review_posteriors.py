"""The candidate page, the queue, the report and the API show the pool-wide posteriors: both
sides, the formula with pi_0, the rivals with their posteriors, the rules met; LRs written as
8.1 × 10<sup>15</sup>, never a caret nor "100.000000 %"."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services"))

from test_search_posteriors import _twin_family
from test_search_support import build_world

from dnacase.services import search
from dnacase.services.search_inputs import gather_inputs


async def _rival_world(sessionmaker, tmp_path):
    """A world where one missing person has a twin family (same references): every remains
    matching one matches the other equally."""
    async with sessionmaker() as s, s.begin():
        world = await build_world(s, n_families=3, n_unrelated=1)
    async with sessionmaker() as s:
        inputs = await gather_inputs(s, world.source)
    fam0 = next(f for f in inputs.families if f.missing_person_id == world.mp_ids[0])
    twin = await _twin_family(sessionmaker, world, fam0)
    async with sessionmaker() as s, s.begin():
        run = await search.create_run(s, search.SearchParameters(prior_none=0.2))
    run = await search.execute_run(sessionmaker, run.id, world.source, cache_dir=tmp_path)
    return world, twin, run


async def test_candidate_page_and_report_state_the_pool_posteriors(sessionmaker, tmp_path,
                                                                   client_as, csrf):
    world, twin, run = await _rival_world(sessionmaker, tmp_path)
    rev = await client_as("reviewer")
    cases = (await rev.get("/api/review/cases")).json()
    assert cases and all(c["rules_met"] for c in cases)
    # the two twins' cases for one remains: posteriors sum to at most 1, ranked by posterior
    posts = [c["posterior"] for c in cases]
    assert posts == sorted(posts, reverse=True)
    pair = [c for c in cases if c["missing_person_id"] in (world.mp_ids[0], twin)]
    assert len(pair) == 2 and pair[0]["remains_id"] == pair[1]["remains_id"]
    assert pair[0]["posterior"] + pair[1]["posterior"] <= 1.0 + 1e-12
    assert pair[0]["rules_met"] == ["lr"]  # the LR rule only: the rival halves the posterior
    one = (await rev.get(f"/api/review/cases/{pair[0]['case_id']}")).json()
    assert one["prior_none"] == 0.2
    assert one["posterior"] == min(one["posterior_remains"], one["posterior_family"])
    assert [r["missing_person_id"] for r in one["competitors"]] == [pair[1]["missing_person_id"]]
    rival_name = pair[1]["missing_person"]
    for lang in ("vi", "en"):
        page = await rev.get(f"/review/{pair[0]['case_id']}",
                             headers={"accept-language": lang})
        assert page.status_code == 200
        text = page.text
        assert 'id="posterior-remains"' in text and 'id="posterior-family"' in text
        assert 'id="formula"' in text and "π₀ = 0.2" in text
        assert "<sup>" in text and "10^" not in text and "100.000000" not in text
        assert rival_name in text
    report = await rev.get(f"/review/{pair[0]['case_id']}/report?lang=en")
    assert report.status_code == 200
    assert "Rivals considered" in report.text and rival_name in report.text
    assert "π₀ = 0.2" in report.text and "10^" not in report.text
    queue = await rev.get("/review/")
    assert queue.status_code == 200 and "10^" not in queue.text and "<sup>" in queue.text
    assert "100.000000" not in queue.text
    # pi_0 is a run parameter of the API and the form, validated
    bad = await rev.post("/api/search/runs", json={"prior_none": 1.5}, headers=await csrf(rev))
    assert bad.status_code == 400
    page = await rev.get(f"/search/runs/{run.id}")
    assert 'id="run-prior-none"' in page.text
    import io

    import pytest

    pypdf = pytest.importorskip("pypdf")
    pdf = await rev.get(f"/review/{pair[0]['case_id']}/report.pdf?lang=en")
    assert pdf.status_code == 200
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Rivals considered" in text and rival_name in text and "10^" not in text
