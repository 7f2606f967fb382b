"""What the p-center methods read of an instance's travel costs, with the cut-off applied.

Three questions, asked of a few rows or of one site at a time, never of the whole ``n x m``
array at scale:

==========================  ===================================================================
``rows(points)``            the costs of a few demand points to every site (``|S| x m``)
``column(j)``               every demand point's cost to site ``j`` (``n``)
``nearest_open(open)``      each point's nearest open site and its cost: the plan's distances
==========================  ===================================================================

Beyond ``parameters.cutoff`` a pair does not exist (cost ``inf``), as in the assignment MILP and
in the numpy evaluator. Every cost is computed by the dense path's own formulas
(:mod:`optmodels.siting.data.distances`, and :meth:`TravelCosts.nearest_open
<optmodels.siting.data.costs.TravelCosts.nearest_open>`, which computes the very same bits), so a
radius read from ``rows`` compares exactly with a plan's distance: the p-center's optimum is one
of these numbers and ties at it are decided as the evaluator decides them.

Which source answers: an instance small enough for the dense array
(:attr:`SitingInstance.is_large` false) reads its :meth:`SitingInstance.cost_matrix`; a large
one asks its :class:`~optmodels.siting.data.costs.TravelCosts` (rows and columns by the dense
formulas or from a long table's pairs, the nearest open site by KD-tree) and applies the cut-off.
"""

from __future__ import annotations

import numpy as np

from optmodels.resources import check_memory
from optmodels.siting.data.instance import SitingInstance


class CenterCosts:
    """The travel costs of ``instance`` as the p-center methods read them (module docstring)."""

    def __init__(self, instance: SitingInstance) -> None:
        self.instance = instance
        self.n, self.m = instance.n_demand, instance.n_sites
        cutoff = instance.parameters.cutoff
        self.cutoff = np.inf if cutoff is None else float(cutoff)
        self._dense: np.ndarray | None = None if instance.is_large else instance.cost_matrix()
        self._costs = instance.costs

    @property
    def is_dense(self) -> bool:
        return self._dense is not None

    def _cut(self, d: np.ndarray) -> np.ndarray:
        if np.isfinite(self.cutoff):
            d[d > self.cutoff] = np.inf
        return d

    def rows(self, points: np.ndarray) -> np.ndarray:
        """Costs of ``points`` to every site (``len(points) x m``, ``inf`` = no pair)."""
        points = np.asarray(points, dtype=np.int64)
        if self._dense is not None:
            return np.array(self._dense[points])
        check_memory(8 * len(points) * self.m, what=f"the costs of {len(points):,} demand points to {self.m:,} sites",
                     advice="the p-center keeps the rows of the points its relaxation needs; give a time limit or a cut-off")
        return self._cut(self._costs.rows(points))

    def column(self, j: int) -> np.ndarray:
        """Every demand point's cost to site ``j`` (``inf`` = no pair)."""
        if self._dense is not None:
            return np.array(self._dense[:, j])
        return self._cut(self._costs.column(j))

    def nearest_open(self, open_sites: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each point's cost to its nearest open site and that site (``inf`` and ``-1`` where
        none is within reach): the plan's distances, as the evaluator computes them."""
        opened = np.flatnonzero(open_sites) if np.asarray(open_sites).dtype == bool else np.asarray(open_sites)
        if len(opened) == 0:
            return np.full(self.n, np.inf), np.full(self.n, -1, dtype=np.int64)
        if self._dense is not None:
            sub = self._dense[:, opened]
            k = np.argmin(sub, axis=1)
            d = sub[np.arange(self.n), k]
            return d, np.where(np.isfinite(d), opened[k], -1)
        d, site = self._costs.nearest_open(opened)
        far = d > self.cutoff
        return np.where(far, np.inf, d), np.where(far, -1, site)
