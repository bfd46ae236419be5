"""``dnacase dvi solve``: output contract, per-problem errors, bad files."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dnacase.cli import main

DATA = Path(__file__).resolve().parents[2] / "data" / "oracle"
PROBLEMS = json.loads((DATA / "dvi.json").read_text())
SMALL = [p for p in PROBLEMS if p["id"] in ("dvi-sim-01", "dvir-example2")]


def run(tmp_path, obj, *args):
    f = tmp_path / "problems.json"
    f.write_text(obj if isinstance(obj, str) else json.dumps(obj))
    return CliRunner().invoke(main, ["dvi", "solve", str(f), *args])


def test_contract(tmp_path):
    res = run(tmp_path, SMALL)
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert [o["id"] for o in out] == [p["id"] for p in SMALL]
    for o, p in zip(out, SMALL, strict=True):
        assert {"id", "pairwise", "joint", "glr"} <= set(o)
        victims = [v["id"] for v in p["victims"]]
        assert list(o["pairwise"]) == victims and list(o["glr"]) == victims
        j = o["joint"]
        assert {"n_assignments", "exhaustive", "top"} <= set(j)
        assert j["n_assignments"] == p["expected"]["joint"]["n_assignments"]
        assert len(j["top"]) >= 10
        for row in j["top"]:
            assert set(row) == {"assignment", "loglik", "log10_lr_vs_null", "posterior"}
            assert list(row["assignment"]) == victims
        assert j["top"][0]["loglik"] == pytest.approx(p["expected"]["joint"]["top"][0]["loglik"])
    excl = out[0]["pairwise"]["V3"]["M3"]
    assert excl == {"lr": 0.0, "log10_lr": None}
    assert "problem(s)" in res.stderr


def test_one_bad_problem_gets_an_error_item_and_exit_1(tmp_path):
    bad = copy.deepcopy(SMALL[0])
    bad["id"] = "bad-locus"
    bad["victims"][0]["genotypes"]["NOT_A_LOCUS"] = ["1", "2"]
    bad2 = copy.deepcopy(SMALL[1])
    bad2["id"] = "bad-allele"
    fam = bad2["families"][0]
    ref = fam["references"][0]
    locus = next(iter(fam["genotypes"][ref]))
    fam["genotypes"][ref][locus] = ["99.9", "1"]
    res = run(tmp_path, [bad, SMALL[0], bad2])
    assert res.exit_code == 1
    out = json.loads(res.stdout)
    assert [o["id"] for o in out] == ["bad-locus", SMALL[0]["id"], "bad-allele"]
    assert set(out[0]) == {"id", "error"} and "NOT_A_LOCUS" in out[0]["error"]
    assert "V1" in out[0]["error"]
    assert "family 'F1'" in out[2]["error"] and "99.9" in out[2]["error"]
    assert "joint" in out[1]
    assert "Traceback" not in res.output


@pytest.mark.parametrize(("text", "needle"), [
    ("[{", "invalid JSON at line 1"),
    ('{"a": 1}', "'markers' must be a non-empty array"),
    ("3", "expected a JSON array"),
])
def test_bad_files_give_a_message_not_a_traceback(tmp_path, text, needle):
    res = run(tmp_path, text)
    assert res.exit_code in (1, 2)
    assert needle in res.stderr or needle in res.stdout
    assert "Traceback" not in res.output


def test_unreadable_file(tmp_path):
    res = CliRunner().invoke(main, ["dvi", "solve", str(tmp_path / "nope.json")])
    assert res.exit_code == 2 and "cannot read" in res.stderr


def test_impossible_references_name_the_family(tmp_path):
    """References inconsistent among themselves (no mutation model): that problem gets an
    error naming the family; the next one is still solved."""
    bad = copy.deepcopy(SMALL[0])  # dvi-sim-01, no mutation; F2: grandmother and aunt
    bad["id"] = "bad-refs"
    fam = next(f for f in bad["families"] if f["id"] == "F2")
    locus = bad["markers"][0]
    alleles = list(locus["frequencies"])
    gm = set(fam["genotypes"]["F2_GM"][locus["name"]])
    other = [a for a in alleles if a not in gm][:2]
    fam["genotypes"]["F2_AU"][locus["name"]] = other
    res = run(tmp_path, [bad, SMALL[1]])
    assert res.exit_code == 1
    out = json.loads(res.stdout)
    assert set(out[0]) == {"id", "error"}
    assert "family 'F2'" in out[0]["error"] and "impossible" in out[0]["error"]
    assert "joint" in out[1]


def test_complexity_limit_names_family_and_locus(tmp_path):
    res = run(tmp_path, SMALL[:1], "--max-clique", "10")
    assert res.exit_code == 1
    out = json.loads(res.stdout)
    assert set(out[0]) == {"id", "error"}
    assert "family 'F" in out[0]["error"] and "locus" in out[0]["error"]
    assert "too complex" in out[0]["error"]
