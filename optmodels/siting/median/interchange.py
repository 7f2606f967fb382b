r"""A fast incumbent for the uncapacitated p-median: greedy, then vertex substitution.

Why
---
The radius MILP (:mod:`optmodels.siting.median.radius`) closes its gap from below; an optimal or
near-optimal plan before the MILP starts does two things: HiGHS gets it as a MIP start (its gap
is small at once), and the Lagrangian reduction of :mod:`optmodels.siting.median.lagrangian` can only
fix what a plan of cost ``UB`` proves useless -- the better ``UB``, the more it removes.

Method
------
Greedy (add the site with the largest weighted saving, ``p`` times), then Teitz and Bart's
vertex substitution in Whitaker's fast form (Resende and Werneck 2003 give the same
decomposition), best improvement over every (insert ``j``, remove ``r``) pair at once.
With ``d1_i``, ``d2_i`` the distances from ``i`` to its nearest and second-nearest open site and
``n1_i`` the nearest::

    cost after (j in, r out) - cost now = G_j + L_rj
    G_j  = sum_i w_i min(0, d_ij - d1_i)                                  (gain of inserting j)
    L_rj = sum_{i : n1_i = r} w_i [min(d2_i, d_ij) - min(d1_i, d_ij)]     (loss of removing r)

``G`` is one ``n x m`` pass; ``L`` is the ``p x n`` one-hot matrix of ``n1`` times the ``n x m``
matrix of the bracket, one sparse product. Each step applies the best pair while it improves
(by more than a relative ``1e-10``: float noise must not cycle). Then a short variable
neighbourhood search: swap ``k`` random sites (k = 1, 2, ... up to ``k_max``) and descend again,
keep the result if better, back to ``k = 1`` on success.

The result is only ever used as an upper bound and a MIP start: its quality affects speed,
never the answer. A stop signal in an interruptible block (:mod:`solvers.interrupt`) ends the
descent and the search with the best plan so far (each swap is applied whole).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from solvers.interrupt import check, until_interrupted


@dataclass(frozen=True)
class Plan:
    """``open`` (bool per site) and its total weighted distance ``cost``."""

    open: np.ndarray
    cost: float
    swaps: int


def plan_cost(C: np.ndarray, w: np.ndarray, open_mask: np.ndarray) -> float:
    """``sum_i w_i min_{j open} C_ij``."""
    return float(w @ C[:, open_mask].min(axis=1))


def _nearest_two(C: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``d1, n1, d2`` over the open sites ``idx`` (``d2 = inf`` with one open site)."""
    D = C[:, idx]
    n = C.shape[0]
    if len(idx) == 1:
        return D[:, 0].copy(), np.full(n, idx[0]), np.full(n, np.inf)
    two = np.argpartition(D, 1, axis=1)[:, :2]
    a, b = D[np.arange(n), two[:, 0]], D[np.arange(n), two[:, 1]]
    first = np.where(a <= b, two[:, 0], two[:, 1])
    d1, d2 = np.minimum(a, b), np.maximum(a, b)
    return d1, idx[first], d2


def greedy(C: np.ndarray, w: np.ndarray, p: int, fixed: np.ndarray, *, wC: np.ndarray | None = None) -> np.ndarray:
    """Open the fixed sites, then add the site with the largest weighted saving until ``p``.

    A stop signal midway still yields a plan: the sites chosen so far and, to make up ``p``, the
    first closed ones -- every ``p`` sites are a plan of the p-median, and a run stopped in its
    first second has that to report rather than nothing.

    Each step's scores are column sums of ``min(w_i d_ij, w_i d1_i)`` in one preallocated array
    (``wC`` as in :func:`descend`), not ``w @ min(d_ij, d1_i)``: that matrix-vector product went
    to OpenBLAS, whose threads on the 2 shared cores made it 3.9 ms of CPU against 0.07 ms with
    one thread, and the fresh ``n x m`` array of each step cost its page faults; pmed37's greedy
    (80 steps on 800 x 800) took 0.58 CPU-s, now 0.04.
    """
    n, m = C.shape
    open_mask = fixed.copy()
    wC = w[:, None] * C if wC is None else wC
    buf = np.empty_like(wC)
    d1 = C[:, open_mask].min(axis=1) if open_mask.any() else np.full(n, np.inf)
    with until_interrupted():
        while open_mask.sum() < p:
            check()
            # total cost after adding j (C is finite; an empty plan's inf d1 stays inf: w_i d1_i
            # is formed only where d1_i is finite, so a point of weight 0 never meets 0 * inf)
            cap = np.full(n, np.inf)
            np.multiply(w, d1, out=cap, where=np.isfinite(d1))
            np.minimum(wC, cap[:, None], out=buf)
            score = np.where(open_mask, np.inf, buf.sum(axis=0))
            j = int(np.argmin(score))
            open_mask[j] = True
            d1 = np.minimum(d1, C[:, j])
    short = p - int(open_mask.sum())
    if short > 0:
        open_mask[np.flatnonzero(~open_mask)[:short]] = True
    return open_mask


def descend(C: np.ndarray, w: np.ndarray, open_mask: np.ndarray, fixed: np.ndarray,
            max_swaps: int = 10_000, *, wC: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    """Best-improvement vertex substitution from ``open_mask`` to a local optimum.

    ``wC`` (optional) is ``w[:, None] * C``, computed once by a caller that descends many times.
    With it, each step is five passes over an ``n x m`` array instead of nine (``G`` and ``L``
    share ``min(w_i d_ij, w_i d1_i)``), which is what the step's time is.
    """
    open_mask = open_mask.copy()
    n, m = C.shape
    rows = np.arange(n)
    wC = w[:, None] * C if wC is None else wC
    near, second = np.empty_like(wC), np.empty_like(wC)
    swaps = 0
    with until_interrupted():  # a stop signal: the plan of the swaps done
        while swaps < max_swaps:
            check()
            idx = np.flatnonzero(open_mask)
            d1, n1, d2 = _nearest_two(C, idx)
            cost = float(w @ d1)
            np.minimum(wC, (w * d1)[:, None], out=near)  # w_i min(d_ij, d1_i)
            G = near.sum(axis=0) - cost  # sum_i w_i min(0, d_ij - d1_i)
            wd2 = np.where(np.isfinite(d2), w * d2, np.inf)  # one open site: d2 = inf, and 0 * inf is nan
            np.minimum(wC, wd2[:, None], out=second)
            second -= near  # the bracket of L
            pos = np.searchsorted(idx, n1)
            onehot = sp.csr_matrix((np.ones(n), (pos, rows)), shape=(len(idx), n))
            L = np.asarray(onehot @ second)  # (p, m)
            delta = G[None, :] + L
            delta[:, open_mask] = np.inf
            delta[fixed[idx], :] = np.inf
            if not np.isfinite(delta).any():
                break
            r, j = np.unravel_index(int(np.argmin(delta)), delta.shape)
            # 1e-10: G is a difference of sums as large as the cost; float noise must not cycle
            if not delta[r, j] < -1e-10 * max(abs(cost), 1.0):
                break
            swapped = open_mask.copy()
            swapped[idx[r]] = False
            swapped[j] = True
            open_mask = swapped  # one assignment: an interrupted swap leaves the plan as it was
            swaps += 1
    return open_mask, swaps


def local_search(C: np.ndarray, w: np.ndarray, p: int, fixed: np.ndarray | None = None, *,
                 shakes: int = 30, k_max: int = 3, seconds: float = 2.0, seed: int = 0) -> Plan:
    """Greedy + vertex substitution + a short VNS (``shakes`` perturbations, at most ``seconds``).

    ``C`` must be finite. ``fixed`` sites are open in every plan and never swapped out.
    """
    t0 = time.process_time()  # CPU: a loaded machine must not change the plan much
    m = C.shape[1]
    fixed = np.zeros(m, dtype=bool) if fixed is None else fixed.astype(bool)
    wC = w[:, None] * C
    best, swaps = descend(C, w, greedy(C, w, p, fixed, wC=wC), fixed, wC=wC)
    best_cost = plan_cost(C, w, best)
    rng = np.random.default_rng(seed)
    free_closed = lambda mask: np.flatnonzero(~mask)  # noqa: E731
    k = 1
    with until_interrupted():  # a stop signal: the best plan so far
        for _ in range(shakes):
            check()
            if time.process_time() - t0 > seconds:
                break
            movable = np.flatnonzero(best & ~fixed)
            closed = free_closed(best)
            kk = min(k, len(movable), len(closed))
            if kk == 0:
                break
            trial = best.copy()
            trial[rng.choice(movable, kk, replace=False)] = False
            trial[rng.choice(closed, kk, replace=False)] = True
            trial, s = descend(C, w, trial, fixed, wC=wC)
            swaps += s + kk
            c = plan_cost(C, w, trial)
            if c < best_cost - 1e-12 * max(abs(best_cost), 1.0):
                best, best_cost, k = trial, c, 1
            else:
                k = k + 1 if k < k_max else 1
    return Plan(open=best, cost=best_cost, swaps=swaps)


# --------------------------------------------------------------------------------------------
# At scale: the same interchange on candidate lists, kept up to date swap by swap
# --------------------------------------------------------------------------------------------


class ListSearch:
    r"""Whitaker's fast interchange on candidate lists (:mod:`optmodels.siting.median.candidates`),
    its three terms kept up to date swap by swap, as Resende and Werneck (2007, "A fast swap-based
    local search procedure for location problems", Annals of OR 150) do.

    A point ``i`` may be served by its listed sites or by its tail (the fixed-open site at
    ``U_i``, always open; an inexact tail stands for the unlisted sites, at ``tail`` here: see
    :func:`list_search`). With ``d1_i``, ``d2_i`` the weighted costs of its nearest and second
    nearest open server and ``n1_i`` the nearest (``-1``: the tail), the change of the swap
    (``r`` out, ``j`` in) is ``G_j + loss_r + extra_rj``, with

    * ``G_j = sum_{i lists j, w_i d_ij < d1_i} (w_i d_ij - d1_i)`` (the gain of inserting ``j``),
    * ``loss_r = sum_{i : n1_i = r} (d2_i - d1_i)`` (the loss of removing ``r``),
    * ``extra_rj = - sum_{i : n1_i = r, i lists j, w_i d_ij < d2_i} (d2_i - max(w_i d_ij, d1_i))``
      (what ``j`` wins back of that loss),

    the dense ``G_j + L_rj`` of :func:`descend` split so that ``L`` is a sum over *pairs*. A swap
    changes the terms of the points whose two nearest servers change -- those served by ``r``
    (first or second) and those that list ``j`` nearer than their second server -- so each swap
    subtracts those points' contributions, updates their two nearest, and adds them back: a few
    hundred points' lists per swap instead of every pair. ``extra`` is dense over (open slot,
    site): ``q x m`` floats, the one array of that size.
    """

    def __init__(self, cand, w: np.ndarray, tail: np.ndarray, q: int) -> None:
        self.cand, self.m, self.q = cand, cand.m, q
        self.point, self.site = cand.point, cand.site
        self.wd = w[self.point] * cand.cost
        # the tail must come after every listed server of its point
        last = np.zeros(cand.n)
        np.maximum.at(last, self.point, self.wd)
        self.wt = np.maximum(w * tail, last)
        self.by_site = np.argsort(self.site, kind="stable")
        self.site_ptr = np.concatenate([[0], np.cumsum(np.bincount(self.site, minlength=self.m))])
        self.open = np.zeros(self.m, dtype=bool)
        self.slot = np.full(self.m, -1, dtype=np.int64)
        self.slots = np.full(q, -1, dtype=np.int64)
        self.used = 0
        self.refresh()

    # -- state ------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Every term recomputed from the open set (clears the float drift of many updates)."""
        everyone = np.arange(self.cand.n)
        self.d1, self.n1, self.d2, self.n2 = self._top2(everyone)
        self.cost = float(self.d1.sum())
        self.G = np.zeros(self.m)
        self.loss = np.zeros(self.m)
        self.extra = np.zeros((self.q, self.m))
        self._account(everyone, 1.0)

    def _top2(self, points: np.ndarray):
        """``d1, n1, d2, n2`` of ``points`` (``-1``: the tail) from their lists."""
        rows, owner = self.cand.rows_of(points)
        is_open = self.open[self.site[rows]]
        rows, owner = rows[is_open], owner[is_open]
        d1 = self.wt[points].copy()
        d2 = d1.copy()
        n1 = np.full(len(points), -1, dtype=np.int64)
        n2 = n1.copy()
        if len(rows):
            first = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
            d1[owner[first]], n1[owner[first]] = self.wd[rows[first]], self.site[rows[first]]
            second = first + 1
            second = second[second < len(owner)]
            second = second[owner[second] == owner[second - 1]]
            d2[owner[second]], n2[owner[second]] = self.wd[rows[second]], self.site[rows[second]]
        return d1, n1, d2, n2

    def _account(self, points: np.ndarray, sign: float) -> None:
        """Add (``sign = 1``) or take away (``-1``) the contributions of ``points`` to the terms."""
        rows, owner = self.cand.rows_of(points)
        j, v = self.site[rows], self.wd[rows]
        d1, d2, n1 = self.d1[points], self.d2[points], self.n1[points]
        g = v < d1[owner]
        self.G += sign * np.bincount(j[g], weights=v[g] - d1[owner][g], minlength=self.m)
        served = n1 >= 0
        self.loss += sign * np.bincount(n1[served], weights=(d2 - d1)[served], minlength=self.m)
        n1p = n1[owner]
        e = (v < d2[owner]) & (n1p >= 0)
        if e.any():
            ow = owner[e]
            flat = self.slot[n1p[e]] * self.m + j[e]
            np.add.at(self.extra.reshape(-1), flat, -sign * (d2[ow] - np.maximum(v[e], d1[ow])))

    def swap(self, out: int, into: int) -> None:
        """Close ``out`` (``-1``: none, the plan grows) and open ``into``."""
        near = self.by_site[self.site_ptr[into] : self.site_ptr[into + 1]]
        pts = self.point[near]
        hit = pts[self.wd[near] < self.d2[pts]]
        if out >= 0:
            hit = np.concatenate([hit, np.flatnonzero((self.n1 == out) | (self.n2 == out))])
        affected = np.unique(hit)
        self._account(affected, -1.0)
        if out >= 0:
            s = int(self.slot[out])
            self.open[out], self.slot[out] = False, -1
            self.loss[out] = 0.0  # only the points just taken away wrote there: float noise
            self.G[out] = 0.0
        else:
            s = self.used
            self.used += 1
        self.extra[s] = 0.0
        self.G[into] = 0.0
        self.open[into], self.slot[into], self.slots[s] = True, s, into
        old = self.d1[affected].sum()
        self.d1[affected], self.n1[affected], self.d2[affected], self.n2[affected] = self._top2(affected)
        self.cost += float(self.d1[affected].sum() - old)
        self._account(affected, 1.0)

    def best_swap(self, movable: np.ndarray | None = None) -> tuple[int, int, float]:
        """``(out, into, change)`` of the best swap (``change`` of the cost, ``inf`` if none)."""
        k = self.used
        if k == 0:
            return -1, -1, np.inf
        delta = self.extra[:k] + self.G[None, :]
        delta += self.loss[self.slots[:k]][:, None]
        delta[:, self.open] = np.inf
        if movable is not None:
            delta[~movable[self.slots[:k]]] = np.inf
        r, j = np.unravel_index(int(np.argmin(delta)), delta.shape)
        return int(self.slots[r]), int(j), float(delta[r, j])

    # -- moves --------------------------------------------------------------------------------------
    def grow(self, count: int) -> None:
        """Greedy: open ``count`` more sites, each the one that saves most now (a stop signal
        ends it between two sites)."""
        for _ in range(count):
            check()
            gain = np.where(self.open, np.inf, self.G)
            self.swap(-1, int(np.argmin(gain)))

    def descend(self, max_swaps: int = 100_000, movable: np.ndarray | None = None) -> list[tuple[int, int]]:
        """Best-improvement swaps to a local optimum; returns the swaps made (``(out, into)``)."""
        done: list[tuple[int, int]] = []
        retried = False
        while len(done) < max_swaps:
            check()  # between two swaps: the state is a whole plan
            out, into, change = self.best_swap(movable)
            tol = 1e-10 * max(abs(self.cost), 1.0)
            if not change < -tol:
                break
            before = self.cost
            self.swap(out, into)
            if self.cost < before - tol:
                done.append((out, into))
                retried = False
                continue
            self.swap(into, out)  # the terms' float drift promised a gain the plan does not give
            self.refresh()
            if retried:
                break
            retried = True
        return done


def list_search(cand, w: np.ndarray, p: int, *, start: np.ndarray | None = None, seconds: float = 10.0,
                shakes: int = 1_000_000, patience: int | None = None, k_max: int = 3, seed: int = 0) -> Plan:
    """Greedy (or ``start``), fast interchange and a VNS on candidate lists; ``p`` counts every
    open site, the fixed-open ones included. The plan's ``cost`` is its cost on the lists --
    the true cost wherever the tails are exact; the caller evaluates it exactly.

    The VNS stops after ``seconds`` of CPU, ``shakes`` perturbations, or ``patience`` in a row
    that found nothing better (default ``max(200, 4 q)``, ``q`` the free sites to open: a small
    instance is done in milliseconds, a large one keeps improving for its time). A stop signal in
    an interruptible block (:mod:`solvers.interrupt`) ends it with the best plan so far (during
    the greedy: the sites chosen so far, made up to ``p``).

    An inexact tail stands for "served by some unlisted site": it is charged ``U_i`` when a
    fixed-open site exists (an upper bound of that cost) and else twice the floor -- a guess
    that keeps the search away from plans that leave a point beyond its list; such a point's
    list is then extended by the caller (:func:`optmodels.siting.median.scale.incumbent`).
    """
    t0 = time.process_time()
    q = p - int(cand.fixed.sum())
    tail = np.where(cand.exact | np.isfinite(cand.nearest_fixed), cand.tail, 2.0 * cand.tail)
    big = 2.0 * float(cand.cost.max(initial=1.0)) + 1.0
    tail = np.where(np.isfinite(tail), tail, big)  # no site beyond the list, or no fixed-open one
    search = ListSearch(cand, w, tail, q)
    rng = np.random.default_rng(seed)
    best_open, best_cost, swaps = None, np.inf, 0
    with until_interrupted():  # a stop signal: the best plan so far (the greedy's, made up to p)
        if start is not None:
            for j in np.flatnonzero(start & ~cand.fixed):
                search.swap(-1, int(j))
        search.grow(q - search.used)
        best_open, best_cost = search.open.copy(), search.cost
        swaps = len(search.descend())
        best_open, best_cost, k = search.open.copy(), search.cost, 1
        listed = np.flatnonzero(np.diff(search.site_ptr) > 0)
        patience = max(200, 4 * q) if patience is None else patience
        stall = 0
        for _ in range(shakes):
            check()
            if time.process_time() - t0 > seconds or search.used == 0 or stall >= patience:
                break
            trail = []
            for _ in range(k):  # k random swaps, each a random open site for a closed one it serves near
                out = int(rng.choice(search.slots[: search.used]))
                pool = search.site[search.cand.rows_of(np.flatnonzero(search.n1 == out))[0]]
                pool = pool[~search.open[pool]]
                if len(pool) == 0:
                    pool = listed[~search.open[listed]]
                into = int(rng.choice(pool))
                search.swap(out, into)
                trail.append((out, into))
            trail += search.descend()
            swaps += len(trail)
            if search.cost < best_cost - 1e-12 * max(abs(best_cost), 1.0):
                best_open, best_cost, k, stall = search.open.copy(), search.cost, 1, 0
            else:
                for out, into in reversed(trail):
                    search.swap(into, out)
                k = k + 1 if k < k_max else 1
                stall += 1
    if best_open is None:
        # stopped during the greedy (a Ctrl-C may have landed inside a swap, so the terms are
        # not trusted): the sites opened so far, made up to p by the gains of the last whole
        # step; the caller evaluates the plan exactly
        from optmodels.siting.median.benders import list_costs

        best_open = search.open.copy()
        need = q - int(best_open.sum())
        if need > 0:
            gain = np.where(best_open | cand.fixed, np.inf, search.G)
            best_open[np.argsort(gain, kind="stable")[:need]] = True
        best_cost = float(w @ list_costs(cand, best_open | cand.fixed))
    plan = best_open | cand.fixed
    return Plan(open=plan, cost=best_cost, swaps=swaps)
