"""Typed dependency markers for handlers (Litestar 2.23+ style; inferred ones are deprecated).

    from dnacase.web.deps import AuthUser, DbSession, FromPath, FromQuery, MaybeUser

    @get("/kits/{kit_id:int}")
    async def show(self, db_session: DbSession, user: AuthUser, kit_id: FromPath[int]) -> ...

``db_session``: the request's ``AsyncSession`` (one transaction per request: committed when the
handler returns, rolled back if it raises). ``user``: the logged-in :class:`CurrentUser`
(``MaybeUser`` on public routes, where it may be ``None``). The parameter names must be exactly
``db_session`` and ``user``.
"""

from __future__ import annotations

from typing import TypeAlias

from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from sqlalchemy.ext.asyncio import AsyncSession

from dnacase.web.auth import CurrentUser

DbSession: TypeAlias = NamedDependency[AsyncSession]
AuthUser: TypeAlias = NamedDependency[CurrentUser]
MaybeUser: TypeAlias = NamedDependency[CurrentUser | None]

__all__ = ["AuthUser", "DbSession", "FromPath", "FromQuery", "MaybeUser"]
