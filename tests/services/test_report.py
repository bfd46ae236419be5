"""Candidate detail and the identification report (HTML context and PDF, vi and en)."""

from __future__ import annotations

import io

import pytest
from test_search_support import build_world

from dnacase.services import report, review, search


async def _case(sessionmaker, tmp_path):
    async with sessionmaker() as s, s.begin():
        world = await build_world(s, n_families=3, n_unrelated=1)
        run = await search.create_run(s, search.SearchParameters())
    await search.execute_run(sessionmaker, run.id, world.source, cache_dir=tmp_path)
    async with sessionmaker() as s:
        case = (await review.list_queue(s))[0].case
    return world, case


async def test_candidate_detail(sessionmaker, tmp_path):
    world, case = await _case(sessionmaker, tmp_path)
    async with sessionmaker() as s:
        d = await report.candidate_detail(s, case.id, source=world.source)
    assert d.svg.startswith("<svg") and f"#{case.remains_id}" in d.svg
    typed = {f"rel:{r}" for r in world.relatives[case.missing_person_id]}
    assert {nid for nid, _n, _r in d.relatives} == typed
    per = d.item.result.per_locus
    shown = [r for r in d.loci if r.log10_lr is not None]
    assert {r.locus for r in shown} == set(per)
    assert sum(r.log10_lr for r in shown) == pytest.approx(d.item.result.log10_lr)
    prof = world.source.remains[case.remains_id].alleles
    for r in shown:
        assert r.remains == "/".join(prof[r.locus])
        assert all(v for v in r.relatives.values())
    assert d.typing_kits == ["Identifiler"]


@pytest.mark.parametrize("lang", ["vi", "en"])
async def test_report_pdf_in_both_languages(sessionmaker, tmp_path, lang, backend):
    if backend != "sqlite":
        pytest.skip("rendering does not depend on the database")
    world, case = await _case(sessionmaker, tmp_path)
    async with sessionmaker() as s:
        d = await report.candidate_detail(s, case.id, source=world.source)
    ctx = report.report_context(d, lang)
    assert ctx["missing_name"] == d.item.missing.full_name
    assert "nist1036_asian" in ctx["frequency"] and "stepwise" in ctx["mutation"]
    assert ctx["t"] is report.TEXTS[lang]
    pdf = report.report_pdf(d, lang)
    assert pdf.startswith(b"%PDF-")
    PdfReader = pytest.importorskip("pypdf").PdfReader

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert d.item.missing.full_name in text  # Vietnamese diacritics survive (embedded font)
    assert report.TEXTS[lang]["title"] in text
    assert ctx["log10_lr"] in text


def test_lr_words():
    assert report.lr_words(3.0) == "1,000"
    assert report.lr_words(12.5).endswith("× 10^12")
