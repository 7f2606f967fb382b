"""The pairwise Gini at population-grid size."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.mark.parametrize("n", [2, 7, 300, 3000])
def test_sorted_pairwise_gini_equals_the_dense_sum(monkeypatch, n):
    """A million demand cells take the sorted form of the pairwise Gini (the dense one needs
    n^2 numbers); both give the same value on the same data, ties and zeros included."""
    import importlib

    gini = importlib.import_module("optmodels.analysis.gini")
    rng = np.random.default_rng(n)
    amount = rng.integers(0, 5, n).astype(float)  # many ties and zeros
    population = rng.integers(1, 9, n).astype(float)
    dense = gini.gini_pairwise(amount, population)
    monkeypatch.setattr(gini, "PAIRWISE_DENSE_UP_TO", 0)
    assert gini.gini_pairwise(amount, population) == pytest.approx(dense, rel=1e-12, abs=1e-15)
