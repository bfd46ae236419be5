"""Lineage markers (mtDNA, Y-STR): haplotypes, comparison rules, frequencies, who counts.

Pure library (numpy only). Modules:

* :mod:`.mtdna`: haplotypes as differences from the rCRS over a range; comparison (as
  sequences) and the cannot exclude / inconclusive / excluded classification.
* :mod:`.mtnotation`: the variant spellings labs use (``249delA``, ``309+CC``, ...).
* :mod:`.mtalign`: the shipped rCRS, haplotype sequences and the canonical EMPOP/ISFG
  alignment (indels 3' in homopolymers and repeats, the C-stretches, 523-524).
* :mod:`.ystr`: Y-STR haplotypes; comparison weighed with per-locus mutation rates and the
  number of meioses between the two men.
* :mod:`.frequency`: counted haplotype frequencies with a Clopper-Pearson upper bound (a
  setting, :class:`UpperBound`).
* :mod:`.pedigree_lines`: maternal and paternal lines of a pedigree; which references count.
* :mod:`.search`: lineage markers as an exact, fast filter over many pairs.

The combined report (autosomal x mtDNA x Y) is :mod:`dnacase.kinship.combined`.
"""

from ._common import LineageClass, LineageDataError
from .frequency import (
    DEFAULT_UPPER_BOUND,
    HaplotypeFrequency,
    PopulationDatabase,
    UpperBound,
    clopper_pearson_interval,
    clopper_pearson_upper,
    haplotype_frequency,
    mtdna_frequency,
    ystr_frequency,
)
from .mtdna import (
    MtCompareOptions,
    MtComparison,
    MtHaplotype,
    MtRange,
    MtVariant,
    compare_mtdna,
    parse_variant,
)
from .pedigree_lines import (
    LineReferences,
    maternal_line,
    maternal_meioses,
    mtdna_references,
    paternal_line,
    paternal_meioses,
    ystr_references,
)
from .search import MtPairs, mtdna_candidate_pairs, mtdna_candidate_pairs_bruteforce
from .ystr import (
    YCompareOptions,
    YComparison,
    YHaplotype,
    compare_ystr,
    yhrd_mutation_rates,
)

__all__ = [
    "DEFAULT_UPPER_BOUND",
    "HaplotypeFrequency",
    "LineReferences",
    "LineageClass",
    "LineageDataError",
    "MtCompareOptions",
    "MtComparison",
    "MtHaplotype",
    "MtPairs",
    "MtRange",
    "MtVariant",
    "PopulationDatabase",
    "UpperBound",
    "YCompareOptions",
    "YComparison",
    "YHaplotype",
    "clopper_pearson_interval",
    "clopper_pearson_upper",
    "compare_mtdna",
    "compare_ystr",
    "haplotype_frequency",
    "maternal_line",
    "maternal_meioses",
    "mtdna_candidate_pairs",
    "mtdna_candidate_pairs_bruteforce",
    "mtdna_frequency",
    "mtdna_references",
    "parse_variant",
    "paternal_line",
    "paternal_meioses",
    "yhrd_mutation_rates",
    "ystr_frequency",
    "ystr_references",
]
