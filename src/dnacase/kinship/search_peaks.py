"""Search with one-allele remains loci (allele dropout, an off-ladder second allele): the
family tables' ``LR_a*`` entries and the screen's weighted sum (:mod:`.search` module doc).

For a remains locus showing one allele ``a`` with weights ``(w_hom, w_het)`` (:mod:`.peaks`)::

    LR = lam LR(a, a) + (1 - lam) LR_a*,
    lam = w_hom p_a^2 / (w_hom p_a^2 + w_het 2 p_a (1 - p_a))
    LR_a* = P(MP carries a and another allele | refs) / (2 p_a (1 - p_a))

At a locus with a silent allele (:func:`.peaks.add_null_allele`) a third term
``nu LR(a, null)`` takes the ``{a, null}`` share out of ``LR_a*`` and gives it the weight
``w_null`` (``nu = (w_null - w_het) 2 p_a q / den``, ``den`` = :func:`.peaks.seen_hw`;
``mu = w_het 2 p_a (S - p_a) / den``, ``S`` the sum of the locus's frequencies).

``lam`` depends on the remains only (computed once, :func:`peak_entries`); the family tables
hold ``log10 LR(a, a)`` and ``log10 LR_a*`` (:func:`star`). An entry's value depends on the
family and on ``(locus, a, lam)`` only, and remains share few such keys (a locus, an allele, a
dropout probability), so the screen computes ``log10 (lam 10^t[aa] + (1 - lam) 10^t[a*])``
once per family and distinct key (:meth:`PeakEntries.key_values`) and adds the remains' entries
by look-up, like the table entries (:func:`add_peaks`, :func:`add_peak_pairs`): the same
values as one logarithm per pair and locus, at the cost of a gather per entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .likelihood import _Batch
from .peaks import null_index, peak_mask, seen_hw

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
    total = panel.freq_pad[jj].sum(axis=1)
    nul = null_index(panel.loci)[jj]
    q = np.where(nul >= 0, panel.freq_pad[jj, np.maximum(nul, 0)], 0.0)
    hom = w[:, 0] * p_a * p_a
    den = seen_hw(p_a, w, total, q)
    star_w = w[:, 1] * 2.0 * p_a * (total - p_a)
    idx[rr, jj] = panel.offsets[jj]
    ptr = np.zeros(g.shape[0] + 1, dtype=np.int64)
    np.add.at(ptr, rr + 1, 1)
    i_hom = panel.offsets[jj] + 1 + a * (a + 1) // 2 + a
    n0 = np.maximum(nul, a)  # code of {a, null}: the null allele is the locus's last
    i_null = np.where(nul >= 0, panel.offsets[jj] + 1 + n0 * (n0 + 1) // 2 + a, i_hom)
    nu = np.where(nul >= 0, (np.maximum(w[:, 0] - w[:, 1], 0.0) - w[:, 1]) * 2.0 * p_a * q, 0.0)
    return PeakEntries(
        np.cumsum(ptr), jj.astype(np.int64), i_hom, panel.star_offsets[jj] + a,
        hom / den, star_w / den, i_null.astype(np.int64), nu / den,
    )  # fmt: skip


@dataclass(frozen=True)
class PeakEntries:
    """One-allele loci of a set of remains, CSR by remains: entries ``ptr[r]:ptr[r + 1]``
    of remains ``r``; per entry its ``locus``, the flat indices of ``LR(a, a)`` (``i_hom``)
    and ``LR_a*`` (``i_star``), and the mixing weights ``lam`` and ``mu`` (``1 - lam``
    without a silent allele, computed without cancellation) of the module doc; ``i_null`` /
    ``nu``: ``LR(a, null)`` and its weight at a locus with a silent allele (``i_hom`` and 0
    elsewhere)."""

    ptr: np.ndarray
    locus: np.ndarray
    i_hom: np.ndarray
    i_star: np.ndarray
    lam: np.ndarray
    mu: np.ndarray
    i_null: np.ndarray
    nu: np.ndarray

    def check(self, n_remains: int, size: int) -> None:
        """ValueError unless the entries fit ``n_remains`` remains and tables of ``size``
        entries (the compiled kernels do not check bounds)."""
        if self.ptr.size != n_remains + 1 or (self.lam.size and (
                min(self.i_hom.min(), self.i_star.min(), self.i_null.min()) < 0
                or max(self.i_hom.max(), self.i_star.max(), self.i_null.max()) >= size)):
            raise ValueError("one-allele entries do not match the remains or the table layout")

    def keys(self) -> tuple[np.ndarray, ...]:
        """The distinct entries ``(i_hom, i_star, lam, mu, i_null, nu)`` (remains sharing a
        locus, an allele and a dropout probability share one) and each entry's key, int64
        ``(E,)``: ``(key, k_hom, k_star, k_lam, k_mu, k_null, k_nu)``. Computed once."""
        hit = self.__dict__.get("_keys")
        if hit is None:
            rows = np.stack([self.i_hom.astype(np.float64), self.i_star.astype(np.float64),
                             self.lam, self.mu, self.i_null.astype(np.float64), self.nu],
                            axis=1)
            uniq, inv = np.unique(rows, axis=0, return_inverse=True)
            hit = (inv.reshape(-1).astype(np.int64), uniq[:, 0].astype(np.int64),
                   uniq[:, 1].astype(np.int64), uniq[:, 2].copy(), uniq[:, 3].copy(),
                   uniq[:, 4].astype(np.int64), uniq[:, 5].copy())
            object.__setattr__(self, "_keys", hit)
        return hit

    def key_values(self, tables: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(vals, key)``: float64 ``(F, K)`` ``log10(lam 10^t[aa] + mu 10^t[a*])`` of each
        distinct entry against each family of ``tables`` ``(F, T)`` -- the per-locus log10 LR
        of such a one-allele locus -- and each entry's column (:meth:`keys`). One logarithm
        per family and distinct entry instead of one per pair."""
        key, kh, ks, kl, km, kn, knu = self.keys()
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            v = kl * np.power(10.0, tables[:, kh]) + km * np.power(10.0, tables[:, ks])
            if knu.any():
                v = v + knu * np.power(10.0, tables[:, kn])
                v = np.maximum(v, 0.0)  # a sum of non-negative terms: no rounding below 0
            return np.ascontiguousarray(np.log10(v)), key

    def folded_index(self, idx: np.ndarray, size: int) -> np.ndarray:
        """``idx`` (int32 ``(R, L)``, tables of ``size`` entries) with each one-allele locus
        pointing at column ``size + key`` of :meth:`folded_tables` instead of the ``0.0``
        entry: one gather-and-sum then scores every locus (no second pass)."""
        key = self.keys()[0]
        rr = np.repeat(np.arange(self.ptr.size - 1), np.diff(self.ptr))
        out = np.array(idx, dtype=np.int32, copy=True)
        out[rr, self.locus] = size + key
        return out

    def folded_tables(self, tables: np.ndarray) -> np.ndarray:
        """``tables`` ``(F, T)`` followed by the entries' per-locus log10 LRs
        (:meth:`key_values`): float64 ``(F, T + K)``, for :meth:`folded_index`."""
        return np.ascontiguousarray(np.hstack([tables, self.key_values(tables)[0]]))

    def per_locus(self, table: np.ndarray, r: int) -> dict[int, float]:
        """``{locus: log10 LR}`` of remains ``r``'s one-allele loci against one family
        ``table`` (float64 ``(T,)``)."""
        e = slice(int(self.ptr[r]), int(self.ptr[r + 1]))
        with np.errstate(divide="ignore", over="ignore"):
            v = self.lam[e] * 10.0 ** table[self.i_hom[e]] + self.mu[e] * 10.0 ** table[
                self.i_star[e]] + self.nu[e] * 10.0 ** table[self.i_null[e]]
            return dict(zip(self.locus[e].tolist(), np.log10(np.maximum(v, 0.0)).tolist(),
                            strict=True))


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
    def _keyed_kernel(vals, rems, ptr, key, out):
        """out[f, r] += sum_e vals[f, key_e] over the one-allele entries e of each remains r
        in ``rems`` (per-locus log10 LRs of :meth:`PeakEntries.key_values`)."""
        for f in _nb.prange(vals.shape[0]):
            row = vals[f]
            o = out[f]
            for r in rems:
                acc = 0.0
                for e in range(ptr[r], ptr[r + 1]):
                    acc += row[key[e]]
                o[r] += acc

    @_nb.njit(parallel=True, cache=True, nogil=True)
    def _keyed_pairs_kernel(vals, indptr, rem, ptr, key, out):
        for f in _nb.prange(indptr.size - 1):
            row = vals[f]
            for q in range(indptr[f], indptr[f + 1]):
                r = rem[q]
                acc = 0.0
                for e in range(ptr[r], ptr[r + 1]):
                    acc += row[key[e]]
                out[q] += acc

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover
    HAVE_NUMBA = False


def add_peaks(tables: np.ndarray, peaks: PeakEntries | None, out: np.ndarray) -> None:
    """Add the one-allele loci of ``peaks`` to the block scores ``out`` ``(F_b, R)`` of the
    families ``tables`` ``(F_b, T)`` (module doc)."""
    if peaks is None or not peaks.lam.size or not tables.shape[0]:
        return
    rems = np.flatnonzero(np.diff(peaks.ptr) > 0)
    vals, key = peaks.key_values(tables)
    if HAVE_NUMBA:
        _keyed_kernel(vals, rems, peaks.ptr, key, out)
    else:  # pragma: no cover - numpy fallback
        for r in rems.tolist():
            out[:, r] += vals[:, key[peaks.ptr[r]:peaks.ptr[r + 1]]].sum(axis=1)


def add_peak_pairs(
    tables: np.ndarray, peaks: PeakEntries, indptr: np.ndarray, rem: np.ndarray, out: np.ndarray
) -> None:
    """Add the one-allele loci to the listed pair scores ``out`` of
    :func:`.search.screen_pairs` (pairs of family ``f``: ``rem[indptr[f]:indptr[f + 1]]``)."""
    if not peaks.lam.size or not rem.size:
        return
    with np.errstate(divide="ignore"):
        if HAVE_NUMBA:
            vals, key = peaks.key_values(tables)
            _keyed_pairs_kernel(vals, indptr, rem, peaks.ptr, key, out)
        else:  # pragma: no cover - numpy fallback
            fam = np.repeat(np.arange(tables.shape[0]), np.diff(indptr))
            for q in range(rem.size):
                out[q] += sum(peaks.per_locus(tables[fam[q]], int(rem[q])).values())
