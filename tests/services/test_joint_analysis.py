"""The joint analysis of a review case on the demo (two brothers' families and the remains
they match): both remains placed, the tie / difference with the pairwise answer marked, and
the result equal to ``dnacase dvi solve`` on the same problem written in the CLI's format."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from dnacase.cli.dvi import command as dvi_command
from dnacase.db import unit_of_work
from dnacase.models.review import ReviewCase
from dnacase.models.search import SearchRun
from dnacase.services import demo, joint_analysis, search
from dnacase.services.search_inputs import DatabaseProfileSource

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


async def searched_demo(sessionmaker, tmp_path) -> list[ReviewCase]:
    """A fresh demo with its queued searches executed; the review cases."""
    async with unit_of_work(sessionmaker) as s:
        await demo.load_demo(s, FIXTURES, upload_dir=tmp_path / "up")
    async with sessionmaker() as s:
        queued = [int(i) for i in (await s.execute(select(SearchRun.id).where(
            SearchRun.status.in_(("interrupted", "queued"))).order_by(SearchRun.id))).scalars()]
    for run_id in queued:
        await search.execute_run(sessionmaker, run_id, DatabaseProfileSource(),
                                 cache_dir=tmp_path / "c")
    async with sessionmaker() as s:
        return list((await s.execute(select(ReviewCase).order_by(ReviewCase.id))).scalars())


def brothers_case(cases: list[ReviewCase]) -> ReviewCase:
    """A case of the remains matched by two missing persons (the brothers)."""
    by_remains: dict[int, list[ReviewCase]] = defaultdict(list)
    for c in cases:
        by_remains[c.remains_id].append(c)
    return next(g for g in by_remains.values() if len(g) >= 2)[0]


async def test_joint_analysis_of_the_brothers_places_both_remains(sessionmaker, tmp_path,
                                                                  backend):
    cases = await searched_demo(sessionmaker, tmp_path)
    case = brothers_case(cases)
    brothers = {c.missing_person_id for c in cases if c.remains_id == case.remains_id}
    async with sessionmaker() as s:
        ja = await joint_analysis.joint_analysis(s, case.id)
    assert ja is not None
    assert brothers <= set(ja.missing_ids)
    assert ja.result["engine"] and ja.result["options"]["top"] == joint_analysis.OPTIONS.top
    best = dict(ja.best.pairs)
    placed = {r: m for r, m in best.items() if m is not None}
    assert set(placed.values()) == brothers, (best, ja.names)  # both brothers placed
    assert len(placed) == 2 and case.remains_id in placed
    assert ja.best.log10_lr > 4 and 0 < ja.best.posterior <= 1
    assert sum(r.posterior for r in ja.rows) <= 1 + 1e-9
    # the brothers are exchangeable: the two placements tie, and pairwise both remains'
    # best is the same brother, so the joint answer differs for one of them
    pw = ja.pairwise_best
    # one family that lost two sons: one pedigree with both missing (the placeholder father
    # of the recorded brother is one man in both records)
    fam = next(f for f in ja.problem.families if len(f.missing) > 1)
    assert {ja.problem.family_of[m] for m in fam.missing} == {ja.problem.families.index(fam)}
    assert {int(m.split(":")[1]) for m in fam.missing} == brothers
    assert "shared_relatives" not in ja.notes
    fathers = {fam.pedigree.father[fam.pedigree.index(m)] for m in fam.missing}
    assert len(fathers) == 1 and -1 not in fathers
    assert ja.tied and ja.result["joint"]["n_best_tied"] == 2
    assert {frozenset(dict(r.pairs).items()) for r in ja.rows[:2]} == {
        frozenset(placed.items()),
        frozenset(zip(placed, list(placed.values())[::-1], strict=True))}
    assert len({pw[r] for r in placed}) == 1 and ja.differs
    assert ja.differs == [r for r in ja.remains_ids if pw[r] != best.get(r)]

    # the same problem through the CLI's own format gives the same result
    path = tmp_path / "problem.json"
    path.write_text(json.dumps(joint_analysis.problem_json(ja.problem)), encoding="utf-8")
    o = joint_analysis.OPTIONS
    res = CliRunner().invoke(dvi_command, [
        "solve", str(path), "--max-assignments", str(o.max_assignments), "--top", str(o.top),
        "--threshold", str(o.threshold), "--max-clique", str(o.max_clique or 600_000_000)])
    assert res.exit_code == 0, res.output
    cli = json.loads(res.stdout.splitlines()[0])
    mine = ja.result
    assert cli["joint"]["n_assignments"] == mine["joint"]["n_assignments"]
    assert cli["joint"]["n_best_tied"] == mine["joint"]["n_best_tied"]
    assert [r["assignment"] for r in cli["joint"]["top"]] == \
        [r["assignment"] for r in mine["joint"]["top"]]
    for a, b in zip(cli["joint"]["top"], mine["joint"]["top"], strict=True):
        assert abs(a["log10_lr_vs_null"] - b["log10_lr_vs_null"]) < 1e-9
        assert abs(a["posterior"] - b["posterior"]) < 1e-12
    assert cli["pairwise"] == mine["pairwise"]


async def test_a_case_of_one_remains_and_one_person_has_no_joint_analysis(
        sessionmaker, tmp_path, backend):
    cases = await searched_demo(sessionmaker, tmp_path)
    lonely = [c for c in cases
              if sum(d.remains_id == c.remains_id for d in cases) == 1
              and sum(d.missing_person_id == c.missing_person_id for d in cases) == 1]
    async with sessionmaker() as s:
        for c in lonely:
            ja = await joint_analysis.joint_analysis(s, c.id)
            assert ja is None or len(ja.remains_ids) + len(ja.missing_ids) > 2


def _fam(mp: int, nodes: list) -> object:
    from dnacase.domain.family import FamilyPedigree
    from dnacase.services.search_inputs import FamilyInput, ProfileInput

    prof = ProfileInput("v1", {"D3S1358": ("15", "16")})
    return FamilyInput(mp, FamilyPedigree(f"mp:{mp}", nodes), {"rel:1": prof}, {"rel:1": 1})


def test_families_sharing_a_relative_merge_unless_their_records_disagree() -> None:
    from dnacase.domain.family import PedigreeNode as N
    from dnacase.services.search_inputs import SearchInputs

    def brother(mp: int, father: str, placeholder: bool = True) -> object:
        return _fam(mp, [N(father, "M", -1, placeholder=placeholder),
                         N("rel:1", "F", -1, relative_key="1"),
                         N(f"mp:{mp}", "M", 0, father=father, mother="rel:1", missing=True),
                         N("rel:2", "M", 0, father=father, mother="rel:1", relative_key="2")])

    units, separate = joint_analysis.family_units(SearchInputs(
        [brother(1, "father-of:mp:1"), brother(2, "father-of:mp:2")], []))
    assert not separate and len(units) == 1
    fid, ped, missing, _profiles = units[0]
    assert fid == "F1+2" and missing == ["mp:1", "mp:2"] and len(ped) == 5
    # the shared brother's father is a recorded man in one family, another in the other
    units, separate = joint_analysis.family_units(SearchInputs(
        [brother(1, "rel:8", placeholder=False), brother(2, "rel:9", placeholder=False)], []))
    assert separate and [u[0] for u in units] == ["F1", "F2"]
    # families with no relative in common stay apart, without a note
    lone = _fam(3, [N("father-of:mp:3", "M", -1, placeholder=True),
                    N("rel:5", "F", -1, relative_key="5"),
                    N("mp:3", "M", 0, father="father-of:mp:3", mother="rel:5", missing=True)])
    lone.relative_ids = {"rel:5": 5}
    units, separate = joint_analysis.family_units(SearchInputs(
        [brother(1, "father-of:mp:1"), lone], []))
    assert not separate and [u[0] for u in units] == ["F1", "F3"]
