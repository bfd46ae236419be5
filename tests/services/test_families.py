"""Families service: relatives with consent, relationships checked against the pedigree."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest

from dnacase.i18n import use_locale
from dnacase.services import audit, families, registry
from dnacase.services.errors import NotFound, ValidationFailed

ACTOR = audit.SYSTEM


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages in English (the catalogue would give Vietnamese, the default locale)."""
    with use_locale("en"):
        yield
PDF = b"%PDF-1.4\n% synthetic consent\n%%EOF\n"


@pytest.fixture
async def mps(db_session):
    await registry.import_registry(
        db_session, "registry_number,full_name,sex\nLS-1,Nguyễn Văn An,M\nLS-2,Nguyễn Văn Bảo,M\n"
        .encode(), "r.csv", actor=ACTOR)
    page = await registry.search_missing_persons(db_session, "nguyen")
    return {m.registry_number: m for m in page.items}


async def test_relative_with_consent_form_and_family_pedigree(db_session, mps, tmp_path) -> None:
    mp = mps["LS-1"]
    mother = await families.add_relative(db_session, mp.id, {
        "full_name": "Lê Thị Bình", "sex": "F", "birth_year": "1925", "relationship": "mother",
        "consent_date": "2024-02-01", "consent_scope": "identification"},
        consent_form=families.UploadedFile("ký.pdf", PDF), upload_dir=tmp_path, actor=ACTOR)
    assert mother.consent_form_sha256 == hashlib.sha256(PDF).hexdigest()
    path = families.consent_form_path(tmp_path, mother)
    assert path.read_bytes() == PDF
    brother = await families.add_relative(db_session, mp.id, {
        "full_name": "Nguyễn Văn Cường", "sex": "M", "relationship": "full_brother",
        "deceased": "on"}, upload_dir=tmp_path, actor=ACTOR)
    await families.add_relative(db_session, mp.id, {
        "full_name": "Nguyễn Thị Dung", "sex": "F", "relationship": "niece",
        "via_relative_id": str(brother.id)}, upload_dir=tmp_path, actor=ACTOR)
    view = await families.family_view(db_session, mp.id)
    assert view.problem is None and len(view.members) == 3
    niece = view.pedigree.node(f"rel:{view.members[2].relative.id}")
    assert niece.father == f"rel:{brother.id}"
    assert "Lê Thị Bình" in view.svg
    # the same mother for the second missing son
    await families.add_relationship(db_session, mps["LS-2"].id, {
        "relative_id": mother.id, "relationship": "mother"}, actor=ACTOR)
    rv = await families.relative_view(db_session, mother.id)
    assert {mp.registry_number for mp, _ in rv.families} == {"LS-1", "LS-2"}
    # tampered file is detected
    path.write_bytes(PDF + b"x")
    with pytest.raises(NotFound, match="SHA-256"):
        families.consent_form_path(tmp_path, mother)


@pytest.mark.parametrize(
    ("first", "second", "field", "fragment"),
    [
        ({"full_name": "Lan", "sex": "F", "relationship": "mother"},
         {"full_name": "Mai", "sex": "F", "relationship": "mother"},
         "relationship", "already has a mother recorded (Lan)"),
        (None, {"full_name": "Hùng", "sex": "F", "relationship": "father"},
         "sex", "recorded as father of Nguyễn Văn An, but as female"),
        (None, {"full_name": "Cháu", "sex": "F", "relationship": "niece"},
         "via", "name the relative they are related through"),
    ],
)
async def test_contradictions_are_refused(db_session, mps, tmp_path, first, second, field,
                                          fragment) -> None:
    mp = mps["LS-1"]
    if first:
        await families.add_relative(db_session, mp.id, first, upload_dir=tmp_path, actor=ACTOR)
    with pytest.raises(ValidationFailed) as info:
        await families.add_relative(db_session, mp.id, second, upload_dir=tmp_path, actor=ACTOR)
    assert fragment in info.value.message
    assert fragment in info.value.field_errors[field]


async def test_one_person_both_mother_and_sister(db_session, mps, tmp_path) -> None:
    mp = mps["LS-1"]
    lan = await families.add_relative(db_session, mp.id, {
        "full_name": "Lan", "sex": "F", "relationship": "mother"}, upload_dir=tmp_path,
        actor=ACTOR)
    with pytest.raises(ValidationFailed, match="both as mother and as full sister"):
        await families.add_relationship(db_session, mp.id, {
            "relative_id": lan.id, "relationship": "full_sister"}, actor=ACTOR)


async def test_form_validation_and_bad_upload(db_session, mps, tmp_path) -> None:
    with pytest.raises(ValidationFailed) as info:
        await families.add_relative(db_session, mps["LS-1"].id, {
            "full_name": "", "sex": "X", "birth_year": "18", "relationship": "neighbour",
            "consent_date": "2024-13-01"}, consent_form=families.UploadedFile("a.exe", b"MZ.."),
            upload_dir=tmp_path, actor=ACTOR)
    assert {"full_name", "sex", "birth_year", "relationship", "consent_date",
            "consent_form"} <= set(info.value.field_errors)
