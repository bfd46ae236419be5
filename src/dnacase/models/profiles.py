"""Lab results: stored files, imports, profile versions, QC flags, elimination profiles,
imported frequency tables and SNP panels.

No ``from __future__ import annotations`` here: SQLModel needs real annotations.

* ``profile_files``: each raw file once (``sha256`` unique), its bytes kept.
* ``profile_imports``: one committed import of one file by one lab (never two of the same file).
* ``profiles``: one row per *version* of a sample's profile of one marker type. A re-issued
  profile supersedes the current version (``status`` ``superseded``, ``superseded_by_id`` and the
  reason); nothing is deleted. ``loci`` is JSON (see :mod:`dnacase.services.profiles`):
  STR ``{locus: {"alleles": [...], "single_peak": true, "off_ladder": [...], ...}}``, mtDNA
  ``{"variants": [...], "ranges": [[a, b], ...], "haplogroup": ...}``, SNP
  ``{"panel_id": n, "gt": "0/1,1/1,./.", "gq": [...], "dp": [...]}``.
* ``profile_qc_flags``: QC findings of a profile (mixture, contamination signs, sex mismatch,
  duplicate, elimination match, family inconsistency, partial profile), open until resolved.
* ``elimination_profiles``: staff profiles (collection and lab staff), to flag contamination.
* ``frequency_tables``: imported allele frequency tables (the shipped defaults stay files).
"""

import datetime as dt
from typing import Any

from sqlalchemy import CheckConstraint, Column, Index, LargeBinary, Text, UniqueConstraint

from dnacase.models.base import Field, SQLModel, json_field, utc_field

MARKER_TYPES: tuple[str, ...] = ("autosomal_STR", "Y_STR", "mtDNA", "SNP")
PROFILE_STATUSES: tuple[str, ...] = ("current", "superseded")
IMPORT_PURPOSES: tuple[str, ...] = ("profiles", "elimination")
QC_KINDS: tuple[str, ...] = (
    "mixture", "contamination", "sex_mismatch", "duplicate", "elimination_match",
    "family_inconsistency", "partial",
)
QC_SEVERITIES: tuple[str, ...] = ("info", "review", "hold")
FLAG_STATUSES: tuple[str, ...] = ("open", "resolved")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class ProfileFile(SQLModel, table=True):
    """A raw result file as received (stored once, identified by its SHA-256)."""

    __tablename__ = "profile_files"

    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(max_length=64, unique=True)
    filename: str = Field(max_length=300)
    format: str = Field(max_length=32)
    encoding: str = Field(default="", max_length=32)
    size_bytes: int = Field(default=0)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    uploaded_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: dt.datetime = utc_field()


class ProfileImport(SQLModel, table=True):
    """One committed import: which file, which lab, who, when, and what it changed."""

    __tablename__ = "profile_imports"
    __table_args__ = (CheckConstraint(_in("purpose", IMPORT_PURPOSES), name="purpose_known"),)

    id: int | None = Field(default=None, primary_key=True)
    file_id: int = Field(foreign_key="profile_files.id", unique=True)
    purpose: str = Field(default="profiles", max_length=16)
    lab: str = Field(max_length=200)
    reason: str = Field(default="", sa_type=Text)
    n_samples: int = Field(default=0)
    n_new: int = Field(default=0)
    n_versions: int = Field(default=0)
    n_unchanged: int = Field(default=0)
    n_flagged: int = Field(default=0)
    n_held: int = Field(default=0)
    summary: Any = json_field()
    actor_id: int | None = Field(default=None, foreign_key="users.id")
    actor_username: str = Field(default="", max_length=64)
    at: dt.datetime = utc_field(index=True)


class Profile(SQLModel, table=True):
    """One version of one sample's profile of one marker type."""

    __tablename__ = "profiles"
    __table_args__ = (
        UniqueConstraint("sample_id", "marker_type", "version"),
        CheckConstraint(_in("marker_type", MARKER_TYPES), name="marker_type_known"),
        CheckConstraint(_in("status", PROFILE_STATUSES), name="status_known"),
        Index("ix_profiles_kit_current", "kit_id", "marker_type", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    sample_id: int = Field(foreign_key="samples.id", index=True)
    kit_id: int = Field(foreign_key="kits.id")
    marker_type: str = Field(max_length=16)
    version: int = Field(default=1)
    status: str = Field(default="current", max_length=16)
    typing_kit: str = Field(default="", max_length=64)
    lab: str = Field(max_length=200)
    import_id: int = Field(foreign_key="profile_imports.id", index=True)
    file_line: int | None = Field(default=None)
    name_in_file: str = Field(default="", max_length=200)
    loci: Any = json_field(nullable=False)
    n_loci: int = Field(default=0)
    n_autosomal: int = Field(default=0)
    sex: str | None = Field(default=None, max_length=1)
    mixture: bool = Field(default=False)
    single_source: bool = Field(default=True)
    override_reason: str = Field(default="", sa_type=Text)
    override_by_id: int | None = Field(default=None, foreign_key="users.id")
    digest: str = Field(max_length=64, index=True)
    supersedes_id: int | None = Field(default=None, foreign_key="profiles.id")
    superseded_by_id: int | None = Field(default=None, foreign_key="profiles.id")
    supersede_reason: str = Field(default="", sa_type=Text)
    superseded_at: dt.datetime | None = utc_field(nullable=True)
    last_searched_at: dt.datetime | None = utc_field(nullable=True)
    created_at: dt.datetime = utc_field()


class ProfileQCFlag(SQLModel, table=True):
    """A QC finding about one profile version (``hold``: not used as single-source)."""

    __tablename__ = "profile_qc_flags"
    __table_args__ = (
        CheckConstraint(_in("kind", QC_KINDS), name="kind_known"),
        CheckConstraint(_in("severity", QC_SEVERITIES), name="severity_known"),
        CheckConstraint(_in("status", FLAG_STATUSES), name="status_known"),
    )

    id: int | None = Field(default=None, primary_key=True)
    profile_id: int = Field(foreign_key="profiles.id", index=True)
    kit_id: int = Field(foreign_key="kits.id", index=True)
    kind: str = Field(max_length=24)
    severity: str = Field(default="review", max_length=8)
    message: str = Field(sa_type=Text)
    details: Any = json_field()
    status: str = Field(default="open", max_length=8, index=True)
    resolved_by_id: int | None = Field(default=None, foreign_key="users.id")
    resolved_at: dt.datetime | None = utc_field(nullable=True)
    resolution: str = Field(default="", sa_type=Text)
    created_at: dt.datetime = utc_field()


class EliminationProfile(SQLModel, table=True):
    """A staff member's profile (``code``: the staff code written as sample name)."""

    __tablename__ = "elimination_profiles"
    __table_args__ = (
        UniqueConstraint("code", "marker_type", "version"),
        CheckConstraint(_in("marker_type", MARKER_TYPES), name="marker_type_known"),
        CheckConstraint(_in("status", PROFILE_STATUSES), name="status_known"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, index=True)
    marker_type: str = Field(default="autosomal_STR", max_length=16)
    version: int = Field(default=1)
    status: str = Field(default="current", max_length=16)
    typing_kit: str = Field(default="", max_length=64)
    lab: str = Field(default="", max_length=200)
    import_id: int = Field(foreign_key="profile_imports.id")
    loci: Any = json_field(nullable=False)
    n_loci: int = Field(default=0)
    digest: str = Field(max_length=64)
    created_at: dt.datetime = utc_field()


class SNPPanel(SQLModel, table=True):
    """The variant list of a SNP panel (``chrom:pos:ref:alt`` keys), stored once."""

    __tablename__ = "snp_panels"

    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(max_length=64, unique=True)
    n_variants: int
    keys: Any = json_field(nullable=False)
    created_at: dt.datetime = utc_field()


class FrequencyTableRecord(SQLModel, table=True):
    """An imported allele frequency table (tidy CSV text as produced by
    :meth:`dnacase.formats.FrequencyTable.to_csv`)."""

    __tablename__ = "frequency_tables"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True)
    population: str = Field(max_length=200)
    n_individuals: int | None = Field(default=None)
    n_loci: int = Field(default=0)
    source: str = Field(default="", sa_type=Text)
    source_format: str = Field(default="csv", max_length=32)
    sha256: str = Field(max_length=64)
    content: str = Field(sa_type=Text)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: dt.datetime = utc_field()
