"""``dnacase kinship``: kinship likelihood ratios from case files.

``dnacase kinship lr FILE`` reads one case or a JSON array of cases (format:
``schemas/kinship-case.schema.json``; ``-`` reads standard input) and prints, as JSON, for each
case in input order ``{"id", "lr", "log10_lr", "loci", "inconsistent"}``:

* ``lr``: the missing-person LR (POI is the missing person vs unrelated), a double;
  ``0.0`` when excluded (then ``log10_lr`` is ``null``); ``null`` when the LR is outside the
  double range (``log10_lr`` is then finite);
* ``loci``: ``{locus: log10 LR}`` per locus (``null`` for an excluding locus, ``0`` where the
  POI is untyped); ``inconsistent``: loci where the POI is Mendelian-incompatible with the
  family (LR 0 without mutation, small with a mutation model).

With lineage data in the case (``mtdna``, ``ystr``: ``schemas/lineage.schema.json``) each
item also has ``lineage``: the autosomal, mtDNA and Y-STR log10 LRs, their sum (combined LR,
markers of the three kinds assumed independent), hypotheses, references used or outside the
line, and the parts are summarised on standard error.

Markers are treated as unlinked (product over loci) unless they carry ``chromosome`` and
genetic positions (``cm_male``/``cm_female`` or ``position_mb``): those are linked along each
chromosome (Lander-Green HMM, :mod:`dnacase.kinship.linkage`; ``loci`` then holds the chain
increments, which sum to the LR). The model used and any frequency policy applied
are reported on standard error (and in a ``notes`` field with ``--notes``). Invalid input:
a message naming the case, person and locus on standard error, exit status 2.

A case that is valid but cannot be computed (a locus beyond the complexity limit
``--max-clique`` / ``DNACASE_KINSHIP_MAX_CLIQUE``, or references impossible on the
pedigree) gets ``{"id", "error"}`` in the output, the error naming the locus and the reason
(also on standard error); the other cases are computed, and the exit status is then 1.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from dnacase.kinship import (
    CaseError,
    KinshipDataError,
    LikelihoodError,
    TooComplexError,
    error_json,
    load_cases,
    result_json,
)
from dnacase.kinship.lineage.casefile import case_lineage_json, parts_line
from dnacase.kinship.linkage.lr import LINKED_NOTE
from dnacase.kinship.lr import ENGINE_VERSION, UNLINKED_NOTE
from dnacase.settings import kinship_max_clique


@click.group(name="kinship")
def command() -> None:
    """Kinship likelihood ratios (exact pedigree likelihoods)."""


@command.command(name="lr")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "--n-individuals",
    type=click.IntRange(min=1),
    default=None,
    help="Frequency database size N: alleles absent from a table get 5/2N "
    "(renormalised). Without it such alleles are an error.",
)
@click.option(
    "--notes/--no-notes",
    default=False,
    help="Add a 'notes' field (assumptions, policies, mutation models) per case.",
)
@click.option("--indent", type=click.IntRange(min=0), default=None, help="Pretty-print JSON.")
@click.option(
    "--max-clique",
    type=click.IntRange(min=1),
    default=None,
    help="Complexity limit: the largest elimination step, in genotype combinations per locus "
    "(default: DNACASE_KINSHIP_MAX_CLIQUE, else 600000000). A locus beyond it is refused.",
)
def lr_command(
    file: str, n_individuals: int | None, notes: bool, indent: int | None, max_clique: int | None
) -> None:
    """Missing-person LR for each case in FILE (JSON; '-' for stdin)."""
    t0 = time.perf_counter()
    try:
        limit = kinship_max_clique() if max_clique is None else max_clique
    except ValueError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    try:
        name = "<stdin>" if file == "-" else file
        if file == "-":
            text = sys.stdin.read()
        else:
            try:
                text = Path(file).read_text(encoding="utf-8")
            except OSError as exc:
                raise CaseError(f"{file}: cannot read: {exc.strerror}") from exc
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CaseError(
                f"{name}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
            ) from exc
        single = isinstance(obj, dict)
        cases = load_cases(obj, n_individuals)
    except (CaseError, OSError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    out = []
    policy_notes = []
    failed = 0
    for case in cases:
        try:
            res = case.compute(limit)
        except (KinshipDataError, LikelihoodError) as exc:  # this case only: an error item
            msg = str(exc)
            if isinstance(exc, TooComplexError):
                msg += " (--max-clique or DNACASE_KINSHIP_MAX_CLIQUE)"
            click.echo(f"error: case {case.id!r}: {msg}", err=True)
            out.append(error_json(case, msg))
            failed += 1
            continue
        try:
            lineage = case_lineage_json(case.raw, case.pedigree, res.log10_lr, source=file)
        except ValueError as exc:  # invalid lineage input
            click.echo(f"error: case {case.id!r}: {exc}", err=True)
            sys.exit(2)
        item = result_json(case, res)
        if lineage is not None:  # mtDNA / Y-STR data present: every part and the product
            item["lineage"] = lineage
            policy_notes.append(f"case {case.id!r}: {parts_line(lineage)}")
        if notes:
            item["notes"] = list(res.notes)
        policy_notes += [f"case {case.id!r}: {n}" for n in case.notes]
        out.append(item)
    payload = out[0] if single and len(out) == 1 else out
    click.echo(json.dumps(payload, indent=indent, allow_nan=False))
    for n in policy_notes:
        click.echo(f"note: {n}", err=True)
    n_linked = sum(case.linkage is not None for case in cases)
    model = UNLINKED_NOTE if not n_linked else (
        f"{n_linked} case(s) with linked markers ({LINKED_NOTE.split(';')[0]})"
        + (f", the others {UNLINKED_NOTE.split(':')[0].removeprefix('markers ')}"
           if n_linked < len(cases) else ""))
    click.echo(
        f"note: {len(out)} case(s) in {time.perf_counter() - t0:.2f} s with {ENGINE_VERSION}; "
        f"{model}",
        err=True,
    )
    if failed:
        click.echo(f"error: {failed} of {len(out)} case(s) could not be computed", err=True)
        sys.exit(1)
