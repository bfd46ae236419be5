"""Population haplotype databases: import (validated, all-or-nothing, idempotent, audited) and
their use for the lineage LRs and the combined LR of a review candidate."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sqlalchemy import func, select
from test_report import _case
from test_search_lineage_filter import _mt, _mutate

from dnacase.kinship.combined import mtdna_evidence
from dnacase.kinship.lineage import MtHaplotype, mtdna_references
from dnacase.models.audit import AuditEntry
from dnacase.models.lineage import HaplotypeDatabaseRecord
from dnacase.services import audit, report, review
from dnacase.services import haplotype_databases as hdb
from dnacase.services.errors import Conflict, ValidationFailed
from dnacase.services.search_inputs import LineageInput, gather_inputs


def _emp(rows: list[tuple[str, int, str]]) -> bytes:
    body = "".join(f"{sid}\t?\t{count}\t{variants}\n" for sid, count, variants in rows)
    return ("# synthetic population\n#! 16024-576\n" + body).encode()


POP = _emp([("H1", 5, "16223T\t73G\t263G"), ("H2", 3, "16129A\t73G\t263G"),
            ("H3", 2, "263G")])


async def test_import_counts_empop_rows_is_idempotent_and_refuses_bad_files(sessionmaker):
    async with sessionmaker() as s, s.begin():
        res = await hdb.import_database(s, POP, "kinh.emp", marker="mtDNA",
                                        population="Kinh, Viet Nam", actor=audit.SYSTEM)
    assert res.created and res.record.n_haplotypes == 10  # counts 5 + 3 + 2
    assert res.record.slug == "mtdna_kinh_viet_nam"
    async with sessionmaker() as s, s.begin():
        again = await hdb.import_database(s, POP, "kinh.emp", marker="mtDNA",
                                          population="Kinh, Viet Nam", actor=audit.SYSTEM)
        assert not again.created
        with pytest.raises(Conflict):
            await hdb.import_database(s, _emp([("X", 1, "73G")]), "other.emp",
                                      marker="mtDNA", population="Kinh, Viet Nam",
                                      actor=audit.SYSTEM)
    bad = _emp([("B1", 1, "73G"), ("B2", 1, "16223Q")])  # an impossible variant on line 4
    async with sessionmaker() as s:
        with pytest.raises(ValidationFailed) as info:
            await hdb.import_database(s, bad, "bad.emp", marker="mtDNA", population="X",
                                      actor=audit.SYSTEM)
        (issue,) = info.value.details["issues"]
        assert (issue["file"], issue["line"], issue["sample"]) == ("bad.emp", 4, "B2")
        with pytest.raises(ValidationFailed):  # a Y table is not an mtDNA database
            await hdb.import_database(s, b"SampleID,DYS19\nA,14\n", "y.csv", marker="mtDNA",
                                      population="X", actor=audit.SYSTEM)
    async with sessionmaker() as s:
        assert (await s.execute(select(func.count()).select_from(
            HaplotypeDatabaseRecord))).scalar_one() == 1  # nothing half-written
        actions = (await s.execute(select(AuditEntry.action))).scalars().all()
        assert actions.count("lineage.database.import") == 1
        db = await hdb.population_database(s, "mtDNA")
        assert db is not None and len(db) == 10 and "Kinh" in db.name
        assert await hdb.population_database(s, "Y_STR") is None


async def test_candidate_gets_the_mtdna_lr_and_the_combined_lr(sessionmaker, tmp_path):
    world, _first = await _case(sessionmaker, tmp_path)
    rng = np.random.default_rng(8)
    async with sessionmaker() as s:  # a candidate whose family has a maternal-line relative
        for item in await review.list_queue(s):
            inputs = await gather_inputs(s, world.source,
                                         missing_person_id=item.case.missing_person_id)
            fam = inputs.families[0]
            ped = fam.pedigree.to_kinship()
            in_line = {r.id for r in mtdna_references(ped, fam.missing_node,
                                                      fam.relative_ids).in_line}
            if in_line:
                case = item.case
                break
    assert in_line
    mt = _mt(rng)
    world.source.remains_lineage[case.remains_id] = LineageInput(mt, None, "r")
    for node, rid in fam.relative_ids.items():
        hap = mt if node in in_line else _mutate(mt, 2, rng)
        world.source.relative_lineage[rid] = LineageInput(hap, None, f"l{rid}")
    # before any database: the comparison is shown, the LR is not
    async with sessionmaker() as s:
        d = await report.candidate_detail(s, case.id, source=world.source)
    assert d.lineage_lrs[0].log10_lr is None and d.lineage_lrs[0].why == "no_database"
    assert d.combined_log10_lr is None
    async with sessionmaker() as s, s.begin():
        await hdb.import_database(s, POP, "kinh.emp", marker="mtDNA", population="Kinh",
                                  actor=audit.SYSTEM)
    async with sessionmaker() as s:
        d = await report.candidate_detail(s, case.id, source=world.source)
        db = await hdb.population_database(s, "mtDNA")
    (lr,) = d.lineage_lrs
    refs = {n: world.source.relative_lineage[r].mt for n, r in fam.relative_ids.items()}
    want = mtdna_evidence(ped, fam.missing_node, mt, refs, db)
    assert lr.log10_lr == pytest.approx(want.log10_lr, abs=1e-12)
    assert (lr.count, lr.n) == (want.frequency.count, want.frequency.n) == (0, 10)
    assert lr.log10_lr > 0 and math.isfinite(lr.log10_lr)
    assert d.combined_log10_lr == pytest.approx(d.item.result.log10_lr + lr.log10_lr)
    ctx = report.report_context(d, "vi")  # the report to the family states both
    assert ctx["combined"] == f"{d.combined_log10_lr:.2f}"
    assert f"mtDNA: log10 LR = {lr.log10_lr:.2f}" in ctx["lineage"]
    assert report.report_pdf(d, "vi").startswith(b"%PDF-")
    assert isinstance(mt, MtHaplotype)
