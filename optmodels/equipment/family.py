"""The equipment family as the rest of the suite sees it (the :class:`~optmodels.contract.Family`).

Pyomo-side functions are imported on first call, so listing the family (``optmodels --help``)
does not import Pyomo.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from optmodels.argtypes import nonnegative_int, positive_int
from optmodels.contract import Family, Flag, Fronts, lazy
from optmodels.equipment import commands
from optmodels.equipment.evaluate import evaluate
from optmodels.equipment.instance import OBJECTIVES, EquipmentInstance


def _from_document(data: dict[str, Any], file: str | Path | None = None) -> EquipmentInstance:
    return EquipmentInstance.from_dict(data, base=None if file is None else Path(file).parent, file=file)


def describe(instance: EquipmentInstance) -> str:
    d = instance.data
    return (
        f"{d.n_regions} regions, {d.n_hospitals} hospitals, {d.n_years} years, "
        f"{d.n_hospitals * d.n_years} binaries; objective {instance.objective}"
    )


def _solve(instance, options=None, *, objective=None, strategy="lazy"):
    from optmodels.equipment.solve import solve_equipment

    return solve_equipment(instance, options, objective=objective, strategy=strategy)


def _build(instance: EquipmentInstance, objective: str):
    from optmodels.equipment.formulation import build

    return build(instance, objective=objective)







def _generate(**params: Any) -> dict[str, Any]:
    from optmodels.equipment.generate import generate

    return generate(**params)


FAMILY = Family(
    name="equipment",
    title="large medical equipment: how many sets to add where and when (budget, queues, Gini band)",
    load=EquipmentInstance.from_file,
    from_document=_from_document,
    describe=describe,
    objectives=OBJECTIVES,
    default_objective=lambda instance: instance.objective,
    solve=_solve,
    evaluate=evaluate,
    build=_build,
    problem=lazy("optmodels.equipment.pareto:problem"),
    fronts=Fronts(
        build_model=lazy("optmodels.equipment.pareto:build_model"),
        decision_summary=lazy("optmodels.equipment.pareto:decision_summary"),
        default_objectives=lambda instance: ("cost", "equity"),
        decision_vector=lazy("optmodels.equipment.pareto:decision_vector"),
        shipped="instances/equipment/tiny_cost.toml",
    ),
    flags=(
        Flag(("--gini-strategy",), dest="strategy", choices=("lazy", "full", "tight"), default=None,
             help="add the Gini band only where it binds (lazy, exact; default), always (full), or "
                  "lazily with the region totals also tightened before the neighbourhood searches "
                  "(tight; see docs/equipment.md)"),
    ),
    generate=_generate,
    generate_flags=(
        Flag(("--regions",), type=positive_int, default=16, help="regions (default 16)"),
        Flag(("--hospitals",), type=positive_int, default=120, help="hospitals (default 120)"),
        Flag(("--years",), type=positive_int, default=5, help="planning years (default 5)"),
        Flag(("--seed",), type=nonnegative_int, default=0, help="random seed (default 0)"),
        Flag(("--band-binding",), choices=("lower", "upper", "none"),
             help="place the Gini band so that its lower or upper side binds, or neither "
                  "(default: the seed's band widened to contain the reference plan)"),
    ),
    commands=commands.COMMANDS,
    warm=lazy("optmodels.equipment.warm:WarmEquipment"),
)
