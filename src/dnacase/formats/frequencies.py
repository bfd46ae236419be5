"""Allele frequency tables: shipped defaults, loading and one-step import with validation.

Three layouts are read:

* tidy CSV ``locus,allele,frequency`` (``,`` ``;`` or tab) with ``#`` header lines giving
  ``population=...`` and ``N=...`` (the shipped tables; also how a Kinh table from a paper's
  supplement is best transcribed);
* Familias/pedtools "list" format (marker line, then ``allele<TAB>frequency`` lines);
* Familias "ladder" format (``Allele`` column plus one column per marker, optional ``N`` row).

Alleles stay strings; loci are canonicalised (``PENTA_D`` -> ``Penta D``). Frequencies are
floats in (0, 1]. ``N`` is the number of individuals typed (2N alleles per locus).
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Literal

from dnacase.domain.errors import N_

from ._text import decode_text, sniff_delimiter
from .alleles import InvalidAllele, normalise_allele, sort_alleles
from .issues import (
    DEFAULT_MAX_BYTES,
    LOCUS_PREFIXED,
    FrequencyTableError,
    Issue,
    IssueCode,
    IssueSink,
    msg,
    sha256_hex,
)
from .reference import Reference, default_reference, read_commented_csv, read_reference_bytes

#: Shipped tables offered as defaults (no Vietnamese Kinh table is available as data yet); the
#: first is the default of every LR (the East Asian table with the most persons behind it, see
#: docs/evidence-model.md) until a lab imports a Kinh table.
DEFAULT_TABLE_IDS: tuple[str, ...] = ("norstr_east_asia", "nist1036_asian")
DEFAULT_TABLE_ID: str = DEFAULT_TABLE_IDS[0]

SourceFormat = Literal["csv", "familias_list", "familias_ladder"]
_NUM_RE = re.compile(r"\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


@dataclass(frozen=True, slots=True)
class FrequencyTable:
    """Allele frequencies of one population.

    ``frequencies[locus][allele]`` is a float in (0, 1]; alleles never observed are absent (use
    :meth:`rare_allele_frequency`). ``n_individuals`` is N (persons), ``None`` if undocumented;
    ``n_alleles[locus]`` is the per-locus allele count 2N where the source gives it.
    """

    id: str
    population: str
    frequencies: Mapping[str, Mapping[str, float]]
    n_individuals: int | None = None
    n_alleles: Mapping[str, int] = field(default_factory=dict)
    header: tuple[str, ...] = ()
    source_format: SourceFormat = "csv"
    sha256: str = ""

    @property
    def loci(self) -> tuple[str, ...]:
        return tuple(self.frequencies)

    def alleles(self, locus: str) -> tuple[str, ...]:
        """Alleles of ``locus`` in numeric order (empty if the locus is not in the table)."""
        return sort_alleles(self.frequencies.get(locus, {}))

    def frequency(self, locus: str, allele: str) -> float | None:
        return self.frequencies.get(locus, {}).get(allele)

    def locus_sum(self, locus: str) -> float:
        return math.fsum(self.frequencies.get(locus, {}).values())

    def allele_count(self, locus: str) -> int | None:
        """2N for ``locus`` (per-locus count if known, else 2 x ``n_individuals``)."""
        if locus in self.n_alleles:
            return self.n_alleles[locus]
        return 2 * self.n_individuals if self.n_individuals else None

    def rare_allele_frequency(self, locus: str, rule: Literal["5/2N", "1/(2N+1)"] = "5/2N"
                              ) -> float | None:
        """Frequency for an allele not in the table: NRC II ``5/2N`` or ``1/(2N+1)``.

        ``None`` when N is unknown (then the caller must choose a floor explicitly).
        """
        two_n = self.allele_count(locus)
        if not two_n:
            return None
        return 5.0 / two_n if rule == "5/2N" else 1.0 / (two_n + 1)

    def to_csv(self) -> bytes:
        """Tidy CSV with ``#`` header (population, N, original header lines)."""
        out = io.StringIO()
        n = f"N={self.n_individuals}" if self.n_individuals else "N=unknown"
        out.write(f"# population={self.population}, {n}\n")
        for h in self.header:
            if not h.startswith("population="):
                out.write(f"# {h}\n")
        out.write("locus,allele,frequency\n")
        for locus in self.frequencies:
            for allele in self.alleles(locus):
                out.write(f"{locus},{allele},{self.frequencies[locus][allele]!r}\n")
        return out.getvalue().encode("utf-8")


@dataclass(frozen=True, slots=True)
class FrequencyTableInfo:
    """Catalogue entry of a shipped table (``frequencies/index.csv``)."""

    id: str
    population_label: str
    n_individuals: int | None
    licence: str
    default: bool


@dataclass(slots=True)
class FrequencyImport:
    """Outcome of :func:`import_frequency_table`: the table (``None`` on any error) and every
    issue by line, locus and allele."""

    table: FrequencyTable | None
    issues: list[Issue]

    @property
    def ok(self) -> bool:
        return self.table is not None


@cache
def list_frequency_tables() -> tuple[FrequencyTableInfo, ...]:
    """Shipped tables, defaults first."""
    _, rows = read_commented_csv(read_reference_bytes("frequencies/index.csv").decode())
    return tuple(
        FrequencyTableInfo(r["id"], r["population_label"],
                           int(r["n_individuals"]) if r["n_individuals"].strip() else None,
                           r["licence"], r["default"].strip().lower() == "yes")
        for r in rows
    )


def default_frequency_tables() -> tuple[FrequencyTable, ...]:
    """The default tables: norSTR East Asia and NIST 1036 U.S. Asian."""
    return tuple(load_frequency_table(t) for t in DEFAULT_TABLE_IDS)


@cache
def _load_shipped(table_id: str) -> FrequencyTable:
    info = {t.id: t for t in list_frequency_tables()}.get(table_id)
    if info is None:
        raise FrequencyTableError(Issue.of(
            "error", IssueCode.NOT_THIS_FORMAT,
            msg(N_("no shipped frequency table %(table)r; known: %(known)s"), table=table_id,
                known=", ".join(t.id for t in list_frequency_tables())), table_id))
    data = read_reference_bytes(f"frequencies/{table_id}.csv")
    result = import_frequency_table(data, f"{table_id}.csv", table_id=table_id,
                                    population=info.population_label,
                                    n_individuals=info.n_individuals)
    if result.table is None:  # pragma: no cover - shipped data is checked by the tests
        raise FrequencyTableError(result.issues[0], result.issues)
    return result.table


def load_frequency_table(
    name_or_bytes: str | bytes,
    *,
    filename: str | None = None,
    population: str | None = None,
    n_individuals: int | None = None,
) -> FrequencyTable:
    """A shipped table by id (``"nist1036_asian"``) or a table from raw bytes.

    Raises :class:`FrequencyTableError` (with ``.issues``) when the bytes fail validation.
    """
    if isinstance(name_or_bytes, str):
        return _load_shipped(name_or_bytes.removesuffix(".csv"))
    result = import_frequency_table(name_or_bytes, filename or "<frequency table>",
                                    population=population, n_individuals=n_individuals)
    if result.table is None:
        errors = [i for i in result.issues if i.severity == "error"]
        raise FrequencyTableError(errors[0], result.issues)
    return result.table


def _parse_header(comments: list[str]) -> tuple[str | None, int | None, dict[str, int]]:
    population = n = None
    per_locus: dict[str, int] = {}
    for c in comments:
        if m := re.search(r"population\s*=\s*([^,;]+)", c, re.I):
            population = population or m.group(1).strip()
        if m := re.search(r"(?<![A-Za-z_])N\s*=\s*(\d+)", c):
            n = n or int(m.group(1))
        if c.lower().startswith("n_alleles_per_locus:"):
            for part in c.split(":", 1)[1].split(";"):
                k, _, v = part.partition("=")
                if v.strip().isdigit():
                    per_locus[k.strip()] = int(v)
    return population, n, per_locus


def _to_float(value: str, decimal_comma: bool) -> float | None:
    v = value.strip()
    if decimal_comma and re.fullmatch(r"\d+,\d+", v):
        v = v.replace(",", ".")
    if not _NUM_RE.fullmatch(v):
        return None
    return float(v)


def import_frequency_table(
    data: bytes,
    filename: str,
    *,
    table_id: str | None = None,
    population: str | None = None,
    n_individuals: int | None = None,
    sum_tolerance: float = 0.01,
    max_bytes: int = DEFAULT_MAX_BYTES,
    reference: Reference | None = None,
) -> FrequencyImport:
    """Validate a frequency table file and return it, or every row-level error.

    One step to add a population (e.g. a Vietnamese Kinh table transcribed from a paper's
    supplement): checks allele designations, frequencies in (0, 1], duplicate rows, known
    locus names, per-locus sums (error if off by more than ``sum_tolerance``, warning above
    0.001) and N (from the ``#`` header, an ``N`` row, or ``n_individuals``; a warning when
    unknown). ``population`` is required unless the header names it. Never raises.
    """
    sink = IssueSink(filename, max_per_code=100)
    ref = reference or default_reference()
    try:
        text = decode_text(data, filename, FrequencyTableError, sink, max_bytes=max_bytes)
    except FrequencyTableError as exc:
        return FrequencyImport(None, [*sink.finish(), exc.issue])
    lines = text.lines
    comments = [ln.lstrip("#").strip() for ln in lines if ln.startswith("#")]
    body = [(i + 1, ln) for i, ln in enumerate(lines) if ln.strip() and not ln.startswith("#")]
    hdr_pop, hdr_n, per_locus_raw = _parse_header(comments)
    rows: list[tuple[int, str, str, str]] = []  # line, locus, allele, frequency text
    n_row: dict[str, str] = {}
    fmt: SourceFormat
    decimal_comma = False
    if not body:
        sink.error(IssueCode.EMPTY_FILE, msg(N_("no frequency rows")))
        return FrequencyImport(None, sink.finish())
    first_line, first = body[0]
    delim = sniff_delimiter(first) or "\t"
    first_cells = [c.strip().lower() for c in next(csv.reader([first], delimiter=delim))]
    if first_cells and first_cells[0] == "allele" and len(first_cells) > 1:
        fmt = "familias_ladder"
        decimal_comma = delim != ","
        reader = csv.reader([ln for _, ln in body], delimiter=delim)
        header = next(reader)
        for (lineno, _), cells in zip(body[1:], reader, strict=False):
            if not cells:
                continue
            allele = cells[0].strip()
            for j, cell in enumerate(cells[1:], start=1):
                if j >= len(header) or not cell.strip():
                    continue
                if allele.upper() == "N":
                    n_row[header[j].strip()] = cell.strip()
                else:
                    rows.append((lineno, header[j].strip(), allele, cell))
    elif {"locus", "allele"} <= set(first_cells) or {"marker", "allele"} <= set(first_cells):
        fmt = "csv"
        decimal_comma = delim != ","
        cols = {c: i for i, c in enumerate(first_cells)}
        i_locus = cols.get("locus", cols.get("marker"))
        i_freq = next((cols[c] for c in ("frequency", "freq", "f", "p") if c in cols), None)
        if i_freq is None:
            sink.error(IssueCode.MISSING_COLUMN, msg(N_("no 'frequency' column")),
                       line=first_line)
            return FrequencyImport(None, sink.finish())
        i_allele = cols["allele"]
        width = max(i_locus, i_allele, i_freq) + 1  # type: ignore[type-var]
        for lineno, ln in body[1:]:
            cells = next(csv.reader([ln], delimiter=delim), [])
            if len(cells) < width:
                sink.error(IssueCode.ROW_LENGTH,
                           msg(N_("row has %(n)d columns, expected %(width)d (delimiter "
                                  "%(delimiter)r)"), n=len(cells), width=width, delimiter=delim),
                           line=lineno)
                continue
            rows.append((lineno, cells[i_locus].strip(), cells[i_allele],  # type: ignore[index]
                         cells[i_freq]))
    else:
        fmt = "familias_list"
        marker: str | None = None
        for lineno, ln in body:
            parts = ln.split("\t") if "\t" in ln else ln.split()
            parts = [p.strip() for p in parts if p.strip()]
            if "\t" not in ln and not (len(parts) == 2 and _NUM_RE.fullmatch(parts[1])):
                parts = [ln.strip()]  # a marker name, possibly with a space ("Penta D")
            if len(parts) == 1:
                marker = parts[0]
            elif len(parts) == 2 and marker is not None:
                rows.append((lineno, marker, parts[0], parts[1]))
            else:
                sink.error(IssueCode.NOT_THIS_FORMAT,
                           msg(N_("expected a marker name alone, 'allele<TAB>frequency', or "
                                  "a 'locus,allele,frequency' CSV header")), line=lineno)
                if marker is None:
                    return FrequencyImport(None, sink.finish())
    freqs: dict[str, dict[str, float]] = {}
    first_seen: dict[tuple[str, str], int] = {}
    locus_names: dict[str, str] = {}
    bad_loci: set[str] = set()
    comma_noted = False
    for lineno, raw_locus, raw_allele, raw_freq in rows:
        locus = ref.canonical_locus(raw_locus)
        if locus is None:
            if raw_locus not in bad_loci:
                bad_loci.add(raw_locus)
                sink.error(IssueCode.UNKNOWN_LOCUS,
                           msg(N_("unknown locus %(locus)r"), locus=raw_locus),
                           line=lineno, locus=raw_locus)
            continue
        locus_names.setdefault(raw_locus, locus)
        if decimal_comma and re.fullmatch(r"\s*\d{1,3},[1-9]\s*", raw_allele):
            if not comma_noted:  # one allele per cell: "9,3" can only be 9.3
                comma_noted = True
                sink.warning(IssueCode.AMBIGUOUS_DECIMAL_COMMA,
                             msg(N_("decimal comma in allele %(allele)r read as %(read)r (and "
                                    "likewise below)"), allele=raw_allele.strip(),
                                 read=raw_allele.strip().replace(",", ".")),
                             line=lineno, locus=raw_locus)
            raw_allele = raw_allele.replace(",", ".")
        try:
            allele = normalise_allele(raw_allele)
            if allele == "OL":
                raise InvalidAllele(msg(N_("'OL' is not an allele designation")))
        except InvalidAllele as exc:
            sink.error(IssueCode(exc.code), msg(LOCUS_PREFIXED, locus=locus, problem=exc.msg),
                       line=lineno, locus=raw_locus)
            continue
        f = _to_float(raw_freq, decimal_comma)
        if f is None or not 0.0 < f <= 1.0:
            sink.error(IssueCode.FREQ_VALUE,
                       msg(N_("%(locus)s allele %(allele)s: frequency %(value)r is not a number "
                              "in (0, 1]"), locus=locus, allele=allele, value=raw_freq.strip()),
                       line=lineno,
                       locus=raw_locus)
            continue
        key = (locus, allele)
        if key in first_seen:
            sink.error(IssueCode.FREQ_DUPLICATE,
                       msg(N_("%(locus)s allele %(allele)s listed twice (also line %(line)d)"),
                           locus=locus, allele=allele, line=first_seen[key]),
                       line=lineno, locus=raw_locus)
            continue
        first_seen[key] = lineno
        freqs.setdefault(locus, {})[allele] = f
    for locus, table in freqs.items():
        s = math.fsum(table.values())
        if abs(s - 1.0) > sum_tolerance:
            sink.error(IssueCode.FREQ_SUM,
                       msg(N_("frequencies at %(locus)s sum to %(sum).6f, not 1 (tolerance "
                              "%(tolerance)s)"), locus=locus, sum=s, tolerance=sum_tolerance),
                       locus=locus)
        elif abs(s - 1.0) > 0.001:
            sink.warning(IssueCode.FREQ_SUM,
                         msg(N_("frequencies at %(locus)s sum to %(sum).6f"), locus=locus, sum=s),
                         locus=locus)
    pop = population or hdr_pop
    if not pop or not pop.strip():
        sink.error(IssueCode.FREQ_POPULATION,
                   msg(N_("population not named: give it (e.g. 'Kinh (Vietnam)') or add a "
                          "'# population=..., N=...' header line")))
    n = n_individuals if n_individuals is not None else hdr_n
    per_locus: dict[str, int] = {}
    for k, v in per_locus_raw.items():
        canon = ref.canonical_locus(k)
        if canon:
            per_locus[canon] = v
    for k, v in n_row.items():
        canon = ref.canonical_locus(k)
        if canon and v.isdigit():
            per_locus[canon] = 2 * int(v)
        elif canon:
            sink.error(IssueCode.FREQ_N,
                       msg(N_("N row value %(value)r for %(locus)s is not a whole number"),
                           value=v, locus=k),
                       locus=k)
    if n is None and per_locus:
        n = max(per_locus.values()) // 2
    if n is not None and n <= 0:
        sink.error(IssueCode.FREQ_N,
                   msg(N_("N must be a positive number of individuals, got %(n)s"), n=n))
        n = None
    if n_individuals is not None and hdr_n is not None and n_individuals != hdr_n:
        sink.error(IssueCode.FREQ_N,
                   msg(N_("N given as %(n)s but the file header says N=%(header_n)s"),
                       n=n_individuals, header_n=hdr_n))
    if n is None:
        sink.warning(IssueCode.FREQ_N,
                     msg(N_("N (individuals typed) unknown: the rare-allele frequency 5/2N "
                            "cannot be computed; give N if the source states it")))
    else:
        for locus, table in freqs.items():
            two_n = per_locus.get(locus, 2 * n)
            low = min(table.values())
            if low < 0.5 / two_n:
                sink.warning(IssueCode.FREQ_N,
                             msg(N_("smallest frequency at %(locus)s (%(low)g) is below 1/2N = "
                                    "%(floor)g: is N=%(n)s right?"), locus=locus, low=low,
                                 floor=1 / two_n, n=n), locus=locus)
    if not freqs and not sink.has_errors():
        sink.error(IssueCode.EMPTY_FILE, msg(N_("no frequency rows")))
    issues = sink.finish()
    if any(i.severity == "error" for i in issues):
        return FrequencyImport(None, issues)
    tid = table_id or re.sub(r"\W+", "_", filename.rsplit("/", 1)[-1].rsplit(".", 1)[0]).lower()
    table = FrequencyTable(id=tid, population=pop.strip(),  # type: ignore[union-attr]
                           frequencies=freqs, n_individuals=n, n_alleles=per_locus,
                           header=tuple(comments), source_format=fmt,
                           sha256=sha256_hex(bytes(data)))
    return FrequencyImport(table, issues)
