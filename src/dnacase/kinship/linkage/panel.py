"""SNP panels with genetic positions: the shipped FORCE panel and the deCODE 2019 map.

Shipped data (``dnacase/data/snp/``, sources in its README and the files' header comments):

* ``force_autosomal_snps.csv``: the 3,930 autosomal FORCE kinship SNPs, columns
  ``CHROM, MARKER, MB, A1, A2, FREQ1`` (GRCh38 position in megabases; FREQ1 the frequency of A1,
  world-wide 1000 Genomes);
* ``recombination_map_decode2019.csv``: the deCODE 2019 sex-specific map, columns
  ``chrom, mb, male_cm, female_cm``, thinned to breakpoints between which both maps are linear.

Genetic positions are interpolated linearly in Mb between the map's breakpoints (``np.interp``;
a position outside a chromosome's breakpoints takes the nearest end's cM). One loader:
:func:`load_panel` (the FORCE panel, or another panel's CSV in the same columns).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from ..markers import Locus

__all__ = ["GeneticMap", "PanelSnp", "SnpPanel", "load_genetic_map", "load_panel"]


def _data_text(name: str) -> str:
    return (resources.files("dnacase") / "data" / "snp" / name).read_text(encoding="utf-8")


def _rows(text: str) -> list[dict[str, str]]:
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    return list(csv.DictReader(io.StringIO("\n".join(lines))))


@dataclass(frozen=True)
class GeneticMap:
    """Per chromosome (``"1"`` .. ``"22"``, ``"X"``): breakpoints ``mb`` and the male / female
    cM at them (float64 arrays; X has no male map: NaN)."""

    chromosomes: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]

    def cm(self, chromosome: str, mb: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
        """``(cm_male, cm_female)`` at GRCh38 positions ``mb`` (megabases) on ``chromosome``,
        linear interpolation between breakpoints. ``KeyError`` for an unknown chromosome."""
        x, male, female = self.chromosomes[_chrom(chromosome)]
        pos = np.asarray(mb, dtype=np.float64)
        return np.interp(pos, x, male), np.interp(pos, x, female)


def _chrom(c: object) -> str:
    s = str(c).strip()
    return s[3:] if s.lower().startswith("chr") else s


@lru_cache(maxsize=1)
def load_genetic_map() -> GeneticMap:
    """The shipped deCODE 2019 sex-specific map (GRCh38), cached."""
    by: dict[str, list[tuple[float, float, float]]] = {}
    for r in _rows(_data_text("recombination_map_decode2019.csv")):
        male = float(r["male_cm"]) if r["male_cm"] else np.nan
        by.setdefault(_chrom(r["chrom"]), []).append((float(r["mb"]), male, float(r["female_cm"])))
    out = {}
    for c, pts in by.items():
        a = np.array(sorted(pts))
        out[c] = (a[:, 0], a[:, 1], a[:, 2])
    return GeneticMap(out)


@dataclass(frozen=True)
class PanelSnp:
    """One SNP: ``alleles`` (A1, A2) with ``freqs`` (p1, 1 - p1); position in Mb (GRCh38);
    genetic positions in cM on the male and female maps."""

    name: str
    chromosome: str
    position_mb: float
    alleles: tuple[str, str]
    freqs: tuple[float, float]
    cm_male: float
    cm_female: float

    def locus(self) -> Locus:
        """The SNP as a two-allele :class:`~dnacase.kinship.markers.Locus` (no mutation)."""
        return Locus(self.name, self.alleles, np.array(self.freqs), None)

    def marker_json(self) -> dict[str, object]:
        """The marker object of a case file (``chromosome``, ``cm_male``, ``cm_female``)."""
        return {
            "name": self.name,
            "frequencies": dict(zip(self.alleles, self.freqs, strict=True)),
            "mutation": None,
            "chromosome": self.chromosome,
            "cm_male": self.cm_male,
            "cm_female": self.cm_female,
        }


@dataclass(frozen=True)
class SnpPanel:
    """SNPs in file order."""

    name: str
    snps: tuple[PanelSnp, ...]

    def __len__(self) -> int:
        return len(self.snps)


def load_panel(source: str | Path | None = None, name: str | None = None) -> SnpPanel:
    """A SNP panel with genetic positions from :func:`load_genetic_map`.

    source None: the shipped FORCE autosomal panel; otherwise a CSV path with the columns
    ``CHROM, MARKER, MB, A1, A2, FREQ1`` (``#`` comment lines allowed). ``ValueError`` naming
    the line for a bad row (frequency outside (0, 1), unknown chromosome, duplicate marker)."""
    if source is None:
        text, label = _data_text("force_autosomal_snps.csv"), name or "FORCE autosomal"
    else:
        text, label = Path(source).read_text(encoding="utf-8"), name or Path(source).stem
    gmap = load_genetic_map()
    snps, seen = [], set()
    for k, r in enumerate(_rows(text), start=1):
        try:
            p = float(r["FREQ1"])
            chrom, mb = _chrom(r["CHROM"]), float(r["MB"])
            cm_m, cm_f = gmap.cm(chrom, mb)
            nm = r["MARKER"].strip()
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            raise ValueError(f"{label}: data row {k}: {exc!r}") from exc
        if not 0 < p < 1 or nm in seen:
            raise ValueError(
                f"{label}: data row {k} ({nm}): frequency must be in (0, 1) and "
                "each marker listed once"
            )
        seen.add(nm)
        snps.append(
            PanelSnp(
                nm,
                chrom,
                mb,
                (r["A1"].strip(), r["A2"].strip()),
                (p, 1.0 - p),
                float(cm_m),
                float(cm_f),
            )
        )
    return SnpPanel(label, tuple(snps))
