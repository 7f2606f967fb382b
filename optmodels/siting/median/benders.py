r"""Benders decomposition of the radius formulation, on candidate lists: the p-median at scale.

Why
---
The radius formulation (:mod:`optmodels.siting.median.radius`) has one row and one column per
radius of each point: 161,000 of each at 20,000 x 2,000 even after the Lagrangian reduction, and
HiGHS's root LP alone took 85 s there (57,000 dual simplex iterations). Projecting each point's
radius chain onto the site variables leaves one variable per point, ``theta_i`` (its distance),
and *cuts*; only the few cuts that bind are ever needed (Duran-Mateluna, Alès and Elloumi 2023,
"An efficient Benders decomposition for the p-median problem", EJOR 308). Same LP bound, a
fraction of the size: 42,000 cuts at 20,000 x 2,000, the LP bound in 14 s.

Master
------
::

    min  sum_i w_i theta_i
    s.t. theta_i + sum_{j listed, d_ij < D} (D - d_ij) y_j >= D     for the cuts (i, D) found
         sum_{j free} y_j = p - |fixed-open|,   theta_i >= D_i^0,   y binary

``D`` is one of ``i``'s levels: a listed distance or its tail ``T_i``
(:mod:`~optmodels.siting.median.candidates`). **Every cut is valid for every plan**: with the
plan's nearest server of ``i`` at ``d*``, if ``d* < D`` the cut's right side is at most
``D - (D - d*) = d*``; if ``d* >= D`` it is at most ``D``. Where the tail is exact, the cuts at all
levels together *are* the point's cost (the cut at the level of the plan's nearest server is
tight), so the master with every cut is the p-median. With an inexact tail, the levels stop at
the floor and the master is a relaxation for a plan that opens none of ``i``'s listed sites;
such points are found at each integer solution and their lists extended.

Separation (:func:`separate`) is exact and linear in the listed pairs: for a point ``i`` and
values ``y``, the most violated cut maximises ``D - sum_{d_ij < D} (D - d_ij) y_j`` over ``i``'s
levels -- a concave piecewise-linear function of ``D`` whose maximum is at a level -- so one
prefix sum over each list gives every level's value at once.

The loop (:class:`Master`)
--------------------------
HiGHS has no lazy-constraint callback (highspy 1.16 lists ``cbMipDefineLazyConstraints``; the
MIP solver does not call it), so the cuts are added between solves of one live ``Highs``:

1. **LP phase**: the cuts at the incumbent plan's levels, then solve the LP, separate, add the
   violated cuts, re-solve (dual simplex from the previous basis) until none is violated: the LP
   bound of the radius formulation. 20,000 x 2,000: 7 rounds, 42,600 cuts, 14 s.
2. **Prune and fix**: the MIP re-solves its root LP from scratch (no basis is passed to it), so
   the cuts slack at the LP optimum are dropped (42,600 -> 34,000; the MIP root is 3-5x faster),
   and sites whose LP reduced cost proves them closed in every plan within the incumbent's cost
   are fixed closed (reduced-cost fixing, the LP's exact form of :func:`~.lagrangian.reduce`).
3. **MIP rounds**: solve the master as a MIP from the incumbent (a complete start: ``y`` and
   every ``theta``), separate at its plan; if a point is violated, add its cut (and, if its
   inexact tail was used, extend its list) and solve again. Each round's dual bound is valid (the
   master is a relaxation). Stop when the plan violates nothing -- the master's value is then
   the plan's true cost, and HiGHS's gap is the proof. Keeping only the cuts with a nonzero dual
   (15,500) made the root 10x faster still but took 10 rounds instead of 3.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import highspy
import numpy as np

_INF = highspy.kHighsInf


@dataclass(frozen=True)
class Cuts:
    """Cuts ``theta_i + sum (D - d_ij) y_j >= D`` as HiGHS row arrays (columns: ``y`` first)."""

    clients: np.ndarray
    level: np.ndarray
    start: np.ndarray
    index: np.ndarray
    value: np.ndarray

    def __len__(self) -> int:
        return len(self.clients)


def list_costs(cand, is_open: np.ndarray) -> np.ndarray:
    """Each point's cost on its lists for an open set (``min(nearest listed open, T_i)``)."""
    hit = is_open[cand.site]
    pos = np.flatnonzero(hit)
    pt = cand.point[pos]
    out = cand.tail.copy()
    first = np.unique(pt, return_index=True)[1]
    out[pt[first]] = np.minimum(out[pt[first]], cand.cost[pos[first]])
    return out


def separate(cand, y: np.ndarray, theta: np.ndarray, tol: float = 1e-7) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The most violated cut of each point: ``(points violated, their level D, the cut's value)``.

    ``y`` is indexed by site (``m``); fixed-open sites are not in the lists (they are the tails).
    ``value[i] = max_D (D - sum_{d_ij < D} (D - d_ij) y_j)`` over the listed distances and the
    tail: the LP value of ``i``'s radius chain at ``y`` (exactly ``i``'s cost at an integer ``y``).
    """
    ys = y[cand.site]
    d = cand.cost
    counts = cand.counts
    starts = cand.indptr[:-1]

    def before(x: np.ndarray) -> np.ndarray:  # the sum over the earlier pairs of the same row
        run = np.concatenate([[0.0], np.cumsum(x)])
        return run[:-1] - np.repeat(run[starts], counts)

    # pairs tied with the level contribute (D - d) y = 0, so "earlier in the row" is "d < D"
    rhs = d - (d * before(ys) - before(ys * d))
    n = cand.n
    total = np.bincount(cand.point, weights=ys, minlength=n)
    total_d = np.bincount(cand.point, weights=ys * d, minlength=n)
    T = cand.tail
    with np.errstate(invalid="ignore"):
        value = np.where(np.isfinite(T), T - (T * total - total_d), -np.inf)
    level = T.copy()
    if cand.nnz:
        # the best listed level of each row: sort by (point, -rhs) and take each row's first
        order = np.lexsort((-rhs, cand.point))
        first = order[np.r_[True, cand.point[order][1:] != cand.point[order][:-1]]]
        pts = cand.point[first]
        better = rhs[first] > value[pts]
        value[pts[better]] = rhs[first][better]
        level[pts[better]] = d[first][better]
    violated = np.flatnonzero(value - theta > tol * np.maximum(1.0, np.abs(value)))
    return violated, level[violated], value


def make_cuts(cand, col: np.ndarray, ny: int, clients: np.ndarray, level: np.ndarray) -> Cuts:
    """The rows of the cuts ``(clients[k], level[k])`` (sites with ``col < 0`` are left out:
    closed, so their ``y`` is 0)."""
    rows, owner = cand.rows_of(clients)
    D = level[owner]
    keep = (cand.cost[rows] < D) & (col[cand.site[rows]] >= 0)
    rows, owner = rows[keep], owner[keep]
    coef = level[owner] - cand.cost[rows]
    per = np.bincount(owner, minlength=len(clients)) + 1  # + theta
    start = np.concatenate([[0], np.cumsum(per)[:-1]]).astype(np.int32)
    index = np.empty(int(per.sum()), dtype=np.int32)
    value = np.empty(int(per.sum()))
    index[start], value[start] = ny + clients, 1.0
    slot = np.ones(len(index), dtype=bool)
    slot[start] = False
    index[slot], value[slot] = col[cand.site[rows]], coef  # rows are grouped by owner already
    return Cuts(clients=clients, level=level, start=start, index=index, value=value)


class Master:
    """The Benders master on one live ``highspy.Highs`` (see the module docstring).

    Columns: ``y`` of the free sites not closed (``col`` maps a site to its column, ``-1``
    otherwise), then ``theta`` of every point. ``opened`` sites have ``y`` fixed at 1.
    """

    def __init__(self, cand, w: np.ndarray, p: int, closed: np.ndarray, opened: np.ndarray) -> None:
        from solvers import new_highs

        self.cand, self.w = cand, w
        m, n = cand.m, cand.n
        usable = np.flatnonzero(~cand.fixed & ~closed)
        self.sites = usable
        self.col = np.full(m, -1, dtype=np.int64)
        self.col[usable] = np.arange(len(usable))
        self.ny = ny = len(usable)
        self.q = p - int(cand.fixed.sum())
        first = np.where(cand.counts > 0, cand.cost[np.minimum(cand.indptr[:-1], max(cand.nnz - 1, 0))], cand.tail)
        lp = highspy.HighsLp()
        lp.num_col_ = ny + n
        lp.col_cost_ = np.r_[np.zeros(ny), w]
        lp.col_lower_ = np.r_[np.where(opened[usable], 1.0, 0.0), np.where(np.isfinite(first), first, 0.0)]
        lp.col_upper_ = np.r_[np.ones(ny), np.full(n, _INF)]
        lp.num_row_ = 1
        lp.row_lower_, lp.row_upper_ = np.array([float(self.q)]), np.array([float(self.q)])
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = np.r_[np.arange(ny + 1), np.full(n, ny)].astype(np.int32)
        lp.a_matrix_.index_ = np.zeros(ny, dtype=np.int32)
        lp.a_matrix_.value_ = np.ones(ny)
        self.highs = new_highs()
        self.highs.passModel(lp)
        self.cuts = 0

    def y_of(self, plan: np.ndarray) -> np.ndarray:
        return plan[self.sites].astype(float)

    def values(self, plan: np.ndarray) -> np.ndarray:
        """The complete point of a plan: ``y`` and each ``theta_i`` at its list cost."""
        return np.r_[self.y_of(plan), list_costs(self.cand, plan)]

    def site_values(self, x: np.ndarray) -> np.ndarray:
        """``y`` per site (``m``) from the master's column values."""
        y = np.zeros(self.cand.m)
        y[self.sites] = x[: self.ny]
        return y

    def add(self, highs, clients: np.ndarray, level: np.ndarray) -> int:
        """Add the cuts ``(clients, level)`` to ``highs``; returns how many."""
        if len(clients) == 0:
            return 0
        c = make_cuts(self.cand, self.col, self.ny, clients, level)
        highs.addRows(len(c), c.level, np.full(len(c), _INF), len(c.index), c.start, c.index, c.value)
        self.cuts += len(c)
        return len(c)

    def violated(self, x: np.ndarray, integral: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        y = self.site_values(x)
        if integral:
            y = np.round(y)
        return separate(self.cand, y, x[self.ny :])

    def lp_phase(self, plan: np.ndarray, seconds: float, stop=None) -> LpPhase:
        """Cuts at ``plan``'s levels, then separate and re-solve to the LP bound (or ``seconds``
        of wall time). ``stop()`` (optional) asks to end early."""
        t0 = time.perf_counter()
        h = self.highs
        y = np.zeros(self.cand.m)
        y[plan] = 1.0
        pts, level, _ = separate(self.cand, y, np.full(self.cand.n, -np.inf))
        self.add(h, pts, level)
        self._plan_basis(h, plan)
        rounds, bound = 0, -math.inf
        while True:
            h.setOptionValue("time_limit", max(seconds - (time.perf_counter() - t0), 1e-3))
            h.run()
            if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                return LpPhase(bound=bound, rounds=rounds, optimal=False, x=None)
            rounds += 1
            x = np.asarray(h.getSolution().col_value, dtype=float)
            pts, level, _ = self.violated(x)
            if len(pts) == 0:
                bound = float(h.getInfo().objective_function_value)
                return LpPhase(bound=bound, rounds=rounds, optimal=True, x=x)
            if time.perf_counter() - t0 > seconds or (stop is not None and stop()):
                return LpPhase(bound=bound, rounds=rounds, optimal=False, x=x)
            self.add(h, pts, level)

    def _plan_basis(self, h, plan: np.ndarray) -> None:
        """The plan as a starting basis: each point's cut (one per point, at the plan's level)
        tight with ``theta_i`` basic, ``y`` at the plan's bounds. Primal feasible; from HiGHS's
        slack basis instead the first LP at 100,000 x 5,000 had not finished in 330 s (from this
        one: 20 s, 11,000 iterations)."""
        nr, nc = h.getNumRow(), h.getNumCol()
        basis = highspy.HighsBasis()
        cols = np.full(nc, highspy.HighsBasisStatus.kLower, dtype=object)
        cols[np.flatnonzero(plan[self.sites])] = highspy.HighsBasisStatus.kUpper
        cols[self.ny :] = highspy.HighsBasisStatus.kBasic
        rows = np.full(nr, highspy.HighsBasisStatus.kLower, dtype=object)
        rows[0] = highspy.HighsBasisStatus.kBasic  # the count row's slack (fixed at 0)
        basis.col_status, basis.row_status = list(cols), list(rows)
        basis.valid = True
        h.setBasis(basis)

    def prune_and_fix(self, bound: float, upper: float) -> int:
        """After the LP phase: drop the cuts slack at the LP optimum and fix closed the sites
        whose reduced cost proves every plan that opens them costs more than ``upper``.
        Returns the number of sites fixed."""
        h = self.highs
        sol = h.getSolution()
        lp = h.getLp()
        act = np.asarray(sol.row_value)
        low = np.asarray(lp.row_lower_)
        tight = np.abs(act - low) <= 1e-7 * np.maximum(1.0, np.abs(low))
        tight[0] = True  # the count row
        drop = np.flatnonzero(~tight).astype(np.int32)
        if len(drop):
            h.deleteRows(len(drop), drop)
        rc = np.asarray(sol.col_dual)[: self.ny]
        y = np.asarray(sol.col_value)[: self.ny]
        limit = upper + 1e-9 * max(abs(upper), 1.0)
        fix = (y < 0.5) & (bound + rc > limit)
        cols = np.flatnonzero(fix).astype(np.int32)
        if len(cols):
            h.changeColsBounds(len(cols), cols, np.zeros(len(cols)), np.zeros(len(cols)))
        return len(cols)

    def mip_model(self) -> highspy.HighsLp:
        """The current master (its cuts and bounds) with ``y`` integer."""
        lp = self.highs.getLp()
        lp.integrality_ = [highspy.HighsVarType.kInteger] * self.ny + [highspy.HighsVarType.kContinuous] * self.cand.n
        return lp


@dataclass(frozen=True)
class LpPhase:
    bound: float
    rounds: int
    optimal: bool
    x: np.ndarray | None
