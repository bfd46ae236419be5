"""``dnacase kinship lr``: output contract and input errors."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from dnacase.cli import main

DATA = Path(__file__).resolve().parents[1] / "data" / "oracle"
STR = json.loads((DATA / "cases.json").read_text())


def run(tmp_path, obj, *args):
    f = tmp_path / "case.json"
    f.write_text(json.dumps(obj))
    return CliRunner().invoke(main, ["kinship", "lr", str(f), *args])


def test_all_oracle_cases_in_order(tmp_path):
    res = CliRunner().invoke(main, ["kinship", "lr", str(DATA / "cases.json")])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert [o["id"] for o in out] == [c["id"] for c in STR]
    for o, c in zip(out, STR, strict=True):
        assert list(o) == ["id", "lr", "log10_lr", "loci", "inconsistent"]
        assert list(o["loci"]) == [m["name"] for m in c["markers"]]
        if c["expected"]["lr"] == 0:
            assert o["lr"] == 0.0 and o["log10_lr"] is None and o["inconsistent"]
        else:
            assert o["lr"] == pytest.approx(c["expected"]["lr"], rel=1e-9)
            assert o["log10_lr"] == pytest.approx(c["expected"]["log10_lr"], abs=1e-10)
    assert "unlinked" in res.stderr


def test_single_case_object_and_notes(tmp_path):
    res = run(tmp_path, STR[3], "--notes")
    assert res.exit_code == 0
    o = json.loads(res.stdout)
    assert o["id"] == STR[3]["id"] and any("unlinked" in n for n in o["notes"])


def test_overflow_gives_null_lr_with_finite_log10(tmp_path):
    snp = next(
        json.loads(line.rstrip(","))
        for line in (DATA / "snp-cases.json").read_text().splitlines()
        if line.startswith('{"id":"snp-parent-child-06"')
    )
    case = copy.deepcopy(snp)
    extra = copy.deepcopy(case["markers"])
    for m in extra:
        m["name"] += "_dup"
    case["markers"] += extra
    for prof in case["genotypes"].values():
        prof.update({k + "_dup": v for k, v in list(prof.items())})
    res = run(tmp_path, [case])
    assert res.exit_code == 0, res.output
    o = json.loads(res.stdout)[0]
    assert o["lr"] is None
    assert o["log10_lr"] == pytest.approx(2 * snp["expected"]["log10_lr"], abs=1e-7)
    assert math.isfinite(o["log10_lr"])


def _broken(mutate):
    case = copy.deepcopy(STR[20])
    mutate(case)
    return [case]


def _a0(case, j):
    return next(iter(case["markers"][j]["frequencies"]))


def _ref(case):
    return next(p for p in case["genotypes"] if p != case["poi"])


@pytest.mark.parametrize(
    ("mutate", "needles"),
    [
        (lambda c: c.pop("markers"), ["'markers' is a required property"]),
        (lambda c: c["pedigree"][-1].update(father="NOBODY"), ["unknown father 'NOBODY'"]),
        (lambda c: c["pedigree"].append(dict(c["pedigree"][0])), ["duplicate person id"]),
        (lambda c: c.update(missing="ZZ"), ["missing person 'ZZ'"]),
        (
            lambda c: c["genotypes"][_ref(c)].update({c["markers"][0]["name"]: ["OL", _a0(c, 0)]}),
            ["'OL' is not an allele", "person"],
        ),
        (
            lambda c: c["genotypes"][c["poi"]].update(
                {c["markers"][1]["name"]: ["99.9", _a0(c, 1)]}
            ),
            ["'99.9' is not in the frequency table", "person 'POI'"],
        ),
        (lambda c: c["genotypes"].update(GHOST={}), ["person 'GHOST'"]),
        (lambda c: c["genotypes"][_ref(c)].update(NOLOCUS=["1", "2"]), ["locus NOLOCUS"]),
        (lambda c: c["markers"][0].update(mutation={"model": "stepwise", "rate": 0.1}), ["range"]),
    ],
)
def test_invalid_input_names_case_person_locus(tmp_path, mutate, needles):
    case = _broken(mutate)
    res = run(tmp_path, case)
    assert res.exit_code == 2
    assert f"case '{STR[20]['id']}'" in res.stderr or "case " in res.stderr
    for n in needles:
        assert n in res.stderr, res.stderr


def test_absent_allele_policy_reported(tmp_path):
    case = copy.deepcopy(STR[20])
    loc = case["markers"][1]["name"]
    case["genotypes"][case["poi"]][loc] = ["99.9", _a0(case, 1)]
    res = run(tmp_path, [case], "--n-individuals", "500")
    assert res.exit_code == 0, res.output
    assert "5/2N" in res.stderr and "99.9" in res.stderr


def test_bad_json_and_missing_file(tmp_path):
    f = tmp_path / "bad.json"
    f.write_text("[{")
    res = CliRunner().invoke(main, ["kinship", "lr", str(f)])
    assert res.exit_code == 2 and "invalid JSON at line 1" in res.stderr
    res = CliRunner().invoke(main, ["kinship", "lr", str(tmp_path / "none.json")])
    assert res.exit_code == 2 and "cannot read" in res.stderr


SE33_CASE = Path(__file__).resolve().parents[1] / "data" / "kinship" / "se33-siblings-nephew.json"


def _mixed(tmp_path):
    """Two oracle cases around the 8-person SE33 family (stepwise, 53 alleles)."""
    (se33,) = json.loads(SE33_CASE.read_text())
    f = tmp_path / "mixed.json"
    f.write_text(json.dumps([STR[0], se33, STR[1]]))
    return f, se33["id"]


def test_case_beyond_the_limit_gets_an_error_item_and_the_others_are_computed(tmp_path):
    f, sid = _mixed(tmp_path)
    res = CliRunner().invoke(main, ["kinship", "lr", str(f), "--max-clique", "10000"])
    assert res.exit_code == 1
    out = json.loads(res.stdout)
    assert [o["id"] for o in out] == [STR[0]["id"], sid, STR[1]["id"]]
    assert list(out[1]) == ["id", "error"]
    err = out[1]["error"]
    assert err.startswith("locus SE33: too complex") and "limit of 10,000" in err
    assert "no loop" in err and "--max-clique" in err
    for o, c in ((out[0], STR[0]), (out[2], STR[1])):
        if c["expected"]["lr"] == 0:
            assert o["lr"] == 0.0
        else:
            assert o["log10_lr"] == pytest.approx(c["expected"]["log10_lr"], abs=1e-10)
    assert f"case '{sid}': locus SE33" in res.stderr and "1 of 3 case(s)" in res.stderr


def test_limit_from_the_environment_and_default(tmp_path):
    f, _sid = _mixed(tmp_path)
    res = CliRunner().invoke(main, ["kinship", "lr", str(f)],
                             env={"DNACASE_KINSHIP_MAX_CLIQUE": "10000"})  # fmt: skip
    assert res.exit_code == 1 and "limit of 10,000" in json.loads(res.stdout)[1]["error"]
    res = CliRunner().invoke(main, ["kinship", "lr", str(f)],
                             env={"DNACASE_KINSHIP_MAX_CLIQUE": ""})  # fmt: skip
    assert res.exit_code == 0, res.output
    assert math.isfinite(json.loads(res.stdout)[1]["log10_lr"])
    res = CliRunner().invoke(main, ["kinship", "lr", str(f)],
                             env={"DNACASE_KINSHIP_MAX_CLIQUE": "many"})  # fmt: skip
    assert res.exit_code == 2 and "DNACASE_KINSHIP_MAX_CLIQUE" in res.stderr


def test_references_impossible_on_the_pedigree_are_an_error_item(tmp_path):
    case = copy.deepcopy(next(c for c in STR if c["scenario"] == "mother+brother"))
    for m in case["markers"]:
        m["mutation"] = None
    mo = case["genotypes"]["MO"]
    loc = next(iter(mo))
    alleles = list(case["markers"][[m["name"] for m in case["markers"]].index(loc)]["frequencies"])
    bro = case["genotypes"]["BRO"]
    free = [a for a in alleles if a not in mo[loc]]
    mo[loc] = [free[0], free[0]]
    bro[loc] = [free[1], free[1]]
    res = run(tmp_path, [case, STR[2]])
    assert res.exit_code == 1
    out = json.loads(res.stdout)
    assert list(out[0]) == ["id", "error"] and loc in out[0]["error"]
    assert "impossible" in out[0]["error"] and "lr" in out[1]


def test_dropout_cases(tmp_path):
    """Remains with allele dropout: the oracle's values, the one-peak loci named in the notes;
    without the dropout key a one-allele genotype is refused naming case, person, locus."""
    drop = json.loads((DATA / "dropout-cases.json").read_text())
    res = CliRunner().invoke(main, ["kinship", "lr", str(DATA / "dropout-cases.json")])
    assert res.exit_code == 0, res.output
    for o, c in zip(json.loads(res.stdout), drop, strict=True):
        assert (o["lr"] or 0.0) == pytest.approx(c["expected"]["lr"], rel=1e-9)
    res = run(tmp_path, drop[0], "--notes")
    assert any("one allele seen at" in n for n in json.loads(res.stdout)["notes"])
    bad = copy.deepcopy(drop[0])
    del bad["dropout"]
    res = run(tmp_path, bad)
    assert res.exit_code != 0 and "Traceback" not in res.output
    assert "person 'POI', locus D18S51: one allele given" in res.output
