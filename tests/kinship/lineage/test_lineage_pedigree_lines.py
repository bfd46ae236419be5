"""Maternal and paternal lines on dnacase.kinship.pedigree.Pedigree (synthetic family)."""

from __future__ import annotations

import numpy as np
import pytest

from dnacase.kinship.lineage import (
    maternal_line,
    maternal_meioses,
    mtdna_references,
    paternal_line,
    paternal_meioses,
    ystr_references,
)
from dnacase.kinship.lineage.pedigree_lines import lineages
from dnacase.kinship.pedigree import Pedigree


def _family() -> Pedigree:
    rows = [
        # maternal grandparents and their children
        ("MGF", None, None, "M"),
        ("MGM", None, None, "F"),
        ("M01", "MGF", "MGM", "F"),
        ("AUNT", "MGF", "MGM", "F"),
        ("UNCLE", "MGF", "MGM", "M"),
        # paternal grandparents, the father and his brother
        ("PGF", None, None, "M"),
        ("PGM", None, None, "F"),
        ("GF", "PGF", "PGM", "M"),
        ("PUNCLE", "PGF", "PGM", "M"),
        ("PUW", None, None, "F"),
        ("PCOUS", "PUNCLE", "PUW", "M"),
        # the missing man B01 and his siblings
        ("B01", "GF", "M01", "M"),
        ("S01", "GF", "M01", "F"),
        ("BRO", "GF", "M01", "M"),
        # the aunt's and the uncle's children, the sister's daughter
        ("AH", None, None, "M"),
        ("COUS_F", "AH", "AUNT", "F"),
        ("UW", None, None, "F"),
        ("COUS_U", "UNCLE", "UW", "M"),
        ("SH", None, None, "M"),
        ("NIECE", "SH", "S01", "F"),
        # B01's widow and son
        ("W01", None, None, "F"),
        ("C01", "B01", "W01", "M"),
        ("UNREL", None, None, "M"),
    ]
    return Pedigree.from_records(
        {"id": i, "father": f, "mother": m, "sex": s} for i, f, m, s in rows
    )


PED = _family()


def test_maternal_line_follows_mothers() -> None:
    line = maternal_line(PED, "B01")
    assert line == {"MGM", "M01", "AUNT", "UNCLE", "B01", "S01", "BRO", "COUS_F", "NIECE"}
    assert maternal_line(PED, "NIECE") == line
    assert maternal_line(PED, "C01") == {"W01", "C01"}


@pytest.mark.parametrize(
    ("other", "meioses"),
    [
        ("M01", 1),
        ("S01", 2),
        ("MGM", 2),
        ("AUNT", 3),
        ("UNCLE", 3),
        ("NIECE", 3),
        ("COUS_F", 4),
        ("B01", 0),
        ("C01", None),
        ("COUS_U", None),
    ],
)
def test_maternal_meioses(other: str, meioses: int | None) -> None:
    assert maternal_meioses(PED, "B01", other) == meioses


@pytest.mark.parametrize(
    ("other", "meioses"),
    [
        ("C01", 1),
        ("GF", 1),
        ("BRO", 2),
        ("PGF", 2),
        ("PUNCLE", 3),
        ("PCOUS", 4),
        ("UNCLE", None),
        ("S01", None),
        ("COUS_U", None),
    ],
)
def test_paternal_meioses(other: str, meioses: int | None) -> None:
    assert paternal_meioses(PED, "B01", other) == meioses


def test_paternal_line_is_men_only() -> None:
    assert paternal_line(PED, "B01") == {"PGF", "GF", "PUNCLE", "PCOUS", "B01", "BRO", "C01"}
    assert paternal_line(PED, "S01") == frozenset()


def test_mtdna_references_sorted_with_reasons_none_dropped() -> None:
    refs = ["W01", "S01", "C01", "M01", "COUS_U", "NIECE", "UNREL", "NOBODY"]
    out = mtdna_references(PED, "B01", refs)
    assert out.founder == "MGM"
    assert [r.id for r in out.in_line] == ["M01", "S01", "NIECE"]  # closest first
    assert [r.meioses for r in out.in_line] == [1, 2, 3]
    outside = {r.id: r.reason for r in out.outside}
    assert set(outside) == {"W01", "C01", "COUS_U", "UNREL", "NOBODY"}
    assert len(out.in_line) + len(out.outside) == len(refs)
    assert "'W01'" in outside["C01"] and "different mtDNA lineage" in outside["C01"]
    assert "'UW'" in outside["COUS_U"]
    assert outside["NOBODY"] == "not in the pedigree"


def test_ystr_references_only_men_of_the_paternal_line() -> None:
    out = ystr_references(PED, "B01", ["S01", "C01", "UNCLE", "PCOUS", "BRO", "M01"])
    assert [(r.id, r.meioses) for r in out.in_line] == [("C01", 1), ("BRO", 2), ("PCOUS", 4)]
    outside = {r.id: r.reason for r in out.outside}
    assert outside["S01"].startswith("female")
    assert outside["M01"].startswith("female")
    assert "'MGF'" in outside["UNCLE"]
    female_missing = ystr_references(PED, "S01", ["BRO"])
    assert female_missing.in_line == () and "not recorded as male" in female_missing.note


def test_several_references_of_one_lineage_group_together() -> None:
    groups = lineages(PED, ["M01", "S01", "W01", "C01", "NIECE", "UNREL"], "mtDNA")
    assert groups == {"MGM": ["M01", "S01", "NIECE"], "W01": ["W01", "C01"], "UNREL": ["UNREL"]}
    ygroups = lineages(PED, ["C01", "BRO", "S01", "UNCLE"], "Y-STR")
    assert ygroups == {"PGF": ["C01", "BRO"], "MGF": ["UNCLE"]}


class _MinimalPedigree:
    """The protocol only: ids, sex, father, mother, index()."""

    def __init__(self) -> None:
        self.ids = ("F", "M", "SON")
        self.sex = np.array([1, 2, 1], np.int8)
        self.father = np.array([-1, -1, 0], np.int32)
        self.mother = np.array([-1, -1, 1], np.int32)

    def index(self, pid: str) -> int:
        return self.ids.index(pid)


def test_works_on_the_minimal_protocol() -> None:
    p = _MinimalPedigree()
    assert maternal_meioses(p, "SON", "M") == 1
    assert paternal_meioses(p, "SON", "F") == 1
    assert maternal_line(p, "SON") == {"M", "SON"}
