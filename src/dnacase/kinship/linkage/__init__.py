"""Linked markers: exact pedigree likelihoods along chromosomes (Lander-Green HMM).

:mod:`.space` (inheritance vectors, reductions), :mod:`.emission` (founder-allele graph),
:mod:`.hmm` (forward algorithm).
"""

from .hmm import chain_loglik
from .space import InheritanceSpace, haldane, prune

__all__ = ["InheritanceSpace", "chain_loglik", "haldane", "prune"]
