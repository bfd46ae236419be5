"""Missing-person LR on linked markers (Lander-Green HMM per chromosome).

H1: the POI is the missing person; H2: the POI is unrelated. With x the typed genotypes,

    LR = P(x_refs, x_POI on MP | H1) / ( P(x_refs | pedigree) * prod_j P_HW(x_POI,j) )

where both pedigree likelihoods are products over chromosomes of the HMM likelihood
(:mod:`.hmm`) and markers without a chromosome are independent (each its own chromosome).
Per marker the result holds log10 *chain increments* along its chromosome (map order):
``log10 [P(x_j | x_<j, H1) / P(x_j | x_<j, H2)]``; they sum to the linked log10 LR but are not
per-marker LRs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..likelihood import LikelihoodError, freq_table
from ..lr import KinshipDataError, LRResult, log10_hw
from ..markers import Locus
from ..pedigree import Pedigree
from .hmm import chain_loglik
from .space import InheritanceSpace, prune

__all__ = ["LINKED_NOTE", "MAX_STATE_BITS", "LinkageTooLarge", "linked_missing_person_lr"]

MAX_STATE_BITS = 18
LINKED_NOTE = (
    "markers linked: Lander-Green hidden Markov model over inheritance vectors along each "
    "chromosome, Haldane map function on sex-specific cM maps, no mutation, no linkage "
    "disequilibrium; per-marker values are chain increments along the chromosome (their sum "
    "is the LR), not per-marker LRs"
)
_LN10 = math.log(10.0)


class LinkageTooLarge(LikelihoodError):
    """The inheritance-vector state space exceeds ``2**MAX_STATE_BITS`` states."""


def _groups(
    chromosomes: Sequence[str | None],
    cm_male: np.ndarray,
    cm_female: np.ndarray,
    names: Sequence[str],
) -> list[np.ndarray]:
    """Marker index arrays, one per chromosome in map order (unplaced markers alone)."""
    out: list[np.ndarray] = []
    by: dict[str, list[int]] = {}
    for j, ch in enumerate(chromosomes):
        if ch is None:
            out.append(np.array([j]))
        else:
            by.setdefault(str(ch), []).append(j)
    for ch, idx in by.items():
        order = np.array(sorted(idx, key=lambda j: (cm_male[j], cm_female[j], j)))
        bad = np.flatnonzero(np.diff(cm_female[order]) < 0)
        if bad.size:
            a, b = names[order[bad[0]]], names[order[bad[0] + 1]]
            raise KinshipDataError(
                f"chromosome {ch}: markers {a} and {b} are in opposite orders on the male and "
                "female maps"
            )
        out.append(order)
    return out


def _space(ped: Pedigree, typed: np.ndarray, cache: dict) -> InheritanceSpace:
    keep = tuple(prune(ped, typed))
    sp = cache.get(keep)
    if sp is None:
        bits = _bits(ped, keep)
        if bits > MAX_STATE_BITS:
            raise LinkageTooLarge(
                f"linked markers: the pedigree needs 2^{bits} inheritance vectors (limit "
                f"2^{MAX_STATE_BITS}); remove untyped connecting relatives or thin the markers"
            )
        sp = cache[keep] = InheritanceSpace(ped, keep)
    return sp


def _bits(ped: Pedigree, keep: Sequence[int]) -> int:
    """Bits of the reduced state space before building it (see :mod:`.space`)."""
    kept = set(keep)
    n_children: dict[int, int] = {}
    for c in keep:
        if ped.father[c] >= 0:
            for p in (int(ped.father[c]), int(ped.mother[c])):
                n_children[p] = n_children.get(p, 0) + 1
    return sum(k - 1 if ped.father[p] < 0 else k for p, k in n_children.items() if p in kept)


def _loglik(
    ped: Pedigree,
    g: np.ndarray,
    idx: np.ndarray,
    pad: np.ndarray,
    cm_m: np.ndarray,
    cm_f: np.ndarray,
    cache: dict,
) -> tuple[np.ndarray, int]:
    sub = g[:, idx]
    sp = _space(ped, (sub[..., 0] >= 0).any(axis=1), cache)
    geno = sub[sp.persons].transpose(1, 0, 2)
    return chain_loglik(sp, geno, pad[idx], cm_m[idx], cm_f[idx]), sp.n_states


def linked_missing_person_lr(
    pedigree: Pedigree,
    missing: str,
    loci: Sequence[Locus],
    references: np.ndarray,
    poi: np.ndarray,
    chromosomes: Sequence[str | None],
    cm_male: Sequence[float],
    cm_female: Sequence[float],
    notes: Sequence[str] = (),
) -> LRResult:
    """Missing-person LR with linked markers (log10 chain increments per marker; module
    docstring). references: int ``(n_persons, n_loci, 2)`` (``-1`` untyped; the missing
    person untyped); poi: int ``(n_loci, 2)``; chromosomes: per marker (None: unlinked);
    cm_male / cm_female: per marker positions in cM (ignored where the chromosome is None).
    Raises :class:`KinshipDataError` when the references alone are impossible, and
    :class:`LinkageTooLarge` beyond ``2**MAX_STATE_BITS`` states. No mutation models."""
    if any(loc.has_mutation for loc in loci):
        raise KinshipDataError("linked markers: mutation models are not supported")
    ref = np.asarray(references)
    q = pedigree.index(missing)
    if (ref[q] >= 0).any():
        raise KinshipDataError(f"the missing person {missing!r} must be untyped in the family data")
    poi = np.asarray(poi)
    cm_m = np.asarray(cm_male, dtype=np.float64)
    cm_f = np.asarray(cm_female, dtype=np.float64)
    names = [loc.name for loc in loci]
    pad = freq_table(tuple(loci)).pad
    g1 = ref.copy()
    g1[q] = poi
    hw = log10_hw(loci, poi)
    out = np.zeros(len(loci))
    inconsistent: list[str] = []
    cache1: dict = {}
    cache2: dict = {}
    n_states = 1
    linked = 0
    for idx in _groups(chromosomes, cm_m, cm_f, names):
        l1, s1 = _loglik(pedigree, g1, idx, pad, cm_m, cm_f, cache1)
        l2, s2 = _loglik(pedigree, ref, idx, pad, cm_m, cm_f, cache2)
        n_states = max(n_states, s1, s2)
        linked += len(idx) if len(idx) > 1 else 0
        if np.isneginf(l2).any():
            bad = names[idx[np.flatnonzero(np.isneginf(l2))[0]]]
            raise KinshipDataError(
                f"the reference genotypes are impossible on this pedigree at locus {bad} "
                "(Mendelian inconsistency among the references; the LR is undefined)"
            )
        with np.errstate(invalid="ignore"):
            inc = (l1 - l2) / _LN10 - hw[idx]
        stop = np.flatnonzero(np.isneginf(l1))
        if stop.size:
            inconsistent.append(names[idx[stop[0]]])
            inc[stop[0] + 1 :] = 0.0
            inc[stop[0]] = -np.inf
        out[idx] = inc
    n_chrom = len({c for c in chromosomes if c is not None})
    return LRResult(
        tuple(names),
        out,
        tuple(inconsistent),
        (f"H1: the POI is {missing!r} of the pedigree", "H2: the POI is unrelated to the pedigree"),
        (
            LINKED_NOTE,
            f"{linked} marker(s) linked on {n_chrom} chromosome(s); largest state space "
            f"{n_states} inheritance vector(s) after reduction",
            *notes,
        ),
    )
