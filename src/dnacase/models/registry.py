"""The registry: missing persons, cemeteries, graves, remains and registry imports.

No ``from __future__ import annotations`` here: SQLModel needs real annotations.
``name_key``/``inscription_key`` hold :func:`dnacase.domain.names.name_key` of the name, for
search with or without diacritics. Dates of death are ISO partial dates (``YYYY``,
``YYYY-MM`` or ``YYYY-MM-DD``) because the registry often knows only the year.
"""

import datetime as dt

from sqlalchemy import CheckConstraint, Text, UniqueConstraint

from dnacase.models.base import Field, SQLModel, utc_field

MISSING_PERSON_STATUSES: tuple[str, ...] = ("missing", "identified")
GRAVE_STATUSES: tuple[str, ...] = ("unnamed", "named_unconfirmed", "identified")
SEXES: tuple[str, ...] = ("M", "F", "U")


class MissingPerson(SQLModel, table=True):
    """A missing person (one of the war dead) from the registry."""

    __tablename__ = "missing_persons"
    __table_args__ = (
        CheckConstraint("status IN ('missing', 'identified')", name="status_known"),
        CheckConstraint("sex IN ('M', 'F', 'U')", name="sex_known"),
    )

    id: int | None = Field(default=None, primary_key=True)
    registry_number: str = Field(max_length=64, unique=True)
    full_name: str = Field(max_length=200)
    name_key: str = Field(max_length=200, index=True)
    sex: str = Field(default="M", max_length=1)
    birth_year: int | None = Field(default=None)
    home_village: str = Field(default="", max_length=200)
    home_commune: str = Field(default="", max_length=200)
    home_district: str = Field(default="", max_length=200)
    home_province: str = Field(default="", max_length=200, index=True)
    unit: str = Field(default="", max_length=200)
    death_date: str = Field(default="", max_length=10)
    death_place: str = Field(default="", max_length=300)
    initial_burial_place: str = Field(default="", max_length=300)
    status: str = Field(default="missing", max_length=16, index=True)
    notes: str = Field(default="", sa_type=Text)
    created_at: dt.datetime = utc_field()
    updated_at: dt.datetime = utc_field()


class Cemetery(SQLModel, table=True):
    """A cemetery (nghĩa trang liệt sĩ) with its administrative location and coordinates."""

    __tablename__ = "cemeteries"
    __table_args__ = (
        UniqueConstraint("name", "province"),
        CheckConstraint("candidate_pool_size IS NULL OR candidate_pool_size >= 2",
                        name="candidate_pool_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    name_key: str = Field(max_length=200, index=True)
    commune: str = Field(default="", max_length=200)
    district: str = Field(default="", max_length=200)
    province: str = Field(default="", max_length=200)
    latitude: float | None = Field(default=None)
    longitude: float | None = Field(default=None)
    #: number of missing persons who could be buried here (the search's ``area`` prior is
    #: ``1 / candidate_pool_size`` for remains from its graves); None: the flat default
    candidate_pool_size: int | None = Field(default=None)
    notes: str = Field(default="", sa_type=Text)
    created_at: dt.datetime = utc_field()
    updated_at: dt.datetime = utc_field()


class Grave(SQLModel, table=True):
    """A grave in a cemetery, at (plot, row, number); status unnamed / named / identified."""

    __tablename__ = "graves"
    __table_args__ = (
        UniqueConstraint("cemetery_id", "plot", "row", "number"),
        CheckConstraint(
            "status IN ('unnamed', 'named_unconfirmed', 'identified')", name="status_known"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    cemetery_id: int = Field(foreign_key="cemeteries.id", index=True)
    plot: str = Field(default="", max_length=32)
    row: str = Field(default="", max_length=32)
    number: str = Field(max_length=32)
    inscription: str = Field(default="", max_length=300)
    inscription_key: str = Field(default="", max_length=300, index=True)
    status: str = Field(default="unnamed", max_length=24)
    registry_number: str = Field(default="", max_length=64)
    missing_person_id: int | None = Field(default=None, foreign_key="missing_persons.id",
                                          index=True)
    notes: str = Field(default="", sa_type=Text)
    created_at: dt.datetime = utc_field()
    updated_at: dt.datetime = utc_field()

    @property
    def label(self) -> str:
        """The place as staff write it, e.g. ``A-3-12``."""
        return "-".join(p for p in (self.plot, self.row, self.number) if p)


class Remains(SQLModel, table=True):
    """Human remains: from a grave, or from a recovery site outside a cemetery."""

    __tablename__ = "remains"

    id: int | None = Field(default=None, primary_key=True)
    grave_id: int | None = Field(default=None, foreign_key="graves.id", index=True)
    recovery_site: str = Field(default="", max_length=300)
    recovery_date: dt.date | None = Field(default=None)
    notes: str = Field(default="", sa_type=Text)
    created_at: dt.datetime = utc_field()


class RegistryImport(SQLModel, table=True):
    """One accepted CSV import (registry or grave list) with the file's SHA-256 and counts."""

    __tablename__ = "registry_imports"
    __table_args__ = (CheckConstraint("kind IN ('registry', 'graves')", name="kind_known"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    cemetery_id: int | None = Field(default=None, foreign_key="cemeteries.id")
    filename: str = Field(max_length=300)
    sha256: str = Field(max_length=64, index=True)
    rows: int = Field(default=0)
    created: int = Field(default=0)
    unchanged: int = Field(default=0)
    actor_id: int | None = Field(default=None, foreign_key="users.id")
    at: dt.datetime = utc_field()
