r"""What a sweep's coverage solves share: the state that does not depend on the swept field.

A sweep over ``p`` (or the radius) solves the same demand, sites and costs again and again. Of
a coverage solve's steps (:mod:`~optmodels.siting.coverage.solve`) these do not depend on ``p``:

==============================  ===============================================================
travel costs                    the :class:`~optmodels.siting.data.costs.TravelCosts` (dense
                                matrix, KD-tree, pairs), read by the groups, the repair of a
                                carried plan and the evaluator: shared between instances whose
                                demand, sites and distance are equal (:func:`share_costs`)
cover groups                    points merged by cover set within the radius
fixed sites                     the free sites and each group's count of fixed open sites
reductions                      the groups the fixed sites leave, restricted to the free sites
                                and merged again; the dominated sites (MCLP without a budget:
                                cost zero, so ``R(j) \subseteq R(k)`` alone decides -- valid for
                                every ``p``; when ``p`` exceeds the undominated sites the MCLP
                                re-opens some per solve, from the stored reduction)
==============================  ===============================================================

:class:`CoverageState` holds them for **one** instance content at a time (memory stays that of
one solve): its key is the instance's whole document except ``name``, ``description`` and
``parameters.p``, so a changed radius, population, cost, budget, site, model or access setting
starts a new state and nothing stale is ever served. What the last solve learned is kept beside
it: the rows of the MCLP's last LP bound (a row set is a relaxation whatever it holds, so any
start is exact; the row generation adds what the new ``p`` needs).
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: the parameters a state's key leaves out (the field a p sweep moves)
SWEPT = frozenset({"p"})


def content(instance: Any, *, leave_out: frozenset[str] = SWEPT) -> dict:
    """The instance's document without its labels and the parameters in ``leave_out``. The
    demand and site records stay :class:`~optmodels.siting.data.points.Records`, compared by
    their columns (a dump of 20,000 records into dicts and their comparison took 0.6 s)."""
    doc = instance.model_dump(exclude={"name", "description", "source", "parameters", "demand", "sites"})
    doc["parameters"] = instance.parameters.model_dump(exclude=set(leave_out))
    doc["demand"], doc["sites"] = instance.demand, instance.sites
    return doc


def same(x: Any, y: Any) -> bool:
    """Equality of two dumped documents that may hold numpy arrays (tables read into arrays)."""
    if isinstance(x, dict) and isinstance(y, dict):
        return x.keys() == y.keys() and all(same(x[k], y[k]) for k in x)
    if isinstance(x, (list, tuple)) and isinstance(y, (list, tuple)):
        return len(x) == len(y) and all(same(a, b) for a, b in zip(x, y, strict=True))
    if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
        return isinstance(x, np.ndarray) and isinstance(y, np.ndarray) and np.array_equal(x, y)
    return bool(x == y)


class CoverageState:
    """The p-independent pieces of the last instance solved (module docstring); one at a time.

    ``get(instance)`` is the store for ``instance`` -- a dict the strategy fills with its
    pieces by name -- emptied first when ``instance`` differs from the last one in anything but
    ``p``. ``hits`` / ``misses`` count how often a solve found its pieces (read by tests and the
    benchmark)."""

    def __init__(self) -> None:
        self.key: dict | None = None
        self.store: dict[str, Any] = {}
        self.hits = 0
        self.misses = 0

    def get(self, instance: Any) -> dict[str, Any]:
        key = content(instance)
        if self.key is not None and same(self.key, key):
            self.hits += 1
        else:
            self.key, self.store = key, {}
            self.misses += 1
        return self.store


#: cached views of an instance that depend only on its demand, sites and distance (and, for
#: ``_cutoff_cost``, the cut-off, which :func:`share_costs` compares too); ``_access_before``
#: (the accessibility of today's sites) and ``_access_demand`` (the catchments' demands) hold
#: their measure's parameters (the catchment may be the radius) and are used only where equal
#: (:func:`~optmodels.siting.evaluate.accessibility_report`)
_SHARED_VIEWS = ("arrays", "_cutoff_cost", "_nearest", "is_large", "_access_before", "_access_demand")


def share_costs(instance: Any, donor: Any) -> bool:
    """Give ``instance`` the travel costs (and their cached views) ``donor`` computed, when the
    two differ only in ``p`` and the radius: the costs are a function of the demand, the sites,
    the distance and the cut-off alone, so sharing them is exact and saves the dense matrix, the
    KD-tree and the pairs a scenario would build again. Returns whether it shared."""
    if donor is None or donor is instance:
        return False
    if not same(content(instance, leave_out=frozenset({"p", "radius"})),
                content(donor, leave_out=frozenset({"p", "radius"}))):
        return False
    object.__setattr__(instance, "_costs", donor.costs)  # frozen model; the same object it would build
    for name in _SHARED_VIEWS:
        if name in donor.__dict__:
            instance.__dict__[name] = donor.__dict__[name]
    return True
