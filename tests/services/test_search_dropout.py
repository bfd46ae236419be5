"""The search reads what the lab saw: single peaks under the remains sample's dropout
probability, an off-ladder peak beside a called allele as one unknown allele; the stored LRs
equal the kinship engine's dropout LR (:func:`missing_person_lr` with ``poi_peaks``)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from sqlalchemy import select
from test_search_support import build_world

from dnacase.kinship import encode_profiles, missing_person_lr
from dnacase.kinship.peaks import OFF_LADDER_WEIGHTS, dropout_weights
from dnacase.models.search import SearchResult
from dnacase.services import search
from dnacase.services.search_inputs import gather_inputs


def _degrade(prof, rng, d):
    """Drop one allele at about a third of the heterozygous loci (single peaks) and turn one
    more heterozygous locus into "allele + off-ladder"."""
    alleles = dict(prof.alleles)
    one: dict[str, str] = {}
    for k, (a, b) in sorted(alleles.items()):
        if a != b and rng.random() < 0.35:
            keep = a if rng.random() < 0.5 else b
            alleles[k] = (keep, keep)
            one[k] = "peak"
        elif a == b:
            one[k] = "peak"
    het = [k for k, (a, b) in sorted(alleles.items()) if a != b]
    if het:
        alleles[het[0]] = (alleles[het[0]][0],) * 2
        one[het[0]] = "off_ladder"
    return dataclasses.replace(prof, version=prof.version + "d", alleles=alleles, one_allele=one,
                               dropout=d)


async def test_stored_lrs_are_the_dropout_lrs(sessionmaker, tmp_path):
    async with sessionmaker() as s, s.begin():
        world = await build_world(s)
    rng = np.random.default_rng(12)
    for rid in list(world.source.remains):
        world.source.remains[rid] = _degrade(world.source.remains[rid], rng, 0.2)
    params = search.SearchParameters(block_families=2, store_min_log10=-300.0)
    async with sessionmaker() as s, s.begin():
        run = await search.create_run(s, params)
    run = await search.execute_run(sessionmaker, run.id, world.source, cache_dir=tmp_path)
    assert run.status == "done"
    async with sessionmaker() as s:
        rows = {(r.remains_id, r.missing_person_id): r for r in (await s.execute(
            select(SearchResult).where(SearchResult.run_id == run.id))).scalars()}
        inputs = await gather_inputs(s, world.source)
    panel = search.build_panel(params, inputs)
    checked = 0
    for fam_in in inputs.families:
        fam, _dg = search.family_arrays(panel, fam_in)
        for rem in inputs.remains:
            prof = rem.profile
            poi = encode_profiles(panel.loci, ["x"], {"x": dict(prof.alleles)})[0]
            w = np.full((len(panel.loci), 2), np.nan)
            for j, loc in enumerate(panel.loci):
                how = prof.one_allele.get(loc.name)
                if how:
                    w[j] = OFF_LADDER_WEIGHTS if how == "off_ladder" else dropout_weights(0.2)
            direct = missing_person_lr(fam.pedigree, fam.missing, panel.loci, fam.references,
                                       poi, poi_peaks=w)
            r = rows.get((rem.remains_id, fam_in.missing_person_id))
            if direct.excluded:
                assert r is None or r.log10_lr == -math.inf
                continue
            assert r.log10_lr == pytest.approx(direct.log10_lr, abs=1e-9)
            per = direct.per_locus()
            for locus, v in r.per_locus.items():
                assert v == pytest.approx(per[locus], abs=1e-9)
            assert r.dropout == 0.2
            assert r.one_allele == {k: v for k, v in prof.one_allele.items()
                                    if k in per}  # fmt: skip
            checked += 1
    assert checked >= len(inputs.families)
    # the true relatives are still found first despite the dropped alleles
    for rid, mid in world.truth.items():
        mine = [r for (ri, _m), r in rows.items() if ri == rid]
        if mid is not None:
            assert max(mine, key=lambda r: r.log10_lr).missing_person_id == mid


def test_one_allele_loci_reading():
    from dnacase.services.profiles import one_allele_loci, pairs_for_kinship

    loci = {
        "TH01": {"type": "autosomal_STR", "alleles": ["9.3"], "single_peak": True},
        "FGA": {"type": "autosomal_STR", "alleles": ["22"], "off_ladder": ["255.1"]},
        "VWA": {"type": "autosomal_STR", "alleles": ["16", "18"]},
        "D8S1179": {"type": "autosomal_STR", "alleles": ["13"]},
        "DYS19": {"type": "Y_STR", "alleles": ["14"]},
    }
    assert one_allele_loci(loci) == {"TH01": "peak", "FGA": "off_ladder", "D8S1179": "peak"}
    assert pairs_for_kinship(loci)["FGA"] == ("22", "22")  # written (a, a), read as listed


async def test_candidate_page_and_report_name_the_loci_read_with_dropout(sessionmaker, tmp_path,
                                                                        backend):
    from dnacase.i18n import use_locale
    from dnacase.services import report, review

    if backend != "sqlite":
        pytest.skip("rendering does not depend on the database")
    async with sessionmaker() as s, s.begin():
        world = await build_world(s, n_families=3, n_unrelated=1)
    rng = np.random.default_rng(3)
    for rid in list(world.source.remains):
        world.source.remains[rid] = _degrade(world.source.remains[rid], rng, 0.15)
    async with sessionmaker() as s, s.begin():
        run = await search.create_run(s, search.SearchParameters())
    await search.execute_run(sessionmaker, run.id, world.source, cache_dir=tmp_path)
    async with sessionmaker() as s:
        case = (await review.list_queue(s))[0].case
        d = await report.candidate_detail(s, case.id, source=world.source)
    one = d.item.result.one_allele
    assert one and d.item.result.dropout == 0.15
    prof = world.source.remains[case.remains_id]
    for row in d.loci:
        how = one.get(row.locus, "")
        assert row.one_allele == how
        a = prof.alleles.get(row.locus)
        if how == "peak":
            assert row.remains == a[0]
        elif how == "off_ladder":
            assert row.remains == f"{a[0]}/OL"
    peaks = sorted(k for k, v in one.items() if v == "peak")
    with use_locale("en"):
        lines = d.one_allele_lines
    assert lines is not None and lines[0].startswith(", ".join(peaks) + ": one peak seen")
    assert "0.15 per allele copy" in lines[0]
    ctx = report.report_context(d, "vi")
    assert "xác suất mất alen 0.15" in ctx["dropout"]


def test_wide_table_cells_say_what_was_seen():
    from dnacase.services.search_inputs import parse_wide_table

    data = (b"SampleName,Kit,TH01,FGA,VWA,D8S1179\n"
            b"S1,GlobalFiler,9.3,\"22,OL\",\"16,18\",\"13,13\"\n")
    p = parse_wide_table(data, "t.csv")["S1"]
    assert p.alleles == {"TH01": ("9.3", "9.3"), "FGA": ("22", "22"), "VWA": ("16", "18"),
                         "D8S1179": ("13", "13")}
    assert p.one_allele == {"TH01": "peak", "FGA": "off_ladder", "D8S1179": "peak"}


async def test_reference_off_ladder_is_one_allele_plus_an_unknown(sessionmaker, tmp_path):
    """A reference's "a,OL" locus is summed over {a, x}, x != a, never read as a/a: the stored
    LRs equal the engine's with the reference's off-ladder weights."""
    async with sessionmaker() as s, s.begin():
        world = await build_world(s, n_families=3, n_unrelated=1)
    for rid in list(world.source.relatives)[:3]:
        prof = world.source.relatives[rid]
        het = [k for k, (a, b) in sorted(prof.alleles.items()) if a != b][:2]
        alleles = {**prof.alleles, **{k: (prof.alleles[k][0],) * 2 for k in het}}
        world.source.relatives[rid] = dataclasses.replace(
            prof, version=prof.version + "ol", alleles=alleles,
            one_allele={k: "off_ladder" for k in het})
    params = search.SearchParameters(block_families=2, store_min_log10=-300.0)
    async with sessionmaker() as s, s.begin():
        run = await search.create_run(s, params)
    run = await search.execute_run(sessionmaker, run.id, world.source, cache_dir=tmp_path)
    async with sessionmaker() as s:
        rows = {(r.remains_id, r.missing_person_id): r for r in (await s.execute(
            select(SearchResult).where(SearchResult.run_id == run.id))).scalars()}
        inputs = await gather_inputs(s, world.source)
    panel = search.build_panel(params, inputs)
    n_soft = 0
    for fam_in in inputs.families:
        fam, _dg = search.family_arrays(panel, fam_in)
        if fam.peaks is not None:
            n_soft += 1
            assert (fam.peaks[..., 1] == 1.0).any()
        for rem in inputs.remains:
            poi = encode_profiles(panel.loci, ["x"], {"x": dict(rem.profile.alleles)})[0]
            direct = missing_person_lr(fam.pedigree, fam.missing, panel.loci, fam.references,
                                       poi, ref_peaks=fam.peaks)
            r = rows.get((rem.remains_id, fam_in.missing_person_id))
            if direct.excluded:
                assert r is None or r.log10_lr == -math.inf
            else:
                assert r.log10_lr == pytest.approx(direct.log10_lr, abs=1e-9)
    assert n_soft >= 1
