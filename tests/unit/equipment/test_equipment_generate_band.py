"""generate(..., band_binding=...) places the Gini band so that the asked side binds."""

from __future__ import annotations

import pytest

from optmodels.equipment import EquipmentInstance, evaluate, plan_from_model
from optmodels.equipment.formulation import build
from optmodels.equipment.generate import generate
from optmodels.equipment.heuristic import feasible_plan
from solvers import solve


@pytest.mark.parametrize(("m", "k", "n", "seed"), [(4, 12, 3, 0), (6, 24, 3, 0)])
@pytest.mark.parametrize("binding", ["lower", "upper", "none"])
def test_band_binding_side(m, k, n, seed, binding):
    inst = EquipmentInstance.from_dict(generate(m, k, n, seed, band_binding=binding))
    assert feasible_plan(inst) is not None  # feasible by construction
    model = build(inst, gini="none")
    assert solve(model).is_optimal
    ev = evaluate(inst, plan_from_model(model))  # the band-free optimum, against the band
    expected = {"lower": {"gini_mean_lower"}, "upper": {"gini_mean_upper"}, "none": set()}[binding]
    assert set(ev.violations) == expected


def test_band_binding_default_is_unchanged():
    assert generate(8, 60, 5, 0) == generate(8, 60, 5, 0, band_binding=None)
    with pytest.raises(ValueError, match="band_binding"):
        generate(8, 60, 5, 0, band_binding="both")
