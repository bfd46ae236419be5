"""Likelihood ratios: missing-person LR and LR between two pedigree hypotheses.

All results are log10 (base-10 logarithms) per locus; the multi-locus log10 LR is their sum
(markers unlinked). ``-inf`` means LR = 0 (the data exclude hypothesis H1); an LR above the
double range is still exact on the log10 scale (``LRResult.lr`` is then ``None``).

Missing-person LR at one locus (H1: the person of interest (POI) is the missing person MP;
H2: the POI is unrelated to the family)::

    LR = P(refs, MP = g_POI | pedigree) / ( P(refs | pedigree) * P_HW(g_POI) )

with ``P_HW(a,a) = p_a^2`` and ``P_HW(a,b) = 2 p_a p_b``. A locus where the POI is untyped
has LR 1 (log10 0). A locus where nobody in the family is typed is computed exactly too
(under a non-stationary mutation model it can differ from 1).

One-allele observations (allele dropout with probability d, or an unresolved second allele;
:mod:`.peaks`): where the POI shows one allele a, both likelihoods sum over its true
genotypes g weighted by ``w(g) = P(one peak a | g)``::

    LR = sum_g w(g) P(refs, MP = g) / ( P(refs) * sum_g w(g) P_HW(g) )

and a reference showing one allele is summed over likewise under both hypotheses. Without
such observations (or with d = 0) the values are exactly those of the formula above.

Inconsistent loci: those where the H1 data are Mendelian-incompatible (probability 0 without
mutation) while the references alone are compatible: the POI's genotype cannot be the
missing person's without a mutation. With a mutation model the LR there is small but > 0;
without one it is 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from .likelihood import freq_table, loglik_per_locus, missing_person_loglik
from .markers import Locus
from .peaks import (
    loglik_per_locus_peaks,
    missing_person_loglik_peaks,
    null_index,
    peak_mask,
    seen_hw,
)
from .pedigree import Pedigree

__all__ = [
    "ENGINE_VERSION",
    "KinshipDataError",
    "LRResult",
    "hypothesis_lr",
    "log10_hw",
    "missing_person_lr",
]

ENGINE_VERSION = "dnacase.kinship 1.0"
_LN10 = math.log(10.0)
UNLINKED_NOTE = "markers treated as unlinked: the total LR is the product of per-locus LRs"


class KinshipDataError(ValueError):
    """Data that make an LR undefined (e.g. references inconsistent among themselves)."""


@dataclass(frozen=True)
class LRResult:
    """Result of one LR computation.

    loci: locus names ``(L,)``; log10_per_locus: float64 ``(L,)`` log10 LR per locus (``-inf``
    for LR 0); inconsistent: names of inconsistent loci (see module docstring); hypotheses:
    human-readable H1 and H2; notes: assumptions and policies applied (the first says whether
    markers are treated as unlinked, or linked: :mod:`.linkage.lr`, whose per-locus values are
    chain increments along each chromosome)."""

    loci: tuple[str, ...]
    log10_per_locus: np.ndarray
    inconsistent: tuple[str, ...]
    hypotheses: tuple[str, str]
    notes: tuple[str, ...] = field(default=(UNLINKED_NOTE,))
    engine: str = ENGINE_VERSION

    @property
    def log10_lr(self) -> float:
        """Multi-locus log10 LR (``-inf`` when any locus excludes)."""
        v = self.log10_per_locus
        if np.any(np.isneginf(v)):
            return -math.inf
        return math.fsum(v.tolist())

    @property
    def excluded(self) -> bool:
        return math.isinf(self.log10_lr)

    @property
    def lr(self) -> float | None:
        """The LR as a double; ``0.0`` when excluded; ``None`` when it over- or underflows
        a double (use :attr:`log10_lr`)."""
        x = self.log10_lr
        if math.isinf(x):
            return 0.0
        try:
            v = 10.0**x
        except OverflowError:
            return None
        if v == 0.0 or math.isinf(v):
            return None
        return v

    def per_locus(self) -> dict[str, float]:
        """``{locus: log10 LR}`` in locus order."""
        return dict(zip(self.loci, self.log10_per_locus.tolist(), strict=True))


def log10_hw(loci: Sequence[Locus], genotype: np.ndarray) -> np.ndarray:
    """Hardy-Weinberg log10 probability of a profile ``(L, 2)`` (``0`` where untyped):
    ``log10(p_a^2)`` or ``log10(2 p_a p_b)``."""
    g = np.asarray(genotype)
    out = np.zeros(len(loci))
    if not len(loci):
        return out
    pad = freq_table(tuple(loci)).pad
    j = np.flatnonzero((g >= 0).all(axis=1))
    out[j] = np.log10(_hw(pad[j], g[j]))
    return out


def _hw(pad: np.ndarray, genotype: np.ndarray) -> np.ndarray:
    """Hardy-Weinberg probabilities of typed genotypes ``(n, 2)``, row i at the locus of
    ``pad[i]`` (padded frequencies): ``p_a^2`` or ``2 p_a p_b``."""
    a, b = genotype[:, 0], genotype[:, 1]
    li = np.arange(genotype.shape[0])
    pa, pb = pad[li, a], pad[li, b]
    return np.where(a == b, pa * pa, 2.0 * pa * pb)


def _strip(loci: Sequence[Locus]) -> list[Locus]:
    return [loc.without_mutation() for loc in loci]


@lru_cache(maxsize=256)
def _locus_notes(loci: tuple[Locus, ...]) -> tuple[tuple[str, ...], str]:
    """Locus names and the "mutation models: ..." note of a locus list (cached)."""
    mut_desc = sorted({loc.describe_mutation() for loc in loci})
    return tuple(loc.name for loc in loci), f"mutation models: {'; '.join(mut_desc)}"


def missing_person_lr(
    pedigree: Pedigree,
    missing: str,
    loci: Sequence[Locus],
    references: np.ndarray,
    poi: np.ndarray,
    notes: Sequence[str] = (),
    max_clique: int | None = None,
    ref_peaks: np.ndarray | None = None,
    poi_peaks: np.ndarray | None = None,
) -> LRResult:
    """Missing-person LR of one POI profile against one family.

    pedigree: H1 pedigree containing ``missing`` (untyped) and the references;
    references: int ``(n_persons, n_loci, 2)`` allele indices in pedigree order (``-1``
    untyped; the row of ``missing`` must be untyped); poi: int ``(n_loci, 2)``;
    ref_peaks / poi_peaks: one-allele weights float ``(n_persons, n_loci, 2)`` /
    ``(n_loci, 2)`` (:mod:`.peaks`; NaN or None: genotypes read as written).
    Returns log10 LR per locus (see module docstring for the formula). ``max_clique``: the
    complexity limit (entries of the largest intermediate table per locus; default
    :data:`.likelihood.MAX_CLIQUE`); a locus beyond it raises
    :class:`.likelihood.TooComplexError` naming it.
    """
    ref = np.asarray(references)
    q = pedigree.index(missing)
    if ref.shape != (len(pedigree), len(loci), 2):
        raise KinshipDataError(
            f"references must have shape ({len(pedigree)}, {len(loci)}, 2), got {ref.shape}"
        )
    if (ref[q] >= 0).any():
        raise KinshipDataError(f"the missing person {missing!r} must be untyped in the family data")
    poi = np.asarray(poi)
    if (null_index(loci) >= 0).any():  # silent alleles: every one-peak reading is summed over
        ref_peaks = _null_peaks(loci, ref, ref_peaks)
        poi_peaks = _null_peaks(loci, poi, poi_peaks)
    typed = (poi >= 0).all(axis=1)
    out = np.zeros(len(loci))
    inconsistent: list[str] = []
    if typed.all():  # the usual case: no copies
        cols, sl, rv, pv = slice(None), list(loci), ref, poi
    else:
        cols = np.flatnonzero(typed)
        sl, rv, pv = [loci[j] for j in cols], ref[:, cols, :], poi[cols]
    psoft = peak_mask(poi_peaks, poi)[cols]
    rsoft = peak_mask(ref_peaks, ref)
    if sl and (psoft.any() or rsoft.any()):
        l1, l2, l1p, l2p = missing_person_loglik_peaks(
            pedigree, q, sl, rv, pv,
            None if ref_peaks is None else np.asarray(ref_peaks)[:, cols],
            None if poi_peaks is None else np.asarray(poi_peaks)[cols], max_clique,
        )  # fmt: skip
    elif sl:
        l1, l2, l1p, l2p = missing_person_loglik(pedigree, q, sl, rv, pv, max_clique)
    if sl:
        if np.isneginf(l2).any():
            names = ", ".join(sl[j].name for j in np.flatnonzero(np.isneginf(l2)))
            raise KinshipDataError(
                f"the reference genotypes are impossible on this pedigree at locus {names} "
                "(Mendelian inconsistency among the references; the LR is undefined: check the "
                "data or set a mutation model)"
            )
        hw = _hw(freq_table(tuple(sl)).pad, pv)
        if psoft.any():
            hw[psoft] = _seen_hw(sl, pv, np.asarray(poi_peaks)[cols], psoft)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[cols] = (l1 - l2 - np.log(hw)) / _LN10
        zero = np.where(np.isnan(l1p), np.isneginf(l1), np.isneginf(l1p) & np.isfinite(l2p))
        if zero.any():
            inconsistent = [sl[j].name for j in np.flatnonzero(zero)]
    names, mut_note = _locus_notes(tuple(loci))
    all_notes = (UNLINKED_NOTE, mut_note, *notes, *_peak_notes(pedigree, loci, psoft, cols, rsoft))
    return LRResult(
        names,
        out,
        tuple(inconsistent),
        (f"H1: the POI is {missing!r} of the pedigree", "H2: the POI is unrelated to the pedigree"),
        all_notes,
    )


def _seen_hw(sl: Sequence[Locus], pv: np.ndarray, w: np.ndarray, psoft: np.ndarray) -> np.ndarray:
    """Hardy-Weinberg probability of the POI's one-allele observations at ``psoft``."""
    pad = freq_table(tuple(sl)).pad
    j = np.flatnonzero(psoft)
    nul = null_index(sl)[j]
    q = np.where(nul >= 0, pad[j, np.maximum(nul, 0)], 0.0)
    return seen_hw(pad[j, pv[j, 0]], w[j], pad[j].sum(axis=1), q)


def _null_peaks(loci: Sequence[Locus], g: np.ndarray, w: np.ndarray | None) -> np.ndarray:
    """Weights with ``(1, 0)`` (one peak without dropout) where a locus has a silent allele,
    the genotype is written ``(a, a)`` and no weight was given (:mod:`.peaks`)."""
    g = np.asarray(g)
    out = np.full((*g.shape[:-1], 2), np.nan) if w is None else np.array(w, dtype=np.float64)
    hom = (g[..., 0] >= 0) & (g[..., 0] == g[..., 1]) & np.isnan(out[..., 0])
    hom &= null_index(loci) >= 0
    out[hom] = (1.0, 0.0)
    return out


def _peak_notes(
    pedigree: Pedigree,
    loci: Sequence[Locus],
    psoft: np.ndarray,
    cols: slice | np.ndarray,
    rsoft: np.ndarray,
) -> tuple[str, ...]:
    """Notes naming the loci read as one allele (summed over the true genotypes)."""
    out = []
    idx = np.arange(len(loci))[cols]
    if psoft.any():
        names = ", ".join(loci[j].name for j in idx[psoft])
        out.append(f"POI: one allele seen at {names} (allele dropout: summed over the true "
                   "genotypes)")
    for i in np.flatnonzero(rsoft.any(axis=1)):
        names = ", ".join(loci[j].name for j in np.flatnonzero(rsoft[i]))
        out.append(f"{pedigree.ids[i]}: one allele seen at {names} (allele dropout: summed "
                   "over the true genotypes)")
    return tuple(out)


def _align(ped: Pedigree, loci: Sequence[Locus], profiles: Mapping[str, np.ndarray]) -> np.ndarray:
    g = np.full((len(ped), len(loci), 2), -1, dtype=np.int32)
    for pid, prof in profiles.items():
        g[ped.index(pid)] = np.asarray(prof)
    return g


def hypothesis_lr(
    h1: Pedigree,
    h2: Pedigree,
    loci: Sequence[Locus],
    profiles: Mapping[str, np.ndarray],
    labels: tuple[str, str] = ("H1", "H2"),
    notes: Sequence[str] = (),
    max_clique: int | None = None,
    peaks: Mapping[str, np.ndarray] | None = None,
) -> LRResult:
    """LR of the same typed persons under two pedigrees: ``P(data | h1) / P(data | h2)``.

    profiles: ``{person id: int (n_loci, 2)}``; every id must be in both pedigrees (e.g. from
    :func:`relationship_pedigree` for a pairwise test such as full siblings vs unrelated).
    ``-inf`` per locus where h1 excludes the data; :class:`KinshipDataError` where h2 does
    (the LR is then undefined). Inconsistent loci: where h1 is Mendelian-incompatible
    (probability 0 without mutation) while h2 is not. peaks: ``{person id: float (n_loci, 2)}``
    one-allele weights (:mod:`.peaks`) of persons that may show one allele (at a locus with a
    silent allele, :func:`.peaks.add_null_allele`, every one-peak reading is summed over
    ``{a, a}`` and ``{a, null}`` as in :func:`missing_person_lr`). ``max_clique``:
    the complexity limit, as in :func:`missing_person_lr`.
    """
    if (null_index(loci) >= 0).any():  # silent alleles: every one-peak reading is summed over
        peaks = {pid: _null_peaks(loci, np.asarray(g), (peaks or {}).get(pid))
                 for pid, g in profiles.items()}
    g1, g2 = _align(h1, loci, profiles), _align(h2, loci, profiles)
    l1 = _loglik(h1, loci, g1, peaks, max_clique=max_clique)
    l2 = _loglik(h2, loci, g2, peaks, max_clique=max_clique)
    bad = np.flatnonzero(np.isneginf(l2))
    if bad.size:
        names = ", ".join(loci[j].name for j in bad)
        raise KinshipDataError(f"the data are impossible under {labels[1]} at locus {names}")
    with np.errstate(invalid="ignore"):
        out = (l1 - l2) / _LN10
    zero = np.isneginf(l1)
    mut = np.flatnonzero([loc.has_mutation for loc in loci])
    if mut.size:
        plain = _strip([loci[j] for j in mut])
        z1 = np.isneginf(_loglik(h1, plain, g1[:, mut], peaks, mut, max_clique))
        z2 = np.isneginf(_loglik(h2, plain, g2[:, mut], peaks, mut, max_clique))
        zero[mut] = z1 & ~z2
    return LRResult(
        tuple(loc.name for loc in loci),
        out,
        tuple(loci[j].name for j in np.flatnonzero(zero)),
        labels,
        (UNLINKED_NOTE, *notes),
    )


def _loglik(
    ped: Pedigree,
    loci: Sequence[Locus],
    g: np.ndarray,
    peaks: Mapping[str, np.ndarray] | None,
    cols: np.ndarray | None = None,
    max_clique: int | None = None,
) -> np.ndarray:
    """Per-locus natural-log likelihood, with one-allele observations when ``peaks`` has any
    (restricted to the locus columns ``cols`` when given); ``max_clique`` as in
    :func:`missing_person_lr`."""
    if peaks:
        w = np.full((len(ped), g.shape[1], 2), np.nan)
        for pid, pw in peaks.items():
            pw = np.asarray(pw)
            w[ped.index(pid)] = pw if cols is None else pw[cols]
        if peak_mask(w, g).any():
            return loglik_per_locus_peaks(ped, loci, g, w, max_clique)
    return loglik_per_locus(ped, loci, g, max_clique)
