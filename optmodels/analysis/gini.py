r"""The population-weighted Gini coefficient of an amount per capita, three ways.

Groups (regions, demand areas) ``a`` hold an ``amount`` (equipment sets, accessibility times
population ...) and a ``population``. With population shares :math:`Y_a` and amount shares
:math:`P_a`:

pairwise (exact, no sorting; the form the equipment MILP linearises)
    :math:`G = \sum_{a<b} |P_a Y_b - P_b Y_a|`
    (equivalently :math:`\sum_{a<b} |s_a Y_b - s_b Y_a| / T` with :math:`T = \sum s`).
trapezoid (the Lorenz curve of grouped data; seed 003's formula with its typo fixed)
    groups sorted by amount per capita, :math:`V_a` the cumulative amount share:
    :math:`G = 1 + \sum_a Y_a P_a - 2 \sum_a Y_a V_a` -- the seed prints the last sum to
    :math:`m-1`, dropping the term with :math:`V_m = 1`.
polynomial Lorenz fit (the seed's "fitting curve method")
    least-squares polynomial :math:`L(x)` through the Lorenz points, :math:`G = 1 - 2\int_0^1 L`.
    An approximation: it agrees with the exact forms to the accuracy of the fit.

The first two are identical for any data; tests check all three against each other and a
hand-computed case.

All amounts zero (e.g. a year with no equipment anywhere): the shares :math:`P_a = s_a/T` are
undefined, and the Gini is defined as **0** -- nothing is shared, equally. It is the limit of
the pairwise form as every :math:`s_a \to 0` at equal per-capita rates, the value the equipment
MILP gives such a year (its :math:`\sum|d| = 0`) and the value its evaluator and the pymoo
problem use, so that one plan gets one Gini everywhere. In the equipment band such a year
counts as Gini 0: it fails a yearly lower side above 0 and pulls a mean-mode mean down.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

#: The seed's reading of a Gini value (He et al. 2012, as quoted by seed 003): the income-
#: inequality bands used there for the distribution of equipment per capita. A verbal label,
#: not a threshold of the model (the model's own band is the instance's ``gini.lo``/``gini.hi``).
BANDS: tuple[tuple[float, str], ...] = (
    (0.3, "best (< 0.3)"),
    (0.4, "normal (0.3-0.4)"),
    (0.6, "alarming (0.4-0.6)"),
    (np.inf, "perilous (> 0.6)"),
)


def _shares(amount: ArrayLike, population: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Amount shares P and population shares Y; P is all zero when every amount is zero."""
    s = np.asarray(amount, dtype=float)
    p = np.asarray(population, dtype=float)
    if s.shape != p.shape or s.ndim != 1:
        raise ValueError(f"amount and population must be 1-D of one length, got {s.shape} and {p.shape}")
    if (p <= 0).any():
        raise ValueError("populations must be > 0")
    if (s < 0).any():
        raise ValueError("amounts must be >= 0")
    total = s.sum()
    y = p / p.sum()
    share = s / total if total > 0 else np.zeros_like(s)
    return share, y


#: groups up to which the pairwise sum is formed as an n x n array (beyond: sorted, O(n log n))
PAIRWISE_DENSE_UP_TO = 4096


def gini_pairwise(amount: ArrayLike, population: ArrayLike) -> float:
    """Exact population-weighted Gini, :math:`\\sum_{a<b}|P_a Y_b - P_b Y_a|` (vectorised).

    Up to :data:`PAIRWISE_DENSE_UP_TO` groups the pairs are formed as an array; beyond (a
    million demand cells would need 8 TB) the same sum is taken sorted: with per-capita shares
    :math:`r = P / Y` ascending, :math:`|P_a Y_b - P_b Y_a| = Y_a Y_b (r_b - r_a)`, so the sum is
    :math:`\\sum_b P_b C_b - Y_b Q_b` with :math:`C, Q` the cumulative :math:`Y` and :math:`P`
    of the groups before :math:`b`.
    """
    share, y = _shares(amount, population)
    if len(share) > PAIRWISE_DENSE_UP_TO:
        order = np.argsort(share / y, kind="stable")
        p_s, y_s = share[order], y[order]
        before_y = np.cumsum(y_s) - y_s
        before_p = np.cumsum(p_s) - p_s
        return float(np.sum(p_s * before_y - y_s * before_p))
    # diff[a, b] = |P_a Y_b - P_b Y_a|; keep each unordered pair once (upper triangle).
    diff = np.abs(share[:, None] * y[None, :] - share[None, :] * y[:, None])
    return float(np.triu(diff, 1).sum())


def gini_trapezoid(amount: ArrayLike, population: ArrayLike) -> float:
    """Exact Gini by the trapezoid rule on the Lorenz curve (groups sorted per capita)."""
    share, y = _shares(amount, population)
    if not share.any():
        return 0.0  # all amounts zero: defined as 0 (module docstring)
    order = np.argsort(share / y, kind="stable")
    share, y = share[order], y[order]
    v = np.cumsum(share)
    return float(1.0 + np.sum(y * share) - 2.0 * np.sum(y * v))


def lorenz_curve(amount: ArrayLike, population: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Lorenz points ``(X, V)`` from (0, 0) to (1, 1): cumulative population and amount shares.

    All amounts zero: the line of equality (``V = X``), whose Gini is the defined 0.
    """
    share, y = _shares(amount, population)
    if not share.any():
        share = y
    order = np.argsort(share / y, kind="stable")
    x = np.concatenate([[0.0], np.cumsum(y[order])])
    v = np.concatenate([[0.0], np.cumsum(share[order])])
    return x, v


def gini_lorenz_fit(amount: ArrayLike, population: ArrayLike, degree: int = 3) -> float:
    """The seed's polynomial-fit Gini: fit :math:`L(x)` to the Lorenz points, ``1 - 2∫L``.

    The degree is capped at (number of points - 1) so the fit is determined.
    """
    x, v = lorenz_curve(amount, population)
    deg = int(min(degree, len(x) - 1))
    coeffs = np.polyfit(x, v, deg)
    area = np.polyval(np.polyint(coeffs), 1.0) - np.polyval(np.polyint(coeffs), 0.0)
    return float(1.0 - 2.0 * area)


def gini(amount: ArrayLike, population: ArrayLike, method: str = "pairwise") -> float:
    """Population-weighted Gini by ``method`` in {pairwise, trapezoid, fit}."""
    if method == "pairwise":
        return gini_pairwise(amount, population)
    if method == "trapezoid":
        return gini_trapezoid(amount, population)
    if method == "fit":
        return gini_lorenz_fit(amount, population)
    raise ValueError(f"unknown Gini method {method!r}; expected pairwise, trapezoid or fit")


def gini_band(value: float) -> str:
    """The seed's verbal band for a Gini value."""
    for upper, label in BANDS:
        if value < upper:
            return label
    return BANDS[-1][1]


def bands_note() -> str:
    """One line that says where the verbal bands come from (printed wherever a band is)."""
    parts = []
    lower = 0.0
    for upper, label in BANDS:
        name = label.split(" (")[0]
        parts.append(f"{name} < {upper:g}" if lower == 0.0 else
                     (f"{name} {lower:g}-{upper:g}" if np.isfinite(upper) else f"{name} > {lower:g}"))
        lower = upper
    return ("Gini bands (He et al. 2012, as quoted by the seed; a reading of inequality, not the "
            "model's band): " + ", ".join(parts))
