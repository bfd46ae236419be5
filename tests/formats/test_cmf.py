"""CODIS CMF XML: ground truth, unsafe XML refused, broken files."""

from __future__ import annotations

import pytest

from dnacase.formats import CMFError, IssueCode, parse_cmf

from .conftest import read


@pytest.fixture(scope="module")
def cmf() -> bytes:
    return read("codis_cmf_import_example.xml")


def test_cmf_ground_truth(cmf: bytes) -> None:
    r = parse_cmf(cmf, "c.xml")
    assert r.ok and r.format == "codis_cmf"
    s = {p.sample: p for p in r.records}
    assert list(s) == ["VN17-UHR-B01", "VN17-REF-M01", "VN17-REF-S01", "VN17-REF-W01",
                       "VN17-REF-C01"]
    uhr = s["VN17-UHR-B01"]
    assert uhr.attributes["specimen_category"] == "Unidentified Person"
    assert uhr.attributes["partial"] == "true" and uhr.attributes["case_id"] == "VN17"
    assert uhr.attributes["cmf_version"] == "3.3"
    assert uhr.kit == "GlobalFiler" and uhr.sex == "M" and uhr.line == 12
    assert uhr.loci["FGA"].alleles == ("23",) and uhr.loci["FGA"].single_peak
    assert "SE33" not in uhr.loci and uhr.n_autosomal_typed == 17  # untyped loci omitted
    assert uhr.loci["D19S433"].alleles == ("12.2", "13")
    assert s["VN17-REF-C01"].attributes["specimen_category"] == "Biological Child"
    assert s["VN17-REF-M01"].sex == "F"


BOMB = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><CODISImportFile>&lol2;</CODISImportFile>')
XXE = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
       b'<CODISImportFile><HEADERVERSION>&e;</HEADERVERSION></CODISImportFile>')


@pytest.mark.parametrize("data", [BOMB, XXE])
def test_dtd_and_entities_are_refused(data: bytes) -> None:
    with pytest.raises(CMFError) as exc:
        parse_cmf(data, "evil.xml")
    assert exc.value.issue.code == IssueCode.XML_FORBIDDEN
    assert "refused" in exc.value.issue.message


def test_truncated_and_malformed(cmf: bytes) -> None:
    with pytest.raises(CMFError) as exc:
        parse_cmf(cmf[:5000], "t.xml")
    assert exc.value.issue.code == IssueCode.TRUNCATED and exc.value.issue.line
    with pytest.raises(CMFError) as exc:
        parse_cmf(cmf.replace(b"</SPECIMENID>", b"</SPECIMEN_ID>", 1), "m.xml")
    assert exc.value.issue.code == IssueCode.XML_MALFORMED and exc.value.issue.line == 13


def test_wrong_root_and_size() -> None:
    with pytest.raises(CMFError) as exc:
        parse_cmf(b"<CODISRapidImportFile/>", "r.xml")
    assert "Rapid Import" in exc.value.issue.message
    with pytest.raises(CMFError) as exc:
        parse_cmf(b"<x/>" + b" " * 100, "r.xml", options=__import__(
            "dnacase.formats", fromlist=["ParseOptions"]).ParseOptions(max_bytes=50))
    assert exc.value.issue.code == IssueCode.FILE_TOO_LARGE


def test_row_level_errors(cmf: bytes) -> None:
    bad = (cmf.replace(b"<LOCUSNAME>D3S1358</LOCUSNAME>", b"<LOCUSNAME>D3S9999</LOCUSNAME>", 1)
           .replace(b"<ALLELEVALUE>20</ALLELEVALUE>", b"<ALLELEVALUE>abc</ALLELEVALUE>", 1)
           .replace(b"<SPECIMENID>VN17-REF-S01</SPECIMENID>",
                    b"<SPECIMENID>VN17-REF-M01</SPECIMENID>"))
    r = parse_cmf(bad, "c.xml")
    codes = {(i.code, i.sample) for i in r.errors}
    assert (IssueCode.UNKNOWN_LOCUS, "VN17-UHR-B01") in codes
    assert (IssueCode.DUPLICATE_SAMPLE, "VN17-REF-M01") in codes
    bad_allele = next(i for i in r.errors if i.code == IssueCode.INVALID_ALLELE)
    assert bad_allele.locus and bad_allele.line and "'abc'" in bad_allele.message


def test_cmf_32_rejects_new_core_loci_as_warning(cmf: bytes) -> None:
    r = parse_cmf(cmf.replace(b"<HEADERVERSION>3.3", b"<HEADERVERSION>3.2"), "c.xml")
    assert any(i.code == IssueCode.CMF_VERSION and i.locus == "D1S1656" for i in r.warnings)
