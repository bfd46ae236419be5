"""The closed-form parent-child path against the general elimination and brute force."""

from __future__ import annotations

import numpy as np
import pytest

from dnacase.kinship import Pedigree
from dnacase.kinship import likelihood as lk
from dnacase.kinship.parent_child import parent_child_shape

from .brute import brute_likelihood
from .test_likelihood_brute import _locus

KINDS = ["none", "equal", "proportional", "stepwise", "sex", "custom"]


def _ped(fa, mo, sex):
    return Pedigree(
        tuple(f"P{i}" for i in range(len(fa))), np.array(sex), np.array(fa), np.array(mo)
    )


# (pedigree, missing person, persons that may be typed)
SHAPES = {
    # MP (2) child of father 0 and mother 1; an unrelated untyped person 3 is ignored
    "mp-child": (_ped([-1, -1, 0, -1], [-1, -1, 1, -1], [1, 2, 1, 2]), 2, [0, 1]),
    # MP (0) father of the typed child 2 with mother 1
    "mp-father": (_ped([-1, -1, 0], [-1, -1, 1], [1, 2, 2]), 0, [1, 2]),
    # MP (1) mother of the typed child 2 with father 0
    "mp-mother": (_ped([-1, -1, 0], [-1, -1, 1], [1, 2, 1]), 1, [0, 2]),
}


@pytest.mark.parametrize("name", sorted(SHAPES))
@pytest.mark.parametrize("seed", range(8))
def test_closed_form_equals_general_engine_and_brute_force(name, seed, monkeypatch):
    ped, q, typable = SHAPES[name]
    rng = np.random.default_rng(700 + seed)
    loci = [_locus(rng, 4, k, f"L{j}") for j, k in enumerate(KINDS * 2)]
    n = len(loci)
    g = np.full((len(ped), n, 2), -1, dtype=np.int64)
    for i in typable:  # each reference typed at most loci, some left untyped
        typed = rng.random(n) < 0.8
        g[i, typed] = rng.integers(0, 4, size=(int(typed.sum()), 2))
    if name != "mp-child":
        g[typable[1], 0] = rng.integers(0, 4, size=2)  # the child typed somewhere
    poi = rng.integers(0, 4, size=(n, 2))
    typed_any = (g >= 0).all(axis=2).any(axis=1)
    assert parent_child_shape(ped, q, typed_any) is not None
    fast = lk.missing_person_loglik(ped, q, loci, g, poi)
    monkeypatch.setattr(lk, "parent_child_shape", lambda *a: None)
    general = lk.missing_person_loglik(ped, q, loci, g, poi)
    for got, want in zip(fast, general, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    for j, loc in enumerate(loci):  # and l1 against enumeration
        mf, mm = loc.matrices()
        g1 = g[:, j, :].copy()
        g1[q] = poi[j]
        want = brute_likelihood(ped.father, ped.mother, loc.freqs, mf, mm, g1)
        assert fast[0][j] == (pytest.approx(np.log(want), rel=1e-11) if want else -np.inf)


def test_shape_is_recognised_only_for_one_parent_child_unit():
    ped, q, _ = SHAPES["mp-child"]
    assert parent_child_shape(ped, q, np.array([True, False, False, False])).kind == "parents"
    # grandfather of MP: MP's father untyped in between -> general engine
    gp = _ped([-1, -1, 0, -1, 2], [-1, -1, 1, -1, 3], [1, 2, 1, 2, 1])
    assert parent_child_shape(gp, 4, np.array([True, False, False, False, False])) is None
    # full sibling: the sibling's parents and the sibling -> four persons
    sib = _ped([-1, -1, 0, 0], [-1, -1, 1, 1], [1, 2, 1, 1])
    assert parent_child_shape(sib, 3, np.array([False, False, True, False])) is None
    # MP with a child whose other parent is typed: still one unit
    ped2, q2, _ = SHAPES["mp-father"]
    assert parent_child_shape(ped2, q2, np.array([False, True, True])).kind == "child"
    # MP's child untyped everywhere: the child carries nothing; the general engine decides
    assert parent_child_shape(ped2, q2, np.array([False, True, False])) is None
