"""dnacase's own JSON profile format: reader, writer and its JSON Schema.

The schema (:data:`PROFILE_SCHEMA`) is published as ``schemas/profile.schema.json``; a test
keeps that file identical to this dict. The reader does not need a schema library: it checks
the same rules itself and reports them per profile and locus. Document shape::

    {"format": "dnacase-profile", "version": 1,
     "profiles": [
       {"type": "str", "sample": "VN17-UHR-B01", "kit": "GlobalFiler", "sex": "M",
        "sample_type": "sample",
        "loci": {"FGA": {"alleles": ["23"], "single_peak": true},
                 "D21S11": {"alleles": ["31", "31.2"], "off_ladder": ["216.40"]}},
        "attributes": {"panel": "GlobalFiler_Panel_v1X"}},
       {"type": "mtdna", "sample": "VN17-UHR-B01", "ranges": [[16024, 16365], [73, 340]],
        "variants": ["73G", "16093Y"], "haplogroup": null}]}

Alleles are JSON strings, never numbers (``"9.3"``, not ``9.3``).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from typing import Any, NoReturn

from dnacase.domain.errors import N_

from ._strbuild import DEFAULT_OPTIONS, LocusResolver, ParseOptions, build_call, finish_profile
from ._text import check_size
from .alleles import sex_from_amelogenin
from .issues import (
    Issue,
    IssueCode,
    IssueSink,
    JSONProfileError,
    Msg,
    ParseResult,
    msg,
    sha256_hex,
)
from .mtdna import InvalidRange, InvalidVariant, normalise_mt_variants, parse_mt_range
from .records import LocusCall, MtHaplotype, STRProfile

FORMAT = "dnacase_json"
FORMAT_TAG = "dnacase-profile"
VERSION = 1
SCHEMA_ID = "https://github.com/dnacase/dnacase/schemas/profile.schema.json"

_ALLELE_PATTERN = r"^(?:[<>]?[1-9][0-9]{0,2}(?:\.[1-9])?|0|X|Y)$"
_VARIANT_PATTERN = r"^[1-9][0-9]{0,4}(?:\.[1-9][0-9]?[ACGTRYMKSWBDHVN]|[ACGTRYMKSWBDHVN]|DEL)$"

PROFILE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": SCHEMA_ID,
    "title": "dnacase profile file",
    "description": "DNA profiles exchanged with dnacase. Alleles are strings as designated "
                   "(\"9.3\", never 9.3). A locus absent from 'loci' was not reported; a locus "
                   "with an empty allele list had no result.",
    "type": "object",
    "required": ["format", "version", "profiles"],
    "additionalProperties": False,
    "properties": {
        "$schema": {"type": "string"},
        "format": {"const": FORMAT_TAG},
        "version": {"const": VERSION},
        "generator": {"type": "string"},
        "profiles": {
            "type": "array",
            "items": {"oneOf": [{"$ref": "#/$defs/strProfile"}, {"$ref": "#/$defs/mtProfile"}]},
        },
    },
    "$defs": {
        "allele": {"type": "string", "pattern": _ALLELE_PATTERN},
        "attributes": {"type": "object", "additionalProperties": {"type": "string"}},
        "locusCall": {
            "type": "object",
            "required": ["alleles"],
            "additionalProperties": False,
            "properties": {
                "alleles": {"type": "array", "items": {"$ref": "#/$defs/allele"},
                            "maxItems": 20},
                "single_peak": {"type": "boolean", "default": False,
                                "description": "one allele seen, not written twice: "
                                               "homozygote or dropout"},
                "off_ladder": {"type": "array", "items": {"type": "string"},
                               "description": "one entry per OL peak: size in bp or ''"},
                "null_allele": {"type": "boolean", "default": False},
                "duplication": {"type": "boolean", "default": False},
            },
        },
        "strProfile": {
            "type": "object",
            "required": ["type", "sample", "loci"],
            "additionalProperties": False,
            "properties": {
                "type": {"const": "str"},
                "sample": {"type": "string", "minLength": 1, "maxLength": 200},
                "kit": {"type": ["string", "null"]},
                "sex": {"enum": ["M", "F", None]},
                "sample_type": {"enum": ["sample", "positive_control", "negative_control",
                                         "ladder"]},
                "loci": {"type": "object",
                         "additionalProperties": {"$ref": "#/$defs/locusCall"}},
                "attributes": {"$ref": "#/$defs/attributes"},
            },
        },
        "mtProfile": {
            "type": "object",
            "required": ["type", "sample", "ranges", "variants"],
            "additionalProperties": False,
            "properties": {
                "type": {"const": "mtdna"},
                "sample": {"type": "string", "minLength": 1, "maxLength": 200},
                "ranges": {"type": "array", "minItems": 1,
                           "items": {"type": "array", "prefixItems": [
                               {"type": "integer", "minimum": 1, "maximum": 16569},
                               {"type": "integer", "minimum": 1, "maximum": 16569}],
                               "minItems": 2, "maxItems": 2}},
                "variants": {"type": "array",
                             "items": {"type": "string", "pattern": _VARIANT_PATTERN}},
                "haplogroup": {"type": ["string", "null"]},
                "attributes": {"$ref": "#/$defs/attributes"},
            },
        },
    },
}


def schema_text() -> str:
    """The schema as published in ``schemas/profile.schema.json`` (2-space indent, newline)."""
    return json.dumps(PROFILE_SCHEMA, indent=2, ensure_ascii=False) + "\n"


def profile_to_dict(record: STRProfile | MtHaplotype) -> dict[str, Any]:
    """JSON-able dict of one record (defaults omitted for compactness)."""
    if isinstance(record, MtHaplotype):
        return {"type": "mtdna", "sample": record.sample,
                "ranges": [list(r) for r in record.ranges], "variants": list(record.variants),
                "haplogroup": record.haplogroup}
    loci: dict[str, Any] = {}
    for name, c in record.loci.items():
        d: dict[str, Any] = {"alleles": list(c.alleles)}
        if c.single_peak:
            d["single_peak"] = True
        if c.off_ladder:
            d["off_ladder"] = list(c.off_ladder)
        if c.null_allele:
            d["null_allele"] = True
        if c.duplication:
            d["duplication"] = True
        loci[name] = d
    out: dict[str, Any] = {"type": "str", "sample": record.sample, "kit": record.kit,
                           "sex": record.sex, "sample_type": record.sample_type, "loci": loci}
    attrs = {k: v for k, v in record.attributes.items() if isinstance(v, str)}
    if attrs:
        out["attributes"] = attrs
    return out


def write_json_profiles(records: Iterable[STRProfile | MtHaplotype],
                        generator: str = "dnacase") -> bytes:
    """Serialise records to the dnacase JSON profile format (UTF-8 bytes)."""
    doc = {"format": FORMAT_TAG, "version": VERSION, "generator": generator,
           "profiles": [profile_to_dict(r) for r in records]}
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


#: "profiles[3]: <problem>": the same in every language (not in the catalogue); ``problem`` is
#: a nested :class:`Msg`, translated on its own.
_WHERE_PREFIXED = "%(where)s: %(problem)s"


def _fail(filename: str, code: IssueCode, message: Msg, line: int | None = None) -> NoReturn:
    raise JSONProfileError(Issue.of("error", code, message, filename, line))


def parse_json_profiles(
    data: bytes, filename: str, options: ParseOptions | None = None
) -> ParseResult[STRProfile | MtHaplotype]:
    """Read a dnacase JSON profile file (the inverse of :func:`write_json_profiles`).

    Raises :class:`JSONProfileError` for oversize, non-UTF-8, invalid JSON or a document that
    is not a dnacase profile file; structural and allele problems of single profiles are
    issues naming the profile (``profiles[i]``), sample and locus.
    """
    opts = options or DEFAULT_OPTIONS
    if not isinstance(data, bytes | bytearray | memoryview):
        _fail(filename, IssueCode.NOT_THIS_FORMAT, msg(N_("expected the raw bytes of a file")))
    raw = bytes(data)
    check_size(raw, filename, JSONProfileError, opts.max_bytes)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        _fail(filename, IssueCode.ENCODING,
              msg(N_("JSON must be UTF-8 (bad byte at offset %(offset)d)"), offset=exc.start),
              raw.count(b"\n", 0, exc.start) + 1)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        code = IssueCode.TRUNCATED if exc.pos >= len(text.rstrip()) else IssueCode.NOT_THIS_FORMAT
        template = (
            N_("invalid JSON: %(error)s (column %(column)d); the file looks truncated")
            if code == IssueCode.TRUNCATED
            else N_("invalid JSON: %(error)s (column %(column)d)")
        )
        _fail(filename, code, msg(template, error=exc.msg, column=exc.colno), exc.lineno)
    except RecursionError:
        _fail(filename, IssueCode.NOT_THIS_FORMAT, msg(N_("JSON nested too deeply")))
    if not isinstance(doc, dict) or doc.get("format") != FORMAT_TAG:
        _fail(filename, IssueCode.NOT_THIS_FORMAT,
              msg(N_("not a dnacase profile file (expected \"format\": \"%(tag)s\")"),
                  tag=FORMAT_TAG))
    if doc.get("version") != VERSION:
        _fail(filename, IssueCode.UNSUPPORTED_VERSION,
              msg(N_("unsupported version %(version)r; this dnacase reads version %(ours)s"),
                  version=doc.get("version"), ours=VERSION))
    profiles = doc.get("profiles")
    if not isinstance(profiles, list):
        _fail(filename, IssueCode.JSON_SCHEMA, msg(N_("\"profiles\" must be a list")))
    sink = IssueSink(filename)
    for key in doc:
        if key not in PROFILE_SCHEMA["properties"]:
            sink.error(IssueCode.JSON_SCHEMA, msg(N_("unknown top-level key %(key)r"), key=key))
    ref = opts.ref
    resolver = LocusResolver(ref, sink, opts.unknown_locus)
    records: list[STRProfile | MtHaplotype] = []
    seen: dict[tuple[str, str, str], int] = {}
    for i, p in enumerate(profiles):  # type: ignore[union-attr]
        where = f"profiles[{i}]"
        if not isinstance(p, dict):
            sink.error(IssueCode.JSON_SCHEMA, msg(N_("%(where)s is not an object"), where=where))
            continue
        sample = p.get("sample")
        if not isinstance(sample, str) or not sample.strip():
            sink.error(IssueCode.MISSING_SAMPLE_NAME, msg(N_("%(where)s has no \"sample\" string"),
                                                              where=where))
            continue
        kind = p.get("type")
        key = (str(kind), sample, str(p.get("kit")))  # one profile per sample and kit
        if key in seen:
            sink.error(IssueCode.DUPLICATE_SAMPLE,
                       msg(N_("%(where)s: sample %(sample)r already given as profiles[%(first)s]"),
                           where=where, sample=sample, first=seen[key]),
                       sample=sample)
            continue
        seen[key] = i
        attrs = p.get("attributes", {})
        if not isinstance(attrs, dict) or not all(isinstance(v, str) for v in attrs.values()):
            sink.error(IssueCode.JSON_SCHEMA,
                       msg(N_("%(where)s: attributes must map names to strings"), where=where),
                       sample=sample)
            attrs = {}
        if kind == "mtdna":
            rec = _read_mt(p, where, sample, sink, filename)
        elif kind == "str":
            rec = _read_str(p, where, sample, sink, filename, resolver, attrs)
        else:
            sink.error(IssueCode.JSON_SCHEMA,
                       msg(N_("%(where)s: \"type\" must be \"str\" or \"mtdna\""), where=where),
                       sample=sample)
            continue
        if rec is not None:
            records.append(rec)
    return ParseResult(FORMAT, filename, sha256_hex(raw), records, sink.finish(), "utf-8")


def _unknown_keys(p: dict[str, Any], allowed: set[str], where: str, sample: str,
                  sink: IssueSink, locus: str | None = None) -> None:
    for k in p:
        if k not in allowed:
            sink.error(IssueCode.JSON_SCHEMA,
                       msg(N_("%(where)s: unknown key %(key)r"), where=where, key=k),
                       sample=sample,
                       locus=locus)


def _read_mt(p: dict[str, Any], where: str, sample: str, sink: IssueSink,
             filename: str) -> MtHaplotype | None:
    _unknown_keys(p, set(PROFILE_SCHEMA["$defs"]["mtProfile"]["properties"]), where, sample,
                  sink)
    ranges_raw, variants_raw = p.get("ranges"), p.get("variants")
    try:
        if not isinstance(ranges_raw, list) or not ranges_raw:
            raise InvalidRange(msg(N_("no ranges given")))
        ranges = parse_mt_range(";".join(
            f"{int(a)}-{int(b)}" for a, b in ranges_raw
            if isinstance(a, int) and isinstance(b, int) and a <= b) or "x")
        if len(ranges) != len(ranges_raw):
            raise InvalidRange(msg(N_("each range must be [start, end] with start <= end")))
    except InvalidRange as exc:
        sink.error(IssueCode.MT_RANGE, msg(N_("%(where)s: bad \"ranges\" (%(problem)s)"),
                                           where=where, problem=exc.msg), sample=sample)
        return None
    except (ValueError, TypeError):
        sink.error(IssueCode.MT_RANGE, msg(N_("%(where)s: bad \"ranges\" (%(problem)s)"),
                                           where=where, problem=msg(N_(
                                               "each range must be [start, end] with start <= end"
                                           ))), sample=sample)
        return None
    if not isinstance(variants_raw, list) or not all(isinstance(v, str) for v in variants_raw):
        sink.error(IssueCode.JSON_SCHEMA,
                   msg(N_("%(where)s: \"variants\" must be a list of strings"), where=where),
                   sample=sample)
        return None
    variants = []
    for v in variants_raw:
        try:
            variants.extend(normalise_mt_variants(v))
        except InvalidVariant as exc:
            sink.error(IssueCode.MT_VARIANT, msg(_WHERE_PREFIXED, where=where, problem=exc.msg),
                       sample=sample, locus=v)
    hg = p.get("haplogroup")
    return MtHaplotype(sample=sample.strip(), variants=tuple(variants), ranges=ranges,
                       haplogroup=hg if isinstance(hg, str) and hg else None, file=filename)


def _read_str(p: dict[str, Any], where: str, sample: str, sink: IssueSink, filename: str,
              resolver: LocusResolver, attrs: dict[str, str]) -> STRProfile | None:
    _unknown_keys(p, set(PROFILE_SCHEMA["$defs"]["strProfile"]["properties"]), where, sample,
                  sink)
    loci_raw = p.get("loci")
    if not isinstance(loci_raw, dict):
        sink.error(IssueCode.JSON_SCHEMA, msg(N_("%(where)s: \"loci\" must be an object"),
                                                   where=where), sample=sample)
        return None
    ref = resolver.ref
    kit_name = p.get("kit")
    kit = ref.find_kit(kit_name) if isinstance(kit_name, str) and kit_name else None
    if isinstance(kit_name, str) and kit_name and kit is None:
        sink.warning(IssueCode.UNKNOWN_KIT, msg(N_("%(where)s: kit %(kit)r is not a known kit"),
                                                     where=where, kit=kit_name),
                     sample=sample)
    calls: dict[str, LocusCall] = {}
    allowed = set(PROFILE_SCHEMA["$defs"]["locusCall"]["properties"])
    for name, c in loci_raw.items():
        locus = resolver.resolve(name, line=None, sample=sample)
        if locus is None:
            continue
        if locus in calls:
            sink.error(IssueCode.DUPLICATE_LOCUS, msg(N_("%(where)s: locus %(locus)s given twice"),
                                                          where=where, locus=locus),
                       sample=sample, locus=name)
            continue
        if not isinstance(c, dict) or not isinstance(c.get("alleles"), list) or not all(
                isinstance(a, str) for a in c["alleles"]):
            sink.error(IssueCode.JSON_SCHEMA,
                       msg(N_("%(where)s: locus %(locus)s: \"alleles\" must be a list of "
                              "strings (write \"9.3\", not 9.3)"), where=where, locus=name),
                       sample=sample, locus=name)
            continue
        _unknown_keys(c, allowed, where, sample, sink, name)
        mtype = ref.marker_type(locus)
        if mtype == "unknown":
            mtype = "autosomal_STR"
        call = build_call(locus, mtype, c["alleles"], sink, line=None, sample=sample,
                          raw_name=name)
        off = c.get("off_ladder", [])
        if not isinstance(off, list) or not all(isinstance(x, str) for x in off):
            sink.error(IssueCode.JSON_SCHEMA, msg(N_("%(where)s: locus %(locus)s: \"off_ladder\" "
                                                          "must be a list of strings"),
                                                       where=where, locus=name),
                       sample=sample, locus=name)
            off = []
        flags = {k: c.get(k, False) for k in ("single_peak", "null_allele", "duplication")}
        if not all(isinstance(v, bool) for v in flags.values()):
            sink.error(IssueCode.JSON_SCHEMA, msg(N_("%(where)s: locus %(locus)s: flags must be "
                                                          "true or false"),
                                                       where=where, locus=name),
                       sample=sample, locus=name)
            flags = {k: False for k in flags}
        calls[locus] = dataclasses.replace(
            call, off_ladder=call.off_ladder + tuple(off),
            single_peak=bool(flags["single_peak"]) and len(call.alleles) == 1,
            null_allele=call.null_allele or bool(flags["null_allele"]),
            duplication=call.duplication or bool(flags["duplication"]))
    stype = p.get("sample_type", "sample")
    if stype not in ("sample", "positive_control", "negative_control", "ladder"):
        sink.error(IssueCode.JSON_SCHEMA, msg(N_("%(where)s: unknown sample_type %(type)r"),
                                                   where=where, type=stype),
                   sample=sample)
        stype = "sample"
    prof = finish_profile(sample.strip(), calls, sink, kit=kit, line=None,
                          file=filename, sample_type=stype, attributes=attrs,
                          kit_label=kit_name if isinstance(kit_name, str) else None)
    sex = p.get("sex")
    amel = calls.get("Amelogenin")
    derived = sex_from_amelogenin(amel.alleles) if amel else None
    if sex not in ("M", "F", None):
        sink.error(IssueCode.JSON_SCHEMA, msg(N_("%(where)s: sex must be \"M\", \"F\" or null"),
                                                   where=where),
                   sample=sample)
    elif sex is not None and derived is not None and sex != derived:
        sink.warning(IssueCode.AMELOGENIN,
                     msg(N_("%(where)s: stored sex %(sex)s disagrees with Amelogenin "
                            "(%(derived)s)"), where=where, sex=sex, derived=derived),
                     sample=sample, locus="Amelogenin")
    if sex in ("M", "F") and derived is None:
        prof = dataclasses.replace(prof, sex=sex)
    return prof
