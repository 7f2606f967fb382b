"""A first p-center plan (the upper bound the search starts from) and the completion of a plan
to exactly ``p`` open sites.

:func:`farthest_first` is Gonzalez's rule (1985) adapted to candidate sites: open the sites that
must be open, then repeatedly take the demand point farthest from every open site and open the
site nearest to it. One column of costs per opened site (``n`` distances), so a plan for
100,000 points and 100 sites takes a fraction of a second. The points it visits are spread over
the whole map, farthest first: the starting set of the relaxation.

:func:`complete` tops a plan up to ``p`` sites (a cover found with fewer sites leaves some of
``p`` unused): the points farthest from the plan each get their nearest closed site. Opening a
site never lengthens a distance, so the completed plan is at least as good.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optmodels.siting.center.costs import CenterCosts


@dataclass(frozen=True)
class Start:
    """``open`` (bool per site) with ``value`` its largest distance, and ``visited``: the points
    the rule took as farthest, in order."""

    open: np.ndarray
    value: float
    visited: np.ndarray


def farthest_first(costs: CenterCosts, p: int, fixed: np.ndarray) -> Start:
    """Gonzalez's farthest-first plan with ``p`` sites, the sites ``fixed`` open among them."""
    is_open = np.asarray(fixed, dtype=bool).copy()
    dist = np.full(costs.n, np.inf)
    for j in np.flatnonzero(is_open):
        np.minimum(dist, costs.column(int(j)), out=dist)
    visited: list[int] = []
    while is_open.sum() < p:
        i = int(np.argmax(dist))
        row = costs.rows(np.array([i]))[0]
        row[is_open] = np.inf
        j = int(np.argmin(row))
        if not np.isfinite(row[j]):
            break  # no closed site reaches the farthest point: complete() fills the count
        visited.append(i)
        is_open[j] = True
        np.minimum(dist, costs.column(j), out=dist)
    is_open = complete(costs, is_open, p)
    d, _ = costs.nearest_open(is_open)
    return Start(open=is_open, value=float(d.max()), visited=np.array(visited, dtype=np.int64))


def complete(costs: CenterCosts, is_open: np.ndarray, p: int) -> np.ndarray:
    """``is_open`` with sites added up to ``p``: the nearest closed site of each farthest point,
    then (if points cannot reach more) the closed sites in index order."""
    is_open = np.asarray(is_open, dtype=bool).copy()
    need = p - int(is_open.sum())
    if need <= 0:
        return is_open
    d, _ = costs.nearest_open(is_open)
    far = np.argsort(-d, kind="stable")[: min(costs.n, 4 * need)]
    rows = costs.rows(far)
    for row in rows:
        if need == 0:
            break
        row[is_open] = np.inf
        j = int(np.argmin(row))
        if np.isfinite(row[j]):
            is_open[j] = True
            need -= 1
    if need > 0:
        is_open[np.flatnonzero(~is_open)[:need]] = True
    return is_open
