"""Users, their roles, login throttling and server-side web sessions.

No ``from __future__ import annotations`` here: SQLModel relationships need real annotations.
"""

import datetime as dt

from sqlalchemy import CheckConstraint, Column, ForeignKey, Integer, LargeBinary

from dnacase.models.base import Field, Relationship, SQLModel, UTCDateTime, utc_field

ROLES: tuple[str, ...] = ("collector", "lab", "reviewer", "admin")
"""All roles. A user may hold several."""


class User(SQLModel, table=True):
    """A person who logs in. Never deleted: deactivate instead (audit entries refer to users)."""

    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    display_name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=254)
    password_hash: str = Field(max_length=255)
    locale: str = Field(default="vi", max_length=8)
    is_active: bool = Field(default=True)
    created_at: dt.datetime = utc_field()
    updated_at: dt.datetime = utc_field()
    last_login_at: dt.datetime | None = utc_field(nullable=True)
    password_changed_at: dt.datetime = utc_field()

    roles: list["UserRole"] = Relationship(
        back_populates="user",
        sa_relationship_kwargs={"lazy": "selectin", "cascade": "all, delete-orphan"},
    )

    @property
    def role_names(self) -> frozenset[str]:
        return frozenset(r.role for r in self.roles)


class UserRole(SQLModel, table=True):
    """One role held by one user."""

    __tablename__ = "user_roles"
    __table_args__ = (
        CheckConstraint("role IN ('collector', 'lab', 'reviewer', 'admin')", name="role_known"),
    )

    user_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, nullable=False
        )
    )
    role: str = Field(max_length=16, primary_key=True)

    user: User | None = Relationship(back_populates="roles")


class LoginThrottle(SQLModel, table=True):
    """Failed-login counter per (username, client IP); ``locked_until`` blocks further attempts."""

    __tablename__ = "login_throttle"

    username: str = Field(max_length=64, primary_key=True)
    ip: str = Field(max_length=64, primary_key=True)
    failures: int = Field(default=0)
    last_failure_at: dt.datetime = utc_field()
    locked_until: dt.datetime | None = utc_field(nullable=True)


class WebSession(SQLModel, table=True):
    """Server-side session data (Litestar session store backed by the database)."""

    __tablename__ = "web_sessions"

    key: str = Field(max_length=128, primary_key=True)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    expires_at: dt.datetime | None = Field(
        default=None, sa_type=UTCDateTime, nullable=True, index=True
    )
