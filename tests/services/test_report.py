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
    assert "norstr_east_asia" in ctx["frequency"] and "stepwise" in ctx["mutation"]
    assert ctx["theta"] == "0.0" and "Kinh" in ctx["kinh_note"]  # a shipped table was used
    assert ctx["t"] is report.TEXTS[lang]
    pdf = report.report_pdf(d, lang)
    assert pdf.startswith(b"%PDF-")
    PdfReader = pytest.importorskip("pypdf").PdfReader

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert d.item.missing.full_name in text  # Vietnamese diacritics survive (embedded font)
    assert report.TEXTS[lang]["title"] in text
    assert ctx["log10_lr"] in text


def test_report_states_both_posteriors_the_formula_and_the_rivals():
    """(content checks are in tests/web/test_review_posteriors.py and test_numbers.py)"""
    assert "rivals" in report.TEXTS["en"] and "formula_remains" in report.TEXTS["vi"]


async def test_candidate_detail_compares_lineage_haplotypes_along_the_lines(sessionmaker,
                                                                            tmp_path):
    """The remains' mtDNA / Y haplotypes against the family's typed relatives: relatives in the
    missing man's maternal (mtDNA) or paternal (Y) line are compared with the lineage rules,
    the others are listed as outside the line; differences are named."""
    import numpy as np
    from test_search_lineage_filter import _mt, _mutate, _y

    from dnacase.kinship.lineage import mtdna_references, ystr_references
    from dnacase.services.search_inputs import LineageInput, gather_inputs

    world, case = await _case(sessionmaker, tmp_path)
    rng = np.random.default_rng(3)
    async with sessionmaker() as s:
        inputs = await gather_inputs(s, world.source, missing_person_id=case.missing_person_id)
    fam = inputs.families[0]
    ped = fam.pedigree.to_kinship()
    nodes = list(fam.relative_ids)
    mt_line = {r.id for r in mtdna_references(ped, fam.missing_node, nodes).in_line}
    y_line = {r.id for r in ystr_references(ped, fam.missing_node, nodes).in_line}
    mt, y = _mt(rng), _y(rng)
    src = world.source
    src.remains_lineage[case.remains_id] = LineageInput(mt, y, "r")
    for rid in fam.relative_ids.values():  # every relative differs at two mtDNA sites
        src.relative_lineage[rid] = LineageInput(_mutate(mt, 2, rng), y, f"l{rid}")
    async with sessionmaker() as s:
        d = await report.candidate_detail(s, case.id, source=world.source)
    rows = {(r.marker, r.relative): r for r in d.lineage}
    assert {n for m, n in rows if m == "mtDNA"} == set(nodes)
    for node in nodes:
        r = rows[("mtDNA", node)]
        assert r.in_line == (node in mt_line)
        if r.in_line:
            assert r.classification == "excluded" and len(r.differences) == 2
        else:
            assert r.classification == "" and r.differences == ()
    for node in y_line:
        r = rows[("Y-STR", node)]
        assert r.in_line and r.classification == "cannot exclude" and r.meioses >= 1
    assert mt_line or y_line  # the world's families have someone in a line
    # the report to the family states the in-line comparisons, in its language
    vi = report.report_context(d, "vi")["lineage"]
    assert len(vi) == len([r for r in d.lineage if r.in_line])
    assert all(("loại trừ" in x) for x in vi if x.startswith("mtDNA"))
    en = report.report_context(d, "en")["lineage"]
    assert any("excluded" in x for x in en) == bool(mt_line)
    assert report.report_pdf(d, "vi").startswith(b"%PDF-")
