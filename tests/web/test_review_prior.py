"""The review candidate page says how the prior was chosen, in the report's words."""

from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy import update

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services"))

from test_search_support import build_world

from dnacase.models.registry import Cemetery
from dnacase.services import search


async def test_candidate_page_shows_the_area_prior_sentence(sessionmaker, tmp_path, client_as,
                                                           csrf):
    async with sessionmaker() as s, s.begin():
        world = await build_world(s, n_families=3, n_unrelated=1)
        await s.execute(update(Cemetery).values(candidate_pool_size=40))
        run = await search.create_run(s, search.SearchParameters(prior_mode="area"))
    await search.execute_run(sessionmaker, run.id, world.source, cache_dir=tmp_path / "t")
    rev = await client_as("reviewer")
    cases = (await rev.get("/api/review/cases")).json()
    assert cases
    case = (await rev.get(f"/api/review/cases/{cases[0]['case_id']}")).json()
    cemetery = case["cemetery"]
    assert cemetery == "Nghĩa trang thử nghiệm"
    # Vietnamese by default: the same sentence as the identification report
    page = await rev.get(f"/review/{cases[0]['case_id']}")
    assert page.status_code == 200
    assert f"= (1 − 0.1)/40: những liệt sĩ có thể được an táng tại {cemetery}" in page.text
    report = await rev.get(f"/review/{cases[0]['case_id']}/report?lang=vi")
    assert "= (1 − 0.1)/40: những liệt sĩ có thể được an táng tại" in report.text
    resp = await rev.post("/lang", data={"locale": "en", "next": "/"}, headers=await csrf(rev))
    assert resp.status_code == 200
    page = await rev.get(f"/review/{cases[0]['case_id']}")
    assert f"= (1 − 0.1)/40: the missing persons who could be buried in {cemetery}" in page.text
    assert "(area)" not in page.text
