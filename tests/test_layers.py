"""Layer arrows, checked in fresh interpreters: ``kinship`` is a pure numpy library and ``formats``
does not reach up into services, models, the database or the web layer."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

FORBIDDEN = {
    "dnacase.kinship": [
        "litestar",
        "sqlalchemy",
        "sqlmodel",
        "jinja2",
        "allel",
        "dnacase.web",
        "dnacase.services",
        "dnacase.models",
        "dnacase.formats",
        "dnacase.db",
    ],
    "dnacase.formats": [
        "litestar",
        "dnacase.web",
        "dnacase.services",
        "dnacase.models",
        "dnacase.db",
    ],
}

_PROBE = """
import importlib, json, pkgutil, sys
root = sys.argv[1]
pkg = importlib.import_module(root)
for info in pkgutil.walk_packages(pkg.__path__, root + "."):
    importlib.import_module(info.name)
print(json.dumps(sorted(sys.modules)))
"""


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_nothing_forbidden(package: str) -> None:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, package], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    bad = sorted(m for m in loaded for f in FORBIDDEN[package] if m == f or m.startswith(f + "."))
    assert not bad, f"{package} (with all its submodules) imports {bad}"


def test_probe_detects_a_violation() -> None:
    """The check itself works: the web layer does load litestar."""
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, "dnacase.web"], capture_output=True, text=True, check=True
    )
    assert "litestar" in json.loads(out.stdout.strip().splitlines()[-1])
