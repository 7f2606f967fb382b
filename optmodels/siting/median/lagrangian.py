r"""A Lagrangian bound for the uncapacitated p-median, and the exact reduction it proves.

Relaxation
----------
Relax the assignment rows ``sum_j x_ij = 1`` of the assignment formulation with multipliers
``lambda_i`` (Cornuéjols, Fisher and Nemhauser 1977; Beasley 1993). With ``c_ij = w_i d_ij -
lambda_i`` and ``rho_j = sum_i min(0, c_ij)`` (what site ``j`` would save if open)::

    L(lambda) = sum_i lambda_i + min { sum_j rho_j y_j : sum_j y_j = p, y_F = 1, y binary }

the ``p`` sites of smallest ``rho`` (the fixed-open set ``F`` first). ``L(lambda)`` is a lower
bound on the p-median for every ``lambda``; its maximum equals the LP bound of both the
assignment and the radius formulations. It is maximised by subgradient steps (Held, Wolfe and
Crowder; Beasley's step rule ``t = f (UB - L) / ||g||^2`` with ``g_i = 1 - sum_{j in S} [c_ij <
0]``, ``f`` halved after ``patience`` steps without a better bound).

Reduction (reduced-cost fixing)
-------------------------------
Let ``S`` be the subproblem's chosen sites, ``q = p - |F|`` the free choices, ``rho_(q)`` the
largest free ``rho`` chosen and ``rho_(q+1)`` the smallest left out. Forcing a decision changes
the subproblem's optimum by an amount read off these numbers, giving a lower bound on every
plan that takes that decision:

==============================  ===============================================================
decision                        bound on every plan that takes it
==============================  ===============================================================
``y_j = 1``, ``j`` not in ``S``    ``L + rho_j - rho_(q)``
``y_j = 0``, ``j`` in ``S`` free   ``L - rho_j + rho_(q+1)``
``x_ij = 1``                    ``L + max(0, c_ij) + (rho_j - rho_(q) if j not in S else 0)``
==============================  ===============================================================

With an incumbent of cost ``UB``, a decision whose bound exceeds ``UB`` (by more than a float
tolerance) is taken by no optimal plan. So:

* sites with ``L + rho_j - rho_(q) > UB`` are **closed**, sites with ``L - rho_j + rho_(q+1) >
  UB`` are **opened**;
* each point ``i`` gets a **reach**: the largest ``d_ij`` over pairs with bound ``<= UB``. In an
  optimal plan ``i`` is served by its nearest open site ``j*``, i.e. ``x_ij* = 1``; if ``d_ij* >
  reach_i`` that plan would cost more than ``UB``. So in every optimal plan some open site lies
  within ``reach_i`` of ``i``, and radii beyond it can be left out of the radius model, its last
  kept radius closing the chain (``sum_{d_ij <= reach_i} y_j >= 1``);
* the reach is then lowered by **balls**: every site nearer to ``i`` than its nearest open site
  is closed. Let ``B_i(D)`` be the sites at distance ``< D`` from ``i``. Every plan whose nearest
  open site is at ``D`` or beyond closes all of ``B_i(D)``, so it costs at least the relaxation's
  value with ``B_i(D)`` forced closed (and the closed and opened sites above as decided, which
  every optimal plan obeys): ``sum_i lambda_i`` plus the ``rho`` of the fixed and opened sites
  plus the smallest free ``rho`` outside ``B_i(D)`` -- infinite if a fixed or opened site lies in
  the ball. Such a plan also pays at least ``w_i D`` for ``i``: keeping ``i``'s row out of the
  relaxation replaces ``lambda_i`` by that and can only raise the ``rho`` (``i``'s terms are
  ``<= 0``), so ``max(0, w_i D - lambda_i)`` is added. That value grows with ``D``; where it
  exceeds ``UB`` no optimal plan serves ``i`` from ``D`` or beyond, and ``reach_i`` drops to the
  largest distance below the smallest such ``D``.
  The pair bound charges a far site only for itself; the ball charges for every chosen site it
  swallows, which is what cuts where the gap is wide (pmed36, gap 1 %: 22,760 radii -> 17,890).

Probing (:func:`probe`)
-----------------------
The penalty ``L + rho_j - rho_(q)`` is first order: it keeps the root's ``lambda``. Forcing
``y_j = 1`` and re-optimising ``lambda`` (a short subgradient run warm from the root's) gives
the relaxation's bound *with* ``j`` open, which for small ``p`` is far above the penalty: a site
at a poor location leaves the other ``p - 1`` to serve nearly everything (pmed35, ``p = 5``: 104
more of the 119 sites the penalty test leaves were closed). Likewise ``y_j = 0`` for a site of
the incumbent opens it where the bound exceeds ``UB``. The probes' bounds are bounds on every
plan that obeys what was proved before them, at any multipliers, so the statements are of the
same kind as above. The root is then re-optimised without the closed sites (its bound can only
rise) and reduced again, closures kept.

Each statement holds for *every* optimal plan, so all of them hold at once for each: the reduced
model keeps every optimal plan, prices each of its plans at the true distance (the nearest open
site is within reach and not closed), and has the same optimum. The incumbent satisfies every
statement (its own cost is ``UB``, never above it), so it stays a feasible MIP start. Ties need
no special care: the tests are strict, and a tie in distance only means several sites share a
radius.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import numpy as np

from solvers.interrupt import check, until_interrupted


@dataclass(frozen=True)
class LagrangianBound:
    """The best multipliers found, their bound, and the subproblem's data at those multipliers."""

    lam: np.ndarray
    bound: float
    iterations: int


@dataclass(frozen=True)
class Reduction:
    """What the bound proves: sites ``closed``/``opened`` in every optimal plan, each point's
    ``reach``, and the bound and incumbent cost it was proved with."""

    closed: np.ndarray
    opened: np.ndarray
    reach: np.ndarray
    bound: float
    upper: float

    def kept_pairs(self, C: np.ndarray) -> int:
        return int(((C <= self.reach[:, None]) & ~self.closed[None, :]).sum())


def _subproblem(C: np.ndarray, w: np.ndarray, lam: np.ndarray, p: int, fixed: np.ndarray,
                closed: np.ndarray | None = None):
    """``(L, rho, chosen, c)`` at ``lam``: the relaxation's value and its optimal sites. Sites in
    ``closed`` cannot be chosen: their ``rho`` is ``+inf`` (``L`` is ``inf`` if fewer than ``p``
    sites are left)."""
    c = w[:, None] * C - lam[:, None]
    rho = np.minimum(c, 0.0).sum(axis=0)
    if closed is not None:
        rho[closed] = np.inf
    chosen = _choose(rho, p, fixed)
    return float(lam.sum() + rho[chosen].sum()), rho, chosen, c


def _choose(rho: np.ndarray, p: int, fixed: np.ndarray) -> np.ndarray:
    """The subproblem's sites: the fixed ones, then the free ones of smallest ``rho`` up to ``p``."""
    chosen = fixed.copy()
    q = p - int(fixed.sum())
    if q > 0:
        free = np.flatnonzero(~fixed)
        chosen[free[np.argpartition(rho[free], q - 1)[:q]] if q < len(free) else free] = True
    return chosen


def subgradient(C: np.ndarray, w: np.ndarray, p: int, upper: float, fixed: np.ndarray | None = None, *,
                start: np.ndarray | None = None, iterations: int = 300, patience: int = 20,
                seconds: float = 5.0, tol: float = 1e-9, closed: np.ndarray | None = None,
                above: float | None = None, f_start: float = 2.0) -> LagrangianBound:
    """Maximise ``L(lambda)`` by subgradient steps; stop early once ``UB - L <= tol * UB``, or
    once the bound exceeds ``above`` (a probe's question answered).

    ``start`` defaults to ``lambda_i = w_i d_i(2)`` (the second-smallest distance): each point
    then pays into its two nearest sites, a fair first guess. ``closed`` sites are left out of
    the relaxation (the bound is then one on the plans that keep them closed); their columns are
    dropped, so each step reads only the sites left. A stop signal in an interruptible
    block (:mod:`solvers.interrupt`) ends the steps with the best bound so far (``-inf`` if no
    step was finished).
    """
    t0 = time.process_time()  # CPU: a loaded machine must not change the bound
    n, m = C.shape
    fixed = np.zeros(m, dtype=bool) if fixed is None else fixed.astype(bool)
    if closed is not None and closed.any():
        C, fixed = C[:, ~closed], fixed[~closed]
        m = C.shape[1]
    if start is None:
        k = min(1, m - 1)
        start = w * np.partition(C, k, axis=1)[:, k]
    # rho_j = sum_i min(w_i d_ij, lambda_i) - sum_i lambda_i: two passes over one preallocated
    # n x m array per step (the step's whole cost), against seven for c = w d - lambda and its
    # masks; the subgradient needs only the chosen columns. reduce() re-evaluates the best
    # multipliers from scratch, so no float shortcut here can make a reduction invalid.
    wC = w[:, None] * C
    buf = np.empty_like(wC)

    def rho_of(lam: np.ndarray) -> np.ndarray:
        np.minimum(wC, lam[:, None], out=buf)
        return buf.sum(axis=0) - lam.sum()

    def served(lam: np.ndarray, chosen: np.ndarray) -> np.ndarray:
        return (wC[:, chosen] < lam[:, None]).sum(axis=1)

    return _ascend(start.astype(float).copy(), rho_of, served, p, fixed, upper, t0=t0, iterations=iterations,
                   patience=patience, seconds=seconds, tol=tol, f_min=1e-4, above=above, f_start=f_start)


def _ascend(lam: np.ndarray, rho_of, served, p: int, fixed: np.ndarray, upper: float, *, t0: float,
            iterations: int, patience: int, seconds: float, tol: float, f_min: float,
            cap: np.ndarray | None = None, above: float | None = None, f_start: float = 2.0) -> LagrangianBound:
    """The subgradient steps of :func:`subgradient` and :func:`list_subgradient`, which differ
    only in how ``rho`` and the count of chosen servers of each point are read (a dense matrix,
    candidate lists) and in ``cap`` (``lambda`` projected to at most it; where it is reached, the
    point's tail serves and the step does not raise ``lambda`` there). Polyak steps towards
    ``upper``, ``f`` halved after ``patience`` steps without a better bound."""
    best_lam, best = lam.copy(), -np.inf
    f, stall = f_start, 0
    it = 0
    with until_interrupted():  # a stop signal: every multiplier gives a valid bound, the best one stands
        for it in range(1, iterations + 1):  # noqa: B007 - the count is reported
            check()
            rho = rho_of(lam)
            chosen = _choose(rho, p, fixed)
            L = float(lam.sum() + rho[chosen].sum())
            if not np.isfinite(best) or L > best + 1e-12 * max(abs(best), 1.0):
                best, best_lam, stall = L, lam.copy(), 0
            else:
                stall += 1
                if stall >= patience:
                    f, stall = f / 2, 0
            if (upper - best <= tol * max(abs(upper), 1.0) or f < f_min or time.process_time() - t0 > seconds
                    or (above is not None and best > above)):
                break
            g = 1.0 - served(lam, chosen)
            if cap is not None:
                g[(g > 0) & (lam >= cap)] = 0.0  # at the cap: the tail serves, no ascent there
            norm = float(g @ g)
            if norm == 0:  # the relaxed plan is a plan: L is the optimum
                break
            lam = lam + f * (upper - L) / norm * g
            if cap is not None:
                lam = np.minimum(lam, cap)
    return LagrangianBound(lam=best_lam, bound=best, iterations=it)


def reduce(C: np.ndarray, w: np.ndarray, p: int, upper: float, lb: LagrangianBound,
           fixed: np.ndarray | None = None, closed: np.ndarray | None = None) -> Reduction:
    """The closings, openings and reaches that ``lb`` proves against an incumbent of cost ``upper``
    (see the module docstring for the argument and its table). ``closed``: sites already known
    closed in every optimal plan (by :func:`probe`); the bound is then one on the plans that
    keep them closed, which every optimal plan does, and they stay closed."""
    n, m = C.shape
    fixed = np.zeros(m, dtype=bool) if fixed is None else fixed.astype(bool)
    L, rho, chosen, c = _subproblem(C, w, lb.lam, p, fixed, closed)
    # the tolerance keeps float noise in L from closing a site an optimal plan uses
    limit = upper + 1e-9 * max(abs(upper), 1.0)
    free_in = chosen & ~fixed
    free_out = ~chosen
    rho_q = rho[free_in].max() if free_in.any() else np.inf  # no free choice: nothing to swap out
    rho_next = rho[free_out].min() if free_out.any() else np.inf
    was_closed = np.zeros(m, dtype=bool) if closed is None else closed
    enter = np.full(m, np.inf)  # the bound's rise when j must be open (a closed site cannot be)
    enter[~was_closed] = np.where(chosen[~was_closed], 0.0, rho[~was_closed] - rho_q)
    closed = (L + enter > limit) | was_closed
    opened = free_in & (L - np.where(free_in, rho, 0.0) + rho_next > limit)  # closed sites' rho is inf
    pair = L + np.maximum(c, 0.0) + enter[None, :]
    ok = (pair <= limit) & ~closed[None, :]
    reach = np.where(ok, C, -np.inf).max(axis=1)
    reach = _ball_reach(C, w, lb.lam, rho, fixed | opened, closed, reach, p, limit)
    return Reduction(closed=closed, opened=opened, reach=reach, bound=L, upper=upper)


@dataclass(frozen=True)
class Probed:
    """What :func:`probe` proved: the reduction (its ``closed``/``opened`` include the probes'),
    the multipliers it was proved with, and the work done."""

    reduction: Reduction
    lb: LagrangianBound
    probes: int
    closed: int
    opened: int


def probe(C: np.ndarray, w: np.ndarray, p: int, upper: float, lb: LagrangianBound, red: Reduction,
          plan: np.ndarray, fixed: np.ndarray | None = None, *, steps: int = 150, rounds: int = 2,
          work: float = 1e9, seconds: float = 2.5) -> Probed:
    """Lagrangian probing: close (open) a site when forcing it open (closed) and re-optimising
    the multipliers still gives a bound above ``upper``; then re-optimise the root and reduce
    again with the sites closed.

    The penalty test of :func:`reduce` reads the bound's rise off ``rho`` with the multipliers
    fixed (``L + rho_j - rho_(q)``). For small ``p`` the multipliers that are good with ``j``
    forced open differ a lot from the root's: with ``j`` at a poor location the other ``p - 1``
    sites serve nearly everything, and at most ``steps`` subgradient steps from the root's
    ``lambda`` (warm, over the columns of the sites still open to choice only, stopped as soon as
    the bound passes the limit) lift the bound far above the penalty estimate. Each probe's bound is a bound on every plan that opens (closes) ``j``
    and obeys what was proved before it, at whatever multipliers the steps reached, so a site
    whose bound exceeds ``upper`` is closed (opened) in every optimal plan -- the same
    statement as the penalty test's, and the incumbent ``plan`` obeys it (its own sites are
    never probed open, and closing one of them costs at most ``upper``: the plan's cost).

    Which sites: those not chosen by the root relaxation nor by ``plan``, still open to choice,
    closest to the limit first (``L + rho_j - rho_(q)`` largest: the cheapest to settle), then
    ``plan``'s own free sites forced closed. After each round the root multipliers are
    re-optimised with the sites closed so far and the sites opened fixed (the relaxation loses
    choices, so its bound can only rise: pmed22 8541.3 -> 8579.0, the optimum, with its ten
    sites opened; pmed35 10299.0 -> 10302.0), and a round that closed and opened nothing is the
    last.

    ``work`` caps the stage's arithmetic: the subgradient steps taken times the points times the
    sites open to choice (each probe's setup counted as 4 steps). It binds before ``seconds``
    (the CPU cap, a guard) on a normal load -- about 1 s of CPU on pmed36 and pmed39, where the
    probes go on closing sites until the end but HiGHS's tree does not get shorter -- so the
    reduction, and the model HiGHS is given, do not depend on the machine's load: capped by CPU
    alone, pmed36's model changed from run to run and its tree with it (253, 335, 417 nodes).
    pmed35, 38 and 22 finish in 2-4.4e8. What was proved when a cap binds stands.
    """
    t0 = time.process_time()
    m = C.shape[1]
    fixed = np.zeros(m, dtype=bool) if fixed is None else fixed.astype(bool)
    plan = plan.astype(bool)
    limit = upper + 1e-9 * max(abs(upper), 1.0)  # as reduce(): float noise never closes a site
    closed, opened = red.closed.copy(), red.opened.copy()
    probes = n_closed = n_opened = 0
    done = [0.0]  # the work so far

    def spent() -> bool:
        return done[0] > work or time.process_time() - t0 > seconds

    def ascent(force: np.ndarray, shut: np.ndarray, target: float, **kw) -> LagrangianBound:
        b = subgradient(C, w, p, target, force, start=lb.lam, closed=shut,
                        seconds=max(0.0, seconds - (time.process_time() - t0)), **kw)
        done[0] += (b.iterations + 4) * C.shape[0] * int((~shut).sum())
        return b

    def lifted(force: np.ndarray, shut: np.ndarray, target: float) -> bool:
        # a warm, short ascent; it stops as soon as the bound passes the limit
        b = ascent(force, shut, target, iterations=steps, patience=5, f_start=1.0, above=limit)
        return b.bound > limit

    for _ in range(rounds):
        L, rho, chosen, _c = _subproblem(C, w, lb.lam, p, fixed | opened, closed)
        if not L <= limit:  # no plan of cost <= upper is left: not with the incumbent's own cost
            break
        rho_q = rho[chosen & ~fixed & ~opened].max(initial=-np.inf)
        penalty = np.where(chosen, L, L + rho - rho_q)
        target = upper + 0.5 * (upper - L)  # Polyak's steps aim past the limit, not at it
        found = 0
        for j in np.flatnonzero(~chosen & ~closed & ~plan)[np.argsort(-penalty[~chosen & ~closed & ~plan],
                                                                      kind="stable")].tolist():
            check()
            if spent():
                break
            probes += 1
            force = fixed | opened
            force[j] = True
            if lifted(force, closed, target):
                closed[j] = True
                found += 1
                n_closed += 1
        for j in np.flatnonzero(plan & ~fixed & ~opened).tolist():
            check()
            if spent():
                break
            probes += 1
            shut = closed.copy()
            shut[j] = True
            if lifted(fixed | opened, shut, target):
                opened[j] = True
                found += 1
                n_opened += 1
        if found == 0 or spent():
            break
        lb = ascent(fixed | opened, closed, upper)
    out = reduce(C, w, p, upper, lb, fixed | opened, closed)
    out = dataclasses.replace(out, opened=out.opened | opened)
    return Probed(reduction=out, lb=lb, probes=probes, closed=n_closed, opened=n_opened)


def _ball_reach(C: np.ndarray, w: np.ndarray, lam: np.ndarray, rho: np.ndarray, forced: np.ndarray,
                closed: np.ndarray, reach: np.ndarray, p: int, limit: float) -> np.ndarray:
    """Each point's reach lowered by the ball argument of the module docstring.

    For point ``i`` the bound with ``B_i(D)`` closed is non-decreasing in ``D``, so the smallest
    distance level ``D`` (of the sites still open to choice, up to the current reach) whose bound
    exceeds ``limit`` is found by bisection: ``O(log m)`` partial sorts of the free ``rho`` per
    point.
    """
    q = p - int(forced.sum())
    if q < 0:
        return reach
    base = float(lam.sum() + rho[forced].sum())
    free = ~forced & ~closed
    out = reach.copy()
    for i in range(C.shape[0]):
        d = C[i]
        levels = np.unique(d[~closed & (d <= reach[i])])
        if len(levels) < 2:
            continue

        def bound(D: float, d: np.ndarray = d, own: float = float(lam[i]), wi: float = float(w[i])) -> float:
            ball = d < D
            if (forced & ball).any():
                return np.inf
            r = rho[free & ~ball]
            if len(r) < q:
                return np.inf
            chosen = float(np.partition(r, q - 1)[:q].sum()) if q > 0 else 0.0
            return base + chosen + max(0.0, wi * D - own)

        lo, hi = 1, len(levels) - 1  # the nearest level can always serve: L <= UB
        if not bound(levels[hi]) > limit:
            continue
        while lo < hi:  # the smallest level index whose bound exceeds the limit
            mid = (lo + hi) // 2
            if bound(levels[mid]) > limit:
                hi = mid
            else:
                lo = mid + 1
        out[i] = levels[lo - 1]
    return out


# --------------------------------------------------------------------------------------------
# At scale: the same bound and reduction on candidate lists
# --------------------------------------------------------------------------------------------


def _list_rho(cand, wd: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """``rho_j = sum_i min(0, w_i d_ij - lambda_i)`` over the listed pairs (unlisted pairs add 0:
    ``lambda_i <= w_i T_i <= w_i d_ij`` for them)."""
    return np.bincount(cand.site, weights=np.minimum(wd - lam[cand.point], 0.0), minlength=cand.m)


def list_start(cand, w: np.ndarray) -> np.ndarray:
    """``lambda_i = w_i`` times the second cheapest of ``i``'s servers (listed sites and tail),
    capped at ``w_i T_i``: the dense start, on the lists."""
    counts = cand.counts
    second = np.where(counts >= 2, cand.cost[np.minimum(cand.indptr[:-1] + 1, max(cand.nnz - 1, 0))], np.inf)
    second = np.minimum(second, cand.tail)
    first = np.where(counts >= 1, cand.cost[np.minimum(cand.indptr[:-1], max(cand.nnz - 1, 0))], cand.tail)
    lam = w * np.where(np.isfinite(second), second, first)
    return np.minimum(lam, w * cand.tail)


def list_subgradient(cand, w: np.ndarray, p: int, upper: float, *, start: np.ndarray | None = None,
                     iterations: int = 3000, patience: int = 20, seconds: float = 30.0,
                     tol: float = 1e-9) -> LagrangianBound:
    """:func:`subgradient` on candidate lists (:mod:`optmodels.siting.median.candidates`).

    The tail of point ``i`` is a server that is always there at ``w_i T_i`` (the fixed-open site,
    or a lower bound on any unlisted one), so ``lambda_i`` is kept at or below ``w_i T_i`` (a
    projected step): above it the tail would absorb the excess, and below it every unlisted
    pair's ``min(0, w_i d_ij - lambda_i)`` is 0 -- the bound is valid without them. A step is
    one pass over the listed pairs, not over ``n x m``: thousands of steps, where the dense
    version stops at 300. A stop signal ends the steps as in :func:`subgradient`.
    """
    t0 = time.process_time()
    wd = w[cand.point] * cand.cost
    cap = w * cand.tail
    lam = list_start(cand, w) if start is None else np.minimum(start.astype(float), cap)

    def served(lam: np.ndarray, chosen: np.ndarray) -> np.ndarray:
        by = chosen[cand.site] & (wd < lam[cand.point])
        return np.bincount(cand.point[by], minlength=cand.n)

    return _ascend(lam, lambda lam: _list_rho(cand, wd, lam), served, p, cand.fixed, upper, t0=t0,
                   iterations=iterations, patience=patience, seconds=seconds, tol=tol, f_min=1e-5, cap=cap)


def list_reduce(cand, w: np.ndarray, p: int, upper: float, lb: LagrangianBound) -> Reduction:
    """:func:`reduce` on candidate lists: the sites closed and opened in every optimal plan, and
    each point's reach (``reach_i >= T_i``: the point may be served by its tail).

    The pair bound and the ball bound of the module docstring, with the tail as one more server
    (``enter = 0``: always there). The ball bound is taken in a relaxed, vectorised form: with
    ``t`` chosen sites inside the ball, the ``t`` replacements are charged the ``t`` smallest
    ``rho`` left out of the chosen set *anywhere* (the exact bound takes them outside the ball):
    never more than the exact bound, so every statement stays valid, and one pass over the lists.
    """
    wd = w[cand.point] * cand.cost
    lam = lb.lam
    rho = _list_rho(cand, wd, lam)
    fixed = cand.fixed
    chosen = _choose(rho, p, fixed)
    L = float(lam.sum() + rho[chosen].sum())
    limit = upper + 1e-9 * max(abs(upper), 1.0)
    free_in, free_out = chosen & ~fixed, ~chosen
    rho_q = rho[free_in].max() if free_in.any() else np.inf
    rho_next = rho[free_out].min() if free_out.any() else np.inf
    enter = np.where(chosen, 0.0, rho - rho_q)
    closed = L + enter > limit
    opened = free_in & (L - rho + rho_next > limit)
    ok = (L + np.maximum(wd - lam[cand.point], 0.0) + enter[cand.site] <= limit) & ~closed[cand.site]
    reach = np.full(cand.n, -np.inf)
    np.maximum.at(reach, cand.point[ok], cand.cost[ok])
    tail_ok = L + np.maximum(w * cand.tail - lam, 0.0) <= limit
    reach = np.where(tail_ok & np.isfinite(cand.tail), cand.tail, reach)
    reach = np.minimum(reach, _list_ball_reach(cand, w, wd, lam, rho, fixed | opened, closed, p, limit))
    return Reduction(closed=closed, opened=opened, reach=reach, bound=L, upper=upper)


def _list_ball_reach(cand, w: np.ndarray, wd: np.ndarray, lam: np.ndarray, rho: np.ndarray,
                     forced: np.ndarray, closed: np.ndarray, p: int, limit: float) -> np.ndarray:
    """Each point's reach by the (relaxed) ball bound of :func:`list_reduce`: ``inf`` where the
    bound rules nothing out.

    Level ``D`` of point ``i`` (a listed distance, or its tail) closes the ball of the sites
    listed before it. With ``S`` the ``q`` smallest free ``rho`` (``q = p - |forced|``), a plan
    serving ``i`` from ``D`` or beyond costs at least ``sum lambda + rho(forced) + S - (rho of
    the chosen sites in the ball) + (the t smallest rho left out) + max(0, w_i D - lambda_i)``,
    infinite if a forced site is in the ball. Non-decreasing in ``D``, so the first level whose
    bound exceeds ``limit`` caps the reach just below it.
    """
    n = cand.n
    q = p - int(forced.sum())
    out = np.full(n, np.inf)
    free = ~forced & ~closed
    avail = np.flatnonzero(free)
    if q < 0 or len(avail) < q:
        return out
    order = avail[np.argsort(rho[avail], kind="stable")]
    base = float(lam.sum() + rho[forced].sum() + rho[order[:q]].sum())
    in_s = np.zeros(cand.m, dtype=bool)
    in_s[order[:q]] = True
    left = np.concatenate([[0.0], np.cumsum(rho[order[q:]])])  # the t smallest left out, summed
    # per pair: is its site chosen (free), forced; prefix sums within each row, exclusive
    s, c = cand.site, cand.cost
    chosen_rho = np.where(in_s[s], rho[s], 0.0)
    counts = cand.counts
    starts = cand.indptr[:-1]

    def exclusive(x: np.ndarray) -> np.ndarray:
        run = np.concatenate([[0.0], np.cumsum(x)])
        return run[:-1] - np.repeat(run[starts], counts)

    t = np.rint(exclusive(in_s[s].astype(float))).astype(np.int64)
    swallowed = exclusive(chosen_rho)
    blocked = exclusive(forced[s].astype(float)) > 0
    # the ball of a level is everything listed before its first pair
    level = np.r_[True, (cand.point[1:] != cand.point[:-1]) | (c[1:] != c[:-1])] if cand.nnz else np.zeros(0, bool)
    replace = np.where(t < len(left), left[np.minimum(t, len(left) - 1)], np.inf)
    pt = cand.point
    bound = base - swallowed + replace + np.maximum(wd - lam[pt], 0.0)
    bound = np.where(blocked, np.inf, bound)
    fail = level & (bound > limit)
    first_fail = np.full(n, -1, dtype=np.int64)
    idx = np.flatnonzero(fail)
    # the first failing level of each row (rows are in point order, so the first index wins)
    uniq, at = np.unique(pt[idx], return_index=True)
    first_fail[uniq] = idx[at]
    has_prev = first_fail > starts  # a failing level after the row's first: reach just below it
    prev = np.maximum(first_fail - 1, 0)
    out[has_prev] = c[prev[has_prev]]
    # the tail level: the whole list in the ball
    whole_t = np.bincount(pt, weights=in_s[s].astype(float), minlength=n).round().astype(np.int64)
    whole_sw = np.bincount(pt, weights=chosen_rho, minlength=n)
    whole_blocked = np.bincount(pt, weights=forced[s].astype(float), minlength=n) > 0
    tail_bound = base - whole_sw + np.where(whole_t < len(left), left[np.minimum(whole_t, len(left) - 1)], np.inf)
    tail_bound += np.maximum(w * cand.tail - lam, 0.0)
    tail_fail = (whole_blocked | (tail_bound > limit)) & (first_fail < 0) & np.isfinite(cand.tail) & (counts > 0)
    last = cand.indptr[1:] - 1
    out[tail_fail] = c[last[tail_fail]]
    return out
