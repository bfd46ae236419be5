"""Re-association of remains: the remains x remains scan (``dnacase search remains-pairs``).

Every current remains profile is compared with every other one with the identity LR of
:mod:`dnacase.kinship.identity` (H1 = one individual, H2 = two unrelated individuals; log10,
summed over the loci typed in both; per-locus error allowance). A one-peak locus is read with
its sample's own allele dropout probability, the one the search uses
(:func:`dnacase.services.dropout.sample_dropout`: the sample's value, else the default of its
sample type; ``d = 0`` reads it as a homozygote), on the search's panel (the frequency
table's loci typed in a profile, unseen alleles at the minimum frequency). Pairs with
``log10 LR >= min_log10`` are queued as :class:`~dnacase.models.reassociation.RemainsPair` for
the reviewers' "same individual" decision (:mod:`dnacase.services.reassociation`). A new scan
updates open pairs whose profile versions or dropout probabilities changed and never touches
decided ones; pairs already in one group are not queued. A scan that changes something writes
one audit entry (plus one per pair queued or updated).
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dnacase.db import utcnow
from dnacase.i18n import gettext as _
from dnacase.kinship.identity import DEFAULT_ERROR, IdentityTables, identity_lr, pairwise_identity
from dnacase.kinship.markers import encode_profiles, genotype_code
from dnacase.models.reassociation import RemainsPair
from dnacase.services import audit, evidence_model
from dnacase.services.errors import ValidationFailed
from dnacase.services.reassociation import DEFAULT_MIN_LOG10, group_map
from dnacase.services.search_inputs import ProfileInput, ProfileSource, RemainsInput

__all__ = ["ScanReport", "scan_remains_pairs"]


@dataclass(slots=True)
class ScanReport:
    """What a scan did: profiles compared, pairs at or above the threshold, new pairs queued,
    open pairs updated, pairs left alone (decided or already one group)."""

    profiles: int = 0
    pairs_compared: int = 0
    hits: int = 0
    queued: int = 0
    updated: int = 0
    unchanged: int = 0
    min_log10: float = DEFAULT_MIN_LOG10
    notes: list[str] = field(default_factory=list)


def _details(res: Any, a: ProfileInput, b: ProfileInput) -> dict[str, Any]:
    """What the pair page shows: loci compared, dropout / mismatch loci, per-locus log10 LR,
    both samples' genotypes (``"15/16"``, one peak ``"15"``) and the model parameters."""

    def gt(p: ProfileInput) -> dict[str, str]:
        return {k: v[0] if v[0] == v[1] else f"{v[0]}/{v[1]}" for k, v in p.alleles.items()}

    return {"genotypes": [gt(a), gt(b)], "compared": list(res.compared),
            "dropout_loci": list(res.dropout_loci),
            "mismatch_loci": list(res.mismatch_loci), "error": res.error,
            "dropout": _shown(res.dropout), "dropouts": list(res.dropout),
            "per_locus": {loc: float(v) for loc, v, c in zip(
                res.loci, res.log10_per_locus.tolist(), [x in res.compared for x in res.loci],
                strict=True) if c}}


def _shown(d: tuple[float, float]) -> float | str:
    """The samples' dropout probabilities as the pair page shows them: one value when equal."""
    return d[0] if d[0] == d[1] else f"{d[0]:g} / {d[1]:g}"


async def scan_remains_pairs(
    session: AsyncSession, source: ProfileSource, *, min_log10: float = DEFAULT_MIN_LOG10,
    frequency_table: str | None = None, error: float = DEFAULT_ERROR,
    actor: Any = audit.SYSTEM, request_meta: audit.RequestMeta | None = None,
) -> ScanReport:
    """Compare every current remains profile with every other one and queue the pairs whose
    identity log10 LR is ``>= min_log10`` (see module doc). Frequencies: the search's panel
    (the table's loci typed in a profile, unseen alleles at the minimum frequency) of the table
    ``frequency_table``, shipped or imported (default: the evidence model's default table);
    dropout: each remains sample's own probability (``ProfileInput.dropout``)."""
    from dnacase.services.search import SearchParameters, build_panel
    from dnacase.services.search_inputs import SearchInputs

    if not math.isfinite(min_log10):
        raise ValidationFailed(_("The threshold must be a number."))
    params = SearchParameters(mutation_model="none")
    if frequency_table:
        params = replace(params, frequency_table=frequency_table)
    table = await evidence_model.frequency_table(session, params.frequency_table)
    profiles = await source.remains_profiles(session)
    ids = sorted(profiles)
    report = ScanReport(profiles=len(ids), min_log10=min_log10)
    report.pairs_compared = len(ids) * (len(ids) - 1) // 2
    if len(ids) < 2:
        return report
    panel = build_panel(params, SearchInputs([], [RemainsInput(i, profiles[i]) for i in ids]),
                        table)
    loci = [loc.without_mutation() for loc in panel.loci]
    report.notes = list(panel.notes)

    drop = [profiles[i].dropout for i in ids]
    tables = IdentityTables(loci, error)

    def score() -> tuple[Any, list[tuple[int, int, float, int]]]:
        geno = encode_profiles(loci, [str(i) for i in ids],
                               {str(i): profiles[i].alleles for i in ids})
        codes = genotype_code(geno[..., 0], geno[..., 1])
        return geno, pairwise_identity(tables, codes, min_log10, drop)

    geno, hits = await asyncio.to_thread(score)  # CPU work off the event loop
    report.hits = len(hits)
    gmap = await group_map(session)
    existing = {(p.remains_a_id, p.remains_b_id): p for p in (await session.execute(
        select(RemainsPair))).scalars()} if hits else {}
    for i, j, _lr, _n in hits:
        a, b = ids[i], ids[j]
        if gmap.get(a) is not None and gmap.get(a) == gmap.get(b):
            report.unchanged += 1
            continue
        res = identity_lr(loci, geno[i], geno[j], dropout=(drop[i], drop[j]), error=error,
                          tables=tables.get(drop[i], drop[j]))
        versions = f"{profiles[a].version},{profiles[b].version}"[:200]
        pair = existing.get((a, b))
        if pair is None:
            pair = RemainsPair(remains_a_id=a, remains_b_id=b, log10_lr=res.log10_lr,
                               loci_compared=len(res.compared), versions=versions,
                               details=_details(res, profiles[a], profiles[b]))
            session.add(pair)
            await session.flush()
            await audit.record(session, actor, "reassociation.pair.enqueue", pair,
                               after=audit.snapshot(pair), request_meta=request_meta)
            report.queued += 1
        elif pair.status == "open" and (pair.versions != versions or (pair.details or {}).get(
                "dropouts") != [drop[i], drop[j]]):  # new profile or new dropout probability
            before = audit.snapshot(pair)
            pair.log10_lr, pair.loci_compared = res.log10_lr, len(res.compared)
            pair.versions, pair.updated_at = versions, utcnow()
            pair.details = _details(res, profiles[a], profiles[b])
            await audit.record(session, actor, "reassociation.pair.update", pair, before=before,
                               after=audit.snapshot(pair), request_meta=request_meta)
            report.updated += 1
        else:
            report.unchanged += 1
    if not (report.queued or report.updated):
        return report  # nothing changed: nothing to audit (a second scan writes nothing)
    await audit.record(session, actor, "reassociation.scan", "remains_pairs", after={
        "profiles": report.profiles, "hits": report.hits, "queued": report.queued,
        "updated": report.updated, "min_log10": min_log10,
        "dropout": "per sample (services.dropout)", "error": error,
        "frequency_table": frequency_table}, request_meta=request_meta)
    return report
