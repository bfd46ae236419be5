"""SQLModel tables. :func:`load_all_models` imports every table module so that
``SQLModel.metadata`` is complete (Alembic autogenerate, the schema-drift test).

Other areas add their table modules to ``MODEL_MODULES`` (one line each).
"""

from __future__ import annotations

import importlib

from sqlmodel import SQLModel

MODEL_MODULES: tuple[str, ...] = (
    "dnacase.models.users",
    "dnacase.models.audit",
    "dnacase.models.registry",
    "dnacase.models.families",
    "dnacase.models.kits",
    "dnacase.models.custody",
    "dnacase.models.search",
    "dnacase.models.review",
    "dnacase.models.profiles",
    "dnacase.models.lineage",
    "dnacase.models.reassociation",
)


def load_all_models() -> type[SQLModel]:
    """Import every module in ``MODEL_MODULES``; return ``SQLModel`` (metadata complete)."""
    for name in MODEL_MODULES:
        importlib.import_module(name)
    return SQLModel
