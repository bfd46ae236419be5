"""Login under attack: a parallel burst of wrong passwords locks the account at the limit (at
most the limit checked, never a 500), and an invented ``X-Forwarded-For`` cannot reset a lockout.
Runs on SQLite and PostgreSQL (the ``backend`` fixture)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from dnacase.models.audit import AuditEntry
from dnacase.services import users as users_service
from dnacase.web.app import create_app
from tests.conftest import csrf_token

LIMIT = 5  # the settings fixture keeps the default DNACASE_LOGIN_MAX_FAILURES


async def _post_logins(
    app: Any, token: str, attempts: list[tuple[str, dict[str, str]]], peer: str = "127.0.0.1"
) -> list[httpx.Response]:
    """All ``(password, extra headers)`` attempts at once against the JSON login, as user lab."""
    transport = httpx.ASGITransport(app=app, client=(peer, 40000))

    async def one(password: str, extra: dict[str, str]) -> httpx.Response:
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", cookies={"csrftoken": token}
        ) as c:
            return await c.post(
                "/api/auth/login",
                json={"username": "lab", "password": password},
                headers={"x-csrftoken": token, **extra},
            )

    return list(await asyncio.gather(*(one(p, h) for p, h in attempts)))


def _run(client: Any, app: Any, attempts: list[tuple[str, dict[str, str]]], **kw: Any) -> Any:
    token = client.cookies.get("csrftoken")
    return client.blocking_portal.call(lambda: _post_logins(app, token, attempts, **kw))


async def _actions(sessionmaker: Any) -> list[str]:
    async with sessionmaker() as s:
        return list((await s.execute(select(AuditEntry.action))).scalars())


async def test_parallel_wrong_passwords_lock_at_the_limit(
    app: Any, client: Any, demo_users: Any, sessionmaker: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    await csrf_token(client)
    checked: list[str] = []
    real_verify = users_service.verify_password

    def counting_verify(password_hash: str, password: str) -> bool:
        checked.append(password)
        return real_verify(password_hash, password)

    monkeypatch.setattr(users_service, "verify_password", counting_verify)
    burst = _run(client, app, [(f"guess {i}", {}) for i in range(20)])
    assert [r.status_code for r in burst] == [401] * 20, [
        r.text for r in burst if r.status_code != 401
    ]
    assert len(checked) == LIMIT  # the other 15 were refused before any password check
    assert sum("minutes" in r.text or "phút" in r.text for r in burst) == 20 - LIMIT + 1
    # locked now: the right password is refused too, without being checked
    right = _run(client, app, [("lab-demo-pass", {})])[0]
    assert right.status_code == 401 and right.json()["error"] == "login_failed"
    assert len(checked) == LIMIT
    actions = await _actions(sessionmaker)
    assert actions.count("auth.login_failed") == LIMIT
    assert actions.count("auth.login_locked") == 20 - LIMIT + 1
    assert "auth.login" not in actions


async def test_a_mixed_burst_never_checks_more_than_the_limit(
    app: Any, client: Any, demo_users: Any, sessionmaker: Any
) -> None:
    await csrf_token(client)
    burst = _run(client, app, [("wrong", {})] * 12 + [("lab-demo-pass", {})] * 4)
    codes = [r.status_code for r in burst]
    assert set(codes) <= {201, 401}, codes
    actions = await _actions(sessionmaker)
    # every attempt is either a checked failure, a success or refused as locked
    checked = actions.count("auth.login_failed") + actions.count("auth.login")
    assert actions.count("auth.login") == codes.count(201)
    assert checked + actions.count("auth.login_locked") == 16
    assert actions.count("auth.login_failed") <= 12


async def test_invented_forwarded_for_cannot_reset_a_lockout(
    app: Any, client: Any, demo_users: Any, sessionmaker: Any
) -> None:
    await csrf_token(client)
    for _ in range(LIMIT):
        assert _run(client, app, [("wrong", {})])[0].status_code == 401
    spoof = {"x-forwarded-for": "203.0.113.77"}
    r = _run(client, app, [("lab-demo-pass", spoof)])[0]
    assert r.status_code == 401 and "locked_until" in r.json().get("details", {})
    async with sessionmaker() as s:
        entries = (await s.execute(select(AuditEntry))).scalars().all()
    assert {e.ip for e in entries if e.action.startswith("auth.")} == {"127.0.0.1"}


async def test_forwarded_for_is_believed_only_from_a_trusted_proxy(
    settings: Any, demo_users: Any, sessionmaker: Any
) -> None:
    from litestar.testing import AsyncTestClient

    from dnacase.db import create_engine

    proxied = settings.with_(trusted_proxies=("10.0.0.0/8",))
    app = create_app(proxied, engine=create_engine(proxied.database_url))
    async with AsyncTestClient(app=app) as c:
        try:
            await csrf_token(c)
            # a client behind the proxy locks itself out ...
            for _ in range(LIMIT):
                hops = {"x-forwarded-for": "198.51.100.9, 10.0.0.2"}
                assert _run(c, app, [("wrong", hops)], peer="10.0.0.1")[0].status_code == 401
            # ... and inventing an address left of the proxy's entry changes nothing
            forged = {"x-forwarded-for": "1.1.1.1, 198.51.100.9"}
            r = _run(c, app, [("lab-demo-pass", forged)], peer="10.0.0.1")[0]
            assert r.status_code == 401
            # another real client behind the same proxy is not locked out
            other = {"x-forwarded-for": "198.51.100.10"}
            assert _run(c, app, [("lab-demo-pass", other)], peer="10.0.0.1")[0].status_code == 201
            # a peer that is not a trusted proxy: its header is ignored
            direct = {"x-forwarded-for": "198.51.100.10"}
            r = _run(c, app, [("wrong", direct)], peer="192.0.2.50")[0]
            assert r.status_code == 401
        finally:
            c.blocking_portal.call(app.state.engine.dispose)
    async with sessionmaker() as s:
        entries = (await s.execute(select(AuditEntry))).scalars().all()
    ips = {e.ip for e in entries if e.action.startswith("auth.")}
    assert ips == {"198.51.100.9", "198.51.100.10", "192.0.2.50"}


def test_trusted_proxies_setting_is_validated() -> None:
    from dnacase.settings import Settings

    s = Settings.from_env(
        {"DNACASE_TRUSTED_PROXIES": "10.0.0.5, 192.168.0.0/24"}, secret_key="k" * 40
    )
    assert s.trusted_proxies == ("10.0.0.5", "192.168.0.0/24")
    assert Settings.from_env({}, secret_key="k" * 40).trusted_proxies == ()
    with pytest.raises(ValueError, match="not-an-ip"):
        Settings.from_env({"DNACASE_TRUSTED_PROXIES": "not-an-ip"}, secret_key="k" * 40)
