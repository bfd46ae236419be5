"""Inheritance-vector state space of a pedigree (Lander-Green), reduced where exact.

An inheritance vector has one bit per meiosis of the pedigree's non-founders (0: the parent
passes on the allele it received from its father, 1: from its mother; for a founder parent,
its first / second founder allele). Meioses are grouped into *blocks*, one per parent: all
meioses of one parent share the recombination fraction (the parent's sex) of an interval.

Reductions (both exact):

* untyped persons without typed descendants are removed (:func:`prune`);
* founder phase: swapping a founder's two alleles (i.i.d. Hardy-Weinberg) flips every bit of
  the founder's block and changes neither the emission nor the transition, so the block of a
  founder with ``k`` meioses is lumped to ``k - 1`` bits (the bits relative to its first
  meiosis; a founder with one child contributes no bit). The lumped transition between
  relative vectors ``u, u'`` at Hamming distance ``d`` is
  ``r^d (1-r)^(k-d) + r^(k-d) (1-r)^d``; a non-founder parent's block keeps its ``k`` bits
  with ``r^d (1-r)^(k-d)``.

The state space is the product of the blocks: ``2^(sum of block bits)`` states, each block one
axis of the state tensor (C order).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..pedigree import MALE, Pedigree

__all__ = ["InheritanceSpace", "haldane", "prune"]


def haldane(d_cm: np.ndarray | float) -> np.ndarray:
    """Haldane's map function: recombination fraction ``r = (1 - exp(-2 d / 100)) / 2`` for a
    distance ``d`` in centiMorgan (``d >= 0``)."""
    return -0.5 * np.expm1(-2.0 * np.asarray(d_cm, dtype=np.float64) / 100.0)


def prune(ped: Pedigree, typed: Sequence[bool]) -> list[int]:
    """Indices (pedigree order) of the persons kept: those typed, their ancestors, and the
    other parent of any kept child; untyped persons without typed descendants drop out (they
    integrate to 1)."""
    n = len(ped)
    keep = np.zeros(n, dtype=bool)
    for i in reversed(ped.topological_order()):
        if typed[i]:
            keep[i] = True
    changed = True
    while changed:
        changed = False
        for i in range(n):
            f, m = int(ped.father[i]), int(ped.mother[i])
            if keep[i] and f >= 0 and not (keep[f] and keep[m]):
                keep[f] = keep[m] = True
                changed = True
    return [i for i in range(n) if keep[i]]


@dataclass(frozen=True)
class _Block:
    parent: int  # index in the pruned pedigree
    male: bool
    founder: bool
    meioses: tuple[int, ...]  # meiosis ids: 2 * child + (0 paternal, 1 maternal)

    @property
    def bits(self) -> int:
        return len(self.meioses) - 1 if self.founder else len(self.meioses)


class InheritanceSpace:
    """The reduced state space of a pedigree restricted to ``persons`` (indices of ``ped``,
    closed under parents: see :func:`prune`).

    ``labels``: int32 ``(n_states, n_persons, 2)``: the founder allele (``2 f`` or
    ``2 f + 1`` for the f-th founder) each kept person carries as paternal / maternal allele
    in each state; ``shape``: the state tensor's shape (one axis per block)."""

    def __init__(self, ped: Pedigree, persons: Sequence[int]) -> None:
        persons = list(persons)
        pos = {p: k for k, p in enumerate(persons)}
        fa = [pos[int(ped.father[p])] if ped.father[p] >= 0 else -1 for p in persons]
        mo = [pos[int(ped.mother[p])] if ped.mother[p] >= 0 else -1 for p in persons]
        self.persons = persons
        self.father, self.mother = fa, mo
        by_parent: dict[int, list[int]] = {}
        for c in range(len(persons)):
            if fa[c] >= 0:
                by_parent.setdefault(fa[c], []).append(2 * c)
                by_parent.setdefault(mo[c], []).append(2 * c + 1)
        self.blocks = [
            _Block(p, int(ped.sex[persons[p]]) == MALE, fa[p] < 0, tuple(ms))
            for p, ms in sorted(by_parent.items())
        ]
        self.shape = tuple(2**b.bits for b in self.blocks)
        self.n_states = int(np.prod(self.shape, dtype=np.int64))
        self.n_meioses = sum(len(b.meioses) for b in self.blocks)
        self.labels = self._labels()

    def _meiosis_bits(self) -> np.ndarray:
        """int8 ``(n_states, 2 * n_persons)``: the canonical inheritance vector of each state
        (a founder block's first meiosis fixed to 0)."""
        s = np.arange(self.n_states)
        out = np.zeros((self.n_states, 2 * len(self.persons)), dtype=np.int8)
        vals = np.unravel_index(s, self.shape) if self.blocks else ()
        for b, v in zip(self.blocks, vals, strict=True):
            ms = b.meioses[1:] if b.founder else b.meioses
            for t, m in enumerate(ms):
                out[:, m] = (v >> (b.bits - 1 - t)) & 1
        return out

    def _labels(self) -> np.ndarray:
        n = len(self.persons)
        bits = self._meiosis_bits()
        lab = np.zeros((self.n_states, n, 2), dtype=np.int32)
        nf = 0
        order = _topo(self.father, self.mother)
        for c in order:
            if self.father[c] < 0:
                lab[:, c, 0], lab[:, c, 1] = 2 * nf, 2 * nf + 1
                nf += 1
        for c in order:
            f, m = self.father[c], self.mother[c]
            if f >= 0:
                rows = np.arange(self.n_states)
                lab[:, c, 0] = lab[rows, f, bits[:, 2 * c]]
                lab[:, c, 1] = lab[rows, m, bits[:, 2 * c + 1]]
        self.n_founder_alleles = 2 * nf
        return lab

    def block_matrices(self, b: int, r: np.ndarray) -> np.ndarray:
        """The (lumped) transition matrices ``(len(r), n_b, n_b)`` of block ``b`` over
        intervals with recombination fractions ``r`` in that parent's meioses (module
        docstring)."""
        blk = self.blocks[b]
        k, nb = len(blk.meioses), blk.bits
        v = np.arange(2**nb)
        x = v[:, None] ^ v[None, :]
        d = np.zeros_like(x)
        for t in range(nb):
            d += (x >> t) & 1
        r = np.asarray(r, dtype=np.float64)[:, None, None]
        t = r**d * (1.0 - r) ** (k - d)
        if blk.founder:
            t = t + r ** (k - d) * (1.0 - r) ** d
        return t


def _topo(father: Sequence[int], mother: Sequence[int]) -> list[int]:
    done: list[int] = []
    seen: set[int] = set()

    def visit(i: int) -> None:
        if i in seen:
            return
        if father[i] >= 0:
            visit(father[i])
            visit(mother[i])
        seen.add(i)
        done.append(i)

    for i in range(len(father)):
        visit(i)
    return done
