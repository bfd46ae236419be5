"""One report per pair: autosomal, mtDNA and Y-STR likelihood ratios and their product.

All LRs are **log10**. For a remains sample R and the missing person M of a pedigree:

* Hp: R is M (so R stands to the references as M does in the pedigree).
* Hd: R is a person unrelated to the references, taken from the stated population.

Lineage parts (mtDNA, Y-STR), computed once per lineage with the closest typed reference X in
M's maternal (mtDNA) or paternal (Y) line, ``n`` meioses apart::

    LR = P(R's haplotype | X's haplotype, n meioses) / f_U

``f_U`` is the 95 % Clopper-Pearson upper bound of R's haplotype frequency, counted over the
data both were typed for (:mod:`dnacase.kinship.lineage.frequency`). The numerator:

* mtDNA (:class:`MtAllowance`): with ``d`` differences under the comparison rules
  (C-stretch length variants and point heteroplasmy are never differences, see
  :mod:`~dnacase.kinship.lineage.mtdna`), ``P = C(n, d) t^d (1 - t)^(n - d)`` where ``t`` is
  the per-meiosis probability of an observable change in the compared stretch,
  ``t = rate_per_meiosis * compared_bp / reference_bp``; it is 0 (LR 0) when the pair is
  excluded. The default ``rate_per_meiosis`` (0.03 over the 1,122 bp control region, about
  one change in 33 generations) is a working allowance of the order of the pedigree
  estimates in the literature; set it from the laboratory's policy.
* Y-STR: the stepwise model of :func:`~dnacase.kinship.lineage.ystr.compare_ystr` with the
  YHRD per-locus rates, so one step at a fast locus lowers the LR instead of excluding.

The combined LR is the product (sum of log10) of the parts present. See :data:`ASSUMPTIONS`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from .lineage._common import LineageClass
from .lineage.frequency import (
    HaplotypeFrequency,
    PopulationDatabase,
    haplotype_frequency,
    mtdna_frequency,
    ystr_frequency,
)
from .lineage.mtdna import DEFAULT_MT_OPTIONS, MtCompareOptions, MtHaplotype, compare_mtdna
from .lineage.pedigree_lines import (
    PedigreeLike,
    mtdna_references,
    paternal_meioses,
    ystr_references,
)
from .lineage.ystr import DEFAULT_Y_OPTIONS, YCompareOptions, YHaplotype, compare_ystr

ASSUMPTIONS: tuple[str, ...] = (
    "The combined LR is the product of the autosomal, mtDNA and Y-STR LRs (sum of log10). "
    "This treats the three kinds of marker as independent given each hypothesis: mtDNA is "
    "outside the nucleus and the Y-STRs lie on the non-recombining part of the Y, so neither "
    "is linked to the autosomal markers; it further assumes that, in the reference "
    "population, a person's lineage haplotypes say nothing about their autosomal genotypes "
    "(no strong population substructure). Where substructure is suspected, report the parts "
    "separately.",
    "Autosomal STR and SNP LRs, when both are given, are added in log10 on the assumption that "
    "the panels do not overlap and their markers are unlinked.",
    "References of one maternal (or paternal) lineage share one haplotype and count once: "
    "the closest typed reference is used and the others are checked for consistency.",
)

DEFAULT_HP = "the remains are the missing person {missing} of the pedigree"
DEFAULT_HD = "the remains are from a person unrelated to the references ({population})"


@dataclass(frozen=True)
class MtAllowance:
    """Mutation/heteroplasmy allowance for the mtDNA LR numerator (module docstring)."""

    rate_per_meiosis: float = 0.03
    reference_bp: int = 1122

    def log10_numerator(self, n_differences: int, meioses: int, compared_bp: int,
                        classification: LineageClass) -> float:
        if classification is LineageClass.EXCLUDED:
            return -math.inf
        t = min(1.0, self.rate_per_meiosis * compared_bp / self.reference_bp)
        n, d = meioses, n_differences
        if d > n:
            return -math.inf
        p = math.comb(n, d) * t**d * (1.0 - t) ** (n - d)
        return math.log10(p) if p > 0 else -math.inf


@dataclass(frozen=True)
class ReferenceCheck:
    """A comparison of one reference's haplotype with the remains (or with another reference)."""

    reference: str
    other: str
    classification: LineageClass
    differences: tuple[str, ...]
    meioses: int | None


@dataclass(frozen=True)
class LineageEvidence:
    """The mtDNA or Y-STR part of a pair report. ``log10_lr`` is None when not computable
    (no typed reference in the line, no population data); ``reason`` then says why."""

    marker: str
    hypothesis_p: str
    hypothesis_d: str
    reference: str | None
    meioses: int | None
    classification: LineageClass | None
    differences: tuple[str, ...]
    log10_numerator: float | None
    frequency: HaplotypeFrequency | None
    log10_lr: float | None
    counted_once: tuple[str, ...] = ()
    outside: tuple[tuple[str, str], ...] = ()
    checks: tuple[ReferenceCheck, ...] = ()
    notes: tuple[str, ...] = ()
    reason: str = ""


FrequencySource = PopulationDatabase | HaplotypeFrequency | tuple[int, int]


def _frequency(source: FrequencySource | None, count) -> HaplotypeFrequency | None:
    if source is None:
        return None
    if isinstance(source, HaplotypeFrequency):
        return source
    if isinstance(source, tuple):
        x, n = source
        return haplotype_frequency(int(x), int(n))
    return count(source)


def _population_name(source: FrequencySource | None) -> str:
    if isinstance(source, PopulationDatabase):
        return source.name
    if isinstance(source, HaplotypeFrequency) and source.population:
        return source.population
    return "the reference population"


def mtdna_evidence(
    pedigree: PedigreeLike,
    missing: str,
    remains: MtHaplotype,
    references: Mapping[str, MtHaplotype],
    population: FrequencySource | None,
    *,
    options: MtCompareOptions = DEFAULT_MT_OPTIONS,
    allowance: MtAllowance = MtAllowance(),
) -> LineageEvidence:
    """mtDNA LR of ``remains`` being ``missing``, from the references in the maternal line.

    ``population``: a :class:`PopulationDatabase` of :class:`MtHaplotype` (counted over the
    range compared), a ready :class:`HaplotypeFrequency`, or a ``(count, n)`` pair.
    """
    sorted_refs = mtdna_references(pedigree, missing, references)
    outside = tuple((r.id, r.reason) for r in sorted_refs.outside)
    typed = [r for r in sorted_refs.in_line if r.id in references]
    hp = f"the remains belong to the maternal line of {missing!r}"
    hd = f"the remains are from an unrelated person of {_population_name(population)}"
    if not typed:
        return LineageEvidence("mtDNA", hp, hd, None, None, None, (), None, None, None,
                               outside=outside, reason="no typed reference in the missing "
                               "person's maternal line")
    # closest reference first; among equally close ones, the longest common range
    typed.sort(key=lambda r: (r.meioses, -len(references[r.id].range & remains.range), r.id))
    best = typed[0]
    ref_hap = references[best.id]
    assert best.meioses is not None
    cmp = compare_mtdna(remains, ref_hap, options)
    checks = [ReferenceCheck(best.id, "remains", cmp.classification,
                             cmp.differing_positions, best.meioses)]
    notes: list[str] = []
    for r in typed[1:]:
        c = compare_mtdna(ref_hap, references[r.id], options)
        checks.append(ReferenceCheck(r.id, best.id, c.classification, c.differing_positions,
                                     None))
        if c.classification is not LineageClass.CANNOT_EXCLUDE:
            notes.append(f"references {best.id!r} and {r.id!r} of one maternal line differ "
                         f"({c.classification.value}: {', '.join(c.differing_positions)}): "
                         "check the pedigree and the samples")
    if cmp.note:
        notes.append(cmp.note)
    num = allowance.log10_numerator(cmp.n_differences, best.meioses, len(cmp.overlap),
                                    cmp.classification)
    freq = _frequency(population, lambda db: mtdna_frequency(remains, db, over=cmp.overlap,
                                                             options=options))
    lr = None if freq is None else num - math.log10(freq.upper)
    notes.append(f"compared range {cmp.overlap} ({len(cmp.overlap)} bp)")
    if cmp.heteroplasmic:
        notes.append("point heteroplasmy taken as compatible: " + ", ".join(cmp.heteroplasmic))
    if cmp.ignored:
        notes.append("length variants not counted: " + ", ".join(cmp.ignored))
    return LineageEvidence(
        "mtDNA", hp, hd, best.id, best.meioses, cmp.classification, cmp.differing_positions,
        num, freq, lr, tuple(r.id for r in typed), outside, tuple(checks), tuple(notes),
        "" if freq is not None else "no population data for the haplotype frequency")


def ystr_evidence(
    pedigree: PedigreeLike,
    missing: str,
    remains: YHaplotype,
    references: Mapping[str, YHaplotype],
    population: FrequencySource | None,
    *,
    options: YCompareOptions = DEFAULT_Y_OPTIONS,
) -> LineageEvidence:
    """Y-STR LR of ``remains`` being ``missing``, from the men in his paternal line."""
    sorted_refs = ystr_references(pedigree, missing, references)
    outside = tuple((r.id, r.reason) for r in sorted_refs.outside)
    typed = [r for r in sorted_refs.in_line if r.id in references]
    hp = f"the remains belong to the paternal line of {missing!r}"
    hd = f"the remains are from an unrelated man of {_population_name(population)}"
    if not typed:
        reason = sorted_refs.note or "no typed man in the missing person's paternal line"
        return LineageEvidence("Y-STR", hp, hd, None, None, None, (), None, None, None,
                               outside=outside, reason=reason)
    best = typed[0]
    assert best.meioses is not None
    ref_hap = references[best.id]
    cmp = compare_ystr(remains, ref_hap, best.meioses, options)
    checks = [ReferenceCheck(best.id, "remains", cmp.classification,
                             tuple(str(d) for d in cmp.differences), best.meioses)]
    notes: list[str] = []
    for r in typed[1:]:
        between = paternal_meioses(pedigree, best.id, r.id)
        assert between is not None
        c = compare_ystr(ref_hap, references[r.id], between, options)
        checks.append(ReferenceCheck(r.id, best.id, c.classification,
                                     tuple(str(d) for d in c.differences), None))
        if c.classification is LineageClass.EXCLUDED:
            notes.append(f"references {best.id!r} and {r.id!r} of one paternal line are "
                         "excluded from each other: check the pedigree and the samples")
    if cmp.skipped_loci:
        notes.append("loci typed in only one of the two: " + ", ".join(cmp.skipped_loci))
    freq = _frequency(population, lambda db: ystr_frequency(remains, db,
                                                            loci=cmp.compared_loci))
    lr = None if freq is None else cmp.log10_p - math.log10(freq.upper)
    return LineageEvidence(
        "Y-STR", hp, hd, best.id, best.meioses, cmp.classification,
        tuple(str(d) for d in cmp.differences), cmp.log10_p, freq, lr,
        tuple(r.id for r in typed), outside, tuple(checks), tuple(notes),
        "" if freq is not None else "no population data for the haplotype frequency")


@dataclass(frozen=True)
class PairReport:
    """Report for one (remains, missing person) pair; every LR in log10.

    ``autosomal`` maps a panel name ("STR", "SNP") to its log10 LR. ``combined_log10_lr`` is
    the sum of the parts present (-inf if any is -inf; None if no part is present).
    """

    remains: str
    missing: str
    hypothesis_p: str
    hypothesis_d: str
    autosomal: Mapping[str, float]
    mtdna: LineageEvidence | None
    y: LineageEvidence | None
    combined_log10_lr: float | None
    parts_used: tuple[str, ...]
    assumptions: tuple[str, ...] = field(default=ASSUMPTIONS)

    def lines(self) -> list[str]:
        """Human-readable report, one line per item."""
        out = [f"pair: remains {self.remains} vs missing person {self.missing}",
               f"  Hp: {self.hypothesis_p}", f"  Hd: {self.hypothesis_d}"]
        if self.autosomal:
            for k, v in self.autosomal.items():
                out.append(f"  autosomal {k}: log10 LR = {_fmt(v)}")
        else:
            out.append("  autosomal: not given")
        for ev in (self.mtdna, self.y):
            if ev is None:
                continue
            out.append(f"  {ev.marker}: " + (f"log10 LR = {_fmt(ev.log10_lr)}"
                                             if ev.log10_lr is not None
                                             else f"no LR ({ev.reason})"))
            if ev.reference is not None:
                diffs = ", ".join(ev.differences) if ev.differences else "none"
                out.append(f"    reference {ev.reference} ({ev.meioses} meioses): "
                           f"{ev.classification.value if ev.classification else '-'}; "
                           f"differences: {diffs}")
                out.append(f"    Hp: {ev.hypothesis_p}; Hd: {ev.hypothesis_d}")
            if ev.log10_numerator is not None:
                out.append(f"    log10 P(remains | reference, Hp) = {_fmt(ev.log10_numerator)}")
            if ev.frequency is not None:
                out.append(f"    frequency: {ev.frequency.describe()}")
            if len(ev.counted_once) > 1:
                out.append(f"    one lineage, counted once: {', '.join(ev.counted_once)}")
            for rid, why in ev.outside:
                out.append(f"    outside the line: {rid}: {why}")
            out.extend(f"    note: {n}" for n in ev.notes)
        out.append("  combined: log10 LR = "
                   + (_fmt(self.combined_log10_lr) if self.combined_log10_lr is not None
                      else "not computable")
                   + (f" ({' + '.join(self.parts_used)})" if self.parts_used else ""))
        out.extend(f"  assumption: {a}" for a in self.assumptions)
        return out


def _fmt(v: float | None) -> str:
    if v is None:
        return "-"
    if v == -math.inf:
        return "-inf (LR 0)"
    return f"{v:.3f}"


def combine_pair(
    remains: str,
    missing: str,
    *,
    autosomal: Mapping[str, float] | float | None = None,
    mtdna: LineageEvidence | None = None,
    y: LineageEvidence | None = None,
    hypothesis_p: str | None = None,
    hypothesis_d: str | None = None,
    population: str = "the reference population",
) -> PairReport:
    """Assemble a :class:`PairReport`; the combined log10 LR is the sum of the parts present.

    ``autosomal`` is a log10 LR or a mapping panel -> log10 LR (e.g. ``{"STR": 6.2,
    "SNP": 14.0}``) from the autosomal engine.
    """
    auto: dict[str, float] = {}
    if isinstance(autosomal, int | float):
        auto["STR"] = float(autosomal)
    elif autosomal:
        auto = {k: float(v) for k, v in autosomal.items()}
    parts: list[tuple[str, float]] = [(f"autosomal {k}", v) for k, v in auto.items()]
    for ev in (mtdna, y):
        if ev is not None and ev.log10_lr is not None:
            parts.append((ev.marker, ev.log10_lr))
    if not parts:
        total = None
    elif any(v == -math.inf for _, v in parts):
        total = -math.inf
    else:
        total = math.fsum(v for _, v in parts)
    return PairReport(
        remains, missing,
        hypothesis_p or DEFAULT_HP.format(missing=repr(missing)),
        hypothesis_d or DEFAULT_HD.format(population=population),
        auto, mtdna, y, total, tuple(name for name, _ in parts))
