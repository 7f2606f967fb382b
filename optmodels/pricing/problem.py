"""The pymoo Problem of the pricing family (vectorised; built from the same Instance).

Decision vector: the variant's fees ``(f, e[, t, g])``. With price-independent participation
they are continuous in ``[lower bound, cap]``. With price-elastic participation (``lattice=True``,
the default then) ``f`` and ``e`` are *lattice indices* in ``[0, levels - 1]``, rounded to the
nearest integer inside ``_evaluate`` so that any real-coded operator can be used and the points
it evaluates are exactly those of the MILP's lattice; ``t`` and ``g`` stay continuous.

Objectives are chosen by name from :data:`~optmodels.pricing.instance.OBJECTIVES`; pymoo
minimises, so every maximised objective (``profit``, ``participation``) is **negated** in ``F``
(``F = -U`` for profit). One inequality constraint, viability ``G = -U <= 0`` (feasible when
``G <= 0``, pymoo's convention).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pymoo.core.problem import Problem

from optmodels.pricing.evaluate import evaluate, fee_lattice
from optmodels.pricing.instance import OBJECTIVES, PricingInstance


class PricingProblem(Problem):
    """Multi-objective pricing over the fees; maximised objectives negated, ``G = -U <= 0``."""

    def __init__(
        self,
        instance: PricingInstance,
        objectives: Sequence[str] = ("profit", "patient_burden"),
        *,
        lattice: bool | None = None,
        lattice_step: float | None = None,
    ) -> None:
        unknown = [o for o in objectives if o not in OBJECTIVES]
        if unknown or not objectives:
            raise ValueError(f"unknown objectives {unknown}; expected names from {list(OBJECTIVES)}")
        self.instance = instance
        self.objective_names = tuple(objectives)
        self.senses = tuple(OBJECTIVES[o].sense for o in objectives)
        self.lattice = instance.elastic if lattice is None else bool(lattice)
        self.fees = instance.fees
        lower, upper = instance.lower_bounds(), instance.upper_bounds()
        xl = np.array([lower[fee] for fee in self.fees], dtype=float)
        xu = np.array([upper[fee] for fee in self.fees], dtype=float)
        self.levels: dict[str, np.ndarray] = {}
        if self.lattice:
            for k, fee in enumerate(("f", "e")):
                self.levels[fee] = fee_lattice(instance, fee, lattice_step)
                xl[k], xu[k] = 0.0, float(len(self.levels[fee]) - 1)
        super().__init__(n_var=len(self.fees), n_obj=len(objectives), n_ieq_constr=1, xl=xl, xu=xu)

    def decode(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Decision vectors (rows) -> fee arrays (lattice indices mapped to fee levels)."""
        x = np.atleast_2d(np.asarray(x, dtype=float))
        out = {}
        for k, fee in enumerate(self.fees):
            col = x[:, k]
            if fee in self.levels:
                idx = np.clip(np.rint(col), 0, len(self.levels[fee]) - 1).astype(int)
                col = self.levels[fee][idx]
            out[fee] = col
        return out

    def _evaluate(self, x, out, *args, **kwargs):
        ev = evaluate(self.instance, **self.decode(x))
        cols = []
        for name, sense in zip(self.objective_names, self.senses, strict=False):
            value = np.asarray(ev.objective(name), dtype=float)
            cols.append(-value if sense == "max" else value)
        out["F"] = np.column_stack(cols)
        out["G"] = (-np.asarray(ev.U, dtype=float)).reshape(-1, 1)
