"""``dnacase import``: lab result files (two steps) and allele frequency tables.

    dnacase import profiles FILE --lab LAB            # validation report, nothing written
    dnacase import profiles FILE --lab LAB --commit   # commit (all-or-nothing)
    dnacase import frequencies FILE --population "Kinh, Viet Nam" --n 350
    dnacase import frequency-tables                   # list shipped and imported tables

Exit status: 0 when the file is acceptable (or was committed), 1 when it is refused, 2 on
usage errors.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from dnacase.cli.registry import _run


@click.group("import")
def command() -> None:
    """Import lab result files and allele frequency tables."""


def _overrides(values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for v in values:
        key, sep, reason = v.partition("=")
        if not sep:
            raise click.BadParameter(f"{v!r}: use BARCODE=REASON", param_hint="--override")
        out[key.strip()] = reason.strip()
    return out


def _where(line: Any, sample: Any, locus: Any) -> str:
    """"line 3, sample X, locus TH01" in the current locale (parts that are known)."""
    from dnacase.i18n import gettext as _

    return ", ".join(w for w in (_("line %(n)s", n=line) if line else "",
                                 _("sample %(s)s", s=sample) if sample else "",
                                 _("locus %(l)s", l=locus) if locus else "") if w)


def _print_report(report: Any, *, verbose: bool) -> None:
    c = report.counts()
    click.echo(f"{report.filename} (sha256 {report.sha256[:16]}…, {report.format or '?'}, "
               f"{report.size:,} bytes) lab {report.lab!r}: {c['samples']} samples: "
               f"{c['new']} new, {c['new_version']} new versions, {c['unchanged']} unchanged, "
               f"{c['refused']} refused; {c['held']} held, {c['flagged']} flagged; "
               f"{c['errors']} errors, {c['warnings']} warnings "
               f"({report.seconds:.2f} s)")
    for i in report.issues:
        if i.severity == "info" and not verbose:
            continue
        where = _where(i.line, i.sample, i.locus)
        click.echo(f"  {i.severity:<7} {i.code:<22} {where}{': ' if where else ''}{i.message}")


@command.command("profiles")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--lab", required=True, help="The laboratory that sent the file.")
@click.option("--commit", "do_commit", is_flag=True,
              help="Write the profiles (default: validation report only, nothing written).")
@click.option("--format", "fmt", default=None, help="Format id (default: detected).")
@click.option("--kit", "typing_kit", default=None, help="Typing kit when the file names none.")
@click.option("--reason", default=None, help="Reason for re-issued (corrected) profiles.")
@click.option("--override", "overrides", multiple=True, metavar="BARCODE=REASON",
              help="Accept a held profile (mixture, contamination sign) as single-source.")
@click.option("--elimination", is_flag=True,
              help="Staff profiles for the elimination database (sample names = staff codes).")
@click.option("--frequency-table", default=None,
              help="Frequency table id (shipped or imported) for the family consistency LRs "
              "(default: the evidence model's, norstr_east_asia).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("-v", "--verbose", is_flag=True, help="Also list informational notes.")
def profiles(file: Path, lab: str, do_commit: bool, fmt: str | None, typing_kit: str | None,
             reason: str | None, overrides: tuple[str, ...], elimination: bool,
             frequency_table: str | None, as_json: bool, verbose: bool) -> None:
    """Validate (and with --commit import) the lab result FILE."""
    from dnacase.services import audit
    from dnacase.services import profile_import as pi
    from dnacase.services.errors import DomainError

    data = file.read_bytes()
    kwargs: dict[str, Any] = {
        "lab": lab, "purpose": "elimination" if elimination else "profiles", "format": fmt,
        "typing_kit": typing_kit, "overrides": _overrides(overrides),
        "frequency_table": frequency_table}

    async def go(session: Any) -> Any:
        if do_commit:
            return await pi.commit_import(session, data, file.name, actor=audit.SYSTEM,
                                          meta=audit.CLI_META, reason=reason, **kwargs)
        return await pi.validate_import(session, data, file.name, **kwargs)

    try:
        report = _run(go)
    except DomainError as exc:
        if as_json:
            click.echo(json.dumps(exc.to_dict(), ensure_ascii=False, indent=2))
        else:
            click.echo(f"{file.name}: {exc.message}", err=True)
            for issue in exc.details.get("issues", [])[:50]:
                where = _where(issue.get("line"), issue.get("sample"), issue.get("locus"))
                click.echo(f"  {file.name}{', ' if where else ''}{where}: {issue.get('message')}",
                           err=True)
            for name, msg in exc.field_errors.items():
                click.echo(f"  {name}: {msg}", err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print_report(report, verbose=verbose)
        if report.already is not None:
            click.echo("nothing changed: this file was imported before")
        elif report.committed:
            click.echo(f"committed as import #{report.import_id}")
        elif report.ok:
            hint = " --reason '...'" if report.needs_reason else ""
            click.echo(f"nothing written; to import: add --commit{hint}")
    sys.exit(0 if report.ok else 1)


def _run_or_refuse(go: Any, where: str) -> Any:
    """Run a one-step import; on refusal print the reason and its issues (line and ``where``:
    ``locus`` or ``sample``) and exit 1."""
    from dnacase.services.errors import DomainError

    try:
        return _run(go)
    except DomainError as exc:
        click.echo(f"refused: {exc.message}", err=True)
        for issue in exc.details.get("issues", [])[:50]:
            click.echo(f"  line {issue.get('line')}, {where} {issue.get(where)}: "
                       f"{issue.get('message')}", err=True)
        sys.exit(1)


@command.command("frequencies")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--population", required=True, help='Population, e.g. "Kinh, Viet Nam".')
@click.option("--n", "n_individuals", type=int, default=None,
              help="Number of persons typed (N), when the file does not say.")
@click.option("--id", "table_id", default=None, help="Table id (default: from the population).")
@click.option("--source", default="", help="Citation of the source (paper, supplement).")
def frequencies(file: Path, population: str, n_individuals: int | None, table_id: str | None,
                source: str) -> None:
    """Validate and store an allele frequency table in one step."""
    from dnacase.services import audit
    from dnacase.services import frequencies as freq

    async def go(session: Any) -> Any:
        return await freq.import_table(session, file.read_bytes(), file.name,
                                       population=population, n_individuals=n_individuals,
                                       table_id=table_id, source=source, actor=audit.SYSTEM,
                                       meta=audit.CLI_META)

    result = _run_or_refuse(go, "locus")
    rec = result.record
    state = "imported" if result.created else "already imported (unchanged)"
    click.echo(f"{rec.slug}: {rec.population}, N={rec.n_individuals or 'unknown'}, "
               f"{rec.n_loci} loci: {state}")
    for w in result.warnings:
        click.echo(f"  warning: {w}")


@command.command("frequency-tables")
def frequency_tables() -> None:
    """List the frequency tables (shipped and imported)."""
    from dnacase.services import frequencies as freq

    for t in _run(freq.list_tables):
        mark = "*" if t.default else " "
        click.echo(f"{mark} {t.id:<28} {t.origin:<8} N={t.n_individuals or '?':<6} "
                   f"{t.population}")


@command.command("haplotypes")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--marker", type=click.Choice(["mtDNA", "Y_STR"]), required=True,
              help="mtDNA (EMPOP .emp / HaploGrep .hsd) or Y_STR (haplotype table).")
@click.option("--population", required=True, help='Population, e.g. "Kinh, Viet Nam".')
@click.option("--id", "database_id", default=None, help="Database id (default: from the "
              "marker and the population).")
@click.option("--source", default="", help="Citation of the source (paper, EMPOP/YHRD release).")
def haplotypes(file: Path, marker: str, population: str, database_id: str | None,
               source: str) -> None:
    """Validate and store a population haplotype database (mtDNA or Y-STR) in one step; the
    review's lineage LRs count haplotypes in the newest one of each marker."""
    from dnacase.services import audit
    from dnacase.services import haplotype_databases as hdb

    async def go(session: Any) -> Any:
        return await hdb.import_database(session, file.read_bytes(), file.name, marker=marker,
                                         population=population, source=source,
                                         database_id=database_id, actor=audit.SYSTEM,
                                         meta=audit.CLI_META)

    result = _run_or_refuse(go, "sample")
    rec = result.record
    state = "imported" if result.created else "already imported (unchanged)"
    click.echo(f"{rec.slug}: {rec.marker}, {rec.population}, N={rec.n_haplotypes}: {state}")
