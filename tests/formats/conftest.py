"""Shared fixtures for the format parser tests (synthetic VN17 example files)."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent.parent / "data" / "formats"


def read(name: str) -> bytes:
    return (DATA / name).read_bytes()


@pytest.fixture(scope="session")
def gm_bytes() -> bytes:
    return read("genemapper_idx_genotypes_table_globalfiler.txt")
