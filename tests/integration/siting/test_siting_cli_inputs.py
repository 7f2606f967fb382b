"""Inputs that used to end in "internal error": p-dispersion on a demand-to-site matrix, objectives
that need a radius or a backup indicator on another model, E2SFCA without steps. Each now either
solves correctly (checked by enumeration) or exits 2 naming the field."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from optmodels.errors import InstanceError, UsageError
from optmodels.siting.data.instance import SitingInstance, load
from optmodels.siting.evaluate import evaluate
from optmodels.siting.formulation import build, decode
from solvers import solve


def _best_separation(dss: np.ndarray, p: int) -> float:
    return max(
        min(dss[a, b] for a, b in itertools.combinations(combo, 2))
        for combo in itertools.combinations(range(len(dss)), p)
    )


def test_p_dispersion_on_sf_matrix_uses_site_coordinates(instances_dir, solve_flags):
    path = instances_dir / "siting" / "sf" / "sf_p_median.json"
    inst = load(path).with_changes("p_dispersion")
    dss = inst.site_cost_matrix()
    # lon/lat great-circle distances, in metres as the file's matrix (unit: m)
    assert dss.shape == (16, 16)
    assert np.allclose(np.diag(dss), 0.0)
    assert 100 < dss[dss > 0].min() < dss.max() < 20_000
    solution = solve_flags(path, ["--model", "p_dispersion"])
    assert solution.result.objective == pytest.approx(_best_separation(dss, 4), rel=1e-6)
    opened = np.flatnonzero(solution.decision.open)
    assert min(dss[a, b] for a, b in itertools.combinations(opened, 2)) == pytest.approx(solution.result.objective, rel=1e-9)


def test_p_dispersion_without_site_distances_is_an_instance_error(tmp_path, solve_flags):
    cost = np.array([[1.0, 2.0, 3.0], [2.0, 1.0, 4.0]])
    with pytest.raises(InstanceError, match="site_matrix"):
        SitingInstance.from_arrays(cost, model="p_dispersion", p=2)
    inst = SitingInstance.from_arrays(cost, p=2)  # a p-median is fine; switching is not
    with pytest.raises(InstanceError, match="site_matrix"):
        build(inst, model="p_dispersion")
    # given site-to-site costs, it solves: the farthest pair (0, 2) at 5
    with_sites = SitingInstance.from_arrays(
        cost, model="p_dispersion", p=2, site_cost=np.array([[0, 1, 5], [1, 0, 2], [5, 2, 0.0]])
    )
    mdl = build(with_sites)
    assert solve(mdl).objective == pytest.approx(5.0)
    assert decode(mdl)[0].tolist() == [True, False, True]
    # the same from files: a dense site x site table beside the instance
    (tmp_path / "cost.csv").write_text("demand_id,a,b,c\nd1,1,2,3\nd2,2,1,4\n")
    (tmp_path / "sites.csv").write_text("site_id,a,b,c\na,0,1,5\nb,1,0,2\nc,5,2,0\n")
    doc = {
        "family": "siting", "model": "p_dispersion", "parameters": {"p": 2},
        "demand": [{"id": "d1"}, {"id": "d2"}], "sites": [{"id": "a"}, {"id": "b"}, {"id": "c"}],
        "distance": {"kind": "matrix", "format": "dense", "matrix": "cost.csv"},
    }
    (tmp_path / "none.json").write_text(json.dumps(doc))
    with pytest.raises(InstanceError, match="distance.site_matrix"):
        solve_flags(tmp_path / "none.json")
    doc["distance"]["site_matrix"] = "sites.csv"
    (tmp_path / "given.json").write_text(json.dumps(doc))
    assert solve_flags(tmp_path / "given.json").result.objective == pytest.approx(5.0)


def test_backup_coverage_objective_on_other_models_matches_enumeration(instances_dir):
    inst = load(instances_dir / "siting" / "small" / "small_lscp_b.json").with_changes("p_median", p=3)
    best = max(
        evaluate(inst, np.isin(np.arange(inst.n_sites), combo)).objectives["backup_coverage"]
        for combo in itertools.combinations(range(inst.n_sites), 3)
        if inst.fixed_open()[list(combo)].sum() == inst.fixed_open().sum()
    )
    for model in ("p_median", "mclp", "p_center"):
        mdl = build(inst, model=model, objective="backup_coverage")
        res = solve(mdl)
        assert res.is_optimal
        assert res.objective == pytest.approx(best)
        y, a = decode(mdl)
        assert evaluate(inst, y, a, model=model).objectives["backup_coverage"] == pytest.approx(best)


@pytest.mark.parametrize(
    ("objective", "flags", "field"),
    [
        ("coverage", [], "parameters.radius"),
        ("backup_coverage", [], "parameters.radius"),
        (None, ["--access-method", "e2sfca"], "e2sfca needs steps"),
    ],
)
def test_inputs_that_were_internal_errors_are_input_errors(objective, flags, field, instances_dir, solve_flags):
    with pytest.raises((InstanceError, UsageError)) as err:
        solve_flags(instances_dir / "siting" / "small" / "small_p_median.json", flags, objective=objective)
    assert field in str(err.value)
