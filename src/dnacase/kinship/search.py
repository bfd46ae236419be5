"""Search kernel: per-family LR tables and the many-remains x many-families screen.

For one family (pedigree with an untyped missing person MP and typed references) and one
locus, the LR of *every* possible genotype ``{a, b}`` of the missing person is::

    LR(a, b) = P(MP = {a, b} | refs) / P_HW(a, b)        (posterior / population frequency)

which equals the direct missing-person LR of a remains profile with that genotype. Summing
the log10 table entries over loci gives the multi-locus log10 LR (markers unlinked), so a
remains x family pair costs one table look-up per locus.

Layout (a :class:`SearchPanel` fixes it for a set of loci with shared frequency tables):

* genotype code of ``{a, b}`` (allele indices, ``lo <= hi``): ``hi (hi + 1) / 2 + lo``;
  remains profiles are stored compactly as int16 codes ``(R, L)``, ``-1`` untyped;
* a family table is float64 ``(T,)``, ``T = sum_l (G_l + 1 + n_l)`` with
  ``G_l = n_l (n_l + 1) / 2``: block ``l`` starts at ``offsets[l]``; entry ``offsets[l]`` is
  ``0.0`` (untyped locus, LR 1), entry ``offsets[l] + 1 + code`` is the log10 LR of that
  genotype, and entry ``star_offsets[l] + a`` (``star_offsets = offsets + 1 + G``) is the
  log10 LR of "allele ``a`` plus one allele other than ``a``"::

      LR_a* = sum_{b != a} P_HW(a, b) LR(a, b) / sum_{b != a} P_HW(a, b)
            = P(MP carries a and another allele | refs) / (2 p_a (1 - p_a))
* tables of many families: float64 ``(F, T)``; remains as flat indices int32 ``(R, L)``
  (``offsets[l] + 1 + code``).

Remains showing one allele ``a`` at a locus (allele dropout with probability ``d``, or an
off-ladder second allele; weights ``(w_hom, w_het)`` of :mod:`.peaks`) are scored at screen
time from the family's ``LR(a, a)`` and ``LR_a*``::

    LR = [w_hom p_a^2 LR(a, a) + w_het 2 p_a (1 - p_a) LR_a*]
         / [w_hom p_a^2 + w_het 2 p_a (1 - p_a)]  =  lam LR(a, a) + (1 - lam) LR_a*

which is the exact missing-person LR under the dropout model (:func:`.lr.missing_person_lr`
with ``poi_peaks``). :meth:`SearchPanel.encode_remains_peaks` points such loci at the
``0.0`` entry and lists them (:class:`.search_peaks.PeakEntries`); the screen adds
``sum_loci log10 (lam 10^t[aa] + (1 - lam) 10^t[a*])`` per pair, each term computed once per
family and distinct (locus, allele, lam) and looked up (:mod:`.search_peaks`).

Tables are computed with the same exact engine as :func:`missing_person_lr` (posterior of the
MP's ordered alleles by variable elimination), batched over families x loci; the screen is
a compiled gather-and-sum (numba, parallel over families).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np

from .likelihood import _Batch, _compile, _reduced_rows, _run, freq_table
from .lr import KinshipDataError, _null_peaks
from .markers import Locus, genotype_code, genotype_pairs
from .peaks import no_peaks, null_index, peak_mask, peak_table
from .pedigree import Pedigree
from .search_peaks import PeakEntries, add_peak_pairs, add_peaks, carriers, peak_entries, star

__all__ = [
    "Family",
    "PeakEntries",
    "ScreenResult",
    "SearchPanel",
    "build_family_tables",
    "pair_scores",
    "score_matrix",
    "screen",
    "screen_pairs",
]


@dataclass(frozen=True, eq=False)
class Family:
    """A family to search against: ``references`` int ``(n_persons, n_loci, 2)`` allele
    indices in pedigree order and panel locus order (``-1`` untyped; the ``missing`` row
    untyped); ``peaks``: one-allele weights float ``(n_persons, n_loci, 2)`` of references
    that show one allele (:mod:`.peaks`; None or NaN: read as written)."""

    id: str
    pedigree: Pedigree
    missing: str
    references: np.ndarray
    peaks: np.ndarray | None = None


class SearchPanel:
    """Loci shared by all profiles of a search, with the table layout (see module doc).

    Attributes: ``loci``; ``n_alleles`` int64 ``(L,)``; ``n_genotypes`` int64 ``(L,)``;
    ``offsets`` int64 ``(L,)``; ``star_offsets`` int64 ``(L,)``; ``size`` = T."""

    def __init__(self, loci: Sequence[Locus]) -> None:
        self.loci = list(loci)
        self.n_alleles = np.array([loc.n_alleles for loc in self.loci], dtype=np.int64)
        self.n_genotypes = self.n_alleles * (self.n_alleles + 1) // 2
        sizes = self.n_genotypes + 1 + self.n_alleles
        self.offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        self.star_offsets = self.offsets + 1 + self.n_genotypes
        self.size = int(sizes.sum())
        nmax = int(self.n_alleles.max())
        self.freq_pad = np.zeros((len(self.loci), nmax))
        for j, loc in enumerate(self.loci):
            self.freq_pad[j, : loc.n_alleles] = loc.freqs
        self.mutation = np.array([loc.has_mutation for loc in self.loci])
        if self.size >= 2**31:
            raise ValueError("panel too large for int32 table indices")

    def codes(self, genotypes: np.ndarray) -> np.ndarray:
        """Genotypes int ``(R, L, 2)`` -> compact codes int16 ``(R, L)`` (``-1`` untyped)."""
        g = np.asarray(genotypes)
        c = genotype_code(g[..., 0], g[..., 1])
        if int(self.n_genotypes.max()) >= 2**15:
            return c.astype(np.int32)
        return c.astype(np.int16)

    def flat_index(self, codes: np.ndarray) -> np.ndarray:
        """Codes ``(R, L)`` -> flat table indices int32 ``(R, L)``."""
        c = np.asarray(codes).astype(np.int64)
        return (self.offsets[None, :] + 1 + np.maximum(c, -1)).astype(np.int32)

    def encode_remains(self, genotypes: np.ndarray) -> np.ndarray:
        """Genotypes int ``(R, L, 2)`` -> flat table indices int32 ``(R, L)``."""
        return self.flat_index(self.codes(genotypes))

    def encode_remains_peaks(
        self, genotypes: np.ndarray, weights: np.ndarray | None
    ) -> tuple[np.ndarray, PeakEntries | None]:
        """Genotypes int ``(R, L, 2)`` and one-allele weights float ``(R, L, 2)`` (NaN: read
        as written; :mod:`.peaks`) -> ``(flat indices int32 (R, L), entries)``: one-allele
        loci point at the ``0.0`` entry and are listed in ``entries`` (None when there are
        none: the plain :meth:`encode_remains`). At a locus with a silent allele
        (:func:`.peaks.add_null_allele`) every one-peak reading is one (weights ``(1, 0)``
        where none were given), as in :func:`.lr.missing_person_lr`."""
        idx = self.encode_remains(genotypes)
        if (null_index(self.loci) >= 0).any():
            weights = _null_peaks(self.loci, genotypes, weights)
        return idx, peak_entries(self, genotypes, weights, idx)


# ----- family tables ------------------------------------------------------------------------
_BUDGET = 1_000_000  # elements of the largest expected clique per chunk


def _bucket(k: int) -> int:
    b = 2
    while b < k:
        b *= 2
    return b


def _row_groups(keyarr: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Distinct rows of a bool matrix and the row indices of each (bit-packed keys)."""
    w = keyarr.shape[1]
    if w <= 62:
        keys = (keyarr.astype(np.int64) << np.arange(w, dtype=np.int64)).sum(axis=1)
        _u, first, inv = np.unique(keys, return_index=True, return_inverse=True)
        uniq = keyarr[first]
    else:
        uniq, inv = np.unique(keyarr, axis=0, return_inverse=True)
    inv = inv.ravel()
    order = np.argsort(inv, kind="stable")
    bounds = np.searchsorted(inv[order], np.arange(uniq.shape[0] + 1))
    return uniq, [order[bounds[i] : bounds[i + 1]] for i in range(uniq.shape[0])]


def _full_batch(
    gt: np.ndarray, loc: np.ndarray, panel: SearchPanel, mats: tuple[np.ndarray, np.ndarray], k: int
):
    b = gt.shape[1]
    p = panel.freq_pad[loc, :k]
    mf = mats[0][loc][:, :k, :k]
    mm = mats[1][loc][:, :k, :k]
    lam = np.broadcast_to(np.arange(panel.freq_pad.shape[1]), (b, panel.freq_pad.shape[1]))
    rho = np.where(p > 0, p, 1.0)
    return _Batch(p, mf, mm, gt.astype(np.int64)), lam, rho


def build_family_tables(
    panel: SearchPanel, families: Sequence[Family], out: np.ndarray | None = None
) -> np.ndarray:
    """LR tables of ``families`` on ``panel``: float64 ``(F, T)`` log10 LR (see module doc).

    Exact: equal to :func:`missing_person_lr` for every remains profile (up to rounding).
    Raises :class:`KinshipDataError` naming the family and locus when a family's references
    are impossible on its pedigree (the LR is then undefined).
    """
    nf, nl = len(families), len(panel.loci)
    tables = out if out is not None else np.empty((nf, panel.size))
    tables[:, panel.offsets] = 0.0
    mats: tuple[np.ndarray, np.ndarray] | None = None
    # group families by pedigree structure and missing person
    by_struct: dict[tuple, list[int]] = {}
    for fi, fam in enumerate(families):
        ped = fam.pedigree
        q = ped.index(fam.missing)
        ref = np.asarray(fam.references)
        if ref.shape != (len(ped), nl, 2):
            raise KinshipDataError(
                f"family {fam.id!r}: references must have shape ({len(ped)}, {nl}, 2)"
            )
        if (ref[q] >= 0).any():
            raise KinshipDataError(f"family {fam.id!r}: the missing person must be untyped")
        by_struct.setdefault((ped.structure_key(), q), []).append(fi)
    lo_hi = None  # genotype pairs come from lo_hi_for()
    bucket_of = np.array([_bucket(int(n)) for n in panel.n_alleles])
    for (skey, q), fidx in by_struct.items():
        ped0 = families[fidx[0]].pedigree
        loops = ped0.has_loop()
        refs = np.stack([np.asarray(families[f].references) for f in fidx])  # (Fs, P, L, 2)
        weights = np.stack([no_peaks(refs.shape[1:3]) if families[f].peaks is None
                            else np.asarray(families[f].peaks) for f in fidx])  # fmt: skip
        if (null_index(panel.loci) >= 0).any():  # silent alleles: one peaks summed over
            weights = _null_peaks(panel.loci, refs, weights)
        soft = peak_mask(weights, refs)  # (Fs, P, L): one allele, summed over
        typed = (refs >= 0).all(axis=3) & ~soft  # (Fs, P, L)
        half = (refs >= 0).any(axis=3) & ~(refs >= 0).all(axis=3)
        if half.any():
            f, pi, li = np.argwhere(half)[0]
            raise KinshipDataError(
                f"family {families[fidx[f]].id!r}, person "
                f"{ped0.ids[pi]!r}, locus {panel.loci[li].name}: one allele only"
            )
        # group rows (family, locus) by typed pattern and path
        fs, ls = np.meshgrid(np.arange(len(fidx)), np.arange(nl), indexing="ij")
        fs, ls = fs.ravel(), ls.ravel()
        pat = typed[fs, :, ls]  # (rows, P)
        full = panel.mutation[ls] | loops | (panel.n_alleles[ls] <= 2)
        keyarr = np.concatenate([pat, soft[fs, :, ls], full[:, None]], axis=1)
        uniq, groups = _row_groups(keyarr)
        for gi in range(uniq.shape[0]):
            rows = groups[gi]
            n_p = refs.shape[1]
            tmask = uniq[gi, :n_p]
            smask = uniq[gi, n_p:-1]
            is_full = bool(uniq[gi, -1])
            typed_rows = np.flatnonzero(tmask)
            if is_full and mats is None:  # padded (female, male) matrices, built once
                mats = freq_table(tuple(panel.loci)).stacks
            # sub-group full rows by allele-count bucket
            if is_full:
                bk = bucket_of[ls[rows]]
                subgroups = [rows[bk == v] for v in np.unique(bk)]
            else:
                subgroups = [rows]
            for sub in subgroups:
                k = int(panel.n_alleles[ls[sub]].max()) if is_full else \
                    2 * typed_rows.size + int(smask.sum()) + 1
                chunk = max(64, int(_BUDGET // (4 * k**3 if k > 2 else 64)))
                for c0 in range(0, sub.size, chunk):
                    rr = sub[c0 : c0 + chunk]
                    _table_rows(
                        panel,
                        refs,
                        fs[rr],
                        ls[rr],
                        typed_rows,
                        tmask,
                        q,
                        skey,
                        is_full,
                        mats,
                        tables,
                        np.asarray(fidx),
                        lo_hi,
                        families,
                        (smask, weights),
                    )
    return tables


_PAIRS: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def lo_hi_for(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Cached :func:`genotype_pairs`."""
    v = _PAIRS.get(n)
    if v is None:
        v = _PAIRS[n] = genotype_pairs(n)
    return v


def _distinct_rows(
    gt: np.ndarray, lr: np.ndarray, typed_rows: np.ndarray, soft_key: np.ndarray | None = None
) -> tuple:
    """Rows with the same locus and the same (unordered) genotypes of the typed persons (and
    the same ``soft_key`` int64 ``(B, m)``: one-allele observations) give the same table
    values: ``(first row of each distinct row, distinct row of each row)``."""
    b = lr.size
    key = np.empty((b, 1 + 2 * typed_rows.size), dtype=np.int64)
    key[:, 0] = lr
    if typed_rows.size:
        key[:, 1:] = np.sort(gt[typed_rows], axis=2).transpose(1, 0, 2).reshape(b, -1)
    if soft_key is not None and soft_key.shape[1]:
        key = np.concatenate([key, soft_key], axis=1)
    _u, first, inv = np.unique(key, axis=0, return_index=True, return_inverse=True)
    return first, inv.ravel()


def _table_rows(
    panel, refs, fr, lr, typed_rows, tmask, q, skey, is_full, mats, tables, fidx, lo_hi, families,
    soft,
) -> None:
    smask, weights = soft  # soft persons (P,) bool; weights (Fs, P, L, 2)
    soft_rows = tuple(np.flatnonzero(smask).tolist())
    gt_all = refs[fr, :, lr, :].transpose(1, 0, 2)  # (P, B, 2)
    gt_all = np.where((tmask | smask)[:, None, None], gt_all, -1)
    w_all = weights[fr, :, lr, :].transpose(1, 0, 2)  # (P, B, 2)
    soft_key = None
    if soft_rows:
        sr = list(soft_rows)
        soft_key = np.concatenate([gt_all[sr, :, 0].T.astype(np.int64),
                                   np.ascontiguousarray(w_all[sr].transpose(1, 0, 2))
                                   .reshape(lr.size, -1).view(np.int64)], axis=1)  # fmt: skip
    # families of one structure often share genotypes at a locus (SNPs: 3 per person)
    first, inv = _distinct_rows(gt_all, lr, typed_rows, soft_key)
    lr_all, fr_all = lr, fr
    gt, lr, fr, w = gt_all[:, first], lr[first], fr[first], w_all[:, first]
    nul = null_index(panel.loci)[lr]  # silent allele of each row's locus (-1: none)
    if is_full:
        k = int(panel.n_alleles[lr].max())
        batch, lam, rho = _full_batch(gt, lr, panel, mats, k)
    else:
        no_mut = np.zeros(lr.size, dtype=bool)
        ft = freq_table(tuple(panel.loci))
        extra = gt[list(soft_rows), :, 0].T.astype(np.int64) if soft_rows else None
        if extra is not None and (nul >= 0).any():  # keep the silent allele distinct
            extra = np.concatenate([extra, np.where(nul >= 0, nul, extra[:, 0])[:, None]], 1)
        batch, lam = _reduced_rows(ft, lr, no_mut, gt.astype(np.int64), typed_rows, extra)
        rho = np.where(batch.p > 0, batch.p, 1.0)  # safe to divide (padding has p = 0)
    if soft_rows:
        ri = np.arange(lr.size)
        bn = np.where(nul >= 0, lam[ri, np.maximum(nul, 0)], -1)  # null in the batch domain
        batch = replace(batch, soft={i: peak_table(lam[ri, gt[i, :, 0]], w[i], batch.k, bn)
                                     for i in soft_rows})  # fmt: skip
    father, mother, _sex = skey
    plan = _compile(father, mother, tuple(bool(x) for x in tmask.tolist()), q, batch.k,
                    soft_rows)
    joint, _ls = _run(plan, batch)
    total = joint.sum(axis=(1, 2))
    bad = np.flatnonzero(~(total > 0))
    if bad.size:
        b0 = bad[0]
        raise KinshipDataError(
            f"family {families[fidx[fr[b0]]].id!r}, locus {panel.loci[lr[b0]].name}: the "
            "reference genotypes are impossible on the pedigree (Mendelian inconsistency; "
            "set a mutation model or correct the data)"
        )
    sym = joint + np.swapaxes(joint, 1, 2)
    denom = 2.0 * total[:, None, None] * rho[:, :, None] * rho[:, None, :]
    with np.errstate(divide="ignore"):
        lr_red = np.log10(sym / denom)  # (U, K, K) per distinct row
    carry = carriers(sym, total)
    nal = panel.n_alleles[lr_all]
    rows_t = fidx[fr_all]
    for n in np.unique(nal).tolist():
        sel = np.flatnonzero(nal == n)
        u = inv[sel]
        lo, hi = lo_hi_for(n)
        lm = lam[u][:, :n]
        vals = lr_red[u[:, None], lm[:, lo], lm[:, hi]]  # (b_n, G_n)
        cols = (panel.offsets[lr_all[sel]] + 1)[:, None] + np.arange(lo.size)[None, :]
        tables[rows_t[sel][:, None], cols] = vals
        lrs = star(carry, u, lm, panel.freq_pad[lr_all[sel]], n, None if is_full else batch)
        cols = panel.star_offsets[lr_all[sel]][:, None] + np.arange(n)[None, :]
        tables[rows_t[sel][:, None], cols] = lrs


# ----- screening ----------------------------------------------------------------------------
try:  # pragma: no cover - exercised when numba is installed (a dependency)
    import numba as _nb

    @_nb.njit(parallel=True, cache=True, nogil=True)
    def _score_kernel(tables, idx, f0, f1, out):
        nr, nl = idx.shape
        nb = (f1 - f0 + 3) // 4
        for blk in _nb.prange(nb):
            fa = f0 + 4 * blk
            fe = min(fa + 4, f1)
            if fe - fa == 4:
                t0 = tables[fa]
                t1 = tables[fa + 1]
                t2 = tables[fa + 2]
                t3 = tables[fa + 3]
                for r in range(nr):
                    s0 = 0.0
                    s1 = 0.0
                    s2 = 0.0
                    s3 = 0.0
                    for j in range(nl):
                        x = idx[r, j]
                        s0 += t0[x]
                        s1 += t1[x]
                        s2 += t2[x]
                        s3 += t3[x]
                    out[fa - f0, r] = s0
                    out[fa - f0 + 1, r] = s1
                    out[fa - f0 + 2, r] = s2
                    out[fa - f0 + 3, r] = s3
            else:
                for f in range(fa, fe):
                    t = tables[f]
                    for r in range(nr):
                        s = 0.0
                        for j in range(nl):
                            s += t[idx[r, j]]
                        out[f - f0, r] = s

    @_nb.njit(parallel=True, cache=True, nogil=True)
    def _topk_kernel(scores, f0, best_v, best_f):
        nfc, nr = scores.shape
        k = best_v.shape[1]
        for r in _nb.prange(nr):
            # position of the current minimum of row r
            mpos = 0
            for j in range(1, k):
                if best_v[r, j] < best_v[r, mpos]:
                    mpos = j
            for f in range(nfc):
                v = scores[f, r]
                if v > best_v[r, mpos]:
                    best_v[r, mpos] = v
                    best_f[r, mpos] = f0 + f
                    mpos = 0
                    for j in range(1, k):
                        if best_v[r, j] < best_v[r, mpos]:
                            mpos = j

    @_nb.njit(parallel=True, cache=True, nogil=True)
    def _pairs_kernel(tables, idx, indptr, rem, out):
        nl = idx.shape[1]
        for f in _nb.prange(indptr.size - 1):
            t = tables[f]
            for q in range(indptr[f], indptr[f + 1]):
                r = rem[q]
                s = 0.0
                for j in range(nl):
                    s += t[idx[r, j]]
                out[q] = s

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover
    HAVE_NUMBA = False


def _score_block(tables: np.ndarray, idx: np.ndarray, f0: int, f1: int, out: np.ndarray) -> None:
    if HAVE_NUMBA:
        _score_kernel(tables, idx, f0, f1, out)
    else:  # pragma: no cover - numpy fallback
        for f in range(f0, f1):
            out[f - f0] = tables[f][idx].sum(axis=1)


def _folded(peaks: PeakEntries | None, idx: np.ndarray, size: int) -> np.ndarray | None:
    """The remains' index with the one-allele loci folded in (None: none to fold)."""
    if peaks is None or not peaks.lam.size:
        return None
    return peaks.folded_index(idx, size)


def _scores(t: np.ndarray, idx: np.ndarray, f0: int, f1: int, out: np.ndarray,
            peaks: PeakEntries | None, folded: np.ndarray | None) -> None:
    """Scores of families ``f0:f1`` against every remains into ``out`` ``(f1 - f0, R)``;
    one-allele loci folded into the gather (:meth:`.search_peaks.PeakEntries.folded_index`)
    when ``folded`` is given."""
    if folded is None:
        _score_block(t, idx, f0, f1, out)
        add_peaks(t[f0:f1], peaks, out)
    else:
        assert peaks is not None
        _score_block(peaks.folded_tables(t[f0:f1]), folded, 0, f1 - f0, out)


def score_matrix(
    tables: np.ndarray, remains_idx: np.ndarray, peaks: PeakEntries | None = None
) -> np.ndarray:
    """All pair scores: float64 ``(F, R)`` log10 LR (``-inf`` = excluded); ``peaks``: the
    remains' one-allele loci (:meth:`SearchPanel.encode_remains_peaks`). For small
    problems; :func:`screen` streams large ones."""
    t = np.ascontiguousarray(tables, dtype=np.float64)
    idx = np.ascontiguousarray(remains_idx, dtype=np.int32)
    if peaks is not None:
        peaks.check(idx.shape[0], t.shape[1])
    out = np.empty((t.shape[0], idx.shape[0]))
    _score_block(t, idx, 0, t.shape[0], out)
    add_peaks(t, peaks, out)
    return out


@dataclass(frozen=True)
class ScreenResult:
    """Screen output. ``top_log10`` float64 ``(R, k)`` and ``top_family`` int64 ``(R, k)``
    (best families per remains, descending; family ``-1`` where fewer than k);
    ``hits``: (remains int64, family int64, log10 LR float64) arrays of every pair with
    log10 LR >= ``threshold`` (empty when no threshold was given), sorted by remains then
    family; ``lookups``: number of locus look-ups done (F x R x L)."""

    top_log10: np.ndarray
    top_family: np.ndarray
    hits: tuple[np.ndarray, np.ndarray, np.ndarray]
    threshold: float | None
    lookups: int


def score_blocks(
    tables: np.ndarray, remains_idx: np.ndarray, block: int = 512,
    peaks: PeakEntries | None = None,
) -> Iterator[tuple[int, int, np.ndarray]]:
    """Every remains against every family, ``block`` families at a time: yields ``(f0, f1,
    scores)`` with ``scores`` float64 ``(f1 - f0, R)`` log10 LRs (``-inf`` = excluded), a view
    of one buffer reused for the next block (copy what must outlive the iteration). Checks
    the remains indices against the table layout first. Serves :func:`screen` and
    :func:`.pool_sums.screen_sums`."""
    t = np.ascontiguousarray(tables, dtype=np.float64)
    idx = np.ascontiguousarray(remains_idx, dtype=np.int32)
    nf, nr = t.shape[0], idx.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= t.shape[1]):
        raise ValueError("remains indices do not match the table layout")
    if peaks is not None:
        peaks.check(nr, t.shape[1])
    buf = np.empty((min(block, max(nf, 1)), nr))
    folded = _folded(peaks, idx, t.shape[1])
    for f0 in range(0, nf, block):
        f1 = min(nf, f0 + block)
        out = buf[: f1 - f0]
        _scores(t, idx, f0, f1, out, peaks, folded)
        yield f0, f1, out


class HitCollector:
    """The pairs with log10 LR >= ``threshold`` over the blocks of :func:`score_blocks`
    (none when the threshold is None); :meth:`result` gives ``(remains int64, family int64,
    log10 LR)`` sorted by remains then family."""

    def __init__(self, threshold: float | None) -> None:
        self.threshold = threshold
        self._parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def add(self, scores: np.ndarray, f0: int) -> None:
        if self.threshold is None:
            return
        ff, rr = np.nonzero(scores >= self.threshold)
        self._parts.append((rr, ff + f0, scores[ff, rr]))

    def result(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if not self._parts:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
        r, f, v = (np.concatenate([p[i] for p in self._parts]) for i in range(3))
        o = np.lexsort((f, r))
        return r[o].astype(np.int64), f[o].astype(np.int64), v[o]


def screen(
    tables: np.ndarray,
    remains_idx: np.ndarray,
    threshold: float | None = None,
    top_k: int = 10,
    block: int = 512,
    peaks: PeakEntries | None = None,
) -> ScreenResult:
    """Screen every remains against every family by table look-ups (exact LRs).

    tables: float64 ``(F, T)`` from :func:`build_family_tables`; remains_idx: int32 ``(R, L)``
    from :meth:`SearchPanel.encode_remains`; threshold: keep all pairs with log10 LR >= it;
    top_k: best families kept per remains; peaks: the remains' one-allele loci
    (:meth:`SearchPanel.encode_remains_peaks`). Memory: ``block x R`` float64 scores at a
    time.
    """
    nr = np.shape(remains_idx)[0]
    k = max(1, int(top_k))
    best_v = np.full((nr, k), -np.inf)
    best_f = np.full((nr, k), -1, dtype=np.int64)
    hits = HitCollector(threshold)
    for f0, f1, out in score_blocks(tables, remains_idx, block, peaks):
        if HAVE_NUMBA:
            _topk_kernel(out, f0, best_v, best_f)
        else:  # pragma: no cover
            allv = np.concatenate([best_v, out.T], axis=1)
            allf = np.concatenate([best_f, np.broadcast_to(np.arange(f0, f1), (nr, f1 - f0))], 1)
            sel = np.argsort(-allv, axis=1, kind="stable")[:, :k]
            best_v = np.take_along_axis(allv, sel, 1)
            best_f = np.take_along_axis(allf, sel, 1)
        hits.add(out, f0)
    order = np.argsort(-best_v, axis=1, kind="stable")
    best_v = np.take_along_axis(best_v, order, 1)
    best_f = np.take_along_axis(best_f, order, 1)
    best_f[np.isneginf(best_v) & (best_f < 0)] = -1
    nf, nl = np.shape(tables)[0], np.shape(remains_idx)[1]
    return ScreenResult(best_v, best_f, hits.result(), threshold, nf * nr * nl)


def _check_pairs(tables, remains_idx, indptr, remains):
    t = np.ascontiguousarray(tables, dtype=np.float64)
    idx = np.ascontiguousarray(remains_idx, dtype=np.int32)
    ptr = np.ascontiguousarray(indptr, dtype=np.int64)
    rem = np.ascontiguousarray(remains, dtype=np.int64)
    if ptr.size != t.shape[0] + 1 or ptr[-1] != rem.size:
        raise ValueError("indptr does not match the tables and the pair list")
    if rem.size and (rem.min() < 0 or rem.max() >= idx.shape[0]):
        raise ValueError("remains indices out of range")
    return t, idx, ptr, rem


def pair_scores(
    tables: np.ndarray, remains_idx: np.ndarray, indptr: np.ndarray, remains: np.ndarray,
    peaks: PeakEntries | None = None,
) -> np.ndarray:
    """log10 LR of every listed pair (float64 ``(Q,)``, CSR order: the pairs of family ``f``
    are ``remains[indptr[f]:indptr[f + 1]]``), scored exactly as :func:`screen` scores them
    (``peaks``: the remains' one-allele loci)."""
    t, idx, ptr, rem = _check_pairs(tables, remains_idx, indptr, remains)
    if peaks is not None:
        peaks.check(idx.shape[0], t.shape[1])
    out = np.empty(rem.size)
    if HAVE_NUMBA:
        _pairs_kernel(t, idx, ptr, rem, out)
    else:  # pragma: no cover - numpy fallback
        fam = np.repeat(np.arange(t.shape[0]), np.diff(ptr))
        out[:] = t[fam[:, None], idx[rem]].sum(axis=1) if rem.size else 0.0
    if peaks is not None:
        add_peak_pairs(t, peaks, ptr, rem, out)
    return out


def _pair_hits(out, ptr, rem, threshold):
    keep = np.flatnonzero(out >= threshold)
    fam = np.repeat(np.arange(ptr.size - 1, dtype=np.int64), np.diff(ptr))[keep]
    r, v = rem[keep], out[keep]
    o = np.lexsort((fam, r))
    return r[o], fam[o], v[o]


def screen_pairs(
    tables: np.ndarray,
    remains_idx: np.ndarray,
    indptr: np.ndarray,
    remains: np.ndarray,
    threshold: float,
    peaks: PeakEntries | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Score only listed pairs (e.g. those a lineage pre-filter leaves), exactly as
    :func:`screen` scores them, and keep those with log10 LR >= ``threshold``.

    tables: float64 ``(F, T)``; remains_idx: int32 ``(R, L)``; the pairs of family ``f`` are
    ``remains[indptr[f]:indptr[f + 1]]`` (CSR, int64); peaks: the remains' one-allele loci.
    Returns ``(remains, family, log10
    LR)`` sorted by remains then family, like ``ScreenResult.hits``."""
    out = pair_scores(tables, remains_idx, indptr, remains, peaks)
    return _pair_hits(out, np.asarray(indptr, np.int64), np.asarray(remains, np.int64),
                      threshold)


def log10_to_lr(x: float) -> float | None:
    """10**x as a double, 0.0 for -inf, None outside the double range."""
    if math.isinf(x) and x < 0:
        return 0.0
    try:
        v = 10.0**x
    except OverflowError:
        return None
    return None if v == 0.0 else v
