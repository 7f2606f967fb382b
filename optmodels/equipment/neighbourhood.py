r"""Better incumbents by sub-MILPs of the full model that are restrictions of it: two neighbourhoods.

1. :func:`search`, **neighbouring orderings**: only the signs of pairs of regions close in the
   incumbent's per-capita ordering are free.
2. :func:`blocks`, **region blocks**: only the additions of the hospitals of a few regions are
   free; every other hospital keeps the incumbent's additions.

Orderings
---------

With the Gini band's lower side binding, the full model's sign binaries :math:`z_{abj}` (the
sign of :math:`d_{abj} = s_{aj}Y_{bj} - s_{bj}Y_{aj}`, i.e. whether region a has at least b's
sets per capita in year j) are what HiGHS cannot search at scale. Around an incumbent most of
those signs are not in question: two regions far apart in the year's per-capita ordering stay in
that order under any small change of the plan. The **neighbourhood** of width w of an incumbent
keeps :math:`z_{abj}` free only for pairs at most w places apart in year j's ordering of the
incumbent's per-capita values, and fixes every other free sign to the incumbent's.

Why it is exact
---------------
Fixing binaries only removes plans: with :math:`z_{abj}` fixed to a sign :math:`\sigma`, the big-M
rows force :math:`t_{abj} = \sigma d_{abj}`, so that pair's term is the linear
:math:`\sigma d \le |d|`; every plan the sub-MILP accepts is a plan of the full model
(a **restriction**, like the ordered model of the lazy strategy's step 2, which is the width-0
neighbourhood). The incumbent itself satisfies the fixings (they are its own signs), so it is a
feasible start and the sub-MILP's answer is never worse. Each accepted plan is re-checked by the
numpy evaluator (:func:`optmodels.equipment.evaluate.evaluate`), and only a plan it accepts with a
lower objective replaces the incumbent. The search supplies incumbents only: no bound is taken
from it (a restriction's bound is not a bound of the full model).

The search: solve the width-w neighbourhood from the incumbent; a cheaper plan is accepted and
its own neighbourhood searched next; a neighbourhood proven to hold nothing better is widened
(w + 1); a neighbourhood that runs out of its time without a better plan ends the search, as does
the time given. All sub-MILPs share one compiled model: only the bounds of the z columns change.
A stop signal ends either search at once with the best plan so far (:mod:`solvers.interrupt`).

Region blocks
-------------
The ordering neighbourhood lets every region's totals move but few orderings change; at provincial
scale its sub-MILPs still carry every hospital, and once the cheap reorderings are taken it stalls
(31 x 300 x 5: one better plan, then out of time). The complementary neighbourhood keeps few
hospitals free and every ordering: a **block** B of regions whose hospitals' additions
:math:`x_{jk}` (k in B) are free, all other additions fixed to the incumbent's. The totals of the
regions outside B are then constants, so the signs of pairs with both regions outside B are
constants too and are fixed to the incumbent's (the true ones); the pairs that touch B stay free.
What is left is a small MILP (B's hospitals, B's pairs) that HiGHS often solves to optimality in
seconds: it moves sets between B's regions and years, and B against the rest of the ordering,
which is how the lower side is met more cheaply -- the band needs dispersion, and a block that
holds a region above the mean and one below can make it where it costs least.

It is exact for the same reason as the orderings: fixing columns to the incumbent's values only
removes plans, the incumbent satisfies the fixings, every plan returned is re-checked by the
evaluator and kept only if cheaper, and no bound is taken from it.

Blocks are drawn by a seeded generator (the search is reproducible): each round is a random
permutation of the regions cut into blocks of ``size``, so every region is free once a round. A
round's worth of blocks in a row without a better plan ends the search (when each was solved to
optimality the incumbent is optimal over every block, and only larger moves can improve it; when
they ran out of time, the full model's own search is the better use of it), as does the time
given.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np
import pyomo.environ as pyo

from optmodels.equipment.evaluate import evaluate
from optmodels.equipment.formulation import order_signs, plan_from_model, start_from_plan
from optmodels.equipment.instance import EquipmentData, EquipmentInstance
from solvers import SolveOptions, Termination, Timings
from solvers.interrupt import check, until_interrupted

__all__ = ["NeighbourhoodResult", "block_size", "blocks", "near_pairs", "search"]


@dataclass
class NeighbourhoodResult:
    plan: np.ndarray
    value: float  # the evaluator's objective of ``plan``
    start_value: float
    solves: int = 0
    accepted: int = 0
    width: int = 0  # the last width searched
    seconds: float = 0.0
    values: list[float] = field(default_factory=list)  # every accepted value, in order
    timings: list[Timings] = field(default_factory=list)  # one per sub-MILP

    @property
    def improved(self) -> bool:
        return self.value < self.start_value


def near_pairs(d: EquipmentData, region_sets: np.ndarray, width: int) -> np.ndarray:
    """Boolean (pairs in ``combinations`` order x years): True where the two regions are at most
    ``width`` places apart in that year's ordering by sets per capita (``region_sets / shares``;
    ties in index order)."""
    pairs = list(combinations(range(d.n_regions), 2))
    a = np.array([p[0] for p in pairs], dtype=int)
    b = np.array([p[1] for p in pairs], dtype=int)
    per_capita = region_sets / np.maximum(d.shares, 1e-300)
    rank = np.argsort(np.argsort(per_capita, axis=0, kind="stable"), axis=0, kind="stable")
    return np.abs(rank[a] - rank[b]) <= width


def _z_columns(model: pyo.ConcreteModel, compiled: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(pair rows, years, HiGHS columns)`` of every sign binary the model leaves free."""
    d: EquipmentData = model.data
    out = [(r, j, compiled.column_of(model.z[a, b, j]))
           for r, (a, b) in enumerate(combinations(range(d.n_regions), 2)) for j in range(d.n_years)
           if not model.z[a, b, j].fixed]
    rows, years, cols = (np.array(v, dtype=int) for v in zip(*out, strict=True)) if out else (np.zeros(0, int),) * 3
    return rows, years, cols


def restrict(compiled: Any, columns, plan_sets: np.ndarray, d: EquipmentData, width: int | None) -> int:
    """Fix the free sign columns of ``compiled`` outside the width-``width`` neighbourhood of the
    plan with region totals ``plan_sets`` to that plan's signs (``width=None``: free them all).
    Returns how many are left free."""
    rows, years, cols = columns
    lower, upper = np.zeros(len(cols)), np.ones(len(cols))
    if width is not None:
        fix = ~near_pairs(d, plan_sets, width)[rows, years]
        sign = (order_signs(d, plan_sets)[rows, years] > 0).astype(float)
        lower[fix] = upper[fix] = sign[fix]
    compiled.set_columns_bounds(cols, lower, upper)
    return int((lower < upper).sum())


def search(
    instance: EquipmentInstance,
    objective: str,
    model: pyo.ConcreteModel,
    compiled: Any,
    start: np.ndarray,
    *,
    seconds: float,
    options: SolveOptions | None = None,
    width: int = 1,
    max_width: int | None = None,
    step_seconds: float | None = None,
) -> NeighbourhoodResult:
    """Improve the evaluator-feasible plan ``start`` by neighbourhood sub-MILPs of the full model
    ``model`` (``build(gini="full")``, with sign binaries) held in ``compiled`` (its
    :class:`solvers.StandardFormModel`), for at most ``seconds`` of wall clock. Each sub-MILP
    gets at most ``step_seconds`` (default: the time left); widths grow up to ``max_width``
    (default: until the neighbourhood is the full model). ``compiled`` is left with every sign
    free and ``model`` holding the returned plan."""
    t0 = time.perf_counter()
    d: EquipmentData = model.data
    best, best_sets = _begin(instance, objective, start, "neighbourhood search")
    best.width = width
    columns = _z_columns(model, compiled) if hasattr(model, "z") else (np.zeros(0, int),) * 3
    base = options or SolveOptions()
    with until_interrupted():  # a stop signal: the best plan so far is the answer
        while len(columns[2]):
            check()
            left = seconds - (time.perf_counter() - t0)
            if left < 0.5:
                break
            free = restrict(compiled, columns, best_sets, d, width)
            if free == len(columns[2]):
                break  # the neighbourhood is the full model: not a restriction any more
            limit = left if step_seconds is None else min(left, step_seconds)
            result, better = _step(instance, objective, model, compiled, best, limit, base)
            if better:
                best_sets = evaluate(instance, best.plan).region_sets
                continue
            if result.termination is Termination.OPTIMAL:
                if max_width is not None and width >= max_width:
                    break
                width += 1  # nothing better here: look further
                best.width = width
            else:
                break  # out of this step's time without a better plan
    if len(columns[2]):
        restrict(compiled, columns, best_sets, d, None)
    start_from_plan(model, best.plan)
    best.seconds = time.perf_counter() - t0
    return best


def _begin(instance, objective, start, search: str) -> tuple[NeighbourhoodResult, np.ndarray]:
    """The result a search starts from (``start`` itself) and its region totals; a start the
    evaluator rejects is an error, not a plan to improve."""
    ev = evaluate(instance, start)
    if not ev.feasible:
        raise ValueError(f"the {search} needs a start the evaluator accepts")
    value = ev.objective(objective)
    return NeighbourhoodResult(plan=np.asarray(start, dtype=float), value=value, start_value=value), ev.region_sets


def _step(instance, objective, model, compiled, best: NeighbourhoodResult, limit: float, base: SolveOptions):
    """Run the restricted ``compiled`` model from ``best.plan`` for at most ``limit`` seconds; a
    cheaper plan the evaluator accepts becomes ``best``. Returns (the run's result, whether it did)."""
    start_from_plan(model, best.plan)
    result = compiled.run(SolveOptions(time_limit=max(limit, 0.5), mip_rel_gap=base.mip_rel_gap,
                                       threads=base.threads, seed=base.seed, solver_options=base.solver_options),
                          handoff_seconds=0.0, warm_start=True)
    best.solves += 1
    best.timings.append(result.timings)
    if result.has_solution:
        plan = plan_from_model(model)
        cand = evaluate(instance, plan)
        if cand.feasible and cand.objective(objective) < best.value - 1e-9:
            best.plan, best.value = plan, cand.objective(objective)
            best.accepted += 1
            best.values.append(best.value)
            return result, True
    return result, False


def block_size(n_regions: int) -> int:
    """Regions per block: a quarter of them, between 2 and 4. Four regions of 31 free about 40
    hospitals of 300 and 100 of 465 pair signs a year, sub-MILPs HiGHS mostly solves in 1-15 s
    (measured at 31 x 300 x 5); of 8 regions two, so that a block is not half the model; always
    fewer than all of them (a block of every region is the full model)."""
    return int(max(1, min(4, n_regions - 1, max(2, n_regions // 4))))


def blocks(
    instance: EquipmentInstance,
    objective: str,
    model: pyo.ConcreteModel,
    compiled: Any,
    start: np.ndarray,
    *,
    seconds: float,
    options: SolveOptions | None = None,
    size: int | None = None,
    step_seconds: float | None = None,
    seed: int = 0,
) -> NeighbourhoodResult:
    """Improve the evaluator-feasible plan ``start`` by region-block sub-MILPs of the full model
    ``model`` held in ``compiled`` (see the module docstring), for at most ``seconds`` of wall
    clock, each at most ``step_seconds``. ``size`` regions per block (default
    :func:`block_size`); ``seed`` draws the blocks. ``compiled`` is handed back with its
    additions and signs free again and ``model`` holding the returned plan."""
    t0 = time.perf_counter()
    d: EquipmentData = model.data
    best, _ = _begin(instance, objective, start, "block search")
    base = options or SolveOptions()
    m = d.n_regions
    if m < 2:
        return best  # one region: a block of it is the full model
    size = block_size(m) if size is None else int(size)
    if not 1 <= size < m:
        raise ValueError(f"a block holds 1 to {m - 1} of the {m} regions, found size {size}")
    xs = [(compiled.column_of(var), k, j, var.lb, var.ub) for (_i, j, k), var in model.x.items() if not var.fixed]
    x_cols, x_k, x_j = (np.array([v[t] for v in xs], dtype=int) for t in range(3))
    x_lb, x_ub = (np.array([v[t] for v in xs], dtype=float) for t in (3, 4))
    x_region = d.region_of[x_k]
    z_rows, z_years, z_cols = _z_columns(model, compiled) if hasattr(model, "z") else (np.zeros(0, int),) * 3
    pairs = np.array(list(combinations(range(m), 2)), dtype=int).reshape(-1, 2)
    z_a, z_b = pairs[z_rows, 0], pairs[z_rows, 1]
    rng = np.random.default_rng(seed)
    idle = 0  # blocks in a row without a better plan
    done = False
    with until_interrupted():  # a stop signal: the best plan so far is the answer
        while not done:
            order = rng.permutation(m)
            for first in range(0, m, size):
                check()
                block = order[first:first + size]
                if len(block) < size:  # the round's remainder joins regions drawn from the rest
                    block = np.concatenate([block, order[:size - len(block)]])
                left = seconds - (time.perf_counter() - t0)
                if left < 0.5:
                    done = True
                    break
                free = np.isin(x_region, block)
                compiled.set_columns_bounds(x_cols, np.where(free, x_lb, best.plan[x_k, x_j]),
                                            np.where(free, x_ub, best.plan[x_k, x_j]))
                signs = (order_signs(d, evaluate(instance, best.plan).region_sets) > 0).astype(float)
                keep = np.isin(z_a, block) | np.isin(z_b, block)
                sign = signs[z_rows, z_years]
                compiled.set_columns_bounds(z_cols, np.where(keep, 0.0, sign), np.where(keep, 1.0, sign))
                limit = left if step_seconds is None else min(left, step_seconds)
                _, better = _step(instance, objective, model, compiled, best, limit, base)
                idle = 0 if better else idle + 1
                if idle >= -(-m // size):  # a round's worth of blocks in a row without a better plan
                    done = True
                    break
    compiled.set_columns_bounds(x_cols, x_lb, x_ub)
    compiled.set_columns_bounds(z_cols, np.zeros(len(z_cols)), np.ones(len(z_cols)))
    start_from_plan(model, best.plan)
    best.seconds = time.perf_counter() - t0
    return best
