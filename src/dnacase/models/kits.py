"""Kits, the samples collected with them, and shipments to the laboratory.

No ``from __future__ import annotations`` here: SQLModel needs real annotations.
A kit's ``state`` follows :mod:`dnacase.domain.kit_states`; one kit carries one sample.
"""

import datetime as dt

from sqlalchemy import CheckConstraint, Text, UniqueConstraint

from dnacase.models.base import Field, SQLModel, UTCDateTime, utc_field

SAMPLE_KINDS: tuple[str, ...] = ("reference", "remains")
REFERENCE_SAMPLE_TYPES: tuple[str, ...] = ("buccal_swab", "blood_card")
REMAINS_SAMPLE_TYPES: tuple[str, ...] = ("bone_or_tooth",)
REMAINS_ELEMENTS: tuple[str, ...] = (
    "tooth", "petrous bone", "femur", "tibia", "humerus", "other long bone", "other",
)
SHIPMENT_ITEM_STATUSES: tuple[str, ...] = ("listed", "received", "missing", "unexpected")


class KitBatch(SQLModel, table=True):
    """A batch of kits registered together (consecutive sequence numbers of one year)."""

    __tablename__ = "kit_batches"

    id: int | None = Field(default=None, primary_key=True)
    year: int
    first_sequence: int
    count: int
    notes: str = Field(default="", max_length=300)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: dt.datetime = utc_field()


class Kit(SQLModel, table=True):
    """A barcoded collection kit (``barcode`` is the accession number with check digits)."""

    __tablename__ = "kits"
    __table_args__ = (
        UniqueConstraint("year", "sequence"),
        CheckConstraint(
            "state IN ('issued', 'collected', 'shipped', 'received', 'profiled', 'failed')",
            name="state_known",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    barcode: str = Field(max_length=32, unique=True)
    year: int
    sequence: int
    batch_id: int = Field(foreign_key="kit_batches.id", index=True)
    state: str = Field(default="issued", max_length=16, index=True)
    created_at: dt.datetime = utc_field()
    updated_at: dt.datetime = utc_field()


class Sample(SQLModel, table=True):
    """The sample a kit carries: a reference sample from a relative or a remains sample."""

    __tablename__ = "samples"
    __table_args__ = (
        CheckConstraint("kind IN ('reference', 'remains')", name="kind_known"),
        CheckConstraint(
            "(kind = 'reference' AND relative_id IS NOT NULL AND remains_id IS NULL) OR "
            "(kind = 'remains' AND remains_id IS NOT NULL AND relative_id IS NULL)",
            name="source_matches_kind",
        ),
        CheckConstraint(
            "dropout_probability IS NULL OR "
            "(dropout_probability >= 0 AND dropout_probability < 1)",
            name="dropout_probability_range",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    kit_id: int = Field(foreign_key="kits.id", unique=True)
    kind: str = Field(max_length=16)
    sample_type: str = Field(max_length=32)
    relative_id: int | None = Field(default=None, foreign_key="relatives.id", index=True)
    remains_id: int | None = Field(default=None, foreign_key="remains.id", index=True)
    element: str = Field(default="", max_length=64)
    collected_at: dt.datetime = Field(sa_type=UTCDateTime)
    collected_by_id: int | None = Field(default=None, foreign_key="users.id")
    collector_name: str = Field(default="", max_length=200)
    place: str = Field(default="", max_length=300)
    notes: str = Field(default="", sa_type=Text)
    #: allele dropout probability per allele copy set by the lab or a reviewer; None = the
    #: default of the sample type (:data:`dnacase.services.dropout.DEFAULT_DROPOUT`)
    dropout_probability: float | None = Field(default=None)
    created_at: dt.datetime = utc_field()


class Shipment(SQLModel, table=True):
    """Kits sent together to a laboratory; checked in there against the manifest."""

    __tablename__ = "shipments"
    __table_args__ = (
        UniqueConstraint("year", "sequence"),
        CheckConstraint("state IN ('sent', 'received')", name="state_known"),
    )

    id: int | None = Field(default=None, primary_key=True)
    accession: str = Field(max_length=32, unique=True)
    year: int
    sequence: int
    lab_name: str = Field(max_length=200)
    state: str = Field(default="sent", max_length=16, index=True)
    sent_at: dt.datetime = utc_field()
    sent_by_id: int | None = Field(default=None, foreign_key="users.id")
    received_at: dt.datetime | None = utc_field(nullable=True)
    received_by_id: int | None = Field(default=None, foreign_key="users.id")
    notes: str = Field(default="", sa_type=Text)
    created_at: dt.datetime = utc_field()


class ShipmentItem(SQLModel, table=True):
    """A kit on a shipment's manifest (``listed``), or found at check-in (``received``,
    ``missing``: listed but not found, ``unexpected``: found but not listed)."""

    __tablename__ = "shipment_items"
    __table_args__ = (
        UniqueConstraint("shipment_id", "barcode"),
        CheckConstraint(
            "status IN ('listed', 'received', 'missing', 'unexpected')", name="status_known"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    shipment_id: int = Field(foreign_key="shipments.id", index=True)
    kit_id: int | None = Field(default=None, foreign_key="kits.id", index=True)
    barcode: str = Field(max_length=32)
    status: str = Field(default="listed", max_length=16)
