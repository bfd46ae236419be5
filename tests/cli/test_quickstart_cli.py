"""The commands behind the quick start, end to end on a fresh SQLite file: ``dnacase demo`` then
``dnacase search run`` and ``dnacase search status`` (what a user types after ``make run``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from dnacase.cli import main


@pytest.mark.slow
def test_demo_then_blind_search_finds_pairs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    env = {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'demo.sqlite3'}",
        "DNACASE_ENV": "test",
    }
    runner = CliRunner()
    demo = runner.invoke(main, ["demo"], env=env, catch_exceptions=False)
    assert demo.exit_code == 0, demo.output
    run = runner.invoke(main, ["search", "run"], env=env, catch_exceptions=False)
    assert run.exit_code == 0, run.output
    summary = re.search(
        r"(\d+) remains x (\d+) families = ([\d,]+) pairs; (\d+) pairs stored", run.output
    )
    assert summary, run.output
    n_remains, n_families, _, stored = (int(g.replace(",", "")) for g in summary.groups())
    assert n_remains > 0 and n_families > 0 and stored > 0
    assert "prior" in run.output
    status = runner.invoke(main, ["search", "status"], env=env, catch_exceptions=False)
    assert status.exit_code == 0
    assert re.search(r"done: (\d+)/\1 pairs", status.output), status.output
