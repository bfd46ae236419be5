"""Review of search candidates: cases, reviewers' decisions and identifications.

No ``from __future__ import annotations`` here: SQLModel needs real annotations.

* :class:`ReviewCase`: one remains x missing person candidate (unique pair) pointing at the
  search result that put it in the queue. Status: ``open`` -> ``confirmed`` (two different
  reviewers confirmed) / ``rejected`` / ``more_references``; ``confirmed`` -> ``withdrawn``
  (admin only, with a reason). ``round`` increases when a case is reopened by a new search.
  ``closed_rival``: another case of the same remains or the same missing person was confirmed
  (``closed_by_case_id``); reopened (next round) when that identification is withdrawn.
* At most one ``confirmed`` case per remains and per missing person: two partial unique indexes
  (``uq_review_cases_confirmed_remains``, ``uq_review_cases_confirmed_missing_person``) make the
  database refuse a contradictory identification even if two confirmations race.
* :class:`ReviewDecision`: one reviewer's decision in one round (unique ``(case, round,
  reviewer)``: the same reviewer cannot decide twice). Decisions are never deleted. A confirmation
  made while rival cases were open records the ids of the rivals the reviewer acknowledged.
"""

import datetime as dt

from sqlalchemy import CheckConstraint, Index, Text, UniqueConstraint, text

from dnacase.models.base import Field, SQLModel, json_field, utc_field

CASE_STATUSES: tuple[str, ...] = (
    "open", "confirmed", "rejected", "more_references", "withdrawn", "closed_rival")
#: Statuses of a case still waiting for a decision (its rivals must be acknowledged to confirm).
ACTIVE_STATUSES: tuple[str, ...] = ("open", "more_references")
_CONFIRMED = text("status = 'confirmed'")
DECISIONS: tuple[str, ...] = ("confirm", "reject", "more_references")


class ReviewCase(SQLModel, table=True):
    """A candidate identification under review."""

    __tablename__ = "review_cases"
    __table_args__ = (
        UniqueConstraint("remains_id", "missing_person_id"),
        CheckConstraint(
            "status IN ('open', 'confirmed', 'rejected', 'more_references', 'withdrawn', "
            "'closed_rival')",
            name="status_known",
        ),
        Index("uq_review_cases_confirmed_remains", "remains_id", unique=True,
              postgresql_where=_CONFIRMED, sqlite_where=_CONFIRMED),
        Index("uq_review_cases_confirmed_missing_person", "missing_person_id", unique=True,
              postgresql_where=_CONFIRMED, sqlite_where=_CONFIRMED),
    )

    id: int | None = Field(default=None, primary_key=True)
    remains_id: int = Field(foreign_key="remains.id", index=True)
    missing_person_id: int = Field(foreign_key="missing_persons.id", index=True)
    result_id: int = Field(foreign_key="search_results.id")
    status: str = Field(default="open", max_length=16, index=True)
    round: int = Field(default=1)
    log10_lr: float
    posterior: float
    confirmed_at: dt.datetime | None = utc_field(nullable=True)
    withdrawn_at: dt.datetime | None = utc_field(nullable=True)
    withdrawn_by_id: int | None = Field(default=None, foreign_key="users.id")
    withdraw_reason: str = Field(default="", sa_type=Text)
    #: the confirmed case whose confirmation closed this one (status ``closed_rival``)
    closed_by_case_id: int | None = Field(default=None, foreign_key="review_cases.id")
    #: why a closed case was closed when it is not a plain rival (re-associated remains: the
    #: same individual's identification, or a non-representative member of a new group)
    closed_reason: str | None = Field(default=None, sa_type=Text)
    created_at: dt.datetime = utc_field()
    updated_at: dt.datetime = utc_field()


class ReviewDecision(SQLModel, table=True):
    """One reviewer's decision on a case in a round."""

    __tablename__ = "review_decisions"
    __table_args__ = (
        UniqueConstraint("case_id", "round", "reviewer_id"),
        CheckConstraint(
            "decision IN ('confirm', 'reject', 'more_references')", name="decision_known"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="review_cases.id", index=True)
    round: int = Field(default=1)
    reviewer_id: int = Field(foreign_key="users.id")
    decision: str = Field(max_length=16)
    reason: str = Field(sa_type=Text)
    suggested_relative: str = Field(default="", max_length=200)
    #: ids of the rival cases that were open when the reviewer confirmed (acknowledged)
    rivals_acknowledged: list | None = json_field()
    result_id: int = Field(foreign_key="search_results.id")
    created_at: dt.datetime = utc_field()
