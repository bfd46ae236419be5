"""Emission probabilities of the Lander-Green HMM: ``P(typed genotypes at a marker | state)``.

Given an inheritance vector, every typed person carries two known founder alleles
(:attr:`.space.InheritanceSpace.labels`). The founder-allele graph has the founder alleles
as nodes and one edge per typed person joining its two founder alleles, labelled with the
observed unordered genotype. Founder alleles are i.i.d. with the marker's frequencies
(Hardy-Weinberg, no mutation), so

    P(data | v) = prod over connected components C of
                  sum over allele assignments of C consistent with every edge of
                  prod_{nodes n in C} p[allele(n)]

Fixing one node of a component fixes the whole component (an edge {a, b} maps a to b), so a
component has at most two consistent assignments: one per allele of the genotype of the
first edge. Isolated founder alleles sum to 1. Exact for any number of alleles.
"""

from __future__ import annotations

import numba as nb
import numpy as np

__all__ = ["canonical_labels", "distinct_emissions", "emissions"]


@nb.njit(cache=True, nogil=True)
def _find(parent: np.ndarray, x: int) -> int:
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


@nb.njit(cache=True, nogil=True)
def _propagate(lab: np.ndarray, g: np.ndarray, typed: np.ndarray, assign: np.ndarray) -> bool:
    """Spread the assignment along the edges until nothing changes; False on a conflict."""
    changed = True
    while changed:
        changed = False
        for e in typed:
            a, b = lab[e, 0], lab[e, 1]
            x, y = g[e, 0], g[e, 1]
            ua, ub = assign[a], assign[b]
            if ua < 0 and ub < 0:
                continue
            if ua >= 0 and ub >= 0:
                if not ((ua == x and ub == y) or (ua == y and ub == x)):
                    return False
                continue
            known, free = (ua, b) if ua >= 0 else (ub, a)
            if known == x:
                assign[free] = y
            elif known == y:
                assign[free] = x
            else:
                return False
            changed = True
    return True


@nb.njit(cache=True, nogil=True)
def _one(lab: np.ndarray, g: np.ndarray, p: np.ndarray, n_nodes: int) -> float:
    typed = np.flatnonzero(g[:, 0] >= 0)
    if typed.size == 0:
        return 1.0
    parent = np.arange(n_nodes)
    for e in typed:
        ra, rb = _find(parent, lab[e, 0]), _find(parent, lab[e, 1])
        if ra != rb:
            parent[ra] = rb
    done = np.zeros(n_nodes, dtype=np.bool_)
    assign = np.full(n_nodes, -1, dtype=np.int64)
    out = 1.0
    for e in typed:
        root = _find(parent, lab[e, 0])
        if done[root]:
            continue
        done[root] = True
        total = 0.0
        for c in range(2):
            cand = g[e, c]
            if c == 1 and cand == g[e, 0]:
                break
            assign[:] = -1
            assign[lab[e, 0]] = cand
            if _propagate(lab, g, typed, assign):
                w = 1.0
                for n in range(n_nodes):
                    if assign[n] >= 0:
                        w *= p[assign[n]]
                total += w
        out *= total
        if out == 0.0:
            return 0.0
    return out


@nb.njit(cache=True, nogil=True)
def _emissions(labels: np.ndarray, geno: np.ndarray, freqs: np.ndarray, n_nodes: int) -> np.ndarray:
    n_markers, n_states = geno.shape[0], labels.shape[0]
    out = np.empty((n_markers, n_states))
    for j in range(n_markers):
        for s in range(n_states):
            out[j, s] = _one(labels[s], geno[j], freqs[j], n_nodes)
    return out


def canonical_labels(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct founder-allele graphs: ``(unique (U, P, 2), inverse (S,))``.

    Founder alleles are i.i.d., so renaming them does not change an emission: each state's
    labels are renamed in order of first appearance (person by person, paternal first) and
    states with equal renamed labels share their emissions."""
    s, p, _ = labels.shape
    flat = labels.reshape(s, 2 * p)
    canon = np.empty_like(flat)
    nxt = np.zeros(s, dtype=flat.dtype)
    seen = np.full((s, int(flat.max(initial=0)) + 1), -1, dtype=flat.dtype)
    rows = np.arange(s)
    for k in range(2 * p):
        lab = flat[:, k]
        cur = seen[rows, lab]
        new = cur < 0
        seen[rows[new], lab[new]] = nxt[new]
        canon[:, k] = np.where(new, nxt, cur)
        nxt += new
    uniq, inv = np.unique(canon, axis=0, return_inverse=True)
    return uniq.reshape(-1, p, 2), inv.reshape(-1)


def emissions(labels: np.ndarray, geno: np.ndarray, freqs: np.ndarray) -> np.ndarray:
    """``P(genotypes of marker j | state s)`` as float64 ``(n_markers, n_states)``
    (:func:`distinct_emissions` gathered by state).
    """
    em, inv = distinct_emissions(labels, geno, freqs)
    return em[:, inv]


def distinct_emissions(
    labels: np.ndarray, geno: np.ndarray, freqs: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(em (n_markers, U), inverse (n_states,))``: ``P(genotypes of marker j | state s)`` is
    ``em[j, inverse[s]]``, one column per distinct founder-allele graph.

    labels: int ``(n_states, n_persons, 2)`` founder alleles per state
    (:class:`.space.InheritanceSpace`); geno: int ``(n_markers, n_persons, 2)`` allele
    indices (``-1`` untyped); freqs: float ``(n_markers, max_alleles)`` (zero padded).
    Computed once per distinct founder-allele graph of the persons typed anywhere
    (:func:`canonical_labels`)."""
    typed = np.flatnonzero((np.asarray(geno)[..., 0] >= 0).any(axis=0))
    uniq, inv = canonical_labels(np.asarray(labels)[:, typed])
    em = _emissions(
        np.ascontiguousarray(uniq, dtype=np.int64),
        np.ascontiguousarray(np.asarray(geno)[:, typed], dtype=np.int64),
        np.ascontiguousarray(freqs, dtype=np.float64),
        max(int(uniq.max(initial=0)) + 1, 1),
    )
    return em, inv.astype(np.int64)
