"""Parser issues carry a catalogue message id and parameters; the English text is unchanged."""

from __future__ import annotations

import json

from dnacase.formats import Issue, IssueCode, Msg, msg, parse_file
from dnacase.formats.issues import IssueSink

HEADER = "Sample Name\tMarker\tAllele 1\tAllele 2\n"


def _gm(rows: str) -> bytes:
    return (HEADER + rows).encode()


def test_invalid_allele_issue_has_id_params_and_same_english() -> None:
    res = parse_file(_gm("S1\tTH01\t6\tabc\nS1\tD3S1358\t15\t16\n"), "run.txt", "genemapper")
    (issue,) = [i for i in res.issues if i.code == IssueCode.INVALID_ALLELE]
    assert issue.message == ("TH01: allele 'abc' is not a repeat number such as 13, 9.3 or 22.2 "
                             "(nor OL, <8, >27)")
    assert issue.message_id == "%(locus)s: %(problem)s"
    assert issue.params["locus"] == "TH01"
    problem = issue.params["problem"]
    assert isinstance(problem, Msg) and problem.params == {"value": "abc"}
    d = issue.to_dict()
    assert d["message"] == issue.message and d["message_id"] == issue.message_id
    assert d["params"]["problem"] == str(problem)  # nested message as English text
    json.dumps(d)  # JSON-able
    assert (issue.file, issue.line, issue.sample, issue.locus) == ("run.txt", 2, "S1", "TH01")


def test_translated_uses_the_catalogue_for_template_and_nested_messages() -> None:
    res = parse_file(_gm("S1\tTH01\tOL\t9\n"), "run.txt", "genemapper")
    (ol,) = [i for i in res.issues if i.code == IssueCode.OFF_LADDER]
    fake = {ol.message_id: "[%(locus)s] OL!"}
    assert ol.translated(lambda m: fake.get(m, m)) == "[TH01] OL!"
    assert ol.translated(lambda m: m) == ol.message  # identity catalogue: English
    res = parse_file(_gm("S1\tTH01\t6\tabc\n"), "run.txt", "genemapper")
    (bad,) = [i for i in res.issues if i.code == IssueCode.INVALID_ALLELE]
    cat = {"%(locus)s: %(problem)s": "%(locus)s — %(problem)s",
           bad.params["problem"].template: "alen %(value)r sai"}
    assert bad.translated(lambda m: cat.get(m, m)) == "TH01 — alen 'abc' sai"


def test_plain_text_issue_and_broken_translation_fall_back_to_english() -> None:
    plain = Issue("error", IssueCode.TRUNCATED, "cut short", "f.txt", 3)
    assert plain.translated(lambda m: "XX") == "cut short" and plain.to_dict()["message_id"] is None
    broken = Issue.of("error", IssueCode.NO_RESULT, msg("%(n)d loci", n=2))
    assert broken.message == "2 loci"
    assert broken.translated(lambda m: "%(missing)s") == "%(missing)s"  # no crash


def test_summary_of_dropped_issues_is_translatable() -> None:
    sink = IssueSink("f.txt", max_per_code=1)
    for line in (2, 3, 4):
        sink.error(IssueCode.INVALID_ALLELE, msg("bad %(x)s", x=line), line=line)
    last = sink.finish()[-1]
    assert last.message == "2 further 'invalid_allele' issues not listed"
    assert last.params == {"n": 2, "code": "invalid_allele"}
