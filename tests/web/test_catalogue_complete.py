"""The Vietnamese catalogue covers every string the code and the templates ask for.

Messages are extracted in memory with Babel's own extractor and the project's mapping
(``src/dnacase/i18n/babel.cfg``: Python ``_``/``N_``/``gettext``/``ngettext`` markers, Jinja2
``{% trans %}`` and ``_()``), then compared with ``vi/LC_MESSAGES/messages.po``: each msgid needs
a non-empty Vietnamese ``msgstr`` different from the English, except for a short allow-list of
proper names and codes. Both catalogues must compile without errors or placeholder mismatches.
Status codes shown through ``_(code)`` (not extractable) are checked one by one.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import lru_cache

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from dnacase import i18n
from dnacase.formats.registry_csv import (
    GRAVE_STATUSES,
    MISSING_PERSON_STATUSES,
    parse_grave_list,
    parse_missing_persons,
)
from dnacase.models.review import CASE_STATUSES, DECISIONS
from dnacase.models.search import RUN_STATUSES
from dnacase.settings import project_root

#: msgids whose Vietnamese is the same text: proper names of markers, file formats and codes.
SAME_IN_VIETNAMESE = frozenset({
    "Amelogenin",
    "CODIS CMF XML",
    "Locus",
    "Y-STR",
    "mtDNA (EMPOP)",
    "mtDNA (HaploGrep)",
})

KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None, "ngettext": (1, 2)}


def _read(locale: str) -> Catalog:
    path = i18n.CATALOGUE_DIR / locale / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"
    with path.open("rb") as fh:
        return read_po(fh, locale=locale, domain=i18n.DOMAIN)


@lru_cache(maxsize=1)
def _extracted() -> dict[str, str]:
    """msgid -> first place it is used (``path:line``), from ``src`` and ``templates``."""
    root = project_root()
    with (i18n.CATALOGUE_DIR / "babel.cfg").open(encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    found: dict[str, str] = {}
    for folder in ("src", "templates"):
        for filename, lineno, message, _comments, _context in extract_from_dir(
            str(root / folder), method_map, options_map, keywords=KEYWORDS
        ):
            msgid = message if isinstance(message, str) else message[0]  # plural: singular key
            if msgid:
                found.setdefault(msgid, f"{folder}/{filename}:{lineno}")
    return found


def _strings(message: object) -> list[str]:
    if isinstance(message, str):
        return [message]
    return list(message) if isinstance(message, (list, tuple)) else []


def test_extraction_sees_templates_python_and_domain_ids() -> None:
    found = _extracted()
    assert len(found) > 500
    places = " ".join(found.values())
    assert "templates/review/" in places and "src/dnacase/formats/registry_csv.py" in places
    assert "grave number is empty" in found  # an N_ message id of the formats layer
    assert "Review queue" in found  # a nav label marked with N_


def test_every_msgid_in_use_has_a_vietnamese_translation() -> None:
    catalog = _read("vi")
    problems = []
    for msgid, where in sorted(_extracted().items(), key=lambda kv: kv[1]):
        message = catalog.get(msgid)
        if message is None:
            problems.append(f"{where}: {msgid!r} is not in the vi catalogue (run "
                            "`python -m dnacase.i18n.catalog`)")
            continue
        strings = _strings(message.string)
        if not strings or not all(strings) or message.fuzzy:
            problems.append(f"{where}: {msgid!r} has no Vietnamese translation")
        elif msgid not in SAME_IN_VIETNAMESE and strings[0] == msgid:
            problems.append(f"{where}: {msgid!r} is 'translated' as the English text")
    assert not problems, f"{len(problems)} untranslated:\n" + "\n".join(problems)


def test_allow_list_is_short_and_used() -> None:
    assert len(SAME_IN_VIETNAMESE) <= 10
    assert set(_extracted()) >= SAME_IN_VIETNAMESE


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_catalogue_compiles_without_errors(locale: str) -> None:
    catalog = _read(locale)
    errors = [(m.id, [str(e) for e in errs]) for m, errs in catalog.check()]
    assert not errors, errors
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    assert len(buf.getvalue()) > 100


@pytest.mark.parametrize(
    "code",
    sorted({*CASE_STATUSES, *DECISIONS, *RUN_STATUSES, *MISSING_PERSON_STATUSES,
            *(s for s in GRAVE_STATUSES if s != "named_unconfirmed")}),  # that one has a label
)
def test_status_codes_shown_with_underscore_are_translated(code: str) -> None:
    with i18n.use_locale("vi"):
        vi = i18n.gettext(code)
    assert vi and vi != code


def _vi() -> Callable[[str], str]:
    return i18n.get_translations("vi").gettext


def test_registry_row_errors_translate_with_their_parameters() -> None:
    bad = ("registry_number,full_name,sex,birth_year,death_date\n"
           "A1,Nguyễn Văn An,X,1950,31/02/1970\n"
           "A1,,M,1948,1945\n").encode()
    parsed = parse_missing_persons(bad, file="sổ.csv")
    english = [str(e) for e in parsed.errors]
    vietnamese = [e.translated(_vi()) for e in parsed.errors]
    assert "sổ.csv, line 2, column sex: sex 'X' is not M, F or U (nam/nữ)" in english
    assert "sổ.csv, dòng 2, cột sex: giới tính 'X' không phải M, F hoặc U (nam/nữ)" in vietnamese
    assert any("dòng 2, cột death_date: '31/02/1970' không phải là một ngày có thật" in m
               for m in vietnamese)
    assert "sổ.csv, dòng 3, cột full_name: họ tên bị để trống" in vietnamese
    assert any("ngày hy sinh 1945 trước năm sinh 1948" in m for m in vietnamese)
    assert len(vietnamese) == len(english) and not set(vietnamese) & set(english)

    header = parse_grave_list(b"plot,row\nA,1\n", file="g.csv")
    assert [e.translated(_vi()) for e in header.errors] == [
        "g.csv, dòng 1, cột number: thiếu cột bắt buộc number; dòng tiêu đề gồm: plot, row"]


WHOLE_FILE_REFUSALS = [
    # (format, bytes, expected Vietnamese text)
    ("codis_cmf", b"<?xml version='1.0'?><CODISRapidImportFile/>",
     "phần tử gốc là <CODISRapidImportFile>, không phải <CODISImportFile> (không hỗ trợ tệp "
     "CODIS Rapid Import)"),
    ("codis_cmf", b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><x/>",
     "XML chứa một khai báo DTD (<!DOCTYPE>); bị từ chối vì an toàn (tệp CMF không cần thành "
     "phần này)"),
    ("vcf", b"#CHROM\tPOS\n1\t2\n",
     "dòng đầu không phải '##fileformat=VCFv4.x': đây không phải tệp VCF"),
    ("dnacase_json", b'{"format": "other"}',
     'không phải tệp hồ sơ dnacase (cần "format": "dnacase-profile")'),
    ("dnacase_json", b'{"format": "dnacase-profile", "version": 1, "profiles": [',
     "JSON không hợp lệ: Expecting value (cột 58); tệp có vẻ bị cắt cụt"),
    ("empop", b"S1\tH\t1\t16223T\n",
     "haplotype xuất hiện trước mọi dòng vùng '#!': vùng giải trình tự phải đi kèm haplotype "
     "(ví dụ '#! 16024-576')"),
    ("empop", b"#! 16024-99999\nS1\tH\t1\t16223T\n",
     "dòng vùng giải trình tự không hợp lệ: vùng '16024-99999' nằm ngoài rCRS (1-16569)"),
    ("empop", b"#! 16024:576\nS1\tH\t1\t16223T\n",
     "dòng vùng giải trình tự không hợp lệ: vùng '16024:576' không có dạng đầu-cuối (ví dụ "
     "16024-16569)"),
]


@pytest.mark.parametrize(("fmt", "data", "vietnamese"), WHOLE_FILE_REFUSALS)
def test_whole_file_refusals_are_translated(fmt: str, data: bytes, vietnamese: str) -> None:
    """A file refused as a whole (not only row-level issues) reaches the user in Vietnamese,
    with the file name and line kept."""
    from dnacase.formats import parse_file

    result = parse_file(data, "lab.dat", fmt)  # refusals come back as the single error
    assert not result.records and len(result.errors) == 1
    issue = result.errors[0]
    assert issue.message_id, issue.message  # a catalogue message, not bare English
    assert issue.translated(_vi()) == vietnamese
    assert issue.file == "lab.dat"
