"""Re-association of remains: pairs of remains samples that may be one individual, reviewers'
"same individual" decisions, and the groups of remains re-associated as one individual.

No ``from __future__ import annotations`` here: SQLModel needs real annotations.

* :class:`RemainsPair`: two remains (``remains_a_id < remains_b_id``, unique) whose identity LR
  (log10, :mod:`dnacase.kinship.identity`) passed the scan's threshold. Status ``open`` ->
  ``confirmed`` (two different reviewers said "same individual") / ``rejected`` (one reviewer
  said "different individuals"); ``details`` holds the loci compared, the dropout and mismatch
  loci and the model parameters.
* :class:`RemainsPairDecision`: one reviewer's decision (unique ``(pair, reviewer)``).
* :class:`RemainsGroup` / :class:`RemainsGroupMember`: remains re-associated as one individual;
  a remains belongs to at most one group (``remains_id`` unique). The search uses the group's
  consensus profile under the lowest member id (the group's *representative*).
"""

import datetime as dt
from typing import Any

from sqlalchemy import CheckConstraint, Text, UniqueConstraint

from dnacase.models.base import Field, SQLModel, json_field, utc_field

PAIR_STATUSES: tuple[str, ...] = ("open", "confirmed", "rejected")
PAIR_DECISIONS: tuple[str, ...] = ("same", "different")


class RemainsPair(SQLModel, table=True):
    """Two remains that may be one individual (a re-association candidate)."""

    __tablename__ = "remains_pairs"
    __table_args__ = (
        UniqueConstraint("remains_a_id", "remains_b_id"),
        CheckConstraint("remains_a_id < remains_b_id", name="ordered"),
        CheckConstraint("status IN ('open', 'confirmed', 'rejected')", name="status_known"),
    )

    id: int | None = Field(default=None, primary_key=True)
    remains_a_id: int = Field(foreign_key="remains.id", index=True)
    remains_b_id: int = Field(foreign_key="remains.id", index=True)
    status: str = Field(default="open", max_length=16, index=True)
    log10_lr: float
    loci_compared: int = Field(default=0)
    versions: str = Field(default="", max_length=200)
    details: dict[str, Any] | None = json_field()
    confirmed_at: dt.datetime | None = utc_field(nullable=True)
    created_at: dt.datetime = utc_field()
    updated_at: dt.datetime = utc_field()


class RemainsPairDecision(SQLModel, table=True):
    """One reviewer's "same individual" / "different individuals" decision on a pair."""

    __tablename__ = "remains_pair_decisions"
    __table_args__ = (
        UniqueConstraint("pair_id", "reviewer_id"),
        CheckConstraint("decision IN ('same', 'different')", name="decision_known"),
    )

    id: int | None = Field(default=None, primary_key=True)
    pair_id: int = Field(foreign_key="remains_pairs.id", index=True)
    reviewer_id: int = Field(foreign_key="users.id")
    decision: str = Field(max_length=16)
    reason: str = Field(sa_type=Text)
    created_at: dt.datetime = utc_field()


class RemainsGroup(SQLModel, table=True):
    """Remains re-associated as one individual."""

    __tablename__ = "remains_groups"

    id: int | None = Field(default=None, primary_key=True)
    created_at: dt.datetime = utc_field()
    updated_at: dt.datetime = utc_field()


class RemainsGroupMember(SQLModel, table=True):
    """A remains in a group (at most one group per remains); ``pair_id``: the confirmed pair
    that brought it in."""

    __tablename__ = "remains_group_members"

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="remains_groups.id", index=True)
    remains_id: int = Field(foreign_key="remains.id", unique=True)
    pair_id: int | None = Field(default=None, foreign_key="remains_pairs.id")
    added_at: dt.datetime = utc_field()
