"""``dnacase kinship lr`` with lineage data: every part printed, old files unchanged."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dnacase.cli import main

from .test_lineage_casefile import CASE as LINEAGE_CASE

ORACLE = Path(__file__).resolve().parents[2] / "data" / "oracle" / "cases.json"

FREQ = {"10": 0.2, "11": 0.3, "12": 0.4, "13": 0.1}
CASE = {
    **LINEAGE_CASE,
    "markers": [{"name": "L1", "frequencies": FREQ}, {"name": "L2", "frequencies": FREQ}],
    "genotypes": {
        "S01": {"L1": ["10", "11"], "L2": ["12", "12"]},
        "M01": {"L1": ["10", "12"], "L2": ["12", "13"]},
        "UHR": {"L1": ["11", "12"], "L2": ["12", "13"]},
    },
}


def run(tmp_path: Path, obj: object) -> object:
    f = tmp_path / "case.json"
    f.write_text(json.dumps(obj))
    return CliRunner().invoke(main, ["kinship", "lr", str(f)])


def test_lineage_parts_are_printed(tmp_path: Path) -> None:
    res = run(tmp_path, CASE)
    assert res.exit_code == 0, res.output
    item = json.loads(res.stdout)
    lin = item["lineage"]
    assert lin["parts"]["autosomal"]["STR/SNP"] == pytest.approx(item["log10_lr"], abs=1e-6)
    total = item["log10_lr"] + lin["parts"]["mtdna"] + lin["parts"]["y"]
    assert lin["combined_log10_lr"] == pytest.approx(total, abs=1e-5)
    assert lin["mtdna"]["reference"] == "M01" and lin["y"]["reference"] == "C01"
    assert lin["mtdna"]["outside_line"][0]["id"] == "W01"
    for needle in ("autosomal STR/SNP log10 LR", "mtDNA log10 LR", "Y-STR log10 LR",
                   "combined log10 LR"):
        assert needle in res.stderr, needle


def test_old_case_files_have_no_lineage_key(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["kinship", "lr", str(ORACLE)])
    assert res.exit_code == 0, res.output
    assert all("lineage" not in item for item in json.loads(res.stdout))


@pytest.mark.parametrize(
    ("patch", "needle"),
    [
        ({"mtdna": {"M01": {"range": "16024-576"}}}, "variants"),
        ({"ystr_population": {"count": 3}}, "ystr_population"),
        ({"mtdna": {"M01": {"range": "16024-576", "variants": ["16223X"]}}}, "16223X"),
    ],
)
def test_bad_lineage_sections_are_clear_errors(tmp_path: Path, patch: dict,
                                                needle: str) -> None:
    bad = copy.deepcopy(CASE)
    bad.update(patch)
    res = run(tmp_path, bad)
    assert res.exit_code == 2
    assert needle in res.stderr and "VN17-lineage" in res.stderr


def test_two_alignments_of_one_sequence_give_the_same_lrs(tmp_path: Path) -> None:
    """The issue: 248/249 and the CA repeat spelled differently on the two sides made the
    pair excluded and the combined LR 0; now both spellings give the LRs of one sequence."""
    lab_a = copy.deepcopy(CASE)
    lab_a["mtdna"]["UHR"]["variants"] += " 248DEL 309+CC"  # typed for HVS-I/II only
    lab_a["mtdna"]["M01"]["variants"] += ["249delA", "523DEL", "524DEL", "305.1C", "306.1C"]
    lab_b = copy.deepcopy(CASE)
    lab_b["mtdna"]["UHR"]["variants"] += " 249d 309.1C 309.2C"
    lab_b["mtdna"]["M01"]["variants"] += ["249DEL", "514-515d", "309.1CC"]
    out = []
    for case in (lab_a, lab_b):
        res = run(tmp_path, case)
        assert res.exit_code == 0, res.output
        out.append(json.loads(res.stdout)["lineage"])
    a, b = out
    assert a["mtdna"]["classification"] == "cannot exclude" and a["mtdna"]["differences"] == []
    assert a["parts"]["mtdna"] == b["parts"]["mtdna"] > 0
    assert a["combined_log10_lr"] == b["combined_log10_lr"] != "-inf"
