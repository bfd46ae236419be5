"""Quality control on import: each flag, holds and overrides, and the matching screen."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from tests.services.test_profile_import import (
    ACTOR,
    AUTO,
    LAB,
    build_lab,
    family_genotypes,
    genemapper,
    good_file,
    random_profile,
)

from dnacase.domain.family import (
    FamilyMember,
    MissingPersonInfo,
    RecordedRelationship,
    build_family_pedigree,
)
from dnacase.i18n import use_locale
from dnacase.models.profiles import Profile, ProfileQCFlag
from dnacase.services import profile_import as pi
from dnacase.services import profiles as profiles_service
from dnacase.services import qc
from dnacase.services.errors import Conflict, ValidationFailed


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages in English (the catalogue would give Vietnamese, the default locale)."""
    with use_locale("en"):
        yield


@pytest.fixture
async def lab(db_session, tmp_path):
    return await build_lab(db_session, tmp_path)


# --------------------------------------------------------------------------- pure parts


def _brute(a, b, min_loci, max_mm):
    out = []
    for i, j in itertools.product(range(len(a)), range(len(b))):
        c = qc._compare(a[i], b[j])
        if c[0] >= min_loci and c[3] <= max_mm:
            out.append((i, j))
    return out


def _sets(prof):
    return {k: tuple(sorted(set(v))) for k, v in prof.items()}


def test_find_matches_equals_brute_force() -> None:
    rng = random.Random(11)
    stored = [_sets(random_profile(rng)) for _ in range(40)]
    incoming = [_sets(random_profile(rng)) for _ in range(30)]
    # plant duplicates: exact, with untyped loci, with dropouts, and one with a real mismatch
    incoming[0] = dict(stored[3])
    incoming[1] = {k: v for k, v in list(stored[5].items())[:9]}
    d = dict(stored[7])
    for k in list(d)[:2]:
        d[k] = d[k][:1]
    incoming[2] = d
    m = dict(stored[9])
    k0 = next(iter(m))
    m[k0] = ("99", "100")
    incoming[3] = m
    # degraded remains: single peaks (dropout) at most heterozygous loci, few identical loci
    stored[11] = {k: tuple(sorted({v[0], "50"})) for k, v in stored[11].items()}  # all pairs
    heavy = {k: (v if n < 3 else v[:1]) for n, (k, v) in enumerate(stored[11].items())}
    incoming[5] = heavy
    assert sum(heavy[k] == stored[11][k] for k in heavy) == 3  # far fewer equal than min_loci
    for min_loci, max_mm in ((8, 0), (6, 1), (21, 0)):
        for chunk, max_el in ((7, 8_000_000), (3, 500), (128, 1)):  # blocks of every shape
            got = [(x.i, x.j) for x in qc.find_matches(
                incoming, stored, min_loci=min_loci, max_mismatches=max_mm, chunk=chunk,
                max_elements=max_el)]
            assert got == _brute(incoming, stored, min_loci, max_mm)
    pairs = {(x.i, x.j) for x in qc.find_matches(incoming, stored, min_loci=8)}
    assert {(0, 3), (1, 5), (2, 7), (5, 11)} <= pairs and (3, 9) not in pairs
    same = qc.find_matches([*incoming, dict(incoming[4])], None, min_loci=8)
    assert [(x.i, x.j) for x in same] == [(4, 30)]
    tiny = qc.find_matches([*incoming, dict(incoming[4])], None, min_loci=8, chunk=4,
                           max_elements=100)
    assert [(x.i, x.j) for x in tiny] == [(4, 30)]


def test_blood_relations_follow_the_pedigree() -> None:
    ped = build_family_pedigree(
        MissingPersonInfo("1", "An", "M"),
        [FamilyMember("m", "Mother", "F"), FamilyMember("w", "Wife", "F"),
         FamilyMember("s", "Son", "M"), FamilyMember("b", "Brother", "M")],
        [RecordedRelationship("m", "mother"), RecordedRelationship("w", "spouse"),
         RecordedRelationship("s", "son", "w"), RecordedRelationship("b", "full_brother")])
    assert qc.blood_related(ped, "rel:m", "rel:b")
    assert qc.blood_related(ped, "rel:s", "rel:m")
    assert qc.blood_related(ped, "rel:w", "rel:s")
    assert not qc.blood_related(ped, "rel:w", "rel:m")


# --------------------------------------------------------------------------- on import


async def _flags(session, barcode):
    rows = await session.execute(select(ProfileQCFlag).join(Profile).where(
        Profile.name_in_file == barcode))
    return list(rows.scalars())


async def test_consistent_family_is_not_flagged_but_a_false_brother_is(db_session, lab) -> None:
    data, _ = good_file(lab)
    report = await pi.validate_import(db_session, data, "f.txt", lab=LAB)
    assert not [f for s in report.samples for f in s.findings
                if f.kind == "family_inconsistency"]
    await pi.commit_import(db_session, data, "f.txt", lab=LAB, actor=ACTOR)
    # a corrected "brother" profile that is not the mother's son
    stranger = random_profile(random.Random(999))
    bad = genemapper({lab.brother: stranger}, amel={lab.brother: ["X", "Y"]})
    report = await pi.validate_import(db_session, bad, "b.txt", lab=LAB)
    s = report.samples[0]
    found = [f for f in s.findings if f.kind == "family_inconsistency"]
    assert found and found[0].severity == "review"
    checks = {c["label"]: c for c in found[0].details["checks"]}
    assert lab.mother in checks and lab.sister in checks
    assert checks[lab.mother]["log10_lr"] is None or checks[lab.mother]["log10_lr"] < 0
    assert "H1:" in checks[lab.mother]["hypotheses"][0]
    assert "unrelated" in checks[lab.mother]["hypotheses"][1]
    await pi.commit_import(db_session, bad, "b.txt", lab=LAB, actor=ACTOR,
                           reason="re-typed after sample swap suspicion")
    flags = await _flags(db_session, lab.brother)
    assert [f.kind for f in flags if f.status == "open"] == ["family_inconsistency"]


async def test_mixture_is_held_unless_overridden(db_session, lab) -> None:
    rng = random.Random(4)
    code = lab.remains[0]
    prof = random_profile(rng)
    prof["D8S1179"] = ["10", "12", "14"]
    data = genemapper({code: prof})
    report = await pi.validate_import(db_session, data, "m.txt", lab=LAB)
    assert report.ok and report.samples[0].hold
    assert any(i.code == "qc_mixture" and i.sample == code for i in report.issues)
    await pi.commit_import(db_session, data, "m.txt", lab=LAB, actor=ACTOR)
    p = (await db_session.execute(select(Profile))).scalar_one()
    assert p.mixture and not p.single_source
    assert p.loci["D8S1179"]["mixture"]
    flag = (await _flags(db_session, code))[0]
    assert (flag.kind, flag.severity, flag.status) == ("mixture", "hold", "open")
    source = profiles_service.DatabaseProfileSource()
    assert await source.remains_profiles(db_session) == {}
    with pytest.raises(ValidationFailed):
        await profiles_service.override_hold(db_session, p.id, "", actor=ACTOR)
    await profiles_service.override_hold(db_session, p.id, "minor peak is stutter, checked",
                                         actor=ACTOR)
    assert p.single_source and p.override_reason.startswith("minor peak")
    assert (await _flags(db_session, code))[0].status == "resolved"
    got = await source.remains_profiles(db_session)
    assert len(got) == 1 and next(iter(got.values())).version.startswith(f"{code}@v1#")
    with pytest.raises(Conflict):
        await profiles_service.override_hold(db_session, p.id, "again, again", actor=ACTOR)


async def test_override_at_commit(db_session, lab) -> None:
    code = lab.remains[1]
    prof = random_profile(random.Random(6))
    prof["FGA"] = ["20", "22", "24", "25"]
    data = genemapper({code: prof})
    short = await pi.validate_import(db_session, data, "m.txt", lab=LAB,
                                     overrides={code: "ok"})
    assert not short.ok and short.errors[0].code == "override_reason"
    await pi.commit_import(db_session, data, "m.txt", lab=LAB, actor=ACTOR,
                           overrides={code.lower(): "second contributor is the ladder bleed"})
    p = (await db_session.execute(select(Profile))).scalar_one()
    assert p.single_source and p.override_reason.startswith("second contributor")
    assert (await _flags(db_session, code))[0].status == "resolved"


async def test_contamination_sign_female_with_y_markers(db_session, lab) -> None:
    code = lab.remains[0]
    prof = random_profile(random.Random(8))
    prof["DYS391"] = ["10"]
    data = genemapper({code: prof}, amel={code: ["X"]})
    report = await pi.validate_import(db_session, data, "c.txt", lab=LAB)
    kinds = {f.kind: f.severity for f in report.samples[0].findings}
    assert kinds.get("contamination") == "hold"


async def test_sex_mismatch_against_the_relative(db_session, lab) -> None:
    data = genemapper({lab.mother: random_profile(random.Random(2))},
                      amel={lab.mother: ["X", "Y"]})
    report = await pi.validate_import(db_session, data, "s.txt", lab=LAB)
    f = [f for f in report.samples[0].findings if f.kind == "sex_mismatch"]
    assert f and "Lê Thị Bình" in f[0].message and f[0].severity == "review"
    ok = genemapper({lab.mother: random_profile(random.Random(2))}, amel={lab.mother: ["X"]})
    report = await pi.validate_import(db_session, ok, "s.txt", lab=LAB)
    assert not [f for f in report.samples[0].findings if f.kind == "sex_mismatch"]


async def test_duplicates_against_stored_and_within_the_file(db_session, lab) -> None:
    rng = random.Random(21)
    a, b, c, d = lab.remains[:4]
    prof = random_profile(rng)
    await pi.commit_import(db_session, genemapper({a: prof}), "1.txt", lab=LAB, actor=ACTOR)
    near = {k: v for k, v in prof.items() if k not in ("SE33", "D2S1338", "FGA")}
    other = random_profile(rng)
    data = genemapper({b: near, c: other, d: other})
    report = await pi.validate_import(db_session, data, "2.txt", lab=LAB)
    by = {s.barcode: [f for f in s.findings if f.kind == "duplicate"] for s in report.samples}
    assert by[b] and by[b][0].details["other_kit"] == a and by[b][0].details["compared"] == 18
    assert by[c] and by[c][0].details["other_kit"] == d
    assert by[d] and by[d][0].details["other_kit"] == c


async def test_elimination_database_flags_remains_as_contamination(db_session, lab) -> None:
    staff = random_profile(random.Random(31))
    ref_file = genemapper({"STAFF-007": staff})
    rep = await pi.validate_import(db_session, ref_file, "staff.txt", lab=LAB,
                                   purpose="elimination")
    assert rep.ok and rep.samples[0].action == "new"
    await pi.commit_import(db_session, ref_file, "staff.txt", lab=LAB, actor=ACTOR,
                           purpose="elimination")
    degraded = {k: v for k, v in list(staff.items())[:8]}
    data = genemapper({lab.remains[0]: degraded, lab.sister: staff},
                      amel={lab.sister: ["X"]})
    report = await pi.validate_import(db_session, data, "r.txt", lab=LAB)
    by = {s.barcode: {f.kind: f for f in s.findings} for s in report.samples}
    hit = by[lab.remains[0]]["elimination_match"]
    assert hit.severity == "hold" and hit.details["staff_code"] == "STAFF-007"
    assert "contamination" in hit.message
    assert "elimination_match" not in by[lab.sister]  # references are not checked


async def test_partial_profile_is_accepted_with_its_loci_count(db_session, lab) -> None:
    prof = {k: v for k, v in random_profile(random.Random(41)).items() if k in AUTO[:10]}
    data = genemapper({lab.remains[2]: prof})
    report = await pi.validate_import(db_session, data, "p.txt", lab=LAB)
    assert report.ok
    s = report.samples[0]
    assert s.n_autosomal == 10 and s.n_expected == 21 and not s.hold
    assert any(f.kind == "partial" and f.severity == "info" for f in s.findings)
    await pi.commit_import(db_session, data, "p.txt", lab=LAB, actor=ACTOR)
    p = (await db_session.execute(select(Profile))).scalar_one()
    assert p.n_autosomal == 10 and p.single_source


async def test_resolve_review_flag(db_session, lab) -> None:
    fam = family_genotypes(random.Random(3))
    data = genemapper({lab.mother: fam["mother"]}, amel={lab.mother: ["X", "Y"]})
    await pi.commit_import(db_session, data, "s.txt", lab=LAB, actor=ACTOR)
    flag = next(f for f in await _flags(db_session, lab.mother) if f.kind == "sex_mismatch")
    await profiles_service.resolve_flag(db_session, flag.id, "AMELY artefact, re-run shows X",
                                        actor=ACTOR)
    assert flag.status == "resolved" and flag.resolution.startswith("AMELY")
    with pytest.raises(Conflict):
        await profiles_service.resolve_flag(db_session, flag.id, "twice over", actor=ACTOR)


# --------------------------------------------------------------------------- one-peak reference


def _one_peak_family(reading):
    """A mother ``m`` (two peaks b, c) and the missing man's full brother ``s`` showing one
    peak ``a`` at one locus (his true b or c may have dropped out), no mutation: the
    family-consistency check of ``s`` against ``m``."""
    from dnacase.formats import DEFAULT_TABLE_ID, load_frequency_table
    from dnacase.services.evidence_model import EvidenceSettings

    table = load_frequency_table(DEFAULT_TABLE_ID)
    locus = "D8S1179"
    a, b, c = "10", "13", "14"
    ped = build_family_pedigree(
        MissingPersonInfo("1", "An", "M"),
        [FamilyMember("m", "Mother", "F"), FamilyMember("s", "Brother", "M")],
        [RecordedRelationship("m", "mother"), RecordedRelationship("s", "full_brother")])
    settings = qc.QCSettings(family_min_loci=1,
                             evidence=EvidenceSettings(mutation_model="none"))
    check = qc.family_pair_check(ped, "rel:s", "rel:m", {locus: (a, a)}, {locus: (b, c)},
                                 table, ("H1", "H2"), settings,
                                 None if reading is None else {"rel:s": reading})
    loc, _notes = qc.evidence_model.kinship_locus(table, locus, [a, b, c], settings.evidence)
    return check, float(loc.freqs[loc.alleles.index(a)]), locus


def test_family_check_reads_a_one_peak_reference_with_its_dropout():
    """Closed forms (mother (b, c), son one peak a): with dropout d the son is {a, b} or
    {a, c}, each p_a / 2 given the mother, weight d (1 - d); unrelated, the one peak has
    probability (1 - d^2) p_a^2 + d (1 - d) 2 p_a (1 - p_a). So
    LR = d (1 - d) / ((1 - d^2) p_a + 2 d (1 - d) (1 - p_a)); read as a homozygote it excludes."""
    import math

    d = 0.2
    check, pa, locus = _one_peak_family(qc.Reading({"D8S1179": "peak"}, d))
    want = d * (1 - d) / ((1 - d * d) * pa + 2 * d * (1 - d) * (1 - pa))
    assert check.error is None and check.inconsistent == ()
    assert 10 ** check.log10_lr == pytest.approx(want, rel=1e-9)
    # the same sample at d = 0 (a reference's default): a homozygote, Mendelian-inconsistent
    plain, _pa, _l = _one_peak_family(qc.Reading({"D8S1179": "peak"}, 0.0))
    assert plain.log10_lr == -math.inf and plain.inconsistent == (locus,)
    old, _pa, _l = _one_peak_family(None)
    assert old.log10_lr == -math.inf
    # beside an off-ladder peak: the called allele plus one unknown allele, whatever d
    ol, _pa, _l = _one_peak_family(qc.Reading({"D8S1179": "off_ladder"}, 0.0))
    assert 10 ** ol.log10_lr == pytest.approx(1 / (2 * (1 - pa)), rel=1e-9)


async def test_import_reads_a_one_peak_reference_with_its_sample_dropout(db_session, lab) -> None:
    """The brother's profile shows one peak (his father's allele, not the mother's) at three
    loci. As homozygotes they need a mutation each and the family check flags him; with his
    sample's dropout probability (as the search reads it) they are a dropped maternal allele
    and nothing is flagged."""
    from dnacase.models.kits import Kit, Sample

    data, samples = good_file(lab)
    await pi.commit_import(db_session, data, "f.txt", lab=LAB, actor=ACTOR)
    mother, brother = samples[lab.mother], dict(samples[lab.brother])
    paternal = [k for k, g in sorted(brother.items())
                if len(set(g)) == 2 and any(x not in mother[k] for x in g)
                and any(x in mother[k] for x in g)][:3]
    assert len(paternal) == 3
    for k in paternal:
        brother[k] = [next(x for x in brother[k] if x not in mother[k])]
    one_peak = genemapper({lab.brother: brother}, amel={lab.brother: ["X", "Y"]})

    async def family_flags() -> list[qc.Finding]:
        report = await pi.validate_import(db_session, one_peak, "b.txt", lab=LAB)
        return [f for f in report.samples[0].findings if f.kind == "family_inconsistency"]

    flagged = await family_flags()  # a reference sample: d = 0, single peaks are homozygotes
    assert flagged
    checks = {c["label"]: c for c in flagged[0].details["checks"]}
    assert set(paternal) <= set(checks[lab.mother]["inconsistent"])
    smp = (await db_session.execute(select(Sample).join(Kit, Kit.id == Sample.kit_id).where(
        Kit.barcode == lab.brother))).scalar_one()
    smp.dropout_probability = 0.2
    await db_session.flush()
    assert await family_flags() == []


def test_family_check_with_a_null_allele_closed_form():
    """Silent allele of frequency q at the locus (evidence-model setting), no dropout, no
    mutation: a mother and her son each showing one peak a are each {a, a} or {a, null}.
    Parent-child: P(M, S) = p^2 (p + q) + 2pq ((p + q) / 2 + p / 2); unrelated:
    (p^2 + 2pq)^2. LR = (p^2 + 3pq + q^2) / (p (p + 2q)^2), 1 / p at q = 0."""
    from dnacase.formats import DEFAULT_TABLE_ID, load_frequency_table
    from dnacase.kinship.peaks import NULL_ALLELE
    from dnacase.services.evidence_model import EvidenceSettings

    table = load_frequency_table(DEFAULT_TABLE_ID)
    locus, a, q = "D8S1179", "10", 0.03
    ped = build_family_pedigree(
        MissingPersonInfo("1", "An", "M"),
        [FamilyMember("m", "Mother", "F"), FamilyMember("s", "Brother", "M")],
        [RecordedRelationship("m", "mother"), RecordedRelationship("s", "full_brother")])

    def check(nulls):
        ev = EvidenceSettings(mutation_model="none", null_alleles=nulls)
        settings = qc.QCSettings(family_min_loci=1, evidence=ev)
        loc, _n = qc.evidence_model.kinship_locus(table, locus, [a], ev)
        res = qc.family_pair_check(ped, "rel:s", "rel:m", {locus: (a, a)}, {locus: (a, a)},
                                   table, ("H1", "H2"), settings)
        return res, loc

    res, loc = check(((locus, q),))
    assert loc.alleles[-1] == NULL_ALLELE and loc.freqs[-1] == pytest.approx(q)
    p = float(loc.freqs[loc.alleles.index(a)])
    want = (p * p + 3 * p * q + q * q) / (p * (p + 2 * q) ** 2)
    assert 10 ** res.log10_lr == pytest.approx(want, rel=1e-9)
    plain, loc0 = check(())
    assert NULL_ALLELE not in loc0.alleles
    assert 10 ** plain.log10_lr == pytest.approx(1 / float(loc0.freqs[loc0.alleles.index(a)]),
                                                 rel=1e-9)
    bad = EvidenceSettings(null_alleles=((locus, 0.0),)).errors()
    assert "null_alleles" in bad
