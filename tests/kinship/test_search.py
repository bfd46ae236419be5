"""The search tables give exactly the direct missing-person LR; the screen is consistent."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from dnacase.kinship import Locus, MutationModel, Pedigree, PedigreeBuilder, missing_person_lr
from dnacase.kinship.lr import KinshipDataError
from dnacase.kinship.search import (
    Family,
    SearchPanel,
    build_family_tables,
    score_matrix,
    screen,
    screen_pairs,
)
from dnacase.kinship.simulate import simulate_genotypes

DATA = Path(__file__).resolve().parents[1] / "data" / "oracle"


def _random_profiles(rng, loci, r, p_missing=0.1):
    g = np.empty((r, len(loci), 2), dtype=np.int32)
    for j, loc in enumerate(loci):
        g[:, j, :] = rng.choice(loc.n_alleles, size=(r, 2), p=loc.freqs)
    g[rng.random((r, len(loci))) < p_missing] = -1
    return g


def _direct(fam, loci, g):
    return missing_person_lr(fam.pedigree, fam.missing, loci, fam.references, g).log10_lr


def _assert_equal(a, b):
    if np.isneginf(a) or np.isneginf(b):
        assert a == b
    else:
        assert a == pytest.approx(b, abs=1e-11)


@pytest.fixture(scope="module")
def oracle_families():
    from dnacase.kinship import load_cases

    cases = load_cases(json.loads((DATA / "cases.json").read_text()))
    return cases


def test_tables_equal_direct_lr_on_oracle_families(oracle_families):
    """Every oracle family (all mutation models, untyped relatives, partial profiles): the POI
    and random remains profiles, table look-ups vs the direct engine."""
    rng = np.random.default_rng(11)
    for case in oracle_families[::3]:
        panel = SearchPanel(case.loci)
        fam = Family(case.id, case.pedigree, case.missing, case.references)
        tables = build_family_tables(panel, [fam])
        g = _random_profiles(rng, case.loci, 3)
        g[0] = case.poi_genotype
        scores = score_matrix(tables, panel.encode_remains(g))[0]
        for r in range(g.shape[0]):
            _assert_equal(scores[r], _direct(fam, case.loci, g[r]))


def _panel(rng, n_loci, mutation=None):
    loci = []
    for j in range(n_loci):
        n = int(rng.integers(2, 12))
        p = rng.dirichlet(np.ones(n))
        p = np.maximum(p, 0.01)
        p /= p.sum()
        loci.append(Locus(f"L{j}", tuple(str(8 + a) for a in range(n)), p, mutation))
    return loci


def _families(rng, loci, n_fam):
    rels = [
        ["father"],
        ["brother", "mother"],
        ["paternal-half-sibling"],
        ["son", "daughter"],
        ["nephew", "paternal-uncle", "maternal-grandmother"],
        ["first-cousin"],
    ]
    fams = []
    for i in range(n_fam):
        b = PedigreeBuilder("MP", "M")
        names = []
        for k, rel in enumerate(rels[i % len(rels)]):
            names.append(b.add_relative(f"R{k}", rel))
        ped = b.build()
        refs = np.full((len(ped), len(loci), 2), -1, dtype=np.int32)
        sim = simulate_genotypes(ped, loci, rng)[0]
        for nm in names:
            k = ped.index(nm)
            refs[k] = sim[k]
            refs[k][rng.random(len(loci)) < 0.15] = -1
        fams.append(Family(f"F{i}", ped, "MP", refs))
    return fams


@pytest.mark.parametrize(
    "mutation", [None, MutationModel("stepwise", 0.05, 0.5, 0.001), MutationModel("equal", 0.02)]
)
def test_random_pairs_many_families(mutation):
    rng = np.random.default_rng(5)
    loci = _panel(rng, 6, mutation)
    fams = _families(rng, loci, 14)
    panel = SearchPanel(loci)
    tables = build_family_tables(panel, fams)
    g = _random_profiles(rng, loci, 6)
    # make some remains the simulated children/relatives-compatible: copy a reference allele
    g[0] = fams[0].references[fams[0].pedigree.index("R0")]
    s = score_matrix(tables, panel.encode_remains(g))
    for f, fam in enumerate(fams):
        for r in range(g.shape[0]):
            _assert_equal(s[f, r], _direct(fam, loci, g[r]))


def test_loop_and_snp_tables():
    rng = np.random.default_rng(9)
    loci = _panel(rng, 4) + [Locus(f"rs{j}", ("A", "G"), np.array([0.3, 0.7])) for j in range(5)]
    # MP is the child of half-sibs (inbred): loop, so no lumping
    ped = Pedigree.from_records(
        [
            {"id": "F", "father": None, "mother": None, "sex": "M"},
            {"id": "M1", "father": None, "mother": None, "sex": "F"},
            {"id": "M2", "father": None, "mother": None, "sex": "F"},
            {"id": "A", "father": "F", "mother": "M1", "sex": "M"},
            {"id": "B", "father": "F", "mother": "M2", "sex": "F"},
            {"id": "MP", "father": "A", "mother": "B", "sex": "M"},
        ]
    )
    refs = np.full((6, len(loci), 2), -1, dtype=np.int32)
    refs[[3, 4]] = simulate_genotypes(ped, loci, rng)[0][[3, 4]]
    fam = Family("loop", ped, "MP", refs)
    panel = SearchPanel(loci)
    tables = build_family_tables(panel, [fam])
    g = _random_profiles(rng, loci, 8)
    s = score_matrix(tables, panel.encode_remains(g))[0]
    for r in range(8):
        _assert_equal(s[r], _direct(fam, loci, g[r]))


def test_table_layout_and_untyped_locus():
    rng = np.random.default_rng(1)
    loci = _panel(rng, 3)
    fams = _families(rng, loci, 2)
    fams[0].references[:, 1, :] = -1  # nobody typed at locus 1: LR 1 for every genotype
    panel = SearchPanel(loci)
    t = build_family_tables(panel, fams)
    assert t.shape == (2, panel.size) and t.dtype == np.float64
    assert np.all(t[:, panel.offsets] == 0.0)
    o = panel.offsets[1]
    assert np.all(t[0, o : o + 1 + panel.n_genotypes[1]] == 0.0)
    codes = panel.codes(_random_profiles(rng, loci, 4))
    assert codes.dtype == np.int16


def test_screen_matches_score_matrix():
    rng = np.random.default_rng(2)
    loci = _panel(rng, 8)
    fams = _families(rng, loci, 23)
    panel = SearchPanel(loci)
    tables = build_family_tables(panel, fams)
    g = _random_profiles(rng, loci, 17)
    for k, fam in enumerate(fams[:5]):  # plant true relatives-compatible profiles
        g[k] = fam.references[fam.pedigree.index("R0")]
    idx = panel.encode_remains(g)
    full = score_matrix(tables, idx)
    res = screen(tables, idx, threshold=0.0, top_k=4, block=5)
    assert res.lookups == 23 * 17 * 8
    for r in range(17):
        order = np.argsort(-full[:, r], kind="stable")[:4]
        np.testing.assert_array_equal(res.top_log10[r], full[order, r])
    ff, rr = np.nonzero(full.T >= 0.0)  # remains-major
    np.testing.assert_array_equal(res.hits[0], ff)
    np.testing.assert_array_equal(res.hits[1], rr)
    np.testing.assert_array_equal(res.hits[2], full.T[ff, rr])


def test_screen_pairs_scores_exactly_the_listed_pairs():
    rng = np.random.default_rng(3)
    loci = _panel(rng, 6)
    fams = _families(rng, loci, 11)
    panel = SearchPanel(loci)
    tables = build_family_tables(panel, fams)
    idx = panel.encode_remains(_random_profiles(rng, loci, 13))
    full = score_matrix(tables, idx)
    lists = [np.sort(rng.choice(13, size=int(rng.integers(0, 14)), replace=False))
             for _ in range(11)]  # fmt: skip
    indptr = np.concatenate([[0], np.cumsum([x.size for x in lists])])
    r, f, v = screen_pairs(tables, idx, indptr, np.concatenate(lists), threshold=-np.inf)
    want = sorted((int(rr), fi) for fi, x in enumerate(lists) for rr in x)
    assert list(zip(r.tolist(), f.tolist(), strict=True)) == want
    np.testing.assert_array_equal(v, full[f, r])
    r2, f2, v2 = screen_pairs(tables, idx, indptr, np.concatenate(lists), threshold=0.0)
    keep = v >= 0.0
    np.testing.assert_array_equal(r2, r[keep])
    np.testing.assert_array_equal(f2, f[keep])
    np.testing.assert_array_equal(v2, v[keep])
    with pytest.raises(ValueError, match="indptr"):
        screen_pairs(tables, idx, indptr[:-1], np.concatenate(lists), 0.0)


def test_inconsistent_family_is_reported():
    loci = [Locus("L", ("1", "2", "3"), np.array([0.2, 0.3, 0.5]))]
    b = PedigreeBuilder("MP", "M")
    b.add_relative("FA", "father")
    b.add_relative("S", "brother")
    ped = b.build()
    refs = np.full((len(ped), 1, 2), -1, dtype=np.int32)
    refs[ped.index("FA"), 0] = (0, 0)
    refs[ped.index("S"), 0] = (1, 1)  # cannot be FA's son without mutation
    with pytest.raises(KinshipDataError, match="family 'X', locus L"):
        build_family_tables(SearchPanel(loci), [Family("X", ped, "MP", refs)])


def _brute_pool(vals: list[float]) -> tuple[float, float]:
    """(log10 largest term, log10 sum of the others) by plain Python (fsum of 10^x)."""
    import math

    fin = sorted((v for v in vals if v != -np.inf), reverse=True)
    if not fin:
        return -np.inf, -np.inf
    if len(fin) == 1:
        return fin[0], -np.inf
    ref = fin[1]  # the rest relative to its own largest term (no underflow)
    return fin[0], ref + math.log10(math.fsum(10.0 ** (v - ref) for v in fin[1:]))


@pytest.mark.parametrize("spread", [3.0, 150.0, 900.0])
def test_screen_sums_equal_brute_force_over_every_pair(spread):
    """Per-remains and per-family sums of the LRs of every pair (stored or not), the best
    term apart: equal to a plain Python sum; hits equal the screen's; a wide spread (SNP-like
    LRs of +-hundreds of decades) exercises the underflow paths."""
    from dnacase.kinship.pool_sums import pair_sums, screen_sums
    from dnacase.kinship.search import pair_scores

    rng = np.random.default_rng(11)
    nf, nr, nl, per = 70, 90, 12, 30
    tables = rng.normal(-0.5, spread / 12, (nf, nl * per))
    tables[3] = -np.inf  # a family with every LR 0
    tables[rng.random(tables.shape) < 0.01] = -np.inf
    idx = (np.arange(nl)[None, :] * per + rng.integers(0, per, (nr, nl))).astype(np.int32)
    got = screen_sums(tables, idx, 2.0, block=16)
    full = np.array([[tables[f][idx[r]].sum() for r in range(nr)] for f in range(nf)])
    want_hits = screen(tables, idx, threshold=2.0, top_k=1).hits
    for a, b in zip(got.hits, want_hits, strict=True):
        np.testing.assert_array_equal(a, b)
    for sums, mat in ((got.families, full), (got.remains, full.T)):
        for j in range(mat.shape[0]):
            top, rest = _brute_pool(list(mat[j]))
            assert sums.log10_max[j] == pytest.approx(top, abs=1e-9) or top == -np.inf
            if top > -np.inf:
                assert mat[j][sums.best[j]] == top
            if rest == -np.inf:
                assert sums.log10_rest[j] == -np.inf
            else:
                assert sums.log10_rest[j] == pytest.approx(rest, abs=1e-9)
    # listed pairs (lineage filter / incremental): only those pairs count
    indptr = np.array([0, 5, 5, 12])
    rem = np.array([0, 4, 9, 10, 88, 1, 2, 4, 9, 50, 60, 89])
    vals = pair_scores(tables[:3], idx, indptr, rem)
    fs, rs = pair_sums(vals, indptr, rem, nr)
    for f in range(3):
        top, rest = _brute_pool([full[f, r] for r in rem[indptr[f]:indptr[f + 1]]])
        assert fs.log10_max[f] == pytest.approx(top, abs=1e-9) or top == -np.inf
        assert fs.log10_rest[f] == pytest.approx(rest, abs=1e-9) or rest == -np.inf
    for r in (4, 9, 3):
        fams = [f for f in range(3) if r in rem[indptr[f]:indptr[f + 1]]]
        top, rest = _brute_pool([full[f, r] for f in fams])
        assert rs.log10_max[r] == pytest.approx(top, abs=1e-9) or top == -np.inf
        assert rs.log10_rest[r] == pytest.approx(rest, abs=1e-9) or rest == -np.inf
