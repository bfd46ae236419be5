"""Large families and many alleles: elimination orders, the complexity limit, chunking.

References: an enumeration over the founders' ordered alleles written for the SE33 sibling +
nephew family (independent of the elimination engine), brute force on small random
pedigrees (every order the heuristics produce must give the same exact value), and the
engine itself under a different elimination order or row slicing.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from dnacase.kinship import (
    Locus,
    MutationModel,
    Pedigree,
    TooComplexError,
    load_cases,
    missing_person_lr,
    simulate_genotypes,
)
from dnacase.kinship import elimination as el
from dnacase.kinship import likelihood as lk
from dnacase.kinship.simulate import random_tree_pedigree

from .brute import brute_likelihood
from .test_likelihood_brute import LOOP_PEDIGREES, _locus, _random_genotypes, random_pedigree

DATA = Path(__file__).resolve().parents[1] / "data"
SE33_CASE = DATA / "kinship" / "se33-siblings-nephew.json"


# ----- the 8-person SE33 family (2 siblings + nephew, grandparents untyped) ------------------
def _founder_enumeration(loc: Locus, geno: dict[str, tuple[int, int]], with_mp: bool) -> float:
    """P(data) on GF x GM -> {MP, S1, S2, S3}, S3 x W3 -> N, summed over the grandparents'
    ordered alleles (f1, f2, m1, m2) one f1 at a time; the untyped S3 and W3 in closed form:
    sum_{x,y} T_F(x) T_M(y) 1/2 (M[x,a] + M[y,a]) = 1/2 ((T_F M)[a] + (T_M M)[a])."""
    p = loc.freqs
    m = loc.matrices()[0]  # one model for both sexes
    k = p.size
    t = 0.5 * (m[:, None, :] + m[None, :, :])  # T[f1, f2, x]
    u = t @ m  # U[f1, f2, c]: a grandchild's allele c through an untyped child
    w = p @ m  # W3's transmitted allele
    pp = p[:, None] * p[None, :]

    def typed_child(a: int, b: int, f1: int) -> np.ndarray:  # (f2, m1, m2 as one axis)
        tf = t[f1]  # (f2, x)
        tm = t.reshape(k * k, k)  # (m, y)
        v = tf[:, a][:, None] * tm[:, b][None, :]
        if a != b:
            v = v + tf[:, b][:, None] * tm[:, a][None, :]
        return v

    a, b = geno["N"]
    total = 0.0
    for f1 in range(k):
        prod = p[f1] * p[:, None] * pp.reshape(-1)[None, :]  # founder priors over (f2, m)
        for who in ("S1", "S2") + (("MP",) if with_mp else ()):
            prod = prod * typed_child(*geno[who], f1)
        uf, um = u[f1], u.reshape(k * k, k)
        s3 = 0.5 * (uf[:, a][:, None] + um[:, a][None, :]) * w[b]
        if a != b:
            s3 = s3 + 0.5 * (uf[:, b][:, None] + um[:, b][None, :]) * w[a]
        total += float((prod * s3).sum())
    return total


def test_se33_family_is_computed_and_matches_founder_enumeration():
    (case,) = load_cases(SE33_CASE)
    loc = case.loci[0]
    assert loc.name == "SE33" and loc.n_alleles >= 50 and not case.pedigree.has_loop()
    res = case.compute()  # refused before (a clique of 418 million)
    idx = {pid: tuple(int(x) for x in case.references[case.pedigree.index(pid), 0]) for pid in
           ("S1", "S2", "N")}  # fmt: skip
    idx["MP"] = tuple(int(x) for x in case.poi_genotype[0])
    l1 = _founder_enumeration(loc, idx, True)
    l2 = _founder_enumeration(loc, idx, False)
    a, b = idx["MP"]
    hw = loc.freqs[a] ** 2 if a == b else 2 * loc.freqs[a] * loc.freqs[b]
    assert res.log10_lr == pytest.approx(math.log10(l1 / (l2 * hw)), abs=1e-10)


def test_se33_family_plans_are_small():
    """The plans of the SE33 family stay far below the old refusal (418M elements)."""
    (case,) = load_cases(SE33_CASE)
    ped, k = case.pedigree, case.loci[0].n_alleles
    fa, mo = tuple(ped.father.tolist()), tuple(ped.mother.tolist())
    q = ped.index("MP")
    typed = tuple(bool((case.references[i] >= 0).all()) for i in range(len(ped)))
    assert lk._compile(fa, mo, typed, q, k).max_clique < 5_000_000
    assert lk._compile(fa, mo, typed, -1, k).max_clique < 500_000


# ----- any elimination order is exact ----------------------------------------------------------
def _plan_with_order(fa, mo, typed, k, order):
    gr = lk._graph(fa, mo, typed, -1)
    mc, tot = el.order_cost(gr.domains(k), gr.adjacency, order)
    steps, final = lk._build_steps(len(gr.kinds), gr.fvars, order)
    return lk._Plan(gr.n_persons, gr.kinds, gr.factors, gr.fvars, steps, final, gr.query_vars,
                    gr.persons, mc, tot)  # fmt: skip


@pytest.mark.parametrize("seed", range(8))
def test_every_heuristic_order_matches_brute_force(seed):
    rng = np.random.default_rng(900 + seed)
    n_pers = int(rng.integers(3, 6))
    ped = random_pedigree(rng, n_pers, p_founder=0.3)
    loc = _locus(rng, 3, ["stepwise", "custom", "equal", "none"][seed % 4])
    g = _random_genotypes(rng, n_pers, 1, 3, 0.6)
    typed = tuple(bool(x) for x in (g[:, 0] >= 0).all(axis=1))
    fa, mo = tuple(ped.father.tolist()), tuple(ped.mother.tolist())
    mf, mm = loc.matrices()
    want = brute_likelihood(ped.father, ped.mother, loc.freqs, mf, mm, g[:, 0, :])
    batch = lk._Batch(loc.freqs[None, :], mf[None], mm[None], g.astype(np.int64))
    gr = lk._graph(fa, mo, typed, -1)
    dom = gr.domains(3)
    orders = [el.greedy_order(dom, gr.adjacency, (), s) for s in ("size", "wfill")]
    orders += [el.greedy_order(dom, gr.adjacency, (), "wfill", s) for s in range(6)]
    orders += list(el.order_pool(dom, gr.adjacency, (), 10, 4))
    for order in orders:
        _, ls = lk._run(_plan_with_order(fa, mo, typed, 3, order), batch)
        if want == 0:
            assert ls[0] == -np.inf
        else:
            assert ls[0] == pytest.approx(math.log(want), rel=1e-11, abs=1e-11)


def test_greedy_orders_are_reproducible_and_complete():
    fa, mo, _sex = LOOP_PEDIGREES["double-cousins"]
    gr = lk._graph(tuple(fa), tuple(mo), tuple([False] * 9 + [True]), -1)
    dom = gr.domains(20)
    a = el.greedy_order(dom, gr.adjacency, (), "wfill", 3)
    assert a == el.greedy_order(dom, gr.adjacency, (), "wfill", 3)
    assert sorted(a) == list(range(len(dom)))
    pool = el.order_pool(dom, gr.adjacency, (), 12, 3)
    costs = [el.order_cost(dom, gr.adjacency, o)[1] for o in pool]
    assert costs == sorted(costs) and len(pool) <= 3


# ----- 15-20 person families without loops, 24 loci including SE33 ---------------------------
def _oracle_loci(n: int, mutation: MutationModel | None) -> list[Locus]:
    raw = json.loads((DATA / "oracle" / "cases.json").read_text())
    tables: dict[str, dict[str, float]] = {}
    for c in raw:
        for m in c["markers"]:
            tables.setdefault(m["name"], m["frequencies"])
    names = sorted(tables, key=lambda x: (-len(tables[x]), x))[:n]
    assert names[0] == "SE33"
    return [Locus.from_mapping(x, tables[x], mutation) for x in names]


def large_family(seed: int, n_loci: int = 24):
    """A 15-20-person family without loops: typed leaves far apart, untyped connecting
    relatives, stepwise mutation on every locus; returns (pedigree, MP index, loci, refs, poi)."""
    rng = np.random.default_rng(seed)
    ped = random_tree_pedigree(rng, int(rng.integers(15, 21)))
    n = len(ped)
    nonf = [i for i in range(n) if ped.father[i] >= 0]
    q = int(rng.choice(nonf))
    leaves = [i for i in nonf if i != q and not ((ped.father == i) | (ped.mother == i)).any()]
    typed = rng.choice(leaves, size=min(len(leaves), int(rng.integers(3, 7))), replace=False)
    loci = _oracle_loci(n_loci, MutationModel("stepwise", 0.003, 0.5, 1e-4))
    g = simulate_genotypes(ped, loci, rng)[0]
    ref = np.full_like(g, -1)
    ref[typed] = g[typed]
    return ped, q, loci, ref, g[q]


@pytest.mark.parametrize("seed", [7, 11])
def test_large_family_agrees_under_another_order_and_row_slices(seed, monkeypatch):
    """Exact under two different elimination orders (the pool of randomised restarts vs the
    plain greedy orders) and with every row run alone (memory-bounded slices)."""
    ped, q, loci, ref, poi = large_family(seed)
    assert not ped.has_loop() and 15 <= len(ped) <= 21
    got = missing_person_lr(ped, ped.ids[q], loci, ref, poi).log10_per_locus
    assert np.all(np.isfinite(got))
    lk._compile.cache_clear()
    lk._query_cheaper.cache_clear()
    monkeypatch.setattr(lk, "_GOOD_ENOUGH", 1 << 62)  # greedy orders only, no pool
    monkeypatch.setattr(lk, "_CHUNK_ELEMENTS", 1)  # one row at a time
    other = missing_person_lr(ped, ped.ids[q], loci, ref, poi, max_clique=1 << 40)
    lk._compile.cache_clear()
    lk._query_cheaper.cache_clear()
    np.testing.assert_allclose(other.log10_per_locus, got, rtol=0, atol=1e-10)


def test_large_families_stay_within_the_default_limit():
    """Ten random 15-20-person families without loops: every plan of the 24-locus
    missing-person evaluation (SE33: 55 alleles, stepwise) is within MAX_CLIQUE."""
    for seed in range(20, 30):
        ped, q, loci, ref, poi = large_family(seed)
        res = missing_person_lr(ped, ped.ids[q], loci, ref, poi)
        assert np.isfinite(res.log10_lr) or res.excluded


# ----- the complexity limit --------------------------------------------------------------------
def test_refusal_names_locus_size_limit_and_no_loop():
    (case,) = load_cases(SE33_CASE)
    with pytest.raises(TooComplexError) as err:
        case.compute(max_clique=10_000)
    e = err.value
    assert e.loci == ("SE33",) and e.limit == 10_000 and e.clique > 10_000 and e.loop is False
    msg = str(e)
    assert msg.startswith("locus SE33: too complex")
    assert f"{e.clique:,}" in msg and "10,000" in msg and "no loop" in msg
    assert "loop (" not in msg


def test_refusal_on_a_loop_says_so():
    fa, mo, sex = LOOP_PEDIGREES["cousin-marriage"]
    ped = Pedigree(tuple(f"P{i}" for i in range(9)), np.array(sex), np.array(fa), np.array(mo))
    loc = Locus("TPOX", tuple(str(k) for k in range(8, 16)), np.full(8, 1 / 8),
                MutationModel("onestep", 0.01))  # fmt: skip
    g = np.full((9, 1, 2), -1, dtype=np.int32)
    g[8, 0] = (1, 2)
    g[0, 0] = (1, 1)
    with pytest.raises(TooComplexError, match=r"locus TPOX: .*has a loop") as err:
        lk.loglik_per_locus(ped, [loc], g, max_clique=50)
    assert err.value.loop is True


def test_default_limit_is_the_settings_default():
    from dnacase.settings import DEFAULT_KINSHIP_MAX_CLIQUE, kinship_max_clique

    assert DEFAULT_KINSHIP_MAX_CLIQUE == lk.MAX_CLIQUE
    assert kinship_max_clique({}) == lk.MAX_CLIQUE
    assert kinship_max_clique({"DNACASE_KINSHIP_MAX_CLIQUE": "1_000_000"}) == 1_000_000
    with pytest.raises(ValueError, match="DNACASE_KINSHIP_MAX_CLIQUE"):
        kinship_max_clique({"DNACASE_KINSHIP_MAX_CLIQUE": "lots"})


def _sibship(n_untyped: int, order: list[int] | None = None) -> tuple[Pedigree, list[int]]:
    """Grandparents, MP, two siblings, and ``n_untyped`` siblings each with a spouse and a
    child (the siblings and spouses untyped); persons listed in ``order`` (a permutation)."""
    fa, mo, sex = [-1, -1, 0, 0, 0], [-1, -1, 1, 1, 1], [1, 2, 1, 2, 1]
    for _ in range(n_untyped):
        sib = len(fa)
        fa += [0, -1, sib]
        mo += [1, -1, sib + 1]
        sex += [1, 2, 2]
    n = len(fa)
    order = list(range(n)) if order is None else order
    pos = {old: new for new, old in enumerate(order)}
    ids = tuple(f"I{old}" for old in order)
    ped = Pedigree(ids, np.array([sex[o] for o in order]),
                   np.array([pos[fa[o]] if fa[o] >= 0 else -1 for o in order]),
                   np.array([pos[mo[o]] if mo[o] >= 0 else -1 for o in order]))  # fmt: skip
    typed = [pos[3], pos[4]] + [pos[5 + 3 * k + 2] for k in range(n_untyped)]
    return ped, typed


def test_large_sibship_is_computed_and_does_not_depend_on_the_person_order():
    """MP's two typed siblings and five untyped siblings each with a typed child (20 persons,
    the grandparents untyped): SE33 and two more loci, stepwise; the same LR whatever the
    order of the persons (other plans)."""
    loci = _oracle_loci(3, MutationModel("stepwise", 0.003, 0.5, 1e-4))
    ped, typed = _sibship(5)
    assert len(ped) == 20 and not ped.has_loop()
    g = simulate_genotypes(ped, loci, np.random.default_rng(4))[0]
    ref = np.full_like(g, -1)
    ref[typed] = g[typed]
    mp = ped.index("I2")
    got = missing_person_lr(ped, "I2", loci, ref, g[mp]).log10_per_locus
    assert np.all(np.isfinite(got))
    ped2, typed2 = _sibship(5, np.random.default_rng(1).permutation(len(ped)).tolist())
    ref2 = np.full_like(g, -1)
    for old, new in zip(typed, typed2, strict=True):
        ref2[new] = g[old]
    again = missing_person_lr(ped2, "I2", loci, ref2, g[mp]).log10_per_locus
    np.testing.assert_allclose(again, got, rtol=0, atol=1e-10)
