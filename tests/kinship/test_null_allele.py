"""Silent (null) alleles, an option per locus: against brute-force enumeration (the null
allele an ordinary allele of the enumeration, one-peak observations weighted) and a closed
form; without the option the values do not change."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest

from dnacase.kinship import CaseError, Locus, PedigreeBuilder, load_cases, missing_person_lr
from dnacase.kinship.peaks import (
    NULL_ALLELE,
    add_null_allele,
    dropout_weights,
    loglik_per_locus_peaks,
    null_index,
)

from .brute import brute_likelihood
from .test_dropout_brute import _random_peaks
from .test_likelihood_brute import _locus, _random_genotypes, random_pedigree

DATA = Path(__file__).resolve().parents[1] / "data" / "oracle"
P = np.array([0.1, 0.2, 0.3, 0.4])


def _nulled(rng, kind, q=0.05):
    return add_null_allele(_locus(rng, 3, kind, "L"), q)


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("kind", ["none", "equal", "stepwise"])
def test_random_pedigrees_with_null_alleles_match_brute_force(seed, kind):
    rng = np.random.default_rng(4400 + seed)
    n_pers = int(rng.integers(2, 5))
    ped = random_pedigree(rng, n_pers)
    loci = [add_null_allele(_locus(rng, 3, kind, f"L{j}"), 0.08) for j in range(3)]
    g = _random_genotypes(rng, n_pers, 3, 3, 0.7)  # never the null allele (index 3) itself
    w = _random_peaks(rng, g)
    for i in range(n_pers):  # every one-peak reading at a null locus is summed over
        hom = (g[i, :, 0] >= 0) & (g[i, :, 0] == g[i, :, 1]) & np.isnan(w[i, :, 0])
        w[i, hom] = (1.0, 0.0)
    got = loglik_per_locus_peaks(ped, loci, g, w)
    for j, loc in enumerate(loci):
        mf, mm = loc.matrices()
        want = brute_likelihood(ped.father, ped.mother, loc.freqs, mf, mm, g[:, j], w[:, j],
                                null=3)
        if want == 0:
            assert got[j] == -np.inf
        else:
            assert got[j] == pytest.approx(np.log(want), rel=1e-11, abs=1e-11)


def _mp(ref, poi, q, d=None):
    b = PedigreeBuilder("MP", "M")
    b.add_relative("R", "father")
    ped = b.build()
    loc = add_null_allele(Locus("L", ("a", "b", "c", "d"), P), q)
    refs = np.full((len(ped), 1, 2), -1, dtype=np.int32)
    refs[ped.index("R"), 0] = ref
    w = None if d is None else dropout_weights(d)[None, :]
    return 10.0 ** missing_person_lr(ped, "MP", [loc], refs, np.array([poi]), poi_peaks=w).log10_lr


def test_parent_child_closed_form():
    """Parent seen b, child seen a (no shared peak): only {b, null} -> {a, null} explains it:
    LR = q / ((p_b + 2 q) (p_a + 2 q)) with the frequencies scaled by 1 - q."""
    q = 0.02
    pa, pb = P[0] * (1 - q), P[1] * (1 - q)
    assert _mp((1, 1), (0, 0), q) == pytest.approx(q / ((pb + 2 * q) * (pa + 2 * q)), rel=1e-12)
    assert _mp((1, 2), (0, 0), q) == 0.0  # a parent with two peaks has no null allele
    # parent and child both seen a: parent {a,a} (p_a^2) gives a, parent {a,null} (2 p_a q)
    # gives a or null; the child's other allele is a or null (p_a + q), or a when the parent
    # gave null (p_a)
    seen = pa * pa + 2 * pa * q  # P_HW(one peak a)
    joint = pa * pa * (pa + q) + 2 * pa * q * (0.5 * (pa + q) + 0.5 * pa)
    assert _mp((0, 0), (0, 0), q) == pytest.approx(joint / (seen * seen), rel=1e-12)


def test_case_file_option_and_no_change_without_it():
    raw = json.loads((DATA / "cases.json").read_text())
    case = next(c for c in raw if c["scenario"] == "parent-child" and c["expected"]["lr"] > 0)
    with_null = copy.deepcopy(case)
    for m in with_null["markers"]:
        m["null_allele"] = 0.01
    plain, nulled = load_cases([case, with_null | {"id": "nulled"}])
    assert (null_index(nulled.loci) >= 0).all() and (null_index(plain.loci) < 0).all()
    assert plain.compute().log10_lr == pytest.approx(case["expected"]["log10_lr"], abs=1e-10)
    res = nulled.compute()
    assert np.isfinite(res.log10_lr) and res.log10_lr != plain.compute().log10_lr
    bad = copy.deepcopy(case)
    bad["markers"][0]["mutation"] = None
    freqs = bad["markers"][0]["frequencies"]
    top = max(freqs, key=freqs.get)
    freqs[top] -= 0.001
    freqs[NULL_ALLELE] = 0.001
    bad["markers"][0]["null_allele"] = 0.01
    with pytest.raises(CaseError, match="reserved"):
        load_cases(bad)
    bad["markers"][0]["null_allele"] = 1.0
    with pytest.raises(CaseError, match="null_allele"):
        load_cases(bad)


def test_add_null_allele_keeps_the_model():
    rng = np.random.default_rng(2)
    loc = _nulled(rng, "stepwise", 0.1)
    assert loc.alleles[-1] == NULL_ALLELE and loc.freqs[-1] == pytest.approx(0.1)
    assert loc.freqs.sum() == pytest.approx(1.0)
    for m in loc.matrices():
        assert m[-1, -1] == 1.0 and m[:-1, -1].sum() == 0.0
    with pytest.raises(ValueError):
        add_null_allele(loc, 0.0)
