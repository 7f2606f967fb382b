"""Large medical equipment quantity allocation (seed 003; spec §1)."""

from optmodels.equipment.evaluate import Evaluation, evaluate
from optmodels.equipment.formulation import build, plan_from_model
from optmodels.equipment.instance import OBJECTIVES, EquipmentInstance
from optmodels.equipment.solve import EquipmentSolution, solve_instance

__all__ = [
    "OBJECTIVES",
    "EquipmentInstance",
    "EquipmentSolution",
    "Evaluation",
    "build",
    "evaluate",
    "plan_from_model",
    "solve_instance",
]
