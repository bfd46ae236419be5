"""``dnacase audit``: prove the audit hash chain."""

from __future__ import annotations

import asyncio

import click

from dnacase.settings import Settings


@click.group("audit")
def command() -> None:
    """Audit log."""


@command.command("verify")
def verify() -> None:
    """Recompute the hash chain; exit 1 and name the first broken entry if it does not hold."""
    from dnacase.db import create_engine, create_sessionmaker
    from dnacase.services import audit

    settings = Settings.from_env()

    async def main() -> audit.VerifyResult:
        engine = create_engine(settings.database_url)
        try:
            async with create_sessionmaker(engine)() as session:
                return await audit.verify(session)
        finally:
            await engine.dispose()

    result = asyncio.run(main())
    if result.ok:
        click.echo(f"audit chain OK: {result.checked} entries verified")
        return
    click.echo(
        f"audit chain BROKEN at entry seq={result.first_bad_seq} (id={result.first_bad_id}): "
        f"{result.reason}; {result.checked} entries before it are intact",
        err=True,
    )
    raise SystemExit(1)
