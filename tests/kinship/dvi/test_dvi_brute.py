"""The joint likelihood of every assignment against an independent computation: the whole
joint pedigree (all families side by side, every victim placed on its missing person or kept
as an unrelated founder) evaluated directly by the engine, with no cache and no
decomposition. Assignments are enumerated here with itertools."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest

from dnacase.kinship.dvi import (
    NOT_MISSING,
    FamilyLikelihoods,
    JointOptions,
    pairwise_log_lr,
    parse_problem,
    solve_joint,
)
from dnacase.kinship.likelihood import loglik_per_locus
from dnacase.kinship.pedigree import Pedigree

DATA = Path(__file__).resolve().parents[2] / "data" / "oracle"
PROBLEMS = {p["id"]: p for p in json.loads((DATA / "dvi.json").read_text())}


def joint_pedigree_loglik(pr, assignment: dict[int, str]) -> float:
    """ln P(all data | assignment) on one pedigree holding every family and every victim."""
    recs, rows = [], []
    placed = {m: v for v, m in assignment.items() if m != NOT_MISSING}
    for k, fam in enumerate(pr.families):
        pre = f"f{k}:"
        for r, g in zip(fam.pedigree.to_records(), fam.references, strict=True):
            recs.append({"id": pre + r["id"], "sex": r["sex"],
                         "father": pre + r["father"] if r["father"] else None,
                         "mother": pre + r["mother"] if r["mother"] else None})
            rows.append(pr.victim_genotypes[placed[r["id"]]] if r["id"] in placed else g)
    for v, vid in enumerate(pr.victims):
        if v not in placed.values():
            recs.append({"id": "victim:" + vid, "sex": "U", "father": None, "mother": None})
            rows.append(pr.victim_genotypes[v])
    per = loglik_per_locus(Pedigree.from_records(recs), pr.loci, np.stack(rows))
    return -math.inf if np.isneginf(per).any() else math.fsum(per.tolist())


def all_assignments(pr):
    opts = [sorted(a) for a in pr.allowed]
    for combo in itertools.product(*opts):
        used = [m for m in combo if m != NOT_MISSING]
        if len(used) == len(set(used)):
            yield dict(enumerate(combo))


@pytest.mark.parametrize("pid", ["dvi-sim-01", "dvi-sim-05", "dvir-example2"])
def test_every_assignment_matches_the_joint_pedigree(pid):
    pr = parse_problem(PROBLEMS[pid])
    lik = FamilyLikelihoods(pr)
    res = solve_joint(lik, pairwise_log_lr(lik), JointOptions(top=10**6))
    brute = {tuple(a[v] for v in range(len(pr.victims))): joint_pedigree_loglik(pr, a)
             for a in all_assignments(pr)}
    assert res.n_assignments == len(brute) == len(res.rows)
    assert res.loglik_null == pytest.approx(brute[(NOT_MISSING,) * len(pr.victims)], rel=1e-12)
    for row in res.rows:
        want = brute[row.targets]
        if want == -math.inf:
            assert row.score == -math.inf
        else:
            assert res.loglik_null + row.score == pytest.approx(want, rel=1e-12)
    finite = np.array([x for x in brute.values() if x > -math.inf])
    log_total = float(np.log(np.exp(finite - finite.max()).sum()) + finite.max())
    assert res.loglik_null + res.log_total == pytest.approx(log_total, rel=1e-12)


def test_pruning_reports_its_rule_and_keeps_the_best():
    """A cap below the space size prunes (exclusions, then pairwise LR >= 1, ...) and says so;
    the best assignment survives."""
    pr = parse_problem(PROBLEMS["dvir-symmetricSibs"])
    lik = FamilyLikelihoods(pr)
    pw = pairwise_log_lr(lik)
    full = solve_joint(lik, pw)
    small = solve_joint(lik, pw, JointOptions(max_assignments=100))
    assert full.exhaustive and full.n_assignments == 1546
    assert not small.exhaustive and small.n_assignments <= 100
    assert small.rule is not None and "pairwise LR" in small.rule
    assert small.rows[0].score == pytest.approx(full.rows[0].score, abs=1e-9)


@pytest.mark.parametrize("pid", ["dvi-sim-03", "dvi-sim-05", "dvir-KETPchap481"])
def test_query_tables_equal_direct_likelihoods(pid):
    """One elimination keeping the missing person's alleles gives, for every genotype, the
    likelihood of the family with that genotype placed (equal and stepwise mutation, none;
    genotypes of the first loci against a direct evaluation; KETP's tables sum to 1 - 1e-10,
    hence 1e-9)."""
    from dnacase.kinship.likelihood import query_genotype_tables

    pr = parse_problem(PROBLEMS[pid])
    fam = pr.families[-1]
    q = fam.pedigree.index(fam.missing[0])
    res = query_genotype_tables(fam.pedigree, q, pr.loci, fam.references)
    assert res is not None
    tables, scale, log_refs = res
    base = loglik_per_locus(fam.pedigree, pr.loci, fam.references)
    assert log_refs == pytest.approx(base, rel=1e-9)
    for j in range(3):
        n = pr.loci[j].n_alleles
        assert math.log(tables[j].sum()) + scale[j] == pytest.approx(base[j], rel=1e-9)
        for a in range(n):
            for b in range(a, min(n, a + 4)):
                g = fam.references.copy()
                g[q, j] = (a, b)
                want = loglik_per_locus(fam.pedigree, pr.loci[j:j + 1], g[:, j:j + 1])[0]
                t = tables[j][a, b] + (tables[j][b, a] if a != b else 0.0)
                got = math.log(t) + scale[j] if t > 0 else -math.inf
                assert got == pytest.approx(want, rel=1e-9, abs=1e-12)
    # lumped: only the kept alleles (and the references') are exact
    keep = np.tile(np.array([[0, 1, 2]]), (len(pr.loci), 1))
    t2, s2, r2 = query_genotype_tables(fam.pedigree, q, pr.loci, fam.references, None, keep)
    assert r2 == pytest.approx(base, rel=1e-9)
    for j in range(len(pr.loci)):
        for a, b in ((0, 1), (2, 2), (0, 0)):
            x = t2[j][a, b] + (t2[j][b, a] if a != b else 0.0)
            y = tables[j][a, b] + (tables[j][b, a] if a != b else 0.0)
            if y == 0:
                assert x == 0
            else:
                assert math.log(x) + s2[j] == pytest.approx(math.log(y) + scale[j], rel=1e-9)


def test_posterior_under_a_prior_per_pairing():
    """Weights per pairing: posterior_prior = w(a) L(a) / sum w L over every assignment, the
    sum taken here by brute force over the joint pedigree; equal weights give the flat one."""
    from dnacase.kinship.dvi import solve

    raw = dict(PROBLEMS["dvir-example2"])
    raw["prior"] = {"V1": {"M1": 3.0, "M2": 0.5, "*": 2.0}, "V3": {"M3": 0.0}}
    pr = parse_problem(raw)
    out = solve(pr)
    w = {("V1", "M1"): 3.0, ("V1", "M2"): 0.5, ("V1", "*"): 2.0, ("V3", "M3"): 0.0}
    brute = []
    for a in all_assignments(pr):
        prior = math.prod(w.get((pr.victims[v], m), 1.0) for v, m in a.items())
        ll = joint_pedigree_loglik(pr, a)
        brute.append((tuple(a[v] for v in range(len(pr.victims))), prior * math.exp(ll)))
    z = sum(x for _, x in brute)
    want = dict(brute)
    for row in out["joint"]["top"]:
        key = tuple(row["assignment"][v] for v in pr.victims)
        assert row["posterior_prior"] == pytest.approx(want[key] / z, rel=1e-9, abs=1e-300)
    assert any(row["posterior_prior"] == 0.0 and row["loglik"] is not None
               for row in out["joint"]["top"])  # V3 = M3 has prior 0
    flat = solve(parse_problem(PROBLEMS["dvir-example2"]))
    assert all("posterior_prior" not in r for r in flat["joint"]["top"])


@pytest.mark.parametrize("pid", ["dvi-sim-01", "dvi-sim-05", "dvir-exclusionExample"])
def test_incompatible_loci_fast_path_equals_direct(pid, monkeypatch):
    """Inconsistent-locus counts (the exclusion rule) from the query tables equal those from
    direct likelihoods of every victim placed; a victim LR-0 as M has at least one."""
    import dnacase.kinship.dvi.pairwise as pwmod

    pr = parse_problem(PROBLEMS[pid])
    lik = FamilyLikelihoods(pr)
    fast = pwmod.incompatible_loci(lik)
    monkeypatch.setattr(pwmod, "query_genotype_tables", lambda *a, **k: None)
    slow = pwmod.incompatible_loci(lik)
    assert (fast == slow).all()
    pw = pairwise_log_lr(lik)
    if not any(m.has_mutation for m in pr.loci):
        assert ((fast > 0) == np.isneginf(pw)).all()
