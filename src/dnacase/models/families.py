"""Reference persons (relatives of missing persons) and their recorded relationships.

No ``from __future__ import annotations`` here: SQLModel needs real annotations.
A relative may be recorded for several missing persons (a mother who lost two sons): one row in
``family_relationships`` per (missing person, relative). Relationship codes come from
:mod:`dnacase.domain.relationships`; ``via_relative_id`` names the relative a relationship goes
through (the sibling of a niece, the child of a grandchild, ...).
"""

import datetime as dt

from sqlalchemy import CheckConstraint, Text, UniqueConstraint

from dnacase.models.base import Field, SQLModel, utc_field

CONSENT_SCOPES: tuple[str, ...] = ("identification", "identification_and_search", "research")


class Relative(SQLModel, table=True):
    """A reference person. The signed consent form is a file on disk (path relative to the
    configured upload directory) with its SHA-256."""

    __tablename__ = "relatives"
    __table_args__ = (CheckConstraint("sex IN ('M', 'F', 'U')", name="sex_known"),)

    id: int | None = Field(default=None, primary_key=True)
    full_name: str = Field(max_length=200)
    name_key: str = Field(max_length=200, index=True)
    sex: str = Field(default="U", max_length=1)
    birth_year: int | None = Field(default=None)
    id_document: str = Field(default="", max_length=64)
    contact: str = Field(default="", max_length=300)
    deceased: bool = Field(default=False)
    consent_date: dt.date | None = Field(default=None)
    consent_scope: str = Field(default="", max_length=32)
    consent_form_path: str = Field(default="", max_length=300)
    consent_form_name: str = Field(default="", max_length=200)
    consent_form_sha256: str = Field(default="", max_length=64)
    notes: str = Field(default="", sa_type=Text)
    created_at: dt.datetime = utc_field()
    updated_at: dt.datetime = utc_field()


class FamilyRelationship(SQLModel, table=True):
    """The relative is ``relationship`` of the missing person (through ``via_relative_id``)."""

    __tablename__ = "family_relationships"
    __table_args__ = (UniqueConstraint("missing_person_id", "relative_id"),)

    id: int | None = Field(default=None, primary_key=True)
    missing_person_id: int = Field(foreign_key="missing_persons.id", index=True)
    relative_id: int = Field(foreign_key="relatives.id", index=True)
    relationship: str = Field(max_length=32)
    via_relative_id: int | None = Field(default=None, foreign_key="relatives.id")
    created_at: dt.datetime = utc_field()
