"""Random multi-objective knapsacks and their fronts by vectorised enumeration of all 2^n packings."""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo


def maximal(F: np.ndarray) -> np.ndarray:
    """The non-dominated rows of ``F`` (maximisation, duplicates once), independently of solvers.pareto.

    Repeatedly take the remaining point with the largest sum (no remaining point can dominate
    it, and no removed point either: whatever removed a dominator would dominate it too) and
    drop every point it weakly dominates: one vectorised pass per front point.
    """
    F = np.unique(np.asarray(F, dtype=float), axis=0)
    front = []
    while len(F):
        best = F[np.argmax(F.sum(axis=1))]
        front.append(best)
        F = F[~np.all(F <= best, axis=1)]
    return np.array(front)


def all_packings(n: int) -> np.ndarray:
    """Every 0/1 vector of length ``n`` as rows of a ``(2^n, n)`` uint8 array (bits of 0..2^n-1)."""
    codes = np.arange(2**n, dtype=np.int64)
    return ((codes[:, None] >> np.arange(n)) & 1).astype(np.uint8)


def random_knapsack(seed: int, n: int, p: int, m: int = 2, scale: float = 1.0):
    """``(model, c, front)``: max c[k].x (k < p) s.t. a.x <= b (m rows), x binary.

    Objective 1 is multiplied by ``scale`` (a non-integer objective when scale is not 1). The
    front is the non-dominated set of the objective vectors of every feasible packing.
    """
    rng = np.random.default_rng(seed)
    a = rng.integers(5, 40, size=(m, n))
    b = a.sum(axis=1) // 2
    c = rng.integers(1, 40, size=(p, n)).astype(float)
    c[0] *= scale
    model = pyo.ConcreteModel()
    model.x = pyo.Var(range(n), domain=pyo.Binary)
    model.capacity = pyo.Constraint(
        range(m), rule=lambda mm, j: sum(int(a[j, i]) * mm.x[i] for i in range(n)) <= int(b[j])
    )
    model.obj = pyo.ObjectiveList()
    for k in range(p):
        model.obj.add(expr=sum(float(c[k, i]) * model.x[i] for i in range(n)), sense=pyo.maximize)
    model.obj.deactivate()
    X = all_packings(n)
    feasible = np.all(X @ a.T <= b, axis=1)
    F = X[feasible] @ c.T
    return model, c, maximal(F)


def as_set(points: np.ndarray, decimals: int = 6) -> set[tuple[float, ...]]:
    return {tuple(float(v) for v in row) for row in np.round(np.asarray(points, dtype=float), decimals)}
