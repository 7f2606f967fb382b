r"""A lower bound on the cover number above the LP's: regions solved exactly, the rows that
straddle them priced by the LP's duals (a Lagrangian decomposition).

Why
---
Near the optimum radius the decision's reduced cover (1,000-1,100 rows, 800 sites on the 30k
province) has an LP optimum just below ``k`` (99.7 against ``k = 100``), and a *no* there is a
HiGHS branch-and-bound that does not close in its slice. The integrality gap is spread over the
map; a region of a few radii holds a part of it that a small exact MILP sees.

Bound (:func:`region_bound`)
----------------------------
The free columns are split into regions ``G_1 .. G_t`` (:func:`regions`). A row is *internal*
when all its columns lie in one region, else it *straddles*. For multipliers ``u_i >= 0`` on the
straddling rows and any cover ``y``::

    sum_j y_j  >=  sum_j y_j + sum_{i straddling} u_i (1 - sum_{j in N_i} y_j)
               =   sum_i u_i + sum_g sum_{j in G_g} (1 - sum_{i straddling, i ~ j} u_i) y_j
               >=  sum_i u_i + sum_g z_g(u)

where ``z_g(u)`` is the least reduced cost of a set of region ``g``'s columns covering its
internal rows -- a small weighted set-covering MILP per region (HiGHS). ``u = 0`` is the sum of
the regions' cover numbers with the straddling rows dropped; ``u`` = the LP's row duals keeps
the LP's value and adds what the regions' integrality gaps add. If the right-hand side exceeds
``k``, no cover has ``k`` sites: the answer is *no*.

Exact arithmetic: the multipliers are rounded down to multiples of ``1 / SCALE``
(``U_i = floor(SCALE u_i)``), so the column costs ``SCALE - sum U_i`` and every ``SCALE z_g``
are integers; a region's MILP dual bound (a valid bound also when HiGHS stops at its time limit)
is rounded up to an integer after half a unit is taken off: HiGHS's bound carries its
tolerances, absolute errors that grow with the objective (``SCALE`` times the sites, ~10^6), and
half a unit of ``1 / SCALE`` site absorbs them where a fixed thousandth might not, at a cost of
at most one unit. The bound holds for any multipliers and any partition: rounding and the choice
of regions only weaken it.

Regions (:func:`regions`): breadth-first clusters of the column graph (two columns adjacent
when a row holds both), about ``size`` columns each, grown from seeds in a random order -- a
partition of the row-site graph that needs no coordinates; several sizes and seeds are tried
(the best bound is what counts; the first above ``k`` ends the search). Measured on a cover at
r = 7.776 on the 30k province (1,073 rows, 814 sites, ``k = 100``, LP 99.73, left open by a 5-s
MILP): clusters of 90-200 columns give 100.0-100.9 in 0.3-5 CPU-s.
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp

from solvers import new_highs
from solvers.interrupt import StopOnSigint

#: multipliers are multiples of 1 / SCALE: the column costs and region optima are integers (the
#: rounding loses at most (straddling rows) / SCALE sites: 0.01 for 600 rows)
SCALE = 1 << 16
#: the regions are tried only when the LP bound is within this many sites of k: the regions
#: lifted the LP by 0.3-2.1 sites on the 30k province's covers near the optimum radius
REACH = 3.0
#: region sizes, in columns, as fractions of the cover's columns (about 9, 6, 4, 3 and 2
#: regions), tried in this order: the small ones take a fraction of a second and settle the
#: covers whose LP is within a site of k; halves took 10-13 CPU-s and settled one 1.7 sites
#: below it (the 30k province at r = 7.834: 100.12, where HiGHS alone stood at 99 after 78 CPU-s)
FRACTIONS = (1 / 9, 1 / 6, 1 / 4, 1 / 3, 1 / 2)
#: seeds tried per size
SEEDS = 3

_INF = highspy.kHighsInf


@dataclass(frozen=True)
class RegionBound:
    """``lp``: the LP optimum of the cover; ``value``: the best bound on the cover number met
    (``sum U + sum z`` over ``SCALE``; 0 when no partition was tried); ``proven``: it exceeds
    ``k`` (the decision's answer is *no*); ``tried``: partitions solved."""

    lp: float
    value: float
    proven: bool
    tried: int


def _highs(A: sp.csr_matrix, cost: np.ndarray, integer: bool, seconds: float | None) -> highspy.Highs:
    """``min cost y, A y >= 1, 0 <= y <= 1`` (integer ``y`` if asked) on a quiet HiGHS, run;
    ``KeyboardInterrupt`` when a stop signal ended the run (the search keeps its plan). HiGHS's
    thread count is left alone: a run that sets it restarts the calling thread's pool
    when another count was asked before (:func:`solvers.highs._fit_thread_pool`)."""
    n, m = A.shape
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = m, n
    lp.col_cost_ = np.asarray(cost, dtype=float)
    lp.col_lower_, lp.col_upper_ = np.zeros(m), np.ones(m)
    lp.row_lower_, lp.row_upper_ = np.ones(n), np.full(n, _INF)
    C = A.tocsc()
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_ = C.indptr, C.indices
    lp.a_matrix_.value_ = np.ones(C.nnz)
    if integer:
        lp.integrality_ = [highspy.HighsVarType.kInteger] * m
    h = new_highs()
    if seconds is not None:
        h.setOptionValue("time_limit", max(float(seconds), 1e-3))
    h.passModel(lp)
    with StopOnSigint(h) as stop:  # a stop signal ends the run at HiGHS's next check, not at its end
        h.run()
    if stop.requested:
        raise KeyboardInterrupt
    return h


def lp_bound(A: sp.csr_matrix) -> tuple[float, np.ndarray]:
    """The LP optimum of covering every row of ``A`` with the fewest columns, and its row duals
    (``>= 0``; zeros when HiGHS did not reach an optimum)."""
    if A.shape[0] == 0:
        return 0.0, np.zeros(0)
    h = _highs(A, np.ones(A.shape[1]), False, None)
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return 0.0, np.zeros(A.shape[0])
    return float(h.getInfo().objective_function_value), np.maximum(np.asarray(h.getSolution().row_dual), 0.0)


def regions(A: sp.csr_matrix, size: int, seed: int) -> np.ndarray:
    """A region label per column: breadth-first clusters of about ``size`` columns over the
    column graph, seeds taken in a random order (``seed``)."""
    m = A.shape[1]
    graph = (A.T @ A).tocsr()
    label = np.full(m, -1, dtype=np.int64)
    group = 0
    for s in np.random.default_rng(seed).permutation(m):
        if label[s] >= 0:
            continue
        label[s], count, queue = group, 1, deque([s])
        while queue and count < size:
            v = queue.popleft()
            for w in graph.indices[graph.indptr[v] : graph.indptr[v + 1]]:
                if label[w] < 0 and count < size:
                    label[w], count = group, count + 1
                    queue.append(w)
        group += 1
    return label


def decomposed(A: sp.csr_matrix, label: np.ndarray, duals: np.ndarray, seconds: float) -> int | None:
    """``SCALE`` times the Lagrangian bound of the module docstring for the partition ``label``
    and multipliers ``duals`` (on the straddling rows; the internal rows' are not used), an
    integer; None when a region's MILP gave no bound (time out before its root, or an error)."""
    A = A.tocsr()
    n = A.shape[0]
    if n == 0:
        return 0
    lengths = np.diff(A.indptr)
    row_label = label[A.indices]
    first = row_label[A.indptr[:-1]]
    internal = ~np.logical_or.reduceat(row_label != np.repeat(first, lengths), A.indptr[:-1])
    U = np.where(internal, 0, np.floor(SCALE * np.asarray(duals, dtype=float))).astype(np.int64)
    cost = SCALE - np.asarray(A.T @ U).ravel().astype(np.int64)
    total = int(U.sum())
    deadline = time.perf_counter() + seconds
    for g in np.unique(label):
        cols = np.flatnonzero(label == g)
        rows = np.flatnonzero(internal & (first == g))
        sub = A[rows][:, cols].tocsc()
        used = sub.getnnz(axis=0) > 0
        free = cost[cols[~used]]
        total += int(free[free < 0].sum())  # a column covering no internal row opens iff it pays
        if rows.size == 0:
            continue
        left = deadline - time.perf_counter()
        if left <= 0:
            return None
        h = _highs(sub[:, used].tocsr(), cost[cols[used]], True, left)
        status = h.getModelStatus()
        if status not in (highspy.HighsModelStatus.kOptimal, highspy.HighsModelStatus.kTimeLimit):
            return None
        dual = float(h.getInfo().mip_dual_bound)
        if not math.isfinite(dual):
            return None
        total += math.ceil(dual - 0.5)  # the optimum is an integer; see the module docstring
    return total


def region_bound(A: sp.csr_matrix, k: int, seconds: float, *, seed: int = 0) -> RegionBound:
    """The best bound of :func:`decomposed` over a few partitions (:data:`FRACTIONS` x
    :data:`SEEDS`), the LP's duals as multipliers; it stops at the first above ``k`` or when
    ``seconds`` (wall) are spent. Tried only when the LP is within :data:`REACH` of ``k``."""
    t0 = time.perf_counter()
    if (A.getnnz(axis=1) == 0).any():  # a row no column covers: no cover at all
        return RegionBound(math.inf, math.inf, True, 0)
    lp, duals = lp_bound(A)
    best, tried = 0.0, 0
    if A.shape[0] == 0 or lp <= k - REACH:
        return RegionBound(lp, best, False, tried)
    m = A.shape[1]
    for fraction in FRACTIONS:  # the larger regions -- stronger, slower -- when time is left
        for s in range(SEEDS):
            left = seconds - (time.perf_counter() - t0)
            if left <= 0:
                return RegionBound(lp, best, False, tried)
            total = decomposed(A, regions(A, max(1, round(fraction * m)), seed + s), duals, left)
            if total is None:
                continue
            tried += 1
            best = max(best, total / SCALE)
            if total > SCALE * k:  # sum y >= total / SCALE > k for every cover: no cover has k sites
                return RegionBound(lp, best, True, tried)
    return RegionBound(lp, best, False, tried)
