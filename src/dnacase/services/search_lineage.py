"""Lineage LRs of a search: the mtDNA and Y-STR parts of the combined LR of each pair.

The LR behind a posterior is the combined LR of all typed evidence (log10, sums of parts):

    log10 LR = log10 LR_autosomal + log10 LR_mtDNA + log10 LR_Y

assuming the three kinds of marker independent given each hypothesis
(:data:`dnacase.kinship.combined.ASSUMPTIONS`). A lineage part is computed, per marker, for
the pairs the lineage filter found *comparable and not excluded* (the remains and an in-line
reference of the family carry that haplotype; :func:`~dnacase.services.search.build_lineage_filter`)
with :func:`dnacase.kinship.combined.mtdna_evidence` / ``ystr_evidence``: numerator
``P(remains haplotype | closest in-line reference, n meioses)``, denominator the upper bound
of the remains haplotype's frequency in the newest imported population database of the
marker (:func:`~dnacase.services.haplotype_databases.population_database`), counted once per
distinct remains haplotype (and range or loci compared), not once per pair.

Without a database for a marker the part cannot be computed: the pair's LR is then without it
(the autosomal LR alone when neither marker has a database), and the run records why in
``run.notes["lineage_lr"]``. A marker that excludes while the other marker of the pair does not
(the filter keeps such pairs so that the autosomal data are compared, e.g. for a mutation or a
sample mix-up) enters no part: the pair records ``"<marker>": "excluded"`` for the reviewer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dnacase.kinship.combined import FrequencyCache, mtdna_evidence, ystr_evidence
from dnacase.kinship.lineage import LineageClass
from dnacase.services.search_inputs import LineageInput, SearchInputs

#: The two lineage markers: (name in the pair's record, LineageInput attribute, database marker).
MARKERS: tuple[tuple[str, str, str], ...] = (("mtDNA", "mt", "mtDNA"), ("Y-STR", "y", "Y_STR"))


@dataclass(slots=True)
class PairLineageLRs:
    """Lineage parts of a run's pairs. ``keys``: sorted ``r * F + f`` (remains index ``r``,
    family index ``f``, ``F`` families); ``offset``: the log10 LR added to the autosomal
    log10 LR of each key's pair (sum of its computed parts); ``parts``: per key, the record
    stored with the pair (``{"mtDNA": log10 LR | "excluded", "Y-STR": ...}``)."""

    n_families: int
    keys: np.ndarray
    offset: np.ndarray
    parts: list[dict[str, Any]] = field(default_factory=list)

    def lookup(self, r: np.ndarray, f: np.ndarray) -> np.ndarray:
        """Offsets (log10) of the pairs (remains indices ``r``, family indices ``f``); 0 for
        pairs without a lineage part."""
        key = np.asarray(r, np.int64) * self.n_families + np.asarray(f, np.int64)
        out = np.zeros(key.shape)
        if self.keys.size == 0 or key.size == 0:
            return out
        pos = np.minimum(np.searchsorted(self.keys, key), self.keys.size - 1)
        hit = self.keys[pos] == key
        out[hit] = self.offset[pos[hit]]
        return out

    def record(self, r: int, f: int) -> dict[str, Any] | None:
        """The stored record of pair ``(r, f)`` (None: no lineage part)."""
        key = r * self.n_families + f
        pos = int(np.searchsorted(self.keys, key))
        if pos < self.keys.size and int(self.keys[pos]) == key:
            return self.parts[pos]
        return None


def pair_lineage_lrs(
    inputs: SearchInputs,
    remains_lineage: dict[int, LineageInput],
    relative_lineage: dict[int, LineageInput],
    kept: np.ndarray,
    databases: dict[str, Any],
) -> PairLineageLRs:
    """Lineage parts of the comparable, not excluded pairs ``kept`` (``r * F + f``, from the
    lineage filter) with the population ``databases`` (``{"mtDNA": db | None, "Y_STR": ...}``).
    CPU only (a worker thread); see the module doc."""
    nf = len(inputs.families)
    cache: FrequencyCache = {}
    keys: list[int] = []
    offs: list[float] = []
    parts: list[dict[str, Any]] = []
    kept = np.unique(np.asarray(kept, np.int64))
    by_family: dict[int, list[int]] = {}
    for k in kept.tolist():
        by_family.setdefault(k % nf, []).append(k // nf)
    for f, rems in sorted(by_family.items()):
        fam = inputs.families[f]
        ped = fam.pedigree.to_kinship()
        lin = {node: relative_lineage[rid] for node, rid in fam.relative_ids.items()
               if rid in relative_lineage}
        for r in rems:
            rem = remains_lineage.get(inputs.remains[r].remains_id)
            if rem is None:
                continue
            rec: dict[str, Any] = {}
            for name, attr, db_marker in MARKERS:
                mine = getattr(rem, attr)
                refs = {n: getattr(x, attr) for n, x in lin.items() if getattr(x, attr) is not None}
                db = databases.get(db_marker)
                if mine is None or not refs or db is None:
                    continue
                fn = mtdna_evidence if attr == "mt" else ystr_evidence
                ev = fn(ped, fam.missing_node, mine, refs, db, frequencies=cache)
                if ev.reference is None or ev.log10_lr is None:
                    continue  # no reference in the line: not comparable for this marker
                if ev.classification is LineageClass.EXCLUDED or ev.log10_lr == -math.inf:
                    rec[name] = "excluded"
                else:
                    rec[name] = float(ev.log10_lr)
            if rec:
                keys.append(r * nf + f)
                offs.append(math.fsum(v for v in rec.values() if isinstance(v, float)))
                parts.append(rec)
    order = np.argsort(np.asarray(keys, np.int64), kind="stable")
    return PairLineageLRs(nf, np.asarray(keys, np.int64)[order],
                          np.asarray(offs, float)[order], [parts[i] for i in order.tolist()])


def describe_databases(databases: dict[str, Any]) -> dict[str, str | None]:
    """``run.notes["lineage_lr"]["databases"]``: the population database used per marker
    (None: none imported, the part cannot be computed)."""
    return {name: (getattr(databases.get(db_marker), "name", None))
            for name, _attr, db_marker in MARKERS}


async def databases(session: Any) -> dict[str, Any]:
    """The newest imported population database per marker (``{"mtDNA": db | None,
    "Y_STR": db | None}``)."""
    from dnacase.services.haplotype_databases import population_database

    return {m: await population_database(session, m) for _n, _a, m in MARKERS}


def run_note(lineage_filter: bool, dbs: dict[str, Any], lrs: PairLineageLRs | None
             ) -> dict[str, Any]:
    """``run.notes["lineage_lr"]``: which evidence the run's LRs rest on. ``evidence``: the
    parts a pair's LR may hold; ``databases``: the database per lineage marker (None: not
    imported, so that part was not computed); ``pairs``: pairs with a lineage part."""
    named = describe_databases(dbs)
    evidence = ["autosomal"] + [m for m, db in named.items() if db and lineage_filter]
    return {"evidence": evidence, "databases": named if lineage_filter else {},
            "lineage_filter": lineage_filter,
            "pairs": int(lrs.keys.size) if lrs is not None else 0}
