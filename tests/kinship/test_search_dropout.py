"""Blind search with one-allele remains loci (allele dropout, off-ladder second allele): the
tables' LR_a* entries and the screen's weighted sum equal the general engine exactly."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from dnacase.kinship import MutationModel, load_cases, missing_person_lr
from dnacase.kinship.peaks import OFF_LADDER_WEIGHTS, dropout_weights
from dnacase.kinship.search import (
    Family,
    SearchPanel,
    build_family_tables,
    score_matrix,
    screen,
    screen_pairs,
)

from .test_search import _families, _panel, _random_profiles

DATA = Path(__file__).resolve().parents[1] / "data" / "oracle"


def _peaky(rng, g, frac=0.5):
    """Rewrite some typed loci as one peak (a, a) and give every remains a weight row: a
    random d (0 for some remains: today's reading), off-ladder at a few loci."""
    r, nl = g.shape[:2]
    w = np.empty((r, nl, 2))
    for i in range(r):
        d = 0.0 if i % 4 == 3 else rng.uniform(0.05, 0.6)
        w[i] = dropout_weights(d)
        one = (rng.random(nl) < frac) & (g[i, :, 0] >= 0)
        g[i, one, 1] = g[i, one, 0]
        ol = one & (rng.random(nl) < 0.2)
        w[i, ol] = OFF_LADDER_WEIGHTS
    w[3::4] = np.nan  # d = 0: read as written
    return w


def _direct(fam, loci, g, w):
    res = missing_person_lr(fam.pedigree, fam.missing, loci, fam.references, g, poi_peaks=w)
    return res.log10_per_locus


def _check(tables, panel, fams, loci, g, w):
    idx, peaks = panel.encode_remains_peaks(g, w)
    s = score_matrix(tables, idx, peaks)
    for f, fam in enumerate(fams):
        for r in range(g.shape[0]):
            want = _direct(fam, loci, g[r], w[r])
            if np.isneginf(want).any():
                assert s[f, r] == -np.inf, (f, r)
            else:
                assert s[f, r] == pytest.approx(want.sum(), abs=1e-9), (f, r)
                per = tables[f][idx[r]]
                if peaks is not None:
                    for j, v in peaks.per_locus(tables[f], r).items():
                        per[j] = v
                np.testing.assert_allclose(per, want, rtol=1e-10, atol=1e-10)
    return idx, peaks, s


@pytest.mark.parametrize(
    "mutation", [None, MutationModel("stepwise", 0.05, 0.5, 0.001), MutationModel("equal", 0.02)]
)
def test_screen_with_peaks_equals_engine(mutation):
    rng = np.random.default_rng(21)
    loci = _panel(rng, 6, mutation)
    fams = _families(rng, loci, 12)
    panel = SearchPanel(loci)
    tables = build_family_tables(panel, fams)
    g = _random_profiles(rng, loci, 8)
    g[0] = fams[0].references[fams[0].pedigree.index("R0")]
    w = _peaky(rng, g)
    idx, peaks, full = _check(tables, panel, fams, loci, g, w)
    assert peaks is not None and peaks.lam.size
    res = screen(tables, idx, threshold=-1.0, top_k=3, block=5, peaks=peaks)
    for r in range(g.shape[0]):
        order = np.argsort(-full[:, r], kind="stable")[:3]
        np.testing.assert_allclose(res.top_log10[r], full[order, r], rtol=0, atol=1e-12)
    lists = [np.sort(rng.choice(8, size=int(rng.integers(0, 9)), replace=False))
             for _ in range(12)]  # fmt: skip
    indptr = np.concatenate([[0], np.cumsum([x.size for x in lists])])
    r, f, v = screen_pairs(tables, idx, indptr, np.concatenate(lists), -np.inf, peaks=peaks)
    np.testing.assert_allclose(v, full[f, r], rtol=0, atol=1e-12)


def test_oracle_families_with_peaks():
    """Oracle families (all mutation models, untyped relatives): random one-peak remains."""
    rng = np.random.default_rng(4)
    cases = load_cases(json.loads((DATA / "cases.json").read_text()))
    for case in cases[::9]:
        panel = SearchPanel(case.loci)
        fam = Family(case.id, case.pedigree, case.missing, case.references)
        tables = build_family_tables(panel, [fam])
        g = _random_profiles(rng, case.loci, 3)
        g[0] = case.poi_genotype
        _check(tables, panel, [fam], case.loci, g, _peaky(rng, g))


def test_dropout_oracle_through_the_search():
    """The public dropout cases scored by the search equal their reference values."""
    raw = json.loads((DATA / "dropout-cases.json").read_text())
    for case, rc in zip(load_cases(raw), raw, strict=True):
        panel = SearchPanel(case.loci)
        fam = Family(case.id, case.pedigree, case.missing, case.references)
        tables = build_family_tables(panel, [fam])
        _ref_w, poi_w = case.peaks()
        idx, peaks = panel.encode_remains_peaks(case.poi_genotype[None], poi_w[None])
        got = score_matrix(tables, idx, peaks)[0, 0]
        if rc["expected"]["lr"] == 0:
            assert got == -np.inf
        else:
            assert got == pytest.approx(rc["expected"]["log10_lr"], abs=1e-9)


def test_no_peaks_is_the_plain_encoding():
    rng = np.random.default_rng(2)
    loci = _panel(rng, 4)
    panel = SearchPanel(loci)
    g = _random_profiles(rng, loci, 5)
    idx, peaks = panel.encode_remains_peaks(g, np.full((5, 4, 2), np.nan))
    assert peaks is None
    np.testing.assert_array_equal(idx, panel.encode_remains(g))
    idx0, peaks0 = panel.encode_remains_peaks(g, None)
    assert peaks0 is None and np.array_equal(idx0, idx)


def test_tiny_and_zero_products_stay_exact():
    """Per-locus LRs of 1e-200 on 5 one-peak loci (product 1e-1000, below the double range)
    give log10 LR -1000 exactly; a zero entry gives -inf."""
    rng = np.random.default_rng(6)
    loci = _panel(rng, 5)
    panel = SearchPanel(loci)
    tables = np.full((2, panel.size), -200.0)
    tables[:, panel.offsets] = 0.0
    tables[1, panel.star_offsets[2] : panel.star_offsets[2] + panel.n_alleles[2]] = -np.inf
    tables[1, panel.offsets[2] + 1 : panel.star_offsets[2]] = -np.inf
    g = np.zeros((1, 5, 2), dtype=np.int32)
    idx, peaks = panel.encode_remains_peaks(g, np.tile(dropout_weights(0.3), (1, 5, 1)))
    s = score_matrix(tables, idx, peaks)
    assert s[0, 0] == pytest.approx(-1000.0, abs=1e-9)
    assert s[1, 0] == -np.inf
    _r, _f, v = screen_pairs(tables, idx, np.array([0, 1, 2]), np.array([0, 0]), -np.inf, peaks)
    np.testing.assert_array_equal(v, s[:, 0])


@pytest.mark.parametrize("mutation", [None, MutationModel("stepwise", 0.05, 0.5, 0.001)])
def test_references_with_one_allele_in_the_tables(mutation):
    """References showing one allele (off-ladder beside a called allele, or dropout) are
    summed over in the family tables exactly as in the general engine."""
    rng = np.random.default_rng(31)
    loci = _panel(rng, 5, mutation)
    fams = _families(rng, loci, 8)
    out = []
    for i, fam in enumerate(fams):
        ref = np.array(fam.references)
        w = np.full((*ref.shape[:2], 2), np.nan)
        for p in np.flatnonzero((ref >= 0).all(axis=2).any(axis=1)):
            one = (rng.random(len(loci)) < 0.5) & (ref[p, :, 0] >= 0)
            ref[p, one, 1] = ref[p, one, 0]
            w[p, one] = OFF_LADDER_WEIGHTS if (i + p) % 2 else dropout_weights(0.25)
        out.append(Family(fam.id, fam.pedigree, fam.missing, ref, w))
    panel = SearchPanel(loci)
    tables = build_family_tables(panel, out)
    g = _random_profiles(rng, loci, 5)
    w_poi = _peaky(rng, g)
    idx, peaks = panel.encode_remains_peaks(g, w_poi)
    s = score_matrix(tables, idx, peaks)
    for f, fam in enumerate(out):
        for r in range(g.shape[0]):
            want = missing_person_lr(fam.pedigree, fam.missing, loci, fam.references, g[r],
                                     ref_peaks=fam.peaks, poi_peaks=w_poi[r]).log10_lr
            if want == -np.inf:
                assert s[f, r] == -np.inf
            else:
                assert s[f, r] == pytest.approx(want, abs=1e-9), (f, r)


def test_entries_of_other_remains_are_refused():
    """The compiled kernels do not check bounds: entries built for other remains (or another
    layout) are refused before any scoring."""
    rng = np.random.default_rng(9)
    loci = _panel(rng, 4)
    panel = SearchPanel(loci)
    tables = build_family_tables(panel, _families(rng, loci, 2))
    g = _random_profiles(rng, loci, 6, p_missing=0.0)
    g[:, :, 1] = g[:, :, 0]
    idx, peaks = panel.encode_remains_peaks(g, np.tile(dropout_weights(0.2), (6, 4, 1)))
    for call in (lambda: screen(tables, idx[:3], peaks=peaks),
                 lambda: score_matrix(tables, idx[:3], peaks),
                 lambda: screen_pairs(tables, idx[:3], np.array([0, 1, 1]), np.array([0]),
                                      0.0, peaks),
                 lambda: score_matrix(tables[:, :10], np.zeros((6, 4), np.int32), peaks)):
        with pytest.raises(ValueError, match="one-allele entries"):
            call()


def test_remains_sharing_a_dropout_probability_share_entries():
    """Many remains with one d (the default of bones): entries of one locus, allele and d are
    computed once per family (PeakEntries.keys) and every pair still equals the engine."""
    rng = np.random.default_rng(77)
    loci = _panel(rng, 5, MutationModel("stepwise", 0.01, 0.5, 0.001))
    fams = _families(rng, loci, 6)
    panel = SearchPanel(loci)
    tables = build_family_tables(panel, fams)
    g = _random_profiles(rng, loci, 24)
    w = np.broadcast_to(dropout_weights(0.1), (*g.shape[:2], 2)).copy()
    one = rng.random(g.shape[:2]) < 0.5
    g[one, 1] = g[one, 0]
    w[(rng.random(g.shape[:2]) < 0.1) & one] = OFF_LADDER_WEIGHTS
    idx, peaks, full = _check(tables, panel, fams, loci, g, w)
    key = peaks.keys()[0]
    assert np.unique(key).size < key.size  # entries are shared
    sums = screen(tables, idx, threshold=-np.inf, top_k=6, peaks=peaks)
    np.testing.assert_allclose(np.sort(sums.top_log10, axis=1), np.sort(full.T, axis=1),
                               rtol=0, atol=1e-12)


def _silenced(g, loci):
    """Genotypes as a lab sees them when some loci carry a silent allele: {a, null} shows one
    peak a (written (a, a)), {null, null} nothing (untyped)."""
    from dnacase.kinship.peaks import null_index

    g = np.array(g)
    nul = null_index(loci)
    for j, n in enumerate(nul.tolist()):
        if n < 0:
            continue
        col = g[..., j, :]
        both = (col == n).all(axis=-1)
        first, second = col[..., 0] == n, col[..., 1] == n
        col[first & ~both, 0] = col[first & ~both, 1]
        col[second & ~both, 1] = col[second & ~both, 0]
        col[both] = -1
        g[..., j, :] = col
    return g


@pytest.mark.parametrize("mutation", [None, MutationModel("stepwise", 0.05, 0.5, 0.001)])
def test_silent_alleles_in_the_search_equal_engine(mutation):
    """Loci with a silent allele: references' and remains' single peaks are summed over
    {a, a}, {a, null} (and {a, x} under dropout) in the family tables and the screen, equal to
    missing_person_lr with the same loci."""
    from dnacase.kinship.peaks import add_null_allele

    rng = np.random.default_rng(91)
    base = _panel(rng, 5, mutation)
    loci = [add_null_allele(loc, 0.04) if j % 2 == 0 else loc for j, loc in enumerate(base)]
    fams = _families(rng, loci, 10)
    fams = [Family(f.id, f.pedigree, f.missing, _silenced(f.references, loci)) for f in fams]
    panel = SearchPanel(loci)
    tables = build_family_tables(panel, fams)
    g = _silenced(_random_profiles(rng, loci, 10), loci)
    g[0] = fams[0].references[fams[0].pedigree.index("R0")]
    w = _peaky(rng, g, frac=0.3)
    idx, peaks, full = _check(tables, panel, fams, loci, g, w)
    assert peaks is not None and (peaks.nu != 0).any()
    res = screen(tables, idx, threshold=-np.inf, top_k=10, peaks=peaks)
    np.testing.assert_allclose(np.sort(res.top_log10, axis=1), np.sort(full.T, axis=1),
                               rtol=0, atol=1e-9)
