"""What the multi-objective front-ends need of the pricing family (its ``Fronts``, see family.py).

Objectives (:data:`optmodels.pricing.instance.OBJECTIVES`): expected ``profit`` (max),
``patient_burden`` (min, the patient's fees ``f + t``) and ``participation`` (max, constant
unless participation is price-elastic). The shipped multi-objective instance is the
price-elastic Model 2 on a coarse fee lattice (``instances/pricing/elastic_model2_pareto.yaml``:
step 0.1, 132 fee pairs, so a front of many MILPs takes seconds and a test can enumerate it;
``elastic_model2.yaml`` is the same case at step 0.01, about one second per MILP). The default
front is profit vs patient burden over the lattice plus the continuous deposit; profit vs
participation is a finite set, proven by enumeration in the tests.

The objectives are not integer-valued, so the epsilon-constraint front is a sampled grid.
NSGA-II works on the family's :class:`~optmodels.pricing.problem.PricingProblem` (lattice indices
for ``f``, ``e``; real-coded operators, rounded inside the evaluator); no repair is needed since
the only constraint (viability ``U >= 0``) has no cheap fix.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyomo.environ as pyo

from optmodels.pricing.evaluate import fee_lattice
from optmodels.pricing.formulation import build, fee_values
from optmodels.pricing.instance import PricingInstance
from optmodels.pricing.problem import PricingProblem

INSTANCE = Path(__file__).resolve().parents[2] / "instances" / "pricing" / "elastic_model2_pareto.yaml"
DEFAULT_OBJECTIVES = ("profit", "patient_burden")


def build_model(instance: PricingInstance, objectives: list[str]) -> pyo.ConcreteModel:
    """The pricing model (all three objectives are named components; the front-ends pick)."""
    return build(instance, objective=objectives[0])


def problem(instance: PricingInstance, objectives: list[str]) -> PricingProblem:
    prob = PricingProblem(instance, objectives)
    fees = instance.fees
    prob.summary = lambda x: _fees_text({k: float(v[0]) for k, v in prob.decode(x).items()}, fees)
    return prob


def _fees_text(values: dict[str, float], fees: tuple[str, ...]) -> str:
    return " ".join(f"{fee}={values[fee]:.4g}" for fee in fees if fee in values)


def decision_summary(model_or_x: Any) -> str:
    if isinstance(model_or_x, pyo.Block):
        values = {}
        for fee in ("f", "e", "t", "g"):
            comp = model_or_x.component(fee)
            if comp is not None:
                values[fee] = float(pyo.value(comp))
        return _fees_text(values, tuple(values))
    return " ".join(f"x{i}={v:.4g}" for i, v in enumerate(np.asarray(model_or_x, dtype=float)))


def decision_vector(instance: PricingInstance, model: pyo.ConcreteModel) -> np.ndarray:
    """The PricingProblem decision of a solved model (lattice fees as level indices)."""
    fees = fee_values(model, instance)
    x = []
    for fee in instance.fees:
        value = fees[fee]
        if instance.elastic and fee in ("f", "e"):
            value = float(np.argmin(np.abs(fee_lattice(instance, fee) - value)))
        x.append(value)
    return np.array(x, dtype=float)
