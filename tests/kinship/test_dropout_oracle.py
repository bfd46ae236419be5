"""Allele dropout: the public oracle cases (README section 7), reproduced from the copy in
tests/data/oracle/dropout-cases.json: |delta log10 LR| <= 1e-10, per-marker LRs to 1e-9
relative, exclusions exactly; with d = 0 the same profiles give today's LRs exactly."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import numpy as np
import pytest

from dnacase.kinship import CaseError, load_cases

DATA = Path(__file__).resolve().parents[1] / "data" / "oracle"
RAW = json.loads((DATA / "dropout-cases.json").read_text())
CASES = list(zip(load_cases(RAW), RAW, strict=True))


@pytest.mark.parametrize(("case", "raw"), CASES, ids=[c.id for c, _ in CASES])
def test_dropout_case(case, raw):
    res = case.compute()
    exp = raw["expected"]
    if exp["lr"] == 0:
        assert res.log10_lr == -math.inf
        assert res.lr == 0.0
    else:
        assert res.log10_lr == pytest.approx(exp["log10_lr"], abs=1e-10)
        assert res.lr == pytest.approx(exp["lr"], rel=1e-9)
    per = res.per_locus()
    for locus, lr_m in exp["lr_per_marker"].items():
        if lr_m == 0:
            assert per[locus] == -math.inf
        else:
            assert 10.0 ** per[locus] == pytest.approx(lr_m, rel=1e-9)


def test_cases_have_one_peak_loci():
    """The set exercises the model: most cases have a one-peak POI locus."""
    one = sum(any(len(g) == 1 for g in raw["genotypes"]["POI"].values()) for raw in RAW)
    assert one >= len(RAW) // 2


def test_two_spellings_of_one_peak_agree():
    """With a dropout probability, ["a"] and ["a", "a"] both mean one peak a."""
    raw = next(r for r in RAW if any(len(g) == 1 for g in r["genotypes"]["POI"].values()))
    twin = copy.deepcopy(raw)
    for locus, g in twin["genotypes"]["POI"].items():
        if len(g) == 1:
            twin["genotypes"]["POI"][locus] = g * 2
    a, b = load_cases([raw, twin | {"id": "twin"}])
    np.testing.assert_array_equal(a.compute().log10_per_locus, b.compute().log10_per_locus)


@pytest.mark.parametrize(("case", "raw"), CASES[::5], ids=[c.id for c, _ in CASES[::5]])
def test_zero_dropout_is_todays_lr_exactly(case, raw):
    """d = 0: a one-peak locus is a homozygote, bit for bit as without any dropout key."""
    zero = copy.deepcopy(raw) | {"dropout": {"POI": 0.0}}
    plain = copy.deepcopy(raw)
    del plain["dropout"]
    for locus, g in plain["genotypes"]["POI"].items():
        plain["genotypes"]["POI"][locus] = [g[0], g[-1]]
    z, p = load_cases([zero, plain | {"id": "plain"}])
    np.testing.assert_array_equal(z.compute().log10_per_locus, p.compute().log10_per_locus)


def test_one_allele_without_dropout_is_refused():
    raw = next(r for r in RAW if any(len(g) == 1 for g in r["genotypes"]["POI"].values()))
    locus = next(k for k, g in raw["genotypes"]["POI"].items() if len(g) == 1)
    bad = copy.deepcopy(raw)
    del bad["dropout"]
    with pytest.raises(CaseError, match=rf"case '{raw['id']}', person 'POI', locus {locus}: "
                                        "one allele given"):  # fmt: skip
        load_cases(bad)


@pytest.mark.parametrize(("dropout", "msg"), [({"X": 0.1}, "unknown person"),
                                               ({"POI": 1.0}, r"dropout/POI")])
def test_bad_dropout_is_refused(dropout, msg):
    bad = copy.deepcopy(RAW[0]) | {"dropout": dropout}
    with pytest.raises(CaseError, match=msg):
        load_cases(bad)
