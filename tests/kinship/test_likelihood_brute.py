"""The peeling engine against brute-force enumeration on random small pedigrees."""

from __future__ import annotations

import numpy as np
import pytest

from dnacase.kinship import CustomMutation, Locus, MutationModel, Pedigree, SexSpecificMutation
from dnacase.kinship.likelihood import (
    _compile,
    _run,
    freq_table,
    loglik_per_locus,
    row_batches,
)

from .brute import brute_joint, brute_likelihood, random_stochastic


def random_pedigree(rng: np.random.Generator, n_persons: int, p_founder: float = 0.4) -> Pedigree:
    """Random pedigree: each person is a founder or the child of an earlier man and woman
    (which may be related, so loops and inbreeding occur)."""
    sex = []
    fa, mo = [], []
    for i in range(n_persons):
        men = [j for j in range(i) if sex[j] == 1]
        women = [j for j in range(i) if sex[j] == 2]
        sex.append(int(rng.integers(1, 3)))
        if i >= 2 and men and women and rng.random() > p_founder:
            fa.append(int(rng.choice(men)))
            mo.append(int(rng.choice(women)))
        else:
            fa.append(-1)
            mo.append(-1)
    return Pedigree(
        tuple(f"P{i}" for i in range(n_persons)), np.array(sex), np.array(fa), np.array(mo)
    )


LOOP_PEDIGREES = {
    # half-sib mating: F x M1 -> C1 (male), F x M2 -> C2 (female), C1 x C2 -> X
    "half-sib-mating": ([-1, -1, -1, 0, 0, 3], [-1, -1, -1, 1, 2, 4], [1, 2, 2, 1, 2, 1]),
    # first-cousin marriage (9 persons)
    "cousin-marriage": (
        [-1, -1, 0, 0, -1, -1, 2, 4, 6],
        [-1, -1, 1, 1, -1, -1, 5, 3, 7],
        [1, 2, 1, 2, 1, 2, 1, 2, 1],
    ),
    # two brothers married to two sisters; children marry? (double first cousins) + their child
    "double-cousins": (
        [-1, -1, -1, -1, 0, 0, 2, 2, 4, 6],
        [-1, -1, -1, -1, 1, 1, 3, 3, 7, 5],
        [1, 2, 1, 2, 1, 2, 1, 2, 1, 1],
    ),
}


def _locus(rng, n, kind, name="L"):
    p = rng.dirichlet(np.ones(n) * 2) * 0.98 + 0.02 / n
    p = p / p.sum()
    alleles = tuple(str(10 + k) for k in range(n))
    if kind == "none":
        mut = None
    elif kind == "custom":
        mut = CustomMutation(random_stochastic(rng, n, 0.2), random_stochastic(rng, n, 0.05))
    elif kind == "sex":
        mut = SexSpecificMutation(
            MutationModel("equal", 0.01), MutationModel("stepwise", 0.2, 0.5, 0.0)
        )
    else:
        mut = MutationModel(
            kind, 0.15, 0.5 if kind == "stepwise" else None, 0.0 if kind == "stepwise" else None
        )
    return Locus(name, alleles, p, mut)


def _random_genotypes(rng, n_pers, n_loci, n, p_typed):
    g = rng.integers(0, n, size=(n_pers, n_loci, 2)).astype(np.int32)
    typed = rng.random((n_pers, n_loci)) < p_typed
    g[~typed] = -1
    return g


def _check(ped, loci, g):
    got = loglik_per_locus(ped, loci, g)
    for j, loc in enumerate(loci):
        mf, mm = loc.matrices()
        want = brute_likelihood(ped.father, ped.mother, loc.freqs, mf, mm, g[:, j, :])
        if want == 0:
            assert got[j] == -np.inf
        else:
            assert got[j] == pytest.approx(np.log(want), rel=1e-11, abs=1e-11)


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("kind", ["none", "equal", "custom", "sex"])
def test_random_pedigrees_match_brute_force(seed, kind):
    rng = np.random.default_rng(1000 + seed)
    n_pers = int(rng.integers(2, 6))
    n = 3 if n_pers <= 5 else 2
    ped = random_pedigree(rng, n_pers)
    loci = [_locus(rng, n, kind, f"L{j}") for j in range(4)]
    g = _random_genotypes(rng, n_pers, len(loci), n, 0.6)
    # make some data consistent by simulating one locus without mutation
    _check(ped, loci, g)


@pytest.mark.parametrize("name", sorted(LOOP_PEDIGREES))
@pytest.mark.parametrize("kind", ["none", "custom"])
def test_loops_match_brute_force(name, kind):
    fa, mo, sex = LOOP_PEDIGREES[name]
    ped = Pedigree(
        tuple(f"P{i}" for i in range(len(fa))), np.array(sex), np.array(fa), np.array(mo)
    )
    assert ped.has_loop()
    rng = np.random.default_rng(7)
    n = 2
    loci = [_locus(rng, n, kind, f"L{j}") for j in range(5)]
    g = _random_genotypes(rng, len(fa), len(loci), n, 0.5)
    g[-1, :, :] = rng.integers(0, n, size=(len(loci), 2))  # the inbred child typed
    _check(ped, loci, g)


def test_stepwise_and_onestep_match_brute_force():
    rng = np.random.default_rng(3)
    ped = Pedigree(
        ("F", "M", "C1", "C2"),
        np.array([1, 2, 1, 2]),
        np.array([-1, -1, 0, 0]),
        np.array([-1, -1, 1, 1]),
    )
    p = np.array([0.2, 0.3, 0.1, 0.4])
    loci = [
        Locus("S", ("9", "9.3", "10", "11"), p, MutationModel("stepwise", 0.1, 0.3, 0.05)),
        Locus("O", ("9", "10", "11", "13"), p, MutationModel("onestep", 0.1)),
        Locus("P", ("9", "10", "11", "13"), p, MutationModel("proportional", 0.1)),
        Locus(
            "X",
            ("9", "10", "11", "13"),
            p,
            SexSpecificMutation(None, MutationModel("onestep", 0.3)),
        ),
    ]
    for _ in range(5):
        g = _random_genotypes(rng, 4, len(loci), 4, 0.7)
        _check(ped, loci, g)


@pytest.mark.parametrize("seed", range(6))
def test_query_joint_matches_brute_force(seed):
    rng = np.random.default_rng(50 + seed)
    fa, mo, sex = (
        LOOP_PEDIGREES["half-sib-mating"]
        if seed % 2
        else ([-1, -1, 0, 0, -1, 2], [-1, -1, 1, 1, -1, 4], [1, 2, 1, 2, 2, 1])
    )
    ped = Pedigree(
        tuple(f"P{i}" for i in range(len(fa))), np.array(sex), np.array(fa), np.array(mo)
    )
    q = 2
    n = 3
    kind = ["none", "custom", "equal"][seed % 3]
    loci = [_locus(rng, n, kind, f"L{j}") for j in range(3)]
    g = _random_genotypes(rng, len(fa), len(loci), n, 0.7)
    g[q] = -1
    wants = []
    for j, loc in enumerate(loci):
        mf, mm = loc.matrices()
        wants.append(brute_joint(fa, mo, loc.freqs, mf, mm, g[:, j, :], q))
    # the query plan on the batches the engine builds: lumped (none, equal) or whole (custom)
    ft = freq_table(tuple(loci))
    typed = (g >= 0).all(axis=2)
    for j in range(len(loci)):
        tmask = typed[:, j]
        cols = np.array([j])
        gt = g[:, cols, :].astype(np.int64)
        for _pos, batch, lam in row_batches(ft, cols, ft.mut[cols], gt, np.flatnonzero(tmask)):
            plan = _compile(tuple(ped.father.tolist()), tuple(ped.mother.tolist()),
                            tuple(bool(x) for x in tmask), q, batch.k)
            joint, ls = _run(plan, batch)
            got = joint[0] * np.exp(ls[0])  # (K, K) in the batch domain
            agg = np.zeros_like(got)  # the enumeration summed into the same domain
            lj = lam[0, :n]
            np.add.at(agg, (lj[:, None], lj[None, :]), wants[j])
            np.testing.assert_allclose(got, agg, rtol=1e-11, atol=1e-15)
            if kind == "custom":  # no lumping: the whole joint, allele by allele
                assert batch.k == n
                np.testing.assert_allclose(got, wants[j], rtol=1e-11, atol=1e-15)


def test_no_underflow_on_long_pedigree():
    """A 200-generation line with rare alleles: the likelihood is below 1e-308 but its log
    is exact (sum of per-step scales)."""
    n_gen = 200
    fa, mo, sex = [-1, -1], [-1, -1], [1, 2]
    for _k in range(n_gen):
        sp = len(fa)
        fa.append(-1)
        mo.append(-1)
        child_sex = 1 if sex[-2] == 2 else 2
        sex.append(3 - child_sex)
        prev = sp - 1 if sp > 2 else 1
        parents = (prev, sp) if sex[prev] == 1 else (sp, prev)
        fa.append(parents[0])
        mo.append(parents[1])
        sex.append(child_sex)
    n_p = len(fa)
    ped = Pedigree(tuple(f"I{i}" for i in range(n_p)), np.array(sex), np.array(fa), np.array(mo))
    p = np.array([1e-3, 1 - 1e-3])
    loc = Locus("R", ("1", "2"), p)
    g = np.full((n_p, 1, 2), -1, dtype=np.int32)
    spouses = [i for i in range(n_p) if fa[i] < 0]
    for s in spouses:
        g[s, 0] = (0, 0)  # every founder homozygous for the rare allele
    ll = loglik_per_locus(ped, [loc], g)
    assert np.isfinite(ll[0])
    assert ll[0] == pytest.approx(2 * len(spouses) * np.log(1e-3), rel=1e-12)


def test_too_complex_pedigree_is_reported_not_hung(monkeypatch):
    """Work is bounded: a clique above MAX_CLIQUE raises a clear error instead of running."""
    from dnacase.kinship import LikelihoodError
    from dnacase.kinship import likelihood as lk

    fa, mo, sex = LOOP_PEDIGREES["double-cousins"]
    ped = Pedigree(
        tuple(f"P{i}" for i in range(len(fa))), np.array(sex), np.array(fa), np.array(mo)
    )
    n = 10
    loc = Locus(
        "L", tuple(str(k) for k in range(n)), np.full(n, 1 / n), MutationModel("onestep", 0.01)
    )
    g = np.full((len(ped), 1, 2), -1, dtype=np.int32)
    g[-1, 0] = (1, 2)
    lk._compile.cache_clear()
    monkeypatch.setattr(lk, "MAX_CLIQUE", 100)
    with pytest.raises(LikelihoodError, match="too complex"):
        loglik_per_locus(ped, [loc], g)
    lk._compile.cache_clear()


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("path", ["query", "two-runs"])
def test_missing_person_loglik_matches_brute_force(seed, path, monkeypatch):
    """Both hypotheses of a missing-person LR (and their mutation-free copies) from the
    combined elimination, on loci of every kind at once (lumped, full-domain, biallelic),
    against enumeration; each of the two evaluation paths is forced in turn."""
    from dnacase.kinship import likelihood as lk

    monkeypatch.setattr(lk, "_query_cheaper", lambda *a: path == "query")
    rng = np.random.default_rng(5000 + seed)
    n_pers = int(rng.integers(3, 6))
    ped = random_pedigree(rng, n_pers, p_founder=0.3)
    kinds = ["none", "equal", "proportional", "stepwise", "sex", "custom"]
    loci = [_locus(rng, 4, k, f"L{j}") for j, k in enumerate(kinds)]
    loci.append(_locus(rng, 2, "none", "SNP"))
    q = int(rng.integers(0, n_pers))
    g = _random_genotypes(rng, n_pers, len(loci), 4, 0.5)
    g[:, -1] = np.minimum(g[:, -1], 1)
    g[q] = -1
    poi = rng.integers(0, 4, size=(len(loci), 2))
    poi[-1] = np.minimum(poi[-1], 1)
    l1, l2, l1p, l2p = lk.missing_person_loglik(ped, q, loci, g, poi)
    for j, loc in enumerate(loci):
        mf, mm = loc.matrices()
        gj = g[:, j, :].copy()
        g1 = gj.copy()
        g1[q] = poi[j]
        eye = np.eye(loc.n_alleles)
        pairs = [(l1[j], g1, mf, mm), (l2[j], gj, mf, mm)]
        if loc.has_mutation:
            pairs += [(l1p[j], g1, eye, eye), (l2p[j], gj, eye, eye)]
        else:
            assert np.isnan(l1p[j]) and np.isnan(l2p[j])
        for got, geno, f, m in pairs:
            want = brute_likelihood(ped.father, ped.mother, loc.freqs, f, m, geno)
            if want == 0:
                assert got == -np.inf
            else:
                assert got == pytest.approx(np.log(want), rel=1e-11, abs=1e-11)


def test_one_allele_is_refused_naming_person_and_locus():
    from dnacase.kinship import LikelihoodError, missing_person_lr

    ped = Pedigree(("F", "M", "C"), np.array([1, 2, 1]), np.array([-1, -1, 0]),
                   np.array([-1, -1, 1]))  # fmt: skip
    loc = Locus("TH01", ("6", "7", "8"), np.array([0.2, 0.3, 0.5]))
    refs = np.full((3, 1, 2), -1)
    refs[0, 0] = (1, -1)  # the father with one allele only
    with pytest.raises(LikelihoodError, match="person 'F', locus TH01: only one allele"):
        missing_person_lr(ped, "C", [loc], refs, np.array([[0, 1]]))
    with pytest.raises(LikelihoodError, match="person 'F', locus TH01: only one allele"):
        loglik_per_locus(ped, [loc], refs)
