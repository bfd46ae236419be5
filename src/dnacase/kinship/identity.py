"""Identity LR between two profiles: are two remains samples from one individual?

Hypotheses: H1 = both samples come from the same individual; H2 = they come from two unrelated
individuals (Hardy-Weinberg genotypes drawn independently from the population frequencies).
All values are log10; the multi-locus log10 LR is the sum over loci (markers unlinked).

**Partial profiles.** A locus typed in only one sample (or in neither) contributes LR 1
(log10 0): only loci typed in both samples are compared.

**Observation model (one-peak calls of degraded bones).** A profile reports per locus either two
peaks ``{a, b}`` or one peak ``{a}`` (stored as the homozygote ``(a, a)``). With ``d`` the
probability that a heterozygote shows only one of its two alleles (allelic dropout)::

    P(obs {a}    | G = (a, a)) = 1
    P(obs {a}    | G = (a, x)) = d / 2          (x != a: the other allele dropped out)
    P(obs {a, b} | G = (a, b)) = 1 - d

Per locus, with ``P(G)`` the Hardy-Weinberg genotype probability::

    P(o1, o2 | H1) = sum_G P(G) P(o1 | G) P(o2 | G)      (one true genotype, two readings)
    P(o1, o2 | H2) = P(o1) P(o2),   P(o) = sum_G P(G) P(o | G)
    LR_locus       = (1 - eps) * P(o1, o2 | H1) / P(o1, o2 | H2) + eps

With ``d = 0`` and ``eps = 0`` this is the textbook closed form: ``LR = 1 / P(g)`` for the same
genotype ``g`` in both samples (``1 / p_a^2`` or ``1 / (2 p_a p_b)``) and ``LR = 0`` for different
genotypes. With ``d > 0`` a one-peak ``{a}`` read against two peaks ``{a, b}`` does not exclude:
``LR = (d / 2) / (p_a (p_a + d (1 - p_a)))``, near 1 (such loci are listed as
``dropout_loci``).

**Genotyping error (``eps``).** With probability ``eps`` a locus reading is treated as carrying
no identity information (a typing error, drop-in, or a mislabelled well at that locus), so a
single discordant locus gives ``LR = eps`` (strong evidence against, but not an absolute
exclusion), and a discordant pair of profiles still collapses by ``eps`` per locus. We keep
``eps > 0`` by default because two samples of one individual that disagree at one locus out of
twenty are far more often a typing error than two different people; the reviewer sees the
discordant loci (``mismatch_loci``). ``eps = 0`` gives exact exclusions (``-inf``).

Defaults: ``d = 0.05`` (degraded bone; Gill et al. put heterozygote dropout of low-template
samples in the 0.01-0.3 range) and ``eps = 0.001``.

Consensus: :func:`consensus_genotypes` merges the typed loci of several samples of one
individual (a locus typed in any sample; a one-peak call is absorbed by a compatible two-peak
call; a locus whose samples cannot be one genotype is left out and reported).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .markers import Locus, genotype_code, genotype_pairs

__all__ = [
    "DEFAULT_DROPOUT",
    "DEFAULT_ERROR",
    "IdentityResult",
    "consensus_genotypes",
    "identity_lr",
    "identity_table",
    "pairwise_identity",
]

DEFAULT_DROPOUT = 0.05
DEFAULT_ERROR = 0.001


def identity_table(locus: Locus, dropout: float = DEFAULT_DROPOUT,
                   error: float = DEFAULT_ERROR) -> np.ndarray:
    """log10 identity LR of every pair of observed genotypes at ``locus``.

    Returns float64 ``(G + 1, G + 1)`` with ``G = n (n + 1) / 2`` genotype codes
    (:func:`~dnacase.kinship.markers.genotype_code`); the last row and column stand for an
    untyped locus and hold 0 (LR 1). ``-inf`` only when ``error == 0`` (exclusion).
    """
    if not (0.0 <= dropout < 1.0) or not (0.0 <= error < 1.0):
        raise ValueError("dropout and error must be probabilities below 1")
    p = np.asarray(locus.freqs, dtype=np.float64)
    lo, hi = genotype_pairs(locus.n_alleles)
    n_g = lo.size
    het = lo != hi
    pg = np.where(het, 2.0 * p[lo] * p[hi], p[lo] * p[lo])  # P(G), Hardy-Weinberg
    # E[G, o] = P(o | G): at most three non-zero observations per true genotype
    rows = [np.arange(n_g)]
    cols = [np.arange(n_g)]
    vals = [np.where(het, 1.0 - dropout, 1.0)]
    for allele in (lo, hi):
        rows.append(np.flatnonzero(het))
        cols.append(allele[het] * (allele[het] + 3) // 2)
        vals.append(np.full(int(het.sum()), dropout / 2.0))  # (a, a) has code a (a + 3) / 2
    r, c, v = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
    keep = v > 0
    r, c, v = r[keep], c[keep], v[keep]
    emat = np.zeros((n_g, n_g))
    np.add.at(emat, (r, c), v)
    h1 = emat.T @ (pg[:, None] * emat)  # sum_G P(G) P(o1|G) P(o2|G)
    po = pg @ emat  # P(o)
    h2 = np.outer(po, po)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(h2 > 0, h1 / np.where(h2 > 0, h2, 1.0), 0.0)
        out = np.log10((1.0 - error) * ratio + error)
    table = np.zeros((n_g + 1, n_g + 1))
    table[:n_g, :n_g] = out
    return table


@dataclass(frozen=True)
class IdentityResult:
    """Identity LR of two profiles: ``log10_per_locus`` float64 ``(L,)`` (0 where a locus is
    not typed in both), ``compared`` loci typed in both, ``dropout_loci`` compared loci where a
    one-peak call met a two-peak call sharing the allele, ``mismatch_loci`` compared loci whose
    readings cannot be one genotype (their LR is ``eps``), and the model parameters."""

    loci: tuple[str, ...]
    log10_per_locus: np.ndarray
    compared: tuple[str, ...]
    dropout_loci: tuple[str, ...]
    mismatch_loci: tuple[str, ...]
    dropout: float
    error: float
    hypotheses: tuple[str, str] = ("H1: the two samples come from one individual",
                                   "H2: they come from two unrelated individuals")
    notes: tuple[str, ...] = field(default=(
        "markers treated as unlinked; Hardy-Weinberg genotype frequencies",))

    @property
    def log10_lr(self) -> float:
        v = self.log10_per_locus
        if np.any(np.isneginf(v)):
            return -math.inf
        return math.fsum(v.tolist())


def _kind(g1: tuple[int, int], g2: tuple[int, int]) -> str:
    """``same``, ``dropout`` (one-peak vs two-peak, shared allele) or ``mismatch``."""
    s1, s2 = set(g1), set(g2)
    if s1 == s2:
        return "same"
    if (len(s1) == 1 and s1 <= s2) or (len(s2) == 1 and s2 <= s1):
        return "dropout"
    return "mismatch"


def identity_lr(loci: Sequence[Locus], a: np.ndarray, b: np.ndarray, *,
                dropout: float = DEFAULT_DROPOUT, error: float = DEFAULT_ERROR,
                tables: Sequence[np.ndarray] | None = None) -> IdentityResult:
    """Identity LR (log10, see module doc) of profiles ``a`` and ``b``: int ``(L, 2)`` allele
    indices into ``loci[i].alleles``, ``-1`` untyped. ``tables``: the loci's
    :func:`identity_table` for the same ``dropout`` and ``error`` (built when not given)."""
    a, b = np.asarray(a), np.asarray(b)
    out = np.zeros(len(loci))
    compared, drop, bad = [], [], []
    for i, loc in enumerate(loci):
        if (a[i] < 0).any() or (b[i] < 0).any():
            continue
        table = tables[i] if tables is not None else identity_table(loc, dropout, error)
        ca = int(genotype_code(a[i, 0], a[i, 1]))
        cb = int(genotype_code(b[i, 0], b[i, 1]))
        out[i] = table[ca, cb]
        compared.append(loc.name)
        kind = _kind((int(a[i, 0]), int(a[i, 1])), (int(b[i, 0]), int(b[i, 1])))
        if kind == "dropout":
            drop.append(loc.name)
        elif kind == "mismatch":
            bad.append(loc.name)
    return IdentityResult(tuple(loc.name for loc in loci), out, tuple(compared), tuple(drop),
                          tuple(bad), dropout, error)


def pairwise_identity(tables: Sequence[np.ndarray], codes: np.ndarray, min_log10: float,
                      *, block: int = 256) -> list[tuple[int, int, float, int]]:
    """Every pair ``i < j`` of ``codes`` (int ``(R, L)`` genotype codes, ``-1`` untyped) whose
    summed log10 identity LR is ``>= min_log10``: ``(i, j, log10 LR, loci compared)``.

    ``tables[l]`` is :func:`identity_table` of locus ``l``. Work in row blocks of ``block``
    (memory ``block x R x L``)."""
    codes = np.asarray(codes)
    n_r, n_l = codes.shape
    idx = np.empty_like(codes, dtype=np.int64)
    for j in range(n_l):
        g = tables[j].shape[0] - 1
        idx[:, j] = np.where(codes[:, j] < 0, g, codes[:, j])
    typed = codes >= 0
    hits: list[tuple[int, int, float, int]] = []
    typed32 = typed.astype(np.int32)
    for s in range(0, n_r, block):
        e = min(n_r, s + block)  # rows s..e-1 against columns s..R-1 (pairs i < j only)
        total = np.zeros((e - s, n_r - s))
        for j in range(n_l):
            total += tables[j][idx[s:e, j][:, None], idx[None, s:, j]]
        ii, jj = np.nonzero(total >= min_log10)
        for i, j in zip(ii.tolist(), jj.tolist(), strict=True):
            if i < j:
                n_cmp = int(typed32[s + i] @ typed32[s + j])
                hits.append((s + i, s + j, float(total[i, j]), n_cmp))
    return hits


def consensus_genotypes(
    samples: Sequence[Mapping[str, tuple[str, str]]],
) -> tuple[dict[str, tuple[str, str]], dict[str, list[tuple[str, str]]]]:
    """Consensus of several samples of one individual: ``(genotypes, conflicts)``.

    A locus typed in any sample enters the consensus. Readings that are one genotype (the same
    two alleles, or one-peak calls ``(a, a)`` whose allele is in a two-peak call ``(a, b)``,
    read as dropout) give that genotype (the two-peak call when there is one). A locus whose
    readings cannot be one genotype (three or more alleles, two different two-peak calls, or
    only one-peak calls of two different alleles) is left out and returned in ``conflicts``
    with every reading.
    """
    readings: dict[str, list[tuple[str, str]]] = {}
    for prof in samples:
        for locus, pair in prof.items():
            readings.setdefault(locus, []).append((str(pair[0]), str(pair[1])))
    out: dict[str, tuple[str, str]] = {}
    conflicts: dict[str, list[tuple[str, str]]] = {}
    for locus, reads in readings.items():
        alleles = {x for r in reads for x in r}
        twos = {frozenset(r) for r in reads if r[0] != r[1]}
        if len(alleles) > 2 or len(twos) > 1 or (len(alleles) == 2 and not twos):
            conflicts[locus] = reads
        elif twos:
            out[locus] = tuple(sorted(next(iter(twos)), key=_allele_key))  # type: ignore[assignment]
        else:
            out[locus] = reads[0]
    return out, conflicts


def _allele_key(a: str) -> tuple[float, str]:
    try:
        return (float(a), a)
    except ValueError:
        return (math.inf, a)
