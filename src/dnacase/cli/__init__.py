"""The ``dnacase`` command.

Each area keeps its commands in its own module under ``dnacase.cli`` and exposes a click
command or group named ``command``; ``_SUBCOMMANDS`` lists those modules. Commands import
services (never models or the web layer directly) and the pure libraries.
"""

from __future__ import annotations

import importlib

import click

# Modules under dnacase.cli, each exposing ``command`` (a click.Command or click.Group).
_SUBCOMMANDS: tuple[str, ...] = (
    "db", "users", "audit", "serve", "kinship", "demo", "registry", "kits", "search", "importing",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="dnacase")
def main() -> None:
    """dnacase: DNA identification case management."""


for _name in _SUBCOMMANDS:
    main.add_command(importlib.import_module(f"dnacase.cli.{_name}").command)
