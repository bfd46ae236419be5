"""Search runs, their blocks and results, and the family-table digests.

No ``from __future__ import annotations`` here: SQLModel needs real annotations.

* A :class:`SearchRun` records everything needed to reproduce it: frequency table id and
  SHA-256, mutation model and rate, thresholds, the prior policy, the profile versions used
  (``profile_versions`` JSON: ``{"relatives": {id: version}, "remains": {id: version}}``), an
  inputs digest, the kinship engine version and the dnacase version.
* A run is split into blocks of families (:class:`SearchBlock`, unique ``(run_id, block_no)``);
  a block's results and its ``done`` mark are written in one transaction, so an interrupted
  run resumes with the blocks not done and never duplicates or loses a result.
* :class:`SearchResult`: one remains x one family (missing person) pair; LRs are log10
  (``log10_lr`` combined, ``per_locus`` JSON ``{locus: log10 LR}``); the posterior is stored as a
  probability and as log10 posterior odds. Unique ``(run_id, remains_id, missing_person_id)``.
* Pool sums (the denominators of the posteriors, see :mod:`dnacase.services.posteriors`): a
  run over the whole grid (scope ``all`` or ``incremental``) sums the LRs of *every* pair it
  scored, stored or not. Each block's partial sums (``SearchBlock.family_sums`` /
  ``remains_sums``: float64 ``(3, n)`` bytes = log10 largest term, index of its other side,
  log10 sum of the other terms) are written in the block's transaction; when the run finishes
  they are folded into :class:`SearchPoolSum` rows (one per remains and per family) and the
  block copies are cleared.
* :class:`FamilyTableDigest`: the digest of the data a family's LR table was last built from;
  the table itself is cached on disk under the var directory keyed by that digest.
"""

import datetime as dt

from sqlalchemy import CheckConstraint, Column, Index, LargeBinary, Text, UniqueConstraint

from dnacase.models.base import Field, SQLModel, json_field, utc_field

RUN_STATUSES: tuple[str, ...] = ("queued", "running", "done", "failed", "interrupted")
RUN_SCOPES: tuple[str, ...] = ("all", "family", "remains", "pair", "incremental")


class SearchRun(SQLModel, table=True):
    """One search run (blind search, or one remains / one family on demand)."""

    __tablename__ = "search_runs"
    __table_args__ = (
        CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed', 'interrupted')",
            name="status_known",
        ),
        CheckConstraint(
            "scope IN ('all', 'family', 'remains', 'pair', 'incremental')", name="scope_known"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    status: str = Field(default="queued", max_length=16, index=True)
    scope: str = Field(default="all", max_length=16)
    missing_person_id: int | None = Field(default=None, foreign_key="missing_persons.id")
    remains_id: int | None = Field(default=None, foreign_key="remains.id")
    frequency_table: str = Field(max_length=64)
    frequency_sha256: str = Field(default="", max_length=64)
    mutation_model: str = Field(default="stepwise", max_length=16)
    mutation_rate: float = Field(default=0.001)
    mutation_range: float | None = Field(default=None)
    lr_threshold: float = Field(default=10_000.0)
    posterior_threshold: float = Field(default=0.999)
    store_min_log10: float = Field(default=2.0)
    prior_mode: str = Field(default="flat", max_length=16)
    prior_value: float | None = Field(default=None)
    parameters: dict | None = json_field()
    profile_versions: dict | None = json_field()
    inputs_digest: str = Field(default="", max_length=64)
    engine_version: str = Field(default="", max_length=64)
    software_version: str = Field(default="", max_length=32)
    n_remains: int = Field(default=0)
    n_families: int = Field(default=0)
    pairs_total: int = Field(default=0)
    pairs_done: int = Field(default=0)
    blocks_total: int = Field(default=0)
    blocks_done: int = Field(default=0)
    tables_built: int = Field(default=0)
    results_count: int = Field(default=0)
    rate_pairs_per_s: float | None = Field(default=None)
    seconds_left: float | None = Field(default=None)
    executor: str = Field(default="local", max_length=200)
    error: str = Field(default="", sa_type=Text)
    notes: dict | None = json_field()
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: dt.datetime = utc_field()
    started_at: dt.datetime | None = utc_field(nullable=True)
    heartbeat_at: dt.datetime | None = utc_field(nullable=True)
    finished_at: dt.datetime | None = utc_field(nullable=True)


class SearchBlock(SQLModel, table=True):
    """A block of a run: families ``[family_start, family_stop)`` of the run's family order."""

    __tablename__ = "search_blocks"
    __table_args__ = (UniqueConstraint("run_id", "block_no"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="search_runs.id", index=True)
    block_no: int
    family_start: int
    family_stop: int
    done: bool = Field(default=False)
    results: int = Field(default=0)
    seconds: float | None = Field(default=None)
    done_at: dt.datetime | None = utc_field(nullable=True)
    family_sums: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    remains_sums: bytes | None = Field(default=None,
                                       sa_column=Column(LargeBinary, nullable=True))


class SearchResult(SQLModel, table=True):
    """One remains x family pair of a run (log10 LRs; H1: the remains are the missing person
    of the family pedigree; H2: the remains are of a person unrelated to the family)."""

    __tablename__ = "search_results"
    __table_args__ = (UniqueConstraint("run_id", "remains_id", "missing_person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="search_runs.id", index=True)
    block_no: int
    remains_id: int = Field(foreign_key="remains.id", index=True)
    missing_person_id: int = Field(foreign_key="missing_persons.id", index=True)
    log10_lr: float
    per_locus: dict | None = json_field()
    loci_compared: int = Field(default=0)
    inconsistent: list | None = json_field()
    prior: float
    log10_posterior_odds: float
    posterior: float
    candidate: bool = Field(default=False, index=True)
    #: remains loci read as one called allele: {locus: "peak" (allele dropout with
    #: probability ``dropout``) | "off_ladder" (a called allele beside an off-ladder peak)}
    one_allele: dict | None = json_field()
    dropout: float | None = Field(default=None)
    #: ``log10_lr`` is the combined LR of all typed evidence; this is its autosomal part
    #: (None: runs before combined LRs, where ``log10_lr`` is autosomal) and ``lineage_lr``
    #: the lineage parts ``{"mtDNA": log10 LR | "excluded", "Y-STR": ...}`` (None: none)
    log10_lr_autosomal: float | None = Field(default=None)
    lineage_lr: dict | None = json_field()
    created_at: dt.datetime = utc_field()


POOL_SIDES: tuple[str, ...] = ("remains", "family")


class SearchPoolSum(SQLModel, table=True):
    """The sum of the LRs of every pair a run scored for one remains (``side="remains"``,
    ``subject_id`` = remains id; sum over the families) or one family (``side="family"``,
    ``subject_id`` = missing person id; sum over the remains), kept as its largest term
    (``log10_max``; ``best_id`` = the other side of that pair) and the log10 sum of the other
    terms (``log10_rest``); ``None`` is log10 of 0 (no pair, or every LR 0)."""

    __tablename__ = "search_pool_sums"
    __table_args__ = (
        UniqueConstraint("run_id", "side", "subject_id"),
        CheckConstraint("side IN ('remains', 'family')", name="side_known"),
        Index("ix_search_pool_sums_side_subject", "side", "subject_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="search_runs.id", index=True)
    side: str = Field(max_length=8)
    subject_id: int
    log10_max: float | None = Field(default=None)
    best_id: int | None = Field(default=None)
    log10_rest: float | None = Field(default=None)


class FamilyTableDigest(SQLModel, table=True):
    """Digest of the data a family's LR table was last built from (rebuild when it changes)."""

    __tablename__ = "search_family_tables"

    missing_person_id: int = Field(foreign_key="missing_persons.id", primary_key=True)
    digest: str = Field(max_length=64)
    built_at: dt.datetime = utc_field()
