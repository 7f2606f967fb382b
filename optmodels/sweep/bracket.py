"""Solving a chunk of scenarios: in order, or by bracketing where the swept parameter is monotone.

A chunk's scenarios are validated one by one and gathered into *runs*: maximal stretches of
neighbours each of which relaxes the one before (or each restricts it), as the family's warm
session judges (:meth:`optmodels.contract.MonotoneSolver.relaxes`: a larger budget, a wider Gini
band, a larger radius or ``p`` for coverage). Along a run ``r_0 .. r_n``, ordered from the most
restricted, the optimum is monotone and

* the plan of ``r_i``, carried to ``r_k`` (``k > i``; as is, or repaired by the family), is
  feasible there and no worse than at ``r_i``;
* a valid bound of ``r_j`` is a valid bound of every ``r_k`` with ``k < j``.

So once ``r_i`` and ``r_j`` are settled, a scenario ``r_k`` between them whose carried plan is
within the MIP gap of ``r_j``'s bound is *inferred*: that plan, re-checked by the family's
evaluator on ``r_k``, with ``r_j``'s bound, verdict ``optimal`` under the same gap rule a solve
follows (:func:`optmodels.contract.within_gap`). No solver runs for it. The run is settled as
the ends first, then bisection: the midpoint of an unsettled stretch is inferred when its carried
plan passes, else solved with that carried plan as a MIP start (``source`` ``neighbour``); an
inferred midpoint is a settled end like a solved one (its plan is feasible for every later
scenario, its bound valid for every earlier one). A plateau of the optimum -- a budget or a
radius past the point where it binds -- thus costs two solves and a few evaluations, and the
first rise after it is found in a logarithmic number of solves.

Where the nesting does not hold (a cost coefficient changed, the model's shape changed, a family
without :class:`~optmodels.contract.MonotoneSolver`, ``warm=False``) the run has one scenario and
the chunk is solved in order, as before. An invalid scenario ends a run; a scenario whose solve
raised settles as one without a plan or bound (its neighbours are solved).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Sequence
from typing import Any

from optmodels.sweep.run import Plan, Prepared, inferred_row, prepare, solve_prepared
from optmodels.sweep.spec import Scenario

#: the longest run held at once (its validated instances and settled plans stay in memory)
MAX_RUN = 1024


class Chunk:
    """One chunk's scenarios, solved with one warm session; ``emit(row)`` records each row as it
    is settled (and raises ``KeyboardInterrupt`` to stop), ``done(key)`` says a row exists."""

    def __init__(self, fam: Any, plan: Plan, new_session: Callable[[], Any], emit: Callable[[dict], None],
                 done: Callable[[str], bool]) -> None:
        self.fam, self.plan, self.new_session, self.emit, self.done = fam, plan, new_session, emit, done
        self.session = new_session()
        self.monotone = (self.session is not None and callable(getattr(self.session, "relaxes", None))
                         and callable(getattr(self.session, "carry", None)))

    def run(self, items: Sequence[tuple[str, Scenario]]) -> None:
        stretch: list[Prepared] = []
        direction = 0
        for key, scenario in items:
            if self.done(key):
                continue  # finished meanwhile (a Dask retry, or another sweep into the same folder)
            prepared = prepare(self.fam, self.plan, scenario, key)
            if prepared.row is not None:  # invalid: no instance, and the end of a run
                self.settle(stretch, direction)
                stretch, direction = [], 0
                self.emit(prepared.row)
                continue
            if stretch:
                step = self.direction(stretch[-1].instance, prepared.instance) if self.monotone else 0
                if step == 0 or (direction and step != direction) or len(stretch) >= MAX_RUN:
                    self.settle(stretch, direction)
                    stretch, direction = [], 0
                else:
                    direction = step
            stretch.append(prepared)
        self.settle(stretch, direction)

    def direction(self, a: Any, b: Any) -> int:
        """+1: ``b`` relaxes ``a``; -1: ``a`` relaxes ``b``; 0: neither (solve in order)."""
        try:
            if self.session.relaxes(a, b):
                return 1
            if self.session.relaxes(b, a):
                return -1
        except Exception:  # noqa: BLE001 - a relation the family cannot judge is no relation
            return 0
        return 0

    # ----------------------------------------------------------------------------------------

    def settle(self, stretch: list[Prepared], direction: int) -> None:
        """Rows for every scenario of a run: ends solved, the inside inferred or bisected."""
        if not stretch:
            return
        run = stretch[::-1] if direction < 0 else stretch  # most restricted first
        settled: list[Any] = [None] * len(run)
        settled[0] = self.solve(run[0])
        if len(run) == 1:
            return
        settled[-1] = self.solve(run[-1], donor=settled[0])
        todo = [(0, len(run) - 1)]
        while todo:
            i, j = todo.pop()
            if j - i < 2:
                continue
            m = (i + j) // 2
            settled[m] = self.infer_or_solve(run[m], settled[i], settled[j])
            todo += [(m, j), (i, m)]  # the lower half first (LIFO), as a reader would

    def infer_or_solve(self, prepared: Prepared, donor: Any, relaxed: Any) -> Any:
        """The scenario between a settled ``donor`` (more restricted) and ``relaxed``: inferred
        when the donor's carried plan is within the gap of ``relaxed``'s bound, else solved from
        that plan.

        ``relaxed``'s bound is not handed to the solve. As a cut on the MCLP's objective
        (``solve_siting(bound_hint=...)``) it was measured both ways on pmed16: from the next
        scenario it took p = 8 at radius 40 from 4.4 to 1.5 CPU-s, but p = 13 and 18 at radius 30
        from 1.6 and 2.4 to 3.5 and 4.7; over the radius-30 sweep warm was 0.96x of cold with it
        (0.91x with far neighbours' bounds). A gain that does not hold is not worth a row saying
        ``neighbour``."""
        t0, cpu0 = time.perf_counter(), time.process_time()
        bound = _bound(relaxed)
        carried = self.carry(prepared, donor, bound)
        if carried is not None and bound is not None and carried.result.is_optimal:
            self.emit(inferred_row(self.plan, prepared, carried, t0, cpu0))
            return carried
        return self.solve(prepared, start=carried)

    def carry(self, prepared: Prepared, donor: Any, bound: float | None) -> Any:
        if donor is None or not donor.has_solution:
            return None
        options = self.fam.tuned(prepared.instance, self.plan.options)
        try:
            carried = self.session.carry(prepared.instance, donor, bound, options)
        except Exception:  # noqa: BLE001 - a plan that cannot be carried is solved for instead
            return None
        return carried if carried is not None and carried.has_solution else None

    def solve(self, prepared: Prepared, *, donor: Any = None, start: Any = None) -> Any:
        """Solve one scenario (from ``start``, or ``donor``'s plan carried); its Solution (without
        its Pyomo model, which a run need not keep alive) or ``None``."""
        if start is None and donor is not None and self.monotone:
            start = self.carry(prepared, donor, None)
        row, solution = solve_prepared(self.fam, self.plan, prepared, self.session, start=start)
        if row["status"] == "error" and self.session is not None:
            # a solve that raised may have left the live model half-changed
            self.session = self.new_session()
        self.emit(row)
        if solution is None:
            return None
        return dataclasses.replace(solution, model=None)


def _bound(solution: Any) -> float | None:
    """A settled scenario's valid bound (``None``: none known)."""
    if solution is None:
        return None
    bound = solution.result.bound
    return bound if bound is not None and math.isfinite(bound) else None
