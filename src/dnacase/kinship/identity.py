"""Identity LR between two profiles: are two remains samples from one individual?

Hypotheses: H1 = both samples come from the same individual; H2 = they come from two unrelated
individuals (Hardy-Weinberg genotypes drawn independently from the population frequencies).
All values are log10; the multi-locus log10 LR is the sum over loci (markers unlinked).

**Partial profiles.** A locus typed in only one sample (or in neither) contributes LR 1
(log10 0): only loci typed in both samples are compared.

**Observation model (one-peak calls of degraded bones).** The allele dropout model of the
search (:mod:`.peaks`): each allele copy of a sample drops out independently with that
sample's probability ``d`` (its own value, else the default of its sample type, set by the
service). A profile reports per locus two peaks ``{a, b}`` or one peak ``{a}`` (stored as
``(a, a)``)::

    P(obs {a, b} | G = (a, b)) = (1 - d)^2
    P(obs {a}    | G = (a, a)) = 1 - d^2
    P(obs {a}    | G = (a, x)) = d (1 - d)      (x != a: the x copy dropped out)

(a locus showing nothing, probability ``d^2`` for every genotype, is untyped; conditioning on
a locus being typed divides every term of one sample by the same ``1 - d^2`` and cancels in
the LR). Per locus, samples 1 and 2 with their own ``d1`` and ``d2``, ``P(G)`` the
Hardy-Weinberg genotype probability::

    P(o1, o2 | H1) = sum_G P(G) P(o1 | G; d1) P(o2 | G; d2)   (one true genotype, two readings)
    P(o1, o2 | H2) = P(o1; d1) P(o2; d2),   P(o; d) = sum_G P(G) P(o | G; d)
    LR_locus       = (1 - eps) * P(o1, o2 | H1) / P(o1, o2 | H2) + eps

With ``d1 = d2 = 0`` and ``eps = 0`` this is the textbook closed form: ``LR = 1 / P(g)`` for
the same genotype ``g`` in both samples (``1 / p_a^2`` or ``1 / (2 p_a p_b)``) and ``LR = 0``
for different genotypes. With ``d1 > 0`` a one-peak ``{a}`` of sample 1 read against two peaks
``{a, b}`` does not exclude:
``LR = d1 (1 - d1) / (p_a (p_a (1 - d1^2) + 2 (1 - p_a) d1 (1 - d1)))`` (whatever ``d2``; such
loci are listed as ``dropout_loci``); with ``d1 = 0`` it is an exclusion (then ``eps``).

**Genotyping error (``eps``).** With probability ``eps`` a locus reading is treated as carrying
no identity information (a typing error, drop-in, or a mislabelled well at that locus), so a
single discordant locus gives ``LR = eps`` (strong evidence against, but not an absolute
exclusion), and a discordant pair of profiles still collapses by ``eps`` per locus. We keep
``eps > 0`` by default because two samples of one individual that disagree at one locus out of
twenty are far more often a typing error than two different people; the reviewer sees the
discordant loci (``mismatch_loci``). ``eps = 0`` gives exact exclusions (``-inf``).

Defaults: ``d = 0`` in this module (a reading as written; the service passes each sample's own
probability, :mod:`dnacase.services.dropout`) and ``eps = 0.001``.

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
    "DEFAULT_ERROR",
    "IdentityResult",
    "IdentityTables",
    "consensus_genotypes",
    "identity_lr",
    "identity_table",
    "pairwise_identity",
]

DEFAULT_ERROR = 0.001

Dropout = float | tuple[float, float]


def _pair(dropout: Dropout) -> tuple[float, float]:
    d1, d2 = (dropout, dropout) if isinstance(dropout, int | float) else dropout
    d1, d2 = float(d1), float(d2)
    if not (0.0 <= d1 < 1.0) or not (0.0 <= d2 < 1.0):
        raise ValueError("dropout probabilities must be in [0, 1)")
    return d1, d2


def _reading_matrix(lo: np.ndarray, hi: np.ndarray, d: float) -> np.ndarray:
    """``E[G, o] = P(o | G; d)`` over genotype codes (see module doc): ``(1 - d)^2`` for a
    heterozygote read whole, ``1 - d^2`` for a homozygote's one peak, ``d (1 - d)`` for each
    one-peak reading of a heterozygote."""
    n_g = lo.size
    het = lo != hi
    emat = np.zeros((n_g, n_g))
    idx = np.arange(n_g)
    emat[idx, idx] = np.where(het, (1.0 - d) ** 2, 1.0 - d * d)
    if d > 0:
        rows = np.flatnonzero(het)
        for allele in (lo, hi):
            a = allele[het]
            emat[rows, a * (a + 3) // 2] += d * (1.0 - d)  # (a, a) has code a (a + 3) / 2
    return emat


def identity_table(locus: Locus, dropout: Dropout = 0.0,
                   error: float = DEFAULT_ERROR) -> np.ndarray:
    """log10 identity LR of every pair of observed genotypes at ``locus``; ``dropout`` the
    per-copy dropout probability of both samples, or ``(d1, d2)`` (rows: sample 1 read with
    ``d1``, columns: sample 2 with ``d2``).

    Returns float64 ``(G + 1, G + 1)`` with ``G = n (n + 1) / 2`` genotype codes
    (:func:`~dnacase.kinship.markers.genotype_code`); the last row and column stand for an
    untyped locus and hold 0 (LR 1). ``-inf`` only when ``error == 0`` (exclusion).
    """
    d1, d2 = _pair(dropout)
    if not (0.0 <= error < 1.0):
        raise ValueError("the error allowance must be a probability below 1")
    p = np.asarray(locus.freqs, dtype=np.float64)
    lo, hi = genotype_pairs(locus.n_alleles)
    n_g = lo.size
    pg = np.where(lo != hi, 2.0 * p[lo] * p[hi], p[lo] * p[lo])  # P(G), Hardy-Weinberg
    e1 = _reading_matrix(lo, hi, d1)
    e2 = e1 if d2 == d1 else _reading_matrix(lo, hi, d2)
    h1 = e1.T @ (pg[:, None] * e2)  # sum_G P(G) P(o1|G; d1) P(o2|G; d2)
    h2 = np.outer(pg @ e1, pg @ e2)  # P(o1; d1) P(o2; d2)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(h2 > 0, h1 / np.where(h2 > 0, h2, 1.0), 0.0)
        out = np.log10((1.0 - error) * ratio + error)
    table = np.zeros((n_g + 1, n_g + 1))
    table[:n_g, :n_g] = out
    return table


class IdentityTables:
    """:func:`identity_table` of every locus per pair of dropout probabilities, built once
    (samples of a scan share a few values: the defaults per sample type)."""

    def __init__(self, loci: Sequence[Locus], error: float = DEFAULT_ERROR) -> None:
        self.loci, self.error = list(loci), error
        self._tables: dict[tuple[float, float], list[np.ndarray]] = {}

    def get(self, d1: float, d2: float) -> list[np.ndarray]:
        key = (float(d1), float(d2))
        hit = self._tables.get(key)
        if hit is None:
            rev = self._tables.get((key[1], key[0]))
            hit = ([t.T for t in rev] if rev is not None else
                   [identity_table(loc, key, self.error) for loc in self.loci])
            self._tables[key] = hit
        return hit


@dataclass(frozen=True)
class IdentityResult:
    """Identity LR of two profiles: ``log10_per_locus`` float64 ``(L,)`` (0 where a locus is
    not typed in both), ``compared`` loci typed in both, ``dropout_loci`` compared loci where a
    one-peak call (of a sample with ``d > 0``) met a two-peak call sharing the allele,
    ``mismatch_loci`` compared loci whose readings cannot be one genotype under the model (their
    LR is ``eps``), and the model parameters
    (``dropout``: the two samples' ``(d1, d2)``)."""

    loci: tuple[str, ...]
    log10_per_locus: np.ndarray
    compared: tuple[str, ...]
    dropout_loci: tuple[str, ...]
    mismatch_loci: tuple[str, ...]
    dropout: tuple[float, float]
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
    """``same``, ``dropout`` (one-peak vs two-peak, shared allele: explained by dropout when
    the one-peak sample has ``d > 0``) or ``mismatch``."""
    s1, s2 = set(g1), set(g2)
    if s1 == s2:
        return "same"
    if (len(s1) == 1 and s1 <= s2) or (len(s2) == 1 and s2 <= s1):
        return "dropout"
    return "mismatch"


def identity_lr(loci: Sequence[Locus], a: np.ndarray, b: np.ndarray, *,
                dropout: Dropout = 0.0, error: float = DEFAULT_ERROR,
                tables: Sequence[np.ndarray] | None = None) -> IdentityResult:
    """Identity LR (log10, see module doc) of profiles ``a`` and ``b``: int ``(L, 2)`` allele
    indices into ``loci[i].alleles``, ``-1`` untyped; ``dropout`` both samples' probability or
    ``(d_a, d_b)``. ``tables``: the loci's :func:`identity_table` for the same dropout and
    ``error`` (built when not given)."""
    a, b = np.asarray(a), np.asarray(b)
    d = _pair(dropout)
    out = np.zeros(len(loci))
    compared, drop, bad = [], [], []
    for i, loc in enumerate(loci):
        if (a[i] < 0).any() or (b[i] < 0).any():
            continue
        table = tables[i] if tables is not None else identity_table(loc, d, error)
        ca = int(genotype_code(a[i, 0], a[i, 1]))
        cb = int(genotype_code(b[i, 0], b[i, 1]))
        out[i] = table[ca, cb]
        compared.append(loc.name)
        kind = _kind((int(a[i, 0]), int(a[i, 1])), (int(b[i, 0]), int(b[i, 1])))
        one_peak_d = d[0] if a[i, 0] == a[i, 1] else d[1]
        if kind == "dropout" and one_peak_d > 0:
            drop.append(loc.name)
        elif kind != "same":
            bad.append(loc.name)  # incl. one peak against two when that sample has d = 0
    return IdentityResult(tuple(loc.name for loc in loci), out, tuple(compared), tuple(drop),
                          tuple(bad), d, error)


def pairwise_identity(tables: IdentityTables, codes: np.ndarray, min_log10: float,
                      dropouts: Sequence[float] | np.ndarray | None = None, *,
                      block: int = 256) -> list[tuple[int, int, float, int]]:
    """Every pair ``i < j`` of ``codes`` (int ``(R, L)`` genotype codes, ``-1`` untyped) whose
    summed log10 identity LR is ``>= min_log10``: ``(i, j, log10 LR, loci compared)``, in
    ``(i, j)`` order.

    ``dropouts``: float ``(R,)`` each profile's own dropout probability (None: all 0); the
    rows are grouped by value and each pair of groups is read with
    ``tables.get(d_i, d_j)``. Work in row blocks of ``block`` (memory ``block x R x L``)."""
    codes = np.asarray(codes)
    n_r, n_l = codes.shape
    d = np.zeros(n_r) if dropouts is None else np.asarray(dropouts, dtype=np.float64)
    idx = np.empty_like(codes, dtype=np.int64)
    for j in range(n_l):
        g = tables.get(0.0, 0.0)[j].shape[0] - 1
        idx[:, j] = np.where(codes[:, j] < 0, g, codes[:, j])
    typed32 = (codes >= 0).astype(np.int32)
    values = np.unique(d)
    hits: list[tuple[int, int, float, int]] = []
    for u, du in enumerate(values.tolist()):
        rows_u = np.flatnonzero(d == du)
        for dv in values[u:].tolist():
            rows_v = np.flatnonzero(d == dv)
            tabs = tables.get(du, dv)
            for s in range(0, rows_u.size, block):
                ru = rows_u[s:s + block]
                total = np.zeros((ru.size, rows_v.size))
                for j in range(n_l):
                    total += tabs[j][idx[ru, j][:, None], idx[None, rows_v, j]]
                ii, jj = np.nonzero(total >= min_log10)
                for x, y in zip(ii.tolist(), jj.tolist(), strict=True):
                    i, k = int(ru[x]), int(rows_v[y])
                    if du == dv and i >= k:
                        continue  # one group against itself: pairs i < j once
                    hits.append((min(i, k), max(i, k), float(total[x, y]),
                                 int(typed32[i] @ typed32[k])))
    hits.sort(key=lambda h: (h[0], h[1]))
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
