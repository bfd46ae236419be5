"""``dnacase users``: create the first admin, list users, reset passwords, demo accounts."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import click

from dnacase.models.users import ROLES
from dnacase.settings import Settings


def _run(coro_fn: Any) -> Any:
    """Run ``coro_fn(session)`` in one unit of work on the configured database."""
    from dnacase.db import create_engine, create_sessionmaker, unit_of_work
    from dnacase.services import users as users_service

    settings = Settings.from_env()
    users_service.configure_password_hashing(
        settings.argon2_time_cost, settings.argon2_memory_cost_kib, settings.argon2_parallelism
    )

    async def main() -> Any:
        engine = create_engine(settings.database_url)
        try:
            async with unit_of_work(create_sessionmaker(engine)) as session:
                return await coro_fn(session)
        finally:
            await engine.dispose()

    return asyncio.run(main())


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@click.group("users")
def command() -> None:
    """User accounts."""


@command.command("create")
@click.option("--username", required=True)
@click.option("--display-name", default=None, help="Full name (default: the username).")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice(ROLES),
    help="Repeat for several roles.",
)
@click.option("--locale", default="vi", type=click.Choice(["vi", "en"]), show_default=True)
@click.option("--email", default=None)
@click.option("--password-stdin", is_flag=True, help="Read the password from the first stdin line.")
def create(
    username: str,
    display_name: str | None,
    roles: tuple[str, ...],
    locale: str,
    email: str | None,
    password_stdin: bool,
) -> None:
    """Create a user (e.g. the first admin: --username admin --role admin)."""
    from dnacase.services import audit
    from dnacase.services import users as users_service
    from dnacase.services.errors import DomainError

    password = _read_password(password_stdin)

    async def go(session: Any) -> Any:
        return await users_service.create_user(
            session,
            username=username,
            display_name=display_name or username,
            password=password,
            roles=roles,
            locale=locale,
            email=email,
            actor=audit.SYSTEM,
            meta=audit.CLI_META,
        )

    try:
        user = _run(go)
    except DomainError as exc:
        details = "; ".join(f"{k}: {v}" for k, v in exc.field_errors.items())
        raise click.ClickException(f"{exc.message} {details}".strip()) from exc
    click.echo(f"created user {user.username} (id {user.id}) with roles {', '.join(sorted(roles))}")


@command.command("list")
def list_cmd() -> None:
    """List users with their roles."""
    from dnacase.services import users as users_service

    async def go(session: Any) -> Any:
        return [
            (u.id, u.username, ",".join(sorted(u.role_names)), u.is_active)
            for u in await users_service.list_users(session)
        ]

    for uid, name, roles, active in _run(go):
        click.echo(f"{uid}\t{name}\t{roles}\t{'active' if active else 'inactive'}")


@command.command("set-password")
@click.option("--username", required=True)
@click.option("--password-stdin", is_flag=True)
def set_password(username: str, password_stdin: bool) -> None:
    """Set a user's password and lift login locks."""
    from dnacase.services import audit
    from dnacase.services import users as users_service
    from dnacase.services.errors import DomainError

    password = _read_password(password_stdin)

    async def go(session: Any) -> None:
        user = await users_service.get_by_username(session, username)
        if user is None or user.id is None:
            raise click.ClickException(f"no user named {username!r}")
        await users_service.set_password(
            session, user.id, password, actor=audit.SYSTEM, meta=audit.CLI_META
        )
        await users_service.clear_throttle(session, username)

    try:
        _run(go)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"password of {username} changed")


@command.command("create-demo")
def create_demo() -> None:
    """Create the demo accounts (one per role; see README). Idempotent."""
    from dnacase.services import users as users_service

    async def go(session: Any) -> list[str]:
        return [u.username for u in await users_service.ensure_demo_users(session)]

    names = _run(go)
    click.echo("demo users: " + ", ".join(names))
