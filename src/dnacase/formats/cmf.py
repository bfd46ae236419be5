"""CODIS CMF 3.2/3.3 Import XML (``urn:CODISImportFile-schema``).

Parsed with :mod:`xml.parsers.expat` directly so that every element keeps its line number and
so that DTDs, entity declarations and external references are refused outright (the
protections of ``defusedxml``: no billion-laughs, no external entity, no network access).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.parsers import expat

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
from ._text import check_size
from .issues import CMFError, Issue, IssueCode, IssueSink, Msg, ParseResult, msg, sha256_hex
from .records import LocusCall, STRProfile
from .reference import Kit

FORMAT = "codis_cmf"
NAMESPACE = "urn:CODISImportFile-schema"
MAX_ALLELES = 8

#: Loci accepted by CMF 3.2 (2017 core loci and Y markers arrived with 3.3).
CMF32_LOCI = frozenset({
    "Amelogenin", "CSF1PO", "D13S317", "D16S539", "D18S51", "D19S433", "D21S11", "D2S1338",
    "D3S1358", "D5S818", "D7S820", "D8S1179", "FGA", "Penta D", "Penta E", "TH01", "TPOX", "vWA",
})


@dataclass(slots=True)
class _El:
    tag: str
    attrs: dict[str, str]
    line: int
    children: list[_El] = field(default_factory=list)
    text: str = ""

    def child(self, tag: str) -> _El | None:
        return next((c for c in self.children if c.tag == tag), None)

    def child_text(self, tag: str) -> str:
        c = self.child(tag)
        return c.text.strip() if c else ""


class _Forbidden(Exception):
    pass


def _parse_xml(data: bytes, filename: str) -> tuple[_El, str | None]:
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    root: list[_El] = []
    stack: list[_El] = []
    ns: list[str | None] = [None]

    def forbid(what: Msg):  # type: ignore[no-untyped-def]
        def handler(*_args: object) -> None:
            raise _Forbidden(what)
        return handler

    def start(name: str, attrs: dict[str, str]) -> None:
        uri, _, local = name.rpartition(" ")
        el = _El(local, {k.rpartition(" ")[2]: v for k, v in attrs.items()},
                 parser.CurrentLineNumber)
        if stack:
            stack[-1].children.append(el)
        else:
            root.append(el)
            ns[0] = uri or None
        stack.append(el)

    def end(_name: str) -> None:
        stack.pop()

    def chars(text: str) -> None:
        if stack:
            stack[-1].text += text

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.StartDoctypeDeclHandler = forbid(msg(N_("a DTD (<!DOCTYPE>)")))
    parser.EntityDeclHandler = forbid(msg(N_("an entity declaration")))
    parser.UnparsedEntityDeclHandler = forbid(msg(N_("an unparsed entity")))
    parser.ExternalEntityRefHandler = forbid(msg(N_("an external entity reference")))
    parser.NotationDeclHandler = forbid(msg(N_("a notation declaration")))
    try:
        parser.Parse(data, True)
    except _Forbidden as exc:
        raise CMFError(Issue.of("error", IssueCode.XML_FORBIDDEN,
                                msg(N_("XML contains %(what)s; refused for safety (CMF files "
                                       "need none)"), what=exc.args[0]),
                                filename, parser.CurrentLineNumber)) from None
    except expat.ExpatError as exc:
        at_end = exc.lineno >= data.rstrip().count(b"\n") + 1
        if at_end and ("no element found" in str(exc) or "unclosed token" in str(exc)):
            raise CMFError(Issue.of("error", IssueCode.TRUNCATED,
                                    msg(N_("XML ends before the document is complete: the file "
                                           "is truncated; export it again")),
                                    filename, exc.lineno)) from None
        raise CMFError(Issue.of("error", IssueCode.XML_MALFORMED,
                                msg(N_("malformed XML: %(error)s (column %(column)d)"),
                                    error=expat.ErrorString(exc.code), column=exc.offset),
                                filename, exc.lineno)) from None
    except RecursionError:
        raise CMFError(Issue.of("error", IssueCode.XML_MALFORMED,
                                msg(N_("XML nested too deeply")), filename)) from None
    if not root:
        raise CMFError(Issue.of("error", IssueCode.EMPTY_FILE, msg(N_("no XML element")),
                                filename))
    return root[0], ns[0]


def parse_cmf(
    data: bytes, filename: str, options: ParseOptions | None = None
) -> ParseResult[STRProfile]:
    """Parse a CODIS CMF Import XML file into one :class:`STRProfile` per ``SPECIMEN``.

    ``attributes`` carry ``specimen_category``, ``case_id``, ``source_id``, ``partial``,
    ``comment`` and ``cmf_version``. A locus with one ``ALLELE`` is reported with
    ``single_peak`` set (CMF cannot say whether it is a homozygote or a dropout).
    Raises :class:`CMFError` for oversize, malformed, truncated or unsafe XML, or a root
    element that is not ``CODISImportFile``.
    """
    opts = options or DEFAULT_OPTIONS
    if not isinstance(data, bytes | bytearray | memoryview):
        raise CMFError(Issue.of("error", IssueCode.NOT_THIS_FORMAT,
                                msg(N_("expected the raw bytes of a file")), filename))
    data = bytes(data)
    check_size(data, filename, CMFError, opts.max_bytes)
    if not data.strip():
        raise CMFError(Issue.of("error", IssueCode.EMPTY_FILE, msg(N_("file is empty")),
                                filename))
    root, ns = _parse_xml(data, filename)
    if root.tag != "CODISImportFile":
        text = (N_("root element is <%(tag)s>, not <CODISImportFile> (CODIS Rapid Import "
                   "files are not supported)") if root.tag == "CODISRapidImportFile"
                else N_("root element is <%(tag)s>, not <CODISImportFile>"))
        raise CMFError(Issue.of("error", IssueCode.NOT_THIS_FORMAT, msg(text, tag=root.tag),
                                filename, root.line))
    sink = IssueSink(filename)
    if ns not in (None, NAMESPACE):
        sink.warning(IssueCode.NOT_THIS_FORMAT,
                     f"unexpected XML namespace {ns!r} (expected {NAMESPACE})", line=root.line)
    version = root.child_text("HEADERVERSION")
    if version not in ("3.2", "3.3"):
        sink.warning(IssueCode.CMF_VERSION,
                     f"HEADERVERSION {version!r}: only CMF 3.2 and 3.3 are known; read as 3.3",
                     line=root.line)
    ref = opts.ref
    resolver = LocusResolver(ref, sink, opts.unknown_locus)
    kit_cache: dict[str, Kit | None] = {}
    file_kit = root.child_text("KIT")
    records: list[STRProfile] = []
    seen: dict[str, int] = {}
    for spec in (c for c in root.children if c.tag == "SPECIMEN"):
        sample = clean_name(spec.child_text("SPECIMENID"))
        if not sample:
            sink.error(IssueCode.MISSING_SAMPLE_NAME, msg(N_("SPECIMEN without SPECIMENID")),
                       line=spec.line)
            continue
        if sample in seen:
            sink.error(IssueCode.DUPLICATE_SAMPLE,
                       msg(N_("specimen %(sample)r appears twice (first at line %(line)d)"),
                           sample=sample, line=seen[sample]),
                       line=spec.line, sample=sample)
            continue
        seen[sample] = spec.line
        locus_kits = [loc.attrs.get("KIT") for loc in spec.children if loc.tag == "LOCUS"]
        kit, kit_label = resolve_kit(ref, [opts.kit, *locus_kits, file_kit], sink, kit_cache,
                                     line=spec.line, sample=sample)
        calls: dict[str, LocusCall] = {}
        for loc in (c for c in spec.children if c.tag == "LOCUS"):
            raw_name = loc.child_text("LOCUSNAME")
            locus = resolver.resolve(raw_name, line=loc.line, sample=sample)
            if locus is None:
                continue
            if version == "3.2" and locus not in CMF32_LOCI:
                sink.warning(IssueCode.CMF_VERSION,
                             msg(N_("locus %(locus)s is not valid in CMF 3.2"), locus=locus),
                             line=loc.line, sample=sample, locus=raw_name)
            if locus in calls:
                sink.error(IssueCode.DUPLICATE_LOCUS,
                           msg(N_("locus %(locus)s appears twice"), locus=locus),
                           line=loc.line, sample=sample, locus=raw_name)
                continue
            values = [a.child_text("ALLELEVALUE") for a in loc.children if a.tag == "ALLELE"]
            if len(values) > MAX_ALLELES:
                sink.error(IssueCode.TOO_MANY_ALLELES,
                           msg(N_("%(n)d alleles at %(locus)s; CMF allows at most %(max)d"),
                               n=len(values), locus=locus, max=MAX_ALLELES),
                           line=loc.line, sample=sample, locus=raw_name)
            empty = [v for v in values if not v]
            if empty:
                sink.error(IssueCode.INVALID_ALLELE,
                           msg(N_("%(locus)s: empty ALLELEVALUE"), locus=locus),
                           line=loc.line, sample=sample, locus=raw_name)
            mtype = (kit.marker(locus).marker_type if kit and kit.marker(locus)
                     else ref.marker_type(locus))
            if mtype == "unknown":
                mtype = "autosomal_STR"
            calls[locus] = build_call(locus, mtype, [v for v in values if v], sink,
                                      line=loc.line, sample=sample, raw_name=raw_name)
        attrs = {
            "specimen_category": spec.child_text("SPECIMENCATEGORY"),
            "case_id": spec.attrs.get("CASEID", ""),
            "source_id": spec.attrs.get("SOURCEID", ""),
            "partial": "true" if spec.attrs.get("PARTIAL", "").lower() == "true" else "false",
            "comment": spec.child_text("SPECIMENCOMMENT"),
            "cmf_version": version,
            "source_lab": root.child_text("SOURCELAB"),
            "batch_id": root.child_text("BATCHID"),
        }
        records.append(finish_profile(sample, calls, sink, kit=kit, line=spec.line,
                                      file=filename, attributes=attrs, kit_label=kit_label))
    if not records and not sink.has_errors():
        sink.warning(IssueCode.NO_SAMPLES, msg(N_("file contains no SPECIMEN")))
    return ParseResult(FORMAT, filename, sha256_hex(data), records, sink.finish(), "xml")

