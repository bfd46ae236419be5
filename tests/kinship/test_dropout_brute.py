"""Allele dropout in the elimination engine, against brute-force enumeration (every ordered
genotype of every person) and closed forms; d = 0 gives today's values exactly."""

from __future__ import annotations

import numpy as np
import pytest

from dnacase.kinship import Locus, Pedigree, PedigreeBuilder, missing_person_lr, peaks
from dnacase.kinship.likelihood import loglik_per_locus
from dnacase.kinship.lr import hypothesis_lr
from dnacase.kinship.peaks import (
    OFF_LADDER_WEIGHTS,
    dropout_weights,
    loglik_per_locus_peaks,
    peak_table,
    seen_hw,
    weighted_joint,
)
from dnacase.kinship.pedigree import relationship_pedigree, unrelated

from .brute import brute_likelihood
from .test_likelihood_brute import LOOP_PEDIGREES, _locus, _random_genotypes, random_pedigree


def _random_peaks(rng, g, p_drop=0.5):
    """Weights for random persons with random d (some off-ladder), and some genotypes
    rewritten as one peak (a, a)."""
    n_p, n_l = g.shape[:2]
    w = np.full((n_p, n_l, 2), np.nan)
    for i in range(n_p):
        if rng.random() < p_drop:
            w[i] = dropout_weights(rng.uniform(0.05, 0.6)) if rng.random() < 0.8 else \
                OFF_LADDER_WEIGHTS
            for j in range(n_l):
                if g[i, j, 0] >= 0 and rng.random() < 0.5:
                    g[i, j, 1] = g[i, j, 0]
    return w


def _check(ped, loci, g, w):
    got = loglik_per_locus_peaks(ped, loci, g, w)
    for j, loc in enumerate(loci):
        mf, mm = loc.matrices()
        want = brute_likelihood(ped.father, ped.mother, loc.freqs, mf, mm, g[:, j], w[:, j])
        if want == 0:
            assert got[j] == -np.inf
        else:
            assert got[j] == pytest.approx(np.log(want), rel=1e-11, abs=1e-11)


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("kind", ["none", "equal", "custom", "stepwise"])
def test_random_pedigrees_with_dropout_match_brute_force(seed, kind):
    rng = np.random.default_rng(7000 + seed)
    n_pers = int(rng.integers(2, 6))
    ped = random_pedigree(rng, n_pers)
    loci = [_locus(rng, 3, kind, f"L{j}") for j in range(4)]
    g = _random_genotypes(rng, n_pers, len(loci), 3, 0.7)
    w = _random_peaks(rng, g)
    _check(ped, loci, g, w)


@pytest.mark.parametrize("name", sorted(LOOP_PEDIGREES))
def test_loops_with_dropout_match_brute_force(name):
    fa, mo, sex = LOOP_PEDIGREES[name]
    ped = Pedigree(tuple(f"P{i}" for i in range(len(fa))), np.array(sex), np.array(fa),
                   np.array(mo))  # fmt: skip
    rng = np.random.default_rng(11)
    loci = [_locus(rng, 2, "custom", f"L{j}") for j in range(4)]
    g = _random_genotypes(rng, len(fa), len(loci), 2, 0.6)
    _check(ped, loci, g, _random_peaks(rng, g, 0.7))


def _brute_mp_log10(ped, q, loci, refs, w_ref, poi, w_poi):
    """Missing-person log10 LR by enumeration: the POI placed on q with its weights."""
    out = []
    for j, loc in enumerate(loci):
        mf, mm = loc.matrices()
        if poi[j, 0] < 0:
            out.append(0.0)
            continue
        g1 = refs[:, j].copy()
        g1[q] = poi[j]
        w1 = w_ref[:, j].copy()
        w1[q] = w_poi[j]
        h1 = brute_likelihood(ped.father, ped.mother, loc.freqs, mf, mm, g1, w1)
        h2 = brute_likelihood(ped.father, ped.mother, loc.freqs, mf, mm, refs[:, j], w_ref[:, j])
        a, b = poi[j]
        if a == b and not np.isnan(w_poi[j, 0]):
            hw = seen_hw(loc.freqs[a], w_poi[j])
        else:
            hw = loc.freqs[a] ** 2 if a == b else 2 * loc.freqs[a] * loc.freqs[b]
        out.append(np.log10(h1 / (h2 * hw)) if h1 > 0 else -np.inf)
    return np.array(out)


@pytest.mark.parametrize("plain", [False, True])
@pytest.mark.parametrize("seed", range(12))
def test_missing_person_lr_with_dropout_matches_brute_force(seed, plain, monkeypatch):
    """POI and references with dropout, on pedigrees where the MP is anyone untyped; both
    engine paths (one elimination keeping the MP's alleles, and two plain ones)."""
    if plain:
        monkeypatch.setattr(peaks, "_query_cheaper_soft", lambda *a: False)
    rng = np.random.default_rng(9100 + seed)
    n_pers = int(rng.integers(3, 6))
    ped = random_pedigree(rng, n_pers, 0.3)
    q = int(rng.integers(0, n_pers))
    kind = ["none", "equal", "custom", "stepwise"][seed % 4]
    loci = [_locus(rng, 3, kind, f"L{j}") for j in range(4)]
    refs = _random_genotypes(rng, n_pers, len(loci), 3, 0.6)
    refs[q] = -1
    w_ref = _random_peaks(rng, refs, 0.4)
    poi = rng.integers(0, 3, size=(len(loci), 2))
    one = rng.random(len(loci)) < 0.6
    poi[one, 1] = poi[one, 0]
    w_poi = np.broadcast_to(dropout_weights(rng.uniform(0.05, 0.5)), (len(loci), 2)).copy()
    want = _brute_mp_log10(ped, q, loci, refs, w_ref, poi, w_poi)
    if not np.isfinite(_brute_h2(ped, loci, refs, w_ref)).all():
        pytest.skip("references impossible on this pedigree")
    got = missing_person_lr(ped, ped.ids[q], loci, refs, poi, ref_peaks=w_ref, poi_peaks=w_poi)
    fin = np.isfinite(want)
    np.testing.assert_array_equal(np.isneginf(got.log10_per_locus), ~fin)
    np.testing.assert_allclose(got.log10_per_locus[fin], want[fin], rtol=1e-10, atol=1e-11)


def _brute_h2(ped, loci, refs, w_ref):
    out = []
    for j, loc in enumerate(loci):
        mf, mm = loc.matrices()
        v = brute_likelihood(ped.father, ped.mother, loc.freqs, mf, mm, refs[:, j], w_ref[:, j])
        out.append(np.log(v) if v > 0 else -np.inf)
    return np.array(out)


P = np.array([0.1, 0.2, 0.3, 0.4])
LOC = Locus("L", ("a", "b", "c", "d"), P)


def _pairwise(rel, ref, poi, d):
    b = PedigreeBuilder("MP", "M")
    b.add_relative("R", rel)
    ped = b.build()
    refs = np.full((len(ped), 1, 2), -1, dtype=np.int32)
    refs[ped.index("R"), 0] = ref
    w = dropout_weights(d)[None, :]
    return 10.0 ** missing_person_lr(ped, "MP", [LOC], refs, np.array([poi]), poi_peaks=w).log10_lr


@pytest.mark.parametrize("rel", ["father", "mother", "son", "daughter"])
@pytest.mark.parametrize("d", [0.0, 0.05, 0.3, 0.7])
def test_parent_child_one_peak_closed_form(rel, d):
    """Child shows one peak a, parent (a, c): the true child genotype is {a, a} (1 - d^2) or
    {a, x} (d (1 - d)), so LR = ((1 + d) p_a + d) / (2 p_a ((1 + d) p_a + 2 d (1 - p_a)))."""
    pa = P[0]
    want = ((1 + d) * pa + d) / (2 * pa * ((1 + d) * pa + 2 * d * (1 - pa)))
    assert _pairwise(rel, (0, 2), (0, 0), d) == pytest.approx(want, rel=1e-12)
    # parent (b, c) shares nothing with the peak a: only a dropped b or c explains it;
    # P(child {a, b}) + P(child {a, c}) = p_a
    w_hom, w_het = 1 - d * d, d * (1 - d)
    want0 = w_het * pa / (w_hom * pa * pa + w_het * 2 * pa * (1 - pa))
    got0 = _pairwise(rel, (1, 2), (0, 0), d)
    assert got0 == pytest.approx(want0, rel=1e-12, abs=0.0)
    assert (got0 == 0.0) == (d == 0.0)


IBD = {"full-sibling": (0.25, 0.5, 0.25), "half-sibling": (0.5, 0.5, 0.0),
       "uncle": (0.5, 0.5, 0.0), "first-cousin": (0.75, 0.25, 0.0)}  # fmt: skip


def _hw(g):
    return P[g[0]] ** 2 if g[0] == g[1] else 2 * P[g[0]] * P[g[1]]


def _ibd_lr(k, ref, poi):
    k0, k1, k2 = k
    ibd1 = 0.0
    for shared in poi:
        if shared == ref[0]:
            ibd1 += 0.5 * P[ref[1]]
        elif shared == ref[1]:
            ibd1 += 0.5 * P[ref[0]]
    return k0 + k1 * ibd1 / _hw(ref) + k2 * (tuple(sorted(ref)) == tuple(sorted(poi))) / _hw(ref)


@pytest.mark.parametrize("rel", sorted(IBD))
@pytest.mark.parametrize("d", [0.1, 0.4])
def test_pairwise_one_peak_ibd_closed_form(rel, d):
    """LR = sum_g w(g) HW(g) LR_IBD(g) / sum_g w(g) HW(g) over the true POI genotypes g
    (pairwise IBD formula for each), for every reference genotype and every peak."""
    w = dropout_weights(d)
    gts = [(i, j) for i in range(4) for j in range(i, 4)]
    for ref in gts:
        for a in range(4):
            num = den = 0.0
            for g in gts:
                wt = w[0] if g == (a, a) else (w[1] if a in g else 0.0)
                num += wt * _hw(g) * _ibd_lr(IBD[rel], ref, g)
                den += wt * _hw(g)
            assert _pairwise(rel, ref, (a, a), d) == pytest.approx(num / den, rel=1e-11), (ref, a)


def test_zero_dropout_and_two_peaks_are_todays_values_exactly():
    rng = np.random.default_rng(5)
    ped = relationship_pedigree("full-sibling", "MP", "R")
    loci = [_locus(rng, 4, "none", f"L{j}") for j in range(5)]
    refs = np.full((len(ped), 5, 2), -1)
    refs[ped.index("R")] = rng.integers(0, 4, size=(5, 2))
    poi = rng.integers(0, 4, size=(5, 2))
    poi[:2, 1] = poi[:2, 0]
    base = missing_person_lr(ped, "MP", loci, refs, poi).log10_per_locus
    zero = missing_person_lr(ped, "MP", loci, refs, poi,
                             poi_peaks=np.tile(dropout_weights(0.0), (5, 1))).log10_per_locus
    np.testing.assert_array_equal(base, zero)
    with_d = missing_person_lr(ped, "MP", loci, refs, poi,
                               poi_peaks=np.tile(dropout_weights(0.3), (5, 1)))
    het = poi[:, 0] != poi[:, 1]
    np.testing.assert_allclose(with_d.log10_per_locus[het], base[het], rtol=1e-12)
    assert any("one allele seen" in n for n in with_d.notes)


def test_hypothesis_lr_with_dropout_matches_brute_force():
    rng = np.random.default_rng(8)
    h1 = relationship_pedigree("half-sibling", "A", "B")
    h2 = unrelated(["A", "B"])
    loci = [_locus(rng, 3, "none", f"L{j}") for j in range(3)]
    prof = {"A": np.array([[0, 0], [1, 2], [2, 2]]), "B": np.array([[0, 1], [1, 1], [0, 2]])}
    w = {"A": np.tile(dropout_weights(0.3), (3, 1))}
    got = hypothesis_lr(h1, h2, loci, prof, peaks=w).log10_per_locus
    for j, loc in enumerate(loci):
        vals = []
        for ped in (h1, h2):
            g = np.full((len(ped), 2), -1)
            wa = np.full((len(ped), 2), np.nan)
            for pid, pr in prof.items():
                g[ped.index(pid)] = pr[j]
            wa[ped.index("A")] = w["A"][j]
            mf, mm = loc.matrices()
            vals.append(brute_likelihood(ped.father, ped.mother, loc.freqs, mf, mm, g, wa))
        assert got[j] == pytest.approx(np.log10(vals[0] / vals[1]), rel=1e-11, abs=1e-12)


def test_peak_table_and_weighted_joint_agree():
    rng = np.random.default_rng(1)
    joint = rng.random((3, 5, 5))
    a = np.array([0, 2, 4])
    w = np.tile(dropout_weights(0.2), (3, 1))
    e = peak_table(a, w, 5)
    np.testing.assert_allclose((e * joint).sum(axis=(1, 2)), weighted_joint(joint, a, w))
    assert e[1, 2, 2] == pytest.approx(1 - 0.04) and e[1, 2, 3] == e[1, 0, 2] == 0.2 * 0.8
    assert e[1, 0, 1] == 0.0


def test_dropout_probability_out_of_range():
    with pytest.raises(ValueError, match="dropout"):
        dropout_weights(1.0)
    with pytest.raises(ValueError, match="dropout"):
        dropout_weights(-0.1)


def test_loglik_without_peaks_unchanged():
    rng = np.random.default_rng(3)
    ped = random_pedigree(rng, 5)
    loci = [_locus(rng, 3, "equal", f"L{j}") for j in range(3)]
    g = _random_genotypes(rng, 5, 3, 3, 0.7)
    w = np.full((5, 3, 2), np.nan)
    np.testing.assert_array_equal(loglik_per_locus_peaks(ped, loci, g, w),
                                  loglik_per_locus(ped, loci, g))  # fmt: skip
