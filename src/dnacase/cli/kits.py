"""``dnacase kits``: register kit batches, show a kit's chain of custody, verify the chain."""

from __future__ import annotations

import sys
from typing import Any

import click

from dnacase.cli.registry import _run


@click.group("kits")
def command() -> None:
    """Collection kits and their chain of custody."""


@command.command("register")
@click.argument("count", type=int)
@click.option("--notes", default="", help="A note kept with the batch.")
def register(count: int, notes: str) -> None:
    """Register COUNT new barcoded kits; print their barcodes."""
    from dnacase.services import audit, kits
    from dnacase.services.errors import DomainError

    async def go(session: Any) -> Any:
        return await kits.register_batch(session, count, notes=notes, actor=audit.SYSTEM,
                                         meta=audit.CLI_META)

    try:
        batch, items = _run(go)
    except DomainError as exc:
        click.echo(exc.message, err=True)
        sys.exit(1)
    click.echo(f"batch {batch.id}: {len(items)} kits")
    for kit in items:
        click.echo(kit.barcode)


@command.command("show")
@click.argument("barcode")
def show(barcode: str) -> None:
    """Show a kit's state, sample and whole chain of custody."""
    from dnacase.services import kits
    from dnacase.services.errors import DomainError

    try:
        view = _run(lambda s: kits.kit_view(s, barcode))
    except DomainError as exc:
        click.echo(exc.message, err=True)
        sys.exit(1)
    click.echo(f"{view.kit.barcode}: {view.kit.state} (next: {', '.join(view.allowed) or '-'})")
    if view.sample:
        s = view.sample.sample
        click.echo(f"sample: {s.kind} {s.sample_type} {s.element} from "
                   f"{view.sample.source_label} at {s.place}, {s.collected_at:%Y-%m-%d %H:%M} UTC")
    for ev in view.events:
        click.echo(f"  #{ev.seq} {ev.at:%Y-%m-%d %H:%M} {ev.event:<11} {ev.from_party} -> "
                   f"{ev.to_party} @ {ev.location} [{ev.actor_username}] {ev.notes}")


@command.command("verify-custody")
def verify_custody() -> None:
    """Recompute the hash chain of all custody events."""
    from dnacase.services import custody

    result = _run(custody.verify)
    if result.ok:
        click.echo(f"custody chain OK: {result.checked} events")
    else:
        click.echo(f"custody chain BROKEN at event {result.first_bad_seq}: {result.reason}",
                   err=True)
        sys.exit(1)
