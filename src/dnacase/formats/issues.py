"""Row-level issues, parse results and the error types of every format.

Contract of every parser in :mod:`dnacase.formats`:

* bytes in, :class:`ParseResult` out; bad *content* (an allele ``abc``, an unknown locus, a
  duplicate sample) becomes an :class:`Issue` with severity ``error`` or ``warning`` naming the
  file, line, sample and locus; the records that could be read are still returned, so a
  validation report can list every problem at once;
* a file that cannot be read at all (too large, wrong encoding, wrong delimiter, missing
  columns, malformed or unsafe XML, truncated) raises the format's own subclass of
  :class:`FormatError`, whose :attr:`FormatError.issue` carries the same fields;
* nothing else is ever raised (property-tested with random bytes).

A caller commits only when :attr:`ParseResult.ok` is true (no ``error`` issue).

Messages: an issue's :attr:`Issue.message` is English. Parsers build it from a :class:`Msg` (an
English catalogue message id with ``%(name)s`` placeholders, marked with ``N_`` for
extraction, plus its parameters), kept on the issue as :attr:`Issue.message_id` and
:attr:`Issue.params`; the service/web layer renders it in the user's language with
:meth:`Issue.translated`. This layer never translates by itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, Literal, TypeVar

from dnacase.domain.errors import N_

Severity = Literal["error", "warning", "info"]

#: Default refusal threshold for an uploaded file, in bytes (50 MiB).
DEFAULT_MAX_BYTES = 50 * 1024 * 1024


class IssueCode(StrEnum):
    """Stable machine-readable issue codes (safe to store and to translate by code)."""

    FILE_TOO_LARGE = "file_too_large"
    EMPTY_FILE = "empty_file"
    ENCODING = "encoding"
    BINARY_FILE = "binary_file"
    ENCODING_FALLBACK = "encoding_fallback"
    WRONG_DELIMITER = "wrong_delimiter"
    MISSING_COLUMN = "missing_column"
    DUPLICATE_COLUMN = "duplicate_column"
    TRUNCATED = "truncated"
    ROW_LENGTH = "row_length"
    NOT_THIS_FORMAT = "not_this_format"
    UNKNOWN_LOCUS = "unknown_locus"
    LOCUS_NOT_IN_KIT = "locus_not_in_kit"
    UNKNOWN_KIT = "unknown_kit"
    INVALID_ALLELE = "invalid_allele"
    SPREADSHEET_DATE = "spreadsheet_date"
    AMBIGUOUS_DECIMAL_COMMA = "ambiguous_decimal_comma"
    OFF_LADDER = "off_ladder"
    OPEN_ENDED_ALLELE = "open_ended_allele"
    ALLELE_COLUMNS_FULL = "allele_columns_full"
    TOO_MANY_ALLELES = "too_many_alleles"
    MIXTURE = "mixture"
    DUPLICATE_SAMPLE = "duplicate_sample"
    DUPLICATE_LOCUS = "duplicate_locus"
    MISSING_SAMPLE_NAME = "missing_sample_name"
    CONTROL_SKIPPED = "control_skipped"
    CONTROL_NOT_CLEAN = "control_not_clean"
    AMELOGENIN = "amelogenin"
    SEX_MARKER_CONFLICT = "sex_marker_conflict"
    NO_RESULT = "no_result"
    NO_SAMPLES = "no_samples"
    PARTIAL_PROFILE = "partial_profile"
    Y_DUPLICATION = "y_duplication"
    Y_NULL_ALLELE = "y_null_allele"
    Y_DYS389 = "y_dys389"
    XML_MALFORMED = "xml_malformed"
    XML_FORBIDDEN = "xml_forbidden"
    CMF_VERSION = "cmf_version"
    MT_VARIANT = "mt_variant"
    MT_RANGE = "mt_range"
    MT_OUTSIDE_RANGE = "mt_outside_range"
    MT_HETEROPLASMY = "mt_heteroplasmy"
    VCF_HEADER = "vcf_header"
    VCF_RECORD = "vcf_record"
    VCF_GENOTYPE = "vcf_genotype"
    JSON_SCHEMA = "json_schema"
    FREQ_VALUE = "freq_value"
    FREQ_SUM = "freq_sum"
    FREQ_DUPLICATE = "freq_duplicate"
    FREQ_N = "freq_n"
    FREQ_POPULATION = "freq_population"
    UNSUPPORTED_VERSION = "unsupported_version"


@dataclass(frozen=True, slots=True)
class Msg:
    """A translatable message: English catalogue message id and its ``%(name)s`` parameters.

    ``str(msg)`` is the English text. Parameters are plain values (names, numbers, alleles as
    written in the file); they are never translated.
    """

    template: str
    params: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def __str__(self) -> str:
        return _fill(self.template, self.params)

    def translated(self, gettext: Callable[[str], str]) -> str:
        """The message in the language of *gettext* (a one-argument translation function).

        A parameter that is itself a :class:`Msg` is translated too.
        """
        return _fill(gettext(self.template), _translate_params(self.params, gettext))


def _translate_params(params: Mapping[str, Any], gettext: Callable[[str], str]) -> dict[str, Any]:
    return {k: v.translated(gettext) if isinstance(v, Msg) else v for k, v in params.items()}


def _plain_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """Parameters as JSON-able values (a nested :class:`Msg` as its English text)."""
    return {k: str(v) if isinstance(v, Msg) else v for k, v in params.items()}


#: "TH01: <problem>": the same in every language, so not in the catalogue (gettext returns it
#: unchanged); ``problem`` is a nested :class:`Msg`, translated on its own.
LOCUS_PREFIXED = "%(locus)s: %(problem)s"


def msg(template: str, **params: Any) -> Msg:
    """Shorthand for ``Msg(template, params)``; *template* should be marked with ``N_``."""
    return Msg(template, params)


def _fill(template: str, params: Mapping[str, Any]) -> str:
    if not params:
        return template
    try:
        return template % params
    except (KeyError, TypeError, ValueError):  # a broken translation must not hide the issue
        return template


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem found in a file.

    ``line`` is 1-based (the header is line 1 of a table); ``None`` when the problem concerns
    the whole file. ``sample`` and ``locus`` are as written in the file (the locus may also be
    given canonically in the message). ``message`` is English; ``message_id`` (empty for a
    message that has no catalogue entry) and ``params`` let a caller translate it with
    :meth:`translated`.
    """

    severity: Severity
    code: IssueCode
    message: str
    file: str = ""
    line: int | None = None
    sample: str | None = None
    locus: str | None = None
    message_id: str = ""
    params: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @classmethod
    def of(cls, severity: Severity, code: IssueCode, message: str | Msg, file: str = "",
           line: int | None = None, sample: str | None = None,
           locus: str | None = None) -> Issue:
        """An issue from an English text or a :class:`Msg` (message id + parameters)."""
        if isinstance(message, Msg):
            return cls(severity, code, str(message), file, line, sample, locus,
                       message.template, dict(message.params))
        return cls(severity, code, message, file, line, sample, locus)

    def translated(self, gettext: Callable[[str], str]) -> str:
        """:attr:`message` in the language of *gettext* (English when there is no id)."""
        if not self.message_id:
            return self.message
        return _fill(gettext(self.message_id), _translate_params(self.params, gettext))

    def __str__(self) -> str:
        where = [self.file or "<input>"]
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.sample:
            where.append(f"sample {self.sample}")
        if self.locus:
            where.append(f"locus {self.locus}")
        return f"{', '.join(where)}: {self.severity}: {self.message}"

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-able dict (code as its string value)."""
        return {
            "severity": self.severity,
            "code": str(self.code),
            "message": self.message,
            "message_id": self.message_id or None,
            "params": _plain_params(self.params),
            "file": self.file,
            "line": self.line,
            "sample": self.sample,
            "locus": self.locus,
        }


class FormatError(Exception):
    """A file that cannot be parsed at all. ``issue`` says where and why.

    Every format has its own subclass; catch :class:`FormatError` to catch them all.
    """

    format_name = "file"

    def __init__(self, issue: Issue) -> None:
        super().__init__(str(issue))
        self.issue = issue


class GeneMapperError(FormatError):
    format_name = "GeneMapper ID-X genotypes table"


class WideTableError(FormatError):
    format_name = "wide genotype table"


class CMFError(FormatError):
    format_name = "CODIS CMF XML"


class FamiliasError(FormatError):
    format_name = "Familias case import"


class YSTRError(FormatError):
    format_name = "Y-STR haplotype table"


class MtDNAError(FormatError):
    format_name = "mtDNA haplotype file"


class VCFError(FormatError):
    format_name = "VCF"


class JSONProfileError(FormatError):
    format_name = "dnacase JSON profile"


class FrequencyTableError(FormatError):
    """A frequency table that cannot be used; ``issues`` lists every row-level error."""

    format_name = "allele frequency table"

    def __init__(self, issue: Issue, issues: Iterable[Issue] = ()) -> None:
        super().__init__(issue)
        self.issues = list(issues) or [issue]


R = TypeVar("R")


@dataclass(slots=True)
class ParseResult(Generic[R]):
    """What a parser returns: typed records plus every issue found, in file order.

    ``sha256`` is the hex digest of the raw bytes (for "same file imported twice" checks);
    ``encoding`` is the text encoding that was used to decode them.
    """

    format: str
    file: str
    sha256: str
    records: list[R] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    encoding: str | None = None

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def ok(self) -> bool:
        """True when no issue has severity ``error`` (warnings and notes allowed)."""
        return not any(i.severity == "error" for i in self.issues)

    def issues_for(self, sample: str) -> list[Issue]:
        return [i for i in self.issues if i.sample == sample]


class IssueSink:
    """Collects issues for one file; small helper shared by the parsers.

    At most ``max_per_code`` issues of one code are listed (errors are never dropped
    silently: :meth:`finish` appends a summary with the number left out, keeping its
    severity, so a file with 5,000 bad rows stays refused but readable).
    """

    __slots__ = ("_counts", "_dropped", "file", "issues", "max_per_code")

    def __init__(self, file: str, max_per_code: int = 200) -> None:
        self.file = file
        self.issues: list[Issue] = []
        self.max_per_code = max_per_code
        self._counts: dict[IssueCode, int] = {}
        self._dropped: dict[tuple[IssueCode, str], int] = {}

    def add(
        self,
        severity: Severity,
        code: IssueCode,
        message: str | Msg,
        *,
        line: int | None = None,
        sample: str | None = None,
        locus: str | None = None,
    ) -> Issue:
        issue = Issue.of(severity, code, message, self.file, line, sample, locus)
        n = self._counts.get(code, 0) + 1
        self._counts[code] = n
        if n <= self.max_per_code:
            self.issues.append(issue)
        else:
            self._dropped[(code, severity)] = self._dropped.get((code, severity), 0) + 1
        return issue

    def has_errors(self) -> bool:
        return any(i.severity == "error" for i in self.issues)

    def finish(self) -> list[Issue]:
        """The collected issues plus one summary per code that hit the listing cap."""
        for (code, severity), n in self._dropped.items():
            self.issues.append(Issue.of(
                severity, code,  # type: ignore[arg-type]
                msg(N_("%(n)d further '%(code)s' issues not listed"), n=n, code=code.value),
                self.file))
        self._dropped.clear()
        return self.issues

    def error(self, code: IssueCode, message: str | Msg, **where: object) -> Issue:
        return self.add("error", code, message, **where)  # type: ignore[arg-type]

    def warning(self, code: IssueCode, message: str | Msg, **where: object) -> Issue:
        return self.add("warning", code, message, **where)  # type: ignore[arg-type]

    def info(self, code: IssueCode, message: str | Msg, **where: object) -> Issue:
        return self.add("info", code, message, **where)  # type: ignore[arg-type]


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
