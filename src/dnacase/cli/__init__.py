"""The ``dnacase`` command.

Each area keeps its commands in its own module under ``dnacase.cli`` and exposes a click
command or group named ``command``; ``_SUBCOMMANDS`` lists those modules. Commands import
services (never models or the web layer directly) and the pure libraries.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

# Modules under dnacase.cli, each exposing ``command`` (a click.Command or click.Group).
_SUBCOMMANDS: tuple[str, ...] = (
    "db", "users", "audit", "serve", "kinship", "demo", "registry", "kits", "search", "importing",
    "dvi",
)


def _message(exc: BaseException) -> str:
    """The user-facing text of an error raised below a command (no traceback)."""
    text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    fields = getattr(exc, "field_errors", None)
    if fields:
        text += " (" + "; ".join(f"{k}: {v}" for k, v in fields.items()) + ")"
    orig = getattr(exc, "orig", None)  # SQLAlchemy: the driver's message, not the SQL
    if orig is not None:
        text = f"database: {str(orig).splitlines()[0]}"
        if "no such table" in text or "does not exist" in text:
            text += " (is the database migrated? run 'dnacase db upgrade')"
    return text.strip()


class SafeGroup(click.Group):
    """The ``dnacase`` group: an error escaping a command is printed as one ``error:`` line on
    stderr with exit status 1, never as a Python traceback (``DNACASE_DEBUG=1`` shows it).
    Click's own usage errors keep their message and exit status 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.Abort,
                SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except Exception as exc:
            if os.environ.get("DNACASE_DEBUG"):
                raise
            from dnacase.services.errors import DomainError

            known = isinstance(exc, DomainError | ValueError | OSError | LookupError) or (
                type(exc).__module__.startswith(("sqlalchemy", "alembic", "asyncpg")))
            prefix = "error" if known else f"error ({type(exc).__name__})"
            click.echo(f"{prefix}: {_message(exc)}", err=True)
            sys.exit(1)


@click.group(cls=SafeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="dnacase")
def main() -> None:
    """dnacase: DNA identification case management."""


for _name in _SUBCOMMANDS:
    main.add_command(importlib.import_module(f"dnacase.cli.{_name}").command)
