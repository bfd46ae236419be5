"""Kits, collections, shipments and lab outcomes.

The kit life cycle is the pure transition table of :mod:`dnacase.domain.kit_states`; every
change of state goes through :func:`dnacase.domain.kit_states.apply` (illegal transitions are
refused with the allowed next actions) and writes a custody event and an audit entry in the
caller's transaction.

Times typed into forms without an offset are Vietnam time (UTC+07:00, no daylight saving);
everything is stored in UTC.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dnacase.db import as_utc, utcnow
from dnacase.domain import kit_states as ks
from dnacase.domain.accession import make_accession, parse_accession
from dnacase.domain.errors import AccessionError, IllegalTransition
from dnacase.domain.ids import parse_id
from dnacase.domain.names import clean_text
from dnacase.i18n import gettext as _
from dnacase.models.custody import CustodyEvent
from dnacase.models.families import Relative
from dnacase.models.kits import (
    REFERENCE_SAMPLE_TYPES,
    REMAINS_ELEMENTS,
    REMAINS_SAMPLE_TYPES,
    Kit,
    KitBatch,
    Sample,
    Shipment,
    ShipmentItem,
)
from dnacase.models.registry import Cemetery, Grave, Remains
from dnacase.services import audit, custody
from dnacase.services import registry as registry_service
from dnacase.services.audit import ActorLike, Page, RequestMeta
from dnacase.services.errors import Conflict, NotFound, ValidationFailed
from dnacase.services.registry import refuse

KIT_PREFIX = "KIT"
SHIPMENT_PREFIX = "SHP"
MAX_BATCH = 1000
VIETNAM = dt.timezone(dt.timedelta(hours=7), "ICT")
_SPLIT = re.compile(r"[\s,;]+")


def _who(actor: ActorLike | None) -> str:
    if actor is None:
        return ""
    return str(getattr(actor, "display_name", None) or getattr(actor, "username", ""))


def parse_when(text: str | None, *, field_name: str, errors: dict[str, str]) -> dt.datetime | None:
    """Parse a date-time typed in a form (``YYYY-MM-DDTHH:MM``, optional seconds and offset).

    Without an offset the time is Vietnam time. Times more than 10 minutes in the future or
    before 1990 are refused.
    """
    value = (text or "").strip()
    if not value:
        errors[field_name] = _("The date and time are required.")
        return None
    try:
        when = dt.datetime.fromisoformat(value.replace(" ", "T"))
    except ValueError:
        errors[field_name] = _("%(v)s is not a date and time (YYYY-MM-DD HH:MM).", v=value)
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=VIETNAM)
    when = as_utc(when)
    if when > utcnow() + dt.timedelta(minutes=10):
        errors[field_name] = _("The time is in the future.")
        return None
    if when.year < 1990:
        errors[field_name] = _("The date is too early.")
        return None
    return when


def split_barcodes(text: str | list[str] | None) -> list[str]:
    """Barcodes from a text area or list: one per line, or separated by spaces, commas, ``;``."""
    if text is None:
        return []
    items = text if isinstance(text, list) else [text]
    out: list[str] = []
    for item in items:
        out.extend(p for p in _SPLIT.split(item.strip()) if p)
    return out


# --------------------------------------------------------------------------- kits


async def get_kit(session: AsyncSession, barcode: str) -> Kit:
    """The kit with *barcode* (check digits verified first) or :class:`NotFound`."""
    try:
        acc = parse_accession(barcode, prefix=KIT_PREFIX)
    except AccessionError as exc:
        raise refuse(exc) from None
    kit = (await session.execute(select(Kit).where(Kit.barcode == str(acc)))).scalar_one_or_none()
    if kit is None:
        raise NotFound(_("Kit %(b)s is not registered.", b=str(acc)),
                       field_errors={"barcode": _("Not registered.")})
    return kit


async def get_kit_by_id(session: AsyncSession, kit_id: int) -> Kit:
    kit = await session.get(Kit, kit_id)
    if kit is None:
        raise NotFound(_("Kit %(id)s not found.", id=kit_id))
    return kit


async def register_batch(
    session: AsyncSession, count: int | str, *, notes: str = "", year: int | None = None,
    issued_at: dt.datetime | None = None, actor: ActorLike | None,
    meta: RequestMeta | None = None,
) -> tuple[KitBatch, list[Kit]]:
    """Register *count* new kits (consecutive numbers of *year*, default this year).

    *issued_at* (default now) is the time of the kits' first custody event.
    """
    try:
        n = int(str(count).strip())
    except ValueError:
        n = 0
    if not 1 <= n <= MAX_BATCH:
        raise ValidationFailed(
            _("A batch has 1 to %(max)d kits.", max=MAX_BATCH),
            field_errors={"count": _("Enter a number from 1 to %(max)d.", max=MAX_BATCH)})
    year = year or utcnow().astimezone(VIETNAM).year
    last = (await session.execute(select(func.max(Kit.sequence)).where(Kit.year == year))
            ).scalar_one_or_none() or 0
    if last + n > 999_999:
        raise ValidationFailed(_("No kit numbers left for %(y)d.", y=year))
    batch = KitBatch(year=year, first_sequence=last + 1, count=n, notes=clean_text(notes)[:300],
                     created_by_id=getattr(actor, "id", None))
    session.add(batch)
    await session.flush()
    kits = [Kit(barcode=make_accession(KIT_PREFIX, year, last + 1 + i), year=year,
                sequence=last + 1 + i, batch_id=batch.id, state=ks.ISSUED)  # type: ignore[arg-type]
            for i in range(n)]
    session.add_all(kits)
    await session.flush()
    await custody.append_many(session, kits, "issued", actor=actor, to_party=_who(actor),
                              at=issued_at,
                              notes=_("Registered in batch %(id)s", id=batch.id))
    await audit.record(session, actor, "kit.batch.create", batch, after={
        **audit.snapshot(batch), "first": kits[0].barcode, "last": kits[-1].barcode,
    }, request_meta=meta)
    return batch, kits


async def get_batch(session: AsyncSession, batch_id: int) -> tuple[KitBatch, list[Kit]]:
    batch = await session.get(KitBatch, batch_id)
    if batch is None:
        raise NotFound(_("Kit batch %(id)s not found.", id=batch_id))
    kits = list((await session.execute(select(Kit).where(Kit.batch_id == batch_id)
                                       .order_by(Kit.sequence))).scalars())
    return batch, kits


async def list_batches(session: AsyncSession, *, limit: int = 50) -> list[KitBatch]:
    return list((await session.execute(select(KitBatch).order_by(KitBatch.id.desc())
                                       .limit(limit))).scalars())


async def list_kits(
    session: AsyncSession, *, states: tuple[str, ...] | None = None, page: int = 1,
    per_page: int = 100,
) -> Page:
    """Kits (newest first), optionally only in *states*."""
    stmt = select(Kit)
    count = select(func.count(Kit.id))
    if states:
        stmt = stmt.where(Kit.state.in_(states))
        count = count.where(Kit.state.in_(states))
    page = max(1, page)
    total = (await session.execute(count)).scalar_one()
    rows = (await session.execute(stmt.order_by(Kit.year.desc(), Kit.sequence.desc())
                                  .offset((page - 1) * per_page).limit(per_page))).scalars().all()
    return Page(list(rows), int(total), page, per_page)


async def state_counts(session: AsyncSession) -> dict[str, int]:
    """Number of kits in each state (every state present, zero if none)."""
    out = dict.fromkeys(ks.STATES, 0)
    for state, n in await session.execute(select(Kit.state, func.count(Kit.id))
                                          .group_by(Kit.state)):
        out[state] = int(n)
    return out


def _transition(kit: Kit, action: str) -> str:
    try:
        return ks.apply(kit.state, action, barcode=kit.barcode)
    except IllegalTransition as exc:
        raise refuse(exc, conflict=True) from None


# --------------------------------------------------------------------------- collection


@dataclass(slots=True)
class SampleView:
    """A sample with what it was taken from, for pages and the API."""

    sample: Sample
    relative: Relative | None = None
    remains: Remains | None = None
    grave: Grave | None = None
    cemetery: Cemetery | None = None

    @property
    def source_label(self) -> str:
        if self.relative is not None:
            return self.relative.full_name
        if self.grave is not None and self.cemetery is not None:
            return f"{self.cemetery.name} {self.grave.label}"
        if self.remains is not None:
            return self.remains.recovery_site
        return ""


async def sample_for_kit(session: AsyncSession, kit: Kit) -> SampleView | None:
    """The sample the kit carries (with relative or remains/grave/cemetery), or ``None``."""
    sample = (await session.execute(select(Sample).where(Sample.kit_id == kit.id))
              ).scalar_one_or_none()
    if sample is None:
        return None
    view = SampleView(sample)
    if sample.relative_id is not None:
        view.relative = await session.get(Relative, sample.relative_id)
    if sample.remains_id is not None:
        view.remains = await session.get(Remains, sample.remains_id)
        if view.remains is not None and view.remains.grave_id is not None:
            view.grave = await session.get(Grave, view.remains.grave_id)
            if view.grave is not None:
                view.cemetery = await session.get(Cemetery, view.grave.cemetery_id)
    return view


async def _kit_for_collection(session: AsyncSession, barcode: str,
                              errors: dict[str, str]) -> Kit | None:
    try:
        kit = await get_kit(session, barcode)
    except (ValidationFailed, NotFound) as exc:
        errors["barcode"] = exc.message
        return None
    if not ks.can_transition(kit.state, ks.COLLECT):
        try:
            ks.apply(kit.state, ks.COLLECT, barcode=kit.barcode)
        except IllegalTransition as exc:
            errors["barcode"] = exc.translated(_)
        return None
    return kit


async def _finish_collection(
    session: AsyncSession, kit: Kit, sample: Sample, *, source: str, actor: ActorLike | None,
    meta: RequestMeta | None,
) -> Sample:
    before = audit.snapshot(kit)
    kit.state = _transition(kit, ks.COLLECT)
    kit.updated_at = utcnow()
    session.add(sample)
    await session.flush()
    await custody.append(session, kit, "collected", actor=actor, from_party=source,
                         to_party=sample.collector_name or _who(actor), location=sample.place,
                         at=sample.collected_at, notes=sample.notes)
    await audit.record(session, actor, "kit.collect", kit, before=before, after={
        **audit.snapshot(kit), "sample": audit.snapshot(sample)}, request_meta=meta)
    return sample


async def collect_reference(
    session: AsyncSession, values: dict[str, Any], *, actor: ActorLike | None,
    meta: RequestMeta | None = None,
) -> Sample:
    """Record a reference sample (buccal swab, blood card) taken from a relative with a kit.

    Form values: ``barcode``, ``relative_id``, ``sample_type``, ``collected_at``, ``place``,
    ``notes``. The relative's consent must be recorded first. All problems are reported
    together, field by field.
    """
    errors: dict[str, str] = {}
    kit = await _kit_for_collection(session, str(values.get("barcode") or ""), errors)
    relative = None
    try:
        relative_id = int(str(values.get("relative_id") or "").strip())
    except ValueError:
        errors["relative_id"] = _("Choose the relative the sample is taken from.")
    else:
        relative = await session.get(Relative, relative_id)
        if relative is None:
            errors["relative_id"] = _("Relative %(id)s not found.", id=relative_id)
        elif relative.consent_date is None:
            errors["relative_id"] = _(
                "%(name)s has no recorded consent: record the signed consent first.",
                name=relative.full_name)
        elif relative.deceased:
            errors["relative_id"] = _("%(name)s is recorded as deceased.",
                                      name=relative.full_name)
    sample_type = str(values.get("sample_type") or "")
    if sample_type not in REFERENCE_SAMPLE_TYPES:
        errors["sample_type"] = _("Choose the type of sample.")
    when = parse_when(values.get("collected_at"), field_name="collected_at", errors=errors)
    place = clean_text(values.get("place"))
    if not place:
        errors["place"] = _("Say where the sample was taken.")
    if errors or kit is None or relative is None or when is None:
        raise ValidationFailed(_("The collection was not recorded: please correct the marked "
                                 "fields."), field_errors=errors)
    sample = Sample(kit_id=kit.id, kind="reference", sample_type=sample_type,  # type: ignore[arg-type]
                    relative_id=relative.id, collected_at=when,
                    collected_by_id=getattr(actor, "id", None),
                    collector_name=clean_text(values.get("collector_name")) or _who(actor),
                    place=place, notes=clean_text(values.get("notes")))
    return await _finish_collection(session, kit, sample, source=relative.full_name,
                                    actor=actor, meta=meta)


async def collect_remains(
    session: AsyncSession, values: dict[str, Any], *, actor: ActorLike | None,
    meta: RequestMeta | None = None,
) -> Sample:
    """Record a remains sample (tooth, petrous bone, femur...) from a grave with a kit.

    Form values: ``barcode``, ``cemetery_id``, ``plot``, ``row``, ``number`` (or ``grave_id``),
    ``element``, ``collected_at``, ``place`` (default: the cemetery's name), ``notes``.
    """
    errors: dict[str, str] = {}
    kit = await _kit_for_collection(session, str(values.get("barcode") or ""), errors)
    grave: Grave | None = None
    cemetery: Cemetery | None = None
    grave_id = str(values.get("grave_id") or "").strip()
    if grave_id:
        gid = parse_id(grave_id)
        grave = await session.get(Grave, gid) if gid is not None else None
        if grave is None:
            errors["grave_id"] = _("Grave %(id)s not found.", id=grave_id)
    else:
        cem_id = str(values.get("cemetery_id") or "").strip()
        cid = parse_id(cem_id)
        if cid is None or (cemetery := await session.get(Cemetery, cid)) is None:
            errors["cemetery_id"] = _("Choose the cemetery.")
        elif not str(values.get("number") or "").strip():
            errors["number"] = _("Give the grave's number.")
        else:
            grave = await registry_service.find_grave(
                session, cemetery.id, str(values.get("plot") or ""),  # type: ignore[arg-type]
                str(values.get("row") or ""), str(values.get("number") or ""))
            if grave is None:
                place = "-".join(str(values.get(k) or "").strip().upper()
                                 for k in ("plot", "row", "number") if values.get(k))
                errors["number"] = _("There is no grave %(g)s in %(c)s.", g=place,
                                     c=cemetery.name)
    if grave is not None and cemetery is None:
        cemetery = await session.get(Cemetery, grave.cemetery_id)
    element = str(values.get("element") or "")
    if element not in REMAINS_ELEMENTS:
        errors["element"] = _("Choose the skeletal element sampled.")
    sample_type = str(values.get("sample_type") or REMAINS_SAMPLE_TYPES[0])
    if sample_type not in REMAINS_SAMPLE_TYPES:
        errors["sample_type"] = _("Choose the type of sample.")
    when = parse_when(values.get("collected_at"), field_name="collected_at", errors=errors)
    if errors or kit is None or grave is None or when is None:
        raise ValidationFailed(_("The collection was not recorded: please correct the marked "
                                 "fields."), field_errors=errors)
    remains = await registry_service.remains_for_grave(session, grave, actor=actor, meta=meta)
    place = clean_text(values.get("place")) or (cemetery.name if cemetery else "")
    sample = Sample(kit_id=kit.id, kind="remains", sample_type=sample_type,  # type: ignore[arg-type]
                    remains_id=remains.id, element=element, collected_at=when,
                    collected_by_id=getattr(actor, "id", None),
                    collector_name=clean_text(values.get("collector_name")) or _who(actor),
                    place=place, notes=clean_text(values.get("notes")))
    source = f"{cemetery.name if cemetery else ''} {grave.label}".strip()
    return await _finish_collection(session, kit, sample, source=source, actor=actor, meta=meta)


# --------------------------------------------------------------------------- shipments


async def _next_shipment_number(session: AsyncSession, year: int) -> int:
    last = (await session.execute(select(func.max(Shipment.sequence))
                                  .where(Shipment.year == year))).scalar_one_or_none()
    return (last or 0) + 1


async def _kits_from_barcodes(
    session: AsyncSession, barcodes: list[str], *, problems: list[str],
) -> list[Kit | str]:
    """Resolve barcodes to kits; a valid barcode that is not registered stays a string."""
    out: list[Kit | str] = []
    seen: set[str] = set()
    for text in barcodes:
        try:
            number = str(parse_accession(text, prefix=KIT_PREFIX))
        except AccessionError as exc:
            problems.append(exc.translated(_))
            continue
        if number in seen:
            problems.append(_("%(b)s is listed twice.", b=number))
            continue
        seen.add(number)
        kit = (await session.execute(select(Kit).where(Kit.barcode == number))
               ).scalar_one_or_none()
        out.append(kit if kit is not None else number)
    return out


async def create_shipment(
    session: AsyncSession, values: dict[str, Any], *, actor: ActorLike | None,
    meta: RequestMeta | None = None,
) -> Shipment:
    """Send collected kits to a laboratory: a manifest (``barcodes``), ``lab_name``, ``notes``.

    Every kit must be collected (not yet shipped); any problem refuses the whole shipment.
    """
    errors: dict[str, str] = {}
    lab = clean_text(values.get("lab_name"))
    if not lab:
        errors["lab_name"] = _("Name the laboratory.")
    barcodes = split_barcodes(values.get("barcodes"))
    problems: list[str] = []
    kits: list[Kit] = []
    if not barcodes:
        errors["barcodes"] = _("Scan or type the barcodes of the kits to send.")
    for item in await _kits_from_barcodes(session, barcodes, problems=problems):
        if isinstance(item, str):
            problems.append(_("Kit %(b)s is not registered.", b=item))
        elif not ks.can_transition(item.state, ks.SHIP):
            try:
                ks.apply(item.state, ks.SHIP, barcode=item.barcode)
            except IllegalTransition as exc:
                problems.append(exc.translated(_))
        else:
            kits.append(item)
    if problems:
        errors["barcodes"] = " ".join(problems)
    if errors:
        raise ValidationFailed(_("The shipment was not recorded: please correct the marked "
                                 "fields."), field_errors=errors)
    now = utcnow()
    sent_at = now
    if values.get("sent_at"):
        parsed = parse_when(values.get("sent_at"), field_name="sent_at", errors=errors)
        if parsed is None:
            raise ValidationFailed(_("Please correct the marked fields."), field_errors=errors)
        sent_at = parsed
    year = sent_at.astimezone(VIETNAM).year
    seq = await _next_shipment_number(session, year)
    shipment = Shipment(accession=make_accession(SHIPMENT_PREFIX, year, seq), year=year,
                        sequence=seq, lab_name=lab, state="sent", sent_at=sent_at,
                        sent_by_id=getattr(actor, "id", None),
                        notes=clean_text(values.get("notes")))
    session.add(shipment)
    await session.flush()
    for kit in kits:
        kit.state = _transition(kit, ks.SHIP)
        kit.updated_at = now
        session.add(ShipmentItem(shipment_id=shipment.id, kit_id=kit.id,  # type: ignore[arg-type]
                                 barcode=kit.barcode, status="listed"))
    await session.flush()
    await custody.append_many(session, kits, "shipped", actor=actor, from_party=_who(actor),
                              to_party=lab, shipment_id=shipment.id, at=sent_at,
                              notes=shipment.accession)
    await audit.record(session, actor, "shipment.create", shipment, after={
        **audit.snapshot(shipment), "kits": [k.barcode for k in kits]}, request_meta=meta)
    return shipment


async def get_shipment(session: AsyncSession, shipment_id: int) -> Shipment:
    shipment = await session.get(Shipment, shipment_id)
    if shipment is None:
        raise NotFound(_("Shipment %(id)s not found.", id=shipment_id))
    return shipment


async def shipment_items(session: AsyncSession, shipment_id: int) -> list[ShipmentItem]:
    return list((await session.execute(select(ShipmentItem).where(
        ShipmentItem.shipment_id == shipment_id).order_by(ShipmentItem.barcode))).scalars())


async def list_shipments(session: AsyncSession, *, limit: int = 100) -> list[
        tuple[Shipment, dict[str, int]]]:
    """Recent shipments with their item counts by status."""
    ships = list((await session.execute(select(Shipment).order_by(Shipment.id.desc())
                                        .limit(limit))).scalars())
    counts: dict[int, dict[str, int]] = {}
    if ships:
        rows = await session.execute(
            select(ShipmentItem.shipment_id, ShipmentItem.status, func.count(ShipmentItem.id))
            .where(ShipmentItem.shipment_id.in_([s.id for s in ships]))
            .group_by(ShipmentItem.shipment_id, ShipmentItem.status))
        for sid, status, n in rows:
            counts.setdefault(sid, {})[status] = int(n)
    return [(s, counts.get(s.id or 0, {})) for s in ships]


@dataclass(slots=True)
class CheckInReport:
    """What the lab found when it opened a shipment."""

    shipment: Shipment
    received: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)


async def check_in(
    session: AsyncSession, shipment_id: int, values: dict[str, Any], *,
    actor: ActorLike | None, meta: RequestMeta | None = None,
) -> CheckInReport:
    """The lab checks a shipment in against its manifest (``barcodes``: the kits scanned).

    Listed kits that were scanned are received; listed kits not scanned are flagged missing;
    scanned kits not on the manifest are flagged unexpected (their state does not change).
    A barcode with wrong check digits refuses the check-in (rescan it).
    """
    shipment = await get_shipment(session, shipment_id)
    if shipment.state != "sent":
        raise Conflict(_("Shipment %(s)s was already checked in.", s=shipment.accession))
    scanned_text = split_barcodes(values.get("barcodes"))
    problems: list[str] = []
    scanned = await _kits_from_barcodes(session, scanned_text, problems=problems)
    if problems:
        raise ValidationFailed(_("The check-in was not recorded: please correct the marked "
                                 "fields."), field_errors={"barcodes": " ".join(problems)})
    items = await shipment_items(session, shipment_id)
    listed = {item.barcode: item for item in items}
    scanned_numbers = {k.barcode if isinstance(k, Kit) else k: k for k in scanned}
    report = CheckInReport(shipment)
    now = utcnow()
    when = now
    if values.get("received_at"):
        errors: dict[str, str] = {}
        parsed = parse_when(values.get("received_at"), field_name="received_at", errors=errors)
        if parsed is None:
            raise ValidationFailed(_("Please correct the marked fields."), field_errors=errors)
        when = parsed
    received_kits: list[Kit] = []
    missing_kits: list[Kit] = []
    unexpected_kits: list[Kit] = []
    for barcode, item in listed.items():
        kit = await session.get(Kit, item.kit_id) if item.kit_id else None
        if barcode in scanned_numbers and kit is not None:
            kit.state = _transition(kit, ks.RECEIVE)
            kit.updated_at = now
            item.status = "received"
            received_kits.append(kit)
            report.received.append(barcode)
        else:
            item.status = "missing"
            report.missing.append(barcode)
            if kit is not None:
                missing_kits.append(kit)
    for barcode, kit_or_text in scanned_numbers.items():
        if barcode in listed:
            continue
        kit_id = kit_or_text.id if isinstance(kit_or_text, Kit) else None
        session.add(ShipmentItem(shipment_id=shipment.id, kit_id=kit_id,  # type: ignore[arg-type]
                                 barcode=barcode, status="unexpected"))
        report.unexpected.append(barcode)
        if isinstance(kit_or_text, Kit):
            unexpected_kits.append(kit_or_text)
    shipment.state = "received"
    shipment.received_at = when
    shipment.received_by_id = getattr(actor, "id", None)
    await session.flush()
    common = {"actor": actor, "shipment_id": shipment.id, "at": when}
    if received_kits:
        await custody.append_many(session, received_kits, "received", from_party=_("courier"),
                                  to_party=f"{shipment.lab_name} ({_who(actor)})",
                                  location=shipment.lab_name, notes=shipment.accession, **common)
    if missing_kits:
        await custody.append_many(session, missing_kits, "missing", location=shipment.lab_name,
                                  notes=_("Listed on %(s)s but not found at check-in.",
                                          s=shipment.accession), **common)
    if unexpected_kits:
        await custody.append_many(session, unexpected_kits, "unexpected",
                                  location=shipment.lab_name,
                                  notes=_("Found in %(s)s but not listed on its manifest.",
                                          s=shipment.accession), **common)
    await audit.record(session, actor, "shipment.check_in", shipment, after={
        "accession": shipment.accession, "received": report.received,
        "missing": report.missing, "unexpected": report.unexpected}, request_meta=meta)
    return report


# --------------------------------------------------------------------------- lab outcome


async def record_outcome(
    session: AsyncSession, barcode: str, outcome: str, *, notes: str = "",
    at: dt.datetime | None = None, actor: ActorLike | None, meta: RequestMeta | None = None,
) -> Kit:
    """The lab reports a received kit as ``profiled`` or ``failed``."""
    action = {"profiled": ks.PROFILE, "failed": ks.FAIL, ks.PROFILE: ks.PROFILE,
              ks.FAIL: ks.FAIL}.get(outcome)
    if action is None:
        raise ValidationFailed(_("The outcome is profiled or failed."),
                               field_errors={"outcome": _("Choose profiled or failed.")})
    kit = await get_kit(session, barcode)
    before = audit.snapshot(kit)
    kit.state = _transition(kit, action)
    kit.updated_at = utcnow()
    await session.flush()
    await custody.append(session, kit, kit.state, actor=actor, to_party=_who(actor),
                         at=at, notes=clean_text(notes))
    await audit.record(session, actor, f"kit.{action}", kit, before=before,
                       after=audit.snapshot(kit), request_meta=meta)
    return kit


# --------------------------------------------------------------------------- pages


@dataclass(slots=True)
class KitView:
    """Everything the kit (sample) page shows."""

    kit: Kit
    sample: SampleView | None
    events: list[CustodyEvent]
    shipments: list[tuple[Shipment, ShipmentItem]]
    allowed: tuple[str, ...]


async def kit_view(session: AsyncSession, barcode: str) -> KitView:
    """The kit, its sample, its whole chain of custody and its shipments."""
    kit = await get_kit(session, barcode)
    rows = await session.execute(
        select(Shipment, ShipmentItem).join(ShipmentItem, ShipmentItem.shipment_id == Shipment.id)
        .where(ShipmentItem.barcode == kit.barcode).order_by(Shipment.id))
    return KitView(kit, await sample_for_kit(session, kit),
                   await custody.chain_for_kit(session, kit.id),  # type: ignore[arg-type]
                   [(s, i) for s, i in rows], ks.allowed_actions(kit.state))


@dataclass(slots=True)
class OpenKit:
    kit: Kit
    sample: SampleView | None


async def open_kits(session: AsyncSession, *, limit: int = 200) -> list[OpenKit]:
    """Kits that still need someone's work (issued, collected, shipped, received)."""
    page = await list_kits(session, states=ks.OPEN_STATES, per_page=limit)
    out = []
    for kit in page.items:
        out.append(OpenKit(kit, await sample_for_kit(session, kit)
                           if kit.state != ks.ISSUED else None))
    return out


def label_svg(barcode: str, *, kind: str = "code128") -> str:
    """An SVG label for *barcode*: a Code 128 barcode (python-barcode) or a QR code (segno)."""
    if kind == "qr":
        import segno

        buf = io.BytesIO()
        segno.make(barcode, error="m").save(buf, kind="svg", scale=3, xmldecl=False,
                                             svgns=True, title=barcode)
        return buf.getvalue().decode()
    import barcode as pybarcode
    from barcode.writer import SVGWriter

    code = pybarcode.get("code128", barcode, writer=SVGWriter())
    svg = code.render(writer_options={"module_height": 9.0, "font_size": 7, "text_distance": 3.5,
                                      "quiet_zone": 2.0}).decode()
    return svg[svg.index("<svg"):]
