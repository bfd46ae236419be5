"""Property tests: random bytes and random mutations of the example files never make a parser
raise anything but its own FormatError subclass (and parse_file never raises at all)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dnacase.formats import (
    CMFError,
    FamiliasError,
    GeneMapperError,
    JSONProfileError,
    MtDNAError,
    ParseResult,
    VCFError,
    WideTableError,
    YSTRError,
    import_frequency_table,
    parse_cmf,
    parse_empop,
    parse_familias_case,
    parse_file,
    parse_genemapper,
    parse_haplogrep,
    parse_json_profiles,
    parse_vcf,
    parse_wide_table,
    parse_ystr_table,
    write_json_profiles,
)

from .conftest import read

CASES: list[tuple[str, Callable, type[Exception], bytes]] = [  # type: ignore[type-arg]
    ("genemapper", parse_genemapper, GeneMapperError,
     read("genemapper_idx_genotypes_table_globalfiler.txt")),
    ("wide", parse_wide_table, WideTableError, read("wide_genotype_table_example.csv")),
    ("familias", parse_familias_case, FamiliasError, read("familias_case_dna_import.txt")),
    ("ystr", parse_ystr_table, YSTRError, read("ystr_haplotypes_yhrd_style.csv")),
    ("cmf", parse_cmf, CMFError, read("codis_cmf_import_example.xml")),
    ("empop", parse_empop, MtDNAError, read("mtdna_empop_style.emp")),
    ("haplogrep", parse_haplogrep, MtDNAError, read("mtdna_haplogrep.hsd")),
    ("vcf", parse_vcf, VCFError, read("snp_panel_example.vcf")),
    ("json", parse_json_profiles, JSONProfileError, write_json_profiles(
        parse_genemapper(read("genemapper_idx_genotypes_table_globalfiler.txt"), "g").records[:2]
        + parse_empop(read("mtdna_empop_style.emp"), "e").records[:2])),
]
IDS = [c[0] for c in CASES]
SETTINGS = settings(max_examples=30, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@st.composite
def mutated(draw: st.DrawFn, base: bytes) -> bytes:
    """The example file with a few random edits (flip, insert, delete, truncate, dup line)."""
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "dupline", "tab"]))
        if not data:
            break
        i = draw(st.integers(0, len(data) - 1))
        if op == "flip":
            data[i] = draw(st.integers(0, 255))
        elif op == "insert":
            data[i:i] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del data[i: i + draw(st.integers(1, 40))]
        elif op == "truncate":
            del data[i:]
        elif op == "tab":
            data[i:i] = draw(st.sampled_from([b"\t", b",", b"\n", b'"', b"<", b"{", b"OL"]))
        else:
            lines = bytes(data).split(b"\n")
            j = draw(st.integers(0, len(lines) - 1))
            lines.insert(j, lines[j])
            data = bytearray(b"\n".join(lines))
    return bytes(data)


def _check(parser: Callable, err: type[Exception], data: bytes) -> None:  # type: ignore[type-arg]
    try:
        result = parser(data, "fuzz.txt")
    except err as exc:
        assert exc.issue.severity == "error" and exc.issue.file == "fuzz.txt"  # type: ignore[attr-defined]
        return
    assert isinstance(result, ParseResult)
    for issue in result.issues:
        assert issue.file == "fuzz.txt" and issue.message


@pytest.mark.parametrize(("name", "parser", "err", "base"), CASES, ids=IDS)
def test_random_bytes(name: str, parser: Callable, err: type[Exception], base: bytes) -> None:  # type: ignore[type-arg]
    @SETTINGS
    @given(st.binary(max_size=600))
    def run(data: bytes) -> None:
        _check(parser, err, data)

    run()


@pytest.mark.parametrize(("name", "parser", "err", "base"), CASES, ids=IDS)
def test_mutated_examples(name: str, parser: Callable, err: type[Exception], base: bytes) -> None:  # type: ignore[type-arg]
    @SETTINGS
    @given(mutated(base))
    def run(data: bytes) -> None:
        _check(parser, err, data)
        parse_file(data, f"fuzz.{name}")  # the dispatcher never raises

    run()


@SETTINGS
@given(st.one_of(st.binary(max_size=400),
                 mutated(read("familias_frequency_database_ladder_format.txt")),
                 mutated(read("familias_frequency_database_list_format.txt"))))
def test_frequency_import_never_raises(data: bytes) -> None:
    result = import_frequency_table(data, "fuzz.csv", population="X")
    assert (result.table is None) == any(i.severity == "error" for i in result.issues)
