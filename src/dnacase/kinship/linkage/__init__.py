"""Linked markers: exact pedigree likelihoods along chromosomes (Lander-Green HMM).

:mod:`.space` (inheritance vectors, reductions), :mod:`.emission` (founder-allele graph),
:mod:`.hmm` (forward algorithm), :mod:`.lr` (missing-person LR), :mod:`.positions` (case-file
marker positions), :mod:`.panel` (the shipped FORCE panel and deCODE 2019 map).
"""

from .hmm import chain_loglik
from .lr import LINKED_NOTE, MAX_STATE_BITS, LinkageTooLarge, linked_missing_person_lr
from .panel import GeneticMap, PanelSnp, SnpPanel, load_genetic_map, load_panel
from .space import InheritanceSpace, haldane, prune

__all__ = [
    "LINKED_NOTE",
    "MAX_STATE_BITS",
    "GeneticMap",
    "InheritanceSpace",
    "LinkageTooLarge",
    "PanelSnp",
    "SnpPanel",
    "chain_loglik",
    "haldane",
    "linked_missing_person_lr",
    "load_genetic_map",
    "load_panel",
    "prune",
]
