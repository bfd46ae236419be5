"""A Litestar :class:`~litestar.stores.base.Store` kept in the application database.

Why the database: sessions then work across worker processes and hosts that share the database
(a memory store does not; a file store only on one host), survive restarts, need no extra
service (Redis), and can be revoked with SQL. Expired rows are removed on read, and about once
every ``PURGE_EVERY`` writes all expired rows are purged (:meth:`DatabaseStore.delete_expired`).
"""

from __future__ import annotations

import datetime as dt

from litestar.stores.base import Store
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dnacase.db import as_utc, utcnow
from dnacase.models.users import WebSession

PURGE_EVERY = 500


def _expiry(expires_in: int | dt.timedelta | None) -> dt.datetime | None:
    if expires_in is None:
        return None
    seconds = expires_in.total_seconds() if isinstance(expires_in, dt.timedelta) else expires_in
    return utcnow() + dt.timedelta(seconds=seconds)


class DatabaseStore(Store):
    """Key/value store on the ``web_sessions`` table (one short transaction per call)."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker
        self._writes = 0

    async def set(
        self, key: str, value: str | bytes, expires_in: int | dt.timedelta | None = None
    ) -> None:
        data = value.encode() if isinstance(value, str) else value
        async with self._sessionmaker() as session:
            row = await session.get(WebSession, key)
            if row is None:
                session.add(WebSession(key=key, data=data, expires_at=_expiry(expires_in)))
            else:
                row.data = data
                row.expires_at = _expiry(expires_in)
            await session.commit()
        self._writes += 1
        if self._writes % PURGE_EVERY == 0:
            await self.delete_expired()

    async def get(self, key: str, renew_for: int | dt.timedelta | None = None) -> bytes | None:
        async with self._sessionmaker() as session:
            row = await session.get(WebSession, key)
            if row is None:
                return None
            if row.expires_at is not None and as_utc(row.expires_at) <= utcnow():
                await session.delete(row)
                await session.commit()
                return None
            data = bytes(row.data)
            if renew_for is not None and row.expires_at is not None:
                row.expires_at = _expiry(renew_for)
                await session.commit()
            return data

    async def delete(self, key: str) -> None:
        async with self._sessionmaker() as session:
            await session.execute(delete(WebSession).where(WebSession.key == key))
            await session.commit()

    async def delete_all(self) -> None:
        async with self._sessionmaker() as session:
            await session.execute(delete(WebSession))
            await session.commit()

    async def exists(self, key: str) -> bool:
        return await self.get(key) is not None

    async def expires_in(self, key: str) -> int | None:
        async with self._sessionmaker() as session:
            expires_at = (
                await session.execute(select(WebSession.expires_at).where(WebSession.key == key))
            ).scalar_one_or_none()
        if expires_at is None:
            return None
        return int((as_utc(expires_at) - utcnow()).total_seconds())

    async def delete_expired(self) -> int:
        """Remove expired sessions; returns how many."""
        async with self._sessionmaker() as session:
            res = await session.execute(delete(WebSession).where(WebSession.expires_at <= utcnow()))
            await session.commit()
            return int(res.rowcount or 0)
