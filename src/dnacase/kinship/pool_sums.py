"""Pool sums: the sum of the LRs of every pair a search scores, per remains and per family
(the denominators of the pool-wide posteriors; ``dnacase.services.posteriors``).

A sum is kept as its largest term (log10, and the other side of that pair) plus the log10 sum
of the other terms (:class:`PoolSums`), so that the sum *without* the best pair is exact too
(no ``total - best`` cancellation). :func:`screen_sums` screens every remains against every
family (exactly as :func:`dnacase.kinship.search.screen`) and returns the hits with both
sums; :func:`pair_sums` sums listed pairs (lineage filter, incremental runs). All values are
log10; ``-inf`` is the log of 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .search import HAVE_NUMBA, HitCollector, score_blocks
from .search_peaks import PeakEntries

__all__ = ["LSE_CUT", "PoolSums", "ScreenSums", "log10_add", "pair_sums", "screen_sums"]

if HAVE_NUMBA:  # pragma: no branch - numba is a dependency
    import numba as _nb

    @_nb.njit(cache=True, nogil=True, inline="always")
    def _push(x, o, j, m1, arg, m2, s2, cut, ln10):
        """Add the term ``10^x`` (other side ``o``) to sum ``j``, kept as its largest term
        (``m1`` log10, ``arg`` its other side) and the sum of the others (``10^m2 * s2``,
        terms more than ``cut`` decades below ``m2`` skipped)."""
        if x > m1[j]:
            y = m1[j]
            m1[j] = x
            arg[j] = o
        else:
            y = x
        if y > m2[j]:
            if m2[j] > -np.inf:
                s2[j] = s2[j] * math.exp((m2[j] - y) * ln10) + 1.0
            else:
                s2[j] = 1.0
            m2[j] = y
        elif y > m2[j] - cut:
            s2[j] += math.exp((y - m2[j]) * ln10)

    @_nb.njit(parallel=True, cache=True, nogil=True)
    def _lse_cols_kernel(scores, f0, m1, arg, m2, s2, cut):
        """Running sums down the columns of ``scores`` (F, R) (rows are families ``f0 + f``)."""
        nfc, nr = scores.shape
        ln10 = math.log(10.0)
        width = 64
        for c in _nb.prange((nr + width - 1) // width):
            c0 = c * width
            c1 = min(nr, c0 + width)
            for f in range(nfc):
                for r in range(c0, c1):
                    _push(scores[f, r], f0 + f, r, m1, arg, m2, s2, cut, ln10)

    @_nb.njit(parallel=True, cache=True, nogil=True)
    def _lse_rows_kernel(scores, m1, arg, m2, s2, cut):
        """Sums along the rows of ``scores`` (F, R)."""
        nfc, nr = scores.shape
        ln10 = math.log(10.0)
        for f in _nb.prange(nfc):
            for r in range(nr):
                _push(scores[f, r], r, f, m1, arg, m2, s2, cut, ln10)

    @_nb.njit(cache=True, nogil=True)
    def _lse_pairs_kernel(vals, indptr, rem, cut, fam, rms):
        """Running sums of listed pairs: per family (CSR segments) and per remains."""
        ln10 = math.log(10.0)
        fm1, farg, fm2, fs2 = fam
        m1, arg, m2, s2 = rms
        for f in range(indptr.size - 1):
            for q in range(indptr[f], indptr[f + 1]):
                _push(vals[q], rem[q], f, fm1, farg, fm2, fs2, cut, ln10)
                _push(vals[q], f, rem[q], m1, arg, m2, s2, cut, ln10)

    @_nb.njit(parallel=True, cache=True, nogil=True)
    def _maxes_kernel(scores, cm, ca, rm, ra):
        """Largest entry (and its index) of every column and every row of ``scores``."""
        nfc, nr = scores.shape
        for f in _nb.prange(nfc):
            mx = -np.inf
            am = 0
            for r in range(nr):
                if scores[f, r] > mx:
                    mx = scores[f, r]
                    am = r
            rm[f] = mx
            ra[f] = am
        width = 64
        for c in _nb.prange((nr + width - 1) // width):
            c0 = c * width
            c1 = min(nr, c0 + width)
            for r in range(c0, c1):
                cm[r] = -np.inf
                ca[r] = 0
            for f in range(nfc):
                for r in range(c0, c1):
                    if scores[f, r] > cm[r]:
                        cm[r] = scores[f, r]
                        ca[r] = f


LSE_CUT = 20.0
"""Terms more than ``LSE_CUT`` decades below the largest term of a sum so far are skipped:
each changes it by less than 1e-20 of it (far below double precision for any realistic
number of terms)."""

_LN10 = math.log(10.0)


def log10_add(a: np.ndarray | float, b: np.ndarray | float) -> np.ndarray:
    """``log10(10^a + 10^b)`` elementwise (``-inf`` is the log of 0)."""
    return np.logaddexp(np.asarray(a, float) * _LN10, np.asarray(b, float) * _LN10) / _LN10


@dataclass(slots=True)
class PoolSums:
    """Sums of LRs over a set of pairs, per subject (a remains or a family), kept as the
    largest term and the rest so that the sum *without* the best pair is exact too:
    ``log10_max`` float64 ``(n,)`` (``-inf``: no pair or every LR 0), ``best`` int64 ``(n,)``
    (index of the other side of the largest term; -1 when none), ``log10_rest`` float64
    ``(n,)``: log10 of the sum of every other term. Total: :attr:`log10_sum`."""

    log10_max: np.ndarray
    best: np.ndarray
    log10_rest: np.ndarray

    @classmethod
    def empty(cls, n: int) -> PoolSums:
        return cls(np.full(n, -np.inf), np.full(n, -1, np.int64), np.full(n, -np.inf))

    @property
    def log10_sum(self) -> np.ndarray:
        return log10_add(self.log10_max, self.log10_rest)

    def merge(self, other: PoolSums) -> PoolSums:
        """Both sets of pairs (disjoint) together."""
        take = other.log10_max > self.log10_max
        mx = np.where(take, other.log10_max, self.log10_max)
        best = np.where(take, other.best, self.best)
        lo = np.where(take, self.log10_max, other.log10_max)
        rest = log10_add(log10_add(self.log10_rest, other.log10_rest), lo)
        return PoolSums(mx, best, rest)

    def to_array(self) -> np.ndarray:
        """float64 ``(3, n)`` (for storage; :meth:`from_array` reads it back)."""
        return np.stack([self.log10_max, self.best.astype(float), self.log10_rest])

    @classmethod
    def from_array(cls, a: np.ndarray) -> PoolSums:
        a = np.asarray(a, float).reshape(3, -1)
        return cls(a[0].copy(), a[1].astype(np.int64), a[2].copy())


def _state(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Running-sum state of ``n`` sums: (largest term, its other side, rest max, rest sum)."""
    return np.full(n, -np.inf), np.full(n, -1, np.int64), np.full(n, -np.inf), np.zeros(n)


def _finish(st: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]) -> PoolSums:
    m1, arg, m2, s2 = st
    with np.errstate(divide="ignore", invalid="ignore"):
        rest = np.where(np.isneginf(m2) | (s2 <= 0), -np.inf,
                        m2 + np.log10(np.where(s2 > 0, s2, 1.0)))
    return PoolSums(m1, np.where(np.isneginf(m1), -1, arg), rest)


def _push_py(x: float, o: int, j: int, st: tuple) -> None:  # pragma: no cover - no numba
    m1, arg, m2, s2 = st
    if x > m1[j]:
        x, m1[j], arg[j] = m1[j], x, o
    if x > m2[j]:
        s2[j] = s2[j] * 10.0 ** (m2[j] - x) + 1.0 if m2[j] > -np.inf else 1.0
        m2[j] = x
    elif x > m2[j] - LSE_CUT:
        s2[j] += 10.0 ** (x - m2[j])


def _rows(scores: np.ndarray, st: tuple) -> None:
    if HAVE_NUMBA:
        _lse_rows_kernel(scores, *st, LSE_CUT)
        return
    for f, row in enumerate(scores):  # pragma: no cover - numpy fallback
        for r, x in enumerate(row):
            _push_py(float(x), r, f, st)


def _cols(scores: np.ndarray, f0: int, st: tuple) -> None:
    if HAVE_NUMBA:
        _lse_cols_kernel(scores, f0, *st, LSE_CUT)
        return
    for f, row in enumerate(scores):  # pragma: no cover - numpy fallback
        for r, x in enumerate(row):
            _push_py(float(x), f0 + f, r, st)


_ROWS = 64  # rows of a block exponentiated at a time (memory: _ROWS x R doubles)
_FAR = 280.0  # a rest this many decades below its reference is summed again on its own


def _block_sums(out: np.ndarray, f0: int) -> tuple[PoolSums, PoolSums]:
    """Pool sums of one block of scores ``out`` (F, R) (families ``f0 + f``): ``(per family,
    per remains)``. One vectorised ``10^(x - column max)`` per pair serves both: column rests
    sum it, row rests weigh it by ``10^(column max - block max)`` (a matrix-vector product);
    the largest term of each row and column is left out of its rest (so the rest is exact),
    and the few rows or columns whose rest lies ~300 decades below the reference (where the
    exponentials would underflow) are summed again exactly on their own."""
    nfc, nr = out.shape
    if HAVE_NUMBA:
        cm, ca = np.empty(nr), np.empty(nr, np.int64)
        rm, ra = np.empty(nfc), np.empty(nfc, np.int64)
        _maxes_kernel(out, cm, ca, rm, ra)
    else:  # pragma: no cover - numpy fallback
        cm, ca, rm, ra = out.max(0), out.argmax(0), out.max(1), out.argmax(1)
    big = float(cm.max()) if nr else -np.inf
    rows, cols = PoolSums.empty(nfc), PoolSums.empty(nr)
    if big == -np.inf:
        return rows, cols
    ref = np.where(np.isneginf(cm), 0.0, cm)
    g = np.exp((np.where(np.isneginf(cm), -np.inf, cm) - big) * _LN10)
    col_rest = np.zeros(nr)
    row_rest = np.empty(nfc)
    e = np.empty((min(_ROWS, nfc), nr))
    ar = np.arange(nr)
    for a in range(0, nfc, _ROWS):
        b = min(nfc, a + _ROWS)
        ch = e[: b - a]
        np.subtract(out[a:b], ref, out=ch)
        ch *= _LN10
        np.exp(ch, out=ch)
        own = (ca >= a) & (ca < b)
        ch[ca[own] - a, ar[own]] = 0.0  # each column's largest term is not in its rest
        col_rest += ch.sum(axis=0)
        ch[ca[own] - a, ar[own]] = 1.0
        ch[np.arange(b - a), ra[a:b]] = 0.0  # nor each row's in its rest
        row_rest[a:b] = ch @ g
    with np.errstate(divide="ignore"):
        cols.log10_rest[:] = np.where(col_rest > 0, ref + np.log10(np.where(
            col_rest > 0, col_rest, 1.0)), -np.inf)
        rows.log10_rest[:] = np.where(row_rest > 0, big + np.log10(np.where(
            row_rest > 0, row_rest, 1.0)), -np.inf)
    fin_c, fin_r = ~np.isneginf(cm), ~np.isneginf(rm)
    cols.log10_max[:], cols.best[:] = cm, np.where(fin_c, ca + f0, -1)
    rows.log10_max[:], rows.best[:] = rm, np.where(fin_r, ra, -1)
    redo_r = np.flatnonzero(fin_r & ((rows.log10_rest < big - _FAR) | (rm < big - _FAR)))
    if redo_r.size:
        st = _state(redo_r.size)
        _rows(np.ascontiguousarray(out[redo_r]), st)
        exact = _finish(st)
        rows.log10_rest[redo_r] = exact.log10_rest
    redo_c = np.flatnonzero(fin_c & (cols.log10_rest < cm - _FAR))
    if redo_c.size:
        st = _state(redo_c.size)
        _cols(np.ascontiguousarray(out[:, redo_c]), f0, st)
        cols.log10_rest[redo_c] = _finish(st).log10_rest
    return rows, cols


@dataclass(frozen=True)
class ScreenSums:
    """A screen's hits (as ``ScreenResult.hits``) with the pool sums of every pair scored:
    ``families`` (per family: ``sum_r LR(r, f)`` over the remains scored with it) and
    ``remains`` (per remains: ``sum_f LR(r, f)`` over the families scored with it)."""

    hits: tuple[np.ndarray, np.ndarray, np.ndarray]
    families: PoolSums
    remains: PoolSums


def screen_sums(
    tables: np.ndarray, remains_idx: np.ndarray, threshold: float, block: int = 512,
    peaks: PeakEntries | None = None,
) -> ScreenSums:
    """Every remains against every family (as :func:`screen`): the pairs with log10 LR >=
    ``threshold`` and the per-family and per-remains sums of the LRs of *all* pairs, stored
    or not (:class:`PoolSums`, log10; terms below :data:`LSE_CUT` skipped); ``peaks``: the
    remains' one-allele loci (:meth:`.search.SearchPanel.encode_remains_peaks`)."""
    nf, nr = np.shape(tables)[0], np.shape(remains_idx)[0]
    rem = PoolSums.empty(nr)
    fam = PoolSums.empty(nf)
    hits = HitCollector(threshold)
    for f0, f1, out in score_blocks(tables, remains_idx, block, peaks):
        hits.add(out, f0)
        rows, cols = _block_sums(out, f0)
        fam.log10_max[f0:f1], fam.best[f0:f1], fam.log10_rest[f0:f1] = (
            rows.log10_max, rows.best, rows.log10_rest)
        rem = rem.merge(cols)
    return ScreenSums(hits.result(), fam, rem)


def pair_sums(
    values: np.ndarray, indptr: np.ndarray, remains: np.ndarray, n_remains: int
) -> tuple[PoolSums, PoolSums]:
    """Pool sums of listed pairs (CSR as :func:`pair_scores`, ``values`` their log10 LRs):
    ``(per family (F,), per remains (n_remains,))``."""
    v = np.ascontiguousarray(values, dtype=np.float64)
    ptr = np.ascontiguousarray(indptr, dtype=np.int64)
    rem = np.ascontiguousarray(remains, dtype=np.int64)
    fst, rst = _state(ptr.size - 1), _state(n_remains)
    if HAVE_NUMBA:
        _lse_pairs_kernel(v, ptr, rem, LSE_CUT, fst, rst)
    else:  # pragma: no cover - numpy fallback
        for f in range(ptr.size - 1):
            for q in range(ptr[f], ptr[f + 1]):
                _push_py(float(v[q]), int(rem[q]), f, fst)
                _push_py(float(v[q]), f, int(rem[q]), rst)
    return _finish(fst), _finish(rst)
