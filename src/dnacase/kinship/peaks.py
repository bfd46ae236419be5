"""One-allele observations: a person seen with a single allele ``a`` at a locus.

Allele dropout (each allele copy of the sample drops out independently with probability
``d``) gives, for the true unordered genotype::

    P(one peak a | {a, a})          = 1 - d^2
    P(one peak a | {a, x}), x != a  = d (1 - d)      (the x copy dropped, the a copy did not)
    P(one peak a | any other)       = 0

A heterozygote seen whole has ``P = (1 - d)^2`` whatever the hypothesis: a constant that
cancels in every LR and is left out. A called allele ``a`` beside an off-ladder peak is
"``a`` plus one allele not on the ladder": weights ``(0, 1)`` (a heterozygote ``{a, x}``,
``x`` unknown).

The engines take such an observation as the genotype ``(a, a)`` together with two relative
weights ``(w_hom, w_het)`` (only their ratio matters); the likelihood sums over the true
genotypes ``g`` of the person::

    P(seen, rest | H) = sum_g w(g) P(g, rest | H),   w({a,a}) = w_hom, w({a,x}) = w_het

Arrays of weights are float ``(..., 2)`` with ``NaN`` where the genotype is read as written
(two peaks, or a homozygote without dropout): ``d = 0`` therefore means today's reading.

Silent (null) alleles, an option per locus (:func:`add_null_allele`): the locus gains an
allele ``NULL_ALLELE`` of frequency ``q`` (the others scaled by ``1 - q``) that gives no peak
and does not mutate. A person showing one peak ``a`` may then also be ``{a, null}``, with
weight ``w_null = w_hom - w_het`` (``= 1 - d``: the ``a`` copy did not drop out; 1 without
dropout, 0 beside an off-ladder peak); at such a locus every one-peak observation is read
this way (weights ``(1, 0)`` without dropout).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import lru_cache

import numpy as np

from .likelihood import (
    MAX_CLIQUE,
    _Batch,
    _compile,
    _pattern_groups,
    _run,
    _split_plain,
    _typed,
    freq_table,
    row_batches,
)
from .markers import Locus
from .mutation import CustomMutation
from .pedigree import Pedigree

__all__ = [
    "NULL_ALLELE",
    "OFF_LADDER_WEIGHTS",
    "add_null_allele",
    "dropout_weights",
    "loglik_per_locus_peaks",
    "missing_person_loglik_peaks",
    "no_peaks",
    "observation_weights",
    "peak_mask",
    "peak_table",
    "seen_hw",
    "weighted_joint",
]

#: ``(w_hom, w_het)`` of "allele a plus one unknown (off-ladder) allele": never a homozygote.
OFF_LADDER_WEIGHTS = (0.0, 1.0)

#: Name of the silent allele added by :func:`add_null_allele`.
NULL_ALLELE = "null"


def add_null_allele(locus: Locus, q: float) -> Locus:
    """``locus`` with a silent allele ``NULL_ALLELE`` of frequency ``q`` (``0 < q < 1``; the
    other frequencies scaled by ``1 - q``); the mutation matrices are extended with a null
    allele that neither mutates nor is mutated into (a custom model over the new list)."""
    if not (0.0 < q < 1.0):
        raise ValueError(f"locus {locus.name}: a null-allele frequency must be in (0, 1)")
    n = locus.n_alleles
    mats = []
    for m in locus.matrices():
        ext = np.zeros((n + 1, n + 1))
        ext[:n, :n] = m
        ext[n, n] = 1.0
        mats.append(ext)
    mut = CustomMutation(mats[0], mats[1]) if locus.has_mutation else None
    freqs = np.append(locus.freqs * (1.0 - q), q)
    return Locus(locus.name, (*locus.alleles, NULL_ALLELE), freqs, mut)


def null_index(loci: Sequence[Locus]) -> np.ndarray:
    """Index of ``NULL_ALLELE`` in each locus's table, int64 ``(L,)`` (-1: no null allele)."""
    return np.array([loc.alleles.index(NULL_ALLELE) if NULL_ALLELE in loc.alleles else -1
                     for loc in loci], dtype=np.int64)  # fmt: skip


def _w_null(w: np.ndarray) -> np.ndarray:
    return np.maximum(w[..., 0] - w[..., 1], 0.0)


def dropout_weights(d: float | np.ndarray) -> np.ndarray:
    """``(w_hom, w_het) = (1 - d^2, d (1 - d))`` of one peak under dropout probability ``d``
    (``0 <= d < 1``), float ``(..., 2)``."""
    d = np.asarray(d, dtype=np.float64)
    if np.any((d < 0) | (d >= 1)) or np.any(~np.isfinite(d)):
        raise ValueError(f"a dropout probability must be in [0, 1), got {d}")
    return np.stack([1.0 - d * d, d * (1.0 - d)], axis=-1)


def observation_weights(
    loci: Sequence[str], one_allele: Mapping[str, str], d: float
) -> np.ndarray:
    """One-allele weights float ``(L, 2)`` of a profile over the locus names ``loci``:
    ``one_allele`` maps a locus with one called allele to how it was seen -- ``"peak"`` (one
    peak: :func:`dropout_weights` of the sample's dropout probability ``d``; NaN, a
    homozygote, when ``d = 0``) or ``"off_ladder"`` (the called allele beside an off-ladder
    peak: :data:`OFF_LADDER_WEIGHTS`); NaN elsewhere (read as written)."""
    w = no_peaks((len(loci),))
    col = {name: j for j, name in enumerate(loci)}
    for locus, how in one_allele.items():
        j = col.get(locus)
        if j is None:
            continue
        if how == "off_ladder":
            w[j] = OFF_LADDER_WEIGHTS
        elif d > 0:
            w[j] = dropout_weights(d)
    return w


def no_peaks(shape: tuple[int, ...]) -> np.ndarray:
    """Weights ``shape + (2,)`` all ``NaN``: every genotype read as written."""
    return np.full((*shape, 2), np.nan)


def peak_mask(weights: np.ndarray | None, genotypes: np.ndarray) -> np.ndarray:
    """Bool ``genotypes.shape[:-1]``: a one-allele observation (weights given, genotype typed
    and written ``(a, a)``). A weight given on a typed heterozygote is ignored (two peaks)."""
    g = np.asarray(genotypes)
    if weights is None:
        return np.zeros(g.shape[:-1], dtype=bool)
    w = np.asarray(weights)
    return ~np.isnan(w[..., 0]) & (g[..., 0] >= 0) & (g[..., 0] == g[..., 1])


def peak_table(
    a: np.ndarray, w: np.ndarray, k: int, nul: np.ndarray | None = None
) -> np.ndarray:
    """Evidence factor ``E`` float ``(B, k, k)`` over a person's ordered alleles ``(x, y)``:
    ``w_hom`` at ``x = y = a``, ``w_het`` where exactly one of ``x, y`` is ``a`` (and the
    other not the null allele), ``w_null = w_hom - w_het`` for ``{a, null}``, else 0.

    a: int ``(B,)`` the seen allele (in the batch's allele domain); w: ``(B, 2)``; nul: int
    ``(B,)`` the null allele in the batch domain (-1: none), or None."""
    a = np.asarray(a, dtype=np.int64)
    hit = np.arange(k)[None, :] == a[:, None]  # (B, k)
    one = hit[:, :, None] ^ hit[:, None, :]
    both = hit[:, :, None] & hit[:, None, :]
    e = w[:, 0, None, None] * both + w[:, 1, None, None] * one
    if nul is not None and (np.asarray(nul) >= 0).any():
        isn = np.arange(k)[None, :] == np.asarray(nul)[:, None]
        pair = (hit[:, :, None] & isn[:, None, :]) | (isn[:, :, None] & hit[:, None, :])
        e = np.where(pair, _w_null(w)[:, None, None], e)
    return e


def weighted_joint(
    joint: np.ndarray, a: np.ndarray, w: np.ndarray, nul: np.ndarray | None = None
) -> np.ndarray:
    """``sum_{x,y} E[x, y] joint[x, y]`` per row (float ``(B,)``) for ``joint`` ``(B, K, K)``
    over ordered alleles, without building ``E`` (see :func:`peak_table`)."""
    ri = np.arange(joint.shape[0])
    aa = joint[ri, a, a]
    with_a = joint[ri, a, :].sum(axis=1) + joint[ri, :, a].sum(axis=1) - 2.0 * aa
    out = w[:, 0] * aa + w[:, 1] * with_a
    if nul is not None and (np.asarray(nul) >= 0).any():
        n0 = np.maximum(nul, 0)
        an = np.where(nul >= 0, joint[ri, a, n0] + joint[ri, n0, a], 0.0)
        out = out + (_w_null(w) - w[:, 1]) * an
    return out


def seen_hw(
    p_a: np.ndarray, w: np.ndarray, total: np.ndarray | float = 1.0, q: np.ndarray | float = 0.0
) -> np.ndarray:
    """Hardy-Weinberg probability of the one-allele observation (up to the same constant as
    the weights): ``w_hom p_a^2 + w_het 2 p_a (total - p_a - q) + w_null 2 p_a q``, ``total``
    the sum of the locus's frequencies (1 up to rounding), ``q`` the null allele's (0: none)."""
    p_a = np.asarray(p_a, dtype=np.float64)
    return (w[..., 0] * p_a * p_a + w[..., 1] * 2.0 * p_a * (total - p_a - q)
            + _w_null(w) * 2.0 * p_a * q)  # fmt: skip


# ----- likelihoods with one-allele observations (the general elimination engine) ----------
@lru_cache(maxsize=4096)
def _query_cheaper_soft(
    fa: tuple, mo: tuple, tkey: tuple, skey: tuple, q: int, k: int, limit: int
) -> bool:
    """As :func:`.likelihood._query_cheaper`, with the soft persons ``skey`` (the plain run
    with the query typed is costed like the one without); never a plan beyond ``limit``."""
    pq = _compile(fa, mo, tkey, q, k, skey)
    if pq.max_clique > limit or not pq.feasible:
        return False
    if pq.max_clique <= 4 * k * k:
        return True
    return pq.cost <= 4 * _compile(fa, mo, tkey, -1, k, skey).cost + 64 * k * k


def _soft_keys(key: np.ndarray, n_p: int) -> tuple[tuple[bool, ...], tuple[int, ...]]:
    tkey = tuple(bool(x) for x in key[:n_p].tolist())
    return tkey, tuple(np.flatnonzero(key[n_p : 2 * n_p]).tolist())


def _soft_tables(
    batch: _Batch, lam: np.ndarray, g: np.ndarray, w: np.ndarray, rows: np.ndarray, skey: tuple,
    nul: np.ndarray,
) -> dict[int, np.ndarray]:
    """Evidence tables of the soft persons ``skey`` for the batch's rows (seen allele mapped
    into the batch domain with ``lam``; ``nul`` the batch's null alleles, -1 none)."""
    ri = np.arange(rows.size)
    return {i: peak_table(lam[ri, g[i, rows, 0]], w[i, rows], batch.k, nul) for i in skey}


def _batch_null(lam: np.ndarray, nul_rows: np.ndarray) -> np.ndarray:
    """The null allele of each batch row in the batch domain (-1: none)."""
    ri = np.arange(nul_rows.size)
    return np.where(nul_rows >= 0, lam[ri, np.maximum(nul_rows, 0)], -1)


def _extra(
    g: np.ndarray, rows: np.ndarray, skey: tuple, first: np.ndarray | None, nul: np.ndarray
) -> np.ndarray:
    """Alleles to keep distinct in a lumped domain: ``first`` (e.g. the POI's), the soft
    persons' seen alleles and the null allele ``nul`` (``(b,)``, -1 none), int64 ``(b, m)``."""
    parts = [] if first is None else [np.asarray(first, dtype=np.int64)]
    parts += [g[i, rows, :1].astype(np.int64) for i in skey]
    if parts and (nul >= 0).any():
        parts.append(np.where(nul >= 0, nul, parts[0][:, 0])[:, None])
    return np.concatenate(parts, axis=1) if parts else np.zeros((rows.size, 0), np.int64)


def loglik_per_locus_peaks(
    pedigree: Pedigree, loci: Sequence[Locus], genotypes: np.ndarray, peaks: np.ndarray,
    max_clique: int | None = None,
) -> np.ndarray:
    """:func:`.likelihood.loglik_per_locus` (natural log per locus) where persons may show
    one allele: ``peaks`` float ``(P, L, 2)`` weights (see module doc), NaN elsewhere. The
    likelihood is exact up to the constants left out of the weights."""
    g = np.asarray(genotypes).astype(np.int64)
    typed = _typed(pedigree, loci, g)
    soft = peak_mask(peaks, g)
    nul = null_index(loci)
    n_p = len(pedigree)
    out = np.zeros(len(loci))
    fa, mo = tuple(pedigree.father.tolist()), tuple(pedigree.mother.tolist())
    ft = freq_table(tuple(loci))
    for key, cols in _pattern_groups(np.concatenate([typed & ~soft, soft], axis=0)):
        if not key.any():
            continue
        tkey, skey = _soft_keys(key, n_p)
        ex = _extra(g, cols, skey, None, nul[cols])
        for pos, batch, lam in row_batches(ft, cols, ft.mut[cols], g[:, cols],
                                           np.flatnonzero(key[:n_p]), ex):  # fmt: skip
            rows = cols[pos]
            bn = _batch_null(lam, nul[rows])
            b = replace(batch, soft=_soft_tables(batch, lam, g, peaks, rows, skey, bn) or None)
            _, out[rows] = _run(_compile(fa, mo, tkey, -1, batch.k, skey), b, max_clique)
    return out


def missing_person_loglik_peaks(
    pedigree: Pedigree,
    query: int,
    loci: Sequence[Locus],
    references: np.ndarray,
    poi: np.ndarray,
    ref_peaks: np.ndarray | None,
    poi_peaks: np.ndarray | None,
    max_clique: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`.likelihood.missing_person_loglik` where the references (``ref_peaks`` float
    ``(P, L, 2)``) or the POI (``poi_peaks`` ``(L, 2)``) may show one allele. Returns
    ``(l1, l2, l1_plain, l2_plain)`` natural logs per locus, with
    ``l1 = ln sum_g w(g) P(refs, query = g)`` over the POI's true genotypes ``g`` (``w`` the
    indicator of the written genotype where the POI shows two alleles) and
    ``l2 = ln P(refs)``. Always the general engine (no parent-child closed form)."""
    ref = np.asarray(references).astype(np.int64)
    poi = np.asarray(poi, dtype=np.int64)
    nl, n_p = len(loci), len(pedigree)
    ft = freq_table(tuple(loci))
    mcols, row_loc, row_mut = ft.hypothesis_rows
    _typed(pedigree, loci, ref)
    g = np.concatenate([ref, ref[:, mcols]], axis=1) if mcols.size else ref
    w = (no_peaks(ref.shape[:2]) if ref_peaks is None else np.asarray(ref_peaks))[:, row_loc]
    pg = poi[row_loc]
    pw = (no_peaks((nl,)) if poi_peaks is None else np.asarray(poi_peaks))[row_loc]
    soft = peak_mask(w, g)
    nul = null_index(loci)[row_loc]
    key = np.concatenate([(g >= 0).all(axis=2) & ~soft, soft, peak_mask(pw, pg)[None]], axis=0)
    l1, l2 = np.empty(row_loc.size), np.empty(row_loc.size)
    fa, mo = tuple(pedigree.father.tolist()), tuple(pedigree.mother.tolist())
    for kmask, cols in _pattern_groups(key):
        tkey, skey = _soft_keys(kmask, n_p)
        for pos, batch, lam in row_batches(ft, row_loc[cols], row_mut[cols], g[:, cols],
                                           np.flatnonzero(kmask[:n_p]),
                                           _extra(g, cols, skey, pg[cols], nul[cols])):  # fmt: skip
            rows = cols[pos]
            ri = np.arange(rows.size)
            pq = lam[ri[:, None], pg[rows]]  # the POI in the batch domain
            bn = _batch_null(lam, nul[rows])
            b = replace(batch, soft=_soft_tables(batch, lam, g, w, rows, skey, bn) or None)
            l1[rows], l2[rows] = _hypotheses(
                (fa, mo, tkey, skey, query), b, pq, pw[rows], bool(kmask[-1]), bn, max_clique
            )
    return _split_plain(l1, l2, nl, mcols)


def _hypotheses(
    key: tuple, b: _Batch, pq: np.ndarray, pw: np.ndarray, one_allele: bool, bn: np.ndarray,
    max_clique: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``(ln sum_g w(g) P(refs, query = g), ln P(refs))`` of one batch: one elimination
    keeping the query's alleles, or two plain ones when that is cheaper."""
    fa, mo, tkey, skey, query = key
    k = b.k
    limit = MAX_CLIQUE if max_clique is None else max_clique
    with np.errstate(divide="ignore"):
        if _query_cheaper_soft(fa, mo, tkey, skey, query, k, limit):
            joint, ls = _run(_compile(fa, mo, tkey, query, k, skey), b, limit)
            assert joint is not None
            ri = np.arange(pq.shape[0])
            a, a2 = pq[:, 0], pq[:, 1]
            if one_allele:
                h1 = weighted_joint(joint, a, pw, bn)
            else:
                h1 = joint[ri, a, a2] + np.where(a != a2, joint[ri, a2, a], 0.0)
            return np.log(h1) + ls, np.log(joint.reshape(ri.size, -1).sum(axis=1)) + ls
        _, l2 = _run(_compile(fa, mo, tkey, -1, k, skey), b, limit)
        if one_allele:
            tabs = {**(b.soft or {}), query: peak_table(pq[:, 0], pw, k, bn)}
            s1 = tuple(sorted((*skey, query)))
            _, l1 = _run(_compile(fa, mo, tkey, -1, k, s1), replace(b, soft=tabs), limit)
        else:
            t1 = list(tkey)
            t1[query] = True
            gq = b.g.copy()
            gq[query] = pq
            _, l1 = _run(_compile(fa, mo, tuple(t1), -1, k, skey), replace(b, g=gq), limit)
    return l1, l2
