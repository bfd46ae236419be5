"""Lineage markers as a fast search filter: which (remains, family) pairs are not excluded.

Use the pairs returned here to restrict the autosomal comparison to pairs whose lineage
haplotypes do not exclude a common lineage (:func:`mtdna_candidate_pairs`,
:func:`ystr_candidate_pairs`).

:func:`mtdna_candidate_pairs` returns every pair of ``remains[i]`` and ``family[j]`` whose
:func:`~dnacase.kinship.lineage.mtdna.compare_mtdna` result has at most ``k`` differences
(``k = exclude_at - 1`` when inconclusive pairs are kept, the default, else
``inconclusive_at - 1``), with the number of differences. It gives exactly the pairs the
all-pairs comparison gives (:func:`mtdna_candidate_pairs_bruteforce`, the reference used in the
tests), without comparing all pairs:

1. Haplotypes are grouped by range; each pair of range groups is handled over its common
   range ``O`` (pairs with ``len(O) < min_overlap_bp`` are not comparable and returned
   separately as index groups, not as pairs).
2. Within a group pair, haplotypes identical over ``O`` (after dropping what the rules never
   count: ignored positions, insertions in the C-stretch windows) form one class; classes are
   compared, members expanded at the end.
3. **Pre-filter (pigeonhole).** ``O`` is split into ``m = k + 7`` disjoint blocks of positions
   holding about equal numbers of variants. A pair with at most ``k`` differences has no
   difference in at least ``m - k`` blocks, so for some choice of ``m - k`` blocks it agrees
   exactly on all of them. Each class is hashed once per choice (``C(m, k)`` choices) and only
   classes sharing a hash become candidates. Positions in the C-stretch windows and all
   insertions and deletions are left out of the hashes (the length-variant rule there depends
   on both sides; a multi-base indel is one difference). A point heteroplasmy is
   expanded into each state it is compatible with (absent, or one of its bases), so a
   compatible pair always shares one expansion; classes with ``N`` or too many expansions are
   made candidates with every class. Hash collisions only add candidates. Hence no pair with
   at most ``k`` differences is ever dropped.
4. **Exact check** of each candidate class pair: bitsets of (position, allele) codes and of
   positions; ``d = popcount(Ca ^ Cb) + popcount(Ca & Cb) - popcount(Pa & Pb)`` (each position
   carries at most one allele). Classes with heteroplasmy, ``N`` or an insertion or deletion
   are checked with :func:`compare_mtdna` itself.

The guarantee rests on each substitution difference being one difference of
:func:`compare_mtdna`; its sequence check (two spellings of one sequence never differ) can
only lower a count where two canonical spellings of one sequence differ, which the canonical
alignment of :mod:`.mtalign` rules out for every spelling tested.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .mtdna import (
    DEFAULT_MT_OPTIONS,
    DEL,
    IUPAC,
    MT_LENGTH,
    UNKNOWN,
    MtCompareOptions,
    MtHaplotype,
    MtRange,
    compare_mtdna,
)
from .ystr import DEFAULT_Y_OPTIONS, YCompareOptions, YHaplotype

_ALLELE_CODE: dict[str, int] = {"A": 0, "C": 1, "G": 2, "T": 3, DEL: 4, UNKNOWN: 14}
_ALLELE_CODE.update({c: 5 + i for i, c in enumerate(sorted(IUPAC))})
_MAX_EXPANSIONS = 64
_EXTRA_BLOCKS = 7
_HASH_MULT = np.random.default_rng(20240517).integers(1, 2**62, size=64, dtype=np.int64) | 1


def _code(pos: int, ins: int, allele: str) -> int:
    if ins >= 64:
        raise ValueError(f"insertion index {ins} at {pos} too large for the search index")
    return ((pos * 64 + ins) * 16) + _ALLELE_CODE[allele]


@dataclass(frozen=True)
class MtPairs:
    """Pairs that are not excluded: ``remains_index[t]``, ``family_index[t]`` (int64) and
    ``n_differences[t]`` (int16), sorted by (remains, family). ``uncomparable`` lists index
    groups (remains indices, family indices) whose common range is too short to compare;
    every pair across such a group is inconclusive. ``stats`` counts the work done."""

    remains_index: np.ndarray
    family_index: np.ndarray
    n_differences: np.ndarray
    uncomparable: tuple[tuple[np.ndarray, np.ndarray], ...] = ()
    stats: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.remains_index.size)

    def as_set(self) -> set[tuple[int, int, int]]:
        return set(zip(self.remains_index.tolist(), self.family_index.tolist(),
                       self.n_differences.tolist(), strict=True))


def _max_differences(options: MtCompareOptions, include_inconclusive: bool) -> int:
    return (options.exclude_at if include_inconclusive else options.inconclusive_at) - 1


def mtdna_candidate_pairs_bruteforce(
    remains: Sequence[MtHaplotype],
    family: Sequence[MtHaplotype],
    options: MtCompareOptions = DEFAULT_MT_OPTIONS,
    *,
    include_inconclusive: bool = True,
) -> MtPairs:
    """All-pairs reference implementation of :func:`mtdna_candidate_pairs` (slow)."""
    k = _max_differences(options, include_inconclusive)
    out = []
    for i, a in enumerate(remains):
        for j, b in enumerate(family):
            if len(a.range & b.range) < options.min_overlap_bp:
                continue
            d = compare_mtdna(a, b, options).n_differences
            if d <= k:
                out.append((i, j, d))
    arr = np.array(out, dtype=np.int64).reshape(-1, 3)
    return MtPairs(arr[:, 0].copy(), arr[:, 1].copy(), arr[:, 2].astype(np.int16),
                   stats={"compared_pairs": len(remains) * len(family)})


@dataclass
class _Classes:
    members: list[list[int]]  # haplotype indices per class
    codes: list[tuple[int, ...]]  # sorted codes over the overlap (rules applied)
    wild: np.ndarray  # bool: needs compare_mtdna for the exact check
    any_n: np.ndarray  # bool: contains N (matched with everything)


def _mask(rng: MtRange) -> bytearray:
    """Byte per rCRS position (index = position): 1 inside ``rng``."""
    m = bytearray(MT_LENGTH + 2)
    for a, b in rng.intervals:
        m[a:b + 1] = b"\x01" * (b - a + 1)
    return m


def _window_mask(options: MtCompareOptions) -> bytearray:
    """Byte per position: 1 in a C-stretch window whose length variants are not counted."""
    m = bytearray(MT_LENGTH + 2)
    if options.ignore_length_variants:
        for a, b in options.length_variant_windows:
            m[a:b + 1] = b"\x01" * (b - a + 1)
    return m


def _classes(haps: Sequence[MtHaplotype], idx: list[int], overlap: MtRange,
             options: MtCompareOptions) -> _Classes:
    table: dict[tuple[int, ...], int] = {}
    members: list[list[int]] = []
    wild: list[bool] = []
    any_n: list[bool] = []
    use = _mask(overlap)
    for p in options.ignored_positions:
        use[p] = 0
    window = _window_mask(options)
    for h in idx:
        codes = []
        w = n = False
        for v in haps[h].variants:
            p = v.position
            if not use[p]:
                continue
            if v.insertion and window[p]:
                continue  # always ignored whatever the other side holds
            codes.append(_code(p, v.insertion, v.allele))
            if v.allele == UNKNOWN:
                w = n = True
            elif v.allele in IUPAC or v.is_indel:
                w = True  # checked with compare_mtdna (heteroplasmy rule, indel events)
        sig = tuple(codes)
        c = table.get(sig)
        if c is None:
            c = table[sig] = len(members)
            members.append([])
            wild.append(w)
            any_n.append(n)
        members[c].append(h)
    return _Classes(members, list(table), np.array(wild, bool), np.array(any_n, bool))


def _block_alternatives(codes: tuple[int, ...], bounds: list[int], m: int, window: bytearray,
                        options: MtCompareOptions) -> list[list[tuple[int, ...]]] | None:
    """Per block, the list of code tuples this class may equal (expansions of heteroplasmy)."""
    per_block: list[list[list[int]]] = [[[]] for _ in range(m)]
    for code in codes:
        key, allele_code = divmod(code, 16)
        pos = key >> 6
        allele = _ALLELE_NAME[allele_code]
        if window[pos] or allele == DEL or key & 63:
            continue  # indels are not hashed: a multi-base indel is one difference
        b = bisect.bisect_right(bounds, pos)
        if allele in IUPAC and options.heteroplasmy_matches_either_base:
            states = [None, *(key * 16 + _ALLELE_CODE[x] for x in sorted(IUPAC[allele]))]
            per_block[b] = [alt + ([s] if s is not None else []) for alt in per_block[b]
                            for s in states]
            if len(per_block[b]) > _MAX_EXPANSIONS:
                return None
        else:
            per_block[b] = [[*alt, code] for alt in per_block[b]]
    return [[tuple(sorted(alt)) for alt in blk] for blk in per_block]


_ALLELE_NAME = {v: k for k, v in _ALLELE_CODE.items()}


def _hash_rows(
    cl: _Classes, bounds: np.ndarray, m: int, combos: list[tuple[int, ...]],
    options: MtCompareOptions,
) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
    """Per combo: (keys int64, class ids); plus the classes to pair with everything."""
    nc = len(cl.codes)
    simple_ids: list[int] = []
    simple_bh: list[list[int]] = []
    extra_keys: list[list[int]] = [[] for _ in combos]
    extra_ids: list[list[int]] = [[] for _ in combos]
    everything = cl.any_n.copy()
    bounds_list = [int(x) for x in bounds]
    window = _window_mask(options)
    for c in range(nc):
        if everything[c]:
            continue
        alts = _block_alternatives(cl.codes[c], bounds_list, m, window, options)
        if alts is None:
            everything[c] = True
            continue
        if all(len(a) == 1 for a in alts):
            simple_ids.append(c)
            simple_bh.append([hash(a[0]) for a in alts])
            continue
        bh = [[hash(a) for a in blk] for blk in alts]
        for t, combo in enumerate(combos):
            n_exp = 1
            for b in combo:
                n_exp *= len(bh[b])
            if n_exp > _MAX_EXPANSIONS:
                everything[c] = True
                break
            for choice in itertools.product(*(bh[b] for b in combo)):
                extra_keys[t].append(_combine(choice, combo, t))
                extra_ids[t].append(c)
    sb = np.array(simple_bh, dtype=np.int64).reshape(-1, m)
    sid = np.array(simple_ids, dtype=np.int64)
    keys_out, ids_out = [], []
    for t, combo in enumerate(combos):
        with np.errstate(over="ignore"):
            k = np.full(sid.size, np.int64(t) * np.int64(0x9E3779B97F4A7C15 - 2**64), np.int64)
            for b in combo:
                k = k * np.int64(1_000_003) + sb[:, b] * _HASH_MULT[b]
        ek = np.array(extra_keys[t], dtype=np.int64)
        eid = np.array(extra_ids[t], dtype=np.int64)
        ok = ~everything[eid] if eid.size else np.zeros(0, bool)
        keys_out.append(np.concatenate([k, ek[ok]]))
        ids_out.append(np.concatenate([sid, eid[ok]]))
    return keys_out, ids_out, everything


def _combine(choice: tuple[int, ...], combo: tuple[int, ...], t: int) -> int:
    """Same arithmetic as the vectorised hash in :func:`_hash_rows` (int64 wrap-around)."""
    with np.errstate(over="ignore"):
        k = np.int64(t) * np.int64(0x9E3779B97F4A7C15 - 2**64)
        for h, b in zip(choice, combo, strict=True):
            k = k * np.int64(1_000_003) + np.int64(h) * _HASH_MULT[b]
    return int(k)


def _join(kr: np.ndarray, ir: np.ndarray, kf: np.ndarray, jf: np.ndarray) -> np.ndarray:
    """Pairs (class r, class f) with equal keys, as int64 r * 2**32 + f."""
    if kr.size == 0 or kf.size == 0:
        return np.zeros(0, np.int64)
    order = np.argsort(kf, kind="stable")
    kf, jf = kf[order], jf[order]
    lo = np.searchsorted(kf, kr, side="left")
    hi = np.searchsorted(kf, kr, side="right")
    cnt = hi - lo
    keep = cnt > 0
    lo, cnt, rr = lo[keep], cnt[keep], ir[keep]
    total = int(cnt.sum())
    rep = np.repeat(np.arange(lo.size), cnt)
    offs = np.arange(total) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    return (rr[rep] << 32) | jf[lo[rep] + offs]


def _bitsets(codes: list[tuple[int, ...]], ids: np.ndarray, col: dict[int, int],
             kcol: dict[int, int], words: int, kwords: int) -> tuple[np.ndarray, np.ndarray]:
    rows = []
    ccols = []
    kcols = []
    for r, c in enumerate(ids.tolist()):
        cc = codes[c]
        rows.extend([r] * len(cc))
        ccols.extend(col[x] for x in cc)
        kcols.extend(kcol[x >> 4] for x in cc)
    rows_a = np.array(rows, np.int64)
    cb = np.zeros((ids.size, words), np.uint64)
    kb = np.zeros((ids.size, kwords), np.uint64)
    for arr, cols in ((cb, np.array(ccols, np.int64)), (kb, np.array(kcols, np.int64))):
        bits = np.left_shift(np.uint64(1), (cols & 63).astype(np.uint64))
        np.bitwise_or.at(arr, (rows_a, cols >> 6), bits)
    return cb, kb


def mtdna_candidate_pairs(
    remains: Sequence[MtHaplotype],
    family: Sequence[MtHaplotype],
    options: MtCompareOptions = DEFAULT_MT_OPTIONS,
    *,
    include_inconclusive: bool = True,
    chunk: int = 200_000,
) -> MtPairs:
    """Pairs of remains and family haplotypes that are not excluded (module docstring).

    Same result as :func:`mtdna_candidate_pairs_bruteforce`, much faster on large sets.
    """
    k = _max_differences(options, include_inconclusive)
    stats = {"class_pairs_checked": 0, "classes_remains": 0, "classes_family": 0}
    if k < 0 or not remains or not family:
        z = np.zeros(0, np.int64)
        return MtPairs(z, z.copy(), np.zeros(0, np.int16), stats=stats)
    groups_r: dict[MtRange, list[int]] = {}
    for i, h in enumerate(remains):
        groups_r.setdefault(h.range, []).append(i)
    groups_f: dict[MtRange, list[int]] = {}
    for j, h in enumerate(family):
        groups_f.setdefault(h.range, []).append(j)
    out_i, out_j, out_d = [], [], []
    uncomparable = []
    m = k + _EXTRA_BLOCKS
    combos = list(itertools.combinations(range(m), m - k))
    for rr, idx_r in groups_r.items():
        for rf, idx_f in groups_f.items():
            overlap = rr & rf
            if len(overlap) < options.min_overlap_bp:
                uncomparable.append((np.array(idx_r, np.int64), np.array(idx_f, np.int64)))
                continue
            cr = _classes(remains, idx_r, overlap, options)
            cf = _classes(family, idx_f, overlap, options)
            stats["classes_remains"] += len(cr.codes)
            stats["classes_family"] += len(cf.codes)
            # block boundaries: about equal numbers of class variants per block
            pos_arr = np.array([c >> 10 for cl in (cr, cf) for codes in cl.codes
                                for c in codes], dtype=np.int64)
            if pos_arr.size:
                bounds = np.unique(np.quantile(pos_arr, np.linspace(0, 1, m + 1)[1:-1],
                                               method="lower").astype(np.int64))
            else:
                bounds = np.zeros(0, np.int64)
            m_eff = bounds.size + 1
            if m_eff < m:  # fewer distinct positions than blocks: pad with empty blocks
                bounds = np.concatenate([bounds, np.full(m - m_eff, 10**9, np.int64)])
            keys_r, ids_r, all_r = _hash_rows(cr, bounds, m, combos, options)
            keys_f, ids_f, all_f = _hash_rows(cf, bounds, m, combos, options)
            cand = [_join(keys_r[t], ids_r[t], keys_f[t], ids_f[t]) for t in range(len(combos))]
            nr, nf = len(cr.codes), len(cf.codes)
            for c in np.flatnonzero(all_r):
                cand.append((np.int64(c) << 32) | np.arange(nf, dtype=np.int64))
            for c in np.flatnonzero(all_f):
                cand.append((np.arange(nr, dtype=np.int64) << 32) | np.int64(c))
            pairs = np.unique(np.concatenate(cand)) if cand else np.zeros(0, np.int64)
            pu, pv = pairs >> 32, pairs & 0xFFFFFFFF
            stats["class_pairs_checked"] += int(pairs.size)
            d = _exact(cr, cf, pu, pv, remains, family, options, chunk)
            keep = d <= k
            pu, pv, d = pu[keep], pv[keep], d[keep]
            ii, jj, dd = _expand(cr, cf, pu, pv, d)
            out_i.append(ii)
            out_j.append(jj)
            out_d.append(dd)
    if out_i:
        i_all = np.concatenate(out_i)
        j_all = np.concatenate(out_j)
        d_all = np.concatenate(out_d).astype(np.int16)
        order = np.lexsort((j_all, i_all))
        i_all, j_all, d_all = i_all[order], j_all[order], d_all[order]
    else:
        i_all = j_all = np.zeros(0, np.int64)
        d_all = np.zeros(0, np.int16)
    return MtPairs(i_all, j_all, d_all, tuple(uncomparable), stats)


def _exact(cr: _Classes, cf: _Classes, pu: np.ndarray, pv: np.ndarray,
           remains: Sequence[MtHaplotype], family: Sequence[MtHaplotype],
           options: MtCompareOptions, chunk: int) -> np.ndarray:
    d = np.zeros(pu.size, np.int64)
    slow = cr.wild[pu] | cf.wild[pv] if pu.size else np.zeros(0, bool)
    for t in np.flatnonzero(slow):
        a = remains[cr.members[int(pu[t])][0]]
        b = family[cf.members[int(pv[t])][0]]
        d[t] = compare_mtdna(a, b, options).n_differences
    fast = np.flatnonzero(~slow)
    if fast.size == 0:
        return d
    ur = np.unique(pu[fast])
    uf = np.unique(pv[fast])
    all_codes = sorted({c for u in ur.tolist() for c in cr.codes[u]}
                       | {c for v in uf.tolist() for c in cf.codes[v]})
    col = {c: x for x, c in enumerate(all_codes)}
    all_keys = sorted({c >> 4 for c in all_codes})
    kcol = {c: x for x, c in enumerate(all_keys)}
    words = max(1, (len(col) + 63) // 64)
    kwords = max(1, (len(kcol) + 63) // 64)
    cbr, kbr = _bitsets(cr.codes, ur, col, kcol, words, kwords)
    cbf, kbf = _bitsets(cf.codes, uf, col, kcol, words, kwords)
    rpos = np.searchsorted(ur, pu[fast])
    fpos = np.searchsorted(uf, pv[fast])
    for s in range(0, fast.size, chunk):
        a, b = rpos[s:s + chunk], fpos[s:s + chunk]
        ca, cb = cbr[a], cbf[b]
        x = (np.bitwise_count(ca ^ cb).sum(1, dtype=np.int64)
             + np.bitwise_count(ca & cb).sum(1, dtype=np.int64)
             - np.bitwise_count(kbr[a] & kbf[b]).sum(1, dtype=np.int64))
        d[fast[s:s + chunk]] = x
    return d


def _expand(cr: _Classes, cf: _Classes, pu: np.ndarray, pv: np.ndarray, d: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Class pairs -> member pairs (Cartesian product per class pair)."""
    def csr(members: list[list[int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        sizes = np.array([len(x) for x in members], np.int64)
        flat = np.array([h for x in members for h in x], np.int64)
        return sizes, np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64), flat

    sr, orr, fr = csr(cr.members)
    sf, off, ff = csr(cf.members)
    cu, cv = sr[pu], sf[pv]
    rep = cu * cv
    total = int(rep.sum())
    pid = np.repeat(np.arange(pu.size), rep)
    local = np.arange(total) - np.repeat(np.cumsum(rep) - rep, rep)
    iu = local // cv[pid]
    iv = local % cv[pid]
    return fr[orr[pu[pid]] + iu], ff[off[pv[pid]] + iv], np.repeat(d, rep)



# ------------------------------------------------------------------------------------ Y-STR
@dataclass(frozen=True)
class YPairs:
    """Y pairs with at most ``k`` differing loci: indices (int64) and counts (int16)."""

    remains_index: np.ndarray
    family_index: np.ndarray
    n_differences: np.ndarray

    def __len__(self) -> int:
        return int(self.remains_index.size)

    def as_set(self) -> set[tuple[int, int, int]]:
        return set(zip(self.remains_index.tolist(), self.family_index.tolist(),
                       self.n_differences.tolist(), strict=True))


def _y_matrix(haps: Sequence[YHaplotype], loci: list[str], codes: dict[tuple, int]
              ) -> np.ndarray:
    out = np.full((len(haps), len(loci) + 1), -1, np.int32)
    for r, h in enumerate(haps):
        for c, locus in enumerate(loci):
            a = h.alleles.get(locus)
            if a is not None:
                out[r, c] = codes.setdefault(a, len(codes))
        one, two = h.alleles.get("DYS389I"), h.alleles.get("DYS389II")
        if one is not None and two is not None and len(one) == 1 and len(two) == 1:
            out[r, -1] = codes.setdefault(("II-I", two[0] - one[0]), len(codes))
    return out


def ystr_candidate_pairs(
    remains: Sequence[YHaplotype],
    family: Sequence[YHaplotype],
    options: YCompareOptions = DEFAULT_Y_OPTIONS,
    *,
    include_inconclusive: bool = True,
    chunk: int = 2048,
) -> YPairs:
    """Pairs whose :func:`~dnacase.kinship.lineage.ystr.compare_ystr` difference count
    (loci typed in both men, DYS389II as II - I when both men have both) is at most
    ``exclude_at - 1`` (or ``inconclusive_at - 1``). Vectorised all-pairs count over an
    int32 allele-code matrix, O(N * M * loci) in chunks; meant for the family-versus-remains
    sizes of a case search, not 1e10 pairs."""
    k = (options.exclude_at if include_inconclusive else options.inconclusive_at) - 1
    loci = sorted({loc for h in (*remains, *family) for loc in h.alleles})
    if k < 0 or not remains or not family or not loci:
        z = np.zeros(0, np.int64)
        return YPairs(z, z.copy(), np.zeros(0, np.int16))
    codes: dict[tuple, int] = {}
    a = _y_matrix(remains, loci, codes)
    b = _y_matrix(family, loci, codes)
    i389 = loci.index("DYS389I") if "DYS389I" in loci else -1
    i389ii = loci.index("DYS389II") if "DYS389II" in loci else -1
    use_diff = options.dys389ii_is_total and i389 >= 0 and i389ii >= 0
    out_i, out_j, out_d = [], [], []
    for s in range(0, len(remains), chunk):
        x = a[s:s + chunk, None, :]
        y = b[None, :, :]
        typed = (x >= 0) & (y >= 0)
        diff = (x != y) & typed
        if use_diff:
            both = typed[..., -1]  # II-I known for both (so I and II typed in both men)
            diff[..., i389ii] = np.where(both, diff[..., -1], diff[..., i389ii])
        d = diff[..., :-1].sum(-1)
        ii, jj = np.nonzero(d <= k)
        out_i.append(ii + s)
        out_j.append(jj)
        out_d.append(d[ii, jj])
    return YPairs(np.concatenate(out_i).astype(np.int64), np.concatenate(out_j).astype(np.int64),
                  np.concatenate(out_d).astype(np.int16))
