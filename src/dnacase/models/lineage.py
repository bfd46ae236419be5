"""Population haplotype databases for the lineage markers (mtDNA, Y-STR).

No ``from __future__ import annotations`` here: SQLModel needs real annotations.

* ``haplotype_databases``: an imported file of population haplotypes (EMPOP-style mtDNA or a
  Y-STR haplotype table) with its population and N, stored as received; the lineage LRs of the
  review count the remains' haplotype in it (95 % Clopper-Pearson upper bound).
"""

import datetime as dt

from sqlalchemy import CheckConstraint, Column, LargeBinary, Text

from dnacase.models.base import Field, SQLModel, utc_field

#: Marker of a haplotype database (the profile marker types of the same data).
HAPLOTYPE_MARKERS: tuple[str, ...] = ("mtDNA", "Y_STR")


class HaplotypeDatabaseRecord(SQLModel, table=True):
    """One imported population haplotype database (the file as received)."""

    __tablename__ = "haplotype_databases"
    __table_args__ = (
        CheckConstraint("marker IN ('mtDNA', 'Y_STR')", name="marker_known"),
    )

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True)
    marker: str = Field(max_length=16)
    population: str = Field(max_length=200)
    n_haplotypes: int = Field(default=0)
    source: str = Field(default="", sa_type=Text)
    source_format: str = Field(max_length=32)
    filename: str = Field(max_length=300)
    sha256: str = Field(max_length=64)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: dt.datetime = utc_field()
