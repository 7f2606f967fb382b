"""A first p-center plan (the upper bound the search starts from) and the completion of a plan
to exactly ``p`` open sites.

:func:`farthest_first` is Gonzalez's rule (1985) adapted to candidate sites: open the sites that
must be open, then repeatedly take the demand point farthest from every open site and open the
site nearest to it. One column of costs per opened site (``n`` distances), so a plan for
100,000 points and 100 sites takes a fraction of a second. The points it visits are spread over
the whole map, farthest first: the starting set of the relaxation.

:func:`complete` tops a plan up to ``p`` sites by the same rule (a cover found with fewer sites
leaves some of ``p`` unused): opening a site never lengthens a distance, so the completed plan is
at least as good, and it is what the relaxation's checks price (a cover of ``S`` alone, at a
radius well above the optimum, often needs far fewer than ``p`` sites; priced bare it would
leave the upper bound where the starting plan put it).
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
    is_open, visited = _grow(costs, fixed, p)
    is_open = _fill(is_open, p)
    d, _ = costs.nearest_open(is_open)
    return Start(open=is_open, value=float(d.max()), visited=np.array(visited, dtype=np.int64))


def complete(costs: CenterCosts, is_open: np.ndarray, p: int) -> np.ndarray:
    """``is_open`` with sites added up to ``p`` by the farthest-first rule (then, if points
    cannot reach more, the closed sites in index order)."""
    return _fill(_grow(costs, is_open, p)[0], p)


def _grow(costs: CenterCosts, is_open: np.ndarray, p: int) -> tuple[np.ndarray, list[int]]:
    """Open sites until ``p`` are open: each time, the closed site nearest to the point farthest
    from every open site (one column of ``n`` costs per site opened, so the distances stay
    exact); stops early when that point reaches no closed site. Returns the plan and the points taken."""
    is_open = np.asarray(is_open, dtype=bool).copy()
    dist = costs.nearest_open(is_open)[0] if is_open.any() else np.full(costs.n, np.inf)
    visited: list[int] = []
    while is_open.sum() < p:
        i = int(np.argmax(dist))
        row = costs.rows(np.array([i]))[0]
        row[is_open] = np.inf
        j = int(np.argmin(row))
        if not np.isfinite(row[j]):
            break  # no closed site reaches the farthest point: _fill() makes up the count
        visited.append(i)
        is_open[j] = True
        np.minimum(dist, costs.column(j), out=dist)
    return is_open, visited


def _fill(is_open: np.ndarray, p: int) -> np.ndarray:
    need = p - int(is_open.sum())
    if need > 0:
        is_open = is_open.copy()
        is_open[np.flatnonzero(~is_open)[:need]] = True
    return is_open
