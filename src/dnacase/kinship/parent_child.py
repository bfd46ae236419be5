"""Closed-form missing-person likelihoods when the data form one parent-child unit.

The general engine (:mod:`.likelihood`) eliminates variables on any pedigree; this module
answers the most common small case directly, vectorised over loci, with the same model
(Hardy-Weinberg founders, mutation on every meiosis including from untyped founders). It
applies when the persons that matter (typed persons, the missing person MP, their
ancestors) are exactly three:

* **MP and its parents** F (father) and M (mother), both founders, each typed or not (a
  father, a mother, or both as references)::

      P(refs, MP = {a, b}) = P(refs) * (T_F(a) T_M(b) + [a != b] T_F(b) T_M(a))

  with ``T_S(c) = (M_S[s1, c] + M_S[s2, c]) / 2`` for a typed parent ``(s1, s2)`` and
  ``T_S(c) = sum_x p_x M_S[x, c]`` for an untyped one; ``M_S`` is the mutation matrix of the
  parent's sex (``P(refs)`` is the product of the typed founders' Hardy-Weinberg
  probabilities).

* **MP, a typed child R of MP, and R's other parent X** (a founder, typed or not)::

      P(refs, MP = {a, b}) = P_X * HW(a, b) * sum over orders (u, w) of R's alleles
                                              T_pat(u) T_mat(w)
      P(refs)              = P_X * sum over orders (u, w) of U_pat(u) U_mat(w)

  where MP's side uses ``T(c) = (M[a, c] + M[b, c]) / 2`` (H1) or ``U(c) = (p M)(c)``
  (H2) and X's side is as for F/M above; ``P_X`` cancels. At a locus where R is untyped
  only MP remains and ``P(MP = {a, b}) = HW(a, b)``.

A test compares these with the general engine and with brute-force enumeration.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba as nb
import numpy as np

from .pedigree import Pedigree

__all__ = ["ParentChildShape", "parent_child_loglik", "parent_child_shape"]


@dataclass(frozen=True)
class ParentChildShape:
    """kind "parents": ``father``/``mother`` are MP's parents; kind "child": ``child`` is
    MP's child R, ``other`` its other parent X, ``mp_is_father`` whether MP is R's father."""

    kind: str
    father: int = -1
    mother: int = -1
    child: int = -1
    other: int = -1
    mp_is_father: bool = False


def _relevant(pedigree: Pedigree, query: int, typed: np.ndarray) -> set[int]:
    fa, mo = pedigree.father, pedigree.mother
    keep: set[int] = set()
    stack = [int(i) for i in np.flatnonzero(typed)] + [query]
    while stack:
        i = stack.pop()
        if i in keep:
            continue
        keep.add(i)
        if fa[i] >= 0:
            stack += [int(fa[i]), int(mo[i])]
    return keep


def parent_child_shape(
    pedigree: Pedigree, query: int, typed_any: np.ndarray
) -> ParentChildShape | None:
    """The shape when the relevant persons (``typed_any``: persons typed at some locus,
    the missing person ``query``, and their ancestors) form one parent-child unit, else
    None."""
    fa, mo = pedigree.father, pedigree.mother
    keep = _relevant(pedigree, query, typed_any)
    if len(keep) != 3 or typed_any[query]:
        return None
    if fa[query] >= 0:
        f, m = int(fa[query]), int(mo[query])
        if fa[f] < 0 and fa[m] < 0 and keep == {query, f, m}:
            return ParentChildShape("parents", father=f, mother=m)
        return None
    children = [i for i in keep if i != query and fa[i] >= 0]
    if len(children) != 1 or query not in (fa[children[0]], mo[children[0]]):
        return None
    r = children[0]
    x = int(mo[r]) if fa[r] == query else int(fa[r])
    if fa[x] >= 0 or keep != {query, r, x} or not typed_any[r]:
        return None
    return ParentChildShape("child", child=r, other=x, mp_is_father=bool(fa[r] == query))


@nb.njit(cache=True, nogil=True)
def _t(mats, pm, p, li, x, y, c, mut):  # pragma: no cover - compiled
    """Probability that a parent with alleles (x, y) (x < 0: untyped) transmits allele c."""
    if x < 0:
        return pm[li, c] if mut else p[li, c]
    if mut:
        return 0.5 * (mats[li, x, c] + mats[li, y, c])
    return 0.5 * ((x == c) + (y == c))


@nb.njit(cache=True, nogil=True)
def _log_prior(p, li, x, y):  # pragma: no cover - compiled
    """ln of a founder's Hardy-Weinberg probability (0 when untyped)."""
    if x < 0:
        return 0.0
    v = p[li, x] * p[li, y]
    return np.log(v if x == y else 2.0 * v)


@nb.njit(cache=True, nogil=True)
def _kernel(
    kind, i1, i2, i3, mp_is_father, pad, female, male, pm_f, pm_m, loc, use_mut, g, poi, l1, l2
):  # pragma: no cover - compiled
    for r in range(loc.size):
        lo = loc[r]
        mut = use_mut[r]
        a = poi[r, 0]
        b = poi[r, 1]
        if kind == 0:  # MP's parents: i1 father, i2 mother
            fx, fy = g[i1, r, 0], g[i1, r, 1]
            mx, my = g[i2, r, 0], g[i2, r, 1]
            tfa = _t(male, pm_m, pad, lo, fx, fy, a, mut)
            num = tfa * _t(female, pm_f, pad, lo, mx, my, b, mut)
            if a != b:
                tfb = _t(male, pm_m, pad, lo, fx, fy, b, mut)
                num += tfb * _t(female, pm_f, pad, lo, mx, my, a, mut)
            h = _log_prior(pad, lo, fx, fy) + _log_prior(pad, lo, mx, my)
            l2[r] = h
            l1[r] = h + np.log(num)
            continue
        # MP is a founder parent of the child i1 (typed somewhere); i2 is the other parent
        ox, oy = g[i2, r, 0], g[i2, r, 1]
        lx = _log_prior(pad, lo, ox, oy)
        log_hw = _log_prior(pad, lo, a, b)
        u, w = g[i1, r, 0], g[i1, r, 1]
        if u < 0:  # the child untyped at this locus: MP stands alone
            l1[r] = lx + log_hw
            l2[r] = lx
            continue
        if mp_is_father:
            mq, pq, mo, po = male, pm_m, female, pm_f
        else:
            mq, pq, mo, po = female, pm_f, male, pm_m
        h1 = 0.0
        h2 = 0.0
        for order in range(2 if u != w else 1):
            from_mp, from_other = (u, w) if (order == 0) == mp_is_father else (w, u)
            tx = _t(mo, po, pad, lo, ox, oy, from_other, mut)
            h1 += _t(mq, pq, pad, lo, a, b, from_mp, mut) * tx
            h2 += _t(mq, pq, pad, lo, -1, -1, from_mp, mut) * tx
        l1[r] = lx + log_hw + np.log(h1)
        l2[r] = lx + np.log(h2)


def parent_child_loglik(
    shape: ParentChildShape,
    pad: np.ndarray,
    stacks: tuple[np.ndarray, np.ndarray],
    transmitted: tuple[np.ndarray, np.ndarray],
    loc: np.ndarray,
    use_mut: np.ndarray,
    g: np.ndarray,
    poi: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """``(l1, l2)`` natural logs per row: ``ln P(refs, MP = poi)`` and ``ln P(refs)``.

    pad: (L, n) frequencies; stacks: (female, male) mutation matrices (L, n+1, n+1) with a
    zero last row/column; transmitted: (female, male) ``p M`` (L, n+1); loc: (R,) locus of
    each row; use_mut: (R,) apply the mutation model (else the identity); g: (P, R, 2)
    alleles (-1 untyped); poi: (R, 2) MP's alleles.
    """
    l1 = np.empty(loc.size)
    l2 = np.empty(loc.size)
    if shape.kind == "parents":
        kind, i1, i2 = 0, shape.father, shape.mother
    else:
        kind, i1, i2 = 1, shape.child, shape.other
    with np.errstate(divide="ignore"):
        _kernel(
            kind, i1, i2, -1, shape.mp_is_father, pad, stacks[0], stacks[1],
            transmitted[0], transmitted[1], loc, use_mut, g, poi, l1, l2,
        )  # fmt: skip
    return l1, l2
