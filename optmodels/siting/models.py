"""The siting models and objectives, as data: the one definition every layer reads.

:data:`OBJECTIVES` names every objective the family optimises (location and equity), with its
sense, label and unit. :data:`MODEL_SPECS` says per model which parameters it reads, which it
needs, its own objective and whether it assigns demand to sites or covers it within a radius.
Validation (:mod:`optmodels.siting.data.instance`), the builders, the numpy evaluator, the pymoo
Problem, brute force and the CLI flags read these tables instead of repeating lists of model
names, so a rule ("a budget applies to mclp, lscp_b, p_median, p_center, equity_siting") is
changed in one place.

No numpy, Pyomo or pydantic here: the CLI lists the models and objectives without importing them.
"""

from __future__ import annotations

from dataclasses import dataclass

from optmodels.contract import Objective, objective_table

OBJECTIVES = objective_table(
    Objective("cost", "min", "site cost (opened sites, minus closing savings)"),
    Objective("n_facilities", "min", "open sites", "sites"),
    Objective("distance", "min", "population-weighted total distance", "population x distance"),
    Objective("max_distance", "min", "largest assigned distance", "distance"),
    Objective("coverage", "max", "population within the radius of an open site", "population"),
    Objective("backup_coverage", "max", "population within the radius of two open sites", "population"),
    Objective("separation", "max", "smallest distance between two open sites", "distance"),
    Objective("total_cost", "min", "site cost + cost per distance x weighted distance"),
    Objective("access_variance", "min", "variance of accessibility (scaled by access.scale)"),
    Objective("access_mad", "min", "mean absolute deviation of accessibility (scaled by access.scale)"),
)
#: objectives of the equity models only (their builders are separate: optmodels.siting.access.equity)
EQUITY_OBJECTIVES = ("access_variance", "access_mad")
#: objectives of the location models (formulation.build adds any of them to any location model)
LOCATION_OBJECTIVES = tuple(o for o in OBJECTIVES if o not in EQUITY_OBJECTIVES)
#: what a front may trade off: the objectives both the MILP and the NSGA-II Problem evaluate
FRONT_OBJECTIVES = ("distance", "max_distance", "coverage", "backup_coverage", "cost", "n_facilities")


@dataclass(frozen=True)
class ModelSpec:
    """What one siting model reads and needs.

    ``accepts``: the ``parameters`` that enter its constraints (a value given for another is an
    input error, not silently ignored; ``radius`` and ``cutoff`` are accepted by every model:
    the radius also reports coverage and sets the default catchment, the cut-off only thins the
    pair set). ``needs``: parameters it cannot do without (``p_or_budget``: one of the two).
    ``fixed_p``: ``p`` fixes the number of open sites. ``assigns``: every demand point is served
    by an open site (assignment rows). ``covers``: a coverage radius defines the model.
    ``capacitated``: ``capacities`` may bind (``always`` for cflp).
    """

    name: str
    native: str
    accepts: frozenset[str]
    needs: frozenset[str] = frozenset()
    fixed_p: bool = False
    assigns: bool = False
    covers: bool = False
    capacitated: str = "no"  # "no" | "optional" | "always"
    equity: bool = False

    def takes(self, parameter: str) -> bool:
        return parameter in self.accepts


_ANY = frozenset({"radius", "cutoff"})

MODEL_SPECS: dict[str, ModelSpec] = {
    s.name: s
    for s in (
        ModelSpec("lscp", "cost", _ANY | {"capacitated", "assignment"}, frozenset({"radius"}),
                  covers=True, capacitated="optional"),
        ModelSpec("lscp_b", "backup_coverage", _ANY | {"p", "budget"}, frozenset({"radius"}),
                  fixed_p=True, covers=True),
        ModelSpec("mclp", "coverage", _ANY | {"p", "budget", "capacitated", "assignment"},
                  frozenset({"radius", "p_or_budget"}), fixed_p=True, covers=True, capacitated="optional"),
        ModelSpec("p_median", "distance", _ANY | {"p", "budget", "capacitated", "assignment"},
                  frozenset({"p"}), fixed_p=True, assigns=True, capacitated="optional"),
        ModelSpec("p_center", "max_distance", _ANY | {"p", "budget", "capacitated", "assignment"},
                  frozenset({"p"}), fixed_p=True, assigns=True, capacitated="optional"),
        ModelSpec("p_dispersion", "separation", _ANY | {"p"}, frozenset({"p"}), fixed_p=True),
        ModelSpec("cflp", "total_cost", _ANY | {"assignment", "cost_per_distance"}, assigns=True,
                  capacitated="always"),
        ModelSpec("equity_capacity", "access_variance", _ANY, equity=True),
        ModelSpec("equity_siting", "access_mad", _ANY | {"p", "budget"}, fixed_p=True, equity=True),
    )
}
MODELS: tuple[str, ...] = tuple(MODEL_SPECS)
LOCATION_MODELS: tuple[str, ...] = tuple(m for m, s in MODEL_SPECS.items() if not s.equity)
#: each location model's own objective
NATIVE: dict[str, str] = {m: MODEL_SPECS[m].native for m in LOCATION_MODELS}


def spec(model: str) -> ModelSpec:
    """The :class:`ModelSpec` of ``model`` (a ``KeyError`` listing the models otherwise)."""
    try:
        return MODEL_SPECS[model]
    except KeyError:
        raise KeyError(f"unknown siting model {model!r}; expected one of {', '.join(MODELS)}") from None


def capacities_bind(model: str, capacitated: bool) -> bool:
    """Whether site capacities are constraints of ``model`` with ``parameters.capacitated``."""
    s = MODEL_SPECS[model]
    return s.capacitated == "always" or (s.capacitated == "optional" and capacitated)


def p_fixes_count(model: str, p: int | None) -> bool:
    """Whether ``sum_j y_j = p`` is a constraint of ``model``."""
    return p is not None and MODEL_SPECS[model].fixed_p


def budget_binds(model: str, budget: float | None) -> bool:
    """Whether ``site cost <= budget`` is a constraint of ``model``."""
    return budget is not None and MODEL_SPECS[model].takes("budget")
