"""Re-association of remains: the remains x remains scan, the two-person "same individual"
rule, groups, the consensus profile the search reads, and one identification for the group."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pytest
from sqlalchemy import func, select
from test_search_support import build_world, panel_loci

from dnacase.kinship.identity import identity_lr
from dnacase.kinship.markers import encode_profiles
from dnacase.models.audit import AuditEntry
from dnacase.models.reassociation import RemainsGroupMember, RemainsPair
from dnacase.models.registry import Grave, MissingPerson, Remains
from dnacase.models.review import ReviewCase
from dnacase.models.search import SearchResult
from dnacase.services import audit, reassociation, reassociation_scan, review, search
from dnacase.services import users as users_service
from dnacase.services.errors import Conflict, PermissionDenied, ValidationFailed
from dnacase.services.search_inputs import ProfileInput, gather_inputs

#: The test world's frequency table (tests/services/test_search_support.py panel_loci).
TABLE = "nist1036_asian"


@dataclass(frozen=True)
class Who:
    id: int
    username: str
    roles: frozenset[str]


async def _users(sessionmaker) -> dict[str, Who]:
    out = {}
    async with sessionmaker() as s, s.begin():
        for name, roles in (("rev1", ("reviewer",)), ("rev2", ("reviewer",)),
                            ("boss", ("admin",)), ("lab1", ("lab",))):
            u = await users_service.create_user(
                s, username=name, display_name=name, password="password-" + name * 3,
                roles=roles, actor=audit.SYSTEM, meta=audit.CLI_META)
            out[name] = Who(u.id, name, frozenset(roles))
    return out


DROPPED = ("D3S1358", "vWA", "D16S539", "CSF1PO")  # failed on the second bone


async def _world_with_second_bone(sessionmaker):
    """build_world + a second bone of the first missing person in another grave: a partial
    profile (four loci failed), one heterozygous locus read as one peak (dropout) and one
    locus the first bone did not type."""
    async with sessionmaker() as s, s.begin():
        world = await build_world(s, n_families=3, n_unrelated=3)
        first = world.remains_ids[0]
        g2 = Grave(cemetery_id=(await s.get(Grave, world.grave_of[first])).cemetery_id,
                   plot="C", row="2", number="7")
        s.add(g2)
        await s.flush()
        bone = Remains(grave_id=g2.id)
        s.add(bone)
        await s.flush()
    prof = dict(world.source.remains[first].alleles)
    for loc in DROPPED:
        prof.pop(loc, None)
    het = next(k for k, v in sorted(prof.items()) if v[0] != v[1])
    prof[het] = (prof[het][0], prof[het][0])  # one peak: the other allele dropped out
    world.source.remains[bone.id] = ProfileInput(f"rem{bone.id}v1", prof, ("Identifiler",),
                                                 dropout=0.1)
    world.grave_of[bone.id] = g2.id
    return world, first, bone.id, het


async def test_scan_queues_the_two_bones_only(sessionmaker):
    world, first, bone, het = await _world_with_second_bone(sessionmaker)
    async with sessionmaker() as s, s.begin():
        rep = await reassociation_scan.scan_remains_pairs(s, world.source, min_log10=6,
                                                          frequency_table=TABLE)
    assert rep.profiles == 7 and rep.pairs_compared == 21
    assert (rep.hits, rep.queued) == (1, 1)
    async with sessionmaker() as s:
        pairs = list((await s.execute(select(RemainsPair))).scalars())
        assert len(pairs) == 1
        p = pairs[0]
        assert (p.remains_a_id, p.remains_b_id, p.status) == (first, bone, "open")
        # the stored LR is the identity LR of the two profiles, at full precision
        loci = [loc for loc in panel_loci()]
        geno = encode_profiles(loci, ["a", "b"], {
            "a": world.source.remains[first].alleles, "b": world.source.remains[bone].alleles})
        d_first = world.source.remains[first].dropout
        want = identity_lr(loci, geno[0], geno[1], dropout=(d_first, 0.1))
        assert p.log10_lr == pytest.approx(want.log10_lr, abs=1e-9)
        assert p.details["dropouts"] == [d_first, 0.1]
        # read without the bone's dropout, the one-peak locus would be a mismatch (LR eps)
        plain = identity_lr(loci, geno[0], geno[1], dropout=(d_first, 0.0))
        assert het in plain.mismatch_loci and plain.log10_lr < want.log10_lr - 2
        assert p.log10_lr >= 6 and math.isfinite(p.log10_lr)
        both = set(world.source.remains[first].alleles) & set(world.source.remains[bone].alleles)
        assert p.loci_compared == len(want.compared) == len(both)
        assert het in p.details["dropout_loci"] and not p.details["mismatch_loci"]
        actions = [a for (a,) in await s.execute(select(AuditEntry.action))]
        assert actions.count("reassociation.pair.enqueue") == 1
    # a second scan changes nothing
    async with sessionmaker() as s, s.begin():
        rep = await reassociation_scan.scan_remains_pairs(s, world.source, min_log10=6,
                                                          frequency_table=TABLE)
    assert (rep.queued, rep.updated, rep.unchanged) == (0, 0, 1)
    # the lab sets the bone's own dropout probability: the open pair is recomputed with it
    world.source.remains[bone] = replace(world.source.remains[bone], dropout=0.3)
    async with sessionmaker() as s, s.begin():
        rep = await reassociation_scan.scan_remains_pairs(s, world.source, min_log10=6,
                                                          frequency_table=TABLE)
    assert (rep.queued, rep.updated) == (0, 1)
    async with sessionmaker() as s:
        p = (await s.execute(select(RemainsPair))).scalar_one()
        want = identity_lr(loci, geno[0], geno[1], dropout=(d_first, 0.3))
        assert p.log10_lr == pytest.approx(want.log10_lr, abs=1e-9)
        assert p.details["dropouts"] == [d_first, 0.3]


async def _confirm_pair(sessionmaker, who, pair_id):
    async with sessionmaker() as s, s.begin():
        await reassociation.decide_pair(s, pair_id, who["rev1"], "same", "profiles agree")
    async with sessionmaker() as s, s.begin():
        return await reassociation.decide_pair(s, pair_id, who["rev2"], "same",
                                               "same individual: LR and graves fit")


async def test_two_different_reviewers_confirm_the_same_individual(sessionmaker):
    world, first, bone, _het = await _world_with_second_bone(sessionmaker)
    who = await _users(sessionmaker)
    async with sessionmaker() as s, s.begin():
        await reassociation_scan.scan_remains_pairs(s, world.source, frequency_table=TABLE)
        pid = (await s.execute(select(RemainsPair.id))).scalar_one()
    async with sessionmaker() as s, s.begin():
        with pytest.raises(PermissionDenied):
            await reassociation.decide_pair(s, pid, who["lab1"], "same", "looks alike")
    async with sessionmaker() as s, s.begin():
        with pytest.raises(ValidationFailed):
            await reassociation.decide_pair(s, pid, who["rev1"], "same", " ")
    async with sessionmaker() as s, s.begin():
        with pytest.raises(ValidationFailed):
            await reassociation.decide_pair(s, pid, who["rev1"], "confirm", "wrong word")
    async with sessionmaker() as s, s.begin():
        p = await reassociation.decide_pair(s, pid, who["rev1"], "same", "profiles agree")
        assert p.status == "open"
    async with sessionmaker() as s:
        # blind: the second reviewer does not see the first decision
        assert (await reassociation.get_pair(s, pid, who["rev2"])).decisions == []
        assert len((await reassociation.get_pair(s, pid, who["rev1"])).decisions) == 1
        assert await reassociation.group_members(s, first) == [first]
    async with sessionmaker() as s, s.begin():
        with pytest.raises(Conflict):
            await reassociation.decide_pair(s, pid, who["rev1"], "same", "again")
    async with sessionmaker() as s, s.begin():
        p = await reassociation.decide_pair(s, pid, who["rev2"], "same", "agree")
        assert p.status == "confirmed" and p.confirmed_at is not None
    async with sessionmaker() as s, s.begin():
        with pytest.raises(Conflict):
            await reassociation.decide_pair(s, pid, who["boss"], "different", "too late")
    async with sessionmaker() as s:
        assert await reassociation.group_members(s, bone) == [first, bone]
        places = await reassociation.group_places(s, bone)
        assert [p.remains_id for p in places] == [bone, first]
        assert places[0].grave == "C-2-7" and places[1].grave == "A-1-1"
        actions = [a for (a,) in await s.execute(select(AuditEntry.action))]
        for a in ("reassociation.decision.same", "reassociation.group.create",
                  "reassociation.group.add", "reassociation.pair.status"):
            assert a in actions
    # a new scan does not queue pairs already in one group
    async with sessionmaker() as s, s.begin():
        rep = await reassociation_scan.scan_remains_pairs(s, world.source, frequency_table=TABLE)
    assert rep.queued == 0


async def test_one_different_closes_the_pair(sessionmaker):
    world, first, _bone, _het = await _world_with_second_bone(sessionmaker)
    who = await _users(sessionmaker)
    async with sessionmaker() as s, s.begin():
        await reassociation_scan.scan_remains_pairs(s, world.source, frequency_table=TABLE)
        pid = (await s.execute(select(RemainsPair.id))).scalar_one()
    async with sessionmaker() as s, s.begin():
        p = await reassociation.decide_pair(s, pid, who["rev1"], "different", "anthropology: "
                                            "two left femurs")
        assert p.status == "rejected"
    async with sessionmaker() as s:
        assert await reassociation.group_members(s, first) == [first]
        assert (await s.execute(select(func.count()).select_from(RemainsGroupMember)))\
            .scalar_one() == 0


async def test_groups_merge(sessionmaker):
    """Three samples of one man: confirmed pairs (a, b) and (b, c) give one group {a, b, c}."""
    world, first, bone, _het = await _world_with_second_bone(sessionmaker)
    who = await _users(sessionmaker)
    async with sessionmaker() as s, s.begin():
        third = Remains(recovery_site="Đồi 544, Quảng Trị")
        s.add(third)
        await s.flush()
    world.source.remains[third.id] = world.source.remains[first]
    async with sessionmaker() as s, s.begin():
        await reassociation_scan.scan_remains_pairs(s, world.source, frequency_table=TABLE)
        pairs = list((await s.execute(select(RemainsPair).order_by(RemainsPair.id))).scalars())
    assert {(p.remains_a_id, p.remains_b_id) for p in pairs} == {
        (first, bone), (first, third.id), (bone, third.id)}
    by = {(p.remains_a_id, p.remains_b_id): p.id for p in pairs}
    await _confirm_pair(sessionmaker, who, by[(first, bone)])
    await _confirm_pair(sessionmaker, who, by[(bone, third.id)])
    async with sessionmaker() as s:
        assert await reassociation.group_members(s, third.id) == [first, bone, third.id]
        gids = set((await s.execute(select(RemainsGroupMember.group_id))).scalars())
        assert len(gids) == 1
        places = await reassociation.group_places(s, third.id)
        assert places[0].recovery_site == "Đồi 544, Quảng Trị" and not places[0].grave


async def test_search_reads_one_consensus_profile_per_group(sessionmaker, tmp_path):
    world, first, bone, het = await _world_with_second_bone(sessionmaker)
    who = await _users(sessionmaker)
    # the second bone types a locus the first did not, and disagrees at one locus
    loci = panel_loci()
    missing_in_first = next((loc.name for loc in loci
                             if loc.name not in world.source.remains[first].alleles), None)
    prof = dict(world.source.remains[bone].alleles)
    if missing_in_first is not None:
        prof[missing_in_first] = ("15", "16")
    fa = world.source.remains[first].alleles
    conflict = next(k for k in sorted(prof) if k not in (het, missing_in_first)
                    and k in fa and fa[k][0] != fa[k][1])  # a heterozygous locus of both
    a0 = world.source.remains[first].alleles[conflict][0]
    other = next(x for x in ("9", "10", "11", "12", "13", "14", "15", "16")
                 if x not in world.source.remains[first].alleles[conflict])
    prof[conflict] = (a0, other)  # two peaks, one allele the first bone does not have
    world.source.remains[bone] = ProfileInput(f"rem{bone}v2", prof, ("Identifiler",),
                                              dropout=0.1)
    async with sessionmaker() as s, s.begin():
        await reassociation_scan.scan_remains_pairs(s, world.source, frequency_table=TABLE)
        pid = (await s.execute(select(RemainsPair.id))).scalar_one()
    await _confirm_pair(sessionmaker, who, pid)
    async with sessionmaker() as s:
        inputs = await gather_inputs(s, world.source)
        ids = [r.remains_id for r in inputs.remains]
        assert first in ids and bone not in ids and len(ids) == 6
        cons = next(r.profile for r in inputs.remains if r.remains_id == first)
        assert cons.version.startswith("group:") and cons.version.endswith(
            f"[rem{first}v1,rem{bone}v2]")
        assert conflict not in cons.alleles
        assert any(conflict in f for f in cons.qc_flags)
        if missing_in_first is not None:
            assert cons.alleles[missing_in_first] == ("15", "16")
        assert cons.alleles[het] == world.source.remains[first].alleles[het]
        # a single-remains gather of either member gives the group's consensus
        one = await gather_inputs(s, world.source, remains_id=bone)
        assert [r.remains_id for r in one.remains] == [first]
    async with sessionmaker() as s, s.begin():
        run = await search.create_run(s, search.SearchParameters())
    await search.execute_run(sessionmaker, run.id, world.source, cache_dir=tmp_path)
    async with sessionmaker() as s:
        rids = set((await s.execute(select(SearchResult.remains_id).where(
            SearchResult.run_id == run.id))).scalars())
        assert bone not in rids and first in rids


async def test_one_identification_for_the_group(sessionmaker, tmp_path):
    world, first, bone, _het = await _world_with_second_bone(sessionmaker)
    who = await _users(sessionmaker)
    async with sessionmaker() as s, s.begin():
        await reassociation_scan.scan_remains_pairs(s, world.source, frequency_table=TABLE)
        pid = (await s.execute(select(RemainsPair.id))).scalar_one()
    await _confirm_pair(sessionmaker, who, pid)
    async with sessionmaker() as s, s.begin():
        run = await search.create_run(s, search.SearchParameters())
    await search.execute_run(sessionmaker, run.id, world.source, cache_dir=tmp_path)
    async with sessionmaker() as s:
        case = (await s.execute(select(ReviewCase).where(
            ReviewCase.remains_id == first))).scalar_one()
    async with sessionmaker() as s, s.begin():
        await review.decide(s, case.id, who["rev1"], "confirm", "LR and story fit")
    async with sessionmaker() as s, s.begin():
        c = await review.decide(s, case.id, who["rev2"], "confirm", "agree")
        assert c.status == "confirmed"
    async with sessionmaker() as s:
        for rid in (first, bone):
            g = await s.get(Grave, world.grave_of[rid])
            assert g.status == "identified" and g.missing_person_id == case.missing_person_id
    async with sessionmaker() as s, s.begin():
        await review.withdraw(s, case.id, who["boss"], "sample mix-up at the lab")
    async with sessionmaker() as s:
        for rid in (first, bone):
            g = await s.get(Grave, world.grave_of[rid])
            assert g.missing_person_id is None and g.status != "identified"


async def test_reassociating_with_an_identified_group_marks_the_newcomer(sessionmaker, tmp_path):
    world, first, bone, _het = await _world_with_second_bone(sessionmaker)
    who = await _users(sessionmaker)
    src_first_only = type(world.source)(world.source.relatives,
                                        {k: v for k, v in world.source.remains.items()
                                         if k != bone})
    async with sessionmaker() as s, s.begin():
        run = await search.create_run(s, search.SearchParameters())
    await search.execute_run(sessionmaker, run.id, src_first_only, cache_dir=tmp_path)
    async with sessionmaker() as s:
        case = (await s.execute(select(ReviewCase).where(
            ReviewCase.remains_id == first))).scalar_one()
    async with sessionmaker() as s, s.begin():
        await review.decide(s, case.id, who["rev1"], "confirm", "fits")
    async with sessionmaker() as s, s.begin():
        await review.decide(s, case.id, who["rev2"], "confirm", "fits")
    async with sessionmaker() as s, s.begin():
        await reassociation_scan.scan_remains_pairs(s, world.source, frequency_table=TABLE)
        pid = (await s.execute(select(RemainsPair.id))).scalar_one()
    async with sessionmaker() as s:
        assert (await s.get(Grave, world.grave_of[bone])).status != "identified"
    await _confirm_pair(sessionmaker, who, pid)
    async with sessionmaker() as s:
        g = await s.get(Grave, world.grave_of[bone])
        assert g.status == "identified" and g.missing_person_id == case.missing_person_id


def test_unrelated_profiles_stay_far_below_the_threshold():
    """Random unrelated profiles of the demo panel: none reaches log10 LR 6 (a property of the
    threshold, checked on 300 simulated pairs)."""
    from dnacase.kinship import random_profiles

    loci = panel_loci()
    rng = np.random.default_rng(3)
    profs = random_profiles(loci, rng, 25)
    from dnacase.kinship.identity import IdentityTables, pairwise_identity
    from dnacase.kinship.markers import genotype_code

    codes = genotype_code(profs[..., 0], profs[..., 1])
    assert pairwise_identity(IdentityTables(loci), codes, 0.0, np.full(25, 0.1)) == []
    self_lr = identity_lr(loci, profs[0], profs[0]).log10_lr
    assert self_lr > 10


async def test_remains_identified_as_two_persons_cannot_be_reassociated(sessionmaker, tmp_path):
    world, first, bone, _het = await _world_with_second_bone(sessionmaker)
    who = await _users(sessionmaker)
    async with sessionmaker() as s, s.begin():
        run = await search.create_run(s, search.SearchParameters())
    await search.execute_run(sessionmaker, run.id, world.source, cache_dir=tmp_path)
    async with sessionmaker() as s, s.begin():
        res_id = (await s.execute(select(SearchResult.id))).scalars().first()
        for rid, mid in ((first, world.mp_ids[0]), (bone, world.mp_ids[1])):
            await s.execute(ReviewCase.__table__.delete().where(ReviewCase.remains_id == rid))
            s.add(ReviewCase(remains_id=rid, missing_person_id=mid, result_id=res_id,
                             status="confirmed", log10_lr=9.0, posterior=0.9999))
        await reassociation_scan.scan_remains_pairs(s, world.source, frequency_table=TABLE)
        pid = (await s.execute(select(RemainsPair.id))).scalar_one()
    async with sessionmaker() as s, s.begin():
        with pytest.raises(Conflict) as err:  # "same" contradicts the two identifications
            await reassociation.decide_pair(s, pid, who["rev1"], "same", "profiles agree")
        assert "T-0000" in err.value.message and "T-0001" in err.value.message
    async with sessionmaker() as s:
        assert (await s.get(RemainsPair, pid)).status == "open"
        assert await reassociation.group_members(s, first) == [first]
    async with sessionmaker() as s, s.begin():  # "different" stays possible
        p = await reassociation.decide_pair(s, pid, who["rev2"], "different", "two persons")
        assert p.status == "rejected"


async def test_concurrent_same_decisions_confirm_once_on_postgresql(sessionmaker, backend):
    """Two reviewers saying "same" at the same moment: the row lock on the pair serializes them,
    so the second sees the first and the pair is confirmed with one group."""
    if backend != "postgresql":
        pytest.skip("row locks: PostgreSQL (SQLite serializes writers anyway)")
    import asyncio

    world, first, bone, _het = await _world_with_second_bone(sessionmaker)
    who = await _users(sessionmaker)
    async with sessionmaker() as s, s.begin():
        await reassociation_scan.scan_remains_pairs(s, world.source, frequency_table=TABLE)
        pid = (await s.execute(select(RemainsPair.id))).scalar_one()

    async def say(name: str) -> None:
        async with sessionmaker() as s, s.begin():
            await reassociation.decide_pair(s, pid, who[name], "same", f"{name} agrees")

    await asyncio.gather(say("rev1"), say("rev2"))
    async with sessionmaker() as s:
        assert (await s.get(RemainsPair, pid)).status == "confirmed"
        assert await reassociation.group_members(s, bone) == [first, bone]


async def test_a_group_cannot_be_identified_as_two_persons(sessionmaker, tmp_path):
    world, first, bone, _het = await _world_with_second_bone(sessionmaker)
    who = await _users(sessionmaker)
    async with sessionmaker() as s, s.begin():
        await reassociation_scan.scan_remains_pairs(s, world.source, frequency_table=TABLE)
        pid = (await s.execute(select(RemainsPair.id))).scalar_one()
    await _confirm_pair(sessionmaker, who, pid)
    src_bone = type(world.source)(world.source.relatives, dict(world.source.remains))
    async with sessionmaker() as s, s.begin():
        run = await search.create_run(s, search.SearchParameters())
    await search.execute_run(sessionmaker, run.id, src_bone, cache_dir=tmp_path)
    async with sessionmaker() as s, s.begin():
        case = (await s.execute(select(ReviewCase).where(
            ReviewCase.remains_id == first))).scalar_one()
        # the other bone was identified as someone else (recorded before the re-association)
        s.add(ReviewCase(remains_id=bone, missing_person_id=world.mp_ids[1],
                         result_id=case.result_id, status="confirmed", log10_lr=9.0,
                         posterior=0.9999))
    # one individual: the bone's identification blocks even the first confirmation of the
    # group's other remains as another person (services.review_rivals), naming it
    with pytest.raises(Conflict) as err:  # the transaction rolls back
        async with sessionmaker() as s, s.begin():
            await review.decide(s, case.id, who["rev1"], "confirm", "fits")
    async with sessionmaker() as s:
        name = (await s.get(MissingPerson, world.mp_ids[1])).full_name
    assert f"#{bone}" in err.value.message and name in err.value.message
    async with sessionmaker() as s:
        assert (await s.get(ReviewCase, case.id)).status == "open"
        assert (await s.get(Grave, world.grave_of[first])).status != "identified"
