"""The published JSON Schema is the one the reader uses, and accepts the oracle files."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from dnacase.kinship.case_schema import CASE_SCHEMA

ROOT = Path(__file__).resolve().parents[2]


def test_published_schema_is_current():
    published = json.loads((ROOT / "schemas" / "kinship-case.schema.json").read_text())
    assert published == CASE_SCHEMA
    jsonschema.Draft202012Validator.check_schema(published)


def test_oracle_files_validate():
    v = jsonschema.Draft202012Validator(CASE_SCHEMA)
    cases = json.loads((ROOT / "tests" / "data" / "oracle" / "cases.json").read_text())
    v.validate(cases)
    v.validate(cases[0])


@pytest.mark.parametrize(
    "patch",
    [
        {"sex": "X"},
        {"genotypes": {"A": {"L": ["1", "1", "1"]}}},
        {"genotypes": {"A": {"L": []}}},
        {"dropout": {"A": 1.0}},
        {"markers": [{"name": "L", "frequencies": {"1": 0}}]},
        {
            "markers": [
                {
                    "name": "L",
                    "frequencies": {"1": 1.0},
                    "mutation": {"model": "dawid", "rate": 0.1},
                }
            ]
        },
    ],
)
def test_schema_rejects(patch):
    case = {
        "id": "c",
        "markers": [{"name": "L", "frequencies": {"1": 1.0}}],
        "pedigree": [{"id": "A", "father": None, "mother": None, "sex": "M"}],
        "missing": "A",
        "poi": "P",
        "genotypes": {},
    }
    if "sex" in patch:
        case["pedigree"][0]["sex"] = patch["sex"]
    else:
        case.update(patch)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(case, CASE_SCHEMA)


def test_reader_checks_every_marker_of_every_case_once_per_definition():
    """The reader validates a marker definition shared by several cases once; a definition
    that differs anywhere (here an invalid frequency in the second case) is still caught and
    named with its case."""
    from dnacase.kinship import CaseError, load_cases

    def case(cid, freqs):
        return {
            "id": cid,
            "markers": [{"name": "L", "frequencies": {"1": 0.5, "2": 0.5}},
                        {"name": "M", "frequencies": freqs}],
            "pedigree": [{"id": "A", "father": None, "mother": None, "sex": "M"}],
            "missing": "A",
            "poi": "P",
            "genotypes": {"P": {"L": ["1", "2"]}},
        }  # fmt: skip

    good = case("c1", {"1": 1.0})
    assert len(load_cases([good, case("c2", {"1": 1.0}), case("c3", {"1": 1.0})])) == 3
    with pytest.raises(CaseError, match=r"case 'c2' \(#2\): at markers/1/frequencies/1"):
        load_cases([good, case("c2", {"1": -1.0}), case("c3", {"1": 1.0})])
    with pytest.raises(CaseError, match=r"case 'c3' \(#3\)"):
        load_cases([good, good | {"id": "c2"}, case("c3", {"1": "a"})])
