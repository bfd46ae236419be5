"""dnacase JSON profile format: schema published, writer/reader round trip, bad documents."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from dnacase.formats import (
    PROFILE_SCHEMA,
    IssueCode,
    JSONProfileError,
    parse_cmf,
    parse_empop,
    parse_genemapper,
    parse_haplogrep,
    parse_json_profiles,
    parse_ystr_table,
    profile_to_dict,
    schema_text,
    write_json_profiles,
)

from .conftest import read

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schemas" / "profile.schema.json"


def _all_records() -> list:  # type: ignore[type-arg]
    recs: list = []  # type: ignore[type-arg]
    recs += parse_genemapper(read("genemapper_idx_genotypes_table_globalfiler.txt"), "g").records
    recs += parse_cmf(read("codis_cmf_import_example.xml"), "c").records
    recs += parse_ystr_table(read("ystr_haplotypes_yhrd_style.csv"), "y").records
    recs += parse_empop(read("mtdna_empop_style.emp"), "e").records
    return recs


def test_published_schema_matches_code() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text()
    jsonschema.Draft202012Validator.check_schema(PROFILE_SCHEMA)


def test_round_trip_all_example_profiles() -> None:
    recs = _all_records()
    # a sample may have one profile per type and kit (GlobalFiler + Yfiler Plus + mtDNA)
    seen: set[tuple[str, str, str]] = set()
    unique = []
    for r in recs:
        key = (type(r).__name__, r.sample, str(getattr(r, "kit", None)))
        if key not in seen:
            seen.add(key)
            unique.append(r)
    data = write_json_profiles(unique)
    jsonschema.validate(json.loads(data), PROFILE_SCHEMA)
    back = parse_json_profiles(data, "p.json")
    assert back.ok, back.errors
    assert [profile_to_dict(r) for r in back.records] == [profile_to_dict(r) for r in unique]
    again = write_json_profiles(back.records)
    assert again == data
    uhr = next(r for r in back.records if r.sample == "VN17-UHR-B01"
               and type(r).__name__ == "STRProfile" and r.loci["D21S11"].off_ladder)
    assert uhr.loci["FGA"].single_peak and uhr.loci["D21S11"].off_ladder == ("216.40",)
    unrel = next(r for r in back.records if r.sample == "VN17-UNREL-01"
                 and getattr(r, "kit", None) == "Yfiler Plus")
    assert unrel.loci["DYS385"].alleles == ("13", "13") and unrel.loci["DYS19"].duplication


def test_hsd_ranges_round_trip() -> None:
    recs = parse_haplogrep(read("mtdna_haplogrep.hsd"), "h").records
    back = parse_json_profiles(write_json_profiles(recs), "m.json").records
    assert [(r.sample, r.ranges, r.variants) for r in back] == [
        (r.sample, r.ranges, r.variants) for r in recs]


def _doc(profile: dict) -> bytes:  # type: ignore[type-arg]
    return json.dumps({"format": "dnacase-profile", "version": 1,
                       "profiles": [profile]}).encode()


@pytest.mark.parametrize(
    ("profile", "code"),
    [
        ({"type": "str", "sample": "S1", "loci": {"TH01": {"alleles": [9.3]}}},
         IssueCode.JSON_SCHEMA),
        ({"type": "str", "sample": "S1", "loci": {"TH01": {"alleles": ["abc"]}}},
         IssueCode.INVALID_ALLELE),
        ({"type": "str", "sample": "S1", "loci": {"D77S1": {"alleles": ["9"]}}},
         IssueCode.UNKNOWN_LOCUS),
        ({"type": "str", "sample": "S1", "loci": {}, "colour": "red"}, IssueCode.JSON_SCHEMA),
        ({"type": "mtdna", "sample": "S1", "ranges": [[16024, 16569]], "variants": ["xyz"]},
         IssueCode.MT_VARIANT),
        ({"type": "dog", "sample": "S1"}, IssueCode.JSON_SCHEMA),
        ({"type": "str", "loci": {}}, IssueCode.MISSING_SAMPLE_NAME),
    ],
)
def test_bad_profiles_rejected_by_reader_and_schema(
    profile: dict, code: IssueCode  # type: ignore[type-arg]
) -> None:
    data = _doc(profile)
    r = parse_json_profiles(data, "p.json")
    assert not r.ok and r.errors[0].code == code
    if code != IssueCode.UNKNOWN_LOCUS:  # locus names are checked by the reader only
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(json.loads(data), PROFILE_SCHEMA)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b'{"format": "dnacase-profile", "version": 1, "profiles": [', IssueCode.TRUNCATED),
        (b'{"format": "other"}', IssueCode.NOT_THIS_FORMAT),
        (b'{"format": "dnacase-profile", "version": 2, "profiles": []}',
         IssueCode.UNSUPPORTED_VERSION),
        (b'\xff\xfe{}', IssueCode.ENCODING),
    ],
)
def test_unreadable_json(data: bytes, code: IssueCode) -> None:
    with pytest.raises(JSONProfileError) as exc:
        parse_json_profiles(data, "p.json")
    assert exc.value.issue.code == code
