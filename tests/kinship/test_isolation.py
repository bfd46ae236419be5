"""dnacase.kinship imports nothing from the web/database layers or other dnacase packages."""

from __future__ import annotations

import json
import subprocess
import sys

FORBIDDEN = (
    "litestar",
    "sqlalchemy",
    "sqlmodel",
    "jinja2",
    "allel",
    "asyncpg",
    "aiosqlite",
    "alembic",
)


def test_kinship_imports_only_itself():
    code = (
        "import sys, json, importlib, pkgutil; import dnacase.kinship as k\n"
        "for m in pkgutil.walk_packages(k.__path__, 'dnacase.kinship.'):\n"
        "    importlib.import_module(m.name)\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    mods = json.loads(out.stdout)
    bad = [m for m in mods if m.split(".")[0] in FORBIDDEN]
    assert not bad, bad
    other = [m for m in mods if m.startswith("dnacase.") and not m.startswith("dnacase.kinship")]
    assert not other, other
