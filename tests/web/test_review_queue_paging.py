"""The review queue page by page (keyset): the pages, concatenated, are the whole queue in the
unpaginated order (ties broken by case id), filters apply, a forged cursor is a 400, and the
HTML page links to the next page. SQLite and PostgreSQL."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services"))

import pytest
from sqlalchemy import select, update
from test_search_support import build_world

from dnacase.models.review import ReviewCase
from dnacase.services import review, review_queue, search


@pytest.fixture
async def queue_ids(sessionmaker: Any, tmp_path: Path) -> list[int]:
    async with sessionmaker() as s, s.begin():
        world = await build_world(s, n_families=6, n_unrelated=1)
        run = await search.create_run(s, search.SearchParameters())
    await search.execute_run(sessionmaker, run.id, world.source, cache_dir=tmp_path / "t")
    async with sessionmaker() as s, s.begin():
        ids = [it.case.id for it in await review.list_queue(s)]
        assert len(ids) >= 5
        # ties on both sort keys: the order must fall back to the case id
        await s.execute(update(ReviewCase).where(ReviewCase.id.in_(ids[1:4])).values(
            posterior=0.5, log10_lr=7.25))
    async with sessionmaker() as s:
        return [it.case.id for it in await review.list_queue(s)]


async def test_pages_concatenate_to_the_whole_queue(client_as: Any, queue_ids: list[int]) -> None:
    rev = await client_as("reviewer")
    seen: list[int] = []
    after = ""
    for _ in range(len(queue_ids) + 1):
        r = await rev.get("/api/review/cases", params={"limit": 2, "after": after})
        assert r.status_code == 200, r.text
        assert len(r.json()) <= 2
        seen += [c["case_id"] for c in r.json()]
        after = r.headers.get("x-next-cursor", "")
        if not after:
            break
    assert seen == queue_ids
    assert len(set(seen)) == len(seen)


async def test_filters_and_a_forged_cursor(
    client_as: Any, queue_ids: list[int], sessionmaker: Any
) -> None:
    rev = await client_as("reviewer")
    async with sessionmaker() as s:
        lrs = {c.id: c.log10_lr for c in (await s.execute(select(ReviewCase))).scalars()}
    r = await rev.get("/api/review/cases", params={"min_log10_lr": 7.25})
    assert r.status_code == 200
    assert [c["case_id"] for c in r.json()] == [i for i in queue_ids if lrs[i] >= 7.25]
    assert len(r.json()) >= 3
    one = r.json()[0]
    r = await rev.get("/api/review/cases", params={"remains_id": one["remains_id"]})
    assert {c["remains_id"] for c in r.json()} == {one["remains_id"]}
    for forged in ("not-base64!", "WzEsIDJd", review_queue.encode_cursor(
            ReviewCase(posterior=float("nan"), log10_lr=1.0, id=1))):
        r = await rev.get("/api/review/cases", params={"after": forged})
        assert r.status_code == 400 and "after" in r.json()["fields"], forged


async def test_html_queue_links_to_the_next_page(
    client_as: Any, queue_ids: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(review_queue, "PAGE_SIZE", 3)
    rev = await client_as("reviewer")
    r = await rev.get("/review/")
    assert r.status_code == 200
    assert [f'data-case="{i}"' in r.text for i in queue_ids[:4]] == [True, True, True, False]
    link = r.text.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
    r = await rev.get(link.replace("&amp;", "&"))
    assert f'data-case="{queue_ids[3]}"' in r.text and 'rel="first"' in r.text
