"""Profile import through the service: two steps, refusals with nothing written, idempotence,
versions, every accepted format. Runs on SQLite and PostgreSQL.

The helpers at the top (``build_lab``, ``genemapper``, ``random_profile``...) are shared with the
QC, web and browser tests.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from dnacase.formats import find_kit, load_frequency_table
from dnacase.i18n import use_locale
from dnacase.models.audit import AuditEntry
from dnacase.models.custody import CustodyEvent
from dnacase.models.kits import Kit
from dnacase.models.profiles import Profile
from dnacase.services import audit, custody, families, kits, registry
from dnacase.services import profile_import as pi
from dnacase.services.errors import ValidationFailed


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages in English (the catalogue would give Vietnamese, the default locale)."""
    with use_locale("en"):
        yield


ACTOR = audit.SYSTEM
LAB = "Phòng xét nghiệm ADN A"
OTHER_LAB = "Lab B"
GLOBALFILER = find_kit("GlobalFiler")
AUTO = GLOBALFILER.autosomal_loci
DATA = Path(__file__).resolve().parents[1] / "data" / "formats"
_FREQ = load_frequency_table("nist1036_asian")

Genotype = dict[str, list[str]]


def random_profile(rng: random.Random, loci: tuple[str, ...] = AUTO) -> Genotype:
    """Two alleles per locus drawn from NIST 1036 Asian (loci missing from it: 10-14)."""
    out: Genotype = {}
    for locus in loci:
        table = _FREQ.frequencies.get(locus)
        if table:
            alleles, weights = list(table), list(table.values())
            out[locus] = rng.choices(alleles, weights, k=2)
        else:
            out[locus] = [str(rng.randint(10, 14)) for _ in range(2)]
    return out


def child_of(rng: random.Random, mother: Genotype, father: Genotype) -> Genotype:
    return {k: [rng.choice(mother[k]), rng.choice(father[k])] for k in mother}


def genemapper(samples: dict[str, Genotype], *, amel: dict[str, list[str]] | None = None,
               panel: str = "GlobalFiler_Panel_v1X", extra_rows: str = "") -> bytes:
    """A GeneMapper ID-X Genotypes Table export (tab-separated, CRLF, 4 allele columns).

    A homozygote is written once (as GeneMapper does); ``amel`` gives Amelogenin per sample.
    """
    head = ["Sample File", "Sample Name", "Sample Type", "Panel", "Marker", "Dye",
            "Allele 1", "Allele 2", "Allele 3", "Allele 4"]
    lines = ["\t".join(head)]
    for i, (name, prof) in enumerate(samples.items()):
        sfile = f"A{i:02d}_{name}.hid"
        rows = dict(prof)
        if amel and name in amel:
            rows = {"AMEL": amel[name], **rows}
        for locus, alleles in rows.items():
            cells = list(dict.fromkeys(alleles))[:4]
            cells += [""] * (4 - len(cells))
            lines.append("\t".join([sfile, name, "Sample", panel, locus, "B", *cells]))
    return ("\r\n".join(lines) + "\r\n" + extra_rows).encode("utf-8")


@dataclass
class Lab:
    """Kits received by ``LAB`` (``refs``: mother, brother of one missing person; ``remains``),
    one received by ``OTHER_LAB``, one collected but never shipped, one only issued."""

    mother: str
    brother: str
    sister: str
    remains: list[str]
    other_lab: str
    not_received: str
    issued: str
    mp_id: int
    mother_id: int
    brother_id: int

    @property
    def received(self) -> list[str]:
        return [self.mother, self.brother, self.sister, *self.remains]


async def build_lab(session: Any, upload_dir: Path, n_remains: int = 5) -> Lab:
    """Registry, one family (missing man with his mother, brother and sister), a cemetery with a
    grave named for the missing man, kits collected, shipped and checked in."""
    await registry.import_registry(
        session, "registry_number,full_name,sex\nLS-1,Nguyễn Văn An,M\n".encode(), "r.csv",
        actor=ACTOR)
    mp = (await registry.search_missing_persons(session, "LS-1")).items[0]
    consent = {"consent_date": "2024-03-01", "consent_scope": "identification"}
    mother = await families.add_relative(session, mp.id, {
        "full_name": "Lê Thị Bình", "sex": "F", "relationship": "mother", **consent},
        upload_dir=upload_dir, actor=ACTOR)
    brother = await families.add_relative(session, mp.id, {
        "full_name": "Nguyễn Văn Cường", "sex": "M", "relationship": "full_brother", **consent},
        upload_dir=upload_dir, actor=ACTOR)
    sister = await families.add_relative(session, mp.id, {
        "full_name": "Nguyễn Thị Dung", "sex": "F", "relationship": "full_sister", **consent},
        upload_dir=upload_dir, actor=ACTOR)
    cem = await registry.create_cemetery(session, {"name": "NTLS Thử", "province": "QT"},
                                         actor=ACTOR)
    rows = "".join(f"A,1,{i}\n" for i in range(1, n_remains + 3))
    await registry.import_graves(session, cem.id, f"plot,row,number\n{rows}".encode(), "g.csv",
                                 actor=ACTOR)
    _b, items = await kits.register_batch(session, n_remains + 6, actor=ACTOR)
    codes = [k.barcode for k in items]
    when = "2024-05-01T09:30"
    for code, rel in zip(codes[:3], (mother, brother, sister), strict=True):
        await kits.collect_reference(session, {
            "barcode": code, "relative_id": rel.id, "sample_type": "buccal_swab",
            "collected_at": when, "place": "UBND xã"}, actor=ACTOR)
    remains_codes = codes[3:3 + n_remains + 2]
    for i, code in enumerate(remains_codes, start=1):
        await kits.collect_remains(session, {
            "barcode": code, "cemetery_id": cem.id, "plot": "A", "row": "1", "number": str(i),
            "element": "petrous bone", "collected_at": when}, actor=ACTOR)
    ours = codes[:3] + remains_codes[:n_remains]
    other = remains_codes[n_remains]
    shipment = await kits.create_shipment(session, {"lab_name": LAB, "barcodes": "\n".join(ours)},
                                          actor=ACTOR)
    await kits.check_in(session, shipment.id, {"barcodes": " ".join(ours)}, actor=ACTOR)
    s2 = await kits.create_shipment(session, {"lab_name": OTHER_LAB, "barcodes": other},
                                    actor=ACTOR)
    await kits.check_in(session, s2.id, {"barcodes": other}, actor=ACTOR)
    await session.flush()
    return Lab(codes[0], codes[1], codes[2], remains_codes[:n_remains], other,
               remains_codes[n_remains + 1], codes[-1], mp.id, mother.id, brother.id)


def family_genotypes(rng: random.Random) -> dict[str, Genotype]:
    """Mother, father, two full siblings (Mendelian, no mutation)."""
    mother, father = random_profile(rng), random_profile(rng)
    return {"mother": mother, "father": father, "brother": child_of(rng, mother, father),
            "sister": child_of(rng, mother, father), "mp": child_of(rng, mother, father)}


def good_file(lab: Lab, seed: int = 1) -> tuple[bytes, dict[str, Genotype]]:
    """Mother, brother and sister (consistent) and the remains (random) of ``lab``."""
    rng = random.Random(seed)
    fam = family_genotypes(rng)
    samples = {lab.mother: fam["mother"], lab.brother: fam["brother"],
               lab.sister: fam["sister"]}
    for code in lab.remains:
        samples[code] = random_profile(rng)
    amel = {lab.mother: ["X"], lab.brother: ["X", "Y"], lab.sister: ["X"],
            **{c: ["X", "Y"] for c in lab.remains}}
    return genemapper(samples, amel=amel), samples


@pytest.fixture
async def lab(db_session, tmp_path) -> Lab:
    return await build_lab(db_session, tmp_path)


# --------------------------------------------------------------------------- the two steps


async def test_validate_writes_nothing_then_commit_writes_everything(db_session, lab) -> None:
    data, samples = good_file(lab)
    before = await pi.profile_counts(db_session)
    report = await pi.validate_import(db_session, data, "run1.txt", lab=LAB)
    assert report.ok, [i.to_dict() for i in report.errors]
    assert report.format == "genemapper"
    assert report.counts()["new"] == len(samples) == 8
    assert [s.barcode for s in report.samples] == list(samples)
    assert await pi.profile_counts(db_session) == before

    done = await pi.commit_import(db_session, data, "run1.txt", lab=LAB, actor=ACTOR)
    assert done.committed and done.import_id
    after = await pi.profile_counts(db_session)
    assert after["files"] == 1 and after["imports"] == 1 and after["profiles"] == 8
    assert after["profiled_kits"] == before["profiled_kits"] + 8
    assert after["custody"] == before["custody"] + 8
    stored = {p.name_in_file: p for p in (await db_session.execute(select(Profile))).scalars()}
    mother = stored[lab.mother]
    assert mother.version == 1 and mother.status == "current" and mother.single_source
    assert mother.typing_kit == "GlobalFiler" and mother.sex == "F" and mother.n_autosomal == 21
    for locus, alleles in samples[lab.mother].items():
        assert sorted(mother.loci[locus]["alleles"]) == sorted(set(alleles))
        assert mother.loci[locus].get("single_peak", False) == (alleles[0] == alleles[1])
    kit = (await db_session.execute(select(Kit).where(Kit.barcode == lab.mother))).scalar_one()
    assert kit.state == "profiled"
    events = await custody.chain_for_kit(db_session, kit.id)
    assert events[-1].event == "profiled" and events[-1].to_party == LAB
    assert (await custody.verify(db_session)).ok
    entry = (await db_session.execute(select(AuditEntry).where(
        AuditEntry.action == "profile.import"))).scalar_one()
    assert entry.after["counts"]["new"] == 8
    assert {row[0] for row in entry.after["profiles"]} == set(samples)
    assert (await audit.verify(db_session)).ok


async def test_reimport_same_file_changes_nothing(db_session, lab) -> None:
    data, _ = good_file(lab)
    await pi.commit_import(db_session, data, "run1.txt", lab=LAB, actor=ACTOR)
    before = await pi.profile_counts(db_session)
    n_audit = len((await db_session.execute(select(AuditEntry))).scalars().all())
    again = await pi.validate_import(db_session, data, "renamed.txt", lab=LAB)
    assert again.already is not None and again.issues[0].code == "already_imported"
    assert "already imported" in again.issues[0].message
    res = await pi.commit_import(db_session, data, "renamed.txt", lab=LAB, actor=ACTOR)
    assert res.already is not None and not res.committed
    assert await pi.profile_counts(db_session) == before
    assert len((await db_session.execute(select(AuditEntry))).scalars().all()) == n_audit
    # the same genotypes in another file: every sample "unchanged", no new version
    other = data.replace(b".hid", b".fsa")
    rep = await pi.validate_import(db_session, other, "copy.txt", lab=LAB)
    assert rep.ok and {s.action for s in rep.samples} == {"unchanged"}
    await pi.commit_import(db_session, other, "copy.txt", lab=LAB, actor=ACTOR)
    after = await pi.profile_counts(db_session)
    assert after["profiles"] == before["profiles"] and after["imports"] == before["imports"] + 1


async def test_reissued_profile_supersedes_with_reason(db_session, lab) -> None:
    data, samples = good_file(lab)
    await pi.commit_import(db_session, data, "run1.txt", lab=LAB, actor=ACTOR)
    code = lab.remains[0]
    fixed = dict(samples)
    fixed[code] = {**samples[code], "TH01": ["6", "9.3"]}
    if samples[code]["TH01"] in (["6", "9.3"], ["9.3", "6"]):
        fixed[code]["TH01"] = ["7", "8"]
    amel = {c: ["X", "Y"] for c in lab.remains}
    newfile = genemapper({code: fixed[code]}, amel=amel)
    report = await pi.validate_import(db_session, newfile, "corrected.txt", lab=LAB)
    assert report.ok and report.needs_reason
    assert report.samples[0].action == "new_version" and report.samples[0].version == 2
    before = await pi.profile_counts(db_session)
    with pytest.raises(ValidationFailed, match="reason"):
        await pi.commit_import(db_session, newfile, "corrected.txt", lab=LAB, actor=ACTOR)
    assert await pi.profile_counts(db_session) == before
    await pi.commit_import(db_session, newfile, "corrected.txt", lab=LAB, actor=ACTOR,
                           reason="TH01 re-read after re-injection")
    versions = (await db_session.execute(select(Profile).where(Profile.name_in_file == code)
                                         .order_by(Profile.version))).scalars().all()
    assert [(v.version, v.status) for v in versions] == [(1, "superseded"), (2, "current")]
    assert versions[0].superseded_by_id == versions[1].id
    assert versions[1].supersedes_id == versions[0].id
    assert versions[0].supersede_reason == "TH01 re-read after re-injection"
    assert versions[0].loci["TH01"] != versions[1].loci["TH01"]


# --------------------------------------------------------------------------- refusals


def _received_genotypes(lab: Lab, names: list[str], seed: int = 3) -> dict[str, Genotype]:
    rng = random.Random(seed)
    return {n: random_profile(rng) for n in names}


def _refusal_cases(lab: Lab) -> dict[str, tuple[bytes, str, str, str | None]]:
    """name -> (file bytes, expected error code, text in the message, sample named)."""
    ok = _received_genotypes(lab, lab.remains[:2])
    unknown = "KIT-2001-000005-" + "00"
    from dnacase.domain.accession import make_accession

    unknown = make_accession("KIT", 2001, 5)
    base = genemapper(ok)
    header, *rows = base.decode().split("\r\n")
    cases: dict[str, tuple[bytes, str, str, str | None]] = {
        "unknown kit": (genemapper({**ok, unknown: random_profile(random.Random(9))}),
                        "unknown_kit", "not registered", unknown),
        "kit never received": (genemapper({**ok, lab.not_received: ok[lab.remains[0]]}),
                               "kit_not_received", "never received", lab.not_received),
        "kit received by another lab": (genemapper({**ok, lab.other_lab: ok[lab.remains[1]]}),
                                        "kit_wrong_lab", OTHER_LAB, lab.other_lab),
        "issued kit": (genemapper({lab.issued: ok[lab.remains[0]]}), "kit_not_received",
                       "state: issued", lab.issued),
        "same kit twice": (genemapper({lab.remains[0]: ok[lab.remains[0]],
                                       lab.remains[0].replace("-", " "): ok[lab.remains[1]]}),
                           "duplicate_kit", "appears twice", None),
        "not a barcode": (genemapper({"VN17-REF-M01": ok[lab.remains[0]]}), "not_a_barcode",
                          "not a kit barcode", "VN17-REF-M01"),
        "unknown locus": (base.replace(b"\tD3S1358\t", b"\tD3S9999\t", 1), "unknown_locus",
                          "D3S9999", lab.remains[0]),
        "allele abc": (base.replace(b"\tTH01\tB\t", b"\tTH01\tB\tabc\t", 1),
                       "invalid_allele", "abc", lab.remains[0]),
        "truncated": (base[: len(base) - 40].rstrip(b"\r\n"), "truncated", "truncated", None),
        "wrong delimiter": (base.replace(b"\t", b";"), "wrong_delimiter", "tab-delimited", None),
        "wrong encoding": ("\r\n".join([header, *rows]).encode("utf-16-le"), "encoding",
                           "", None),
    }
    return cases


@pytest.mark.parametrize("case", [
    "unknown kit", "kit never received", "kit received by another lab", "issued kit",
    "same kit twice", "not a barcode", "unknown locus", "allele abc", "truncated",
    "wrong delimiter", "wrong encoding",
])
async def test_refusals_name_the_problem_and_write_nothing(db_session, lab, case) -> None:
    data, code, text, sample = _refusal_cases(lab)[case]
    before = await pi.profile_counts(db_session)
    report = await pi.validate_import(db_session, data, f"{case}.txt", lab=LAB,
                                      format="genemapper")
    assert not report.ok
    errors = [i for i in report.errors if i.code == code or (case == "wrong encoding"
                                                              and i.code in ("encoding",
                                                                             "binary_file",
                                                                             "wrong_delimiter",
                                                                             "missing_column"))]
    assert errors, [i.to_dict() for i in report.issues]
    assert text in errors[0].message
    if sample:
        assert errors[0].sample == sample and errors[0].line
    with pytest.raises(ValidationFailed) as info:
        await pi.commit_import(db_session, data, f"{case}.txt", lab=LAB, actor=ACTOR,
                               format="genemapper")
    assert "nothing was imported" in info.value.message
    assert info.value.details["issues"]
    assert await pi.profile_counts(db_session) == before


async def test_file_over_50_mib_is_refused_before_parsing(db_session, lab) -> None:
    data = genemapper(_received_genotypes(lab, lab.remains[:1]))
    big = data + b"\r\n" * ((50 * 1024 * 1024 - len(data)) // 2 + 1)
    assert len(big) > 50 * 1024 * 1024
    before = await pi.profile_counts(db_session)
    report = await pi.validate_import(db_session, big, "big.txt", lab=LAB)
    assert [i.code for i in report.errors] == ["file_too_large"]
    assert "50 MiB" in report.errors[0].message
    with pytest.raises(ValidationFailed, match="limit"):
        await pi.commit_import(db_session, big, "big.txt", lab=LAB, actor=ACTOR)
    assert await pi.profile_counts(db_session) == before


async def test_lab_is_required(db_session, lab) -> None:
    with pytest.raises(ValidationFailed) as info:
        await pi.validate_import(db_session, b"x", "x.txt", lab="  ")
    assert "lab" in info.value.field_errors


# --------------------------------------------------------------------------- other formats


def _rename(text: str, names: list[str], barcodes: list[str]) -> str:
    for n, b in zip(names, barcodes, strict=False):
        text = text.replace(n, b)
    return text


EXAMPLE_NAMES = ["VN17-REF-M01", "VN17-REF-S01", "VN17-UHR-B01", "VN17-REF-W01",
                 "VN17-REF-C01", "VN17-UNREL-01", "VN17-MIX-01"]


@pytest.mark.parametrize(("filename", "fmt", "marker_type"), [
    ("codis_cmf_import_example.xml", "codis_cmf", "autosomal_STR"),
    ("mtdna_empop_style.emp", "empop", "mtDNA"),
    ("snp_panel_example.vcf", "vcf", "SNP"),
    ("wide_genotype_table_example.csv", "wide_table", "autosomal_STR"),
])
async def test_other_formats_import(db_session, tmp_path, filename, fmt, marker_type) -> None:
    lab = await build_lab(db_session, tmp_path, n_remains=6)
    text = (DATA / filename).read_text(encoding="utf-8")
    names = [n for n in EXAMPLE_NAMES if n in text]
    data = _rename(text, names, lab.remains).encode()
    report = await pi.validate_import(db_session, data, filename, lab=LAB)
    assert report.format == fmt
    blocking = [i for i in report.errors]
    if fmt == "wide_table":  # the example's VN17-MIX-01 is a mixture: held, not refused
        assert any(s.needs_override for s in report.samples)
    assert not blocking, [i.to_dict() for i in blocking]
    done = await pi.commit_import(db_session, data, filename, lab=LAB, actor=ACTOR)
    stored = (await db_session.execute(select(Profile))).scalars().all()
    assert len(stored) == len(names) == done.counts()["new"]
    assert {p.marker_type for p in stored} == {marker_type}
    if marker_type == "mtDNA":
        p = next(p for p in stored if p.name_in_file == lab.remains[0])
        assert "16223T" in p.loci["variants"] and [16024, 16569] in p.loci["ranges"]
    if marker_type == "SNP":
        p = stored[0]
        assert p.loci["panel_id"] and len(p.loci["gt"].split(",")) == len(p.loci["gq"] or
                                                                          p.loci["gt"].split(","))


async def test_json_profile_round_trip(db_session, lab) -> None:
    from dnacase.formats import parse_genemapper, write_json_profiles

    data, _ = good_file(lab)
    records = parse_genemapper(data, "x.txt").records
    js = write_json_profiles(records)
    report = await pi.validate_import(db_session, js, "profiles.json", lab=LAB)
    assert report.format == "dnacase_json" and report.ok
    await pi.commit_import(db_session, js, "profiles.json", lab=LAB, actor=ACTOR)
    # the same genotypes as GeneMapper: every sample unchanged
    rep = await pi.validate_import(db_session, data, "gm.txt", lab=LAB)
    assert {s.action for s in rep.samples} == {"unchanged"}


async def test_yfiler_profiles_are_y_str(db_session, lab) -> None:
    kit = find_kit("Yfiler Plus")
    rng = random.Random(5)
    prof = {m: [str(rng.randint(11, 16))] for m in kit.loci if m not in ("DYS385", "DYF387S1")}
    prof["DYS385"] = ["13", "17"]
    data = genemapper({lab.brother: prof}, panel="Yfiler_Plus_Panel_v1")
    report = await pi.validate_import(db_session, data, "y.txt", lab=LAB)
    assert report.ok, [i.to_dict() for i in report.errors]
    assert report.samples[0].marker_type == "Y_STR"
    await pi.commit_import(db_session, data, "y.txt", lab=LAB, actor=ACTOR)
    p = (await db_session.execute(select(Profile))).scalar_one()
    assert p.marker_type == "Y_STR" and p.loci["DYS385"]["alleles"] == ["13", "17"]


async def test_custody_untouched_by_unchanged(db_session, lab) -> None:
    data, _ = good_file(lab)
    await pi.commit_import(db_session, data, "a.txt", lab=LAB, actor=ACTOR)
    n = len((await db_session.execute(select(CustodyEvent))).scalars().all())
    await pi.commit_import(db_session, data + b"\r\n", "b.txt", lab=LAB, actor=ACTOR)
    assert len((await db_session.execute(select(CustodyEvent))).scalars().all()) == n
