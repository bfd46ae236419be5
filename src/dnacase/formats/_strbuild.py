"""Shared STR logic: options, locus resolution, building calls and checking whole profiles."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from dnacase.domain.errors import N_

from .alleles import (
    OFF_LADDER,
    InvalidAllele,
    is_open_ended,
    normalise_allele,
    sex_from_amelogenin,
    sort_alleles,
)
from .issues import DEFAULT_MAX_BYTES, LOCUS_PREFIXED, IssueCode, IssueSink, msg
from .records import LocusCall, Peak, SampleType, STRProfile
from .reference import MULTI_COPY_Y, Kit, MarkerType, Reference, default_reference


@dataclass(frozen=True, slots=True)
class ParseOptions:
    """Knobs shared by the parsers.

    * ``max_bytes``: files larger than this are refused before parsing (default 50 MiB).
    * ``encoding``: force a text codec (default: UTF-8/UTF-16 by BOM, else Windows-1252).
    * ``unknown_locus``: severity for a locus name that matches no known locus.
    * ``kit``: kit name to assume when the file names none (or to override it).
    * ``allele_columns``: GeneMapper: read only ``Allele 1..n`` (default: all present).
    * ``reference``: locus names and kits (default: the shipped reference data).
    """

    max_bytes: int = DEFAULT_MAX_BYTES
    encoding: str | None = None
    unknown_locus: Literal["error", "warning"] = "error"
    kit: str | None = None
    allele_columns: int | None = None
    reference: Reference | None = None

    @property
    def ref(self) -> Reference:
        return self.reference or default_reference()


DEFAULT_OPTIONS = ParseOptions()


def clean_name(value: str) -> str:
    """Sample names: trimmed, Unicode NFC (Vietnamese names arrive in NFC or NFD)."""
    v = value.strip()
    return unicodedata.normalize("NFC", v) if not v.isascii() else v


class LocusResolver:
    """Maps file spellings to canonical loci, reporting each unknown spelling."""

    def __init__(self, ref: Reference, sink: IssueSink, policy: str) -> None:
        self.ref = ref
        self.sink = sink
        self.policy = policy
        self._cache: dict[str, str | None] = {}

    def resolve(self, raw: str, *, line: int | None, sample: str | None) -> str | None:
        try:
            canon = self._cache[raw]
        except KeyError:
            canon = self.ref.canonical_locus(raw) if raw.strip() else None
            self._cache[raw] = canon
        if canon is None:
            self.sink.add(
                "error" if self.policy == "error" else "warning",  # type: ignore[arg-type]
                IssueCode.UNKNOWN_LOCUS,
                msg(N_("unknown locus %(locus)r: not a known marker name or alias (see "
                       "locus_aliases.csv); its alleles were not read"), locus=raw),
                line=line, sample=sample, locus=raw)
        return canon


_ALLELE_CACHE: dict[tuple[str, str], str | InvalidAllele] = {}


def _normalise_cached(value: str, mtype: str) -> str:
    """:func:`normalise_allele` memoised (a file repeats the same few hundred alleles)."""
    key = (value, mtype)
    hit = _ALLELE_CACHE.get(key)
    if hit is None:
        try:
            hit = normalise_allele(value, mtype)  # type: ignore[arg-type]
        except InvalidAllele as exc:
            hit = exc
        if len(_ALLELE_CACHE) > 50_000:
            _ALLELE_CACHE.clear()
        _ALLELE_CACHE[key] = hit
    if isinstance(hit, InvalidAllele):
        raise InvalidAllele(hit.msg, hit.code)
    return hit


def build_call(
    locus: str,
    mtype: MarkerType,
    raw_alleles: Sequence[str],
    sink: IssueSink,
    *,
    line: int | None,
    sample: str,
    raw_name: str = "",
    sizes: Sequence[str] | None = None,
    peaks: Sequence[Peak] = (),
    single_peak_possible: bool = True,
) -> LocusCall:
    """Validate raw allele strings of one locus into a :class:`LocusCall`.

    ``raw_alleles`` are the non-empty cells in file order (a homozygote may appear twice).
    ``sizes`` (parallel to ``raw_alleles``) gives bp sizes for OL peaks. ``single_peak_possible``
    is false for formats where a lone allele is by definition a homozygote report.
    """
    where = {"line": line, "sample": sample, "locus": raw_name or locus}
    values: list[str] = []
    off: list[str] = []
    null = False
    for i, raw in enumerate(raw_alleles):
        v = raw.strip()
        if mtype == "Y_STR" and v.casefold() == "null":
            v = "0"
        try:
            a = _normalise_cached(v, mtype if mtype != "unknown" else "autosomal_STR")
        except InvalidAllele as exc:
            sink.error(IssueCode(exc.code),
                       msg(LOCUS_PREFIXED, locus=locus, problem=exc.msg), **where)
            continue
        if a == OFF_LADDER:
            size = sizes[i].strip() if sizes and i < len(sizes) else ""
            off.append(size)
            sink.warning(IssueCode.OFF_LADDER, msg(
                N_("%(locus)s: off-ladder (OL) peak at %(size)s bp; review it: it is excluded "
                   "from statistics and matching"), locus=locus, size=size) if size else msg(
                N_("%(locus)s: off-ladder (OL) peak; review it: it is excluded from statistics "
                   "and matching"), locus=locus), **where)
            continue
        if mtype == "Y_STR" and a == "0":
            null = True
            continue
        if is_open_ended(a):
            sink.warning(IssueCode.OPEN_ENDED_ALLELE,
                         msg(N_("%(locus)s: open-ended allele %(allele)r (outside the ladder); "
                                "kept as written"), locus=locus, allele=a),
                         **where)
        values.append(a)
    multi = locus in MULTI_COPY_Y
    alleles = sort_alleles(values) if multi else tuple(dict.fromkeys(values))
    if null and alleles:
        sink.warning(IssueCode.Y_NULL_ALLELE,
                     msg(N_("%(locus)s: null allele reported together with %(alleles)s"),
                         locus=locus, alleles=", ".join(alleles)), **where)
        null = False
    elif null:
        sink.info(IssueCode.Y_NULL_ALLELE,
                  msg(N_("%(locus)s: null allele (no product)"), locus=locus), **where)
    duplication = mtype == "Y_STR" and not multi and len(alleles) > 1
    if duplication:
        sink.warning(IssueCode.Y_DUPLICATION,
                     msg(N_("%(locus)s: %(n)d alleles (%(alleles)s) at a single-copy Y marker: "
                            "duplication (or mixture); review"),
                         locus=locus, n=len(alleles), alleles=", ".join(alleles)), **where)
    single = (mtype == "autosomal_STR" and single_peak_possible and len(alleles) == 1
              and values.count(alleles[0]) == 1)
    return LocusCall(locus=locus, marker_type=mtype, alleles=alleles, off_ladder=tuple(off),
                     single_peak=single, null_allele=null, duplication=duplication,
                     raw_name=raw_name or locus, peaks=tuple(peaks))


def finish_profile(
    sample: str,
    calls: Mapping[str, LocusCall],
    sink: IssueSink,
    *,
    kit: Kit | None,
    line: int | None,
    file: str,
    sample_type: SampleType = "sample",
    attributes: Mapping[str, str] | None = None,
    kit_label: str | None = None,
) -> STRProfile:
    """Profile-level checks (mixture, sex markers, kit content, partial) and the record."""
    where = {"line": line, "sample": sample}
    mixture = [k for k, c in calls.items() if c.is_mixture]
    if mixture:
        sink.warning(IssueCode.MIXTURE,
                     msg(N_("more than two alleles at %(n)d autosomal loci (%(loci)s): "
                            "mixture; not importable as a single-source profile unless a lab "
                            "user overrides with a reason"),
                         n=len(mixture), loci=", ".join(mixture)), **where)
    amel = calls.get("Amelogenin")
    sex = sex_from_amelogenin(amel.alleles) if amel else None
    if amel and amel.alleles and "X" not in amel.alleles:
        sink.warning(IssueCode.AMELOGENIN,
                     msg(N_("Amelogenin shows Y without X (AMELX dropout or deletion?): sex "
                            "call M")),
                     locus="Amelogenin", **where)
    y_typed = [k for k, c in calls.items()
               if c.marker_type in ("Y_STR", "Y_indel") and c.alleles]
    if sex == "F" and y_typed:
        sink.warning(IssueCode.SEX_MARKER_CONFLICT,
                     msg(N_("Amelogenin X only (female) but Y markers typed (%(loci)s): AMELY "
                            "deletion, mixture or sample swap; review"),
                         loci=", ".join(y_typed)), **where)
    if kit is not None:
        for k, c in calls.items():
            if not kit.types(k):
                sink.warning(IssueCode.LOCUS_NOT_IN_KIT,
                             msg(N_("locus %(locus)s is not part of kit %(kit)s"), locus=k,
                                 kit=kit.name), locus=c.raw_name,
                             **where)
        expected = kit.autosomal_loci
        if expected:
            typed = [k for k in expected if k in calls and calls[k].typed]
            if 0 < len(typed) < len(expected):
                missing = [k for k in expected if k not in typed]
                sink.info(IssueCode.PARTIAL_PROFILE,
                          msg(N_("partial profile: %(typed)d of %(expected)d autosomal loci "
                                 "of %(kit)s typed (no result: %(missing)s)"),
                              typed=len(typed), expected=len(expected), kit=kit.name,
                              missing=", ".join(missing)), **where)
    if calls and not any(c.typed for c in calls.values()):
        sink.warning(IssueCode.NO_RESULT, msg(N_("no locus has a result")), **where)
    return STRProfile(sample=sample, loci=dict(calls), kit=kit.name if kit else kit_label,
                      sex=sex, sample_type=sample_type, file=file, line=line,
                      attributes=dict(attributes or {}))


def resolve_kit(ref: Reference, names: Iterable[str | None], sink: IssueSink,
                cache: dict[str, Kit | None], *, line: int | None = None,
                sample: str | None = None) -> tuple[Kit | None, str | None]:
    """First resolvable kit among ``names`` (option first, then file values)."""
    label = None
    for name in names:
        if not name or not name.strip():
            continue
        label = label or name.strip()
        if name not in cache:
            cache[name] = ref.find_kit(name)
            if cache[name] is None:
                sink.warning(IssueCode.UNKNOWN_KIT,
                             msg(N_("kit/panel %(kit)r is not a known kit; loci are checked "
                                    "against all known markers only"), kit=name),
                             line=line, sample=sample)
        if cache[name] is not None:
            return cache[name], cache[name].name  # type: ignore[union-attr]
    return None, label
