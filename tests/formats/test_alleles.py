"""Allele designations stay strings; OL, open-ended and sex alleles."""

from __future__ import annotations

import pytest

from dnacase.formats import (
    InvalidAllele,
    allele_sort_key,
    is_off_ladder,
    is_open_ended,
    normalise_allele,
    sex_from_amelogenin,
    sort_alleles,
)


@pytest.mark.parametrize("value", ["13", "9.3", "22.2", "30.2", "8", "43.2", "<8", ">27"])
def test_valid_alleles_round_trip_verbatim(value: str) -> None:
    assert normalise_allele(value) == value
    assert normalise_allele(f" {value} ") == value


def test_off_ladder_and_sex() -> None:
    assert normalise_allele("ol") == "OL" and is_off_ladder("OL")
    assert normalise_allele("x", "sex") == "X"
    assert normalise_allele("2", "Y_indel") == "2"
    assert normalise_allele("0", "Y_STR") == "0"
    assert is_open_ended(">27") and not is_open_ended("27")


@pytest.mark.parametrize(
    ("value", "mtype", "code", "text"),
    [
        ("abc", "autosomal_STR", "invalid_allele", "'abc'"),
        ("8.0", "autosomal_STR", "spreadsheet_date", "spreadsheet"),
        ("30.20", "autosomal_STR", "invalid_allele", "'30.20'"),
        ("9-Mar", "autosomal_STR", "spreadsheet_date", "date"),
        ("09/03/2024", "autosomal_STR", "spreadsheet_date", "date"),
        ("0", "autosomal_STR", "invalid_allele", "'0'"),
        ("012", "autosomal_STR", "invalid_allele", "'012'"),
        ("Z", "sex", "invalid_allele", "not X or Y"),
        ("3", "Y_indel", "invalid_allele", "not 1 or 2"),
    ],
)
def test_invalid_alleles(value: str, mtype: str, code: str, text: str) -> None:
    with pytest.raises(InvalidAllele) as exc:
        normalise_allele(value, mtype)  # type: ignore[arg-type]
    assert exc.value.code == code
    assert text in str(exc.value)


def test_sorting_without_floats() -> None:
    assert sort_alleles(["30.2", "9.3", "<8", "10", "9", ">27", "27"]) == (
        "<8", "9", "9.3", "10", "27", ">27", "30.2")
    assert allele_sort_key("9.3") < allele_sort_key("10")


def test_sex_call() -> None:
    assert sex_from_amelogenin(["X"]) == "F"
    assert sex_from_amelogenin(["X", "Y"]) == "M"
    assert sex_from_amelogenin(["Y"]) == "M"
    assert sex_from_amelogenin([]) is None
