"""``dnacase demo``: migrate the database and load the synthetic demo data set (idempotent)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from dnacase.settings import Settings


@click.command("demo")
@click.option("--fixtures", "fixtures_dir", type=click.Path(exists=True, file_okay=False,
                                                            path_type=Path),
              default=None, help="Directory holding demo/ (default: the project's fixtures/).")
@click.option("--no-migrate", is_flag=True, help="Do not run the migrations first.")
def command(fixtures_dir: Path | None, no_migrate: bool) -> None:
    """Load the synthetic demo data (registry, cemeteries, families, kits, users per role).

    The lab's genotype table is imported through the profile import (kits go received ->
    profiled), so ``dnacase search run`` finds candidates. Running it again changes nothing.
    """
    from dnacase.db import create_engine, create_sessionmaker, migrate, unit_of_work
    from dnacase.services import demo
    from dnacase.services import users as users_service
    from dnacase.settings import project_root

    settings = Settings.from_env()
    users_service.configure_password_hashing(
        settings.argon2_time_cost, settings.argon2_memory_cost_kib, settings.argon2_parallelism
    )
    if not no_migrate:
        migrate(settings.database_url)
    fixtures = fixtures_dir or project_root() / "fixtures"

    async def main() -> demo.DemoReport:
        engine = create_engine(settings.database_url)
        try:
            async with unit_of_work(create_sessionmaker(engine)) as session:
                return await demo.load_demo(session, fixtures,
                                            upload_dir=settings.var_dir / "uploads")
        finally:
            await engine.dispose()

    report = asyncio.run(main())
    click.echo(demo.summary(report), nl=False)
    click.echo("demo users: " + ", ".join(
        f"{u.username} / {u.password}" for u in users_service.DEMO_USERS))
