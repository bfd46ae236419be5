"""The assignment space of a DVI problem: candidates, independent components, family
configurations, size bounds and vectorised enumeration (used by :mod:`.joint`).

A configuration of family f is a partial injection of its missing persons into candidate
victims; an assignment of a component picks one configuration per family with no victim
used twice. Components (families linked through shared candidate victims) are independent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .pairwise import Config, FamilyLikelihoods
from .problem import DVIProblem

__all__ = ["Component", "Enumeration", "candidates", "components", "configs",
           "enumerate_component", "space_bound", "targets_of"]


@dataclass
class Component:
    families: list[int]
    victims: list[int]


def candidates(pr: DVIProblem, pw: np.ndarray, keep) -> list[dict[str, list[int]]]:
    """Per family: missing person -> candidate victims (pairings kept by ``keep(v, j)``)."""
    out: list[dict[str, list[int]]] = [{m: [] for m in f.missing} for f in pr.families]
    for j, m in enumerate(pr.missing):
        for v in range(len(pr.victims)):
            if pr.considered(v, m) and keep(v, j):
                out[pr.family_of[m]][m].append(v)
    return out


def components(cands: list[dict[str, list[int]]], n_victims: int) -> list[Component]:
    parent = list(range(len(cands) + n_victims))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for f, mp in enumerate(cands):
        for vs in mp.values():
            for v in vs:
                parent[find(len(cands) + v)] = find(f)
    groups: dict[int, Component] = {}
    for f, mp in enumerate(cands):
        if any(mp.values()):
            groups.setdefault(find(f), Component([], [])).families.append(f)
    for v in range(n_victims):
        r = find(len(cands) + v)
        if r in groups:
            groups[r].victims.append(v)
    return list(groups.values())


def configs(mp: dict[str, list[int]]) -> list[Config]:
    """Every partial injection missing person -> victim of one family (empty one first)."""
    out: list[Config] = [()]
    for m, vs in mp.items():
        nxt = []
        for c in out:
            used = {v for _, v in c}
            nxt.append(c)
            nxt += [(*c, (m, v)) for v in vs if v not in used]
        out = nxt
    return [tuple(sorted(c)) for c in out]


@dataclass
class Enumeration:
    comp: Component
    configs: list[list[Config]]
    scores: np.ndarray  # (R,)
    choice: np.ndarray  # (R, n_families) config index per family


def enumerate_component(
    comp: Component, cands, lik: FamilyLikelihoods, pw_excl, cap: int
) -> Enumeration | None:
    """All assignments of one component (None when more than ``cap``): per row the score
    (natural-log LR against all-'*', summed over families) and the configuration of each
    family; ``pw_excl(v, m)``: the pairing is excluded pairwise (its configurations score
    ``-inf`` without a computation)."""
    local = {v: i for i, v in enumerate(comp.victims)}
    words = (len(comp.victims) + 63) // 64
    masks = np.zeros((1, words), dtype=np.uint64)
    scores = np.zeros(1)
    choice = np.zeros((1, 0), dtype=np.int32)
    all_cfg = []
    fams = sorted(comp.families, key=lambda f: len(configs(cands[f])))
    comp.families = fams
    for f in fams:
        cfgs = configs(cands[f])
        all_cfg.append(cfgs)
        lik.prefetch(f, [c for c in cfgs if not any(pw_excl(v, m) for m, v in c)])
        parts_m, parts_s, parts_c = [], [], []
        total = 0
        for ci, c in enumerate(cfgs):
            cm = np.zeros(words, dtype=np.uint64)
            for _, v in c:
                i = local[v]
                cm[i // 64] |= np.uint64(1 << (i % 64))
            ok = ~((masks & cm) != 0).any(axis=1)
            n = int(ok.sum())
            if not n:
                continue
            total += n
            if total > cap:
                return None
            s = -math.inf if any(pw_excl(v, m) for m, v in c) else lik.config_log_lr(f, c)
            parts_m.append(masks[ok] | cm)
            parts_s.append(scores[ok] + s)
            parts_c.append(np.column_stack([choice[ok], np.full(n, ci, dtype=np.int32)]))
        masks, scores, choice = (np.concatenate(parts_m), np.concatenate(parts_s),
                                 np.concatenate(parts_c))
    return Enumeration(comp, all_cfg, scores, choice)


def space_bound(comp: Component, cands: list[dict[str, list[int]]]) -> int:
    """An upper bound on the number of assignments of a component (the least of: product of
    the families' configuration counts; product over victims of 1 + candidates; partial
    injections of the victims into the missing persons)."""
    b1 = math.prod(len(configs(cands[f])) for f in comp.families)
    per_v = dict.fromkeys(comp.victims, 1)
    n_m = 0
    for f in comp.families:
        for vs in cands[f].values():
            n_m += 1
            for v in vs:
                per_v[v] += 1
    b2 = math.prod(per_v.values())
    n_v = len(comp.victims)
    b3 = sum(math.comb(n_v, k) * math.perm(n_m, k) for k in range(min(n_v, n_m) + 1))
    return min(b1, b2, b3)


def targets_of(e: Enumeration, i: int) -> dict[int, str]:
    tg = {}
    for fi in range(len(e.comp.families)):
        for m, v in e.configs[fi][e.choice[i, fi]]:
            tg[v] = m
    return tg
