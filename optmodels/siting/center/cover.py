r"""The p-center decision on a set of demand points: can ``p`` sites serve each of them within ``r``?

Symbols
-------
==========================  ===================================================================
``S``                       the demand points of the relaxation (:mod:`~.relaxation`)
``F``                       sites that must be open (existing, not closable); ``k = p - |F|``
``N_i(r)``                  the sites with ``d_ij <= r`` (no pair beyond the cut-off)
``y_j`` in {0,1}            free site ``j`` open
``c_j``                     what opening free site ``j`` adds to the site cost: ``f_j`` for a new
                            site, ``s_j`` (the saving forgone) for a closable existing one
``B'``                      the budget less the site cost of the plan that opens no free site
==========================  ===================================================================

Model (a set covering with a cardinality row; ``cover_model``)::

    min  sum_j y_j                                                          (n_open)
    s.t. sum_{j in N_i(r)} y_j >= 1       for every point i of S not within r of F  (cover)
         sum_j y_j <= k                                                     (count)

With a budget the count is exact, ``sum_j y_j = k`` (a cover with fewer sites may not be
completed within the budget), ``sum_j c_j y_j <= B'`` is added (``budget``) and the objective is
``sum_j c_j y_j``. HiGHS is told to stop at the first feasible point (``mip_max_improving_sols =
1``), since only feasibility is asked.

Exact reductions before the solver sees it (:func:`cover_rows`), repeated until nothing changes:

* a point within ``r`` of a site in ``F`` is served whatever is chosen: its row goes;
* a point with no site within ``r`` answers *no* at once;
* points with the same ``N_i`` are one row (ties in the distances make many);
* a row whose ``N_i`` contains another row's ``N_l`` is implied by it: it goes (``A A^T``);
* without a budget, a site whose covered rows are a subset of another site's is never needed:
  it goes; of sites covering the very same rows one, the lowest index, stays (``A^T A``). With a
  budget a cheaper dominated site may be what the budget needs, so the columns stay.

Before the MILP a heuristic looks for a cover with ``k`` sites (:func:`heuristic`: the last plan
carried over to the remaining columns (:meth:`Cover.carry`), the site covering most uncovered rows
up to ``k``, then a row-weighting local search): when it finds one the answer is *yes* without a
solver; only its failure leaves the question to the MILP. Between the two a lower bound on the
cover number above the LP's (:mod:`~.bound`: regions of the row-site graph solved exactly, the
rows straddling them priced by the LP's duals) may prove *no* where the LP is just below ``k``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pyomo.environ as pyo
import scipy.sparse as sp
from pyomo.core.expr.numeric_expr import LinearExpression

from optmodels.siting.center.bound import region_bound
from solvers import SolveOptions, SolveResult, Termination, gc_paused, solve


@dataclass
class Reductions:
    """What the reductions removed, summed over the decisions (for the notes)."""

    served_by_fixed: int = 0
    merged: int = 0
    dominated_rows: int = 0
    dominated_columns: int = 0

    def add(self, other: Reductions) -> None:
        for name in ("served_by_fixed", "merged", "dominated_rows", "dominated_columns"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass(frozen=True)
class Rows:
    """The costs of the relaxation's points to the sites that may matter, in CSR form: row ``t``
    (point ``points[t]``) lists ``site[indptr[t]:indptr[t+1]]`` at ``cost[...]``. Pairs not
    listed are no closer than any radius still to be tried (they are dropped as the upper
    bound falls)."""

    indptr: np.ndarray
    site: np.ndarray
    cost: np.ndarray
    m: int

    @property
    def n(self) -> int:
        return len(self.indptr) - 1

    @classmethod
    def of(cls, block: np.ndarray, below: float) -> Rows:
        """The pairs of a dense block (points x sites) with a cost ``< below``."""
        i, j = np.nonzero(block < below)
        indptr = np.concatenate([[0], np.cumsum(np.bincount(i, minlength=block.shape[0]))]).astype(np.int64)
        return cls(indptr, j.astype(np.int32), block[i, j], block.shape[1])

    def stack(self, other: Rows) -> Rows:
        return Rows(np.concatenate([self.indptr, other.indptr[1:] + self.indptr[-1]]),
                    np.concatenate([self.site, other.site]), np.concatenate([self.cost, other.cost]), self.m)

    def below(self, limit: float) -> Rows:
        """Only the pairs with a cost ``< limit``."""
        keep = self.cost < limit
        counts = np.add.reduceat(keep.astype(np.int64), self.indptr[:-1]) if len(keep) else np.zeros(self.n, np.int64)
        counts[np.diff(self.indptr) == 0] = 0  # reduceat repeats the next value for empty rows
        return Rows(np.concatenate([[0], np.cumsum(counts)]).astype(np.int64), self.site[keep], self.cost[keep], self.m)

    def within(self, r: float) -> sp.csr_matrix:
        """The 0/1 matrix (points x sites) of the pairs with ``d_ij <= r``."""
        keep = self.cost <= r
        point = np.repeat(np.arange(self.n), np.diff(self.indptr))[keep]
        return sp.csr_matrix((np.ones(int(keep.sum()), dtype=np.int32), (point, self.site[keep])), shape=(self.n, self.m))


@dataclass(frozen=True)
class Cover:
    """The reduced rows of a decision: ``matrix`` (rows x columns, 0/1 CSR), ``sites`` (the
    site of each column), ``empty`` (some point has no site within ``r``: the answer is no),
    ``into`` (per site: a site whose rows contain its rows, where the column reduction dropped
    it, else -1 -- the local search carries an earlier plan over through it)."""

    matrix: sp.csr_matrix
    sites: np.ndarray
    empty: bool
    reductions: Reductions = field(default_factory=Reductions)
    into: np.ndarray | None = None

    def carry(self, plan: np.ndarray) -> np.ndarray:
        """The columns that serve every row ``plan``'s sites serve: each dropped site replaced
        by the site that dominated it (repeatedly: domination chains end), then the columns."""
        plan = np.asarray(plan, dtype=np.int64)
        if self.into is not None:
            for _ in range(len(self.sites) + 1):
                nxt = self.into[plan]
                if not (nxt >= 0).any():
                    break
                plan = np.where(nxt >= 0, nxt, plan)
        return np.flatnonzero(np.isin(self.sites, plan))


def cover_rows(rows: Rows, r: float, fixed: np.ndarray, *, drop_columns: bool = True) -> Cover:
    """The reduced set-cover rows of the relaxation's points at ``r`` (module docstring); the
    columns are the free sites."""
    red = Reductions()
    within = rows.within(r)
    served = np.asarray(within[:, np.flatnonzero(fixed)].sum(axis=1)).ravel() > 0
    red.served_by_fixed = int(served.sum())
    free = np.flatnonzero(~fixed)
    A = within[np.flatnonzero(~served)][:, free].tocsr()
    A.sum_duplicates()
    if A.shape[0] and (A.getnnz(axis=1) == 0).any():
        return Cover(A, free, True, red)
    sites = free
    into = np.full(len(fixed), -1, dtype=np.int64)
    while True:
        before = A.shape
        A, merged = _merge_rows(A)
        A, dominated = _drop_dominated_rows(A)
        red.merged += merged
        red.dominated_rows += dominated
        if drop_columns:
            keep, by = _undominated_columns(A)
            red.dominated_columns += int((~keep).sum())
            into[sites[by[:, 0]]] = sites[by[:, 1]]
            A, sites = A[:, keep].tocsr(), sites[keep]
        if A.shape == before:
            break
    return Cover(A, sites, False, red, into if drop_columns else None)


def _merge_rows(A: sp.csr_matrix) -> tuple[sp.csr_matrix, int]:
    """One row per distinct ``N_i``."""
    A.sort_indices()
    seen: dict[bytes, int] = {}
    keep = [seen.setdefault(A.indices[A.indptr[i] : A.indptr[i + 1]].tobytes(), i) == i for i in range(A.shape[0])]
    keep = np.asarray(keep, dtype=bool)
    return A[keep], int((~keep).sum())


def _drop_dominated_rows(A: sp.csr_matrix) -> tuple[sp.csr_matrix, int]:
    """Drop each row that contains another row (rows are distinct: strict containment)."""
    if A.shape[0] < 2:
        return A, 0
    size = A.getnnz(axis=1)
    common = (A @ A.T).tocoo()
    # N_l within N_a: |N_a & N_l| = |N_l|, a != l -> row a is implied by row l
    hit = (common.data == size[common.col]) & (common.row != common.col)
    drop = np.zeros(A.shape[0], dtype=bool)
    drop[common.row[hit]] = True
    return A[~drop], int(drop.sum())


def _undominated_columns(A: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """Mask of the columns to keep: none whose rows lie within another's (ties: lowest index);
    and pairs ``(a, b)``: column ``a`` dropped, ``b`` covers its rows (one ``b`` per ``a``;
    a column covering no row has none)."""
    size = A.getnnz(axis=0)
    keep = size > 0
    common = (A.T @ A).tocoo()
    a, b, c = common.row, common.col, common.data
    # T_a within T_b: |T_a & T_b| = |T_a|; equal sets keep the lower index
    hit = (a != b) & (c == size[a]) & ((size[b] > size[a]) | (b < a))
    keep[a[hit]] = False
    a, b = a[hit], b[hit]
    first = np.unique(a, return_index=True)[1]
    return keep, np.column_stack([a[first], b[first]]).astype(np.int64)


def packing(cover: Cover) -> int:
    """The size of a set of rows no two of which share a site, picked greedily (fewest sites
    first): every cover needs a distinct site for each, so more than ``k`` of them answer *no*
    with no solver (the LP's dual in integers; radii well below the optimum end here)."""
    A = cover.matrix
    if A.shape[0] == 0:
        return 0
    overlap = (A @ A.T).tocsr()
    blocked = np.zeros(A.shape[0], dtype=bool)
    size = 0
    for i in np.argsort(A.getnnz(axis=1), kind="stable"):
        if not blocked[i]:
            size += 1
            blocked[overlap.indices[overlap.indptr[i] : overlap.indptr[i + 1]]] = True
    return size


def heuristic(cover: Cover, limit: int, start: np.ndarray | None = None, *, iterations: int = 0,
              seed: int = 0) -> np.ndarray | None:
    """Sites of a cover of every row with at most ``limit`` sites, or ``None`` when none was
    found: the sites of ``start`` (a plan of an earlier decision) carried to columns, filled
    greedily (the site covering most uncovered rows) up to ``limit``, then up to ``iterations``
    steps of :func:`row_weighting`."""
    A = cover.matrix
    if A.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    if limit <= 0:
        return None
    At = A.T.tocsr()
    chosen = [] if start is None else cover.carry(start)[:limit].tolist()
    count = np.zeros(A.shape[0], dtype=np.int32)
    for j in chosen:
        count[At.indices[At.indptr[j] : At.indptr[j + 1]]] += 1
    while len(chosen) < min(limit, A.shape[1]) and (count == 0).any():
        j = int(np.argmax(At @ (count == 0).astype(np.int32)))
        chosen.append(j)
        count[At.indices[At.indptr[j] : At.indptr[j + 1]]] += 1
    if (count == 0).any():
        chosen = row_weighting(A, At, chosen, count, iterations, np.random.default_rng(seed))
    return None if chosen is None else cover.sites[np.array(chosen, dtype=np.int64)]


def row_weighting(A: sp.csr_matrix, At: sp.csr_matrix, chosen: list[int], count: np.ndarray, iterations: int,
                  rng: np.random.Generator, tenure: int = 3) -> list[int] | None:
    """A row-weighting local search for a cover with ``len(chosen)`` sites (after Gao, Weise &
    Li 2015 for the unicost set covering problem), or ``None`` after ``iterations`` steps.

    Every uncovered row carries a weight ``w_i`` that grows by one at each step it stays
    uncovered, so the search cannot settle in a local optimum: a step removes the chosen site
    whose rows covered only by it weigh least (not the one just added), then adds, among the
    sites of a random uncovered row, the one covering the most uncovered weight (not one removed
    in the last ``tenure`` steps). Ties are broken at random.
    """
    n, m = A.shape
    chosen = np.array(chosen, dtype=np.int64)
    in_plan = np.zeros(m, dtype=bool)
    in_plan[chosen] = True
    weight = np.ones(n)
    added = np.full(m, -1)
    removed = np.full(m, -tenure - 1)
    for step in range(iterations):
        loss = _row_sums(At, chosen, np.where(count == 1, weight, 0.0))
        loss[added[chosen] == step - 1] = np.inf
        out = int(np.argmin(loss + rng.random(len(loss)) * 1e-9))
        leaving = chosen[out]
        count[At.indices[At.indptr[leaving] : At.indptr[leaving + 1]]] -= 1
        in_plan[leaving], removed[leaving] = False, step
        uncovered = np.flatnonzero(count == 0)
        i = uncovered[rng.integers(len(uncovered))]
        sites = A.indices[A.indptr[i] : A.indptr[i + 1]]
        sites = sites[~in_plan[sites]]
        allowed = sites[removed[sites] < step - tenure + 1]
        sites = allowed if allowed.size else sites
        gain = _row_sums(At, sites, np.where(count == 0, weight, 0.0))
        j = int(sites[np.argmax(gain + rng.random(len(gain)) * 1e-9)])
        count[At.indices[At.indptr[j] : At.indptr[j + 1]]] += 1
        in_plan[j], added[j], chosen[out] = True, step, j
        if not (count == 0).any():
            return chosen.tolist()
        weight[count == 0] += 1.0
    return None


def _row_sums(M: sp.csr_matrix, rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``M[rows] @ values`` for a 0/1 CSR ``M``, without building the row slice (the local
    search asks this twice a step; scipy's fancy indexing cost ten times the arithmetic)."""
    starts = M.indptr[rows]
    counts = M.indptr[np.asarray(rows) + 1] - starts
    offsets = np.cumsum(counts) - counts
    pos = np.repeat(starts - offsets, counts) + np.arange(int(counts.sum()))
    return np.bincount(np.repeat(np.arange(len(rows)), counts), weights=values[M.indices[pos]], minlength=len(rows))


def _linear(coefs, variables) -> LinearExpression:
    return LinearExpression(constant=0.0, linear_coefs=list(coefs), linear_vars=list(variables))


@gc_paused
def cover_model(cover: Cover, k: int, cost: np.ndarray | None = None, budget: float | None = None) -> pyo.ConcreteModel:
    """The decision MILP of the module docstring (``cost``/``budget``: per free column, the
    reduced budget ``B'``; both or neither)."""
    A = cover.matrix
    ncol = A.shape[1]
    model = pyo.ConcreteModel(name="p_center_cover")
    model._sites = cover.sites
    model.J = pyo.RangeSet(0, ncol - 1, doc="free candidate sites left after the reductions")
    model.y = pyo.Var(model.J, domain=pyo.Binary, doc="1 if free site j is open")
    ys = [model.y[j] for j in range(ncol)]
    ptr, idx = A.indptr.tolist(), A.indices.tolist()
    model.I = pyo.RangeSet(0, A.shape[0] - 1, doc="points of S to serve (merged, undominated)")
    model.cover = pyo.Constraint(
        model.I, rule=lambda _, i: (1.0, _linear([1.0] * (ptr[i + 1] - ptr[i]), [ys[j] for j in idx[ptr[i] : ptr[i + 1]]]), None),
        doc="some open site within r of each point",
    )
    count = _linear([1.0] * ncol, ys)
    if budget is None:
        model.count = pyo.Constraint(expr=count <= k, doc="at most k = p - |F| free sites open")
        model.n_open = pyo.Objective(expr=count, sense=pyo.minimize, doc="free sites open")
    else:
        model.count = pyo.Constraint(expr=count == k, doc="exactly k = p - |F| free sites open")
        spend = _linear([float(c) for c in cost], ys)
        model.budget = pyo.Constraint(expr=spend <= budget, doc="site cost within the budget")
        model.spend = pyo.Objective(expr=spend, sense=pyo.minimize, doc="site cost of the free sites")
    return model


@dataclass(frozen=True)
class Answer:
    """One decision: ``feasible`` True (``sites`` serve every row), False (proven impossible),
    or None (stopped: time limit or Ctrl-C, the last result says which); ``by`` says what
    answered (``empty``, ``packing``, ``heuristic``, ``regions``, ``milp``); ``results`` holds every MILP run for it."""

    feasible: bool | None
    sites: np.ndarray | None
    by: str
    results: tuple[SolveResult, ...] = ()
    model: pyo.ConcreteModel | None = None


#: row-weighting steps tried before any MILP, and after a short MILP left the question open
QUICK_STEPS, LONG_STEPS = 3_000, 30_000
#: at most this many steps per row of the cover before the first MILP: small covers are
#: HiGHS's in a fraction of a second, while a step costs about the same at any size
STEPS_PER_ROW = 5
#: seconds of the first MILP: most decisions are settled by HiGHS within it (the radii far from
#: the optimum have an LP bound above k, or an easy cover); a decision still open after it is a
#: tight one, for which the row-weighting search finds a cover ten times sooner than HiGHS
#: (500-1,000 rows, k = 100: 1-7 s against 20-100 s)
SHORT_MILP = 5.0
#: the share of the short MILP's seconds the regional bound may take before it
REGION_SHARE = 0.5


def decide(cover: Cover, k: int, options: SolveOptions, *, cost: np.ndarray | None = None,
           budget: float | None = None, start: np.ndarray | None = None, full: bool = True,
           repaired: bool = False, short: float = SHORT_MILP) -> Answer:
    """Answer the decision of ``cover`` with ``k`` free sites (and a budget, if given): the
    packing bound, a quick heuristic (from the sites ``start``, when given), the regional bound
    (:func:`~.bound.region_bound`), a short MILP, a
    longer heuristic, then -- if ``full`` -- the MILP with the time left (otherwise the answer
    may be None: left open). With a budget only the MILP answers (the heuristic does not price
    sites). ``repaired``: the radius is decided again after S grew, ``start`` being its cover on
    the smaller S -- the quick heuristic then takes the long search's steps. ``short``: the seconds
    of the short MILP."""
    if cover.empty or (budget is not None and cover.sites.size < k):
        return Answer(False, None, "empty")
    if packing(cover) > k:
        return Answer(False, None, "packing")
    if budget is not None:
        return _milp(cover, k, options, cost, budget, ())
    # a repair (``repaired``: ``start`` covered this radius on a smaller S, a few rows ago) is
    # almost always a yes that the long search finds from that start: measured on the 30k
    # province, the short MILP before it timed out in every repair and the long search then
    # answered -- so the long search goes first there
    steps = LONG_STEPS if repaired else min(QUICK_STEPS, STEPS_PER_ROW * cover.matrix.shape[0])
    found = heuristic(cover, k, start, iterations=steps, seed=options.seed)
    if found is not None:
        return Answer(True, found, "heuristic")
    limit = short if options.time_limit is None else min(short, options.time_limit)
    # a no near the optimum radius, where the LP is just below k and HiGHS's tree does not close
    # in its slice: regions solved exactly, the straddling rows priced by the LP's duals
    # (:mod:`~.bound`), given half the slice
    if region_bound(cover.matrix, k, limit * REGION_SHARE, seed=options.seed).proven:
        return Answer(False, None, "regions")
    first = _milp(cover, k, dataclasses.replace(options, time_limit=limit), cost, budget, ())
    if first.feasible is not None or first.results[-1].termination is not Termination.TIME_LIMIT:
        return first
    found = heuristic(cover, k, start, iterations=LONG_STEPS, seed=options.seed + 1)
    if found is not None:
        return Answer(True, found, "heuristic", first.results)
    if not full:
        return Answer(None, None, "open", first.results, first.model)
    return _milp(cover, k, options, cost, budget, first.results)


def _milp(cover: Cover, k: int, options: SolveOptions, cost: np.ndarray | None, budget: float | None,
          before: tuple[SolveResult, ...]) -> Answer:
    model = cover_model(cover, k, cost, budget)
    # only feasibility is asked: every feasible point is a yes, so HiGHS stops at its first one
    # (mip_max_improving_sols = 1). objective_target = k did not stop it: HiGHS stops only below
    # the target, and the covers near the optimum radius use exactly k sites -- it went on to
    # prove their count minimal, a full decision's whole time. "no" is an expected answer of a
    # decision: no infeasible subsystem is searched for it
    opts = dataclasses.replace(options, solver_options={"mip_max_improving_sols": 1, **options.solver_options},
                               explain_infeasible=False)
    result = solve(model, opts)
    results = (*before, result)
    if result.has_solution:
        y = np.array([model.y[j].value for j in range(cover.matrix.shape[1])]) > 0.5
        return Answer(True, cover.sites[y], "milp", results, model)
    if result.termination is Termination.INFEASIBLE:
        return Answer(False, None, "milp", results, model)
    return Answer(None, None, "milp", results, model)
