"""Families: reference persons (relatives), consent, relationships and the family pedigree.

Relationships are recorded the way staff speak of them (:mod:`dnacase.domain.relationships`).
Before a relationship is saved, the family's pedigree is rebuilt with it
(:func:`dnacase.domain.family.build_family_pedigree`); a contradiction refuses the change with
the builder's message on the form field concerned. The signed consent form is stored on disk
under ``<upload_dir>/consent_forms/`` with its SHA-256 (PDF, JPEG or PNG, at most 10 MB).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dnacase.db import utcnow
from dnacase.domain import relationships as rels
from dnacase.domain.errors import PedigreeContradiction
from dnacase.domain.family import (
    FamilyMember,
    FamilyPedigree,
    MissingPersonInfo,
    RecordedRelationship,
    build_family_pedigree,
)
from dnacase.domain.ids import is_ascii_digits, parse_id
from dnacase.domain.names import clean_text, like_pattern, name_key
from dnacase.domain.pedigree_svg import draw_pedigree_svg
from dnacase.i18n import gettext as _
from dnacase.models.families import CONSENT_SCOPES, FamilyRelationship, Relative
from dnacase.models.kits import Kit, Sample
from dnacase.models.registry import MissingPerson
from dnacase.services import audit
from dnacase.services.audit import ActorLike, RequestMeta
from dnacase.services.errors import NotFound, ValidationFailed
from dnacase.services.registry import get_missing_person, refuse

MAX_CONSENT_BYTES = 10 * 1024 * 1024
_MAGIC = {b"%PDF": ".pdf", b"\xff\xd8\xff": ".jpg", b"\x89PNG\r\n\x1a\n": ".png"}


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file sent with a form: its name as the user had it and its bytes."""

    filename: str
    data: bytes


async def get_relative(session: AsyncSession, relative_id: int) -> Relative:
    """The relative with ``relative_id`` or :class:`NotFound`."""
    relative = await session.get(Relative, relative_id)
    if relative is None:
        raise NotFound(_("Relative %(id)s not found.", id=relative_id))
    return relative


async def search_relatives(session: AsyncSession, query: str, *, limit: int = 50) -> list[Relative]:
    """Relatives whose name matches *query* (diacritics ignored) or whose id is *query*."""
    q = clean_text(query)
    stmt = select(Relative)
    if is_ascii_digits(q):
        # beyond the id range no relative has that number (-1 matches none)
        stmt = stmt.where(Relative.id == (parse_id(q) or -1))
    elif q:
        stmt = stmt.where(Relative.name_key.like(like_pattern(q)))
    return list((await session.execute(stmt.order_by(Relative.name_key).limit(limit))).scalars())


def _int_or_none(value: Any) -> int | None:
    return parse_id(value)


def _validate_relative(values: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    out["full_name"] = clean_text(values.get("full_name"))
    if not out["full_name"]:
        errors["full_name"] = _("The name is required.")
    out["sex"] = str(values.get("sex") or "").upper()
    if out["sex"] not in rels.SEXES:
        errors["sex"] = _("Choose the sex.")
    year = str(values.get("birth_year") or "").strip()
    out["birth_year"] = None
    if year:
        if is_ascii_digits(year) and 1880 <= int(year) <= utcnow().year:
            out["birth_year"] = int(year)
        else:
            errors["birth_year"] = _("%(v)s is not a birth year.", v=year)
    out["id_document"] = clean_text(values.get("id_document"))[:64]
    out["contact"] = clean_text(values.get("contact"))[:300]
    out["deceased"] = str(values.get("deceased") or "") in ("on", "1", "true", "True")
    out["notes"] = clean_text(values.get("notes"))
    return out


def _validate_consent(values: dict[str, Any], errors: dict[str, str],
                      upload: UploadedFile | None) -> dict[str, Any]:
    out: dict[str, Any] = {"consent_date": None, "consent_scope": ""}
    text = str(values.get("consent_date") or "").strip()
    if text:
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            errors["consent_date"] = _("%(v)s is not a date (YYYY-MM-DD).", v=text)
        else:
            if day > utcnow().date() + dt.timedelta(days=1):
                errors["consent_date"] = _("The date is in the future.")
            out["consent_date"] = day
        scope = str(values.get("consent_scope") or "")
        if scope not in CONSENT_SCOPES:
            errors["consent_scope"] = _("Choose what the relative consented to.")
        out["consent_scope"] = scope
    elif upload is not None:
        errors["consent_date"] = _("Give the date the consent form was signed.")
    if upload is not None:
        if len(upload.data) > MAX_CONSENT_BYTES:
            errors["consent_form"] = _("The file is larger than 10 MB.")
        elif not any(upload.data.startswith(m) for m in _MAGIC):
            errors["consent_form"] = _("The signed form must be a PDF, JPEG or PNG file.")
    return out


def _store_consent_form(upload_dir: Path, relative_id: int, upload: UploadedFile) -> dict[str, str]:
    digest = hashlib.sha256(upload.data).hexdigest()
    ext = next(e for m, e in _MAGIC.items() if upload.data.startswith(m))
    rel_path = Path("consent_forms") / f"relative-{relative_id}-{digest[:16]}{ext}"
    target = upload_dir / rel_path
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        tmp = target.with_suffix(target.suffix + ".tmp")
        tmp.write_bytes(upload.data)
        tmp.replace(target)
    return {"consent_form_path": rel_path.as_posix(),
            "consent_form_name": Path(upload.filename or "consent").name[:200],
            "consent_form_sha256": digest}


def consent_form_path(upload_dir: Path, relative: Relative) -> Path:
    """The stored consent form of *relative*; :class:`NotFound` if none or the file is gone
    or no longer matches its SHA-256."""
    if not relative.consent_form_path:
        raise NotFound(_("No signed consent form is stored for %(n)s.", n=relative.full_name))
    path = (upload_dir / relative.consent_form_path).resolve()
    if upload_dir.resolve() not in path.parents or not path.is_file():
        raise NotFound(_("The stored consent form file is missing."))
    if hashlib.sha256(path.read_bytes()).hexdigest() != relative.consent_form_sha256:
        raise NotFound(_("The stored consent form does not match its recorded SHA-256."))
    return path


# --------------------------------------------------------------------------- the family


@dataclass(slots=True)
class Member:
    """A relative in one missing person's family."""

    relative: Relative
    link: FamilyRelationship
    via: Relative | None
    typed: bool
    kits: list[Kit] = field(default_factory=list)


@dataclass(slots=True)
class FamilyView:
    """A missing person's family: members, the pedigree and its SVG drawing."""

    missing: MissingPerson
    members: list[Member]
    pedigree: FamilyPedigree | None
    svg: str
    problem: str | None = None


async def _links(session: AsyncSession, missing_person_id: int) -> list[FamilyRelationship]:
    return list((await session.execute(
        select(FamilyRelationship).where(FamilyRelationship.missing_person_id == missing_person_id)
        .order_by(FamilyRelationship.id))).scalars())


async def _kits_by_relative(session: AsyncSession, ids: list[int]) -> dict[int, list[Kit]]:
    out: dict[int, list[Kit]] = {}
    if not ids:
        return out
    rows = await session.execute(select(Sample.relative_id, Kit).join(Kit, Kit.id == Sample.kit_id)
                                 .where(Sample.relative_id.in_(ids)).order_by(Kit.id))
    for rid, kit in rows:
        out.setdefault(rid, []).append(kit)
    return out


def _info(mp: MissingPerson) -> MissingPersonInfo:
    return MissingPersonInfo(str(mp.id), mp.full_name, mp.sex)


def _member(rel: Relative, typed: bool) -> FamilyMember:
    return FamilyMember(str(rel.id), rel.full_name, rel.sex, typed)


def _recorded(link: FamilyRelationship) -> RecordedRelationship:
    return RecordedRelationship(str(link.relative_id), link.relationship,
                                str(link.via_relative_id) if link.via_relative_id else None)


async def family_view(session: AsyncSession, missing_person_id: int,
                      translate: Any = None) -> FamilyView:
    """The family of a missing person with its pedigree drawn as SVG (labels via *translate*)."""
    mp = await get_missing_person(session, missing_person_id)
    links = await _links(session, missing_person_id)
    relatives = {r.id: r for r in (await session.execute(select(Relative).where(
        Relative.id.in_({link.relative_id for link in links} |
                        {link.via_relative_id for link in links if link.via_relative_id}))
    )).scalars()}
    kits = await _kits_by_relative(session, list(relatives))
    members = []
    for link in links:
        rkits = kits.get(link.relative_id, [])
        members.append(Member(relatives[link.relative_id], link,
                              relatives.get(link.via_relative_id or -1),
                              any(k.state != "failed" for k in rkits), rkits))
    translate = translate or _
    try:
        ped = build_family_pedigree(_info(mp), [_member(m.relative, m.typed) for m in members],
                                    [_recorded(m.link) for m in members])
    except PedigreeContradiction as exc:  # stored data that no longer builds (should not happen)
        return FamilyView(mp, members, None, "", exc.translated(translate))
    svg = draw_pedigree_svg(ped, translate=translate,
                            title=_("Family of %(name)s", name=mp.full_name))
    return FamilyView(mp, members, ped, svg)


async def _check_pedigree(session: AsyncSession, mp: MissingPerson, new_member: FamilyMember,
                          new_link: RecordedRelationship) -> None:
    links = await _links(session, mp.id)  # type: ignore[arg-type]
    ids = {link.relative_id for link in links}
    relatives = {r.id: r for r in (await session.execute(
        select(Relative).where(Relative.id.in_(ids)))).scalars()} if ids else {}
    members = {str(i): _member(r, False) for i, r in relatives.items()}
    members[new_member.key] = new_member
    records = [_recorded(link) for link in links] + [new_link]
    try:
        build_family_pedigree(_info(mp), list(members.values()), records)
    except PedigreeContradiction as exc:
        raise refuse(exc) from None


def _relationship_fields(values: dict[str, Any], errors: dict[str, str]) -> tuple[str, int | None]:
    code = str(values.get("relationship") or "")
    if code not in rels.BY_CODE:
        errors["relationship"] = _("Choose the relationship to the missing person.")
    via_text = str(values.get("via_relative_id") or "").strip()
    via = _int_or_none(via_text)
    if via_text and via is None:
        errors["via_relative_id"] = _("Choose a recorded relative.")
    return code, via


async def add_relative(
    session: AsyncSession, missing_person_id: int, values: dict[str, Any], *,
    consent_form: UploadedFile | None = None, upload_dir: Path, actor: ActorLike | None,
    meta: RequestMeta | None = None,
) -> Relative:
    """Record a new relative of a missing person with consent and relationship (one use case).

    Form values: ``full_name``, ``sex`` (M/F/U), ``birth_year``, ``id_document``, ``contact``,
    ``deceased``, ``consent_date``, ``consent_scope``, ``relationship``, ``via_relative_id``,
    ``notes``. Contradictions with the recorded family are refused with the builder's message.
    """
    mp = await get_missing_person(session, missing_person_id)
    errors: dict[str, str] = {}
    data = _validate_relative(values, errors)
    consent = _validate_consent(values, errors, consent_form)
    code, via = _relationship_fields(values, errors)
    if errors:
        raise ValidationFailed(_("The relative was not recorded: please correct the marked "
                                 "fields."), field_errors=errors)
    await _check_pedigree(session, mp, FamilyMember("new", data["full_name"], data["sex"]),
                          RecordedRelationship("new", code, str(via) if via else None))
    relative = Relative(name_key=name_key(data["full_name"]), **data, **consent)
    session.add(relative)
    await session.flush()
    if consent_form is not None:
        for key, value in _store_consent_form(upload_dir, relative.id,  # type: ignore[arg-type]
                                              consent_form).items():
            setattr(relative, key, value)
    link = FamilyRelationship(missing_person_id=mp.id, relative_id=relative.id,  # type: ignore[arg-type]
                              relationship=code, via_relative_id=via)
    session.add(link)
    await session.flush()
    await audit.record(session, actor, "relative.create", relative, after={
        **audit.snapshot(relative), "missing_person": mp.registry_number,
        "relationship": code, "via_relative_id": via}, request_meta=meta)
    return relative


async def add_relationship(
    session: AsyncSession, missing_person_id: int, values: dict[str, Any], *,
    actor: ActorLike | None, meta: RequestMeta | None = None,
) -> FamilyRelationship:
    """Record that an already recorded relative (``relative_id``) is ``relationship`` of the
    missing person (through ``via_relative_id``) -- e.g. the same mother for a second son."""
    mp = await get_missing_person(session, missing_person_id)
    errors: dict[str, str] = {}
    relative_id = _int_or_none(values.get("relative_id"))
    relative = await session.get(Relative, relative_id) if relative_id else None
    if relative is None:
        errors["relative_id"] = _("Choose a recorded relative.")
    code, via = _relationship_fields(values, errors)
    if errors or relative is None:
        raise ValidationFailed(_("The relationship was not recorded: please correct the marked "
                                 "fields."), field_errors=errors)
    await _check_pedigree(session, mp, _member(relative, False),
                          RecordedRelationship(str(relative.id), code, str(via) if via else None))
    existing = (await session.execute(select(FamilyRelationship).where(
        FamilyRelationship.missing_person_id == mp.id,
        FamilyRelationship.relative_id == relative.id))).scalar_one_or_none()
    if existing is not None:  # same relationship again: nothing to do
        return existing
    link = FamilyRelationship(missing_person_id=mp.id, relative_id=relative.id,  # type: ignore[arg-type]
                              relationship=code, via_relative_id=via)
    session.add(link)
    await session.flush()
    await audit.record(session, actor, "relationship.create", link, after={
        **audit.snapshot(link), "missing_person": mp.registry_number,
        "relative": relative.full_name}, request_meta=meta)
    return link


async def record_consent(
    session: AsyncSession, relative_id: int, values: dict[str, Any], *,
    consent_form: UploadedFile | None = None, upload_dir: Path, actor: ActorLike | None,
    meta: RequestMeta | None = None,
) -> Relative:
    """Record (or replace) a relative's consent: date, scope and the signed form."""
    relative = await get_relative(session, relative_id)
    errors: dict[str, str] = {}
    consent = _validate_consent(values, errors, consent_form)
    if consent["consent_date"] is None and "consent_date" not in errors:
        errors["consent_date"] = _("Give the date the consent form was signed.")
    if errors:
        raise ValidationFailed(_("The consent was not recorded: please correct the marked "
                                 "fields."), field_errors=errors)
    before = audit.snapshot(relative)
    for key, value in consent.items():
        setattr(relative, key, value)
    if consent_form is not None:
        for key, value in _store_consent_form(upload_dir, relative.id,  # type: ignore[arg-type]
                                              consent_form).items():
            setattr(relative, key, value)
    relative.updated_at = utcnow()
    await session.flush()
    await audit.record(session, actor, "relative.consent", relative, before=before,
                       after=audit.snapshot(relative), request_meta=meta)
    return relative


@dataclass(slots=True)
class RelativeView:
    relative: Relative
    families: list[tuple[MissingPerson, FamilyRelationship]]
    kits: list[Kit]


async def relative_view(session: AsyncSession, relative_id: int) -> RelativeView:
    """A relative with the missing persons they are recorded for and their kits."""
    relative = await get_relative(session, relative_id)
    rows = await session.execute(
        select(MissingPerson, FamilyRelationship)
        .join(FamilyRelationship, FamilyRelationship.missing_person_id == MissingPerson.id)
        .where(FamilyRelationship.relative_id == relative_id).order_by(MissingPerson.id))
    kits = (await _kits_by_relative(session, [relative_id])).get(relative_id, [])
    return RelativeView(relative, [(mp, link) for mp, link in rows], kits)


async def families_of(session: AsyncSession, missing_person_ids: list[int]) -> dict[int, int]:
    """Number of recorded relatives per missing person."""
    out: dict[int, int] = {}
    if not missing_person_ids:
        return out
    rows = await session.execute(select(FamilyRelationship.missing_person_id).where(
        FamilyRelationship.missing_person_id.in_(missing_person_ids)))
    for (mp_id,) in rows:
        out[mp_id] = out.get(mp_id, 0) + 1
    return out
