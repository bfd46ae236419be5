"""mtDNA haplotypes as differences from rCRS: EMPOP ``.emp`` and HaploGrep ``.hsd``.

Notation is normalised to EMPOP style: substitutions ``16223T``, insertions ``315.1C``,
deletions ``249DEL`` (also read from ``249d``, ``249del``, ``249delA``, ``249-``), IUPAC point
heteroplasmies ``16093Y``; ``C16223T`` and ``16223C>T`` are read as ``16223T``, ``309+CC`` as
``309.1C 309.2C`` (one reader with the engine: :mod:`dnacase.kinship.lineage.mtnotation`). The range
sequenced travels with every haplotype.
"""

from __future__ import annotations

import re

from dnacase.domain.errors import N_

from ._strbuild import DEFAULT_OPTIONS, ParseOptions, clean_name
from ._text import decode_text
from .issues import Issue, IssueCode, IssueSink, Msg, MtDNAError, ParseResult, msg, sha256_hex
from .records import MtHaplotype

RCRS_LENGTH = 16569
_IUPAC_HET = "RYMKSWBHVN"

class InvalidVariant(ValueError):
    """An mtDNA variant that cannot be read; ``msg`` is the translatable message."""

    def __init__(self, message: str | Msg) -> None:
        self.msg = message if isinstance(message, Msg) else Msg(message)
        super().__init__(str(self.msg))


class InvalidRange(ValueError):
    """A sequenced range that cannot be read; ``msg`` is the translatable message."""

    def __init__(self, message: Msg) -> None:
        self.msg = message
        super().__init__(str(message))


_VARIANT_MESSAGES: dict[str, str] = {
    "syntax": N_("variant %(variant)r is not in rCRS difference notation (e.g. 16223T, "
                 "315.1C, 309+CC, 249DEL, 249delA, 16093Y)"),
    "position": N_("variant %(variant)r: position %(n)d is outside rCRS (1-%(max)d)"),
    "reference_base": N_("variant %(variant)r: the rCRS base at %(position)d is %(rcrs)s, "
                         "not %(stated)s (was the haplotype written against another "
                         "reference?)"),
    "deleted_bases": N_("variant %(variant)r: the rCRS bases there are %(rcrs)s, not "
                        "%(stated)s"),
}


def normalise_mt_variants(text: str) -> tuple[str, ...]:
    """EMPOP notation of one variant as written by a lab; raises :class:`InvalidVariant`.

    Every spelling of :mod:`dnacase.kinship.lineage.mtnotation` is read (one reader for the
    files and the engine): ``"249d"`` / ``"249-"`` / ``"249del"`` / ``"249delA"`` ->
    ``("249DEL",)``; ``"16223t"`` / ``"C16223T"`` / ``"16223C>T"`` -> ``("16223T",)``;
    ``"309+CC"`` / ``"309.1CC"`` -> ``("309.1C", "309.2C")``; ``"8281-8289d"`` -> nine
    deletions; ``"16223C"`` (the rCRS base itself) -> ``()``. A capital ``D`` after a
    position is a deletion (never the IUPAC code A/G/T).
    """
    from dnacase.kinship.lineage import LineageDataError
    from dnacase.kinship.lineage.mtnotation import parse_variant

    try:
        return tuple(str(v) for v in parse_variant(text))
    except LineageDataError as exc:
        template = _VARIANT_MESSAGES.get(exc.code or "", _VARIANT_MESSAGES["syntax"])
        params = {**exc.params, "variant": text}
        raise InvalidVariant(msg(template, **params)) from None


def normalise_mt_variant(text: str) -> str:
    """EMPOP notation of a spelling that stands for one variant (see
    :func:`normalise_mt_variants`); a multi-base insertion or deletion run is refused here."""
    out = normalise_mt_variants(text)
    if len(out) != 1:
        raise InvalidVariant(msg(N_("variant %(variant)r stands for several variants (%(list)s)"),
                                 variant=text, list=" ".join(out)))
    return out[0]


def variant_position(variant: str) -> int:
    return int(re.match(r"\d+", variant).group(0))  # type: ignore[union-attr]


def _variant_key(v: str) -> tuple[int, int, str]:
    m = re.match(r"(\d+)(?:\.(\d+))?", v)
    assert m
    return int(m.group(1)), int(m.group(2) or 0), v


def parse_mt_range(text: str) -> tuple[tuple[int, int], ...]:
    """``"16024-16569;1-576"`` or ``"16024-576"`` (wraps the origin) -> inclusive intervals.

    Raises :class:`InvalidRange` (a :class:`ValueError` with a translatable ``msg``) on
    anything else.
    """
    parts = [p for p in re.split(r"[;,\s]+", text.strip()) if p]
    if not parts:
        raise InvalidRange(msg(N_("empty range")))
    out: list[tuple[int, int]] = []
    for p in parts:
        m = re.fullmatch(r"(\d{1,5})-(\d{1,5})", p)
        if not m:
            raise InvalidRange(msg(N_("range %(range)r is not start-end (e.g. 16024-16569)"),
                                   range=p))
        a, b = int(m.group(1)), int(m.group(2))
        if not (1 <= a <= RCRS_LENGTH and 1 <= b <= RCRS_LENGTH):
            raise InvalidRange(msg(N_("range %(range)r lies outside rCRS (1-%(max)d)"),
                                   range=p, max=RCRS_LENGTH))
        if a <= b:
            out.append((a, b))
        else:
            out.extend([(a, RCRS_LENGTH), (1, b)])
    return tuple(out)


def _add_variant(v: str, variants: dict[str, None], ranges: tuple[tuple[int, int], ...],
                 sink: IssueSink, line: int, sample: str) -> None:
    if v in variants:
        sink.warning(IssueCode.MT_VARIANT, msg(N_("variant %(variant)s listed twice"),
                                               variant=v), line=line,
                     sample=sample, locus=v)
    pos = variant_position(v)
    if not any(a <= pos <= b for a, b in ranges):
        sink.warning(IssueCode.MT_OUTSIDE_RANGE,
                     msg(N_("variant %(variant)s lies outside the sequenced range "
                            "%(ranges)s"), variant=v,
                         ranges=";".join(f"{a}-{b}" for a, b in ranges)),
                     line=line, sample=sample,
                     locus=v)
    if v[-1] in _IUPAC_HET and not v.endswith("DEL"):
        sink.info(IssueCode.MT_HETEROPLASMY,
                  msg(N_("point heteroplasmy %(variant)s"), variant=v),
                  line=line, sample=sample, locus=v)
    variants[v] = None


def _haplotype(sample: str, raw_variants: list[str], ranges: tuple[tuple[int, int], ...],
               haplogroup: str, sink: IssueSink, line: int, file: str,
               count: int = 1) -> MtHaplotype:
    variants: dict[str, None] = {}
    for raw in raw_variants:
        try:
            expanded = normalise_mt_variants(raw)
        except InvalidVariant as exc:
            sink.error(IssueCode.MT_VARIANT, exc.msg, line=line, sample=sample, locus=raw)
            continue
        if not expanded:
            sink.warning(IssueCode.MT_VARIANT, msg(N_(
                "variant %(variant)r is at 3107, the rCRS placeholder (N) that is no base: "
                "left out") if variant_position(raw.lstrip("ACGTacgt")) == 3107 else N_(
                "variant %(variant)r is the rCRS base itself, not a difference from the rCRS: "
                "left out (was the haplotype written against another reference?)"),
                variant=raw), line=line, sample=sample, locus=raw)
        for v in expanded:
            _add_variant(v, variants, ranges, sink, line, sample)
    hg = haplogroup.strip()
    return MtHaplotype(sample=sample, variants=tuple(sorted(variants, key=_variant_key)),
                       ranges=ranges, haplogroup=None if hg in ("", "?") else hg, file=file,
                       line=line, count=count)


def parse_empop(
    data: bytes, filename: str, options: ParseOptions | None = None
) -> ParseResult[MtHaplotype]:
    """Parse an EMPOP ``.emp`` file: ``#!`` range lines, then
    ``ID <TAB> haplogroup <TAB> count <TAB> variant...`` lines.

    Raises :class:`MtDNAError` for unreadable files or a haplotype with no range before it.
    """
    opts = options or DEFAULT_OPTIONS
    sink = IssueSink(filename)
    text = decode_text(data, filename, MtDNAError, sink, max_bytes=opts.max_bytes,
                       encoding=opts.encoding)
    ranges: tuple[tuple[int, int], ...] | None = None
    records: list[MtHaplotype] = []
    seen: dict[str, int] = {}
    for i, line in enumerate(text.lines, start=1):
        if not line.strip():
            continue
        if line.startswith("#!"):
            try:
                ranges = parse_mt_range(line[2:])
            except InvalidRange as exc:
                raise MtDNAError(Issue.of("error", IssueCode.MT_RANGE,
                                          msg(N_("bad range line: %(problem)s"), problem=exc.msg),
                                          filename, i)) from None
            continue
        if line.startswith("#"):
            continue
        fields = line.split("\t") if "\t" in line else line.split()
        fields = [f.strip() for f in fields]
        if len(fields) < 3:
            sink.error(IssueCode.ROW_LENGTH,
                       msg(N_("expected ID, haplogroup, count and variants separated by "
                              "tabs")),
                       line=i, sample=fields[0] if fields else None)
            continue
        if ranges is None:
            raise MtDNAError(Issue.of("error", IssueCode.MT_RANGE,
                                      msg(N_("haplotype before any '#!' range line: the "
                                             "sequenced range must travel with the haplotype "
                                             "(e.g. '#! 16024-576')")), filename, i))
        sample = clean_name(fields[0])
        if not fields[2].isdigit():
            sink.error(IssueCode.ROW_LENGTH,
                       msg(N_("third column must be the haplotype count (e.g. 1), got "
                              "%(value)r"), value=fields[2]),
                       line=i, sample=sample)
            continue
        if sample in seen:
            sink.error(IssueCode.DUPLICATE_SAMPLE,
                       msg(N_("sample %(sample)r appears twice (first at line %(line)d)"),
                           sample=sample, line=seen[sample]),
                       line=i, sample=sample)
            continue
        seen[sample] = i
        records.append(_haplotype(sample, [f for f in fields[3:] if f], ranges, fields[1], sink,
                                  i, filename, count=int(fields[2])))
    if not records and not sink.has_errors():
        sink.warning(IssueCode.NO_SAMPLES, msg(N_("file contains no haplotype")))
    return ParseResult("empop", filename, sha256_hex(bytes(data)), records, sink.finish(),
                       text.encoding)


def parse_haplogrep(
    data: bytes, filename: str, options: ParseOptions | None = None
) -> ParseResult[MtHaplotype]:
    """Parse a HaploGrep ``.hsd`` file: ``ID <TAB> Range <TAB> Haplogroup <TAB> variants``.

    The header line is optional; variants may be in further tab columns or space-separated.
    Raises :class:`MtDNAError` for unreadable files.
    """
    opts = options or DEFAULT_OPTIONS
    sink = IssueSink(filename)
    text = decode_text(data, filename, MtDNAError, sink, max_bytes=opts.max_bytes,
                       encoding=opts.encoding)
    records: list[MtHaplotype] = []
    seen: dict[str, int] = {}
    saw_tab = False
    for i, line in enumerate(text.lines, start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = [f.strip() for f in line.split("\t")]
        if len(fields) < 2:
            sink.error(IssueCode.WRONG_DELIMITER if not saw_tab else IssueCode.ROW_LENGTH,
                       msg(N_("expected tab-separated ID, Range, Haplogroup and variants")),
                       line=i)
            continue
        saw_tab = True
        if fields[0].lower() in ("id", "sampleid", "sample") and fields[1].lower() == "range":
            continue
        sample = clean_name(fields[0])
        try:
            ranges = parse_mt_range(fields[1])
        except InvalidRange as exc:
            sink.error(IssueCode.MT_RANGE, msg(N_("bad range %(range)r: %(problem)s"),
                                               range=fields[1], problem=exc.msg),
                       line=i, sample=sample)
            continue
        if not sample:
            sink.error(IssueCode.MISSING_SAMPLE_NAME, msg(N_("row has no sample ID")), line=i)
            continue
        if sample in seen:
            sink.error(IssueCode.DUPLICATE_SAMPLE,
                       msg(N_("sample %(sample)r appears twice (first at line %(line)d)"),
                           sample=sample, line=seen[sample]),
                       line=i, sample=sample)
            continue
        seen[sample] = i
        raw: list[str] = []
        for f in fields[3:]:
            raw.extend(f.split())
        records.append(_haplotype(sample, raw, ranges, fields[2] if len(fields) > 2 else "",
                                  sink, i, filename))
    if not records and not sink.has_errors():
        sink.warning(IssueCode.NO_SAMPLES, msg(N_("file contains no haplotype")))
    return ParseResult("haplogrep", filename, sha256_hex(bytes(data)), records, sink.finish(),
                       text.encoding)
