"""One report per pair: autosomal, mtDNA and Y-STR likelihood ratios and their product.

All LRs are **log10**. For a remains sample R and the missing person M of a pedigree:

* Hp: R is M (so R stands to the references as M does in the pedigree).
* Hd: R is a person unrelated to the references, taken from the stated population.

Lineage parts (mtDNA, Y-STR), computed once per lineage with the closest typed reference X in
M's maternal (mtDNA) or paternal (Y) line, ``n`` meioses apart::

    LR = P(R's haplotype | X's haplotype, n meioses) / f_U

``f_U`` is the Clopper-Pearson upper bound of R's haplotype frequency (a setting,
:class:`~dnacase.kinship.lineage.frequency.UpperBound`; default two-sided 95 %), counted over
the data both were typed for (:mod:`dnacase.kinship.lineage.frequency`). The numerator:

* mtDNA (:class:`MtAllowance`): the probability of the differences *observed*, site by
  site. A site ``p`` changes on the line of ``n`` meioses between the two with probability
  ``q_p = 1 - (1 - mu_p)^n``; with the set ``E`` of counted differences (one position per
  mutational event, see :mod:`~dnacase.kinship.lineage.mtdna`) over the ``L`` compared
  positions::

      P = prod_{p in E} q_p  *  prod_{p compared, not in E} (1 - q_p)

  so one difference weighs the rate *at that position* (about ``n * mu_p``), not the chance
  of a difference anywhere in the range (which is ``L`` times larger and gave LRs above 1
  for a one-difference "inconclusive" pair). ``P`` is 0 (LR 0) when the pair is excluded
  (``exclude_at`` differences or more: more than the rates allow). Length variants in the
  C-stretches and heteroplasmy containing the other side's base are not differences and do
  not enter ``E``; a heteroplasmy code not containing the other base is a difference at its
  position, weighed with the same per-site rate (a new heteroplasmy is a new mutation that
  has not yet gone to fixation). Default per-site rate ``mu = 10 / 327 / 610 = 5.0e-5`` per
  meiosis: Parsons et al. 1997 (Nat Genet 15:363) observed 10 substitutions in 327
  generational events over the two hypervariable segments HV1 + HV2 (16024-16365, 73-340,
  610 bp), "1/33 generations, or 2.5/site/Myr" (2.5e-6 x 20 years a generation = 5e-5).
  Pedigree rates are higher than phylogenetic ones (which would make ``mu`` about 20 times
  smaller and the LR of one difference smaller still): the default is the generous one for
  Hp. The same ``mu`` is used outside HV1/HV2 (coding-region sites mutate more slowly, so it
  overstates their rate); ``site_rates`` overrides it per position (e.g. hotspots 16519,
  16189, 152). The LR of one difference is ``~ n mu_p / f``: below 1 unless the haplotype
  frequency ``f`` (its upper bound) is below the per-site chance of the change, i.e. the data
  favour identity only when the changed haplotype is rarer than that change.
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
    DEFAULT_UPPER_BOUND,
    HaplotypeFrequency,
    PopulationDatabase,
    UpperBound,
    haplotype_frequency,
    mtdna_frequency,
    ystr_frequency,
)
from .lineage.mtdna import (
    DEFAULT_MT_OPTIONS,
    MtCompareOptions,
    MtComparison,
    MtHaplotype,
    compare_mtdna,
)
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
    """Per-site mutation rates for the mtDNA LR numerator (module docstring).

    ``rate_per_meiosis`` over ``reference_bp`` is the published whole-segment rate the
    per-site rate is derived from (Parsons et al. 1997: 10/327 over the 610 bp of HV1+HV2);
    ``site_rates`` maps an rCRS position to its own per-site, per-meiosis rate.
    """

    rate_per_meiosis: float = 10 / 327
    reference_bp: int = 610
    site_rates: Mapping[int, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate_per_meiosis <= 1.0 or self.reference_bp <= 0:
            raise ValueError("rate_per_meiosis must be in [0, 1] and reference_bp positive")
        if any(not 0.0 <= r <= 1.0 for r in self.site_rates.values()):
            raise ValueError("site rates must be in [0, 1]")

    @property
    def site_rate(self) -> float:
        """Default per-site, per-meiosis rate ``mu``."""
        return self.rate_per_meiosis / self.reference_bp

    def rate_at(self, position: int) -> float:
        return self.site_rates.get(position, self.site_rate)

    def describe(self) -> str:
        own = f"; own rates at {len(self.site_rates)} site(s)" if self.site_rates else ""
        return (f"per-site mutation rate {self.site_rate:.3g} per meiosis "
                f"({self.rate_per_meiosis:.4g} over {self.reference_bp} bp{own})")

    def log10_numerator(self, comparison: MtComparison, meioses: int) -> float:
        """log10 P(the differences observed and no other change | n meioses) (docstring)."""
        if comparison.classification is LineageClass.EXCLUDED:
            return -math.inf
        n = meioses
        changed = {d.position for d in comparison.differences}
        total = 0.0
        for p in changed:
            q = -math.expm1(n * math.log1p(-self.rate_at(p))) if n else 0.0
            if q <= 0.0:
                return -math.inf
            total += math.log10(q)
        unchanged = len(comparison.overlap) - len(changed)
        total += n * unchanged * math.log10(1.0 - self.site_rate) if n else 0.0
        for p, r in self.site_rates.items():  # own rates of unchanged compared sites
            if p in comparison.overlap and p not in changed and n:
                total += n * (math.log10(1.0 - r) - math.log10(1.0 - self.site_rate))
        return total


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


#: A cache of haplotype frequencies shared by many pairs (see :func:`mtdna_evidence`).
FrequencyCache = dict[tuple[object, ...], HaplotypeFrequency]


def _frequency(source: FrequencySource | None, count, bound: UpperBound,
               cache: FrequencyCache | None = None, key: tuple[object, ...] = ()
               ) -> HaplotypeFrequency | None:
    if source is None:
        return None
    if cache is not None and isinstance(source, PopulationDatabase):
        full = (id(source), bound, *key)
        if full not in cache:
            cache[full] = count(source)
        return cache[full]
    if isinstance(source, HaplotypeFrequency):
        return source
    if isinstance(source, tuple):
        x, n = source
        return haplotype_frequency(int(x), int(n), bound=bound)
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
    bound: UpperBound = DEFAULT_UPPER_BOUND,
    frequencies: FrequencyCache | None = None,
) -> LineageEvidence:
    """mtDNA LR of ``remains`` being ``missing``, from the references in the maternal line.

    ``population``: a :class:`PopulationDatabase` of :class:`MtHaplotype` (counted over the
    range compared), a ready :class:`HaplotypeFrequency`, or a ``(count, n)`` pair;
    ``bound``: the Clopper-Pearson upper limit used as the frequency. ``frequencies``: a
    dict shared over many pairs, so that one remains haplotype is counted in the database
    once (per range compared), not once per pair (the count does not depend on the family).
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
    num = allowance.log10_numerator(cmp, best.meioses)
    freq = _frequency(population, lambda db: mtdna_frequency(remains, db, over=cmp.overlap,
                                                             options=options, bound=bound),
                      bound, frequencies, ("mt", remains, cmp.overlap, options))
    lr = None if freq is None else num - math.log10(freq.upper)
    notes.append(f"compared range {cmp.overlap} ({len(cmp.overlap)} bp)")
    notes.append(f"numerator: P(the differences observed | {best.meioses} meioses), "
                 f"{allowance.describe()}")
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
    bound: UpperBound = DEFAULT_UPPER_BOUND,
    frequencies: FrequencyCache | None = None,
) -> LineageEvidence:
    """Y-STR LR of ``remains`` being ``missing``, from the men in his paternal line
    (``frequencies``: see :func:`mtdna_evidence`)."""
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
                                                            loci=cmp.compared_loci,
                                                            bound=bound), bound,
                      frequencies, ("y", remains, cmp.compared_loci))
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
