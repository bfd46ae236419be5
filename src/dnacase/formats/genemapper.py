"""GeneMapper ID-X "Genotypes Table" export (tab-delimited, one row per sample x marker).

Columns are matched by header name (case and spacing ignored), never by position; any number
of ``Allele n`` / ``Size n`` / ``Height n`` / ``Peak Area n`` columns; unknown columns are
ignored. A homozygote written once gives ``single_peak=True`` (homozygote or dropout); an empty
row means no result for that locus; ``OL`` is kept as an off-ladder flag; controls and ladders
are skipped with a note (a negative control with peaks is a warning).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from dnacase.domain.errors import N_

from ._strbuild import (
    DEFAULT_OPTIONS,
    LocusResolver,
    ParseOptions,
    build_call,
    clean_name,
    finish_profile,
    resolve_kit,
)
from ._text import DELIMITER_NAMES, decode_text, sniff_delimiter
from .issues import GeneMapperError, Issue, IssueCode, IssueSink, ParseResult, msg, sha256_hex
from .records import LocusCall, Peak, SampleType, STRProfile
from .reference import Kit

FORMAT = "genemapper"

_NUMBERED_RE = re.compile(r"(allele|size|height|peak area|data point)\s*(\d+)")
_SAMPLE_TYPES: dict[str, SampleType] = {
    "": "sample",
    "sample": "sample",
    "unknown": "sample",
    "negative control": "negative_control",
    "negative": "negative_control",
    "blank": "negative_control",
    "reagent blank": "negative_control",
    "positive control": "positive_control",
    "positive": "positive_control",
    "allelic ladder": "ladder",
    "ladder": "ladder",
}


def _norm_header(h: str) -> str:
    return " ".join(h.strip().lower().replace("_", " ").split())


def _float(v: str) -> float | None:
    try:
        return float(v) if v.strip() else None
    except ValueError:
        return None


@dataclass(slots=True)
class _Sample:
    name: str
    line: int
    sample_file: str
    sample_type: SampleType
    panel: str
    rows: list[tuple[int, str, list[str], list[str], list[str], list[str], str]] = field(
        default_factory=list)
    comments: list[str] = field(default_factory=list)
    duplicate_reported: bool = False


def parse_genemapper(
    data: bytes, filename: str, options: ParseOptions | None = None
) -> ParseResult[STRProfile]:
    """Parse a GeneMapper ID-X Genotypes Table export.

    Returns one :class:`STRProfile` per sample (controls and ladders skipped with an ``info``
    issue). Raises :class:`GeneMapperError` only when the file cannot be read as such a table
    (size, encoding, delimiter, missing ``Sample Name``/``Marker``/``Allele`` columns).
    """
    opts = options or DEFAULT_OPTIONS
    sink = IssueSink(filename)
    text = decode_text(data, filename, GeneMapperError, sink, max_bytes=opts.max_bytes,
                       encoding=opts.encoding)
    lines = text.lines
    first = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    if first is None:
        raise GeneMapperError(Issue.of("error", IssueCode.EMPTY_FILE,
                                       msg(N_("file has no header")), filename))
    header = lines[first].split("\t")
    header_line = first + 1
    if len(header) < 3:
        delim = sniff_delimiter(lines[first], ",;|")
        what = (f"{DELIMITER_NAMES[delim]}-separated" if delim else "not tab-delimited")
        raise GeneMapperError(Issue.of(
            "error", IssueCode.WRONG_DELIMITER,
            msg(N_("header is %(what)s; a GeneMapper Genotypes Table export is tab-delimited "
                   "(use the wide-table import for CSV spreadsheets)"), what=what),
            filename, header_line))
    cols: dict[str, int] = {}
    numbered: dict[str, dict[int, int]] = {}
    for idx, h in enumerate(header):
        key = _norm_header(h)
        if not key:
            continue
        m = _NUMBERED_RE.fullmatch(key)
        if m:
            group = numbered.setdefault(m.group(1), {})
            if int(m.group(2)) in group:
                raise GeneMapperError(Issue.of("error", IssueCode.DUPLICATE_COLUMN,
                                               msg(N_("column %(column)r appears twice"),
                                                   column=h.strip()), filename, header_line))
            group[int(m.group(2))] = idx
        elif key in cols:
            if key in ("sample name", "marker"):
                raise GeneMapperError(Issue.of("error", IssueCode.DUPLICATE_COLUMN,
                                               msg(N_("column %(column)r appears twice"),
                                                   column=h.strip()), filename, header_line))
        else:
            cols[key] = idx
    missing = [c for c in ("sample name", "marker") if c not in cols]
    if "allele" not in numbered:
        missing.append("allele 1")
    if missing:
        raise GeneMapperError(Issue.of(
            "error", IssueCode.MISSING_COLUMN,
            msg(N_("missing column(s) %(missing)s; found: %(found)s"),
                missing=", ".join(repr(m.title()) for m in missing),
                found=", ".join(repr(h.strip()) for h in header if h.strip())[:300]),
            filename, header_line))
    allele_idx = [numbered["allele"][n] for n in sorted(numbered["allele"])]
    if opts.allele_columns:
        allele_idx = allele_idx[: opts.allele_columns]

    def idx_for(kind: str) -> list[int | None]:
        group = numbered.get(kind, {})
        return [group.get(n) for n in sorted(numbered["allele"])][: len(allele_idx)]

    size_idx, height_idx, area_idx = idx_for("size"), idx_for("height"), idx_for("peak area")
    i_sample, i_marker = cols["sample name"], cols["marker"]
    i_file, i_type = cols.get("sample file"), cols.get("sample type")
    i_panel, i_comment = cols.get("panel"), cols.get("comments")
    needed = max([i_sample, i_marker, *allele_idx]) + 1
    n_allele_cols = len(allele_idx)

    samples: dict[str, _Sample] = {}
    order: list[_Sample] = []
    last_line = len(lines)
    for ln in range(first + 1, len(lines)):
        line = lines[ln]
        lineno = ln + 1
        if not line.strip():
            continue
        f = line.split("\t")
        if len(f) < needed:
            if lineno == last_line and not text.ends_with_newline:
                sink.error(IssueCode.TRUNCATED,
                           msg(N_("last row has %(n)d of %(total)d columns and no line end: "
                                  "the file is truncated; export it again"),
                               n=len(f), total=len(header)), line=lineno)
            else:
                sink.error(IssueCode.ROW_LENGTH,
                           msg(N_("row has %(n)d columns, the header has %(total)d (is the "
                                  "file tab-delimited throughout?)"),
                               n=len(f), total=len(header)), line=lineno)
            continue
        name = clean_name(f[i_sample])
        marker = f[i_marker].strip()
        raw_alleles = [f[i] for i in allele_idx]
        if not name:
            if any(a.strip() for a in raw_alleles):
                sink.error(IssueCode.MISSING_SAMPLE_NAME,
                           msg(N_("row has alleles but no sample name")),
                           line=lineno, locus=marker or None)
            continue
        stype_raw = f[i_type].strip() if i_type is not None and i_type < len(f) else ""
        stype = _SAMPLE_TYPES.get(stype_raw.lower())
        if stype is None:
            sink.warning(IssueCode.NOT_THIS_FORMAT,
                         msg(N_("unknown Sample Type %(type)r; treated as a sample"),
                             type=stype_raw),
                         line=lineno, sample=name)
            stype = "sample"
        if i_type is None and re.match(r"(allelic\s*)?ladder", name, re.I):
            stype = "ladder"
        sfile = f[i_file].strip() if i_file is not None and i_file < len(f) else ""
        panel = f[i_panel].strip() if i_panel is not None and i_panel < len(f) else ""
        s = samples.get(name)
        if s is None:
            s = _Sample(name, lineno, sfile, stype, panel)
            samples[name] = s
            order.append(s)
        elif sfile != s.sample_file and not s.duplicate_reported:
            s.duplicate_reported = True
            sink.error(IssueCode.DUPLICATE_SAMPLE,
                       msg(N_("sample %(sample)r appears twice in this file (sample files "
                              "%(file1)r at line %(line)d and %(file2)r); keep one injection"),
                           sample=name, file1=s.sample_file, line=s.line, file2=sfile),
                       line=lineno, sample=name)
        def cells(idx: list[int | None], f: list[str] = f) -> list[str]:
            return [f[i] if i is not None and i < len(f) else "" for i in idx]
        comment = f[i_comment].strip() if i_comment is not None and i_comment < len(f) else ""
        s.rows.append((lineno, marker, raw_alleles, cells(size_idx), cells(height_idx),
                       cells(area_idx), comment))

    if (order and not text.ends_with_newline and len(order) > 1
            and order[-1].sample_type == "sample"):
        typical = Counter(len(s.rows) for s in order[:-1]).most_common(1)[0][0]
        if len(order[-1].rows) < typical:
            sink.error(IssueCode.TRUNCATED,
                       msg(N_("last sample has %(n)d marker rows, the others %(typical)d, and "
                              "the file has no final line end: the file is truncated"),
                           n=len(order[-1].rows), typical=typical),
                       line=last_line, sample=order[-1].name)

    ref = opts.ref
    resolver = LocusResolver(ref, sink, opts.unknown_locus)
    kit_cache: dict[str, Kit | None] = {}
    records: list[STRProfile] = []
    for s in order:
        if s.sample_type != "sample":
            _control(s, sink)
            continue
        kit, kit_label = resolve_kit(ref, [opts.kit, s.panel], sink, kit_cache, line=s.line,
                                     sample=s.name)
        calls: dict[str, LocusCall] = {}
        first_line: dict[str, int] = {}
        comments = []
        for lineno, marker, raw_alleles, sizes, heights, areas, comment in s.rows:
            if comment:
                comments.append(f"{marker}: {comment}")
            locus = resolver.resolve(marker, line=lineno, sample=s.name)
            if locus is None:
                continue
            if locus in calls:
                sink.error(IssueCode.DUPLICATE_LOCUS,
                           msg(N_("locus %(locus)s appears twice for this sample (also line "
                                  "%(line)d)"), locus=locus, line=first_line[locus]),
                           line=lineno, sample=s.name, locus=marker)
                continue
            first_line[locus] = lineno
            filled = [i for i, a in enumerate(raw_alleles) if a.strip()]
            if n_allele_cols >= 2 and len(filled) == n_allele_cols:
                sink.warning(IssueCode.ALLELE_COLUMNS_FULL,
                             msg(N_("all %(n)d Allele columns are filled at %(locus)s: alleles "
                                    "may have been cut off; export with more Allele columns"),
                                 n=n_allele_cols, locus=locus),
                             line=lineno, sample=s.name, locus=marker)
            peaks = tuple(
                Peak(raw_alleles[i].strip(), _float(sizes[i]), _float(heights[i]),
                     _float(areas[i])) for i in filled
            )
            km = kit.marker(locus) if kit else None
            calls[locus] = build_call(
                locus, km.marker_type if km else ref.marker_type(locus),
                [raw_alleles[i] for i in filled], sink, line=lineno, sample=s.name,
                raw_name=marker, sizes=[sizes[i] for i in filled], peaks=peaks)
        attrs = {"sample_file": s.sample_file, "panel": s.panel}
        if comments:
            attrs["comments"] = "; ".join(comments)
        records.append(finish_profile(s.name, calls, sink, kit=kit, line=s.line, file=filename,
                                      attributes=attrs, kit_label=kit_label))
    if not records and not sink.has_errors():
        sink.warning(IssueCode.NO_SAMPLES,
                     msg(N_("file contains no samples (only controls or ladders)")))
    return ParseResult(FORMAT, filename, sha256_hex(bytes(data)), records, sink.finish(),
                       text.encoding)


def _control(s: _Sample, sink: IssueSink) -> None:
    label = s.sample_type.replace("_", " ")
    sink.info(IssueCode.CONTROL_SKIPPED,
              msg(N_("%(kind)s %(sample)r skipped (not a profile)"), kind=label, sample=s.name),
              line=s.line, sample=s.name)
    if s.sample_type == "negative_control":
        peaks = [marker for _, marker, alleles, *_ in s.rows if any(a.strip() for a in alleles)]
        if peaks:
            sink.warning(IssueCode.CONTROL_NOT_CLEAN,
                         msg(N_("negative control shows peaks at %(loci)s: possible "
                                "contamination of this batch"), loci=", ".join(peaks)),
                         line=s.line, sample=s.name)
