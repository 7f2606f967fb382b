r"""A cheap feasible plan built in numpy, for when every solver stage runs out of time.

Used by :func:`optmodels.equipment.solve.solve_instance` as the incumbent of last resort (and as
a MIP start): a time limit then returns a plan the numpy evaluator accepts, with its gap to the
best bound proven, instead of nothing. It is a greedy construction, not an optimiser:

1. **stability**: the latest schedule that meets every hospital's stable count -- backwards,
   :math:`a_{k,n} = need_{k,n}`, :math:`a_{kj} = \max(need_{kj}, a_{k,j+1} - 1)` (one set a year
   at most, so a jump of two must start a year early).
2. **coverage**: year by year, while a region's capacity is below its demand, add a set at its
   largest-capacity hospital with no addition that year (or an earlier one).
3. **cost**: add, one at a time, the set whose purchase and running cost are outweighed by
   the waiting cost it saves (exact Erlang-C differences), while the budget allows.
4. **Gini band**: while the plan is outside the band, add the one set (region, year, cheapest
   hospital) that most reduces the band violation per unit price: sets added to the
   best-equipped regions per capita raise the Gini, to the worst-equipped lower it.

It gives up (returns ``None``) rather than return a plan the evaluator rejects: when no single
addition reduces the violation, or a budget, a yearly budget or ``max_new_per_year`` would be
broken.
"""

from __future__ import annotations

import numpy as np

from optmodels.analysis.queueing import mmc
from optmodels.equipment.evaluate import evaluate
from optmodels.equipment.instance import EquipmentData, EquipmentInstance

__all__ = ["feasible_plan"]


def feasible_plan(instance: EquipmentInstance, *, max_steps: int | None = None) -> np.ndarray | None:
    """A (K, n) 0/1 plan that the evaluator accepts, or ``None`` if the greedy finds none.

    Two orders are tried: cost savings first, then the band (cheaper when the budget leaves room
    for both), else the band first and then only the savings that keep the plan feasible.
    """
    d = instance.data
    K, n = d.n_hospitals, d.n_years
    need = d.required_additions()
    adds = need.copy()
    for j in range(n - 2, -1, -1):
        adds[:, j] = np.maximum(adds[:, j], adds[:, j + 1] - 1)
    if (adds[:, 0] > 1).any():
        return None  # the validator rejects such instances; kept for safety
    base = np.diff(np.concatenate([np.zeros((K, 1)), adds], axis=1), axis=1)
    if not _cover_demand(d, base):
        return None
    steps = max_steps if max_steps is not None else K * n
    x = base.copy()
    _improve_cost(d, x)
    if _repair_band(instance, x, steps):
        return x
    x = base.copy()
    if _repair_band(instance, x, steps):
        _improve_cost(d, x, keep_feasible=instance)
        return x
    return None


def _repair_band(instance: EquipmentInstance, x: np.ndarray, steps: int) -> bool:
    d = instance.data
    for _ in range(steps):
        ev = evaluate(instance, x)
        if ev.feasible:
            return True
        if set(ev.violations) - {"gini_mean_lower", "gini_mean_upper", "gini_lower", "gini_upper"}:
            return False
        if not _band_step(d, x, ev.region_sets, ev.purchases):
            return False
    return evaluate(instance, x).feasible


def _cover_demand(d: EquipmentData, x: np.ndarray) -> bool:
    members = [np.flatnonzero(d.region_of == i) for i in range(d.n_regions)]
    for j in range(d.n_years):
        for i, ks in enumerate(members):
            while True:
                c = d.e0[ks] + x[ks, : j + 1].sum(axis=1)
                gap = d.demand[i, j] - float(d.cap[ks] @ c)
                if gap <= 1e-9:
                    break
                placed = False
                for jj in range(j, -1, -1):  # this year, else the latest earlier year with room
                    free = ks[x[ks, jj] == 0]
                    if free.size:
                        k = free[np.lexsort((d.price[free, jj], -d.cap[free]))[0]]
                        x[k, jj] = 1.0
                        placed = True
                        break
                if not placed:
                    return False
    return True


def _improve_cost(d: EquipmentData, x: np.ndarray, keep_feasible: EquipmentInstance | None = None) -> None:
    """Add cost-saving sets, best first; with ``keep_feasible``, only those that keep the plan
    accepted by the evaluator (the others are skipped for good)."""
    n = d.n_years
    H = d.hours
    tail = n - np.arange(n)  # years a set added in year j runs
    blocked = np.zeros(x.shape, dtype=bool)
    spent = float((d.price * x).sum())

    def gain(rows: np.ndarray) -> np.ndarray:
        """Cost change of one more set at hospital rows[r] from year j on (K_rows, n)."""
        c = d.e0[rows, None] + np.cumsum(x[rows], axis=1)
        L0 = mmc(d.lam[rows], d.mu[rows, None], c).l
        L1 = mmc(d.lam[rows], d.mu[rows, None], c + 1).l
        saving = np.where(np.isfinite(L0), L0 - L1, 0.0)
        later = np.cumsum(saving[:, ::-1], axis=1)[:, ::-1]  # sum over years j' >= j
        return d.price[rows] + d.h * H * tail[None, :] - d.b * H * later

    delta = gain(np.arange(d.n_hospitals))
    while True:
        ok = (x == 0) & ~blocked & (spent + d.price <= d.budget + 1e-9)
        if d.yearly_budget is not None:
            room = d.yearly_budget - (d.price * x).sum(axis=0)
            ok &= d.price <= room[None, :] + 1e-9
        if d.max_new_per_year is not None:
            ok &= x.sum(axis=0)[None, :] < d.max_new_per_year
        masked = np.where(ok, delta, np.inf)
        k, j = np.unravel_index(np.argmin(masked), masked.shape)
        if not masked[k, j] < -1e-12:
            return
        x[k, j] = 1.0
        if keep_feasible is not None and not evaluate(keep_feasible, x).feasible:
            x[k, j] = 0.0
            blocked[k, j] = True
            continue
        spent += float(d.price[k, j])
        delta[k] = gain(np.array([k]))[0]


def _violation(d: EquipmentData, gini: np.ndarray) -> np.ndarray:
    """Band violation of Gini rows ``gini[..., j]`` (0 inside the band)."""
    lo = d.gini_lo if d.gini_lo is not None else 0.0
    if d.gini_mode == "each_year":
        return (np.maximum(lo - gini, 0) + np.maximum(gini - d.gini_hi, 0)).sum(axis=-1)
    mean = gini.mean(axis=-1)
    return np.maximum(lo - mean, 0) + np.maximum(mean - d.gini_hi, 0)


def _gini_years(s: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Gini per year of region sets ``s[..., m, n]`` (0 for an all-zero year)."""
    diff = np.abs(s[..., :, None, :] * Y[None, :, :] - s[..., None, :, :] * Y[:, None, :])
    T = s.sum(axis=-2)
    return np.where(T > 0, diff.sum(axis=(-3, -2)) / 2.0 / np.where(T > 0, T, 1.0), 0.0)


def _band_step(d: EquipmentData, x: np.ndarray, s: np.ndarray, purchases: np.ndarray) -> bool:
    """Add the set that most reduces the band violation per unit price; False if none helps."""
    m, n = d.n_regions, d.n_years
    Y = d.shares
    now = _violation(d, _gini_years(s, Y))
    # candidate (i, j0): one more set in region i from year j0 on -> s[i, j0:] += 1
    bump = np.zeros((m, n, m, n))
    for i in range(m):
        for j0 in range(n):
            bump[i, j0, i, j0:] = 1.0
    after = _violation(d, _gini_years(s[None, None] + bump, Y))  # (m, n)
    spent = float(purchases.sum())
    best, choice = 0.0, None
    for i in range(m):
        ks = np.flatnonzero(d.region_of == i)
        for j0 in range(n):
            if after[i, j0] >= now - 1e-12:
                continue
            free = ks[x[ks, j0] == 0]
            if not free.size:
                continue
            k = free[np.argmin(d.price[free, j0])]
            price = float(d.price[k, j0])
            if spent + price > d.budget + 1e-9:
                continue
            if d.yearly_budget is not None and purchases[j0] + price > d.yearly_budget[j0] + 1e-9:
                continue
            if d.max_new_per_year is not None and x[:, j0].sum() + 1 > d.max_new_per_year:
                continue
            score = (now - after[i, j0]) / price
            if score > best:
                best, choice = score, (k, j0)
    if choice is None:
        return False
    x[choice] = 1.0
    return True
