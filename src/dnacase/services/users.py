"""Users, roles, passwords (argon2id), login with throttling, demo users.

Every change writes an audit entry in the same transaction. Passwords are hashed with argon2id
(argon2-cffi); hashes made with older parameters are upgraded on the next successful login.
Throttling: after ``max_failures`` failed logins for one (username, client IP) within the lockout
window, that pair is locked for ``lockout_seconds`` (stored in ``login_throttle``, so it holds
across processes); while locked even the right password is refused.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import case, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from dnacase.db import as_utc, utcnow
from dnacase.i18n import LOCALES
from dnacase.i18n import gettext as _
from dnacase.models.users import ROLES, LoginThrottle, User, UserRole
from dnacase.services import audit
from dnacase.services.audit import ActorLike, RequestMeta
from dnacase.services.errors import Conflict, DomainError, NotFound, ValidationFailed

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD_LENGTH = 8

_hasher = PasswordHasher()


def configure_password_hashing(time_cost: int, memory_cost_kib: int, parallelism: int) -> None:
    """Set the argon2id cost for new hashes (``create_app`` calls this from the settings)."""
    global _hasher
    _hasher = PasswordHasher(
        time_cost=time_cost, memory_cost=memory_cost_kib, parallelism=parallelism
    )


def hash_password(password: str) -> str:
    """argon2id hash (PHC string) of ``password``."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True if ``password`` matches ``password_hash``; False for a mismatch or a corrupt hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


# A hash to verify against when the username does not exist (same work, no user enumeration).
_DUMMY_HASH: str | None = None


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password("not-a-real-password-for-timing")
    return _DUMMY_HASH


# --------------------------------------------------------------------------- validation


def normalize_username(username: str) -> str:
    return (username or "").strip().lower()


def _validate_roles(roles: Iterable[str], errors: dict[str, str]) -> list[str]:
    clean = sorted({r.strip() for r in roles if r and r.strip()})
    unknown = [r for r in clean if r not in ROLES]
    if unknown:
        errors["roles"] = _("Unknown role: %(roles)s.", roles=", ".join(unknown))
    elif not clean:
        errors["roles"] = _("Choose at least one role.")
    return clean


def _validate_password(password: str, errors: dict[str, str], field: str = "password") -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        errors[field] = _(
            "The password must have at least %(n)d characters.", n=MIN_PASSWORD_LENGTH
        )


def _validate_locale(locale: str, errors: dict[str, str]) -> None:
    if locale not in LOCALES:
        errors["locale"] = _("Unknown language: %(locale)s.", locale=locale)


def _raise_if(errors: dict[str, str]) -> None:
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), field_errors=errors)


def user_snapshot(user: User) -> dict[str, object]:
    snap = audit.snapshot(user)
    snap["roles"] = sorted(user.role_names)
    return snap


# --------------------------------------------------------------------------- queries


async def get_user(session: AsyncSession, user_id: int) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound(_("User %(id)s not found.", id=user_id))
    return user


async def get_by_username(session: AsyncSession, username: str) -> User | None:
    stmt = select(User).where(User.username == normalize_username(username))
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_users(session: AsyncSession, *, role: str | None = None) -> Sequence[User]:
    """All users ordered by username; optionally only those holding ``role``."""
    stmt = select(User).order_by(User.username)
    if role:
        stmt = stmt.join(UserRole).where(UserRole.role == role)
    return (await session.execute(stmt)).scalars().unique().all()


async def count_users(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count(User.id)))).scalar_one())


# --------------------------------------------------------------------------- commands


async def create_user(
    session: AsyncSession,
    *,
    username: str,
    display_name: str,
    password: str,
    roles: Iterable[str],
    locale: str = "vi",
    email: str | None = None,
    actor: ActorLike | None = None,
    meta: RequestMeta | None = None,
) -> User:
    """Create a user; refuses bad input field by field (``ValidationFailed``) and duplicates
    (``Conflict`` on ``username``)."""
    errors: dict[str, str] = {}
    uname = normalize_username(username)
    if not USERNAME_RE.match(uname):
        errors["username"] = _(
            "Username: 2-64 characters, lower-case letters, digits, '.', '_' or '-'."
        )
    display_name = (display_name or "").strip()
    if not display_name:
        errors["display_name"] = _("Full name is required.")
    elif len(display_name) > 200:
        errors["display_name"] = _("Full name is too long (at most 200 characters).")
    clean_roles = _validate_roles(roles, errors)
    _validate_password(password, errors)
    _validate_locale(locale, errors)
    email = (email or "").strip() or None
    if email and "@" not in email:
        errors["email"] = _("This is not an e-mail address.")
    _raise_if(errors)
    if await get_by_username(session, uname) is not None:
        raise Conflict(
            _("The username %(u)s is already taken.", u=uname),
            field_errors={"username": _("This username is already taken.")},
        )
    user = User(
        username=uname,
        display_name=display_name,
        email=email,
        password_hash=hash_password(password),
        locale=locale,
        roles=[UserRole(role=r) for r in clean_roles],
    )
    session.add(user)
    await session.flush()
    await audit.record(session, actor, "user.create", user, None, user_snapshot(user), meta)
    return user


async def update_user(
    session: AsyncSession,
    user_id: int,
    *,
    display_name: str | None = None,
    roles: Iterable[str] | None = None,
    is_active: bool | None = None,
    locale: str | None = None,
    email: str | None = None,
    actor: ActorLike | None = None,
    meta: RequestMeta | None = None,
) -> User:
    """Change a user's name, roles, active flag, language or e-mail (``None`` = unchanged).

    An admin cannot remove their own admin role nor deactivate themselves (no self-lock-out).
    """
    user = await get_user(session, user_id)
    before = user_snapshot(user)
    errors: dict[str, str] = {}
    new_roles: list[str] | None = None
    if display_name is not None:
        display_name = display_name.strip()
        if not display_name:
            errors["display_name"] = _("Full name is required.")
    if roles is not None:
        new_roles = _validate_roles(roles, errors)
    if locale is not None:
        _validate_locale(locale, errors)
    if email is not None and email.strip() and "@" not in email:
        errors["email"] = _("This is not an e-mail address.")
    is_self = actor is not None and getattr(actor, "id", None) == user.id
    if (
        is_self
        and new_roles is not None
        and "admin" in user.role_names
        and "admin" not in new_roles
    ):
        errors["roles"] = _("You cannot remove your own administrator role.")
    if is_self and is_active is False:
        errors["is_active"] = _("You cannot deactivate your own account.")
    _raise_if(errors)
    if display_name is not None:
        user.display_name = display_name
    if locale is not None:
        user.locale = locale
    if email is not None:
        user.email = email.strip() or None
    if is_active is not None:
        user.is_active = is_active
    if new_roles is not None and set(new_roles) != set(user.role_names):
        keep = [r for r in user.roles if r.role in new_roles]
        add = [UserRole(role=r) for r in new_roles if r not in user.role_names]
        user.roles = keep + add
    user.updated_at = utcnow()
    await session.flush()
    after = user_snapshot(user)
    changed = {k for k in after if before.get(k) != after.get(k)} - {"updated_at"}
    if changed:
        await audit.record(session, actor, "user.update", user, before, after, meta)
    return user


async def set_password(
    session: AsyncSession,
    user_id: int,
    new_password: str,
    *,
    actor: ActorLike | None = None,
    meta: RequestMeta | None = None,
) -> User:
    """Set a new password (the hash is never written to the audit log)."""
    user = await get_user(session, user_id)
    errors: dict[str, str] = {}
    _validate_password(new_password, errors)
    _raise_if(errors)
    user.password_hash = hash_password(new_password)
    user.password_changed_at = user.updated_at = utcnow()
    await session.flush()
    await audit.record(session, actor, "user.set_password", user, None, None, meta)
    return user


async def set_user_locale(session: AsyncSession, user_id: int, locale: str) -> User:
    """Remember the user's interface language (not audited: a preference, not a record)."""
    errors: dict[str, str] = {}
    _validate_locale(locale, errors)
    _raise_if(errors)
    user = await get_user(session, user_id)
    user.locale = locale
    await session.flush()
    return user


# --------------------------------------------------------------------------- login


class LoginFailed(DomainError):
    """Wrong username or password (deliberately does not say which), or a locked pair."""

    status_code = 401
    code = "login_failed"


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    max_failures: int = 5
    lockout_seconds: int = 15 * 60


def _upsert(session: AsyncSession) -> Any:
    """The dialect's ``INSERT`` with ``ON CONFLICT`` (PostgreSQL and SQLite share the API)."""
    if session.get_bind().dialect.name == "postgresql":
        return pg_insert
    return sqlite_insert


async def _reserve_attempt(
    session: AsyncSession, uname: str, ip: str, now: dt.datetime, policy: ThrottlePolicy
) -> tuple[int, dt.datetime | None]:
    """Count this attempt *before* the password is checked, in one atomic upsert.

    Returns ``(attempts, locked_until)`` for the (username, IP) pair after the upsert. The
    statement takes the row's lock (PostgreSQL) or the database write lock (SQLite) until the
    caller's transaction ends, so concurrent attempts on one pair are serialised and each sees
    the previous one's outcome: at most ``max_failures`` passwords are checked per window.
    While locked the counter is left alone; an expired lock or a window without attempts starts
    the count again at 1.
    """
    t = LoginThrottle.__table__
    window_start = now - dt.timedelta(seconds=policy.lockout_seconds)
    ins = _upsert(session)(t).values(
        username=uname, ip=ip, failures=1, last_failure_at=now, locked_until=None
    )
    locked = t.c.locked_until.is_not(None) & (t.c.locked_until > now)
    stmt = ins.on_conflict_do_update(
        index_elements=[t.c.username, t.c.ip],
        set_={
            "failures": case(
                (locked, t.c.failures),
                ((t.c.last_failure_at < window_start) | t.c.locked_until.is_not(None), 1),
                else_=t.c.failures + 1,
            ),
            "last_failure_at": case((locked, t.c.last_failure_at), else_=now),
            "locked_until": case((locked, t.c.locked_until), else_=None),
        },
    ).returning(t.c.failures, t.c.locked_until)
    attempts, locked_until = (await session.execute(stmt)).one()
    return int(attempts), (as_utc(locked_until) if locked_until is not None else None)


async def _set_throttle(session: AsyncSession, uname: str, ip: str, **values: Any) -> None:
    t = LoginThrottle.__table__
    await session.execute(
        update(t).where((t.c.username == uname) & (t.c.ip == ip)).values(**values)
    )


async def _refuse_locked(
    session: AsyncSession, uname: str, locked_until: dt.datetime, now: dt.datetime, meta: Any
) -> LoginFailed:
    minutes = max(1, math.ceil((locked_until - now).total_seconds() / 60))
    await audit.record(
        session, None, "auth.login_locked", ("user", uname), None, {"username": uname}, meta, at=now
    )
    return LoginFailed(
        _("Too many failed attempts. Try again in %(m)d minutes.", m=minutes),
        details={"locked_until": locked_until.isoformat()},
    )


async def authenticate(
    session: AsyncSession,
    username: str,
    password: str,
    *,
    meta: RequestMeta | None = None,
    policy: ThrottlePolicy | None = None,
    now: dt.datetime | None = None,
) -> User:
    """Check a login; returns the user or raises :class:`LoginFailed`.

    Attempts are counted per (username, IP) atomically before the password is checked
    (:func:`_reserve_attempt`), so parallel guesses cannot slip past the limit; failures are
    audited (``auth.login_failed``), success resets the counter, records ``last_login_at`` and
    audits ``auth.login``. The caller must commit even when this raises (the web layer's unit of
    work commits handled errors), so that failures count.
    """
    policy = policy or ThrottlePolicy()
    meta = meta or RequestMeta()
    now = as_utc(now) if now is not None else utcnow()
    uname = normalize_username(username)[:64]
    ip = (meta.ip or "unknown")[:64]
    attempts, locked_until = await _reserve_attempt(session, uname, ip, now, policy)
    if locked_until is not None:
        raise await _refuse_locked(session, uname, locked_until, now, meta)
    if attempts > policy.max_failures:  # only reachable if max_failures was lowered meanwhile
        locked_until = now + dt.timedelta(seconds=policy.lockout_seconds)
        await _set_throttle(session, uname, ip, locked_until=locked_until, failures=0)
        raise await _refuse_locked(session, uname, locked_until, now, meta)
    user = await get_by_username(session, uname) if uname else None
    ok = verify_password(user.password_hash if user else _dummy_hash(), password or "")
    if user is None or not ok or not user.is_active:
        locked = attempts >= policy.max_failures
        if locked:
            await _set_throttle(
                session,
                uname,
                ip,
                locked_until=now + dt.timedelta(seconds=policy.lockout_seconds),
                failures=0,
            )
        await audit.record(
            session,
            user,
            "auth.login_failed",
            ("user", user.id if user else uname),
            None,
            {"username": uname, "locked": locked},
            meta,
            at=now,
        )
        if locked:
            raise LoginFailed(
                _(
                    "Too many failed attempts. Try again in %(m)d minutes.",
                    m=policy.lockout_seconds // 60,
                )
            )
        raise LoginFailed(_("Wrong username or password."))
    t = LoginThrottle.__table__
    await session.execute(delete(t).where((t.c.username == uname) & (t.c.ip == ip)))
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now
    await session.flush()
    await audit.record(session, user, "auth.login", user, None, None, meta, at=now)
    return user


async def clear_throttle(session: AsyncSession, username: str) -> int:
    """Lift every lock on ``username`` (admin/CLI); returns the number of rows removed."""
    res = await session.execute(
        delete(LoginThrottle).where(LoginThrottle.username == normalize_username(username))
    )
    return int(res.rowcount or 0)


# --------------------------------------------------------------------------- demo users


@dataclass(frozen=True, slots=True)
class DemoUser:
    username: str
    display_name: str
    roles: tuple[str, ...]
    password: str


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("admin", "Quản trị viên (demo)", ("admin",), "admin-demo-pass"),
    DemoUser(
        "collector", "Nguyễn Thị Thu – cán bộ thu mẫu (demo)", ("collector",), "collector-demo-pass"
    ),
    DemoUser("lab", "Trần Văn Minh – phòng xét nghiệm (demo)", ("lab",), "lab-demo-pass"),
    DemoUser("reviewer", "Lê Thị Hạnh – thẩm định (demo)", ("reviewer",), "reviewer-demo-pass"),
)
"""Demo accounts (synthetic people), one per role; passwords are documented in the README."""


async def ensure_demo_users(session: AsyncSession) -> list[User]:
    """Create the demo users that do not exist yet (idempotent; existing ones are left alone)."""
    out: list[User] = []
    for d in DEMO_USERS:
        user = await get_by_username(session, d.username)
        if user is None:
            user = await create_user(
                session,
                username=d.username,
                display_name=d.display_name,
                password=d.password,
                roles=d.roles,
                actor=audit.SYSTEM,
                meta=audit.CLI_META,
            )
        out.append(user)
    return out
