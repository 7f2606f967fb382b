"""Fixtures shared by every test: where the repo and the shipped instances are."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg", force=True)

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo_dir() -> Path:
    return REPO


@pytest.fixture(scope="session")
def instances_dir() -> Path:
    return REPO / "instances"


@pytest.fixture(scope="session")
def pmed_dir() -> Path:
    """The shipped OR-Library p-median files (instances/orlib/pmed)."""
    return REPO / "instances" / "orlib" / "pmed"
