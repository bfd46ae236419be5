"""No Python traceback reaches a user: every ``dnacase`` command and subcommand, given bad input
(missing file, bad ids, bad option values, an unknown table, a database not migrated), prints a
clear message and exits non-zero."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from dnacase.cli import main
from tests.conftest import TEST_SECRET


def _leaves(cmd: click.Command, path: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    if isinstance(cmd, click.Group):
        return {p for name, sub in cmd.commands.items() for p in _leaves(sub, (*path, name))}
    return {path}


def _bad_calls(tmp: Path) -> dict[tuple[str, ...], list[list[str]]]:
    bad_csv = tmp / "bad.csv"
    bad_csv.write_text("garbage,,,\n1,2\n")
    bad_json = tmp / "bad.json"
    bad_json.write_text('{"cases": [')
    empty = tmp / "empty_fixtures"
    empty.mkdir(exist_ok=True)
    missing = str(tmp / "no-such-file.csv")
    return {
        ("db", "upgrade"): [["--revision", "nosuch"]],
        ("db", "downgrade"): [["nosuch"]],
        ("db", "current"): [],  # read-only, fine on any database: covered by the others
        ("db", "revision"): [["-m", "x", "--head", "nosuch", "--rev-id", "9999"]],
        ("users", "create"): [["--username", "", "--display-name", "x", "--role", "nosuch"],
                              ["--username", "u", "--display-name", "x", "--role", "lab",
                               "--password-stdin"]],
        ("users", "list"): [],
        ("users", "set-password"): [["--username", "nosuch", "--password-stdin"]],
        ("users", "create-demo"): [],
        ("audit", "verify"): [],
        ("serve",): [["--port", "abc"], ["--workers", "x"]],
        ("kinship", "lr"): [[missing], [str(bad_json)], [str(bad_csv)]],
        ("dvi", "solve"): [[missing], [str(bad_json)], [str(bad_csv)]],
        ("demo",): [["--fixtures", str(empty), "--no-migrate"], ["--fixtures", missing]],
        ("registry", "import"): [[str(bad_csv)], [missing]],
        ("registry", "import-graves"): [["--cemetery", "999", str(bad_csv)],
                                        ["--cemetery", "x", missing]],
        ("registry", "search"): [[]],  # an empty query is a valid search (0 found)
        ("kits", "register"): [["0"], ["x"]],
        ("kits", "show"): [["NOPE"], ["KIT-2025-000123-64"]],
        ("kits", "verify-custody"): [],
        ("search", "run"): [["--frequencies", "nope"], ["--family", "999"],
                            ["--theta", "0.1"], ["--mutation-rate", "2"],
                            ["--genotypes", str(bad_csv)], ["--prior", "7"]],
        ("search", "resume"): [["--genotypes", str(bad_csv)], ["--genotypes", missing]],
        ("search", "status"): [["999"], ["x"]],
        ("search", "remains-pairs"): [["--genotypes", str(bad_csv)], ["--frequencies", "nope"],
                                      ["--min-log10", "x"]],
        ("import", "profiles"): [[str(bad_csv), "--lab", "X"], [missing, "--lab", "X"],
                                 [str(bad_csv), "--lab", "X", "--commit",
                                  "--frequency-table", "nope"]],
        ("import", "frequencies"): [[str(bad_csv), "--population", "x"], [str(bad_csv)],
                                    [missing, "--population", "x"]],
        ("import", "frequency-tables"): [],
        ("import", "haplotypes"): [[str(bad_csv), "--marker", "mtDNA", "--population", "x"],
                                   [str(bad_csv), "--marker", "nope", "--population", "x"]],
    }


def _check(args: list[str], env: dict[str, str]) -> None:
    res = CliRunner().invoke(main, args, env=env, input="", catch_exceptions=True)
    text = res.output + (res.stderr if hasattr(res, "stderr") and res.stderr_bytes else "")
    assert res.exit_code != 0, (args, text)
    assert res.exception is None or isinstance(res.exception, SystemExit), (args, res.exception)
    assert "Traceback" not in text, (args, text)
    assert text.strip(), args  # a message, not silence


def test_every_command_refuses_bad_input_without_a_traceback(database_url, tmp_path, backend):
    if backend != "sqlite":
        pytest.skip("the messages do not depend on the database backend")
    env = {"DATABASE_URL": database_url, "DNACASE_SECRET_KEY": TEST_SECRET,
           "DNACASE_VAR_DIR": str(tmp_path / "var"), "DNACASE_DEBUG": ""}
    calls = _bad_calls(tmp_path)
    assert set(calls) == _leaves(main)  # a new command must be listed here
    for path, variants in calls.items():
        for extra in variants:
            _check([*path, *extra], env)
    # the same commands on a database that was never migrated
    unmigrated = {**env, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'empty.sqlite3'}"}
    for path in (("users", "list"), ("users", "create-demo"), ("audit", "verify"),
                 ("registry", "search"), ("kits", "verify-custody"), ("search", "status"),
                 ("search", "run"), ("import", "frequency-tables")):
        _check([*path, *(["x"] if path == ("registry", "search") else [])], unmigrated)
    _check(["db", "current"], {**env, "DATABASE_URL": "nosuch+driver:///x"})
    # a bad secret is refused by every command that reads the settings
    _check(["users", "list"], {**env, "DNACASE_SECRET_KEY": "short"})


def test_an_unexpected_error_is_one_line(monkeypatch, tmp_path):
    """Whatever escapes a command (here a bug simulated in a service) prints one 'error' line
    naming the exception type, exit status 1; DNACASE_DEBUG=1 shows the traceback."""
    import dnacase.cli.kinship as kin

    def boom(*_a, **_k):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(kin, "load_cases", boom)
    case = tmp_path / "c.json"
    case.write_text("{}")
    res = CliRunner().invoke(main, ["kinship", "lr", str(case)], env={"DNACASE_DEBUG": ""})
    assert res.exit_code == 1 and "error (RuntimeError): simulated bug" in res.output
    assert "Traceback" not in res.output
    res = CliRunner().invoke(main, ["kinship", "lr", str(case)], env={"DNACASE_DEBUG": "1"})
    assert isinstance(res.exception, RuntimeError)


def test_an_imported_table_is_searched_from_the_cli(database_url, tmp_path, backend):
    """Issue 12: 'dnacase import frequencies FILE --id kinh_test' then 'dnacase search run
    --frequencies kinh_test' works (its LRs: tests/services/test_evidence_model.py)."""
    if backend != "sqlite":
        pytest.skip("the commands do not depend on the database backend")
    env = {"DATABASE_URL": database_url, "DNACASE_SECRET_KEY": TEST_SECRET,
           "DNACASE_VAR_DIR": str(tmp_path / "var")}
    table = tmp_path / "kinh.csv"
    table.write_text("# population=Kinh (synthetic), N=300\nlocus,allele,frequency\n"
                     "TH01,6,0.2\nTH01,7,0.3\nTH01,9,0.3\nTH01,9.3,0.2\n")
    runner = CliRunner()
    res = runner.invoke(main, ["import", "frequencies", str(table), "--id", "kinh_test",
                               "--population", "Kinh (synthetic)"], env=env)
    assert res.exit_code == 0, res.output
    res = runner.invoke(main, ["search", "run", "--frequencies", "kinh_test"], env=env)
    assert res.exit_code == 0 and "Traceback" not in res.output, res.output
    assert "search run 1: done" in res.output
