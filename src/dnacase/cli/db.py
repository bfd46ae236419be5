"""``dnacase db``: schema migrations (Alembic, programmatic)."""

from __future__ import annotations

import click

from dnacase.settings import Settings


@click.group("db")
def command() -> None:
    """Database schema (Alembic migrations)."""


@command.command("upgrade")
@click.option("--revision", default="heads", show_default=True, help="Target revision.")
def upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: all heads); compiles the translations too."""
    from dnacase import i18n
    from dnacase.db import migrate

    settings = Settings.from_env()
    i18n.ensure_compiled()
    migrate(settings.database_url, revision)
    click.echo(f"database at {_safe_url(settings.database_url)} is at {revision}")


@command.command("downgrade")
@click.argument("revision")
def downgrade_cmd(revision: str) -> None:
    """Revert migrations down to REVISION (e.g. ``base``)."""
    from dnacase.db import downgrade

    settings = Settings.from_env()
    downgrade(settings.database_url, revision)
    click.echo(f"database at {_safe_url(settings.database_url)} downgraded to {revision}")


@command.command("current")
def current() -> None:
    """Show the current revision(s) of the database."""
    from alembic import command as alembic_command

    from dnacase.db import alembic_config

    settings = Settings.from_env()
    alembic_command.current(alembic_config(settings.database_url))


@command.command("revision")
@click.option("-m", "--message", required=True, help="What the migration does.")
@click.option("--autogenerate/--empty", default=True, show_default=True)
@click.option("--rev-id", default=None, help="Revision id (default: random).")
@click.option("--head", default="head", show_default=True, help="Parent revision.")
def revision(message: str, autogenerate: bool, rev_id: str | None, head: str) -> None:
    """Write a new migration under migrations/versions (compare models with the database)."""
    from alembic import command as alembic_command

    from dnacase.db import alembic_config

    settings = Settings.from_env()
    alembic_command.revision(
        alembic_config(settings.database_url),
        message=message,
        autogenerate=autogenerate,
        rev_id=rev_id,
        head=head,
    )


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
