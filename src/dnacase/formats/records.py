"""Typed records produced by the parsers.

* :class:`STRProfile`: autosomal and Y-STR profiles (GeneMapper, wide tables, CMF, Familias,
  YHRD-style tables, JSON). One :class:`LocusCall` per reported locus, keyed by canonical name.
* :class:`MtHaplotype`: mtDNA differences from rCRS plus the sequenced range (EMPOP, HaploGrep).
* :class:`SNPProfile`: one sample of a SNP-panel VCF, genotypes as ``int8`` with ``-1`` missing.

A locus that is absent from ``STRProfile.loci`` was not reported; a locus present with no
allele (``LocusCall.typed`` false) was attempted with no result. Both are missing data for the
kinship engine; neither is a null allele.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from .alleles import Sex
from .reference import MULTI_COPY_Y, MarkerType

SampleType = Literal["sample", "positive_control", "negative_control", "ladder"]


@dataclass(frozen=True, slots=True)
class Peak:
    """One called peak as exported by CE software (size in bp, height in RFU, area)."""

    allele: str
    size_bp: float | None = None
    height_rfu: float | None = None
    area: float | None = None


@dataclass(frozen=True, slots=True)
class LocusCall:
    """Calls at one locus of one sample.

    * ``alleles``: designated alleles as strings, ``"OL"`` excluded. For autosomal, sex and
      single-copy Y markers: distinct alleles in reported order. For multi-copy Y markers
      (DYS385, DYF387S1): the copies sorted ascending *with multiplicity* (``("13", "13")``).
    * ``off_ladder``: one entry per OL peak, the peak size in bp as text (``""`` if unknown).
    * ``single_peak``: exactly one distinct allele reported and the file did not write it
      twice: a homozygote *or* a dropout (degraded remains). The kinship model must treat
      it as "allele ``a`` plus possibly one unseen allele", not as ``a/a``.
    * ``null_allele``: Y-STR reported as null (``0``/``null``): typed, no product.
    * ``duplication``: more than one value at a single-copy Y marker.
    """

    locus: str
    marker_type: MarkerType
    alleles: tuple[str, ...] = ()
    off_ladder: tuple[str, ...] = ()
    single_peak: bool = False
    null_allele: bool = False
    duplication: bool = False
    raw_name: str = ""
    peaks: tuple[Peak, ...] = ()

    @property
    def typed(self) -> bool:
        """True when the locus has a result (an allele or a Y null allele)."""
        return bool(self.alleles) or self.null_allele

    @property
    def is_mixture(self) -> bool:
        """More than two distinct alleles at an autosomal locus."""
        return self.marker_type == "autosomal_STR" and len(set(self.alleles)) > 2

    @property
    def multi_copy(self) -> bool:
        return self.locus in MULTI_COPY_Y


@dataclass(frozen=True, slots=True)
class STRProfile:
    """One sample's STR profile from one file.

    ``sample`` is the sample name as written (trimmed), which labs set to the kit barcode;
    ``line`` is the first line of the sample in the file. ``kit`` is the canonical kit name
    when it could be resolved. ``sex`` comes from Amelogenin (``None`` if not typed).
    ``attributes`` holds format-specific text fields (sample file, panel, specimen category,
    case id, comments, ...).
    """

    sample: str
    loci: Mapping[str, LocusCall]
    kit: str | None = None
    sex: Sex | None = None
    sample_type: SampleType = "sample"
    file: str = ""
    line: int | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)

    @property
    def typed_loci(self) -> tuple[str, ...]:
        return tuple(k for k, c in self.loci.items() if c.typed)

    @property
    def autosomal_typed(self) -> tuple[str, ...]:
        return tuple(k for k, c in self.loci.items()
                     if c.typed and c.marker_type == "autosomal_STR")

    @property
    def n_autosomal_typed(self) -> int:
        """Number of typed autosomal loci (the "partial profile" count)."""
        return len(self.autosomal_typed)

    @property
    def mixture(self) -> bool:
        """Any autosomal locus with more than two alleles."""
        return any(c.is_mixture for c in self.loci.values())

    @property
    def mixture_loci(self) -> tuple[str, ...]:
        return tuple(k for k, c in self.loci.items() if c.is_mixture)

    @property
    def single_peak_loci(self) -> tuple[str, ...]:
        return tuple(k for k, c in self.loci.items() if c.single_peak)

    @property
    def off_ladder_loci(self) -> tuple[str, ...]:
        return tuple(k for k, c in self.loci.items() if c.off_ladder)

    def genotype(self, locus: str) -> tuple[str, ...]:
        """Alleles at ``locus`` (empty when not reported or no result)."""
        call = self.loci.get(locus)
        return call.alleles if call else ()


@dataclass(frozen=True, slots=True)
class MtHaplotype:
    """mtDNA haplotype: differences from rCRS (NC_012920) in EMPOP notation, plus the range.

    ``variants`` are normalised (``16223T``, ``315.1C``, ``249DEL``, ``16093Y``), sorted by
    position. ``ranges`` are inclusive 1-based intervals on rCRS; a range that crosses the
    origin (``16024-576``) is split into ``(16024, 16569)`` and ``(1, 576)``. A position
    outside every range is *unknown*, not "same as rCRS".
    """

    sample: str
    variants: tuple[str, ...]
    ranges: tuple[tuple[int, int], ...]
    haplogroup: str | None = None
    file: str = ""
    line: int | None = None
    count: int = 1  # individuals with this haplotype (EMPOP population files); 1 for a sample

    @property
    def heteroplasmies(self) -> tuple[str, ...]:
        """Point heteroplasmies (IUPAC ambiguity codes such as ``16093Y``)."""
        return tuple(v for v in self.variants if v[-1] in "RYMKSWBDHVN" and not
                     v.endswith("DEL"))

    def covers(self, position: int) -> bool:
        return any(a <= position <= b for a, b in self.ranges)

    @property
    def range_text(self) -> str:
        return ";".join(f"{a}-{b}" for a, b in self.ranges)


@dataclass(frozen=True, slots=True)
class SNPVariants:
    """Variant columns shared by all samples of one VCF (length ``n_variants`` each).

    ``chrom`` is normalised without a ``chr`` prefix (``"1"``, ``"X"``, ``"MT"``);
    ``alt`` has shape ``(n_variants, alt_number)`` with ``""`` padding.
    """

    chrom: np.ndarray
    pos: np.ndarray
    id: np.ndarray
    ref: np.ndarray
    alt: np.ndarray
    filter_pass: np.ndarray

    def __len__(self) -> int:
        return int(self.pos.shape[0])

    def keys(self) -> list[str]:
        """Join keys ``chrom:pos:ref:alt`` (join on these, never on rsID alone)."""
        return [f"{c}:{p}:{r}:{','.join(a for a in alts if a)}"
                for c, p, r, alts in zip(self.chrom, self.pos, self.ref, self.alt, strict=True)]


@dataclass(frozen=True, slots=True, eq=False)
class SNPProfile:
    """One sample of a SNP-panel VCF.

    ``genotypes``: ``int8`` array ``(n_variants, 2)``, allele indices into REF/ALT, ``-1``
    missing; a haploid call (chrX/Y/MT in males) is ``[a, -1]`` with ``haploid`` true.
    ``dp`` / ``gq``: ``int32`` ``(n_variants,)`` read depth and genotype quality, ``-1`` when
    absent; ``None`` when the VCF has no such FORMAT field.
    """

    sample: str
    variants: SNPVariants
    genotypes: np.ndarray
    haploid: np.ndarray
    dp: np.ndarray | None = None
    gq: np.ndarray | None = None
    file: str = ""
    column: int | None = None

    @property
    def missing(self) -> np.ndarray:
        """Boolean ``(n_variants,)``: no call at all."""
        return self.genotypes[:, 0] < 0

    @property
    def n_missing(self) -> int:
        return int(self.missing.sum())

    @property
    def n_called(self) -> int:
        return int((~self.missing).sum())

    @property
    def call_rate(self) -> float:
        n = self.genotypes.shape[0]
        return float(self.n_called / n) if n else 0.0
