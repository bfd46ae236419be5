"""Format detection, parse_file, and the layering rule for dnacase.formats."""

from __future__ import annotations

import subprocess
import sys

import pytest

from dnacase.formats import IssueCode, detect_format, parse_file

from .conftest import read


@pytest.mark.parametrize(
    ("name", "fmt", "n"),
    [
        ("genemapper_idx_genotypes_table_globalfiler.txt", "genemapper", 7),
        ("wide_genotype_table_example.csv", "wide_table", 6),
        ("familias_case_dna_import.txt", "familias_case", 5),
        ("ystr_haplotypes_yhrd_style.csv", "ystr_table", 3),
        ("codis_cmf_import_example.xml", "codis_cmf", 5),
        ("mtdna_empop_style.emp", "empop", 6),
        ("mtdna_haplogrep.hsd", "haplogrep", 6),
        ("snp_panel_example.vcf", "vcf", 5),
    ],
)
def test_detect_and_parse(name: str, fmt: str, n: int) -> None:
    data = read(name)
    assert detect_format(data, name) == fmt
    assert detect_format(data, "upload.bin") == fmt  # by content too
    r = parse_file(data, name)
    assert r.format == fmt and r.ok and len(r.records) == n


def test_parse_file_unknown_and_frequency_tables() -> None:
    r = parse_file(b"just some text\n", "notes.txt")
    assert not r.ok and r.errors[0].code == IssueCode.NOT_THIS_FORMAT
    assert detect_format(read("familias_frequency_database_ladder_format.txt"), "f.txt") is None


def test_formats_imports_no_web_or_database_layer() -> None:
    code = ("import sys, dnacase.formats as f; f.parse_vcf; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('litestar', 'sqlalchemy', "
            "'sqlmodel', 'jinja2', 'asyncpg', 'aiosqlite', 'alembic') or m.startswith(("
            "'dnacase.web', 'dnacase.services', 'dnacase.models', 'dnacase.kinship'))]; "
            "print(bad); sys.exit(1 if bad else 0)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
