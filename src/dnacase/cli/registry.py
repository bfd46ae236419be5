"""``dnacase registry``: import the missing-persons registry and grave lists, search."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import click

from dnacase.settings import Settings


def _run(coro_fn: Any) -> Any:
    from dnacase.db import create_engine, create_sessionmaker, unit_of_work

    settings = Settings.from_env()

    async def main() -> Any:
        engine = create_engine(settings.database_url)
        try:
            async with unit_of_work(create_sessionmaker(engine)) as session:
                return await coro_fn(session)
        finally:
            await engine.dispose()

    return asyncio.run(main())


def _print_report(report: Any) -> None:
    verb = "would add" if report.dry_run else "added"
    click.echo(f"{report.filename} (sha256 {report.sha256[:16]}…): {report.rows} rows, "
               f"{report.created} {verb}, {report.unchanged} unchanged")
    if report.previous_import_at:
        click.echo(f"the same file was imported before, at {report.previous_import_at}")
    for warning in report.warnings:
        click.echo(f"warning: {warning}")


def _import(kind: str, path: Path, dry_run: bool, cemetery_id: int | None) -> None:
    from dnacase.services import audit, registry
    from dnacase.services.errors import DomainError

    data = path.read_bytes()

    async def go(session: Any) -> Any:
        if kind == "registry":
            return await registry.import_registry(session, data, path.name, actor=audit.SYSTEM,
                                                  meta=audit.CLI_META, dry_run=dry_run)
        return await registry.import_graves(session, cemetery_id, data, path.name,  # type: ignore[arg-type]
                                            actor=audit.SYSTEM, meta=audit.CLI_META,
                                            dry_run=dry_run)

    try:
        report = _run(go)
    except DomainError as exc:
        click.echo(exc.message, err=True)
        for line in exc.details.get("report", {}).get("errors", []):
            click.echo(f"  {line}", err=True)
        sys.exit(1)
    _print_report(report)


@click.group("registry")
def command() -> None:
    """The registry of missing persons, cemeteries and graves."""


@command.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and report; change nothing.")
def import_registry(path: Path, dry_run: bool) -> None:
    """Import a missing-persons registry CSV (all or nothing; re-import changes nothing)."""
    _import("registry", path, dry_run, None)


@command.command("import-graves")
@click.option("--cemetery", "cemetery_id", type=int, required=True, help="Cemetery id.")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and report; change nothing.")
def import_graves(cemetery_id: int, path: Path, dry_run: bool) -> None:
    """Import a cemetery's grave list CSV (all or nothing; re-import changes nothing)."""
    _import("graves", path, dry_run, cemetery_id)


@command.command("search")
@click.argument("query")
def search(query: str) -> None:
    """Find missing persons by name (with or without diacritics) or registry number."""
    from dnacase.services import registry

    page = _run(lambda s: registry.search_missing_persons(s, query, per_page=100))
    for mp in page.items:
        click.echo(f"{mp.registry_number}\t{mp.full_name}\t{mp.birth_year or ''}\t"
                   f"{mp.home_province}\t{mp.status}")
    click.echo(f"{page.total} found")
