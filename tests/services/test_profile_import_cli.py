"""``dnacase import profiles`` / ``frequencies``: report, commit, refusal exit codes."""

from __future__ import annotations

import asyncio
from typing import Any

from click.testing import CliRunner
from sqlalchemy import func, select
from tests.conftest import TEST_SECRET
from tests.services.test_profile_import import LAB, build_lab, genemapper, good_file

from dnacase.cli import main
from dnacase.models.profiles import FrequencyTableRecord, Profile

KINH = b"""# population=Kinh (synthetic test table)
locus,allele,frequency
TH01,6,0.1
TH01,7,0.3
TH01,9,0.4
TH01,9.3,0.2
D3S1358,15,0.5
D3S1358,16,0.5
"""


async def _invoke(args: list[str], database_url: str, tmp_path) -> Any:
    """Run the CLI in a worker thread (it runs its own event loop)."""
    env = {"DATABASE_URL": database_url, "DNACASE_SECRET_KEY": TEST_SECRET,
           "DNACASE_VAR_DIR": str(tmp_path / "var")}
    return await asyncio.to_thread(CliRunner().invoke, main, args, env=env,
                                   catch_exceptions=False)


async def test_cli_validate_commit_and_refuse(db_session, database_url, tmp_path) -> None:
    lab = await build_lab(db_session, tmp_path)
    await db_session.commit()
    data, _ = good_file(lab)
    path = tmp_path / "run.txt"
    path.write_bytes(data)

    async def count() -> int:
        await db_session.rollback()  # end the read transaction: see the CLI's commits
        return int((await db_session.execute(select(func.count()).select_from(Profile)))
                   .scalar_one())

    res = await _invoke(["import", "profiles", str(path), "--lab", LAB], database_url, tmp_path)
    assert res.exit_code == 0, res.output
    assert "8 new" in res.output and "nothing written" in res.output
    assert await count() == 0
    res = await _invoke(["import", "profiles", str(path), "--lab", LAB, "--commit"], database_url,
                  tmp_path)
    assert res.exit_code == 0 and "committed as import #1" in res.output, res.output
    assert await count() == 8
    res = await _invoke(["import", "profiles", str(path), "--lab", LAB, "--commit"], database_url,
                  tmp_path)
    assert res.exit_code == 0 and "imported before" in res.output
    bad = tmp_path / "bad.txt"
    bad.write_bytes(genemapper({"KIT-2001-000005-99": {"TH01": ["6", "abc"]}}))
    res = await _invoke(["import", "profiles", str(bad), "--lab", LAB, "--commit"], database_url,
                  tmp_path)
    assert res.exit_code == 1
    assert "không nhập gì" in res.output and "dòng 2" in res.output  # the default locale, vi
    assert await count() == 8


async def test_cli_imports_a_kinh_table_in_one_step(db_session, database_url, tmp_path) -> None:
    path = tmp_path / "kinh.csv"
    path.write_bytes(KINH)
    res = await _invoke(["import", "frequencies", str(path), "--population", "Kinh, Viet Nam",
                   "--n", "120", "--id", "kinh_test"], database_url, tmp_path)
    assert res.exit_code == 0, res.output
    assert "kinh_test: Kinh, Viet Nam, N=120, 2 loci: imported" in res.output
    res = await _invoke(["import", "frequency-tables"], database_url, tmp_path)
    assert "nist1036_asian" in res.output and "kinh_test" in res.output
    await db_session.rollback()
    rows = (await db_session.execute(select(FrequencyTableRecord))).scalars().all()
    assert [(r.slug, r.n_individuals) for r in rows] == [("kinh_test", 120)]
    path.write_bytes(KINH.replace(b"TH01,9.3,0.2", b"TH01,9.3,0.7"))
    res = await _invoke(["import", "frequencies", str(path), "--population", "Kinh",
                   "--id", "kinh_bad"], database_url, tmp_path)
    assert res.exit_code == 1 and "TH01" in res.output


async def test_cli_imports_a_population_haplotype_database(database_url, tmp_path) -> None:
    path = tmp_path / "kinh.emp"
    path.write_bytes(b"#! 16024-576\nH1\t?\t4\t16223T\t73G\nH2\t?\t1\t263G\n")
    args = ["import", "haplotypes", str(path), "--marker", "mtDNA", "--population", "Kinh"]
    res = await _invoke(args, database_url, tmp_path)
    assert res.exit_code == 0, res.output
    assert "mtdna_kinh: mtDNA, Kinh, N=5: imported" in res.output
    res = await _invoke(args, database_url, tmp_path)
    assert res.exit_code == 0 and "already imported (unchanged)" in res.output
    path.write_bytes(b"#! 16024-576\nH1\t?\tmany\t16223T\n")
    res = await _invoke([*args[:5], "--population", "Other"], database_url, tmp_path)
    assert res.exit_code == 1 and "H1" in res.output  # refused, naming the sample
