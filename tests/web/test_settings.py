"""Settings come from the environment in one place; the app factory opens nothing by itself."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from dnacase.settings import DEFAULT_DATABASE_URL, Settings


def test_defaults_and_generated_secret(tmp_path: Path) -> None:
    env = {"DNACASE_VAR_DIR": str(tmp_path / "var")}
    s = Settings.from_env(env)
    assert s.database_url == DEFAULT_DATABASE_URL
    assert s.default_locale == "vi" and s.environment == "production" and s.cookie_secure
    secret_file = tmp_path / "var" / "secret_key"
    assert secret_file.read_text().strip() == s.secret_key and len(s.secret_key) >= 32
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert Settings.from_env(env).secret_key == s.secret_key  # kept, not regenerated


def test_environment_overrides(tmp_path: Path) -> None:
    env = {
        "DATABASE_URL": "postgresql+asyncpg://u@db:5432/x",
        "DNACASE_ENV": "development",
        "DNACASE_SECRET_KEY": "s" * 40,
        "DNACASE_DEFAULT_LOCALE": "en",
        "DNACASE_LOGIN_MAX_FAILURES": "3",
    }
    s = Settings.from_env(env)
    assert (s.database_url, s.environment, s.default_locale) == (
        env["DATABASE_URL"],
        "development",
        "en",
    )
    assert not s.cookie_secure and s.login_max_failures == 3 and not s.is_sqlite
    assert Settings.from_env({**env, "DNACASE_COOKIE_SECURE": "1"}).cookie_secure


@pytest.mark.parametrize(
    "env",
    [
        {"DNACASE_ENV": "staging"},
        {"DNACASE_DEFAULT_LOCALE": "fr"},
        {"DNACASE_COOKIE_SECURE": "maybe"},
        {"DNACASE_SECRET_KEY": "short"},
    ],
)
def test_bad_settings_are_refused(env: dict[str, str], tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        Settings.from_env({"DNACASE_VAR_DIR": str(tmp_path), **env})


def test_no_environment_or_database_at_import_or_construction(tmp_path: Path) -> None:
    """Importing the app and building it with an unreachable database opens no connection."""
    code = (
        "from dnacase.settings import Settings\n"
        "from dnacase.web.app import create_app\n"
        "app = create_app(Settings(database_url='postgresql+asyncpg://nobody@192.0.2.1:1/x',"
        " secret_key='k' * 40))\n"
        "print(len(app.routes) > 10)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "DNACASE_"))}
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "True"
    assert not (tmp_path / "var").exists() and not (tmp_path / "dnacase.sqlite3").exists()
