from __future__ import annotations

import numpy as np
import pytest

from dnacase.kinship import MutationModel, MutationModelError, mutation_matrix

P = np.array([0.1, 0.2, 0.3, 0.25, 0.15])


def test_equal():
    m = mutation_matrix(MutationModel("equal", 0.01), list("abcde"), P)
    assert np.allclose(np.diag(m), 0.99) and np.isclose(m[0, 1], 0.01 / 4)
    assert np.allclose(m.sum(1), 1)


def test_proportional_overall_rate_and_bound():
    r = 0.01
    m = mutation_matrix(MutationModel("proportional", r), list("abcde"), P)
    assert np.allclose(m.sum(1), 1)
    assert np.sum(P * (1 - np.diag(m))) == pytest.approx(r, rel=1e-12)
    assert np.allclose(P @ m, P)  # stationary
    with pytest.raises(MutationModelError, match="exceeds"):
        mutation_matrix(MutationModel("proportional", 0.99), list("abcde"), P)


def test_onestep_ends_and_gaps():
    m = mutation_matrix(MutationModel("onestep", 0.02), ["9", "10", "11", "13", "20"], P)
    assert m[0, 1] == pytest.approx(0.02)  # end of ladder: all of r to the one neighbour
    assert m[1, 0] == pytest.approx(0.01) and m[1, 2] == pytest.approx(0.01)
    assert m[3, 3] == 1.0 and m[3, 2] == 0  # 13 has no neighbour (12, 14 absent)
    assert m[4, 4] == 1.0  # isolated allele
    with pytest.raises(MutationModelError, match="integer"):
        mutation_matrix(MutationModel("onestep", 0.02), ["9", "9.3"], P[:2] / P[:2].sum())


def test_stepwise_microvariants():
    al = ["9", "9.3", "10", "11", "11.3"]
    r, r2, rng = 0.01, 0.001, 0.5
    m = mutation_matrix(MutationModel("stepwise", r, rng, r2), al, P)
    assert np.allclose(m.sum(1), 1)
    # 9: same class {10, 11} at 1 and 2 steps; other class {9.3, 11.3}
    w = np.array([rng**1, rng**2])
    assert m[0, 2] == pytest.approx(r * w[0] / w.sum())
    assert m[0, 3] == pytest.approx(r * w[1] / w.sum())
    assert m[0, 1] == pytest.approx(r2 / 2) and m[0, 0] == pytest.approx(1 - r - r2)
    # 9.3 -> 11.3 is 2 steps in its class (only member)
    assert m[1, 4] == pytest.approx(r) and m[1, 1] == pytest.approx(1 - r - r2)
    only = mutation_matrix(MutationModel("stepwise", r, rng, r2), ["9", "10"], P[:2] / P[:2].sum())
    assert only[0, 0] == pytest.approx(1 - r)  # no other class: diagonal 1 - r
    alone = mutation_matrix(
        MutationModel("stepwise", r, rng, r2), ["9", "9.3"], P[:2] / P[:2].sum()
    )
    assert alone[0, 0] == pytest.approx(1 - r2) and alone[0, 1] == pytest.approx(r2)


def test_invalid_models():
    with pytest.raises(MutationModelError, match="unknown"):
        MutationModel("dawid", 0.1)  # type: ignore[arg-type]
    with pytest.raises(MutationModelError, match="range"):
        MutationModel("stepwise", 0.1)
    with pytest.raises(MutationModelError, match="probability"):
        MutationModel("equal", 1.5)
