"""Lineage sections of a kinship-case document: schema, parsing, pair report."""

from __future__ import annotations

import json
import math
from pathlib import Path

import jsonschema
import pytest

from dnacase.kinship.lineage import LineageClass, LineageDataError, clopper_pearson_upper
from dnacase.kinship.lineage.casefile import has_lineage, lineage_pair_report, parse_lineage
from dnacase.kinship.lineage.schema import LINEAGE_SCHEMA
from dnacase.kinship.pedigree import Pedigree

ROOT = Path(__file__).resolve().parents[3]

CASE = {
    "id": "VN17-lineage",
    "pedigree": [
        {"id": "GF", "father": None, "mother": None, "sex": "M"},
        {"id": "M01", "father": None, "mother": None, "sex": "F"},
        {"id": "MP", "father": "GF", "mother": "M01", "sex": "M"},
        {"id": "S01", "father": "GF", "mother": "M01", "sex": "F"},
        {"id": "W01", "father": None, "mother": None, "sex": "F"},
        {"id": "C01", "father": "MP", "mother": "W01", "sex": "M"},
    ],
    "missing": "MP",
    "poi": "UHR",
    "mtdna": {
        "UHR": {
            "range": "16024-16365;73-340",
            "variants": "16093Y 16129A 16192T 16223T 16297C 16324C 73G 199C 263G 315.1C",
        },
        "M01": {
            "range": "16024-576",
            "variants": [
                "16129A",
                "16192T",
                "16223T",
                "16297C",
                "16324C",
                "73G",
                "199C",
                "263G",
                "315.1C",
                "489C",
            ],
        },
        "W01": {
            "range": "16024-576",
            "variants": [
                "16183C",
                "16189C",
                "16217C",
                "16261T",
                "73G",
                "263G",
                "309.1C",
                "309.2C",
                "315.1C",
            ],
        },
    },
    "ystr": {
        "UHR": {"DYS570": [18], "DYS576": [18], "DYS385": "12,19", "DYS627": None},
        "C01": {"DYS570": [19], "DYS576": [18], "DYS385": [19, 12], "DYS627": [20]},
    },
    "mtdna_population": {
        "name": "synthetic",
        "haplotypes": [
            {"range": "16024-576", "variants": "73G 263G 315.1C", "count": 99},
            {"range": "16024-576", "variants": "16129A 16192T 16223T 16297C 16324C 73G 199C 263G"},
        ],
    },
    "ystr_population": {"count": 0, "n": 500},
    "mtdna_rules": {"ignored_positions": [16519], "rate_per_meiosis": 0.02},
    "ystr_rules": {"exclude_at": 2},
}


def test_published_schema_file_matches_the_package_copy() -> None:
    on_disk = json.loads((ROOT / "schemas" / "lineage.schema.json").read_text(encoding="utf-8"))
    assert on_disk == LINEAGE_SCHEMA
    jsonschema.Draft202012Validator.check_schema(LINEAGE_SCHEMA)


def test_schema_accepts_the_example_and_rejects_bad_sections() -> None:
    v = jsonschema.Draft202012Validator(LINEAGE_SCHEMA)
    assert list(v.iter_errors(CASE)) == []
    bad = {"mtdna": {"X": {"range": "1-10"}}, "ystr_population": {"count": -1, "n": 5}}
    assert len(list(v.iter_errors(bad))) == 2


def test_parse_and_report() -> None:
    assert has_lineage(CASE) and not has_lineage({"id": "old"})
    data = parse_lineage(CASE, "case.json")
    assert set(data.mtdna) == {"UHR", "M01", "W01"}
    assert data.mtdna_options.ignored_positions == frozenset({16519})
    assert data.mtdna_allowance.rate_per_meiosis == 0.02
    assert data.ystr_options.exclude_at == 2
    ped = Pedigree.from_records(CASE["pedigree"])
    rep = lineage_pair_report(data, ped, "UHR", "MP", autosomal={"STR": 5.0})
    assert rep.mtdna is not None and rep.y is not None
    assert rep.mtdna.reference == "M01"
    # the database entry lacks 315.1C (a length variant, not counted); 489C is outside the range
    assert (rep.mtdna.frequency.count, rep.mtdna.frequency.n) == (1, 100)
    assert dict(rep.mtdna.outside).keys() == {"W01"}
    assert rep.y.reference == "C01" and rep.y.classification is LineageClass.INCONCLUSIVE
    assert rep.y.frequency.upper == pytest.approx(clopper_pearson_upper(0, 500))
    assert rep.combined_log10_lr == pytest.approx(5.0 + rep.mtdna.log10_lr + rep.y.log10_lr)
    assert math.isfinite(rep.combined_log10_lr)


def test_errors_name_file_section_and_person() -> None:
    bad = {"mtdna": {"M01": {"range": "16024-576", "variants": ["16223X"]}}}
    with pytest.raises(LineageDataError, match=r"case\.json.*M01.*16223X"):
        parse_lineage(bad, "case.json")
    with pytest.raises(LineageDataError, match=r"case\.json.*C01.*DYS19"):
        parse_lineage({"ystr": {"C01": {"DYS19": "x"}}}, "case.json")
    with pytest.raises(LineageDataError, match="mtdna_rules"):
        parse_lineage({"mtdna_rules": {"exclude_at": 0, "inconclusive_at": 1}}, "case.json")


def test_case_lineage_json_has_every_part() -> None:
    from dnacase.kinship.lineage.casefile import case_lineage_json

    ped = Pedigree.from_records(CASE["pedigree"])
    out = case_lineage_json(CASE, ped, 4.5, source="case.json")
    assert out is not None
    text = json.dumps(out, allow_nan=False)  # strictly JSON
    assert set(out["parts"]) == {"autosomal", "mtdna", "y"}
    assert out["parts"]["autosomal"] == {"STR/SNP": 4.5}
    total = 4.5 + out["parts"]["mtdna"] + out["parts"]["y"]
    assert out["combined_log10_lr"] == pytest.approx(total, abs=1e-5)
    assert out["y"]["differences"] == ["DYS570 18/19 (+1 repeat(s))"]
    assert "independent" in text
    excluded = case_lineage_json(CASE, ped, float("-inf"))
    assert excluded["combined_log10_lr"] == "-inf"
    assert case_lineage_json({"id": "old", "poi": "X", "missing": "MP"}, ped, 1.0) is None


def test_upper_bound_is_read_from_the_rules() -> None:
    import copy

    doc = copy.deepcopy(CASE)
    doc["mtdna_rules"]["upper_bound"] = "one-sided"
    doc["ystr_rules"]["upper_bound"] = "two-sided"
    jsonschema.Draft202012Validator(LINEAGE_SCHEMA).validate(doc)
    data = parse_lineage(doc, "case.json")
    assert not data.mtdna_bound.two_sided and data.ystr_bound.two_sided
    assert parse_lineage(CASE, "case.json").mtdna_bound.two_sided  # the default
    ped = Pedigree.from_records(CASE["pedigree"])
    rep = lineage_pair_report(data, ped, "UHR", "MP")
    assert rep.mtdna is not None and rep.mtdna.frequency is not None
    assert rep.mtdna.frequency.upper == pytest.approx(
        clopper_pearson_upper(1, 100, two_sided=False))
    assert rep.y is not None and rep.y.frequency is not None
    assert rep.y.frequency.upper == pytest.approx(1 - 0.025 ** (1 / 500))
    assert not math.isnan(rep.mtdna.log10_lr or 0)
    doc["mtdna_rules"]["upper_bound"] = "both"
    with pytest.raises(LineageDataError, match="one-sided"):
        parse_lineage(doc, "case.json")
