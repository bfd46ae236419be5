"""One-row-per-person tables: lab spreadsheets (CSV), Familias case import, Y-STR haplotypes.

All three share one engine. A locus is either one column holding all alleles (``"18,20"``,
``"18/20"``, ``"18;20"``, ``"18 20"``) or numbered columns (``D3S1358_1``/``D3S1358_2``,
``D3S1358 1``, ``Amel1``/``Amel2``). A homozygote written once sets ``single_peak``; written
twice it is a reported homozygote. Empty, ``-``, ``NR``, ``ND``, ``F`` mean no result.
A Vietnamese-locale decimal comma (``9,3``) that cannot be told from two alleles is an error.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence

from dnacase.domain.errors import N_

from ._strbuild import (
    DEFAULT_OPTIONS,
    ParseOptions,
    build_call,
    clean_name,
    finish_profile,
    resolve_kit,
)
from ._text import DELIMITER_NAMES, decode_text, sniff_delimiter
from .alleles import allele_sort_key
from .issues import (
    FamiliasError,
    FormatError,
    Issue,
    IssueCode,
    IssueSink,
    ParseResult,
    WideTableError,
    YSTRError,
    msg,
    sha256_hex,
)
from .records import LocusCall, STRProfile
from .reference import Kit, Reference, locus_key

_SAMPLE_COLS = ("samplename", "sample", "sampleid", "id", "name", "barcode", "specimenid",
                "mamau", "mãmẫu", "tenmau", "tênmẫu")
_KIT_COLS = ("kit", "panel", "kitname")
_IGNORED_COLS = ("sex", "gender", "case", "caseid", "comment", "comments", "note", "notes",
                 "date", "lab", "relationship", "relation", "sampletype", "type", "haplogroup",
                 "population", "giớitính", "gioitinh", "ghichu", "ghichú")
_NO_RESULT = frozenset({"", "-", "--", "nr", "nd", "f", "na", "n/a", "?", "x?"})
_SPLIT_RE = re.compile(r"[,/;\s]+")
_PAIR_RE = re.compile(r"^(.*?)(?:[\s_\-.]*)([12ab])$", re.I)
_DECIMAL_COMMA_RE = re.compile(r"(\d{1,2}),([1-4])")
_LOOKS_LIKE_LOCUS_RE = re.compile(
    r"^(D\d{1,2}S\d+|DY[SF]\d+|D[XY]S\d+|CSF|TPOX|TH0|FGA|VWA|PENTA|SE\s?33|AMEL|Y\s?GATA|Y\s?INDEL)",
    re.I)


def _column_plan(
    header: Sequence[str], ref: Reference, sink: IssueSink, header_line: int,
    error_cls: type[FormatError],
) -> tuple[int, int | None, dict[str, list[tuple[int, str]]]]:
    """(sample column, kit column, canonical locus -> [(column index, header)])."""
    sample_idx = kit_idx = None
    loci: dict[str, list[tuple[int, str]]] = {}
    for idx, raw in enumerate(header):
        h = raw.strip()
        key = locus_key(h)
        if not key:
            continue
        if sample_idx is None and key in _SAMPLE_COLS:
            sample_idx = idx
            continue
        if kit_idx is None and key in _KIT_COLS:
            kit_idx = idx
            continue
        if key in _IGNORED_COLS:
            continue
        canon = ref.canonical_locus(h)
        if canon is None:
            m = _PAIR_RE.match(h)
            if m and m.group(1).strip():
                base = m.group(1).strip()
                canon = ref.canonical_locus(base)
                if canon is None and locus_key(base) == "amel":
                    canon = "Amelogenin"
        if canon is not None:
            loci.setdefault(canon, []).append((idx, h))
        elif _LOOKS_LIKE_LOCUS_RE.match(h):
            sink.error(IssueCode.UNKNOWN_LOCUS,
                       msg(N_("column %(column)r looks like a locus but is not a known marker "
                              "name or alias (see locus_aliases.csv); its alleles were not "
                              "read"), column=h),
                       line=header_line, locus=h)
        else:
            sink.info(IssueCode.NOT_THIS_FORMAT, msg(N_("column %(column)r ignored"), column=h),
                      line=header_line)
    if sample_idx is None:
        raise error_cls(Issue.of(
            "error", IssueCode.MISSING_COLUMN,
            msg(N_("no sample column: the first row must name one (SampleName, Sample, "
                   "SampleID, ID, Name or Barcode); found %(found)s"),
                found=", ".join(repr(h) for h in header[:8])),
            sink.file, header_line))
    if not loci:
        raise error_cls(Issue.of("error", IssueCode.MISSING_COLUMN,
                                 msg(N_("no locus columns recognised in the header row")),
                                 sink.file, header_line))
    for canon, cols in loci.items():
        if len(cols) > 2 and canon != "Amelogenin":
            sink.warning(IssueCode.DUPLICATE_COLUMN,
                         msg(N_("%(n)d columns for locus %(locus)s: %(columns)s"), n=len(cols),
                             locus=canon, columns=", ".join(h for _, h in cols)),
                         line=header_line, locus=canon)
    return sample_idx, kit_idx, loci


def _split_cell(cell: str, *, line: int, sample: str, locus: str, sink: IssueSink,
                single_column: bool) -> list[str] | None:
    """Alleles in one cell; ``None`` on an ambiguous decimal comma (already reported)."""
    v = cell.strip()
    if v.casefold() in _NO_RESULT:
        return []
    if single_column:
        m = _DECIMAL_COMMA_RE.fullmatch(v)
        if m and int(m.group(2)) < int(m.group(1)):
            sink.error(IssueCode.AMBIGUOUS_DECIMAL_COMMA,
                       msg(N_("%(locus)s: %(value)r is ambiguous: a decimal comma (%(a)s.%(b)s) "
                              "or two alleles? Write %(a)s.%(b)s or %(b)s,%(a)s"),
                           locus=locus, value=v, a=m.group(1), b=m.group(2)),
                       line=line, sample=sample, locus=locus)
            return None
        if re.fullmatch(r"\d{1,2}-[A-Za-z]{3}|[A-Za-z]{3}-\d{1,2}", v):
            return [v]  # a spreadsheet date: let allele validation name it
        return [p for p in _SPLIT_RE.split(v) if p]
    return [v]


def _parse_wide(
    data: bytes,
    filename: str,
    options: ParseOptions | None,
    *,
    format_name: str,
    error_cls: type[FormatError],
    require_tab: bool = False,
    ystr: bool = False,
) -> ParseResult[STRProfile]:
    opts = options or DEFAULT_OPTIONS
    sink = IssueSink(filename)
    text = decode_text(data, filename, error_cls, sink, max_bytes=opts.max_bytes,
                       encoding=opts.encoding)
    first = next((i for i, ln in enumerate(text.lines) if ln.strip()), None)
    if first is None:
        raise error_cls(Issue.of("error", IssueCode.EMPTY_FILE, msg(N_("file has no header")),
                                 filename))
    header_line = first + 1
    delim = sniff_delimiter(text.lines[first])
    if delim is None:
        raise error_cls(Issue.of("error", IssueCode.WRONG_DELIMITER,
                                 msg(N_("header row has no tab, comma or semicolon between "
                                        "columns")), filename, header_line))
    if require_tab and delim != "\t":
        raise error_cls(Issue.of("error", IssueCode.WRONG_DELIMITER,
                                 msg(N_("header is %(delimiter)s-separated; this format is "
                                        "tab-delimited"), delimiter=DELIMITER_NAMES[delim]),
                                 filename, header_line))
    body = "\n".join(text.lines[first:])
    rows: list[list[str]] = []
    line_nos: list[int] = []  # a quoted cell may hold a line break: track real line numbers
    reader = csv.reader(io.StringIO(body, newline=""), delimiter=delim, strict=True)
    try:
        start = 1
        for row in reader:
            rows.append(row)
            line_nos.append(first + start)
            start = reader.line_num + 1
    except csv.Error as exc:
        at_end = "EOF" in str(exc) or "end of data" in str(exc)
        raise error_cls(Issue.of("error",
                                 IssueCode.TRUNCATED if at_end else IssueCode.ROW_LENGTH,
                                 msg(N_("cannot split rows: %(error)s (unbalanced quotes?)"),
                                     error=str(exc)), filename,
                                 first + reader.line_num)) from None
    ref = opts.ref
    sample_idx, kit_idx, plan = _column_plan(rows[0], ref, sink, header_line, error_cls)
    width = len(rows[0])
    seen: dict[str, int] = {}
    kit_cache: dict[str, Kit | None] = {}
    records: list[STRProfile] = []
    for row, lineno in zip(rows[1:], line_nos[1:], strict=False):
        if not any(c.strip() for c in row):
            continue
        if len(row) < width:
            if len(row) == 1 and width > 1:
                sink.error(IssueCode.WRONG_DELIMITER if lineno < len(text.lines)
                           or text.ends_with_newline else IssueCode.TRUNCATED,
                           msg(N_("row has 1 column, the header %(width)d: wrong delimiter "
                                  "or truncated row"), width=width), line=lineno)
                continue
            if lineno == len(text.lines) and not text.ends_with_newline:
                sink.error(IssueCode.TRUNCATED,
                           msg(N_("last row has %(n)d of %(width)d columns and no line end: "
                                  "the file is truncated"), n=len(row), width=width),
                           line=lineno)
                continue
            row = row + [""] * (width - len(row))
        elif len(row) > width and any(c.strip() for c in row[width:]):
            sink.error(IssueCode.ROW_LENGTH,
                       msg(N_("row has %(n)d columns, the header %(width)d (a separator "
                              "inside an unquoted cell?)"), n=len(row), width=width),
                       line=lineno)
            continue
        sample = clean_name(row[sample_idx])
        if not sample:
            sink.error(IssueCode.MISSING_SAMPLE_NAME, msg(N_("row has no sample name")),
                       line=lineno)
            continue
        if sample in seen:
            sink.error(IssueCode.DUPLICATE_SAMPLE,
                       msg(N_("sample %(sample)r appears twice in this file (first at line "
                              "%(line)d)"), sample=sample, line=seen[sample]),
                       line=lineno, sample=sample)
            continue
        seen[sample] = lineno
        kit_value = row[kit_idx] if kit_idx is not None else None
        kit, kit_label = resolve_kit(ref, [opts.kit, kit_value], sink, kit_cache, line=lineno,
                                     sample=sample)
        calls: dict[str, LocusCall] = {}
        for locus, cols in plan.items():
            single_column = len(cols) == 1
            raw: list[str] = []
            bad = False
            for idx, h in cols:
                parts = _split_cell(row[idx], line=lineno, sample=sample, locus=h, sink=sink,
                                    single_column=single_column)
                if parts is None:
                    bad = True
                    break
                raw.extend(parts)
            if bad:
                continue
            if (not raw and all(not row[i].strip() for i, _ in cols)
                    and kit is not None and not kit.types(locus)):
                continue  # column of another kit: not typed by this one
            mtype = (kit.marker(locus).marker_type if kit and kit.marker(locus)
                     else ref.marker_type(locus))
            if mtype == "unknown":
                mtype = "autosomal_STR"
            calls[locus] = build_call(locus, mtype, raw, sink, line=lineno, sample=sample,
                                      raw_name=cols[0][1])
        if ystr:
            _check_ystr(calls, sink, lineno, sample)
        records.append(finish_profile(sample, calls, sink, kit=kit, line=lineno, file=filename,
                                      kit_label=kit_label))
    if not records and not sink.has_errors():
        sink.warning(IssueCode.NO_SAMPLES, msg(N_("file contains no samples")))
    return ParseResult(format_name, filename, sha256_hex(bytes(data)), records, sink.finish(),
                       text.encoding)


def _check_ystr(calls: dict[str, LocusCall], sink: IssueSink, line: int, sample: str) -> None:
    one, two = calls.get("DYS389I"), calls.get("DYS389II")
    if (one and two and len(one.alleles) == 1 and len(two.alleles) == 1
            and allele_sort_key(two.alleles[0])[0] < allele_sort_key(one.alleles[0])[0] + 8):
        # DYS389II (total) exceeds DYS389I by ~14-20 repeats; a smaller gap means II minus I
        sink.warning(IssueCode.Y_DYS389,
                     msg(N_("DYS389II (%(two)s) is implausibly close to DYS389I (%(one)s): "
                            "DYS389II must be the total length; the lab may have reported II "
                            "minus I"), two=two.alleles[0], one=one.alleles[0]),
                     line=line, sample=sample, locus="DYS389II")
    for locus, c in calls.items():
        if c.marker_type not in ("Y_STR", "Y_indel") and c.typed:
            sink.warning(IssueCode.LOCUS_NOT_IN_KIT,
                         msg(N_("%(locus)s is not a Y marker in a Y-STR haplotype table"),
                             locus=locus), line=line,
                         sample=sample, locus=locus)


def parse_wide_table(
    data: bytes, filename: str, options: ParseOptions | None = None
) -> ParseResult[STRProfile]:
    """Parse a lab spreadsheet export (CSV/TSV/semicolon; one row per person).

    Raises :class:`WideTableError` for unreadable files (size, encoding, delimiter, no sample
    or locus column, broken quoting); every row-level problem is an issue.
    """
    return _parse_wide(data, filename, options, format_name="wide_table",
                       error_cls=WideTableError)


def parse_familias_case(
    data: bytes, filename: str, options: ParseOptions | None = None
) -> ParseResult[STRProfile]:
    """Parse a Familias "Case related DNA data" import text (tab-delimited).

    Header ``Name  Amel1  Amel2  <marker> 1  <marker> 2 ...``; homozygotes are written twice
    (a lone allele sets ``single_peak``). Raises :class:`FamiliasError` for unreadable files.
    """
    return _parse_wide(data, filename, options, format_name="familias_case",
                       error_cls=FamiliasError, require_tab=True)


def parse_ystr_table(
    data: bytes, filename: str, options: ParseOptions | None = None
) -> ParseResult[STRProfile]:
    """Parse a YHRD-style Y-STR haplotype table (one row per male, one column per marker).

    Multi-copy markers (DYS385, DYF387S1) hold an unordered set with multiplicity
    (``"13,13"`` -> ``("13", "13")``); ``0``/``null`` is a null allele; two values at a
    single-copy marker set ``duplication``; DYS389II must be the total length.
    Raises :class:`YSTRError` for unreadable files.
    """
    return _parse_wide(data, filename, options, format_name="ystr_table", error_cls=YSTRError,
                       ystr=True)
