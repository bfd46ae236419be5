"""Lineage data of a kinship-case document (``schemas/lineage.schema.json``) -> objects.

The case file keeps lineage data at its top level (all optional)::

    "mtdna":            {person: {"range": "16024-16569;1-576", "variants": ["16223T", ...]}}
    "ystr":             {person: {locus: [alleles] | "12,19" | null}}
    "mtdna_population": {"name": ..., "haplotypes": [{"range", "variants", "count"}]}
                        or {"count": x, "n": N}
    "ystr_population":  {"name": ..., "haplotypes": [{"alleles": {...}, "count"}]}
                        or {"count": x, "n": N}
    "mtdna_rules":      MtCompareOptions fields + "rate_per_meiosis" (MtAllowance)
                        + "upper_bound": "two-sided" (default) | "one-sided"
    "ystr_rules":       YCompareOptions fields + "upper_bound"

:func:`parse_lineage` reads them (after JSON-schema validation by the caller, but it checks
what it uses and names the file, the section and the person in every error) and
:func:`lineage_pair_report` builds the :class:`~dnacase.kinship.combined.PairReport`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..combined import (
    FrequencySource,
    MtAllowance,
    PairReport,
    combine_pair,
    mtdna_evidence,
    ystr_evidence,
)
from ._common import LineageDataError
from .frequency import DEFAULT_UPPER_BOUND, PopulationDatabase, UpperBound
from .mtdna import DEFAULT_MT_OPTIONS, MtCompareOptions, MtHaplotype
from .pedigree_lines import PedigreeLike
from .ystr import DEFAULT_Y_OPTIONS, YCompareOptions, YHaplotype

DEFAULT_ALLOWANCE = MtAllowance()
LINEAGE_KEYS = ("mtdna", "ystr", "mtdna_population", "ystr_population", "mtdna_rules",
                "ystr_rules")


@dataclass(frozen=True)
class LineageCaseData:
    """Parsed lineage part of a case: haplotypes by person id, populations and rules."""

    mtdna: dict[str, MtHaplotype] = field(default_factory=dict)
    ystr: dict[str, YHaplotype] = field(default_factory=dict)
    mtdna_population: FrequencySource | None = None
    ystr_population: FrequencySource | None = None
    mtdna_options: MtCompareOptions = DEFAULT_MT_OPTIONS
    mtdna_allowance: MtAllowance = DEFAULT_ALLOWANCE
    ystr_options: YCompareOptions = DEFAULT_Y_OPTIONS
    mtdna_bound: UpperBound = DEFAULT_UPPER_BOUND
    ystr_bound: UpperBound = DEFAULT_UPPER_BOUND

    @property
    def empty(self) -> bool:
        return not self.mtdna and not self.ystr


def has_lineage(doc: Mapping[str, Any]) -> bool:
    """True when the case document carries any lineage-marker section."""
    return any(k in doc for k in ("mtdna", "ystr"))


def _err(source: str, where: str, message: str, person: str | None = None) -> LineageDataError:
    return LineageDataError(message, sample=person, item=where, source=source)


def _population(raw: Any, kind: str, source: str) -> FrequencySource | None:
    where = f"{kind}_population"
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise _err(source, where, "must be an object")
    if "haplotypes" not in raw:
        try:
            return (int(raw["count"]), int(raw["n"]))
        except (KeyError, TypeError, ValueError):
            raise _err(source, where, "needs either 'haplotypes' or 'count' and 'n'") from None
    haps: list[MtHaplotype | YHaplotype] = []
    for k, item in enumerate(raw["haplotypes"]):
        label = f"{where}.haplotypes[{k}]"
        try:
            if kind == "mtdna":
                h: MtHaplotype | YHaplotype = MtHaplotype.from_notation(
                    item["variants"], item["range"], sample=label)
            else:
                h = YHaplotype.from_cells(item["alleles"], sample=label)
        except KeyError as e:
            raise _err(source, label, f"missing {e.args[0]!r}") from None
        except LineageDataError as e:
            raise LineageDataError(str(e), source=source) from None
        haps.extend([h] * int(item.get("count", 1)))
    return PopulationDatabase(str(raw.get("name", "population database")), tuple(haps))


def parse_lineage(doc: Mapping[str, Any], source: str = "<case>") -> LineageCaseData:
    """Read the lineage sections of a case document (see module docstring)."""
    mt: dict[str, MtHaplotype] = {}
    for person, rec in (doc.get("mtdna") or {}).items():
        if not isinstance(rec, Mapping) or "range" not in rec or "variants" not in rec:
            raise _err(source, "mtdna", "needs 'range' and 'variants'", person)
        try:
            mt[person] = MtHaplotype.from_notation(rec["variants"], rec["range"], sample=person)
        except LineageDataError as e:
            raise LineageDataError(f"mtdna: {e}", source=source) from None
    ys: dict[str, YHaplotype] = {}
    for person, rec in (doc.get("ystr") or {}).items():
        if not isinstance(rec, Mapping):
            raise _err(source, "ystr", "must map locus -> alleles", person)
        try:
            ys[person] = YHaplotype.from_cells(rec, sample=person)
        except LineageDataError as e:
            raise LineageDataError(f"ystr: {e}", source=source) from None
    mt_rules = dict(doc.get("mtdna_rules") or {})
    y_rules = dict(doc.get("ystr_rules") or {})
    rate = mt_rules.pop("rate_per_meiosis", None)
    if "ignored_positions" in mt_rules:
        mt_rules["ignored_positions"] = frozenset(int(p) for p in mt_rules["ignored_positions"])
    try:
        bounds = [UpperBound.parse(r.pop("upper_bound")) if "upper_bound" in r
                  else DEFAULT_UPPER_BOUND for r in (mt_rules, y_rules)]
        mt_opts = MtCompareOptions(**mt_rules)
        y_opts = YCompareOptions(**y_rules)
    except (TypeError, ValueError) as e:
        raise _err(source, "mtdna_rules/ystr_rules", str(e)) from None
    allowance = DEFAULT_ALLOWANCE if rate is None else MtAllowance(rate_per_meiosis=float(rate))
    return LineageCaseData(mt, ys, _population(doc.get("mtdna_population"), "mtdna", source),
                           _population(doc.get("ystr_population"), "ystr", source),
                           mt_opts, allowance, y_opts, bounds[0], bounds[1])


def lineage_pair_report(
    data: LineageCaseData,
    pedigree: PedigreeLike,
    remains: str,
    missing: str,
    *,
    autosomal: Mapping[str, float] | float | None = None,
    hypothesis_p: str | None = None,
    hypothesis_d: str | None = None,
) -> PairReport:
    """Pair report for ``remains`` (id of its haplotypes in ``data``) as ``missing``.

    Every other person with lineage data is a candidate reference; the pedigree decides who
    counts. A part is left out when the remains have no haplotype of that kind.
    """
    mt_ev = y_ev = None
    if remains in data.mtdna:
        refs = {p: h for p, h in data.mtdna.items() if p not in (remains, missing)}
        mt_ev = mtdna_evidence(pedigree, missing, data.mtdna[remains], refs,
                               data.mtdna_population, options=data.mtdna_options,
                               allowance=data.mtdna_allowance, bound=data.mtdna_bound)
    if remains in data.ystr:
        refs_y = {p: h for p, h in data.ystr.items() if p not in (remains, missing)}
        y_ev = ystr_evidence(pedigree, missing, data.ystr[remains], refs_y,
                             data.ystr_population, options=data.ystr_options,
                             bound=data.ystr_bound)
    pop = (data.mtdna_population.name if isinstance(data.mtdna_population, PopulationDatabase)
           else "the reference population")
    return combine_pair(remains, missing, autosomal=autosomal, mtdna=mt_ev, y=y_ev,
                        hypothesis_p=hypothesis_p, hypothesis_d=hypothesis_d, population=pop)


def _num(v: float | None) -> float | str | None:
    """JSON-safe log10 value: -inf becomes the string "-inf" (LR 0)."""
    if v is None:
        return None
    return "-inf" if v == float("-inf") else round(v, 6)


def evidence_json(ev: Any) -> dict[str, Any] | None:
    """JSON-able view of a :class:`~dnacase.kinship.combined.LineageEvidence` (or None)."""
    if ev is None:
        return None
    freq = ev.frequency
    return {
        "log10_lr": _num(ev.log10_lr),
        "hypotheses": {"Hp": ev.hypothesis_p, "Hd": ev.hypothesis_d},
        "reference": ev.reference,
        "meioses": ev.meioses,
        "classification": ev.classification.value if ev.classification else None,
        "differences": list(ev.differences),
        "log10_numerator": _num(ev.log10_numerator),
        "frequency": None if freq is None else {
            "count": freq.count, "n": freq.n, "upper_bound": freq.upper,
            "confidence": freq.confidence, "two_sided": freq.two_sided,
            "population": freq.population, "describe": freq.describe()},
        "counted_once": list(ev.counted_once),
        "outside_line": [{"id": rid, "reason": why} for rid, why in ev.outside],
        "notes": list(ev.notes),
        "reason": ev.reason or None,
    }


def report_json(report: PairReport) -> dict[str, Any]:
    """JSON-able view of a pair report: each part and the combined log10 LR."""
    return {
        "parts": {
            "autosomal": {k: _num(v) for k, v in report.autosomal.items()},
            "mtdna": _num(report.mtdna.log10_lr) if report.mtdna else None,
            "y": _num(report.y.log10_lr) if report.y else None,
        },
        "combined_log10_lr": _num(report.combined_log10_lr),
        "combined_parts": list(report.parts_used),
        "hypotheses": {"Hp": report.hypothesis_p, "Hd": report.hypothesis_d},
        "mtdna": evidence_json(report.mtdna),
        "y": evidence_json(report.y),
        "assumptions": list(report.assumptions),
    }


def case_lineage_json(
    doc: Mapping[str, Any],
    pedigree: PedigreeLike,
    autosomal_log10_lr: float | None,
    *,
    source: str = "<case>",
    remains_key: str = "poi",
    missing_key: str = "missing",
) -> dict[str, Any] | None:
    """For a kinship-case document with lineage sections: the combined report as JSON.

    ``autosomal_log10_lr`` is the autosomal LR of the case (log10; -inf for 0; None when
    not computed). Returns None when the case has no lineage data.
    """
    if not has_lineage(doc):
        return None
    data = parse_lineage(doc, source)
    remains, missing = str(doc[remains_key]), str(doc[missing_key])
    rep = lineage_pair_report(data, pedigree, remains, missing,
                              autosomal=None if autosomal_log10_lr is None
                              else {"STR/SNP": autosomal_log10_lr})
    return report_json(rep)


def parts_line(lineage_json: Mapping[str, Any]) -> str:
    """One line naming each part of :func:`report_json` output and the combined log10 LR."""
    parts = lineage_json["parts"]
    auto = "; ".join(f"autosomal {k} log10 LR = {v}" for k, v in parts["autosomal"].items())
    bits = [auto or "autosomal: not computed"]
    for name, key in (("mtDNA", "mtdna"), ("Y-STR", "y")):
        ev = lineage_json[key]
        if ev is None:
            continue
        bits.append(f"{name} log10 LR = {parts[key]}" if parts[key] is not None
                    else f"{name}: no LR ({ev['reason']})")
    bits.append(f"combined log10 LR = {lineage_json['combined_log10_lr']} "
                "(product of the parts; independence assumed)")
    return "; ".join(bits)
