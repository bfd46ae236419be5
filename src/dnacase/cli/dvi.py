"""``dnacase dvi``: joint disaster-victim identification (several remains, several families).

``dnacase dvi solve PROBLEMS.json`` reads a JSON array of DVI problems (one object is also
accepted; format: the oracle README section 6, ``-`` reads standard input) and prints a JSON
array, one object per problem in input order (:mod:`dnacase.kinship.dvi.result`)::

    {"id", "pairwise": {V: {M: {"lr", "log10_lr"}}},
     "joint": {"n_assignments", "exhaustive", "rule", "loglik_null", "top": [...]},
     "glr": {V: {M: log10}}, "classification": [...], "engine", "options"}

A problem that is invalid or cannot be solved gets ``{"id", "error"}`` naming the family,
person or locus (also on standard error); the others are solved and the exit status is 1.
An unreadable file or invalid JSON: one message on standard error, exit status 2.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click

from dnacase.kinship.dvi import DVIError, DVIOptions, error_json, parse_problem, solve
from dnacase.kinship.lr import ENGINE_VERSION
from dnacase.settings import kinship_max_clique


@click.group(name="dvi")
def command() -> None:
    """Joint DVI: several victims against families with several missing persons."""


def _read(file: str) -> Any:
    name = "<stdin>" if file == "-" else file
    try:
        text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = getattr(exc, "strerror", None) or exc
        raise click.ClickException(f"{name}: cannot read: {why}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise click.ClickException(
            f"{name}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None


def _fail(msg: str) -> None:
    click.echo(f"error: {msg}", err=True)
    sys.exit(2)


@command.command(name="solve")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--max-assignments", type=click.IntRange(min=1), default=2_000_000,
              show_default=True,
              help="Largest assignment space enumerated exhaustively (per independent group "
              "of families); beyond it pairings are pruned (exclusions, then pairwise LR >= "
              "1, 10, ...) and the rule is reported.")
@click.option("--lr-limit", type=click.FloatRange(min=0), default=None,
              help="Always keep only pairings with pairwise LR >= this (and '*').")
@click.option("--top", type=click.IntRange(min=1), default=10, show_default=True,
              help="Best assignments listed (rows tied with the last are added).")
@click.option("--threshold", type=click.FloatRange(min=1), default=1e4, show_default=True,
              help="LR threshold of the classification (undisputed, joint).")
@click.option("--indent", type=click.IntRange(min=0), default=None, help="Pretty-print JSON.")
@click.option("--max-clique", type=click.IntRange(min=1), default=None,
              help="Complexity limit of the exact likelihood (default: "
              "DNACASE_KINSHIP_MAX_CLIQUE, else 600000000).")
def solve_command(file: str, max_assignments: int, lr_limit: float | None, top: int,
                  threshold: float, indent: int | None, max_clique: int | None) -> None:
    """Solve each DVI problem in FILE (JSON array; '-' for stdin)."""
    t0 = time.perf_counter()
    try:
        limit = kinship_max_clique() if max_clique is None else max_clique
    except ValueError as exc:
        _fail(str(exc))
    try:
        obj = _read(file)
    except click.ClickException as exc:
        _fail(exc.message)
    single = isinstance(obj, dict)
    items = [obj] if single else obj
    if not isinstance(items, list):
        _fail(f"{file}: expected a JSON array of DVI problems")
    opts = DVIOptions(max_assignments=max_assignments, top=top, lr_limit=lr_limit,
                      threshold=threshold, max_clique=limit)
    out, failed, seen = [], 0, set()
    for k, item in enumerate(items):
        pid = str(item.get("id", f"#{k + 1}")) if isinstance(item, dict) else f"#{k + 1}"
        try:
            if pid in seen:
                raise DVIError(f"problem {pid!r}: duplicate problem id")
            seen.add(pid)
            out.append(solve(parse_problem(item, k), opts))
        except DVIError as exc:
            click.echo(f"error: {exc}", err=True)
            out.append(error_json(pid, str(exc)))
            failed += 1
    click.echo(json.dumps(out[0] if single else out, indent=indent, allow_nan=False))
    click.echo(f"note: {len(out)} problem(s) in {time.perf_counter() - t0:.2f} s with "
               f"{ENGINE_VERSION}; markers treated as unlinked", err=True)
    if failed:
        click.echo(f"error: {failed} of {len(out)} problem(s) could not be solved", err=True)
        sys.exit(1)
