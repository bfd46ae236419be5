"""Wide lab tables, Familias case import and YHRD-style Y-STR tables."""

from __future__ import annotations

import pytest

from dnacase.formats import (
    FamiliasError,
    IssueCode,
    WideTableError,
    YSTRError,
    parse_familias_case,
    parse_wide_table,
    parse_ystr_table,
)

from .conftest import read


def _s(result):  # type: ignore[no-untyped-def]
    return {r.sample: r for r in result.records}


def test_wide_table_ground_truth() -> None:
    r = parse_wide_table(read("wide_genotype_table_example.csv"), "wide.csv")
    assert r.ok and r.format == "wide_table"
    s = _s(r)
    assert len(s) == 6
    m01, s01, uhr = s["VN17-REF-M01"], s["VN17-REF-S01"], s["VN17-UHR-B01"]
    # written once -> single peak; written twice (S01 on purpose) -> reported homozygote
    assert m01.loci["D3S1358"].alleles == ("15",) and m01.loci["D3S1358"].single_peak
    assert s01.loci["D3S1358"].alleles == ("15",) and not s01.loci["D3S1358"].single_peak
    assert s01.single_peak_loci == ()
    assert uhr.sex == "M" and uhr.loci["FGA"].single_peak and uhr.n_autosomal_typed == 17
    assert not uhr.loci["SE33"].typed
    assert s["VN17-REF-W01"].loci["SE33"].alleles == ("21.2", "28.2")
    assert s["VN17-REF-W01"].loci["D1S1656"].alleles == ("17.3", "18")
    assert s["VN17-MIX-01"].mixture and not m01.mixture
    assert all(p.kit == "GlobalFiler" for p in s.values())


def test_semicolon_file_paired_columns_and_no_result_markers() -> None:
    data = (b"Sample;Kit;Amel1;Amel2;D3S1358_1;D3S1358_2;TH01;FGA;Notes\n"
            b"P1;GlobalFiler;X;Y;15;15;9.3;ND;ok\n"
            b"P2;GlobalFiler;X;X;14;16;6/9.3;NR;\n")
    r = parse_wide_table(data, "vn.csv")
    assert r.ok, r.errors
    p1, p2 = r.records
    assert p1.sex == "M" and p1.loci["D3S1358"].alleles == ("15",)
    assert not p1.loci["D3S1358"].single_peak
    assert p1.loci["TH01"].alleles == ("9.3",) and not p1.loci["FGA"].typed
    assert p2.sex == "F" and p2.loci["TH01"].alleles == ("6", "9.3")


def test_decimal_comma_is_refused_as_ambiguous() -> None:
    data = b'Sample;TH01;vWA\nP1;9,3;16,18\n'
    r = parse_wide_table(data, "vn.csv")
    err = next(i for i in r.errors if i.code == IssueCode.AMBIGUOUS_DECIMAL_COMMA)
    assert (err.line, err.sample, err.locus) == (2, "P1", "TH01")
    assert "9.3" in err.message
    assert r.records[0].loci["vWA"].alleles == ("16", "18")


def test_excel_dates_and_bad_alleles_are_errors() -> None:
    r = parse_wide_table(b"Sample,TH01,FGA\nP1,9-Mar,abc\n", "x.csv")
    codes = {(i.code, i.locus) for i in r.errors}
    assert (IssueCode.SPREADSHEET_DATE, "TH01") in codes
    assert (IssueCode.INVALID_ALLELE, "FGA") in codes


def test_unknown_locus_column_and_duplicate_sample() -> None:
    r = parse_wide_table(b"Sample,D3S1358,D77S777,Remarks\nP1,15,16,x\nP1,15,16,y\n", "x.csv")
    assert any(i.code == IssueCode.UNKNOWN_LOCUS and i.locus == "D77S777" for i in r.errors)
    dup = next(i for i in r.errors if i.code == IssueCode.DUPLICATE_SAMPLE)
    assert dup.line == 3 and "first at line 2" in dup.message


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"Kit,D3S1358\nGlobalFiler,15\n", IssueCode.MISSING_COLUMN),
        (b"Sample,Kit\nP1,GlobalFiler\n", IssueCode.MISSING_COLUMN),
        (b"Sample D3S1358 vWA\n", IssueCode.WRONG_DELIMITER),
        (b'Sample,D3S1358\nP1,"15,16\n', IssueCode.TRUNCATED),
    ],
)
def test_unreadable_wide_tables(data: bytes, code: IssueCode) -> None:
    with pytest.raises(WideTableError) as exc:
        parse_wide_table(data, "w.csv")
    assert exc.value.issue.code == code


def test_truncated_last_row() -> None:
    data = read("wide_genotype_table_example.csv")
    cut = data[: data.rindex(b"VN17-MIX-01") + 40]
    r = parse_wide_table(cut, "w.csv")
    err = next(i for i in r.errors if i.code == IssueCode.TRUNCATED)
    assert err.line == 7 and "truncated" in err.message
    assert "VN17-MIX-01" not in {p.sample for p in r.records}


def test_familias_case_import() -> None:
    r = parse_familias_case(read("familias_case_dna_import.txt"), "case.txt")
    assert r.ok and r.format == "familias_case"
    s = _s(r)
    assert set(s) == {"VN17_REF_M01", "VN17_REF_S01", "VN17_UHR_B01", "VN17_REF_W01",
                      "VN17_REF_C01"}
    uhr = s["VN17_UHR_B01"]
    assert uhr.sex == "M" and not uhr.loci["CSF1PO"].typed
    assert uhr.loci["FGA"].alleles == ("23",) and not uhr.loci["FGA"].single_peak  # written twice
    assert s["VN17_REF_W01"].loci["SE33"].alleles == ("21.2", "28.2")
    assert uhr.loci["D21S11"].alleles == ("31", "31.2")


def test_familias_requires_tabs() -> None:
    data = read("familias_case_dna_import.txt").replace(b"\t", b",")
    with pytest.raises(FamiliasError) as exc:
        parse_familias_case(data, "case.txt")
    assert exc.value.issue.code == IssueCode.WRONG_DELIMITER


def test_ystr_ground_truth() -> None:
    r = parse_ystr_table(read("ystr_haplotypes_yhrd_style.csv"), "y.csv")
    assert r.ok and r.format == "ystr_table"
    s = _s(r)
    uhr, son, unrel = s["VN17-UHR-B01"], s["VN17-REF-C01"], s["VN17-UNREL-01"]
    assert uhr.kit == "Yfiler Plus"
    # the son differs from the remains by +1 at DYS570 only (among typed markers)
    diffs = [k for k in uhr.loci if uhr.loci[k].typed and son.loci[k].typed
             and uhr.loci[k].alleles != son.loci[k].alleles]
    assert diffs == ["DYS570"]
    assert (uhr.loci["DYS570"].alleles, son.loci["DYS570"].alleles) == (("18",), ("19",))
    for lost in ("DYS627", "DYS518", "DYS449", "DYF387S1"):
        assert not uhr.loci[lost].typed and son.loci[lost].typed
    assert uhr.loci["DYS385"].alleles == ("12", "19")
    assert unrel.loci["DYS385"].alleles == ("13", "13")  # two copies, same value
    assert unrel.loci["DYS19"].duplication and unrel.loci["DYS19"].alleles == ("14", "15")
    assert unrel.loci["DYS458"].alleles == ("17.2",)
    assert any(i.code == IssueCode.Y_DUPLICATION and i.sample == "VN17-UNREL-01"
               for i in r.warnings)
    assert all(c.marker_type == "Y_STR" for c in son.loci.values())


def test_ystr_null_allele_and_dys389_check() -> None:
    data = b"SampleID,DYS389I,DYS389II,DYS448,DYS385\nM1,13,16,null,\"11,14\"\nM2,13,29,0,14\n"
    r = parse_ystr_table(data, "y.csv")
    s = _s(r)
    assert s["M1"].loci["DYS448"].null_allele and s["M1"].loci["DYS448"].typed
    assert s["M2"].loci["DYS448"].null_allele
    assert any(i.code == IssueCode.Y_DYS389 and i.sample == "M1" for i in r.warnings)
    assert not any(i.code == IssueCode.Y_DYS389 and i.sample == "M2" for i in r.warnings)
    assert s["M2"].loci["DYS385"].alleles == ("14",)


def test_ystr_unreadable() -> None:
    with pytest.raises(YSTRError):
        parse_ystr_table(b"\x00\x01\x02binary", "y.csv")
