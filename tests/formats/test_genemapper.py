"""GeneMapper ID-X Genotypes Table: VN17 ground truth and refused broken variants."""

from __future__ import annotations

import pytest

from dnacase.formats import (
    GeneMapperError,
    IssueCode,
    ParseOptions,
    STRProfile,
    parse_file,
    parse_genemapper,
)


def _by_sample(records: list[STRProfile]) -> dict[str, STRProfile]:
    return {r.sample: r for r in records}


def _codes(result, severity: str | None = None) -> set[str]:  # type: ignore[no-untyped-def]
    return {i.code.value for i in result.issues if severity in (None, i.severity)}


def _rows(gm: bytes) -> list[str]:
    return gm.decode().split("\r\n")


def _join(rows: list[str]) -> bytes:
    return "\r\n".join(rows).encode()


def test_vn17_ground_truth(gm_bytes: bytes) -> None:
    r = parse_genemapper(gm_bytes, "gm.txt")
    assert r.ok and r.format == "genemapper" and len(r.sha256) == 64
    s = _by_sample(r.records)
    assert set(s) == {"VN17-REF-M01", "VN17-REF-S01", "VN17-UHR-B01", "VN17-REF-W01",
                      "VN17-REF-C01", "VN17-UNREL-01", "VN17-MIX-01"}
    uhr = s["VN17-UHR-B01"]
    assert uhr.kit == "GlobalFiler" and uhr.sex == "M"
    # FGA is truly 23/25 but shows 23 only: a single peak, never a homozygote 23/23
    fga = uhr.loci["FGA"]
    assert fga.alleles == ("23",) and fga.single_peak
    assert set(uhr.single_peak_loci) == {"D16S539", "D8S1179", "D2S441", "TH01", "FGA",
                                         "D1S1656", "D12S391"}
    # D21S11 OL peak kept as a flag with its size, not as an allele
    d21 = uhr.loci["D21S11"]
    assert d21.alleles == ("31", "31.2") and d21.off_ladder == ("216.40",)
    assert [p.height_rfu for p in d21.peaks] == [399.0, 373.0, 212.0]
    # complete dropout: present in the file, no result (not a null allele)
    for locus in ("CSF1PO", "TPOX", "SE33", "D2S1338", "DYS391"):
        assert not uhr.loci[locus].typed
    assert uhr.n_autosomal_typed == 17
    assert uhr.loci["D19S433"].alleles == ("12.2", "13")
    assert uhr.loci["Yindel"].marker_type == "Y_indel"
    assert "OL peak at 216.40" in uhr.attributes["comments"]
    # D18S51 paternal mutation case: values as written
    assert s["VN17-REF-C01"].loci["D18S51"].alleles == ("14", "16")
    assert s["VN17-REF-M01"].sex == "F"
    mix = s["VN17-MIX-01"]
    assert mix.mixture and len(mix.mixture_loci) == 14
    assert mix.loci["vWA"].alleles == ("16", "18", "19", "20")
    assert not s["VN17-REF-M01"].mixture
    # issues name file, line, sample and locus
    ol = next(i for i in r.issues if i.code == IssueCode.OFF_LADDER)
    assert (ol.file, ol.line, ol.sample, ol.locus) == ("gm.txt", 130, "VN17-UHR-B01", "D21S11")
    mixture = next(i for i in r.issues if i.code == IssueCode.MIXTURE)
    assert mixture.sample == "VN17-MIX-01" and mixture.severity == "warning"
    neg = next(i for i in r.issues if i.code == IssueCode.CONTROL_SKIPPED)
    assert neg.sample == "NEG-CTRL-01" and neg.severity == "info"
    assert IssueCode.CONTROL_NOT_CLEAN.value not in _codes(r)


def test_negative_control_with_peaks_is_flagged(gm_bytes: bytes) -> None:
    rows = _rows(gm_bytes)
    i = next(k for k, x in enumerate(rows) if x.startswith("H01_NEG") or "NEG-CTRL-01\t" in x)
    f = rows[i].split("\t")
    f[6] = "15"
    rows[i] = "\t".join(f)
    r = parse_genemapper(_join(rows), "gm.txt")
    issue = next(x for x in r.issues if x.code == IssueCode.CONTROL_NOT_CLEAN)
    assert issue.severity == "warning" and "D3S1358" in issue.message


def test_columns_matched_by_name_extra_columns_and_bom_cp1252(gm_bytes: bytes) -> None:
    rows = [x.split("\t") for x in _rows(gm_bytes) if x]
    order = [4, 1, 0, 2, 3, 5, *range(6, len(rows[0]))]
    shuffled = ["\t".join([r[k] for k in order] + ["extra"]) for r in rows]
    shuffled[0] = shuffled[0].rsplit("\t", 1)[0] + "\tQuality Flag"
    text = "\r\n".join(shuffled).replace("VN17-REF-W01", "VN17-Thị-Hà") + "\r\n"
    for data, enc in ((b"\xef\xbb\xbf" + text.encode("utf-8"), "utf-8"),
                      (text.replace("ị", "i").encode("cp1252"), "cp1252"),
                      (text.encode("utf-16"), "utf-16")):
        r = parse_genemapper(data, "x.txt")
        assert r.ok, r.errors
        assert r.encoding == enc
        names = {p.sample for p in r.records}
        assert any(n.startswith("VN17-Th") for n in names)
        uhr = _by_sample(r.records)["VN17-UHR-B01"]
        assert uhr.loci["FGA"].single_peak


def test_cp1252_fallback_warns() -> None:
    head = "Sample Name\tMarker\tPanel\tAllele 1\tAllele 2\r\n"
    data = (head + "Hé-01\tD3S1358\tGlobalFiler\t15\t16\r\n").encode("cp1252")
    r = parse_genemapper(data, "ansi.txt")
    assert r.encoding == "cp1252" and r.records[0].sample == "Hé-01"
    assert IssueCode.ENCODING_FALLBACK.value in _codes(r, "warning")


def test_homozygote_written_twice_is_not_single_peak() -> None:
    head = "Sample Name\tMarker\tAllele 1\tAllele 2\r\n"
    data = (head + "S1\tD3S1358\t15\t15\r\nS1\tvWA\t16\t\r\n").encode()
    r = parse_genemapper(data, "t.txt")
    s = r.records[0]
    assert s.loci["D3S1358"].alleles == ("15",) and not s.loci["D3S1358"].single_peak
    assert s.loci["vWA"].single_peak
    assert s.kit is None


def test_allele_columns_option_and_full_columns_warning(gm_bytes: bytes) -> None:
    r = parse_genemapper(gm_bytes, "gm.txt", ParseOptions(allele_columns=2))
    mix = _by_sample(r.records)["VN17-MIX-01"]
    assert mix.loci["vWA"].alleles == ("16", "18")
    assert IssueCode.ALLELE_COLUMNS_FULL.value in _codes(r, "warning")


def test_ladder_skipped_without_allele_checks() -> None:
    head = "Sample Name\tSample Type\tMarker\tAllele 1\tAllele 2\tAllele 3\r\n"
    data = (head + "LADDER\tAllelic Ladder\tD3S1358\t12\t13\t14\r\n"
            "S1\tSample\tD3S1358\t15\t16\t\r\n").encode()
    r = parse_genemapper(data, "t.txt")
    assert [p.sample for p in r.records] == ["S1"]
    assert any(i.code == IssueCode.CONTROL_SKIPPED and i.sample == "LADDER" for i in r.issues)


# ---- broken files: each refused with a clear message naming where ----

def test_truncated_file_is_refused(gm_bytes: bytes) -> None:
    cut = gm_bytes[: gm_bytes.index(b"VN17-MIX-01") + 200]
    r = parse_genemapper(cut, "cut.txt")
    assert not r.ok
    err = next(i for i in r.errors if i.code == IssueCode.TRUNCATED)
    assert "truncated" in err.message and err.line is not None


def test_truncated_mid_sample_complete_rows(gm_bytes: bytes) -> None:
    rows = _rows(gm_bytes)
    cut = _join(rows[:150])  # stops after a complete row, no final line end
    r = parse_genemapper(cut, "cut.txt")
    assert any(i.code == IssueCode.TRUNCATED for i in r.errors)


def test_wrong_delimiter_is_refused(gm_bytes: bytes) -> None:
    with pytest.raises(GeneMapperError) as exc:
        parse_genemapper(gm_bytes.replace(b"\t", b","), "comma.txt")
    issue = exc.value.issue
    assert issue.code == IssueCode.WRONG_DELIMITER and issue.line == 1
    assert "comma-separated" in issue.message and "comma.txt" in str(exc.value)


def test_unknown_locus_is_an_error(gm_bytes: bytes) -> None:
    r = parse_genemapper(gm_bytes.replace(b"\tD13S317\t", b"\tD13S999\t", 1), "gm.txt")
    assert not r.ok
    err = next(i for i in r.errors if i.code == IssueCode.UNKNOWN_LOCUS)
    assert (err.sample, err.locus) == ("VN17-REF-M01", "D13S999") and err.line == 19
    r2 = parse_genemapper(gm_bytes.replace(b"\tD13S317\t", b"\tD13S999\t", 1), "gm.txt",
                          ParseOptions(unknown_locus="warning"))
    assert r2.ok


def test_invalid_allele_names_file_line_sample_locus(gm_bytes: bytes) -> None:
    rows = _rows(gm_bytes)
    f = rows[2].split("\t")
    f[6] = "abc"
    rows[2] = "\t".join(f)
    r = parse_genemapper(_join(rows), "lab.txt")
    err = next(i for i in r.errors if i.code == IssueCode.INVALID_ALLELE)
    assert (err.file, err.line, err.sample, err.locus) == ("lab.txt", 3, "VN17-REF-M01", "vWA")
    assert "'abc'" in err.message
    assert str(err).startswith("lab.txt, line 3, sample VN17-REF-M01, locus vWA: error")


def test_duplicate_sample_is_refused(gm_bytes: bytes) -> None:
    rows = _rows(gm_bytes)
    block = [x.replace("A01_VN17-REF-M01", "A02_VN17-REF-M01") for x in rows[1:25]]
    r = parse_genemapper(_join(rows[:-1] + block + [""]), "dup.txt")
    err = next(i for i in r.errors if i.code == IssueCode.DUPLICATE_SAMPLE)
    assert err.sample == "VN17-REF-M01" and "twice" in err.message
    same_file = _join(rows[:-1] + rows[1:25] + [""])
    r2 = parse_genemapper(same_file, "dup.txt")
    assert any(i.code == IssueCode.DUPLICATE_LOCUS for i in r2.errors)


@pytest.mark.parametrize(
    ("data", "code", "text"),
    [
        (b"Sample Name\tMarker\tAllele 1\r\nS\x81\x8d\tD3S1358\t15\r\n\x90", IssueCode.ENCODING,
         "neither UTF-8"),
        (b"PK\x03\x04rest-of-zip", IssueCode.BINARY_FILE, "Excel"),
        ("Sample Name\tMarker\tAllele 1\r\n".encode("utf-16-le"), IssueCode.ENCODING, "UTF-16"),
        (b"", IssueCode.EMPTY_FILE, "empty"),
        (b"Sample Name\tDye\tPanel\r\nx\ty\tz\r\n", IssueCode.MISSING_COLUMN, "'Marker'"),
    ],
)
def test_unreadable_files_raise_format_error(data: bytes, code: IssueCode, text: str) -> None:
    with pytest.raises(GeneMapperError) as exc:
        parse_genemapper(data, "bad.txt")
    assert exc.value.issue.code == code
    assert text in exc.value.issue.message


def test_file_over_50_mb_is_refused_before_parsing() -> None:
    big = b"Sample Name\tMarker\tAllele 1\r\n" + b"x" * (50 * 1024 * 1024)
    with pytest.raises(GeneMapperError) as exc:
        parse_genemapper(big, "big.txt")
    assert exc.value.issue.code == IssueCode.FILE_TOO_LARGE
    assert "limit is 50.0 MB" in exc.value.issue.message
    small = ParseOptions(max_bytes=1000)
    with pytest.raises(GeneMapperError):
        parse_genemapper(b"x" * 1001, "b.txt", small)
    r = parse_file(big, "big.txt")
    assert not r.ok and r.records == [] and r.errors[0].code == IssueCode.FILE_TOO_LARGE


def test_many_errors_are_capped_but_counted() -> None:
    head = "Sample Name\tMarker\tAllele 1\r\n"
    body = "".join(f"S{i}\tD3S1358\tabc\r\n" for i in range(500))
    r = parse_genemapper((head + body).encode(), "many.txt")
    listed = [i for i in r.errors if i.code == IssueCode.INVALID_ALLELE]
    assert len(listed) == 201 and "300 further" in listed[-1].message
