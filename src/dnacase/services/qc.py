"""Quality control of incoming profiles (pure functions; the import service loads the data).

Findings (:class:`Finding`) have a ``kind`` and a ``severity``:

* ``hold``: not used as a single-source profile unless a lab user overrides with a reason:
  ``mixture`` (more than two alleles at an autosomal locus) and ``contamination`` signs
  (Amelogenin X only with Y markers typed; duplications at two or more single-copy Y markers;
  a remains profile matching a staff profile of the elimination database, kind
  ``elimination_match``);
* ``review``: stored and usable, listed for a reviewer: ``sex_mismatch`` (Amelogenin against
  the recorded sex), ``duplicate`` (identical or nearly identical to another sample's profile),
  ``family_inconsistency`` (the pairwise kinship LR of the recorded relationship against
  "unrelated" favours unrelated, or too many loci need a mutation), and a batch whose negative
  control shows peaks (``contamination``, review only: it does not say which sample);
* ``info``: ``partial`` profiles (fewer autosomal loci typed than the kit types).

Matching (duplicates, elimination): two profiles match when at least ``min_loci`` autosomal
loci are typed in both and no locus is incompatible; a locus is compatible when the genotypes
are equal, or when one side shows a single peak that is one of the other side's two alleles
(dropout in degraded remains). Loci typed on one side only are ignored ("a few untyped loci").
The all-pairs screen is vectorised (numpy) with a bound that never drops a match (however many
loci show dropout), then candidates are checked exactly.

Family consistency: for a relative and each already-typed relative of the same family whom the
recorded pedigree makes blood relatives, the log10 LR of the family pedigree (the recorded
relationships) against the two being unrelated, with the loci and mutation model of
:mod:`dnacase.services.evidence_model` (the same as the search's), a single peak read with the
sample's dropout probability as the search reads it (:class:`Reading`); flagged when the LR
favours "unrelated" by more than a factor of 10 (log10 LR
< ``family_flag_log10`` = -1: distant relatives such as cousins often give LRs a little under 1
by chance, a false parent, child or sibling gives far less) or when more than
``max_inconsistent`` loci are Mendelian-inconsistent (each needs a mutation). Each result
names the hypotheses it tests.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dnacase.domain.family import FamilyPedigree
from dnacase.formats import FrequencyTable
from dnacase.i18n import gettext as _
from dnacase.services import evidence_model
from dnacase.services.evidence_model import EvidenceSettings

Genotypes = Mapping[str, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class QCSettings:
    """Thresholds of the checks (loci counts are autosomal STR loci)."""

    duplicate_min_loci: int = 8
    elimination_min_loci: int = 6
    max_mismatches: int = 0
    family_min_loci: int = 8
    family_flag_log10: float = -1.0
    max_inconsistent: int = 1
    evidence: EvidenceSettings = evidence_model.DEFAULTS


DEFAULT_SETTINGS = QCSettings()


@dataclass(slots=True)
class Finding:
    """One QC finding about one incoming profile."""

    kind: str
    severity: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def hold(self) -> bool:
        return self.severity == "hold"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "severity": self.severity, "message": self.message,
                "details": self.details}


# --------------------------------------------------------------------------- single profile


def mixture_findings(loci: Mapping[str, Any], sample_issue_codes: set[str]) -> list[Finding]:
    """Mixture and contamination signs of one STR profile (stored JSON form)."""
    out = []
    mix = [k for k, v in loci.items() if v.get("mixture")]
    if mix:
        out.append(Finding("mixture", "hold", _(
            "More than two alleles at %(n)d autosomal loci (%(loci)s): a mixture; not used as a "
            "single-source profile unless a lab user accepts it with a reason.",
            n=len(mix), loci=", ".join(mix)), {"loci": mix}))
    if "sex_marker_conflict" in sample_issue_codes:
        out.append(Finding("contamination", "hold", _(
            "Amelogenin shows X only but Y markers are typed: contamination, mixture or sample "
            "swap; held until a lab user accepts it with a reason."), {"sign": "sex_markers"}))
    dup = [k for k, v in loci.items() if v.get("duplication")]
    if len(dup) >= 2:
        out.append(Finding("contamination", "hold", _(
            "Two or more alleles at %(n)d single-copy Y markers (%(loci)s): probably a mixture "
            "of two men; held until a lab user accepts it with a reason.",
            n=len(dup), loci=", ".join(dup)), {"sign": "y_duplications", "loci": dup}))
    return out


def sex_finding(profile_sex: str | None, recorded_sex: str | None, whose: str) -> Finding | None:
    """Amelogenin sex against the recorded sex (``U``/unknown: no check)."""
    if profile_sex not in ("M", "F") or recorded_sex not in ("M", "F"):
        return None
    if profile_sex == recorded_sex:
        return None
    return Finding("sex_mismatch", "review", _(
        "Amelogenin says %(amel)s but %(whose)s is recorded as %(rec)s: sample swap, "
        "AMELY deletion or a recording error; review.",
        amel=_("male") if profile_sex == "M" else _("female"), whose=whose,
        rec=_("male") if recorded_sex == "M" else _("female")),
        {"amelogenin": profile_sex, "recorded": recorded_sex})


def partial_finding(n_typed: int, n_expected: int, kit: str) -> Finding | None:
    if n_expected and 0 < n_typed < n_expected:
        return Finding("partial", "info", _(
            "Partial profile: %(n)d of %(m)d autosomal loci of %(kit)s typed.",
            n=n_typed, m=n_expected, kit=kit), {"typed": n_typed, "expected": n_expected})
    return None


# --------------------------------------------------------------------------- matching


@dataclass(frozen=True, slots=True)
class Match:
    """Incoming profile ``i`` matches stored profile ``j`` (indices into the given lists)."""

    i: int
    j: int
    compared: int
    identical: int
    dropout: int
    mismatches: int

    def to_dict(self) -> dict[str, int]:
        return {"compared": self.compared, "identical": self.identical,
                "dropout_compatible": self.dropout, "mismatches": self.mismatches}


def _encode(profiles: Sequence[Genotypes], loci: list[str],
            codes: list[dict[tuple[str, ...], int]], missing: int) -> np.ndarray:
    arr = np.full((len(profiles), len(loci)), missing, dtype=np.int16)
    index = {k: n for n, k in enumerate(loci)}
    for r, prof in enumerate(profiles):
        for locus, g in prof.items():
            c = index.get(locus)
            if c is None:
                continue
            table = codes[c]
            arr[r, c] = table.setdefault(g, len(table))
    return arr


def _compare(a: Genotypes, b: Genotypes) -> tuple[int, int, int, int]:
    compared = identical = dropout = mismatches = 0
    for locus, ga in a.items():
        gb = b.get(locus)
        if gb is None:
            continue
        compared += 1
        if ga == gb:
            identical += 1
        elif (len(ga) == 1 and ga[0] in gb) or (len(gb) == 1 and gb[0] in ga):
            dropout += 1
        else:
            mismatches += 1
    return compared, identical, dropout, mismatches


def find_matches(incoming: Sequence[Genotypes], stored: Sequence[Genotypes] | None, *,
                 min_loci: int, max_mismatches: int = 0, chunk: int = 128,
                 max_elements: int = 8_000_000) -> list[Match]:
    """Matching pairs (see module doc). ``stored=None`` compares ``incoming`` with itself
    (pairs ``i < j``). Cost: O(n x m x loci) vectorised in blocks of at most ``chunk``
    incoming rows and ``max_elements`` locus comparisons (bounded memory whatever the size of
    the bank).

    The vectorised screen never drops a match: a locus typed on both sides is equal, or of
    different zygosity (one single peak, one pair: compatible when the peak is one of the
    pair's alleles), or of the same zygosity and different, which is always incompatible.
    So ``both - equal - mixed_zygosity`` is a lower bound on the incompatible loci; pairs
    with ``both >= min_loci`` and that bound ``<= max_mismatches`` are checked exactly."""
    self_compare = stored is None
    other = incoming if stored is None else stored
    if not incoming or not other:
        return []
    loci = sorted({k for p in incoming for k in p} | {k for p in other for k in p})
    codes: list[dict[tuple[str, ...], int]] = [{} for _ in loci]
    a = _encode(incoming, loci, codes, -1)
    b = a if self_compare else _encode(other, loci, codes, -1)
    hom_a, het_a = _zygosity(incoming, loci)
    hom_b, het_b = (hom_a, het_a) if self_compare else _zygosity(other, loci)
    b_miss = np.where(b >= 0, b, np.int16(-2))
    ta, tb = hom_a + het_a, hom_b + het_b  # typed (float32 0/1)
    rows = max(1, min(chunk, max_elements // max(1, b.shape[0] * len(loci))))
    cols = max(1, max_elements // max(1, rows * len(loci)))
    out: list[Match] = []
    for c0 in range(0, b.shape[0], cols):
        c1 = min(b.shape[0], c0 + cols)
        for start in range(0, a.shape[0], rows):
            stop = min(a.shape[0], start + rows)
            if self_compare and c1 <= start + 1:
                continue  # only pairs i < j
            eq = (a[start:stop, None, :] == b_miss[None, c0:c1, :]).sum(axis=2)
            both = ta[start:stop] @ tb[c0:c1].T
            mixed = hom_a[start:stop] @ het_b[c0:c1].T + het_a[start:stop] @ hom_b[c0:c1].T
            cand = (both >= min_loci) & (both - eq - mixed <= max_mismatches + 0.5)
            if self_compare:
                cand &= (np.arange(c0, c1)[None, :] > np.arange(start, stop)[:, None])
            for bi, bj in zip(*np.nonzero(cand), strict=True):
                i, j = start + int(bi), c0 + int(bj)
                compared, identical, dropout, mismatches = _compare(incoming[i], other[j])
                if compared >= min_loci and mismatches <= max_mismatches:
                    out.append(Match(i, j, compared, identical, dropout, mismatches))
    out.sort(key=lambda m: (m.i, m.j))
    return out


def _zygosity(profiles: Sequence[Genotypes], loci: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """float32 (n, L) indicators: one allele listed / two or more listed at each locus (the
    distinction :func:`_compare` makes for dropout)."""
    index = {k: n for n, k in enumerate(loci)}
    hom = np.zeros((len(profiles), len(loci)), dtype=np.float32)
    het = np.zeros_like(hom)
    for r, prof in enumerate(profiles):
        for locus, g in prof.items():
            c = index.get(locus)
            if c is not None and g:
                (hom if len(g) == 1 else het)[r, c] = 1.0
    return hom, het


# --------------------------------------------------------------------------- family


@dataclass(slots=True)
class PairCheck:
    """The pairwise test of two typed relatives of one family."""

    other: str
    hypotheses: tuple[str, str]
    loci: int
    log10_lr: float
    inconsistent: tuple[str, ...]
    notes: tuple[str, ...] = ()
    error: str | None = None

    def flagged(self, settings: QCSettings) -> bool:
        return self.error is None and (self.log10_lr < settings.family_flag_log10
                                       or len(self.inconsistent) > settings.max_inconsistent)

    def to_dict(self) -> dict[str, Any]:
        return {"other": self.other, "hypotheses": list(self.hypotheses), "loci": self.loci,
                "log10_lr": None if math.isinf(self.log10_lr) else round(self.log10_lr, 4),
                "excluded": math.isinf(self.log10_lr), "inconsistent": list(self.inconsistent),
                "notes": list(self.notes), "error": self.error}


def _ancestors(ped: FamilyPedigree, node: str) -> set[str]:
    parents = {n.id: (n.father, n.mother) for n in ped.nodes}
    seen = {node}
    stack = [node]
    while stack:
        for p in parents.get(stack.pop(), ()):
            if p and p not in seen:
                seen.add(p)
                stack.append(p)
    return seen


def blood_related(ped: FamilyPedigree, a: str, b: str) -> bool:
    """True when ``a`` and ``b`` share an ancestor in the pedigree (or one descends from the
    other)."""
    return bool(_ancestors(ped, a) & _ancestors(ped, b))


@dataclass(frozen=True, slots=True)
class Reading:
    """How a typed relative's profile is read: the loci with one called allele and how
    (:func:`dnacase.services.profiles.one_allele_loci`: ``"peak"`` or ``"off_ladder"``) and
    the sample's allele dropout probability (:func:`dnacase.services.dropout.sample_dropout`)."""

    one_allele: Mapping[str, str] = field(default_factory=dict)
    dropout: float = 0.0


def family_pair_check(ped: FamilyPedigree, new_node: str, other_node: str,
                      new_pairs: Mapping[str, tuple[str, str]],
                      other_pairs: Mapping[str, tuple[str, str]], table: FrequencyTable,
                      labels: tuple[str, str], settings: QCSettings = DEFAULT_SETTINGS,
                      readings: Mapping[str, Reading] | None = None) -> PairCheck | None:
    """Pairwise LR of the family pedigree against "the two are unrelated" (log10, summed over
    the loci typed in both and present in ``table``). ``None`` when fewer than
    ``family_min_loci`` loci can be compared. CPU-bound: run it off the event loop.

    ``readings`` (``{node: Reading}``): a locus with one called allele is read as the search
    reads it (:func:`dnacase.kinship.peaks.observation_weights`): one peak with the sample's
    dropout probability ``d`` (summed over ``{a, a}`` with ``1 - d^2`` and ``{a, x}`` with
    ``d (1 - d)``; a homozygote when ``d = 0``), a called allele beside an off-ladder peak as
    that allele plus one unknown allele. Without it every single peak is a homozygote."""
    from dnacase.kinship import (
        KinshipDataError,
        LikelihoodError,
        MarkerError,
        PedigreeError,
        encode_profiles,
        hypothesis_lr,
        unrelated,
    )
    from dnacase.kinship.peaks import observation_weights

    common = [k for k in new_pairs if k in other_pairs and k in table.frequencies]
    if len(common) < settings.family_min_loci:
        return None
    loci: list[Any] = []
    notes: list[str] = []
    try:
        loci, notes = evidence_model.kinship_loci(
            table, {k: [*new_pairs[k], *other_pairs[k]] for k in sorted(common)},
            settings.evidence)
        g = encode_profiles(loci, [new_node, other_node],
                            {new_node: new_pairs, other_node: other_pairs})
        h1 = ped.to_kinship()
        h2 = unrelated([new_node, other_node])
        names = [loc.name for loc in loci]
        peaks = {n: observation_weights(names, r.one_allele, r.dropout)
                 for n, r in (readings or {}).items() if n in (new_node, other_node)}
        res = hypothesis_lr(h1, h2, loci, {new_node: g[0], other_node: g[1]}, labels=labels,
                            notes=tuple(notes), peaks=peaks or None)
    except (KinshipDataError, LikelihoodError, MarkerError, PedigreeError, ValueError) as exc:
        return PairCheck(other_node, labels, len(loci), math.nan, (), tuple(notes), str(exc))
    return PairCheck(other_node, labels, len(loci), res.log10_lr, res.inconsistent,
                     tuple(notes))


def family_finding(checks: Sequence[tuple[str, PairCheck]],
                   settings: QCSettings = DEFAULT_SETTINGS) -> Finding | None:
    """One ``family_inconsistency`` finding summarising the flagged pair checks
    (``checks``: (other relative's label, check))."""
    bad = [(who, c) for who, c in checks if c.flagged(settings)]
    if not bad:
        return None
    parts = []
    for who, c in bad:
        lr = "-inf" if math.isinf(c.log10_lr) else f"{c.log10_lr:.2f}"
        parts.append(_("%(who)s: log10 LR %(lr)s over %(n)d loci, %(k)d loci need a mutation",
                       who=who, lr=lr, n=c.loci, k=len(c.inconsistent)))
    return Finding("family_inconsistency", "review", _(
        "The recorded relationship is doubtful (%(parts)s); %(h1)s against %(h2)s. Review "
        "before this profile is used.", parts="; ".join(parts), h1=bad[0][1].hypotheses[0],
        h2=bad[0][1].hypotheses[1]), {"checks": [dict(c.to_dict(), label=w) for w, c in checks]})
