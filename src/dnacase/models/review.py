"""Review of search candidates: cases, reviewers' decisions and identifications.

No ``from __future__ import annotations`` here: SQLModel needs real annotations.

* :class:`ReviewCase`: one remains x missing person candidate (unique pair) pointing at the
  search result that put it in the queue. Status: ``open`` -> ``confirmed`` (two different
  reviewers confirmed) / ``rejected`` / ``more_references``; ``confirmed`` -> ``withdrawn``
  (admin only, with a reason). ``round`` increases when a case is reopened by a new search.
* :class:`ReviewDecision`: one reviewer's decision in one round (unique ``(case, round,
  reviewer)``: the same reviewer cannot decide twice). Decisions are never deleted.
"""

import datetime as dt

from sqlalchemy import CheckConstraint, Text, UniqueConstraint

from dnacase.models.base import Field, SQLModel, utc_field

CASE_STATUSES: tuple[str, ...] = ("open", "confirmed", "rejected", "more_references", "withdrawn")
DECISIONS: tuple[str, ...] = ("confirm", "reject", "more_references")


class ReviewCase(SQLModel, table=True):
    """A candidate identification under review."""

    __tablename__ = "review_cases"
    __table_args__ = (
        UniqueConstraint("remains_id", "missing_person_id"),
        CheckConstraint(
            "status IN ('open', 'confirmed', 'rejected', 'more_references', 'withdrawn')",
            name="status_known",
        ),
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
    result_id: int = Field(foreign_key="search_results.id")
    created_at: dt.datetime = utc_field()
