"""Marker positions in a case file: ``chromosome`` with ``cm_male`` and ``cm_female`` (cM), or
``chromosome`` with ``position_mb`` (GRCh38 megabases, converted with the shipped deCODE 2019
map, :func:`.panel.load_genetic_map`).

Markers with positions on one chromosome are linked; markers on different chromosomes, or
without a chromosome, are independent. What is not implemented with linkage is refused rather
than ignored: a position without a chromosome (or the reverse), only one of the two cM
positions, a mutation model, a silent allele, allele dropout.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["MarkerPositions", "marker_positions"]

MarkerPositions = tuple[list[str | None], np.ndarray, np.ndarray]
_FIELDS = ("chromosome", "cm_male", "cm_female", "position_mb")


def marker_positions(
    markers: Sequence[Mapping[str, Any]], has_dropout: bool
) -> MarkerPositions | None:
    """``(chromosomes, cm_male, cm_female)`` per marker (None / NaN where unplaced), or None
    when no marker has a position field. ``ValueError`` naming the locus otherwise."""
    if not any(f in m for m in markers for f in _FIELDS):
        return None
    chrom: list[str | None] = []
    cm_m = np.full(len(markers), np.nan)
    cm_f = np.full(len(markers), np.nan)
    for j, m in enumerate(markers):
        name = m["name"]
        given = [f for f in _FIELDS if f in m]
        if not given:
            chrom.append(None)
            continue
        if "chromosome" not in m:
            raise ValueError(f"locus {name}: {given[0]!r} given without 'chromosome'")
        has_cm = ("cm_male" in m, "cm_female" in m)
        if "position_mb" in m and any(has_cm):
            raise ValueError(
                f"locus {name}: give either 'position_mb' or 'cm_male' and 'cm_female', not both"
            )
        if "position_mb" not in m and not all(has_cm):
            raise ValueError(
                f"locus {name}: a linked marker needs both 'cm_male' and "
                "'cm_female' (or 'position_mb')"
            )
        if m.get("mutation") is not None or "null_allele" in m:
            raise ValueError(
                f"locus {name}: linked markers with a mutation model or a silent "
                "allele are not supported"
            )
        c = str(m["chromosome"])
        if "position_mb" in m:
            from .panel import load_genetic_map

            try:
                cm_m[j], cm_f[j] = load_genetic_map().cm(c, float(m["position_mb"]))
            except KeyError:
                raise ValueError(
                    f"locus {name}: chromosome {c!r} is not in the genetic map"
                ) from None
            if np.isnan(cm_m[j]):
                raise ValueError(f"locus {name}: chromosome {c!r} has no male map")
        else:
            cm_m[j], cm_f[j] = float(m["cm_male"]), float(m["cm_female"])
        chrom.append(c)
    if has_dropout:
        raise ValueError("allele dropout is not supported with linked markers")
    return chrom, cm_m, cm_f
