"""The search: every remains profile against every family with a typed relative.

Model (per pair, log10): H1 = the remains are the missing person of the family pedigree,
H2 = the remains are of a person unrelated to the family. The autosomal log10 LR is the sum of
the per-locus log10 LRs (markers unlinked), read from the kinship engine's per-family LR tables
(:func:`dnacase.kinship.build_family_tables`), which equal :func:`missing_person_lr` exactly.
The stored ``log10_lr`` (and the pool sums) is the combined LR of all typed evidence: the
autosomal log10 LR plus the mtDNA and Y-STR log10 LRs of the pairs the lineage filter finds
comparable and not excluded, where a population haplotype database is imported
(:mod:`dnacase.services.search_lineage`; ``log10_lr_autosomal`` and ``lineage_lr`` keep the
parts; ``run.notes["lineage_lr"]`` which evidence the run used).

Priors (per pair): each missing person of the remains' pool gets ``prior = (1 - pi_0) / n``
(``pi_0`` = ``prior_none``, the prior that the remains are of nobody in the registry). The pool
``n``: ``prior_mode="flat"`` (the default) takes every missing person of the registry (status
``missing``); ``prior_mode="area"`` takes, for remains from a grave of a cemetery whose
``candidate_pool_size`` is set (staff configure it per cemetery), that pool size, and the flat
pool for every other remains (no grave, or no pool size set); the pool sizes used are recorded
in ``run.notes["prior_area"]``; ``prior_mode="fixed"`` uses a given value ``p`` (a pool of
``(1 - pi_0) / p``). ``run.prior_value`` keeps the mode's value (1 / N flat, or ``p``).
Posterior: over the whole pool (every registered missing person, every recovered remains),
from the sums of the LRs of every pair the run scored (:mod:`dnacase.services.posteriors`,
docs/posteriors.md); stored pairs get it when the run finishes. :func:`posterior_from_log10`
is the per-pair formula ``LR p / (LR p + 1 - p)`` (the no-information case).

Running: :func:`create_run` records a run with all its parameters; :func:`execute_run` does the
work off the event loop (a worker thread, or a Dask distributed cluster when a scheduler address
is given) in blocks of families. Each block's results and its ``done`` mark commit in one
transaction, keyed by ``(run, block)`` and unique per ``(run, remains, family)``: an interrupted
run (process killed) is resumed by calling :func:`execute_run` again; if its inputs changed in the
meantime it restarts from scratch. Progress (pairs done, rate, seconds left) is written to the
run after every block.

Lineage filter (``lineage_filter=True``, the default; it acts only where lineage data exist):
before the results of a block are stored, pairs whose lineage haplotypes exclude a common
lineage are dropped (in simulation it cuts false candidates 25-250 times and loses at most
0.5 % of true pairs); the pool sums count them as LR 0. A family's lineage
references are its typed relatives in the missing person's maternal line (mtDNA,
:func:`~dnacase.kinship.lineage.mtdna_references`) and, for a male missing person, his paternal
line (Y-STR); references outside the line are not used. For one marker a pair is *comparable*
when the remains and at least one in-line reference carry that haplotype, and *not excluded*
when some in-line reference is not excluded (cannot exclude or inconclusive; mtDNA ranges too
short to compare count as inconclusive), computed exactly by
:func:`~dnacase.kinship.lineage.mtdna_candidate_pairs` / ``ystr_candidate_pairs``. A pair is
excluded when at least one marker is comparable and every comparable marker excludes (so the
autosomal data are compared for pairs whose mtDNA *or* Y cannot be excluded); pairs without
lineage data on either side are compared as usual. The count of pairs excluded (over the whole
remains x family grid) is in ``run.notes["lineage_filter"]``. The filter runs before the
autosomal screen: each block scores only the pairs it leaves (:func:`block_pairs`,
:func:`dnacase.kinship.search.screen_pairs`), so excluded pairs cost no look-ups, are not
stored and never reach the review queue; ``pairs_total`` counts the pairs actually scored.

Allele dropout (:mod:`dnacase.services.dropout`): a remains locus with one called allele is
scored as what the lab saw, not as a homozygote. A single peak is read with the remains
sample's dropout probability ``d`` (its own value, else the default of its sample type; ``d =
0``: a homozygote, as before), summed over the true genotypes ``{a, a}`` and ``{a, x}``; a
called allele beside an off-ladder peak is "that allele plus one unknown allele". The screen
does this exactly from the family tables (:mod:`dnacase.kinship.search`, ``PeakEntries``);
each stored pair records the loci so read (``one_allele``) and ``d`` (``dropout``). A
reference's locus with an off-ladder peak beside a called allele is "that allele plus one
unknown allele" in the family tables too (summed over, never a homozygote); a reference's
single peak is a homozygote (``d = 0`` for reference samples).

Stored pairs: every pair with ``log10 LR >= store_min_log10`` (default 2); pairs below are
counted, not stored, but a run over the whole grid (``all``, ``incremental``) adds every pair it
scores to the pool sums (per remains and per family), written with each block's results and
folded when the run finishes; an incremental run scores the whole grid for them and stores
only the changed pairs. Family tables are cached on disk by the digest of the data they were built
from (pedigree, reference genotypes, loci, frequencies, mutation model) and rebuilt only when
that digest changes; ``search_family_tables`` records the digest per family.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import dnacase
from dnacase.db import utcnow
from dnacase.formats.frequencies import FrequencyTable, load_frequency_table
from dnacase.kinship import (
    ENGINE_VERSION,
    Family,
    KinshipDataError,
    LikelihoodError,
    Locus,
    SearchPanel,
    build_family_tables,
    encode_profiles,
    screen,
)
from dnacase.kinship.peaks import no_peaks, observation_weights
from dnacase.kinship.pool_sums import PoolSums, pair_sums, screen_sums
from dnacase.kinship.search import PeakEntries, pair_scores, screen_pairs
from dnacase.models.registry import MissingPerson
from dnacase.models.search import FamilyTableDigest, SearchBlock, SearchResult, SearchRun
from dnacase.services import audit, evidence_model, posteriors, search_lineage, search_liveness
from dnacase.services.errors import NotFound, ValidationFailed
from dnacase.services.search_inputs import (
    FamilyInput,
    LineageInput,
    ProfileInput,
    ProfileSource,
    SearchInputs,
    gather_inputs,
)

__all__ = [
    "Panel",
    "RunInterrupted",
    "SearchParameters",
    "area_priors",
    "block_pairs",
    "build_lineage_filter",
    "build_panel",
    "count_pairs",
    "create_run",
    "execute_run",
    "family_arrays",
    "get_run",
    "list_runs",
    "posterior_from_log10",
    "queue_incremental_after_import",
    "recover_interrupted",
    "run_progress",
    "score_block",
    "score_block_sums",
]

PRIOR_MODES = ("flat", "fixed", "area")
MUTATION_MODELS = evidence_model.MUTATION_MODELS


class RunInterrupted(RuntimeError):
    """Raised by :func:`execute_run` when asked to stop after some blocks (tests)."""


@dataclass(frozen=True, slots=True)
class SearchParameters:
    """Parameters of a run. LR threshold as a plain ratio; ``store_min_log10`` in log10. The
    evidence-model fields (table, mutation, theta) take their defaults from
    :data:`dnacase.services.evidence_model.DEFAULTS` (see :meth:`evidence`);
    ``mutation_rate=None`` means the per-locus rates of the shipped rate table.
    ``prior_none``: pi_0, the prior that a remains is of nobody in the registry
    (:mod:`dnacase.services.posteriors`)."""

    frequency_table: str = evidence_model.DEFAULTS.frequency_table
    mutation_model: str = evidence_model.DEFAULTS.mutation_model
    mutation_rate: float | None = evidence_model.DEFAULTS.mutation_rate
    mutation_range: float | None = evidence_model.DEFAULTS.mutation_range
    mutation_rate2: float = evidence_model.DEFAULTS.mutation_rate2
    sex_specific: bool = evidence_model.DEFAULTS.sex_specific
    theta: float = evidence_model.DEFAULTS.theta
    lr_threshold: float = 10_000.0
    posterior_threshold: float = 0.999
    store_min_log10: float = 2.0
    prior_mode: str = "flat"
    prior_value: float | None = None
    block_families: int = 512
    lineage_filter: bool = True
    prior_none: float = 0.1
    null_alleles: tuple[tuple[str, float], ...] = evidence_model.DEFAULTS.null_alleles

    def evidence(self) -> evidence_model.EvidenceSettings:
        """The evidence model of the run (one place: :mod:`dnacase.services.evidence_model`)."""
        return replace(evidence_model.DEFAULTS, frequency_table=self.frequency_table,
                       mutation_model=self.mutation_model, mutation_rate=self.mutation_rate,
                       mutation_range=(self.mutation_range if self.mutation_range is not None
                                       else evidence_model.DEFAULTS.mutation_range),
                       mutation_rate2=self.mutation_rate2, sex_specific=self.sex_specific,
                       theta=self.theta,
                       null_alleles=tuple((str(k), v) for k, v in self.null_alleles))

    def validate(self) -> None:
        errors: dict[str, str] = self.evidence().errors()
        if self.prior_mode not in PRIOR_MODES:
            errors["prior_mode"] = f"prior mode must be one of {', '.join(PRIOR_MODES)}"
        if self.prior_mode == "fixed" and not (
            self.prior_value is not None and 0.0 < self.prior_value < 1.0
        ):
            errors["prior_value"] = "a fixed prior must be between 0 and 1 (exclusive)"
        if not (self.lr_threshold > 0):
            errors["lr_threshold"] = "the LR threshold must be positive"
        if not (0.0 < self.posterior_threshold <= 1.0):
            errors["posterior_threshold"] = "the posterior threshold must be in (0, 1]"
        if not (0.0 < self.prior_none < 1.0):
            errors["prior_none"] = ("the prior that remains are of nobody in the registry "
                                    "must be between 0 and 1 (exclusive)")
        if self.block_families < 1:
            errors["block_families"] = "blocks must hold at least one family"
        if errors:
            raise ValidationFailed("invalid search parameters", field_errors=errors)


def posterior_from_log10(log10_lr: float, prior: float) -> tuple[float, float]:
    """``(log10 posterior odds, posterior probability)`` from a log10 LR and a prior."""
    if math.isinf(log10_lr) and log10_lr < 0:
        return -math.inf, 0.0
    odds = log10_lr + math.log10(prior) - math.log10(1.0 - prior)
    if odds > 300:
        return odds, 1.0
    if odds < -300:
        return odds, 0.0
    return odds, 1.0 / (1.0 + 10.0 ** (-odds))


# --------------------------------------------------------------------------- panel and tables
@dataclass(slots=True)
class Panel:
    """Loci of a run (frequency table order, alleles seen in profiles added) and its digest."""

    loci: list[Locus]
    panel: SearchPanel
    digest: str
    notes: list[str] = field(default_factory=list)
    frequency_sha256: str = ""
    population: str = ""
    no_mutation: SearchPanel | None = None
    model: dict[str, Any] = field(default_factory=dict)


def build_panel(params: SearchParameters, inputs: SearchInputs,
                table: FrequencyTable | None = None) -> Panel:
    """Loci of the frequency table (``table``, else the shipped table named by ``params``)
    typed in at least one profile, built by :func:`dnacase.services.evidence_model.kinship_loci`
    (alleles absent from the table get the minimum frequency, reported in ``notes``)."""
    if table is None:
        table = load_frequency_table(params.frequency_table)
    profiles = [r.profile for r in inputs.remains]
    profiles += [p for f in inputs.families for p in f.profiles.values()]
    seen: dict[str, set[str]] = {}
    for prof in profiles:
        for locus, pair in prof.alleles.items():
            seen.setdefault(locus, set()).update(pair)
    settings = params.evidence()
    loci, notes = evidence_model.kinship_loci(table, seen, settings)
    if not loci:
        raise ValidationFailed("no locus of the profiles is in the frequency table "
                               f"{table.id}")
    h = hashlib.sha256()
    h.update(ENGINE_VERSION.encode())
    for loc in loci:
        h.update(json.dumps([loc.name, loc.alleles, loc.freqs.tolist(),
                             loc.describe_mutation()]).encode())
    mut = any(loc.has_mutation for loc in loci)
    plain = SearchPanel([loc.without_mutation() for loc in loci]) if mut else None
    return Panel(loci, SearchPanel(loci), h.hexdigest(), notes, table.sha256,
                 table.population, plain, evidence_model.describe(table, settings, loci))


def family_arrays(panel: Panel, fam: FamilyInput) -> tuple[Family, str]:
    """The kinship :class:`Family` of ``fam`` on ``panel`` (references' one-allele loci with
    their weights, :func:`peak_weights`) and the digest of its data."""
    ped = fam.pedigree.to_kinship()
    data = {node: dict(p.alleles) for node, p in fam.profiles.items()}
    refs = encode_profiles(panel.loci, list(ped.ids), data)
    w = no_peaks(refs.shape[:2])
    for node, p in fam.profiles.items():
        w[ped.index(node)] = peak_weights(panel, p)
    h = hashlib.sha256(panel.digest.encode())
    h.update(json.dumps(fam.pedigree.as_records()).encode())
    h.update(json.dumps(fam.missing_node).encode())
    h.update(np.ascontiguousarray(refs, dtype=np.int32).tobytes())
    if not np.isnan(w).all():
        h.update(np.nan_to_num(w, nan=-1.0).tobytes())
        return Family(str(fam.missing_person_id), ped, fam.missing_node, refs, w), h.hexdigest()
    return Family(str(fam.missing_person_id), ped, fam.missing_node, refs), h.hexdigest()


def peak_weights(panel: Panel, prof: ProfileInput) -> np.ndarray:
    """One-allele weights float ``(L, 2)`` of a profile (:mod:`dnacase.kinship.peaks`): a
    single peak under the sample's dropout probability (NaN, a homozygote, when it is 0), a
    called allele beside an off-ladder peak as that allele plus one unknown allele; NaN
    elsewhere (:func:`~dnacase.kinship.peaks.observation_weights`)."""
    return observation_weights([loc.name for loc in panel.loci], prof.one_allele, prof.dropout)


class TableCache:
    """Family LR tables on disk: ``<dir>/<digest>.npy`` (float64 ``(T,)``)."""

    def __init__(self, directory: Path) -> None:
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)

    def get(self, digest: str) -> np.ndarray | None:
        path = self.dir / f"{digest}.npy"
        if not path.is_file():
            return None
        try:
            return np.load(path)
        except (OSError, ValueError):
            return None

    def put(self, digest: str, table: np.ndarray) -> None:
        tmp = self.dir / f"{digest}.tmp.npy"
        np.save(tmp, table)
        tmp.replace(self.dir / f"{digest}.npy")


def _build_tables(
    search_panel: SearchPanel, families: Sequence[Family]
) -> tuple[np.ndarray, dict[int, str]]:
    """Tables of ``families``; a family whose references are impossible on its pedigree, or
    whose pedigree the engine cannot compute exactly, gets a table of -inf and its reason
    (index -> message)."""
    try:
        return build_family_tables(search_panel, families), {}
    except (KinshipDataError, LikelihoodError):
        pass
    out = np.full((len(families), search_panel.size), -np.inf)
    bad: dict[int, str] = {}
    for i, fam in enumerate(families):
        try:
            build_family_tables(search_panel, [fam], out=out[i : i + 1])
        except (KinshipDataError, LikelihoodError) as exc:
            out[i] = -np.inf
            bad[i] = str(exc)
    return out, bad


BlockPairs = tuple[np.ndarray, np.ndarray, np.ndarray]
"""Pairs of one block when not every remains is compared with every family: ``(listed,
indptr, remains)``; ``listed`` bool (block families,): the family is compared only with the
remains ``remains[indptr[k]:indptr[k + 1]]`` (k-th listed family, CSR); the other families
are compared with every remains."""


def score_block(
    tables: np.ndarray,
    remains_idx: np.ndarray,
    store_min_log10: float,
    pairs: BlockPairs | None = None,
    peaks: PeakEntries | None = None,
    lineage: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One block: ``(remains index, family index within the block, log10 LR)`` of the pairs
    with log10 LR >= ``store_min_log10`` (pure function; runs in a thread or a Dask worker).
    ``pairs`` (see :data:`BlockPairs`) restricts some families to listed remains: those of
    an incremental run, or those left by the lineage filter; only listed pairs are scored.
    ``peaks``: the remains' one-allele loci (:meth:`SearchPanel.encode_remains_peaks`);
    ``lineage``: log10 lineage LRs added to the listed pairs (aligned with ``pairs``' remains
    list; :mod:`dnacase.services.search_lineage`), so hits are on the combined LR.
    """
    if pairs is None:
        return screen(tables, remains_idx, threshold=store_min_log10, top_k=1,
                      peaks=peaks).hits
    listed, indptr, rem = pairs
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    dense = np.flatnonzero(~listed)
    if dense.size and remains_idx.shape[0]:
        r, f, v = screen(tables[dense], remains_idx, threshold=store_min_log10, top_k=1,
                         peaks=peaks).hits
        parts.append((r, dense[f], v))
    lst = np.flatnonzero(listed)
    if lst.size and rem.size and lineage is not None:
        vals = pair_scores(tables[lst], remains_idx, indptr, rem, peaks) + lineage
        keep = np.flatnonzero(vals >= store_min_log10)
        fl = np.repeat(np.arange(lst.size, dtype=np.int64), np.diff(indptr))[keep]
        parts.append((rem[keep], lst[fl], vals[keep]))
    elif lst.size and rem.size:
        r, f, v = screen_pairs(tables[lst], remains_idx, indptr, rem, store_min_log10, peaks)
        parts.append((r, lst[f], v))
    if not parts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    r = np.concatenate([p[0] for p in parts]).astype(np.int64)
    f = np.concatenate([p[1] for p in parts]).astype(np.int64)
    v = np.concatenate([p[2] for p in parts])
    o = np.lexsort((f, r))
    return r[o], f[o], v[o]


def _keep_stored(hits: tuple[np.ndarray, np.ndarray, np.ndarray],
                 store: BlockPairs | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The hits among the pairs ``store`` lists (:data:`BlockPairs`; None: every pair)."""
    if store is None or hits[0].size == 0:
        return hits
    listed, indptr, rem = store
    r, f, v = hits
    keep = ~listed[f]
    lst = np.flatnonzero(listed)
    pos = np.full(listed.size, -1, np.int64)
    pos[lst] = np.arange(lst.size)
    for i in np.flatnonzero(listed[f]):
        k = pos[f[i]]
        keep[i] = bool(np.isin(r[i], rem[indptr[k]:indptr[k + 1]]))
    return r[keep], f[keep], v[keep]


def score_block_sums(
    tables: np.ndarray,
    remains_idx: np.ndarray,
    store_min_log10: float,
    pairs: BlockPairs | None = None,
    store: BlockPairs | None = None,
    peaks: PeakEntries | None = None,
    lineage: np.ndarray | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], PoolSums, PoolSums]:
    """:func:`score_block` with the pool sums of every pair scored (``pairs``: the pairs
    scored, None = all; ``store``: the scored pairs whose hits are kept, None = all;
    ``peaks``: the remains' one-allele loci; ``lineage``: log10 lineage LRs of the listed
    pairs, as in :func:`score_block`): ``(hits, per-family sums (block families,),
    per-remains sums (R,))`` (:class:`PoolSums`, log10), hits and sums on the combined LR."""
    nr = remains_idx.shape[0]
    if pairs is None:
        ss = screen_sums(tables, remains_idx, store_min_log10, peaks=peaks)
        return _keep_stored(ss.hits, store), ss.families, ss.remains
    listed, indptr, rem = pairs
    fam = PoolSums.empty(tables.shape[0])
    rems = PoolSums.empty(nr)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    dense = np.flatnonzero(~listed)
    if dense.size:
        ss = screen_sums(tables[dense], remains_idx, store_min_log10, peaks=peaks)
        r, f, v = ss.hits
        parts.append((r, dense[f], v))
        fam.log10_max[dense], fam.log10_rest[dense] = ss.families.log10_max, \
            ss.families.log10_rest
        fam.best[dense] = ss.families.best
        rems = rems.merge(PoolSums(ss.remains.log10_max, np.where(
            ss.remains.best >= 0, dense[np.maximum(ss.remains.best, 0)], -1),
            ss.remains.log10_rest))
    lst = np.flatnonzero(listed)
    if lst.size and rem.size:
        vals = pair_scores(tables[lst], remains_idx, indptr, rem, peaks)
        if lineage is not None:
            vals = vals + lineage
        fs, rs = pair_sums(vals, indptr, rem, nr)
        fam.log10_max[lst], fam.best[lst], fam.log10_rest[lst] = (
            fs.log10_max, fs.best, fs.log10_rest)
        rems = rems.merge(PoolSums(rs.log10_max, np.where(
            rs.best >= 0, lst[np.maximum(rs.best, 0)], -1), rs.log10_rest))
        keep = np.flatnonzero(vals >= store_min_log10)
        fl = np.repeat(np.arange(lst.size, dtype=np.int64), np.diff(indptr))[keep]
        parts.append((rem[keep], lst[fl], vals[keep]))
    if parts:
        r = np.concatenate([p[0] for p in parts]).astype(np.int64)
        f = np.concatenate([p[1] for p in parts]).astype(np.int64)
        v = np.concatenate([p[2] for p in parts])
        o = np.lexsort((f, r))
        hits = (r[o], f[o], v[o])
    else:
        hits = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    return _keep_stored(hits, store), fam, rems


# --------------------------------------------------------------------------- lineage filter
@dataclass(slots=True)
class LineageFilter:
    """Which (remains index, family index) pairs of a run the lineage markers exclude (see
    the module doc). ``kept`` holds ``r * F + f`` of the comparable pairs not excluded."""

    n_families: int
    rem_mt: np.ndarray
    rem_y: np.ndarray
    fam_mt: np.ndarray
    fam_y: np.ndarray
    kept: np.ndarray
    _kept_ptr: np.ndarray = field(init=False, repr=False)
    _kept_rem: np.ndarray = field(init=False, repr=False)
    _open: dict[tuple[bool, bool], np.ndarray] = field(init=False, repr=False)
    _open_n: dict[tuple[bool, bool], int] = field(init=False, repr=False)
    _open_idx: dict[tuple[bool, bool], np.ndarray] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        kf, kr = self.kept % self.n_families, self.kept // self.n_families
        o = np.lexsort((kr, kf))
        self._kept_rem = kr[o]
        self._kept_ptr = np.searchsorted(kf[o], np.arange(self.n_families + 1))
        # remains not comparable with a family, by the family's (mtDNA, Y) data
        self._open = {(m, y): ~((self.rem_mt & m) | (self.rem_y & y))
                      for m in (False, True) for y in (False, True)}
        self._open_n = {k: int(v.sum()) for k, v in self._open.items()}
        self._open_idx = {k: np.flatnonzero(v) for k, v in self._open.items()}

    def kept_of(self, f: int) -> np.ndarray:
        """Remains indices of family ``f``'s comparable pairs that are not excluded."""
        return self._kept_rem[self._kept_ptr[f]:self._kept_ptr[f + 1]]

    def allowed(self, f: int) -> np.ndarray | None:
        """Bool (R,): remains whose autosomal data are compared with family ``f`` (not
        excluded by lineage); None when the family has no lineage data (every remains)."""
        key = (bool(self.fam_mt[f]), bool(self.fam_y[f]))
        if key == (False, False):
            return None
        ok = self._open[key].copy()
        ok[self.kept_of(f)] = True
        return ok

    def allowed_index(self, f: int) -> np.ndarray | None:
        """The remains of :meth:`allowed` as indices (the not comparable ones first, then the
        kept ones; each part ascending); None when the family has no lineage data."""
        key = (bool(self.fam_mt[f]), bool(self.fam_y[f]))
        if key == (False, False):
            return None
        return np.concatenate([self._open_idx[key], self.kept_of(f)])

    def count_allowed(self, f: int, subset: np.ndarray | None = None) -> int | None:
        """Number of remains of ``allowed(f)`` (within ``subset`` when given); None when
        the family has no lineage data."""
        key = (bool(self.fam_mt[f]), bool(self.fam_y[f]))
        if key == (False, False):
            return None
        if subset is None:
            return self._open_n[key] + int(self.kept_of(f).size)
        return int(self._open[key][subset].sum()) + int(
            np.isin(self.kept_of(f), subset, assume_unique=True).sum())

    def excluded(self, r: np.ndarray, f: np.ndarray) -> np.ndarray:
        """Bool per pair (remains indices ``r``, family indices ``f``): excluded."""
        r = np.asarray(r, np.int64)
        f = np.asarray(f, np.int64)
        has = (self.rem_mt[r] & self.fam_mt[f]) | (self.rem_y[r] & self.fam_y[f])
        return has & ~np.isin(r * self.n_families + f, self.kept)

    def pairs_excluded(self) -> int:
        """Number of excluded pairs over the whole remains x family grid."""
        n_mt, n_y = int(self.rem_mt.sum()), int(self.rem_y.sum())
        n_both = int((self.rem_mt & self.rem_y).sum())
        has = (self.fam_mt & self.fam_y) * (n_mt + n_y - n_both) + (
            self.fam_mt & ~self.fam_y) * n_mt + (~self.fam_mt & self.fam_y) * n_y
        return int(has.sum()) - int(self.kept.size)


def block_pairs(
    f0: int,
    f1: int,
    lfilter: LineageFilter | None,
    full_families: np.ndarray | None,
    remains_subset: np.ndarray | None,
) -> BlockPairs | None:
    """The pairs to score in block ``[f0, f1)`` (:data:`BlockPairs`), or None when every
    family is compared with every remains. An incremental run compares the families whose
    data did not change (``full_families`` false) only with the changed remains
    (``remains_subset``); the lineage filter leaves out the pairs it excludes."""
    listed = np.zeros(f1 - f0, dtype=bool)
    lists: list[np.ndarray] = []
    for i, f in enumerate(range(f0, f1)):
        base = None
        if full_families is not None and not full_families[f]:
            base = np.asarray(remains_subset if remains_subset is not None else [], np.int64)
        if lfilter is None or (not lfilter.fam_mt[f] and not lfilter.fam_y[f]):
            if base is not None:
                listed[i] = True
                lists.append(base)
            continue
        listed[i] = True
        if base is None:
            lists.append(lfilter.allowed_index(f))  # type: ignore[arg-type]
        else:
            ok = lfilter.allowed(f)
            lists.append(base[ok[base]])  # type: ignore[index]
    if not listed.any():
        return None
    indptr = np.zeros(len(lists) + 1, dtype=np.int64)
    np.cumsum([x.size for x in lists], out=indptr[1:])
    return listed, indptr, np.concatenate(lists).astype(np.int64)


def count_pairs(
    f0: int,
    f1: int,
    n_remains: int,
    lfilter: LineageFilter | None,
    full_families: np.ndarray | None,
    remains_subset: np.ndarray | None,
) -> int:
    """Number of pairs :func:`score_block` scores in block ``[f0, f1)`` (same arguments as
    :func:`block_pairs`), without building the lists."""
    total = 0
    sub = np.asarray(remains_subset if remains_subset is not None else [], np.int64)
    for f in range(f0, f1):
        partial = full_families is not None and not full_families[f]
        n = lfilter.count_allowed(f, sub if partial else None) if lfilter is not None else None
        total += n if n is not None else (int(sub.size) if partial else n_remains)
    return total


def build_lineage_filter(
    inputs: SearchInputs,
    remains_lineage: dict[int, LineageInput],
    relative_lineage: dict[int, LineageInput],
) -> LineageFilter:
    """The lineage filter of a run's families and remains (module doc)."""
    from dnacase.kinship.lineage import mtdna_candidate_pairs, mtdna_references, ystr_references
    from dnacase.kinship.lineage.search import ystr_candidate_pairs

    nf = len(inputs.families)
    rem = [remains_lineage.get(r.remains_id) for r in inputs.remains]
    rem_mt = np.array([x is not None and x.mt is not None for x in rem], bool)
    rem_y = np.array([x is not None and x.y is not None for x in rem], bool)
    fam_mt = np.zeros(nf, bool)
    fam_y = np.zeros(nf, bool)
    mt_haps: list[Any] = []
    mt_owner: list[int] = []
    y_haps: list[Any] = []
    y_owner: list[int] = []
    for fi, fam in enumerate(inputs.families):
        lin = {node: relative_lineage[rid] for node, rid in fam.relative_ids.items()
               if rid in relative_lineage}
        if not lin:
            continue
        ped = fam.pedigree.to_kinship()
        mt_nodes = [n for n, x in lin.items() if x.mt is not None]
        y_nodes = [n for n, x in lin.items() if x.y is not None]
        for ref in mtdna_references(ped, fam.missing_node, mt_nodes).in_line:
            mt_haps.append(lin[ref.id].mt)
            mt_owner.append(fi)
            fam_mt[fi] = True
        for ref in ystr_references(ped, fam.missing_node, y_nodes).in_line:
            y_haps.append(lin[ref.id].y)
            y_owner.append(fi)
            fam_y[fi] = True
    kept: list[np.ndarray] = []
    mt_r = np.flatnonzero(rem_mt)
    if mt_r.size and mt_haps:
        pairs = mtdna_candidate_pairs([rem[i].mt for i in mt_r], mt_haps)  # type: ignore[union-attr]
        owner = np.array(mt_owner, np.int64)
        kept.append(mt_r[pairs.remains_index] * nf + owner[pairs.family_index])
        for gr, gf in pairs.uncomparable:  # ranges too short to compare: inconclusive, kept
            kept.append((mt_r[gr][:, None] * nf + owner[gf][None, :]).ravel())
    y_r = np.flatnonzero(rem_y)
    if y_r.size and y_haps:
        pairs = ystr_candidate_pairs([rem[i].y for i in y_r], y_haps)  # type: ignore[union-attr]
        owner = np.array(y_owner, np.int64)
        kept.append(y_r[pairs.remains_index] * nf + owner[pairs.family_index])
    k = np.unique(np.concatenate(kept)) if kept else np.zeros(0, np.int64)
    return LineageFilter(nf, rem_mt, rem_y, fam_mt, fam_y, k.astype(np.int64))


# --------------------------------------------------------------------------- runs
async def create_run(
    session: AsyncSession,
    params: SearchParameters,
    *,
    actor: audit.ActorLike | None = None,
    missing_person_id: int | None = None,
    remains_id: int | None = None,
    executor: str = "local",
    incremental: bool = False,
) -> SearchRun:
    """Record a queued run (blind search, or one family / one remains / one pair).

    ``incremental``: only what changed since the earlier blind and incremental runs: remains
    whose profile version is new, against every family, and families with a new or changed
    typed relative, against every remains."""
    params.validate()
    await evidence_model.frequency_table(session, params.frequency_table)
    if missing_person_id is not None and (
        await session.get(MissingPerson, missing_person_id) is None
    ):
        raise NotFound(f"missing person {missing_person_id} not found")
    scope = {(False, False): "all", (True, False): "family", (False, True): "remains",
             (True, True): "pair"}[(missing_person_id is not None, remains_id is not None)]
    if incremental:
        if scope != "all":
            raise ValidationFailed("an incremental search covers every family and remains")
        scope = "incremental"
    run = SearchRun(
        scope=scope, missing_person_id=missing_person_id, remains_id=remains_id,
        frequency_table=params.frequency_table, mutation_model=params.mutation_model,
        mutation_rate=(params.mutation_rate if params.mutation_rate is not None
                       else evidence_model.DEFAULTS.generic_rate),
        mutation_range=params.mutation_range, lr_threshold=params.lr_threshold,
        posterior_threshold=params.posterior_threshold,
        store_min_log10=params.store_min_log10, prior_mode=params.prior_mode,
        prior_value=params.prior_value, parameters=asdict(params),
        engine_version=ENGINE_VERSION, software_version=dnacase.__version__,
        executor=executor, created_by_id=getattr(actor, "id", None),
    )
    session.add(run)
    await session.flush()
    await audit.record(session, actor or audit.SYSTEM, "search.run.create", run,
                       after=audit.snapshot(run))
    return run


async def queue_incremental_after_import(
    session: AsyncSession, import_id: int, *, actor: audit.ActorLike | None = None,
) -> SearchRun:
    """Queue an incremental search for what a committed profile import changed (called in the
    import's transaction, so the run exists exactly when the import does).

    The run takes the parameters of the latest blind or incremental run (the defaults when
    there is none), so new profiles are searched the way the rest were. If an incremental run
    is already queued it is reused (it covers every change up to the moment it executes, see
    :func:`execute_run`) and the import is added to its ``notes["imports"]``. Execute it with
    :func:`execute_run` (the web app starts it in the background, ``dnacase search resume``
    runs queued runs)."""
    queued = (await session.execute(select(SearchRun).where(
        SearchRun.status == "queued", SearchRun.scope == "incremental").order_by(
        SearchRun.id.desc()).limit(1))).scalar_one_or_none()
    if queued is not None:
        notes = dict(queued.notes or {})
        notes["imports"] = [*notes.get("imports", []), import_id]
        queued.notes = notes
        await session.flush()
        return queued
    last = (await session.execute(select(SearchRun).where(
        SearchRun.scope.in_(("all", "incremental"))).order_by(
        SearchRun.id.desc()).limit(1))).scalar_one_or_none()
    params = run_parameters(last) if last is not None else SearchParameters()
    try:
        params.validate()
        await evidence_model.frequency_table(session, params.frequency_table)
    except (ValidationFailed, NotFound, ValueError, KeyError, OSError):
        params = SearchParameters()
    run = await create_run(session, params, actor=actor, incremental=True)
    run.notes = {"imports": [import_id], "trigger": "profile import"}
    await session.flush()
    return run


def run_parameters(run: SearchRun) -> SearchParameters:
    """The parameters a run was created with."""
    p = dict(run.parameters or {})
    if p and "mutation_rate2" not in p:  # recorded before per-locus, per-sex rates existed
        p.update(mutation_rate2=0.0, sex_specific=False, theta=0.0)
    return SearchParameters(**{k: v for k, v in p.items()
                               if k in SearchParameters.__dataclass_fields__})


async def get_run(session: AsyncSession, run_id: int) -> SearchRun:
    run = await session.get(SearchRun, run_id)
    if run is None:
        raise NotFound(f"search run {run_id} not found")
    return run


async def list_runs(session: AsyncSession, *, limit: int = 50) -> list[SearchRun]:
    return list((await session.execute(
        select(SearchRun).order_by(SearchRun.id.desc()).limit(limit))).scalars())


def run_progress(run: SearchRun) -> dict[str, Any]:
    """JSON view of a run's progress."""
    return {
        "id": run.id, "status": run.status, "scope": run.scope, "prior_mode": run.prior_mode,
        "pairs_total": run.pairs_total, "pairs_done": run.pairs_done,
        "blocks_total": run.blocks_total, "blocks_done": run.blocks_done,
        "rate_pairs_per_s": run.rate_pairs_per_s, "seconds_left": run.seconds_left,
        "results": run.results_count, "tables_built": run.tables_built,
        "error": run.error or None,
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
    }


async def _area_pools(session: AsyncSession) -> dict[int, int]:
    """``{cemetery id: candidate_pool_size}`` of the cemeteries that have one."""
    from dnacase.models.registry import Cemetery

    return {int(c): int(n) for c, n in await session.execute(select(
        Cemetery.id, Cemetery.candidate_pool_size).where(
        Cemetery.candidate_pool_size.is_not(None)))}


async def area_priors(session: AsyncSession, remains_ids: Sequence[int],
                      pools: dict[int, int]) -> dict[int, float]:
    """``{remains id: 1 / pool size}`` for remains from a grave of a cemetery in ``pools``
    (``{cemetery id: number of missing persons who could be there}``); other remains are left
    out (they take the flat default)."""
    from dnacase.models.registry import Grave, Remains

    if not pools:
        return {}
    wanted = set(remains_ids)
    out: dict[int, float] = {}
    for rid, cid in await session.execute(select(Remains.id, Grave.cemetery_id).join(
            Grave, Grave.id == Remains.grave_id)):
        if rid in wanted and cid in pools:
            out[int(rid)] = 1.0 / max(int(pools[cid]), 2)
    return out


async def _prior(session: AsyncSession, params: SearchParameters) -> float:
    if params.prior_mode == "fixed":
        assert params.prior_value is not None
        return float(params.prior_value)
    n = int((await session.execute(select(func.count()).select_from(MissingPerson).where(
        MissingPerson.status == "missing"))).scalar_one())
    return 1.0 / max(n, 2)


@dataclass(slots=True)
class _Prepared:
    inputs: SearchInputs
    panel: Panel
    families: list[Family]
    fam_ids: list[int]
    digests: list[str]
    tables: np.ndarray
    remains_ids: list[int]
    remains_idx: np.ndarray
    remains_gt: np.ndarray
    built: int
    bad: dict[int, str]
    inputs_digest: str
    peaks: PeakEntries | None = None


def _prepare(inputs: SearchInputs, params: SearchParameters, cache: TableCache,
             table: FrequencyTable | None = None) -> _Prepared:
    """CPU part of a run's set-up (worker thread): panel, family tables (cached), remains."""
    panel = build_panel(params, inputs, table)
    fams: list[Family] = []
    digests: list[str] = []
    for fi in inputs.families:
        fam, dg = family_arrays(panel, fi)
        fams.append(fam)
        digests.append(dg)
    tables = np.empty((len(fams), panel.panel.size))
    todo: list[int] = []
    for i, dg in enumerate(digests):
        cached = cache.get(dg)
        if cached is not None and cached.shape == (panel.panel.size,):
            tables[i] = cached
        else:
            todo.append(i)
    bad: dict[int, str] = {}
    if todo:
        built, bad_sub = _build_tables(panel.panel, [fams[i] for i in todo])
        for k, i in enumerate(todo):
            tables[i] = built[k]
            if k in bad_sub:
                bad[i] = bad_sub[k]
            else:
                cache.put(digests[i], built[k])
    remains_ids = [r.remains_id for r in inputs.remains]
    gt = encode_profiles(panel.loci, [str(i) for i in remains_ids],
                         {str(r.remains_id): dict(r.profile.alleles) for r in inputs.remains})
    idx, peaks = panel.panel.encode_remains_peaks(gt, remains_peak_weights(panel, inputs))
    h = hashlib.sha256(panel.digest.encode())
    h.update(json.dumps(digests).encode())
    h.update(json.dumps(inputs.profile_versions(), sort_keys=True).encode())
    h.update(json.dumps([r.profile.dropout for r in inputs.remains]).encode())
    return _Prepared(inputs, panel, fams, [f.missing_person_id for f in inputs.families], digests,
                     tables, remains_ids, np.ascontiguousarray(idx, np.int32), gt,
                     len(todo) - len(bad), bad, h.hexdigest(), peaks)


def remains_peak_weights(panel: Panel, inputs: SearchInputs) -> np.ndarray:
    """One-allele weights float ``(R, L, 2)`` of the remains (:func:`peak_weights`)."""
    w = no_peaks((len(inputs.remains), len(panel.loci)))
    for i, r in enumerate(inputs.remains):
        w[i] = peak_weights(panel, r.profile)
    return w


def _pair_rows(
    prep: _Prepared, run: SearchRun, block_no: int, f0: int,
    hits: tuple[np.ndarray, np.ndarray, np.ndarray], prior: float, params: SearchParameters,
    prior_by_remains: dict[int, float] | None = None,
    lineage: search_lineage.PairLineageLRs | None = None,
) -> list[dict[str, Any]]:
    """Result rows of a block's hits (per-locus LRs, loci compared, inconsistent loci);
    ``prior_by_remains`` overrides the run's ``prior`` per remains id (area prior);
    ``lineage``: the run's lineage parts (the hits' LRs are combined: ``log10_lr`` =
    ``log10_lr_autosomal`` + the parts in ``lineage_lr``)."""
    by_remains = prior_by_remains or {}
    r_idx, f_loc, vals = hits
    if r_idx.size == 0:
        return []
    panel = prep.panel
    names = [loc.name for loc in panel.loci]
    plain_tables: dict[int, np.ndarray] = {}
    if panel.no_mutation is not None:
        fam_set = sorted({int(f0 + f) for f in f_loc.tolist()})
        built, _bad = _build_tables(panel.no_mutation, [prep.families[i] for i in fam_set])
        plain_tables = {fi: built[k] for k, fi in enumerate(fam_set)}
    rows: list[dict[str, Any]] = []
    lr_min = math.log10(params.lr_threshold)
    for r, fl, v in zip(r_idx.tolist(), f_loc.tolist(), vals.tolist(), strict=True):
        fi = f0 + fl
        idx = prep.remains_idx[r]
        per = _per_locus(prep.tables[fi], idx, prep.peaks, r)
        r_typed = (prep.remains_gt[r] >= 0).all(axis=1)
        refs_typed = (prep.families[fi].references >= 0).all(axis=2).any(axis=0)
        compared = r_typed & refs_typed
        inconsistent: list[str] = []
        if fi in plain_tables:
            pt = _per_locus(plain_tables[fi], idx, prep.peaks, r)
            inconsistent = [names[j] for j in np.flatnonzero(np.isneginf(pt) & r_typed)]
        p = by_remains.get(prep.remains_ids[r], prior)
        odds, post = posterior_from_log10(v, p)
        lin = lineage.record(r, fi) if lineage is not None else None
        auto = float(v) - (math.fsum(x for x in lin.values() if isinstance(x, float))
                           if lin else 0.0)
        rows.append({
            "run_id": run.id, "block_no": block_no,
            "remains_id": prep.remains_ids[r], "missing_person_id": prep.fam_ids[fi],
            "log10_lr": float(v), "log10_lr_autosomal": auto, "lineage_lr": lin,
            "per_locus": {names[j]: float(per[j]) for j in np.flatnonzero(r_typed)},
            "loci_compared": int(compared.sum()), "inconsistent": inconsistent,
            "prior": p, "log10_posterior_odds": float(odds), "posterior": float(post),
            **_one_allele(prep, r),
            "candidate": bool(v >= lr_min and post >= params.posterior_threshold),
            "created_at": utcnow(),
        })
    return rows


def _per_locus(table: np.ndarray, idx: np.ndarray, peaks: PeakEntries | None,
               r: int) -> np.ndarray:
    """log10 LR per locus of remains ``r`` against one family ``table``."""
    per = table[idx]
    if peaks is not None:
        for j, v in peaks.per_locus(table, r).items():
            per[j] = v
    return per


def _one_allele(prep: _Prepared, r: int) -> dict[str, Any]:
    """The ``one_allele`` / ``dropout`` columns of a pair with remains ``r``: the loci of the
    panel read as one called allele (None when none)."""
    prof = prep.inputs.remains[r].profile
    names = {loc.name for loc in prep.panel.loci}
    read = {k: v for k, v in prof.one_allele.items() if k in names
            and (v == "off_ladder" or prof.dropout > 0)}
    return {"one_allele": read or None, "dropout": prof.dropout if read else None}


async def _baseline(session: AsyncSession, run: SearchRun) -> dict[str, dict[str, str]]:
    """Profile versions already searched by the blind/incremental runs done before ``run``
    started (a run queued earlier, e.g. by a profile import, and executed after a blind run
    does not search again what that run covered; a resumed run keeps its first baseline)."""
    base: dict[str, dict[str, str]] = {"relatives": {}, "remains": {}}
    q = select(SearchRun.profile_versions).where(
        SearchRun.status == "done", SearchRun.scope.in_(("all", "incremental")),
        SearchRun.id != run.id)
    if run.started_at is not None:
        q = q.where(SearchRun.finished_at <= run.started_at)
    for (pv,) in await session.execute(q.order_by(SearchRun.finished_at, SearchRun.id)):
        for part in ("relatives", "remains"):
            base[part].update((pv or {}).get(part, {}))
    return base


def _changes(prep: _Prepared, base: dict[str, dict[str, str]]) -> tuple[np.ndarray, np.ndarray]:
    """(families to score against every remains: bool (F,), remains that changed: int idx)."""
    cur = prep.inputs
    fam_changed = np.array([
        any(base["relatives"].get(str(rid)) != fam.profiles[node].version
            for node, rid in fam.relative_ids.items())
        for fam in cur.families], dtype=bool)
    rem_changed = np.array([i for i, r in enumerate(cur.remains)
                            if base["remains"].get(str(r.remains_id)) != r.profile.version],
                           dtype=np.int64)
    return fam_changed, rem_changed


async def recover_interrupted(
    session: AsyncSession, *, stale_seconds: float = search_liveness.STALE_SECONDS
) -> list[int]:
    """Mark ``running`` runs whose owner process is gone, or whose heartbeat is older than
    ``stale_seconds``, as ``interrupted`` (:func:`search_liveness.run_is_dead`); return their
    ids (resume them with :func:`execute_run`)."""
    now = dt.datetime.now(dt.UTC)
    rows = list((await session.execute(select(SearchRun).where(
        SearchRun.status == "running"))).scalars())
    ids = []
    for run in rows:
        if search_liveness.run_is_dead(run, now, stale_seconds):
            run.status = "interrupted"
            ids.append(int(run.id))  # type: ignore[arg-type]
    return ids


async def execute_run(
    sessionmaker: async_sessionmaker[AsyncSession],
    run_id: int,
    source: ProfileSource,
    *,
    cache_dir: Path,
    dask_scheduler: str | None = None,
    stop_after_blocks: int | None = None,
    on_progress: Callable[[SearchRun], None] | None = None,
) -> SearchRun:
    """Run (or resume) search run ``run_id``; returns the finished run.

    CPU work runs in a worker thread (or on the Dask cluster at ``dask_scheduler``); the event
    loop only does database I/O. ``stop_after_blocks`` raises :class:`RunInterrupted` after that
    many blocks of this call, leaving the run ``running`` as a killed process would.
    """
    async with sessionmaker() as session:
        run = await get_run(session, run_id)
        if run.status == "done":
            return run
        params = run_parameters(run)
        table = await evidence_model.frequency_table(session, params.frequency_table)
        inputs = await gather_inputs(session, source, missing_person_id=run.missing_person_id,
                                     remains_id=run.remains_id)
        prior = run.prior_value if (run.prior_value and run.status != "queued") else (
            await _prior(session, params))
        area_pools: dict[int, int] = {}
        prior_by_remains: dict[int, float] = {}
        if params.prior_mode == "area":
            recorded = (run.notes or {}).get("prior_area")
            area_pools = ({int(k): int(v) for k, v in recorded["cemeteries"].items()}
                          if recorded and run.status != "queued" else await _area_pools(session))
            prior_by_remains = await area_priors(
                session, [r.remains_id for r in inputs.remains], area_pools)
        rem_lin: dict[int, LineageInput] = {}
        rel_lin: dict[int, LineageInput] = {}
        lineage_fn = getattr(source, "lineage_profiles", None)
        if params.lineage_filter and lineage_fn is not None:
            rem_lin = await lineage_fn(session, "remains", [r.remains_id for r in inputs.remains])
            rel_lin = await lineage_fn(session, "reference", sorted(
                {rid for f in inputs.families for rid in f.relative_ids.values()}))
        databases = await search_lineage.databases(session) if params.lineage_filter else {}
    if not inputs.families or not inputs.remains:
        async with sessionmaker() as session, session.begin():
            run = await get_run(session, run_id)
            run.status, run.finished_at = "done", dt.datetime.now(dt.UTC)
            run.profile_versions = inputs.profile_versions()
            run.notes = {**(run.notes or {}), "nothing_to_search": (
                f"{len(inputs.families)} families with a typed relative, "
                f"{len(inputs.remains)} remains profiles"),
                "families_skipped": {str(k): v for k, v in inputs.skipped}}
        return run
    cache = TableCache(cache_dir)
    try:
        prep = await asyncio.to_thread(_prepare, inputs, params, cache, table)
    except (ValidationFailed, KinshipDataError, ValueError) as exc:
        async with sessionmaker() as session, session.begin():
            await session.execute(update(SearchRun).where(SearchRun.id == run_id).values(
                status="failed", error=str(getattr(exc, "message", exc)),
                finished_at=dt.datetime.now(dt.UTC)))
        raise
    lfilter = (await asyncio.to_thread(build_lineage_filter, inputs, rem_lin, rel_lin)
               if params.lineage_filter else None)
    lineage_lrs = (await asyncio.to_thread(
        search_lineage.pair_lineage_lrs, inputs, rem_lin, rel_lin, lfilter.kept, databases)
        if lfilter is not None and any(databases.values()) else None)
    inputs_digest = hashlib.sha256((prep.inputs_digest + json.dumps(
        search_lineage.describe_databases(databases), sort_keys=True)).encode()).hexdigest()
    bsize = params.block_families
    nf, nr = len(prep.families), len(prep.remains_ids)
    n_blocks = (nf + bsize - 1) // bsize
    fam_full: np.ndarray | None = None
    rem_sub: np.ndarray | None = None

    sums_on = run_scope_sums(run.scope)

    def n_pairs(f0: int, f1: int) -> int:
        if fam_full is None and lfilter is None:
            return (f1 - f0) * nr
        return count_pairs(f0, f1, nr, lfilter, fam_full, rem_sub)

    async with sessionmaker() as session, session.begin():
        run = await get_run(session, run_id)
        if run.inputs_digest and run.inputs_digest != inputs_digest:
            # the data changed since the run started: restart cleanly
            await session.execute(delete(SearchResult).where(SearchResult.run_id == run_id))
            await session.execute(delete(SearchBlock).where(SearchBlock.run_id == run_id))
            run.notes = {**(run.notes or {}), "restarted": "inputs changed since the run began"}
            run.pairs_done = run.blocks_done = run.results_count = 0
        existing = int((await session.execute(select(func.count()).select_from(SearchBlock).where(
            SearchBlock.run_id == run_id))).scalar_one())
        if existing == 0 and n_blocks:
            await session.execute(insert(SearchBlock), [
                {"run_id": run_id, "block_no": b, "family_start": b * bsize,
                 "family_stop": min(nf, (b + 1) * bsize), "done": False}
                for b in range(n_blocks)])
        known = {m: d for m, d in await session.execute(
            select(FamilyTableDigest.missing_person_id, FamilyTableDigest.digest))}
        now = dt.datetime.now(dt.UTC)
        fresh = []
        for i, (fid, dg) in enumerate(zip(prep.fam_ids, prep.digests, strict=True)):
            if i in prep.bad or known.get(fid) == dg:
                continue
            if fid in known:
                await session.execute(update(FamilyTableDigest).where(
                    FamilyTableDigest.missing_person_id == fid).values(digest=dg, built_at=now))
            else:
                fresh.append({"missing_person_id": fid, "digest": dg, "built_at": now})
        for c in range(0, len(fresh), 5000):
            await session.execute(insert(FamilyTableDigest), fresh[c:c + 5000])
        run.status = "running"
        run.notes = {**(run.notes or {}), "owner": search_liveness.process_owner()}
        run.inputs_digest = inputs_digest
        run.profile_versions = prep.inputs.profile_versions()
        run.frequency_sha256 = prep.panel.frequency_sha256
        run.prior_value = prior
        run.n_remains, run.n_families = nr, nf
        if run.scope == "incremental":
            fam_full, rem_sub = _changes(prep, await _baseline(session, run))
        run.pairs_total = n_pairs(0, nf)
        run.blocks_total = n_blocks
        run.tables_built = (run.tables_built or 0) + prep.built
        skipped = {str(k): v for k, v in prep.inputs.skipped}
        skipped.update({str(prep.fam_ids[i]): msg for i, msg in prep.bad.items()})
        spec = getattr(source, "spec", None)
        run.notes = {**(run.notes or {}), "panel": [loc.name for loc in prep.panel.loci],
                     "source": spec() if callable(spec) else None,
                     "frequency_notes": prep.panel.notes, "families_skipped": skipped,
                     "population": prep.panel.population, "evidence_model": prep.panel.model}
        if lfilter is not None:
            run.notes = {**run.notes, "lineage_filter": {
                "pairs_excluded": lfilter.pairs_excluded(),
                "remains_mtDNA": int(lfilter.rem_mt.sum()), "remains_Y": int(lfilter.rem_y.sum()),
                "families_mtDNA": int(lfilter.fam_mt.sum()),
                "families_Y": int(lfilter.fam_y.sum()),
                "versions": {"remains": {str(k): v.version for k, v in rem_lin.items()},
                             "relatives": {str(k): v.version for k, v in rel_lin.items()}}}}
        run.notes = {**run.notes, "lineage_lr": search_lineage.run_note(
            params.lineage_filter, databases, lineage_lrs)}
        ctx = await posteriors.pool_context(
            session, params, n_families_scored=(nf - len(prep.bad)) if sums_on else 0,
            n_remains_scored=nr if sums_on else 0)
        run.notes = {**run.notes, "pool": {**ctx.as_json(), "sums": sums_on}}
        if params.prior_mode == "area":
            run.notes = {**run.notes, "prior_area": {
                "default": prior, "cemeteries": {str(k): v for k, v in area_pools.items()},
                "remains_with_area_prior": len(prior_by_remains)}}
        run.started_at = run.started_at or dt.datetime.now(dt.UTC)
        run.heartbeat_at = dt.datetime.now(dt.UTC)
        run.error = ""
        pending = [b for b in (await session.execute(select(SearchBlock).where(
            SearchBlock.run_id == run_id, SearchBlock.done.is_(False)).order_by(
            SearchBlock.block_no))).scalars()]
        pending_spec = [(b.block_no, b.family_start, b.family_stop) for b in pending]
    t0 = time.perf_counter()
    done_pairs = 0
    blocks_this_call = 0

    async def persist(block_no: int, f0: int, f1: int, scored: Any, seconds: float) -> None:
        nonlocal done_pairs
        hits, fam_sums, rem_sums = scored
        async with sessionmaker() as session, session.begin():
            run = await get_run(session, run_id)
            blk = (await session.execute(select(SearchBlock).where(
                SearchBlock.run_id == run_id, SearchBlock.block_no == block_no
            ).with_for_update())).scalar_one()
            if blk.done:
                return
            rows = _pair_rows(prep, run, block_no, f0, hits, prior, params, prior_by_remains,
                              lineage_lrs)
            await session.execute(delete(SearchResult).where(
                SearchResult.run_id == run_id, SearchResult.block_no == block_no))
            if rows:
                await session.execute(insert(SearchResult), rows)
            blk.done, blk.results, blk.seconds = True, len(rows), seconds
            if fam_sums is not None:  # the block's share of the posterior denominators
                rem_sums = PoolSums(rem_sums.log10_max, np.where(
                    rem_sums.best >= 0, rem_sums.best + f0, -1), rem_sums.log10_rest)
                blk.family_sums = posteriors.block_bytes(fam_sums)
                blk.remains_sums = posteriors.block_bytes(rem_sums)
            blk.done_at = dt.datetime.now(dt.UTC)
            done_pairs += n_pairs(f0, f1)
            run.blocks_done = (run.blocks_done or 0) + 1
            run.pairs_done = (run.pairs_done or 0) + n_pairs(f0, f1)
            run.results_count = (run.results_count or 0) + len(rows)
            elapsed = max(time.perf_counter() - t0, 1e-9)
            run.rate_pairs_per_s = done_pairs / elapsed
            run.seconds_left = (run.pairs_total - run.pairs_done) / max(run.rate_pairs_per_s,
                                                                        1e-9)
            run.heartbeat_at = dt.datetime.now(dt.UTC)
        if on_progress is not None:
            on_progress(run)

    def _pairs(f0: int, f1: int) -> BlockPairs | None:
        return block_pairs(f0, f1, lfilter, fam_full, rem_sub)

    def _job(f0: int, f1: int) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        """The scoring function of block [f0, f1) and its arguments after the tables and
        the remains: a whole-grid run scores every pair the lineage filter leaves (for the
        pool sums) and keeps the hits of the pairs it stores (an incremental run: the
        changed ones)."""
        if not sums_on:
            pairs = _pairs(f0, f1)
            return _plain_block, (params.store_min_log10, pairs, prep.peaks,
                                  _lineage_offsets(lineage_lrs, pairs, f0))
        store = (block_pairs(f0, f1, None, fam_full, rem_sub) if fam_full is not None
                 else None)
        pairs = block_pairs(f0, f1, lfilter, None, None)
        return score_block_sums, (params.store_min_log10, pairs, store, prep.peaks,
                                  _lineage_offsets(lineage_lrs, pairs, f0))

    def local(f0: int, f1: int) -> tuple[Any, float]:
        s = time.perf_counter()
        fn, args = _job(f0, f1)
        scored = fn(prep.tables[f0:f1], prep.remains_idx, *args)
        return scored, time.perf_counter() - s

    async with search_liveness.keep_alive(sessionmaker, run_id):
        if dask_scheduler and pending_spec:
            from distributed import Client, as_completed

            client = await asyncio.to_thread(Client, dask_scheduler)
            try:
                idx_future = await asyncio.to_thread(
                    client.scatter, prep.remains_idx, broadcast=True)
                futures = {}
                submitted = []
                for bno, f0, f1 in pending_spec:
                    fn, args = _job(f0, f1)
                    fut = client.submit(fn, prep.tables[f0:f1], idx_future, *args, pure=False)
                    futures[fut.key] = (bno, f0, f1, time.perf_counter())
                    submitted.append(fut)
                ac = as_completed(submitted)
                while True:
                    fut = await asyncio.to_thread(next, ac, None)
                    if fut is None:
                        break
                    hits = await asyncio.to_thread(fut.result)
                    bno, f0, f1, s = futures[fut.key]
                    await persist(bno, f0, f1, hits, time.perf_counter() - s)
                    blocks_this_call += 1
                    if stop_after_blocks is not None and blocks_this_call >= stop_after_blocks:
                        raise RunInterrupted(f"stopped after {blocks_this_call} blocks")
            finally:
                await asyncio.to_thread(client.close)
        else:
            for bno, f0, f1 in pending_spec:
                hits, secs = await asyncio.to_thread(local, f0, f1)
                await persist(bno, f0, f1, hits, secs)
                blocks_this_call += 1
                if stop_after_blocks is not None and blocks_this_call >= stop_after_blocks:
                    raise RunInterrupted(f"stopped after {blocks_this_call} blocks")
    async with sessionmaker() as session, session.begin():
        run = await get_run(session, run_id)
        run.status = "done"
        run.seconds_left = 0.0
        run.finished_at = dt.datetime.now(dt.UTC)
        # the pool sums of every pair scored, then the posteriors of the stored pairs and of
        # the open review cases (services.posteriors), in the run's finishing transaction
        n_sums = (await posteriors.fold_run_sums(session, run, prep.fam_ids, prep.remains_ids)
                  if sums_on else 0)
        n_post = await posteriors.refresh_posteriors(session, run)
        await audit.record(session, audit.SYSTEM, "search.run.finish", run,
                           after={"pairs": run.pairs_total, "results": run.results_count,
                                  "tables_built": run.tables_built, "pool_sums": n_sums,
                                  "posteriors_refreshed": n_post})
        # "profile:<id>", or a re-associated group's "group:<id>[profile:<id>,...]": every
        # member's profile was searched through the group's consensus
        versions = [v for part in (run.profile_versions or {}).values() for v in part.values()]
        ids = sorted({int(x) for v in versions for x in _PROFILE_ID.findall(str(v))})
        if ids:  # every profile shows when it was last searched
            from dnacase.models.profiles import Profile

            for chunk in range(0, len(ids), 1000):
                await session.execute(update(Profile).where(
                    Profile.id.in_(ids[chunk:chunk + 1000])).values(last_searched_at=utcnow()))
        from dnacase.services import review

        await review.enqueue_candidates(session, run)
    return run


_PROFILE_ID = re.compile(r"(?:^|[\[,])profile:(\d+)")


def run_scope_sums(scope: str) -> bool:
    """Whether a run of ``scope`` scores the whole grid and keeps the pool sums."""
    return scope in ("all", "incremental")


def _plain_block(tables: np.ndarray, remains_idx: np.ndarray, store_min_log10: float,
                 pairs: BlockPairs | None, peaks: PeakEntries | None = None,
                 lineage: np.ndarray | None = None) -> tuple[Any, None, None]:
    """:func:`score_block` without pool sums (runs over part of the grid)."""
    return score_block(tables, remains_idx, store_min_log10, pairs, peaks, lineage), None, None


def _lineage_offsets(lrs: search_lineage.PairLineageLRs | None, pairs: BlockPairs | None,
                     f0: int) -> np.ndarray | None:
    """The log10 lineage LRs of the listed pairs of block ``f0 + ...`` (aligned with the
    pairs' remains list; None when the run has no lineage LRs or lists no pair)."""
    if lrs is None or pairs is None or lrs.keys.size == 0:
        return None
    listed, indptr, rem = pairs
    fam = f0 + np.repeat(np.flatnonzero(listed), np.diff(indptr))
    return lrs.lookup(rem, fam)
