"""Allele frequency tables: shipped defaults and the one-step validated import."""

from __future__ import annotations

import pytest

from dnacase.formats import (
    DEFAULT_TABLE_IDS,
    FrequencyTableError,
    IssueCode,
    default_frequency_tables,
    import_frequency_table,
    list_frequency_tables,
    load_core_locus_sets,
    load_frequency_table,
)

from .conftest import read


def test_all_shipped_tables_load_and_sum_to_one() -> None:
    infos = list_frequency_tables()
    assert {t.id for t in infos} == {
        "nist1036_asian", "norstr_east_asia", "nist1036_all", "nist1036_caucasian",
        "nist1036_african_american", "nist1036_hispanic", "fbi2015_filipino",
        "fbi2015_chamorro"}
    core = set(load_core_locus_sets()["CODIS_core_20"]) | {"SE33", "Penta D", "Penta E"}
    for info in infos:
        t = load_frequency_table(info.id)
        assert t.population == info.population_label
        assert core <= set(t.loci), info.id
        assert all(abs(t.locus_sum(locus) - 1) < 1e-6 for locus in t.loci)
        assert all(isinstance(a, str) for locus in t.loci for a in t.frequencies[locus])


def test_defaults_are_norstr_east_asia_then_nist_asian() -> None:
    # norSTR East Asia first: the default of every LR (more persons behind it than NIST's 97
    # U.S. Asians; docs/evidence-model.md)
    assert DEFAULT_TABLE_IDS == ("norstr_east_asia", "nist1036_asian")
    assert list_frequency_tables()[0].id == "norstr_east_asia"
    east, asian = default_frequency_tables()
    assert asian.n_individuals == 97 and asian.allele_count("D3S1358") == 194
    assert asian.frequency("D21S11", "32.2") == pytest.approx(0.11340206)
    assert asian.frequency("TH01", "9.3") is not None
    assert asian.rare_allele_frequency("D3S1358") == pytest.approx(5 / 194)
    assert asian.rare_allele_frequency("D3S1358", "1/(2N+1)") == pytest.approx(1 / 195)
    assert east.n_individuals is None and east.rare_allele_frequency("D3S1358") is None
    assert len(east.loci) == 40
    assert "8" in asian.alleles("TPOX") and "8.0" not in asian.alleles("TPOX")
    assert load_frequency_table("fbi2015_filipino").n_individuals == 91
    nist_all = load_frequency_table("nist1036_all")
    assert nist_all.allele_count("Penta D") == 2070  # one person untyped at Penta D


KINH = b"""# Kinh (Vietnam), transcribed from a paper's supplementary table S1
# population=Kinh (Vietnam), N=2040
locus,allele,frequency
D3S1358,14,0.05
D3S1358,15,0.35
D3S1358,16,0.35
D3S1358,17,0.25
TH01,9,0.5
TH01,9.3,0.3
TH01,6,0.2
PENTA_D,9,1.0
"""


def test_kinh_import_is_one_step() -> None:
    result = import_frequency_table(KINH, "kinh_2019.csv")
    assert result.ok, result.issues
    t = result.table
    assert t is not None
    assert t.population == "Kinh (Vietnam)" and t.n_individuals == 2040 and t.id == "kinh_2019"
    assert t.loci == ("D3S1358", "TH01", "Penta D")  # names canonicalised
    assert t.alleles("TH01") == ("6", "9", "9.3")
    assert len(t.sha256) == 64
    back = import_frequency_table(t.to_csv(), "rt.csv")
    assert back.table is not None and back.table.frequencies == t.frequencies
    assert back.table.population == t.population and back.table.n_individuals == 2040


def test_kinh_import_row_level_errors() -> None:
    bad = (KINH.replace(b"TH01,6,0.2", b"TH01,abc,0.2")
           .replace(b"D3S1358,17,0.25", b"D3S1358,17,1.25\nD3S1358,16,0.1")
           .replace(b"PENTA_D,9,1.0", b"D99S1,9,1.0\nTPOX,8,0,5"))
    result = import_frequency_table(bad, "kinh.csv")
    assert result.table is None and not result.ok
    found = {(i.code, i.line) for i in result.issues if i.severity == "error"}
    assert (IssueCode.INVALID_ALLELE, 11) in found
    assert (IssueCode.FREQ_VALUE, 7) in found
    assert (IssueCode.FREQ_DUPLICATE, 8) in found
    assert (IssueCode.UNKNOWN_LOCUS, 12) in found
    assert any(i.code == IssueCode.FREQ_SUM and i.locus == "TH01" for i in result.issues)
    with pytest.raises(FrequencyTableError) as exc:
        load_frequency_table(bad, filename="kinh.csv")
    assert len(exc.value.issues) >= 5


def test_population_and_n_rules() -> None:
    no_header = b"locus,allele,frequency\nTH01,9,0.6\nTH01,6,0.4\n"
    r = import_frequency_table(no_header, "x.csv")
    assert not r.ok and any(i.code == IssueCode.FREQ_POPULATION for i in r.issues)
    r = import_frequency_table(no_header, "x.csv", population="Kinh")
    assert r.ok and any(i.code == IssueCode.FREQ_N and i.severity == "warning"
                        for i in r.issues)
    r = import_frequency_table(no_header, "x.csv", population="Kinh", n_individuals=200)
    assert r.ok and r.table is not None and r.table.n_individuals == 200
    r = import_frequency_table(KINH, "k.csv", n_individuals=100)
    assert not r.ok and any("N=2040" in i.message for i in r.issues)
    tiny = b"# population=X, N=10\nlocus,allele,frequency\nTH01,9,0.999\nTH01,6,0.001\n"
    r = import_frequency_table(tiny, "t.csv")
    assert any(i.code == IssueCode.FREQ_N and "1/2N" in i.message for i in r.issues)


def test_semicolon_decimal_comma_table() -> None:
    data = b"# population=Kinh, N=50\nlocus;allele;frequency\nTH01;9,3;0,25\nTH01;9;0,75\n"
    r = import_frequency_table(data, "vn.csv")
    assert r.ok and r.table is not None
    assert r.table.frequencies["TH01"] == {"9.3": 0.25, "9": 0.75}
    assert any(i.code == IssueCode.AMBIGUOUS_DECIMAL_COMMA for i in r.issues)


@pytest.mark.parametrize(
    ("name", "fmt", "n"),
    [("familias_frequency_database_list_format.txt", "familias_list", None),
     ("familias_frequency_database_ladder_format.txt", "familias_ladder", 97)],
)
def test_familias_formats(name: str, fmt: str, n: int | None) -> None:
    r = import_frequency_table(read(name), name, population="U.S. Asian")
    assert r.ok and r.table is not None
    t = r.table
    assert t.source_format == fmt and t.n_individuals == n and len(t.loci) == 24
    nist = load_frequency_table("nist1036_asian")
    for locus in ("D3S1358", "D21S11", "Penta E", "SE33"):
        assert t.alleles(locus) == nist.alleles(locus)
        for a in t.alleles(locus):
            assert t.frequency(locus, a) == pytest.approx(nist.frequency(locus, a), abs=1e-6)


def test_unknown_shipped_table() -> None:
    with pytest.raises(FrequencyTableError) as exc:
        load_frequency_table("kinh_vietnam")
    assert "nist1036_asian" in exc.value.issue.message
