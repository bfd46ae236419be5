"""Gene dropping along chromosomes: genotypes of a pedigree on linked markers.

Founders' haplotypes are drawn independently per marker from the frequencies (Hardy-Weinberg,
no linkage disequilibrium). In each meiosis the transmitted grand-parental origin starts at a
fair coin and switches between neighbouring markers with Haldane's r on the map of the
transmitting parent's sex (crossovers as a Poisson process, no interference). Markers with
chromosome None are unlinked (a fresh coin per marker).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..pedigree import MALE, Pedigree
from .space import haldane

__all__ = ["simulate_linked"]


def simulate_linked(
    ped: Pedigree,
    freqs: np.ndarray,
    chromosomes: Sequence[str | None],
    cm_male: np.ndarray,
    cm_female: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Ordered genotypes int32 ``(len(ped), M, 2)`` (paternal, maternal allele indices) of
    every person. freqs: ``(M, max_alleles)`` padded; cm_male / cm_female ``(M,)`` in cM."""
    m = freqs.shape[0]
    cdf = np.cumsum(freqs, axis=1)
    cdf[:, -1] = 1.0
    out = np.zeros((len(ped), m, 2), dtype=np.int32)
    groups: dict[object, list[int]] = {}
    for j, c in enumerate(chromosomes):
        groups.setdefault(("u", j) if c is None else c, []).append(j)
    orders = [
        np.array(sorted(ix, key=lambda j: (cm_male[j], cm_female[j]))) for ix in groups.values()
    ]
    for i in ped.topological_order():
        f, mo = int(ped.father[i]), int(ped.mother[i])
        if f < 0:
            for s in (0, 1):
                u = rng.random(m)
                out[i, :, s] = (u[:, None] > cdf).sum(axis=1)
            continue
        for s, par in ((0, f), (1, mo)):
            cm = cm_male if ped.sex[par] == MALE else cm_female
            for idx in orders:
                r = haldane(np.diff(cm[idx]))
                flips = np.concatenate([[rng.random() < 0.5], rng.random(len(idx) - 1) < r])
                origin = np.cumsum(flips) % 2
                out[i, idx, s] = out[par, idx, origin]
    return out
