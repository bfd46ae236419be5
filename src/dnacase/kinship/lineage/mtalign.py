"""The rCRS, haplotype sequences rebuilt from it, and the phylogenetic (EMPOP) alignment.

A haplotype written as differences from the rCRS is one *sequence* over its range; several
spellings give the same sequence (``248DEL`` and ``249DEL``; ``514DEL 515DEL`` and ``523DEL
524DEL``; ``303.1C`` and ``309.1C``). This module rebuilds the sequence
(:func:`haplotype_sequence`) and rewrites any spelling into one canonical alignment against the
rCRS (:func:`canonical_table`), so that two spellings of one sequence never differ.

Alignment rules (Wilson et al. 2002, FSI 129:35; Bandelt & Parson 2008, Int J Legal Med
122:11; ISFG/Parson et al. 2014, FSI Genet 13:134; EMPOP notation), applied in a window of
``WINDOW_MARGIN`` bp around every insertion or deletion of the spelling:

1. fewest differences from the rCRS: a substitution or one inserted/deleted base costs
   ``COST_BASE`` each; a run of inserted or deleted bases costs ``COST_OPEN`` once more, so
   one 2-bp deletion (``523DEL 524DEL``) is preferred to two separate 1-bp deletions;
2. the T of the two C-stretches (16189, HVS-I 16184-16193; 310, HVS-II 303-315) is not
   deleted when a substitution to C plus a length change says the same (``COST_ANCHOR``
   extra): a C-stretch without its T is ``16189C`` (``310C``) with its length variant, the
   phylogenetic notation, not ``16189DEL``;
3. among equally good alignments, insertions and deletions are placed at the 3' end (highest
   rCRS position) of their homopolymer or repeat: ``249DEL`` (not 248), ``309.1C`` /
   ``315.1C`` / ``16193.1C`` / ``573.1C``, ``523DEL 524DEL`` (the CA repeat 514-524),
   ``8281-8289DEL`` (the 9-bp repeat);
4. a point heteroplasmy (IUPAC code) or ``N`` at a position stays at that position.

Dynamic programming (Gotoh, three states) over the window; windows are small (tens of bp)
and cached, so a population database is aligned once per distinct local pattern.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from importlib import resources

MT_LENGTH = 16569
DEL = "DEL"
ACGT = frozenset("ACGT")

COST_BASE = 10
COST_OPEN = 1
COST_ANCHOR = 15
WINDOW_MARGIN = 20
ANCHORED_T: frozenset[int] = frozenset({16189, 310})
"""rCRS positions of the T inside the HVS-I and HVS-II C-stretches (rule 2)."""

Table = Mapping[tuple[int, int], str]


@lru_cache(maxsize=1)
def rcrs() -> str:
    """The rCRS (GenBank NC_012920.1), 16,569 bases, index 0 = position 1 (3107 is ``N``).

    Read from the package file ``dnacase/data/lineage/rCRS_NC_012920.fasta`` (see
    ``README-rCRS.md`` there) and checked at known positions.
    """
    text = (resources.files("dnacase") / "data" / "lineage" / "rCRS_NC_012920.fasta"
            ).read_text(encoding="ascii")
    seq = "".join(line.strip() for line in text.splitlines() if not line.startswith(">"))
    seq = seq.upper()
    if (len(seq) != MT_LENGTH or seq[72] != "A" or seq[262] != "A" or seq[3106] != "N"
            or seq[302:315] != "CCCCCCCTCCCCC" or seq[16518] != "T"):
        raise RuntimeError("the packaged rCRS file is damaged (length or known sites wrong)")
    return seq


def reference_base(position: int) -> str:
    """rCRS base at ``position`` (1-based)."""
    return rcrs()[position - 1]


def haplotype_sequence(table: Table, start: int, end: int) -> str:
    """The sequence of positions ``start..end`` (inclusive, 1-based) of a haplotype.

    ``table`` maps (position, insertion index) to an allele (a base, an IUPAC code, ``N`` or
    ``DEL``); positions without an entry carry the rCRS base. Insertions after ``end`` are
    included, insertions after ``start - 1`` are not.
    """
    ref = rcrs()
    out: list[str] = []
    for p in range(start, end + 1):
        allele = table.get((p, 0))
        if allele is None:
            out.append(ref[p - 1])
        elif allele != DEL:
            out.append(allele)
        k = 1
        while (p, k) in table:
            out.append(table[(p, k)])
            k += 1
    return "".join(out)


# ----------------------------------------------------------------------- canonical alignment
def _windows(table: Table, intervals: tuple[tuple[int, int], ...]) -> list[tuple[int, int]]:
    """Merged windows of +-WINDOW_MARGIN bp around each indel, clipped to its interval."""
    out: list[tuple[int, int]] = []
    for a, b in intervals:
        spans = sorted((max(a, p - WINDOW_MARGIN), min(b, p + WINDOW_MARGIN))
                       for (p, ins), allele in table.items()
                       if a <= p <= b and (ins > 0 or allele == DEL))
        for lo, hi in spans:
            if out and lo <= out[-1][1] + 1 and out[-1][0] >= a:
                out[-1] = (out[-1][0], max(out[-1][1], hi))
            else:
                out.append((lo, hi))
    return out


def canonical_table(table: Table, intervals: tuple[tuple[int, int], ...]
                    ) -> dict[tuple[int, int], str]:
    """The canonical spelling (module rules) of a haplotype given over ``intervals``."""
    out = dict(table)
    for lo, hi in _windows(table, intervals):
        local = tuple(sorted((k, v) for k, v in table.items() if lo <= k[0] <= hi))
        for k, _ in local:
            del out[k]
        out.update(_align_window(lo, hi, local))
    return out


@lru_cache(maxsize=65536)
def _align_window(lo: int, hi: int, local: tuple[tuple[tuple[int, int], str], ...]
                  ) -> tuple[tuple[tuple[int, int], str], ...]:
    table = dict(local)
    ref = rcrs()[lo - 1:hi]
    # the haplotype's symbols; pinned = a heteroplasmy/N substitution (rule 4)
    sym: list[str] = []
    pinned: list[bool] = []
    for p in range(lo, hi + 1):
        allele = table.get((p, 0))
        if allele is None:
            sym.append(ref[p - lo])
            pinned.append(False)
        elif allele != DEL:
            sym.append(allele)
            pinned.append(allele not in ACGT)
        k = 1
        while (p, k) in table:
            sym.append(table[(p, k)])
            pinned.append(False)
            k += 1
    ops = _gotoh(ref, sym, pinned, lo)
    return tuple(sorted(_variants(ops, ref, sym, pinned, lo)))


_INF = 1 << 40


def _gotoh(ref: str, sym: list[str], pinned: list[bool], lo: int) -> list[tuple[str, int, int]]:
    """Optimal alignment as ops ('M', i, j) / ('D', i, -) / ('I', -, j) (0-based indices)."""
    n, m = len(ref), len(sym)
    gap = COST_BASE
    dpen = [COST_ANCHOR if (lo + i) in ANCHORED_T else 0 for i in range(n)]
    M = [[_INF] * (m + 1) for _ in range(n + 1)]
    D = [[_INF] * (m + 1) for _ in range(n + 1)]
    In = [[_INF] * (m + 1) for _ in range(n + 1)]
    M[0][0] = 0
    for i in range(n + 1):
        Mi, Di, Ii = M[i], D[i], In[i]
        for j in range(m + 1):
            if i and j:
                prev = min(M[i - 1][j - 1], D[i - 1][j - 1], In[i - 1][j - 1])
                s = sym[j - 1]
                Mi[j] = prev + (0 if s == ref[i - 1] and not pinned[j - 1] else COST_BASE)
            if i:
                Di[j] = min(M[i - 1][j] + COST_OPEN, D[i - 1][j], In[i - 1][j] + COST_OPEN
                            ) + gap + dpen[i - 1]
            if i and j and not pinned[j - 1]:  # no insertion before the window's first base
                Ii[j] = min(Mi[j - 1] + COST_OPEN, Ii[j - 1], Di[j - 1] + COST_OPEN) + gap
    # traceback from the 3' end, preferring gaps on ties (rule 3)
    ops: list[tuple[str, int, int]] = []
    i, j = n, m
    state = min((D[n][m], 0), (In[n][m], 1), (M[n][m], 2))[1]
    while i or j:
        if state == 0:  # D
            ops.append(("D", i - 1, -1))
            base = D[i][j] - gap - dpen[i - 1]
            i -= 1
            state = _pick(((D[i][j], 0), (In[i][j] + COST_OPEN, 1), (M[i][j] + COST_OPEN, 2)),
                          base)
        elif state == 1:  # I
            ops.append(("I", i - 1, j - 1))
            base = In[i][j] - gap
            j -= 1
            state = _pick(((D[i][j] + COST_OPEN, 0), (In[i][j], 1), (M[i][j] + COST_OPEN, 2)),
                          base)
        else:
            ops.append(("M", i - 1, j - 1))
            i -= 1
            j -= 1
            if not (i or j):
                break
            base = min(M[i][j], D[i][j], In[i][j])
            state = _pick(((D[i][j], 0), (In[i][j], 1), (M[i][j], 2)), base)
    ops.reverse()
    return ops


def _pick(options: tuple[tuple[int, int], ...], target: int) -> int:
    for cost, state in options:
        if cost == target:
            return state
    raise AssertionError("alignment traceback lost its path")  # pragma: no cover


def _variants(ops: list[tuple[str, int, int]], ref: str, sym: list[str], pinned: list[bool],
              lo: int) -> list[tuple[tuple[int, int], str]]:
    out: list[tuple[tuple[int, int], str]] = []
    ins_at, k = -1, 0
    for op, i, j in ops:
        if op == "I":
            pos = lo + i
            k = k + 1 if pos == ins_at else 1
            ins_at = pos
            out.append(((pos, k), sym[j]))
            continue
        if op == "D":
            out.append(((lo + i, 0), DEL))
        elif sym[j] != ref[i] or pinned[j]:
            out.append(((lo + i, 0), sym[j]))
    return out
