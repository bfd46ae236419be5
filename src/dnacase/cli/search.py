"""``dnacase search``: run, resume and inspect searches from the command line."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import click

from dnacase.services.search_liveness import STALE_SECONDS
from dnacase.settings import Settings


def _source(genotypes: Path | None, settings: Settings) -> Any:
    """The current profile versions in the database, or a wide lab table (``--genotypes``)."""
    from dnacase.services.search_inputs import DatabaseProfileSource, WideTableProfileSource

    if genotypes is None:
        return DatabaseProfileSource()
    try:
        return WideTableProfileSource(genotypes)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc


def _progress(run: Any) -> None:
    left = f", about {run.seconds_left:.0f} s left" if run.seconds_left is not None else ""
    rate = f"{run.rate_pairs_per_s:,.0f} pairs/s" if run.rate_pairs_per_s else ""
    click.echo(f"  block {run.blocks_done}/{run.blocks_total}: {run.pairs_done:,}/"
               f"{run.pairs_total:,} pairs, {rate}{left}", err=True)


async def _execute(settings: Settings, run_id: int, source: Any) -> Any:
    from dnacase.db import create_engine, create_sessionmaker
    from dnacase.services import search

    engine = create_engine(settings.database_url)
    try:
        sm = create_sessionmaker(engine)
        return await search.execute_run(
            sm, run_id, source, cache_dir=settings.var_dir / "search_tables",
            dask_scheduler=settings.dask_scheduler, on_progress=_progress)
    finally:
        await engine.dispose()


def _prior_text(run: Any) -> str:
    """The run's prior as printed: its value when one value holds for every pair, else the mode
    (an ``area`` prior differs per cemetery and is stored with each pair)."""
    if run.prior_value is None:
        return f"per pair ({run.prior_mode})"
    return f"{run.prior_value:.4g} ({run.prior_mode})"


def _summary(run: Any) -> None:
    click.echo(f"search run {run.id}: {run.status}; {run.n_remains} remains x "
               f"{run.n_families} families = {run.pairs_total:,} pairs; "
               f"{run.results_count} pairs stored (log10 LR >= {run.store_min_log10}); "
               f"{run.tables_built} family tables built; prior {_prior_text(run)}")
    skipped = (run.notes or {}).get("families_skipped") or {}
    for mp, why in skipped.items():
        click.echo(f"  family of missing person {mp} skipped: {why}", err=True)


@click.group("search")
def command() -> None:
    """Search every remains profile against every family (blind search)."""


@command.command("run")
@click.option("--family", "family_id", type=int, default=None,
              help="Only this missing person's family.")
@click.option("--remains", "remains_id", type=int, default=None, help="Only these remains.")
@click.option("--genotypes", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="Read genotypes from a wide lab table keyed by kit barcode "
              "instead of the imported profile versions.")
@click.option("--frequencies", default=None,
              help="Frequency table id, shipped or imported (default: the evidence model's, "
              "norstr_east_asia; see 'dnacase import frequency-tables').")
@click.option("--mutation", "mutation_model", default=None,
              type=click.Choice(["none", "equal", "proportional", "stepwise", "onestep"]),
              help="Mutation model (default: the evidence model's, stepwise).")
@click.option("--mutation-rate", type=click.FloatRange(0.0, 1.0, max_open=True), default=None,
              help="One rate per meiosis for every locus (default: the per-locus, per-sex "
              "rates of the shipped rate table).")
@click.option("--mutation-rate2", type=click.FloatRange(0.0, 1.0, max_open=True), default=None,
              help="Stepwise: rate of a step between allele classes (to or from a "
              "microvariant); default 1e-05.")
@click.option("--theta", type=click.FloatRange(0.0, 1.0, max_open=True), default=0.0,
              show_default=True, help="F_ST; only 0 is computed (see docs/evidence-model.md).")
@click.option("--null-allele", "null_alleles", multiple=True, metavar="LOCUS=Q",
              help="A silent (null) allele of frequency Q at LOCUS (repeatable; default "
              "none; docs/evidence-model.md).")
@click.option("--lr-threshold", type=float, default=None,
              help="LR for the review queue (default 10000).")
@click.option("--posterior-threshold", type=float, default=None,
              help="Posterior for the review queue (default 0.999).")
@click.option("--prior", "prior_value", type=float, default=None,
              help="Fixed prior (default: flat, 1 / number of missing persons).")
@click.option("--prior-mode", type=click.Choice(["flat", "area", "fixed"]), default=None,
              help="flat: 1 / missing persons; area: 1 / the cemetery's candidate pool size "
              "(flat where not set); fixed: --prior. Default: fixed with --prior, else flat.")
@click.option("--prior-none", type=float, default=None,
              help="pi_0: the prior that remains are of nobody in the registry (pool-wide "
              "posteriors, docs/posteriors.md; default 0.1).")
@click.option("--lineage-filter/--no-lineage-filter", default=True, show_default=True,
              help="Skip the autosomal comparison of pairs whose mtDNA/Y haplotypes exclude a "
              "common lineage (only where lineage data exist).")
@click.option("--block", "block_families", type=int, default=None,
              help="Families per block (default 512).")
@click.option("--incremental", is_flag=True,
              help="Only new remains profiles and families with new or changed references.")
def run_cmd(family_id: int | None, remains_id: int | None, genotypes: Path | None,
            frequencies: str | None, mutation_model: str | None, mutation_rate: float | None,
            mutation_rate2: float | None, theta: float, null_alleles: tuple[str, ...],
            lr_threshold: float | None,
            posterior_threshold: float | None, prior_value: float | None,
            prior_mode: str | None, prior_none: float | None, lineage_filter: bool,
            block_families: int | None,
            incremental: bool) -> None:
    """Start a search run and wait for it (progress on stderr)."""
    from dnacase.db import create_engine, create_sessionmaker, unit_of_work
    from dnacase.services import search
    from dnacase.services.errors import DomainError

    settings = Settings.from_env()
    source = _source(genotypes, settings)
    d = search.SearchParameters()  # the defaults, written once (services/evidence_model.py)
    params = search.SearchParameters(
        frequency_table=frequencies or d.frequency_table,
        mutation_model=mutation_model or d.mutation_model, mutation_rate=mutation_rate,
        theta=theta, mutation_rate2=d.mutation_rate2 if mutation_rate2 is None else mutation_rate2,
        null_alleles=_null_alleles(null_alleles),
        lr_threshold=d.lr_threshold if lr_threshold is None else lr_threshold,
        posterior_threshold=(d.posterior_threshold if posterior_threshold is None
                             else posterior_threshold),
        prior_mode=prior_mode or ("fixed" if prior_value is not None else "flat"),
        prior_value=prior_value, lineage_filter=lineage_filter,
        prior_none=d.prior_none if prior_none is None else prior_none,
        block_families=d.block_families if block_families is None else block_families)

    async def create() -> int:
        engine = create_engine(settings.database_url)
        try:
            async with unit_of_work(create_sessionmaker(engine)) as s:
                run = await search.create_run(
                    s, params, missing_person_id=family_id, remains_id=remains_id,
                    executor=settings.dask_scheduler or "local", incremental=incremental)
                return int(run.id)  # type: ignore[arg-type]
        finally:
            await engine.dispose()

    try:
        run_id = asyncio.run(create())
        click.echo(f"search run {run_id} started", err=True)
        run = asyncio.run(_execute(settings, run_id, source))
    except DomainError as exc:
        fields = "; ".join(f"{k}: {v}" for k, v in exc.field_errors.items())
        click.echo(f"error: {exc.message}{' (' + fields + ')' if fields else ''}", err=True)
        sys.exit(2)
    _summary(run)
    _scan(settings, source, frequencies=params.frequency_table)  # remains x remains


@command.command("resume")
@click.option("--genotypes", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None)
@click.option("--stale", type=float, default=STALE_SECONDS, show_default=True,
              help="Seconds without a heartbeat after which a running run counts as dead "
                   "(a run whose process on this host is gone is taken over at once).")
def resume_cmd(genotypes: Path | None, stale: float) -> None:
    """Resume runs whose process died (no duplicate or lost results) and execute queued runs
    (e.g. the incremental search a profile import queues)."""
    from dnacase.db import create_engine, create_sessionmaker, unit_of_work
    from dnacase.services import search

    settings = Settings.from_env()
    source = _source(genotypes, settings)

    async def find() -> list[int]:
        engine = create_engine(settings.database_url)
        try:
            async with unit_of_work(create_sessionmaker(engine)) as s:
                ids = await search.recover_interrupted(s, stale_seconds=stale)
                from sqlalchemy import select

                from dnacase.models.search import SearchRun

                ids += [int(i) for i in (await s.execute(select(SearchRun.id).where(
                    SearchRun.status.in_(("interrupted", "queued"))))).scalars() if i not in ids]
                return ids
        finally:
            await engine.dispose()

    ids = asyncio.run(find())
    if not ids:
        click.echo("no interrupted search run")
    for run_id in ids:
        _summary(asyncio.run(_execute(settings, run_id, source)))
    if ids:
        _scan(settings, source)  # remains x remains: re-association candidates


@command.command("status")
@click.argument("run_id", type=int, required=False)
def status_cmd(run_id: int | None) -> None:
    """Show the progress of a run (default: the latest runs)."""
    from dnacase.db import create_engine, create_sessionmaker
    from dnacase.services import search

    settings = Settings.from_env()

    async def show() -> list[dict[str, Any]]:
        engine = create_engine(settings.database_url)
        try:
            async with create_sessionmaker(engine)() as s:
                runs = [await search.get_run(s, run_id)] if run_id else await search.list_runs(
                    s, limit=10)
                return [search.run_progress(r) for r in runs]
        finally:
            await engine.dispose()

    for p in asyncio.run(show()):
        click.echo(f"run {p['id']} {p['status']}: {p['pairs_done']:,}/{p['pairs_total']:,} "
                   f"pairs, {p['results']} results"
                   + (f", {p['seconds_left']:.0f} s left" if p["seconds_left"] else ""))


def _null_alleles(values: tuple[str, ...]) -> tuple[tuple[str, float], ...]:
    """``LOCUS=Q`` options as ``((locus, q), ...)``; a malformed one is a usage error."""
    out = []
    for v in values:
        locus, _eq, q = v.partition("=")
        try:
            out.append((locus.strip(), float(q)))
        except ValueError:
            raise click.BadParameter(f"{v!r}: expected LOCUS=Q, e.g. D8S1179=0.01",
                                     param_hint="--null-allele") from None
        if not locus.strip():
            raise click.BadParameter(f"{v!r}: expected LOCUS=Q", param_hint="--null-allele")
    return tuple(out)


def _scan(settings: Settings, source: Any, min_log10: float | None = None,
          frequencies: str | None = None) -> None:
    """Compare remains with remains and queue re-association candidates (one transaction)."""
    from dnacase.db import create_engine, create_sessionmaker, unit_of_work
    from dnacase.services import reassociation_scan
    from dnacase.services.audit import CLI_META

    threshold = settings.reassociation_min_log10 if min_log10 is None else min_log10

    async def go() -> Any:
        engine = create_engine(settings.database_url)
        try:
            async with unit_of_work(create_sessionmaker(engine)) as s:
                return await reassociation_scan.scan_remains_pairs(
                    s, source, min_log10=threshold, frequency_table=frequencies,
                    request_meta=CLI_META)
        finally:
            await engine.dispose()

    rep = asyncio.run(go())
    click.echo(f"remains pairs: {rep.profiles} remains profiles, {rep.pairs_compared:,} pairs "
               f"compared; {rep.hits} with identity log10 LR >= {rep.min_log10:g}: "
               f"{rep.queued} queued for review, {rep.updated} updated, {rep.unchanged} "
               "unchanged")


@command.command("remains-pairs")
@click.option("--genotypes", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="Read genotypes from a wide lab table keyed by kit barcode.")
@click.option("--min-log10", type=float, default=None,
              help="Queue pairs with identity log10 LR at or above this (default: the "
              "DNACASE_REASSOCIATION_MIN_LOG10 setting, 6).")
@click.option("--frequencies", default=None,
              help="Frequency table id, shipped or imported (default: the default table).")
def remains_pairs_cmd(genotypes: Path | None, min_log10: float | None,
                      frequencies: str | None) -> None:
    """Compare every remains profile with every other one (identity LR: one individual vs two
    unrelated) and queue the pairs above the threshold for a "same individual" review."""
    from dnacase.services.errors import DomainError

    settings = Settings.from_env()
    try:
        _scan(settings, _source(genotypes, settings), min_log10, frequencies)
    except DomainError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(2)
