"""Identity LR (same individual vs unrelated) against closed forms, the engine's Hardy-Weinberg
probabilities and an independent enumeration over ordered true genotypes."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from dnacase.kinship import Locus, log10_hw
from dnacase.kinship.identity import (
    IdentityTables,
    consensus_genotypes,
    identity_lr,
    identity_table,
    pairwise_identity,
)
from dnacase.kinship.markers import genotype_code

P = np.array([0.1, 0.2, 0.3, 0.4])
LOC = Locus("L", ("a", "b", "c", "d"), P)
A, B, C = 0, 1, 2


def _lr(g1, g2, d=0.0, e=0.0, loc=LOC):
    return identity_lr([loc], np.array([g1]), np.array([g2]), dropout=d, error=e)


def test_matching_genotypes_are_one_over_the_engine_hw_probability():
    rng = np.random.default_rng(5)
    loci = [Locus(f"L{i}", tuple("abcdef"), (w := rng.random(6) + 0.1) / w.sum())
            for i in range(8)]
    g = np.sort(rng.integers(0, 6, size=(8, 2)), axis=1)
    res = identity_lr(loci, g, g, dropout=0.0, error=0.0)
    assert res.log10_per_locus == pytest.approx(-log10_hw(loci, g), abs=1e-12)
    assert res.log10_lr == pytest.approx(-math.fsum(log10_hw(loci, g)), abs=1e-9)
    assert res.compared == tuple(loc.name for loc in loci)


def test_closed_forms_without_dropout():
    assert 10 ** _lr((A, B), (B, A)).log10_lr == pytest.approx(1 / (2 * P[A] * P[B]), rel=1e-12)
    assert 10 ** _lr((C, C), (C, C)).log10_lr == pytest.approx(1 / P[C] ** 2, rel=1e-12)
    res = _lr((A, B), (A, C))
    assert res.log10_lr == -math.inf and res.mismatch_loci == ("L",)


def test_error_allowance_turns_a_mismatch_into_eps():
    assert 10 ** _lr((A, B), (A, C), e=1e-3).log10_lr == pytest.approx(1e-3, rel=1e-9)
    m = 10 ** _lr((A, B), (A, B), e=1e-3).log10_lr
    assert m == pytest.approx((1 - 1e-3) / (2 * P[A] * P[B]) + 1e-3, rel=1e-12)


def test_one_peak_against_two_peaks_does_not_exclude_with_dropout():
    d = 0.1
    res = _lr((A, A), (A, B), d=d)
    pa = P[A]
    want = d * (1 - d) / (pa * (pa * (1 - d * d) + 2 * (1 - pa) * d * (1 - d)))
    assert 10 ** res.log10_lr == pytest.approx(want, rel=1e-12)
    assert res.dropout_loci == ("L",) and not res.mismatch_loci
    # symmetric, and without dropout it excludes
    assert _lr((A, B), (A, A), d=d).log10_lr == pytest.approx(res.log10_lr, abs=1e-12)
    assert _lr((A, A), (A, B)).log10_lr == -math.inf


def test_each_sample_reads_its_one_peak_with_its_own_dropout():
    """The closed form of a one peak {a} against {a, b} depends on the one-peak sample's d
    only; with that sample at d = 0 it is a mismatch whatever the other's d."""
    pa = P[A]
    for d1, d2 in [(0.2, 0.0), (0.2, 0.05), (0.2, 0.5)]:
        res = identity_lr([LOC], np.array([(A, A)]), np.array([(A, B)]), dropout=(d1, d2),
                          error=0.0)
        want = d1 * (1 - d1) / (pa * (pa * (1 - d1 * d1) + 2 * (1 - pa) * d1 * (1 - d1)))
        assert 10 ** res.log10_lr == pytest.approx(want, rel=1e-12)
        assert res.dropout == (d1, d2) and res.dropout_loci == ("L",)
    res = identity_lr([LOC], np.array([(A, B)]), np.array([(A, A)]), dropout=(0.3, 0.0),
                      error=1e-3)
    assert res.mismatch_loci == ("L",) and 10 ** res.log10_lr == pytest.approx(1e-3)


def _brute(o1, o2, p, d1, d2):
    """Enumerate ordered true genotypes (x, y) and each allele copy's dropout in each sample
    (independent, probability d per copy); a reading that shows no peak is the untyped locus,
    conditioned away (the readings here always show a peak)."""
    def p_obs(o, x, y, d):
        want = tuple(sorted(o))
        out = 0.0
        for keep_x, keep_y in itertools.product((True, False), repeat=2):
            seen = sorted({a for a, k in ((x, keep_x), (y, keep_y)) if k})
            if not seen:
                continue
            shown = (seen[0], seen[0]) if len(seen) == 1 else tuple(seen)
            if shown == want:
                out += (1 - d if keep_x else d) * (1 - d if keep_y else d)
        return out / (1 - d * d)

    n = len(p)
    pairs = list(itertools.product(range(n), repeat=2))
    h1 = sum(p[x] * p[y] * p_obs(o1, x, y, d1) * p_obs(o2, x, y, d2) for x, y in pairs)
    m1 = sum(p[x] * p[y] * p_obs(o1, x, y, d1) for x, y in pairs)
    m2 = sum(p[x] * p[y] * p_obs(o2, x, y, d2) for x, y in pairs)
    return h1 / (m1 * m2)


@pytest.mark.parametrize("d1,d2", [(0.0, 0.0), (0.05, 0.05), (0.3, 0.3), (0.1, 0.0),
                                   (0.0, 0.25), (0.1, 0.4)])
def test_table_equals_brute_force_enumeration(d1, d2):
    table = identity_table(LOC, (d1, d2), 0.0)
    obs = [(x, y) for x in range(4) for y in range(x, 4)]
    for o1, o2 in itertools.product(obs, repeat=2):
        want = _brute(o1, o2, P, d1, d2)
        got = table[genotype_code(*o1), genotype_code(*o2)]
        if want == 0:
            assert got == -math.inf
        else:
            assert 10 ** got == pytest.approx(want, rel=1e-10)
    assert (table[-1] == 0).all() and (table[:, -1] == 0).all()  # untyped: LR 1
    assert np.allclose(identity_table(LOC, (d2, d1), 0.0), table.T, rtol=1e-12, atol=0)


def test_partial_profiles_compare_only_loci_typed_in_both():
    loci = [LOC, Locus("M", ("a", "b"), np.array([0.5, 0.5]))]
    a = np.array([[A, B], [-1, -1]])
    b = np.array([[A, B], [0, 1]])
    res = identity_lr(loci, a, b, dropout=0.0, error=0.0)
    assert res.compared == ("L",)
    assert res.log10_per_locus[1] == 0.0
    assert 10 ** res.log10_lr == pytest.approx(1 / (2 * P[A] * P[B]))


def test_pairwise_grid_equals_single_pair_calls():
    """Profiles with different dropout probabilities (grouped by value in the grid): every
    pair's summed LR is the single-pair call with the two samples' own d."""
    rng = np.random.default_rng(1)
    loci = [Locus(f"L{i}", tuple("abcde"), (w := rng.random(5) + 0.2) / w.sum())
            for i in range(6)]
    prof = np.sort(rng.integers(0, 5, size=(7, 6, 2)), axis=2)
    prof[3] = prof[1]
    prof[3, 2] = -1  # partial copy of 1
    prof[3, 4] = prof[3, 4, 0]  # and one peak there
    prof[5, :3] = -1
    codes = genotype_code(prof[..., 0], prof[..., 1])
    drop = np.array([0.0, 0.1, 0.0, 0.3, 0.1, 0.05, 0.3])
    tables = IdentityTables(loci)
    hits = {(i, j): (v, n) for i, j, v, n in pairwise_identity(tables, codes, -1e9, drop,
                                                               block=3)}
    assert len(hits) == 7 * 6 // 2
    for i, j in itertools.combinations(range(7), 2):
        res = identity_lr(loci, prof[i], prof[j], dropout=(drop[i], drop[j]))
        v, n = hits[(i, j)]
        assert v == pytest.approx(res.log10_lr, abs=1e-9) and n == len(res.compared)
    top = pairwise_identity(tables, codes, 3.0, drop)
    assert (1, 3) in {(i, j) for i, j, _v, _n in top}
    assert pairwise_identity(tables, codes, -1e9) == pairwise_identity(
        tables, codes, -1e9, np.zeros(7))


def test_consensus_merges_partial_samples_and_flags_conflicts():
    s1 = {"D3": ("15", "16"), "vWA": ("17", "17"), "TH01": ("6", "9"), "FGA": ("21", "22")}
    s2 = {"D3": ("15", "16"), "vWA": ("17", "18"), "D8": ("12", "13"), "FGA": ("21", "23"),
          "TPOX": ("8", "8")}
    s3 = {"TPOX": ("11", "11")}
    cons, conflicts = consensus_genotypes([s1, s2, s3])
    assert cons == {"D3": ("15", "16"), "vWA": ("17", "18"), "TH01": ("6", "9"),
                    "D8": ("12", "13")}
    assert set(conflicts) == {"FGA", "TPOX"}
    assert conflicts["FGA"] == [("21", "22"), ("21", "23")]
