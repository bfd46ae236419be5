"""Lab files in, typed records and row-level issues out (pure: stdlib, numpy, scikit-allel).

Every parser has the signature ``parse_x(data: bytes, filename: str, options=None)`` and
returns a :class:`ParseResult` (``records``, ``issues``, ``sha256``, ``ok``). Bad content is
reported as :class:`Issue` (severity ``error``/``warning``/``info``, stable ``code``, file,
line, sample, locus); an unreadable file raises the format's own :class:`FormatError`
subclass. :func:`parse_file` detects the format and never raises.

Records: :class:`STRProfile` (autosomal and Y-STR, loci -> :class:`LocusCall`),
:class:`MtHaplotype`, :class:`SNPProfile`. Reference data: :func:`canonical_locus`,
:func:`find_kit`, :func:`load_kits`, :func:`load_frequency_table`,
:func:`import_frequency_table`, :func:`load_mutation_rates`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from dnacase.domain.errors import N_

from ._strbuild import ParseOptions
from ._text import sniff_text
from .alleles import (
    InvalidAllele,
    allele_sort_key,
    is_off_ladder,
    is_open_ended,
    normalise_allele,
    sex_from_amelogenin,
    sort_alleles,
)
from .cmf import parse_cmf
from .frequencies import (
    DEFAULT_TABLE_ID,
    DEFAULT_TABLE_IDS,
    FrequencyImport,
    FrequencyTable,
    FrequencyTableInfo,
    default_frequency_tables,
    import_frequency_table,
    list_frequency_tables,
    load_frequency_table,
)
from .genemapper import parse_genemapper
from .issues import (
    DEFAULT_MAX_BYTES,
    CMFError,
    FamiliasError,
    FormatError,
    FrequencyTableError,
    GeneMapperError,
    Issue,
    IssueCode,
    JSONProfileError,
    Msg,
    MtDNAError,
    ParseResult,
    Severity,
    VCFError,
    WideTableError,
    YSTRError,
    msg,
    sha256_hex,
)
from .jsonprofile import (
    PROFILE_SCHEMA,
    parse_json_profiles,
    profile_to_dict,
    schema_text,
    write_json_profiles,
)
from .mtdna import (
    InvalidVariant,
    normalise_mt_variant,
    normalise_mt_variants,
    parse_empop,
    parse_haplogrep,
    parse_mt_range,
)
from .records import LocusCall, MtHaplotype, Peak, SNPProfile, SNPVariants, STRProfile
from .reference import (
    MULTI_COPY_Y,
    Kit,
    KitMarker,
    MarkerType,
    MutationRateTable,
    Reference,
    canonical_locus,
    default_reference,
    find_kit,
    load_core_locus_sets,
    load_kits,
    load_mutation_rate_observations,
    load_mutation_rates,
    locus_key,
    marker_type,
)
from .vcf import normalise_chrom, parse_vcf
from .wide import parse_familias_case, parse_wide_table, parse_ystr_table

Parser = Callable[[bytes, str, ParseOptions | None], ParseResult[Any]]

#: Format id -> parser. Ids are the ``ParseResult.format`` values.
PARSERS: dict[str, Parser] = {
    "genemapper": parse_genemapper,
    "wide_table": parse_wide_table,
    "familias_case": parse_familias_case,
    "ystr_table": parse_ystr_table,
    "codis_cmf": parse_cmf,
    "empop": parse_empop,
    "haplogrep": parse_haplogrep,
    "vcf": parse_vcf,
    "dnacase_json": parse_json_profiles,
}


def detect_format(data: bytes, filename: str) -> str | None:
    """Best guess of the format id from the file name and the first bytes (``None``: unknown).

    The bytes are decoded first (:func:`sniff_text`: UTF-16 with or without byte-order mark,
    UTF-8 with or without BOM, Windows-1252), so a UTF-16 export is recognised like a UTF-8 one.
    """
    name = filename.lower()
    text_head = sniff_text(bytes(data[:4096]))[0].lstrip(" \t\r\n")
    if name.endswith((".vcf", ".vcf.gz", ".vcf.bgz")) or text_head.startswith("##fileformat=VCF"):
        return "vcf"
    if name.endswith(".emp"):
        return "empop"
    if name.endswith(".hsd"):
        return "haplogrep"
    if name.endswith(".json") or text_head.startswith("{"):
        return "dnacase_json"
    if name.endswith(".xml") or text_head.startswith("<"):
        return "codis_cmf"
    first = text_head.splitlines()[0] if text_head else ""
    low = first.lower()
    if "\t" in first and "sample name" in low and "marker" in low:
        return "genemapper"
    if first.startswith("#!") or "\n#!" in text_head:
        return "empop"
    if low.startswith("id\trange"):
        return "haplogrep"
    if "\t" in first and low.split("\t")[1:2] == ["amel1"]:
        return "familias_case"
    cells = [c.strip().upper() for c in first.replace(";", ",").replace("\t", ",").split(",")]
    if cells[0] in ("ALLELE", "LOCUS", "MARKER"):
        return None  # a frequency table, not profiles: see import_frequency_table
    loci = [c for c in cells if c[:1] == "D" or c.startswith(("CSF", "TH0", "FGA", "VWA", "TPOX",
                                                              "YGATA", "PENTA", "SE33"))]
    if loci and all(c.startswith(("DYS", "DYF", "YGATA")) for c in loci):
        return "ystr_table"
    if loci:
        return "wide_table"
    return None


def parse_file(data: bytes, filename: str, format: str | None = None,
               options: ParseOptions | None = None) -> ParseResult[Any]:
    """Parse with the given or detected format; never raises.

    A file that cannot be read (or whose format is unknown) gives a result with no records and
    the refusing ``error`` issue, so a validation report can always be shown.
    """
    fmt = format or detect_format(data, filename)
    digest = sha256_hex(bytes(data)) if isinstance(data, bytes | bytearray | memoryview) else ""
    if fmt not in PARSERS:
        known = ", ".join(PARSERS)
        return ParseResult(fmt or "unknown", filename, digest, [], [Issue.of(
            "error", IssueCode.NOT_THIS_FORMAT,
            msg(N_("unrecognised file format %(format)r; known: %(known)s"), format=fmt,
                known=known) if fmt else
            msg(N_("unrecognised file format; known: %(known)s"), known=known), filename)])
    try:
        result = PARSERS[fmt](data, filename, options)
    except FormatError as exc:
        return ParseResult(fmt, filename, digest, [], [exc.issue])
    return _refuse_without_samples(result, data)


def _refuse_without_samples(result: ParseResult[Any], data: bytes) -> ParseResult[Any]:
    """A file that parsed but holds no sample is refused (an import of nothing is a mistake:
    a truncated export, the wrong file). The parser's own "no samples" warning becomes the
    error; a file of one line says it has only its header."""
    if result.records or not result.ok:
        return result
    text = sniff_text(bytes(data[:65536]))[0]
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if len(lines) <= 1 and len(data) <= 65536:
        cause = msg(N_("the file has only its header line and no sample rows: nothing to "
                       "import"))
    else:
        cause = msg(N_("the file contains no sample: nothing to import"))
    kept = [i for i in result.issues if i.code != IssueCode.NO_SAMPLES]
    given = [i for i in result.issues if i.code == IssueCode.NO_SAMPLES]
    error = Issue.of("error", IssueCode.NO_SAMPLES, cause, result.file)
    if given and len(lines) > 1:
        error = dataclasses.replace(given[0], severity="error")
    result.issues = [error, *kept]
    return result


__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_TABLE_ID",
    "DEFAULT_TABLE_IDS",
    "MULTI_COPY_Y",
    "PARSERS",
    "PROFILE_SCHEMA",
    "CMFError",
    "FamiliasError",
    "FormatError",
    "FrequencyImport",
    "FrequencyTable",
    "FrequencyTableError",
    "FrequencyTableInfo",
    "GeneMapperError",
    "InvalidAllele",
    "InvalidVariant",
    "Issue",
    "IssueCode",
    "JSONProfileError",
    "Kit",
    "KitMarker",
    "LocusCall",
    "MarkerType",
    "Msg",
    "MtDNAError",
    "MtHaplotype",
    "MutationRateTable",
    "ParseOptions",
    "ParseResult",
    "Peak",
    "Reference",
    "SNPProfile",
    "SNPVariants",
    "STRProfile",
    "Severity",
    "VCFError",
    "WideTableError",
    "YSTRError",
    "allele_sort_key",
    "canonical_locus",
    "default_frequency_tables",
    "default_reference",
    "detect_format",
    "find_kit",
    "import_frequency_table",
    "is_off_ladder",
    "is_open_ended",
    "list_frequency_tables",
    "load_core_locus_sets",
    "load_frequency_table",
    "load_kits",
    "load_mutation_rate_observations",
    "load_mutation_rates",
    "locus_key",
    "marker_type",
    "normalise_allele",
    "normalise_chrom",
    "normalise_mt_variant",
    "normalise_mt_variants",
    "parse_cmf",
    "parse_empop",
    "parse_familias_case",
    "parse_file",
    "parse_genemapper",
    "parse_haplogrep",
    "parse_json_profiles",
    "parse_mt_range",
    "parse_vcf",
    "parse_wide_table",
    "parse_ystr_table",
    "profile_to_dict",
    "schema_text",
    "sex_from_amelogenin",
    "sort_alleles",
    "write_json_profiles",
]
