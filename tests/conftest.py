"""Fixtures shared by every test: where the repo and the shipped instances are."""

from __future__ import annotations

import importlib.util
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


@pytest.fixture(scope="session")
def momkp(instances_dir):
    """The multi-objective knapsack model builder shipped beside its instances (instances/momkp)."""
    spec = importlib.util.spec_from_file_location("momkp_model", instances_dir / "momkp" / "momkp_model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
