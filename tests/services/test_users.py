"""Users: argon2id hashes, validation field by field, roles, audit entries, login throttling."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from dnacase.db import unit_of_work
from dnacase.i18n import use_locale
from dnacase.models.audit import AuditEntry
from dnacase.services import audit, users
from dnacase.services.audit import RequestMeta
from dnacase.services.errors import Conflict, ValidationFailed
from dnacase.services.users import LoginFailed, ThrottlePolicy

META = RequestMeta(ip="192.0.2.10", user_agent="pytest")
OTHER_IP = RequestMeta(ip="192.0.2.99", user_agent="pytest")


async def _create(sm: Any, **kw: Any) -> Any:
    args = {
        "username": "Thu.Nguyen",
        "display_name": "Nguyễn Thị Thu",
        "password": "correct horse",
        "roles": ["collector", "lab"],
    }
    args.update(kw)
    async with unit_of_work(sm) as s:
        return await users.create_user(s, actor=audit.SYSTEM, meta=META, **args)


async def _actions(sm: Any) -> list[str]:
    async with sm() as s:
        rows = await s.execute(select(AuditEntry.action).order_by(AuditEntry.seq))
        return list(rows.scalars().all())


async def test_create_user_hashes_and_audits(sessionmaker: Any) -> None:
    u = await _create(sessionmaker)
    assert u.username == "thu.nguyen"
    assert u.password_hash.startswith("$argon2id$")
    assert "correct horse" not in u.password_hash
    assert u.role_names == {"collector", "lab"}
    async with sessionmaker() as s:
        entry = (await s.execute(select(AuditEntry))).scalar_one()
        again = await users.get_by_username(s, "THU.NGUYEN")
    assert entry.action == "user.create" and entry.before is None
    assert entry.after["roles"] == ["collector", "lab"]
    assert "password_hash" not in entry.after
    assert again is not None and again.role_names == {"collector", "lab"}


def test_production_hash_parameters() -> None:
    """Outside tests, hashes use argon2id with 64 MiB, 3 passes, 4 lanes."""
    from dnacase.settings import Settings

    s = Settings(secret_key="k" * 40)
    try:
        users.configure_password_hashing(
            s.argon2_time_cost, s.argon2_memory_cost_kib, s.argon2_parallelism
        )
        h = users.hash_password("pw")
    finally:
        users.configure_password_hashing(1, 8, 1)
    assert h.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert users.verify_password(h, "pw") and not users.verify_password(h, "pW")


@pytest.mark.parametrize(
    ("kw", "fields"),
    [
        ({"username": "a"}, {"username"}),
        ({"username": "Nguyễn"}, {"username"}),
        ({"display_name": "  "}, {"display_name"}),
        ({"password": "short"}, {"password"}),
        ({"roles": []}, {"roles"}),
        ({"roles": ["collector", "wizard"]}, {"roles"}),
        ({"locale": "fr"}, {"locale"}),
        ({"email": "not-an-address"}, {"email"}),
        ({"username": "", "password": "", "roles": []}, {"username", "password", "roles"}),
    ],
)
async def test_create_user_refusals_name_the_fields(
    sessionmaker: Any, kw: dict[str, Any], fields: set[str]
) -> None:
    with pytest.raises(ValidationFailed) as err:
        await _create(sessionmaker, **kw)
    assert set(err.value.field_errors) == fields
    assert await _actions(sessionmaker) == []


async def test_messages_follow_the_locale(sessionmaker: Any) -> None:
    with use_locale("vi"), pytest.raises(ValidationFailed) as vi:
        await _create(sessionmaker, password="x")
    with use_locale("en"), pytest.raises(ValidationFailed) as en:
        await _create(sessionmaker, password="x")
    assert vi.value.field_errors["password"] == "Mật khẩu phải có ít nhất 8 ký tự."
    assert en.value.field_errors["password"] == "The password must have at least 8 characters."


async def test_duplicate_username_is_a_conflict(sessionmaker: Any) -> None:
    await _create(sessionmaker)
    with pytest.raises(Conflict) as err:
        await _create(sessionmaker, username="thu.nguyen")
    assert "username" in err.value.field_errors


async def test_update_roles_and_self_protection(sessionmaker: Any) -> None:
    admin = await _create(sessionmaker, username="boss", roles=["admin"])
    other = await _create(sessionmaker, username="worker", roles=["collector"])
    async with unit_of_work(sessionmaker) as s:
        updated = await users.update_user(
            s, other.id, roles=["reviewer", "lab"], actor=admin, meta=META
        )
        assert updated.role_names == {"reviewer", "lab"}
    async with unit_of_work(sessionmaker) as s:
        with pytest.raises(ValidationFailed) as err:
            await users.update_user(s, admin.id, roles=["lab"], is_active=False, actor=admin)
    assert set(err.value.field_errors) == {"roles", "is_active"}
    async with sessionmaker() as s:
        entry = (
            await s.execute(select(AuditEntry).where(AuditEntry.action == "user.update"))
        ).scalar_one()
    assert entry.before["roles"] == ["collector"] and entry.after["roles"] == ["lab", "reviewer"]
    assert entry.actor_username == "boss"


async def test_set_password_is_audited_without_the_hash(sessionmaker: Any) -> None:
    u = await _create(sessionmaker)
    async with unit_of_work(sessionmaker) as s:
        await users.set_password(s, u.id, "another password", actor=audit.SYSTEM)
    async with unit_of_work(sessionmaker) as s:
        assert await users.authenticate(s, "thu.nguyen", "another password", meta=META)
    async with sessionmaker() as s:
        entry = (
            await s.execute(select(AuditEntry).where(AuditEntry.action == "user.set_password"))
        ).scalar_one()
    assert entry.before is None and entry.after is None


async def _login(sm: Any, username: str, password: str, meta: RequestMeta, now: Any) -> Any:
    """One login attempt in its own transaction (committed even when refused, like the web)."""
    async with sm() as s:
        try:
            return await users.authenticate(
                s, username, password, meta=meta, policy=ThrottlePolicy(5, 900), now=now
            )
        finally:
            await s.commit()


async def test_login_success_and_failure(sessionmaker: Any) -> None:
    await _create(sessionmaker)
    now = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)
    u = await _login(sessionmaker, " Thu.Nguyen ", "correct horse", META, now)
    assert u.last_login_at == now
    with pytest.raises(LoginFailed) as err:
        await _login(sessionmaker, "thu.nguyen", "wrong", META, now)
    with pytest.raises(LoginFailed) as unknown:
        await _login(sessionmaker, "nobody", "wrong", META, now)
    assert err.value.message == unknown.value.message  # no user enumeration
    assert await _actions(sessionmaker) == [
        "user.create",
        "auth.login",
        "auth.login_failed",
        "auth.login_failed",
    ]


async def test_throttling_locks_username_and_ip(sessionmaker: Any) -> None:
    await _create(sessionmaker)
    t0 = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)
    for i in range(5):
        with pytest.raises(LoginFailed):
            await _login(sessionmaker, "thu.nguyen", f"guess {i}", META, t0)
    # locked: even the right password is refused from this IP ...
    with pytest.raises(LoginFailed) as locked:
        await _login(
            sessionmaker, "thu.nguyen", "correct horse", META, t0 + dt.timedelta(minutes=5)
        )
    assert "10 minutes" in locked.value.message or "10 phút" in locked.value.message
    # ... but not from another address
    assert await _login(sessionmaker, "thu.nguyen", "correct horse", OTHER_IP, t0)
    # and the lock ends after 15 minutes
    later = t0 + dt.timedelta(minutes=15, seconds=1)
    assert await _login(sessionmaker, "thu.nguyen", "correct horse", META, later)
    actions = await _actions(sessionmaker)
    assert actions.count("auth.login_failed") == 5 and "auth.login_locked" in actions


async def test_failures_spread_over_time_do_not_lock(sessionmaker: Any) -> None:
    await _create(sessionmaker)
    t = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)
    for _ in range(8):
        with pytest.raises(LoginFailed):
            await _login(sessionmaker, "thu.nguyen", "wrong", META, t)
        t += dt.timedelta(minutes=4)
        if _ % 4 == 3:
            t += dt.timedelta(minutes=16)
    assert await _login(sessionmaker, "thu.nguyen", "correct horse", META, t)


async def test_inactive_user_cannot_log_in(sessionmaker: Any) -> None:
    u = await _create(sessionmaker)
    async with unit_of_work(sessionmaker) as s:
        await users.update_user(s, u.id, is_active=False, actor=audit.SYSTEM)
    with pytest.raises(LoginFailed):
        await _login(sessionmaker, "thu.nguyen", "correct horse", META, None)


async def test_old_hashes_are_upgraded_at_login(sessionmaker: Any) -> None:
    users.configure_password_hashing(1, 16, 1)
    try:
        u = await _create(sessionmaker)
    finally:
        users.configure_password_hashing(1, 8, 1)
    assert "m=16," in u.password_hash
    again = await _login(sessionmaker, "thu.nguyen", "correct horse", META, None)
    assert "m=8," in again.password_hash


async def test_demo_users_are_idempotent(sessionmaker: Any) -> None:
    async with unit_of_work(sessionmaker) as s:
        first = await users.ensure_demo_users(s)
    async with unit_of_work(sessionmaker) as s:
        second = await users.ensure_demo_users(s)
    assert [u.id for u in first] == [u.id for u in second]
    assert {r for u in first for r in u.role_names} == {"collector", "lab", "reviewer", "admin"}
    assert (await _actions(sessionmaker)).count("user.create") == 4
    for demo in users.DEMO_USERS:
        assert await _login(sessionmaker, demo.username, demo.password, META, None)
