"""dnacase.kinship: exact pedigree likelihoods and likelihood ratios (pure numpy).

This package imports nothing from the rest of dnacase (nor web, database or VCF libraries).

Conventions: genotypes are int arrays of allele indices into ``Locus.alleles`` with ``-1``
for untyped; LRs are log10 per locus, summed over loci (markers treated as unlinked, except
markers with a chromosome and genetic positions: :mod:`.linkage`, Lander-Green HMM);
``-inf`` means LR = 0.

Main entry points::

    from dnacase.kinship import Pedigree, PedigreeBuilder, Locus, MutationModel
    from dnacase.kinship import missing_person_lr, hypothesis_lr, pairwise_lr
    from dnacase.kinship import SearchPanel, Family, build_family_tables, screen
    from dnacase.kinship import load_cases, result_json
    from dnacase.kinship import lineage, combine_pair, mtdna_evidence, ystr_evidence
"""

from . import lineage
from .case_io import Case, CaseError, error_json, load_cases, parse_case, result_json
from .combined import PairReport, combine_pair, mtdna_evidence, ystr_evidence
from .likelihood import MAX_CLIQUE, LikelihoodError, TooComplexError, log10_likelihood
from .lr import (
    ENGINE_VERSION,
    KinshipDataError,
    LRResult,
    hypothesis_lr,
    log10_hw,
    missing_person_lr,
)
from .markers import (
    Locus,
    MarkerError,
    add_missing_alleles,
    encode_genotype,
    encode_profiles,
    genotype_code,
    genotype_pairs,
)
from .mutation import (
    CustomMutation,
    MutationModel,
    MutationModelError,
    SexSpecificMutation,
    mutation_matrix,
)
from .pedigree import (
    RELATIONSHIPS,
    Pedigree,
    PedigreeBuilder,
    PedigreeError,
    relationship_pedigree,
    unrelated,
)
from .search import Family, ScreenResult, SearchPanel, build_family_tables, score_matrix, screen
from .simulate import random_profiles, simulate_genotypes

__all__ = [
    "ENGINE_VERSION",
    "MAX_CLIQUE",
    "RELATIONSHIPS",
    "Case",
    "CaseError",
    "CustomMutation",
    "Family",
    "KinshipDataError",
    "LRResult",
    "LikelihoodError",
    "Locus",
    "MarkerError",
    "MutationModel",
    "MutationModelError",
    "PairReport",
    "Pedigree",
    "PedigreeBuilder",
    "PedigreeError",
    "ScreenResult",
    "SearchPanel",
    "SexSpecificMutation",
    "TooComplexError",
    "add_missing_alleles",
    "build_family_tables",
    "combine_pair",
    "encode_genotype",
    "encode_profiles",
    "error_json",
    "genotype_code",
    "genotype_pairs",
    "hypothesis_lr",
    "lineage",
    "load_cases",
    "log10_hw",
    "log10_likelihood",
    "missing_person_lr",
    "mtdna_evidence",
    "mutation_matrix",
    "parse_case",
    "random_profiles",
    "relationship_pedigree",
    "result_json",
    "score_matrix",
    "screen",
    "simulate_genotypes",
    "unrelated",
    "ystr_evidence",
]
