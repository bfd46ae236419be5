"""Search with one-allele remains loci (allele dropout, an off-ladder second allele): the
family tables' ``LR_a*`` entries and the screen's weighted sum (:mod:`.search` module doc).

For a remains locus showing one allele ``a`` with weights ``(w_hom, w_het)`` (:mod:`.peaks`)::

    LR = lam LR(a, a) + (1 - lam) LR_a*,
    lam = w_hom p_a^2 / (w_hom p_a^2 + w_het 2 p_a (1 - p_a))
    LR_a* = P(MP carries a and another allele | refs) / (2 p_a (1 - p_a))

``lam`` depends on the remains only (computed once, :func:`peak_entries`); the family tables
hold ``log10 LR(a, a)`` and ``log10 LR_a*`` (:func:`star`); the screen adds
``log10 prod_loci (lam 10^t[aa] + (1 - lam) 10^t[a*])`` per pair in linear space with one
logarithm per pair (:func:`add_peaks`, :func:`add_peak_pairs`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .likelihood import _Batch
from .peaks import peak_mask, seen_hw

__all__ = ["PeakEntries", "add_peak_pairs", "add_peaks", "carriers", "peak_entries", "star"]


def peak_entries(
    panel: Any, genotypes: np.ndarray, weights: np.ndarray | None, idx: np.ndarray
) -> PeakEntries | None:
    """The one-allele loci of remains ``genotypes`` int ``(R, L, 2)`` with ``weights`` float
    ``(R, L, 2)`` on a :class:`.search.SearchPanel`; their flat indices in ``idx`` (``(R, L)``,
    from ``panel.encode_remains``) are pointed at the ``0.0`` entry. None when there are
    none."""
    g = np.asarray(genotypes)
    soft = peak_mask(weights, g)
    if not soft.any():
        return None
    rr, jj = np.nonzero(soft)  # remains-major
    a = g[rr, jj, 0].astype(np.int64)
    w = np.asarray(weights)[rr, jj]
    p_a = panel.freq_pad[jj, a]
    hom = w[:, 0] * p_a * p_a
    den = seen_hw(p_a, w, panel.freq_pad[jj].sum(axis=1))
    idx[rr, jj] = panel.offsets[jj]
    ptr = np.zeros(g.shape[0] + 1, dtype=np.int64)
    np.add.at(ptr, rr + 1, 1)
    return PeakEntries(
        np.cumsum(ptr), jj.astype(np.int64),
        panel.offsets[jj] + 1 + a * (a + 1) // 2 + a, panel.star_offsets[jj] + a,
        hom / den, (den - hom) / den,
    )  # fmt: skip


@dataclass(frozen=True)
class PeakEntries:
    """One-allele loci of a set of remains, CSR by remains: entries ``ptr[r]:ptr[r + 1]``
    of remains ``r``; per entry its ``locus``, the flat indices of ``LR(a, a)`` (``i_hom``)
    and ``LR_a*`` (``i_star``), and the mixing weights ``lam`` and ``1 - lam`` (``mu``,
    computed without cancellation) of the module doc."""

    ptr: np.ndarray
    locus: np.ndarray
    i_hom: np.ndarray
    i_star: np.ndarray
    lam: np.ndarray
    mu: np.ndarray

    def check(self, n_remains: int, size: int) -> None:
        """ValueError unless the entries fit ``n_remains`` remains and tables of ``size``
        entries (the compiled kernels do not check bounds)."""
        if self.ptr.size != n_remains + 1 or (self.lam.size and (
                min(self.i_hom.min(), self.i_star.min()) < 0
                or max(self.i_hom.max(), self.i_star.max()) >= size)):
            raise ValueError("one-allele entries do not match the remains or the table layout")

    def linear(self, tables: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(lin, u_hom, u_star)``: ``10 ** tables`` at the entries' distinct indices
        (float64 ``(F, U)``) and each entry's column in ``lin``."""
        cols, inv = np.unique(np.concatenate([self.i_hom, self.i_star]), return_inverse=True)
        with np.errstate(over="ignore"):
            lin = np.power(10.0, tables[:, cols])
        n = self.i_hom.size
        return np.ascontiguousarray(lin), inv[:n].astype(np.int64), inv[n:].astype(np.int64)

    def per_locus(self, table: np.ndarray, r: int) -> dict[int, float]:
        """``{locus: log10 LR}`` of remains ``r``'s one-allele loci against one family
        ``table`` (float64 ``(T,)``)."""
        e = slice(int(self.ptr[r]), int(self.ptr[r + 1]))
        with np.errstate(divide="ignore", over="ignore"):
            v = self.lam[e] * 10.0 ** table[self.i_hom[e]] + self.mu[e] * 10.0 ** table[
                self.i_star[e]]
            return dict(zip(self.locus[e].tolist(), np.log10(v).tolist(), strict=True))


def carriers(sym: np.ndarray, total: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(off, diag)`` per distinct row and batch allele ``x``: ``off[x] = sum_{y != x}
    sym[x, y] / total = P(MP = {x, y}, y != x | refs)`` and ``diag[x] = sym[x, x] / total``
    (``sym = joint + joint^T``)."""
    diag = np.diagonal(sym, axis1=1, axis2=2) / total[:, None]
    off = sym.sum(axis=2) / total[:, None] - diag
    return off, diag


def star(
    carry: tuple[np.ndarray, np.ndarray],
    u: np.ndarray,
    lm: np.ndarray,
    pad: np.ndarray,
    n: int,
    reduced: _Batch | None,
) -> np.ndarray:
    """log10 ``LR_a*`` (module doc) for the original alleles ``a < n`` of rows ``u`` (``lm``:
    their batch alleles). In a lumped batch (``reduced``; no mutation, so the unseen alleles
    of the lumped allele ``L`` are carried in proportion to their frequencies) an unseen
    ``a`` gets ``(p_a / p_L) (off[L] + diag[L] (p_L - p_a) / p_L)``."""
    off, diag = carry
    s = off[u[:, None], lm]
    pa = pad[:, :n]
    with np.errstate(divide="ignore", invalid="ignore"):
        if reduced is not None:
            kl = reduced.k - 1
            lumped = lm == kl
            if lumped.any():
                pl = reduced.p[u, kl][:, None]
                lum = pa / pl * (off[u, kl][:, None] + diag[u, kl][:, None] * (pl - pa) / pl)
                s = np.where(lumped, lum, s)
        den = 2.0 * pa * (pad.sum(axis=1)[:, None] - pa)
        return np.where(den > 0, np.log10(s / den), -np.inf)


try:  # pragma: no cover - exercised when numba is installed (a dependency)
    import numba as _nb

    @_nb.njit(parallel=True, cache=True, nogil=True)
    def _peak_kernel(lin, rems, ptr, uh, us, lam, mu, out):
        """out[f, r] += log10 prod_e (lam_e lin[f, uh_e] + mu_e lin[f, us_e]) over the
        one-allele entries e of each remains r in ``rems`` (linear space)."""
        for f in _nb.prange(lin.shape[0]):
            row = lin[f]
            o = out[f]
            for r in rems:
                o[r] += _peak_sum(row, ptr[r], ptr[r + 1], uh, us, lam, mu)

    @_nb.njit(cache=True, nogil=True)
    def _peak_sum(row, e0, e1, uh, us, lam, mu):
        """One pair: the product in linear space and one logarithm; the sum of the
        logarithms instead when the product leaves [1e-250, 1e250] (or is 0)."""
        prod = 1.0
        for e in range(e0, e1):
            prod *= lam[e] * row[uh[e]] + mu[e] * row[us[e]]
        if 1e-250 < prod < 1e250:
            return np.log10(prod)
        acc = 0.0
        for e in range(e0, e1):
            acc += np.log10(lam[e] * row[uh[e]] + mu[e] * row[us[e]])
        return acc

    @_nb.njit(parallel=True, cache=True, nogil=True)
    def _peak_pairs_kernel(lin, indptr, rem, ptr, uh, us, lam, mu, out):
        for f in _nb.prange(indptr.size - 1):
            for q in range(indptr[f], indptr[f + 1]):
                r = rem[q]
                if ptr[r + 1] > ptr[r]:
                    out[q] += _peak_sum(lin[f], ptr[r], ptr[r + 1], uh, us, lam, mu)

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover
    HAVE_NUMBA = False


def add_peaks(tables: np.ndarray, peaks: PeakEntries | None, out: np.ndarray) -> None:
    """Add the one-allele loci of ``peaks`` to the block scores ``out`` ``(F_b, R)`` of the
    families ``tables`` ``(F_b, T)`` (module doc)."""
    if peaks is None or not peaks.lam.size or not tables.shape[0]:
        return
    lin, uh, us = peaks.linear(tables)
    rems = np.flatnonzero(np.diff(peaks.ptr) > 0)
    with np.errstate(divide="ignore"):
        if HAVE_NUMBA:
            _peak_kernel(lin, rems, peaks.ptr, uh, us, peaks.lam, peaks.mu, out)
        else:  # pragma: no cover - numpy fallback
            for r in rems.tolist():
                e = slice(peaks.ptr[r], peaks.ptr[r + 1])
                v = peaks.lam[e] * lin[:, uh[e]] + peaks.mu[e] * lin[:, us[e]]
                out[:, r] += np.log10(v).sum(axis=1)


def add_peak_pairs(
    tables: np.ndarray, peaks: PeakEntries, indptr: np.ndarray, rem: np.ndarray, out: np.ndarray
) -> None:
    """Add the one-allele loci to the listed pair scores ``out`` of
    :func:`.search.screen_pairs` (pairs of family ``f``: ``rem[indptr[f]:indptr[f + 1]]``)."""
    if not peaks.lam.size or not rem.size:
        return
    lin, uh, us = peaks.linear(tables)
    with np.errstate(divide="ignore"):
        if HAVE_NUMBA:
            _peak_pairs_kernel(lin, indptr, rem, peaks.ptr, uh, us, peaks.lam, peaks.mu, out)
        else:  # pragma: no cover - numpy fallback
            fam = np.repeat(np.arange(tables.shape[0]), np.diff(indptr))
            for q in range(rem.size):
                out[q] += sum(peaks.per_locus(tables[fam[q]], int(rem[q])).values())
