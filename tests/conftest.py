"""Fixtures shared by every test: where the repo, the shipped instances and ../shared are."""

from __future__ import annotations

import os
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
def shared_dir() -> Path:
    """``../shared`` beside the checkout (CI puts it there); tests needing it skip without it."""
    path = Path(os.environ.get("OPTMODELS_SHARED", REPO.parent / "shared")).resolve()
    if not path.is_dir():
        pytest.skip(f"shared data not found at {path}")
    return path
