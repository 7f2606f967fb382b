"""Delphi index weights and the composite score (seed 003).

Each indicator n is scored 1-4 by a panel; ``counts[a-1]`` experts gave score a. Its weight is
the mean score :math:`w_n = \\sum_a A_a B_a / \\sum_a B_a`, normalised so the weights sum to 1;
a hospital's composite index is :math:`y = \\sum_n w_n x_n` over its indicator values.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

SCORES = np.arange(1, 5, dtype=float)


def delphi_weights(counts: ArrayLike) -> np.ndarray:
    """Normalised weights from an (indicators x 4) table of expert counts per score 1..4."""
    table = np.atleast_2d(np.asarray(counts, dtype=float))
    if table.shape[1] != 4:
        raise ValueError(f"expected 4 columns (experts giving scores 1..4), found {table.shape[1]}")
    if (table < 0).any() or (table.sum(axis=1) == 0).any():
        raise ValueError("expert counts must be >= 0 with at least one expert per indicator")
    raw = table @ SCORES / table.sum(axis=1)
    return raw / raw.sum()


def mean_scores(counts: ArrayLike) -> np.ndarray:
    """The unnormalised :math:`w_n` (mean score of each indicator)."""
    table = np.atleast_2d(np.asarray(counts, dtype=float))
    return table @ SCORES / table.sum(axis=1)


def composite(weights: ArrayLike, values: ArrayLike) -> np.ndarray:
    """:math:`y = \\sum_n w_n x_n` for each row of ``values`` (items x indicators)."""
    return np.asarray(values, dtype=float) @ np.asarray(weights, dtype=float)
