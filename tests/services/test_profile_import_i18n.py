"""The import validation report speaks the user's language: parser issues of a refused file in
Vietnamese (default) name the file, line, sample and locus; English is the parser's own text.
SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from tests.services.test_profile_import import LAB, _received_genotypes, build_lab, genemapper

from dnacase.i18n import use_locale
from dnacase.services import profile_import as pi
from dnacase.services.errors import ValidationFailed

EN_ABC = "TH01: allele 'abc' is not a repeat number such as 13, 9.3 or 22.2 (nor OL, <8, >27)"
VI_ABC = ("TH01: alen 'abc' không phải là số lần lặp như 13, 9.3 hoặc 22.2 (cũng không phải OL, "
          "<8, >27)")


@pytest.fixture
async def lab(db_session, tmp_path):
    return await build_lab(db_session, tmp_path)


def _bad_file(lab) -> tuple[bytes, str]:
    sample = lab.remains[0]
    base = genemapper(_received_genotypes(lab, lab.remains[:2]))
    return base.replace(b"\tTH01\tB\t", b"\tTH01\tB\tabc\t", 1), sample


async def test_refused_file_report_in_vietnamese_names_file_line_sample_locus(
        db_session, lab) -> None:
    data, sample = _bad_file(lab)
    with use_locale("vi"):
        report = await pi.validate_import(db_session, data, "lần chạy 7.txt", lab=LAB,
                                          format="genemapper")
        assert not report.ok and report.filename == "lần chạy 7.txt"
        (err,) = [i for i in report.errors if i.code == "invalid_allele"]
        assert err.message == VI_ABC
        assert err.sample == sample and err.locus == "TH01" and err.line and err.line > 1
        d = err.to_dict()
        assert d["message"] == VI_ABC and d["message_id"] == "%(locus)s: %(problem)s"
        assert d["params"]["locus"] == "TH01" and "'abc'" in d["params"]["problem"]
        with pytest.raises(ValidationFailed) as info:
            await pi.commit_import(db_session, data, "lần chạy 7.txt", lab=LAB,
                                   actor=None, format="genemapper")
    text = info.value.message
    assert "không nhập gì" in text and f"dòng {err.line}" in text and sample in text
    assert "TH01" in text and "alen 'abc'" in text
    assert info.value.details["issues"][0]["message"] == VI_ABC


async def test_english_rendering_is_the_parser_text(db_session, lab) -> None:
    data, sample = _bad_file(lab)
    with use_locale("en"):
        report = await pi.validate_import(db_session, data, "run.txt", lab=LAB,
                                          format="genemapper")
    (err,) = [i for i in report.errors if i.code == "invalid_allele"]
    assert err.message == EN_ABC and err.sample == sample


async def test_warnings_translated_too(db_session, lab) -> None:
    geno = _received_genotypes(lab, lab.remains[:1])
    sample = lab.remains[0]
    geno[sample]["TH01"] = ["6", "7", "8"]
    geno[sample]["D3S1358"] = ["14", "15", "16"]
    data = genemapper(geno)
    with use_locale("vi"):
        report = await pi.validate_import(db_session, data, "m.txt", lab=LAB,
                                          format="genemapper")
    (mix,) = [i for i in report.issues if i.code == "mixture"]
    assert mix.message.startswith("có hơn hai alen tại 2 locus NST thường")
    assert "mẫu hỗn hợp" in mix.message and mix.sample == sample


async def test_cli_refusal_in_vietnamese_names_file_line_sample_locus(
        db_session, database_url, tmp_path) -> None:
    from tests.services.test_profile_import_cli import _invoke

    lab = await build_lab(db_session, tmp_path)
    await db_session.commit()
    data, sample = _bad_file(lab)
    path = tmp_path / "lan7.txt"
    path.write_bytes(data)
    res = await _invoke(["import", "profiles", str(path), "--lab", LAB, "--commit"],
                        database_url, tmp_path)
    assert res.exit_code == 1
    line = next(ln for ln in res.output.splitlines() if VI_ABC in ln and ln.startswith("  "))
    assert line.startswith("  lan7.txt, dòng ") and f"mẫu {sample}" in line and "TH01" in line
    res = await _invoke(["import", "profiles", str(path), "--lab", LAB, "--json"],
                        database_url, tmp_path)
    assert '"message_id": "%(locus)s: %(problem)s"' in res.output and VI_ABC in res.output


async def test_frequency_table_refusal_in_vietnamese(db_session) -> None:
    from dnacase.services import frequencies as freq

    bad = b"locus,allele,frequency\nTH01,6,0.5\nTH01,7,1.5\n"
    with use_locale("vi"), pytest.raises(ValidationFailed) as info:
        await freq.import_table(db_session, bad, "kinh.csv", population="Kinh", actor=None)
    text = info.value.message
    assert "kinh.csv" in text and "dòng 3" in text and "locus gen TH01" in text
    assert "tần suất '1.5' không phải là một số trong khoảng (0, 1]" in text
    issue = info.value.details["issues"][0]
    assert issue["message_id"].startswith("%(locus)s allele %(allele)s: frequency")
    assert issue["params"]["value"] == "1.5"
