"""Multi-objective multidimensional 0/1 knapsack (MOMKP) as a plain Pyomo builder.

An example of a *user model* for ``optmodels pareto --model``: any Python file with a function
that returns a Pyomo model with several objectives (here an ``ObjectiveList``, as pyaugmecon's
test models do) gets the weighted-sum, exact epsilon-constraint and NSGA-II fronts::

    optmodels pareto --model instances/momkp/momkp_model.py:build_2kp50 --method epsilon

Model (data from pyaugmecon, MIT; fronts in ``<name>/pareto_sols.csv``)::

    max  c[k] . x            for every objective k   (obj[1], obj[2], ...)
    s.t. a[j] . x <= b[j]    for every constraint j  (capacity[j])
         x in {0, 1}^n

=========  ==================================================
``I``      items
``x[i]``   1 if item i is packed
``c``      profit of each item per objective (c.csv)
``a``      weight of each item per constraint (a.csv)
``b``      capacity per constraint (b.csv)
=========  ==================================================
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyomo.environ as pyo

HERE = Path(__file__).resolve().parent


def read(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(a, b, c)`` of a shipped instance (CSV with header row and index column)."""
    folder = HERE / name
    a = pd.read_csv(folder / "a.csv", index_col=0).to_numpy(dtype=float)
    b = pd.read_csv(folder / "b.csv", index_col=0).to_numpy(dtype=float)[:, 0]
    c = pd.read_csv(folder / "c.csv", index_col=0).to_numpy(dtype=float)
    return a, b, c


def build(name: str = "2kp50") -> pyo.ConcreteModel:
    """The MOMKP instance ``name`` (``2kp50``, ``2kp100``, ``3kp40``) with all objectives deactivated."""
    a, b, c = read(name)
    model = pyo.ConcreteModel(name=f"momkp_{name}")
    model.I = pyo.RangeSet(0, a.shape[1] - 1, doc="items")
    model.x = pyo.Var(model.I, domain=pyo.Binary, doc="1 if item i is packed")
    items = list(model.I)
    model.capacity = pyo.Constraint(
        range(len(b)),
        rule=lambda m, j: pyo.quicksum(a[j, i] * m.x[i] for i in items) <= b[j],
        doc="knapsack capacity per constraint",
    )
    model.obj = pyo.ObjectiveList(doc="profit per objective (maximised)")
    for k in range(c.shape[0]):
        model.obj.add(
            expr=pyo.quicksum(c[k, i] * model.x[i] for i in items),
            sense=pyo.maximize,
        )
    model.obj.deactivate()
    return model


def build_2kp50() -> pyo.ConcreteModel:
    return build("2kp50")


def build_2kp100() -> pyo.ConcreteModel:
    return build("2kp100")


def build_3kp40() -> pyo.ConcreteModel:
    return build("3kp40")


def reference_front(name: str) -> np.ndarray:
    """The complete non-dominated set shipped with the instance."""
    return pd.read_csv(HERE / name / "pareto_sols.csv", index_col=0).to_numpy(dtype=float)
