"""mtDNA haplotypes (EMPOP .emp, HaploGrep .hsd): notation, ranges, heteroplasmy."""

from __future__ import annotations

import pytest

from dnacase.formats import (
    InvalidVariant,
    IssueCode,
    MtDNAError,
    normalise_mt_variant,
    normalise_mt_variants,
    parse_empop,
    parse_haplogrep,
    parse_mt_range,
)
from dnacase.i18n import get_translations

from .conftest import read


@pytest.mark.parametrize(
    ("raw", "norm"),
    [("249DEL", "249DEL"), ("249d", "249DEL"), ("249-", "249DEL"), ("249del", "249DEL"),
     ("249D", "249DEL"), ("249delA", "249DEL"), ("249dA", "249DEL"), ("A249d", "249DEL"),
     ("16223t", "16223T"), ("C16223T", "16223T"), ("16223C>T", "16223T"),
     ("c16223t", "16223T"), ("315.1c", "315.1C"), ("309.2C", "309.2C"), ("315+C", "315.1C"),
     ("16093Y", "16093Y"), ("16093y", "16093Y")],
)
def test_variant_notation(raw: str, norm: str) -> None:
    assert normalise_mt_variant(raw) == norm
    assert normalise_mt_variants(raw) == (norm,)


@pytest.mark.parametrize(
    ("raw", "norm"),
    [("309+CC", ("309.1C", "309.2C")), ("309+cc", ("309.1C", "309.2C")),
     ("309.1CC", ("309.1C", "309.2C")), ("524.1AC", ("524.1A", "524.2C")),
     ("8281-8289d", tuple(f"{p}DEL" for p in range(8281, 8290))),
     ("8281-8289delCCCCCTCTA", tuple(f"{p}DEL" for p in range(8281, 8290))),
     ("523_524del", ("523DEL", "524DEL"))],
)
def test_multi_variant_spellings_expand(raw: str, norm: tuple[str, ...]) -> None:
    assert normalise_mt_variants(raw) == norm
    with pytest.raises(InvalidVariant, match="several variants"):
        normalise_mt_variant(raw)


@pytest.mark.parametrize(
    ("raw", "why"),
    [("abc", "not in rCRS difference notation"), ("99999A", "outside rCRS"),
     ("16223", "not in rCRS"), ("315.C", "not in rCRS"), ("", "not in rCRS"),
     ("T16223C", "rCRS base at 16223 is C, not T"),  # written against another reference
     ("249delG", "bases there are A, not G"),
     ("16223X", "not in rCRS"), ("315.1DEL", "not in rCRS"), ("16223-16225T", "not in rCRS")],
)
def test_bad_variants(raw: str, why: str) -> None:
    with pytest.raises(InvalidVariant, match=why):
        normalise_mt_variants(raw)


def test_refused_spelling_names_file_line_sample_variant_and_is_translated() -> None:
    data = (b"#! 16024-576\nS1\t?\t1\t16223T\t249delA\t309+CC\t152T\n"
            b"S2\t?\t1\t73G\tT16223C\n")
    r = parse_empop(data, "lab.emp")
    assert r.records[0].variants == ("249DEL", "309.1C", "309.2C", "16223T")
    (warn,) = r.warnings  # 152T: the rCRS base written out, left out with a warning
    assert (warn.line, warn.sample, warn.locus) == (2, "S1", "152T")
    assert "rCRS base itself" in warn.message
    full = parse_haplogrep(b"F\t1-16569\t?\t3107d 8860G\n", "f.hsd")
    assert full.records[0].variants == ("8860G",)
    assert "3107, the rCRS placeholder" in full.warnings[0].message
    (err,) = r.errors
    assert (err.file, err.line, err.sample, err.locus) == ("lab.emp", 3, "S2", "T16223C")
    assert "rCRS base at 16223 is C, not T" in err.message
    vi = err.translated(get_translations("vi").gettext)
    assert "base của rCRS tại vị trí 16223 là C, không phải T" in vi
    hsd = parse_haplogrep(b"X\t16024-16365\t?\t16189c 16193.1c 16519Q\n", "h.hsd")
    (bad,) = hsd.errors
    assert (bad.line, bad.sample, bad.locus) == (1, "X", "16519Q")
    assert hsd.records[0].variants == ("16189C", "16193.1C")


def test_ranges() -> None:
    assert parse_mt_range("16024-576") == ((16024, 16569), (1, 576))
    assert parse_mt_range("16024-16365;73-340") == ((16024, 16365), (73, 340))
    with pytest.raises(ValueError):
        parse_mt_range("16024-17000")


def _lineages(records):  # type: ignore[no-untyped-def]
    strip = {"16093Y"}
    return {r.sample: tuple(v for v in r.variants if v not in strip and r.covers(int(v[:3])))
            for r in records}


@pytest.mark.parametrize(("name", "parser"), [("mtdna_empop_style.emp", parse_empop),
                                              ("mtdna_haplogrep.hsd", parse_haplogrep)])
def test_vn17_lineages(name: str, parser) -> None:  # type: ignore[no-untyped-def]
    r = parser(read(name), name)
    assert r.ok and len(r.records) == 6
    s = {h.sample: h for h in r.records}
    uhr = s["VN17-UHR-B01"]
    assert uhr.heteroplasmies == ("16093Y",)
    assert any(i.code == IssueCode.MT_HETEROPLASMY and i.sample == "VN17-UHR-B01"
               for i in r.issues)
    core = {k: set(v.variants) - {"16093Y", "489C"} for k, v in s.items()}
    assert core["VN17-REF-M01"] == core["VN17-REF-S01"] == core["VN17-UHR-B01"]  # lineage A
    assert core["VN17-REF-W01"] == core["VN17-REF-C01"]  # lineage B
    assert core["VN17-UNREL-01"] not in (core["VN17-REF-M01"], core["VN17-REF-W01"])
    assert "249DEL" in s["VN17-UNREL-01"].variants
    assert s["VN17-REF-W01"].variants[:5] == ("73G", "263G", "309.1C", "309.2C", "315.1C")


def test_ranges_travel_with_haplotypes() -> None:
    emp = {h.sample: h for h in parse_empop(read("mtdna_empop_style.emp"), "e").records}
    hsd = {h.sample: h for h in parse_haplogrep(read("mtdna_haplogrep.hsd"), "h").records}
    assert emp["VN17-UHR-B01"].ranges == ((16024, 16569), (1, 576))
    uhr = hsd["VN17-UHR-B01"]
    assert uhr.range_text == "16024-16365;73-340"
    assert not uhr.covers(489) and uhr.covers(16093)  # 489 unknown for UHR, not "rCRS"
    assert hsd["VN17-REF-M01"].covers(489)


def test_emp_without_range_is_refused_and_bad_variant_reported() -> None:
    with pytest.raises(MtDNAError) as exc:
        parse_empop(b"S1\t?\t1\t16223T\n", "e.emp")
    assert exc.value.issue.code == IssueCode.MT_RANGE and exc.value.issue.line == 1
    r = parse_empop(b"#! 16024-576\nS1\t?\t1\t16223T\tabc\t1000A\nS1\t?\t1\t73G\n", "e.emp")
    codes = [(i.code, i.sample, i.locus) for i in r.issues]
    assert (IssueCode.MT_VARIANT, "S1", "abc") in codes
    assert (IssueCode.MT_OUTSIDE_RANGE, "S1", "1000A") in codes
    assert any(i.code == IssueCode.DUPLICATE_SAMPLE and i.line == 3 for i in r.errors)


def test_hsd_bad_range_and_space_separated_variants() -> None:
    r = parse_haplogrep(b"ID\tRange\tHaplogroup\tPolymorphisms\nA\t1-16569\tM7\t16223T 73G\n"
                        b"B\tnope\t?\t73G\n", "h.hsd")
    assert r.records[0].variants == ("73G", "16223T") and r.records[0].haplogroup == "M7"
    err = r.errors[0]
    assert err.code == IssueCode.MT_RANGE and (err.line, err.sample) == (3, "B")
