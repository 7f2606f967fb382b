"""Inputs a siting file may hold and how they are read: zero-population demand points (common in
census tracts) are valid and weigh nothing; a distance table reference accepts only its own keys;
``distance.format`` is long, dense or absent (auto), nothing else."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from optmodels.errors import InstanceError
from optmodels.siting.data.instance import SitingInstance, load
from optmodels.siting.evaluate import evaluate
from optmodels.siting.solve import solve_siting


def _brute_p_median(inst) -> float:
    cost, w = inst.cost_matrix(), inst.populations()
    return min(
        float(w @ cost[:, list(combo)].min(axis=1))
        for combo in itertools.combinations(range(inst.n_sites), inst.parameters.p)
    )


def test_zero_population_demand_points_are_valid_and_weigh_nothing():
    rng = np.random.default_rng(5)
    cost = rng.uniform(1, 10, size=(8, 5))
    pop = np.array([0.0, 3, 0, 5, 1, 0, 2, 4])
    inst = SitingInstance.from_arrays(cost, pop, p=2)
    solution = solve_siting(inst)
    assert solution.result.objective == pytest.approx(_brute_p_median(inst))
    # the same plan as with the zero rows removed
    kept = pop > 0
    smaller = SitingInstance.from_arrays(cost[kept], pop[kept], p=2)
    assert solution.result.objective == pytest.approx(_brute_p_median(smaller))
    assert evaluate(inst, solution.decision.open).feasible


def test_all_zero_population_is_an_input_error():
    with pytest.raises(InstanceError, match="population"):
        SitingInstance.from_arrays(np.ones((2, 2)), [0.0, 0.0], p=1)
    with pytest.raises(InstanceError, match="population"):
        SitingInstance.from_arrays(np.ones((2, 2)), [-1.0, 2.0], p=1)


def _matrix_case(tmp_path, distance):
    (tmp_path / "cost.csv").write_text("demand_id,site_id,cost\nd1,a,1\nd1,b,2\nd2,a,3\nd2,b,1\n")
    doc = {
        "family": "siting", "model": "p_median", "parameters": {"p": 1},
        "demand": [{"id": "d1"}, {"id": "d2"}], "sites": [{"id": "a"}, {"id": "b"}],
        "distance": distance,
    }
    path = tmp_path / "case.json"
    path.write_text(json.dumps(doc))
    return path


def test_matrix_table_reference_reads(tmp_path):
    inst = load(_matrix_case(tmp_path, {"kind": "matrix", "matrix": {"table": "cost.csv"}}))
    assert inst.cost_matrix().tolist() == [[1, 2], [3, 1]]


@pytest.mark.parametrize("ref", [
    {"table": "cost.csv", "colums": {"cost": "minutes"}},  # misspelt 'columns'
    {"table": "cost.csv", "format": "long"},               # format belongs to distance
])
def test_unknown_keys_in_a_distance_table_reference_are_errors(tmp_path, ref):
    with pytest.raises(InstanceError, match="distance.matrix") as err:
        load(_matrix_case(tmp_path, {"kind": "matrix", "matrix": ref}))
    assert sorted(set(ref) - {"table", "columns"})[0] in str(err.value)


def test_unknown_keys_in_an_edge_table_reference_are_errors(tmp_path):
    (tmp_path / "edges.csv").write_text("from,to,cost\na,d1,1\nb,d2,1\n")
    path = _matrix_case(tmp_path, {"kind": "network", "edges": {"table": "edges.csv", "directed": True}})
    with pytest.raises(InstanceError, match="distance.edges"):
        load(path)


@pytest.mark.parametrize("fmt", [[], "", "wide", 0])
def test_distance_format_is_long_dense_or_absent(tmp_path, fmt):
    with pytest.raises(InstanceError, match="distance.format"):
        load(_matrix_case(tmp_path, {"kind": "matrix", "matrix": "cost.csv", "format": fmt}))
    assert load(_matrix_case(tmp_path, {"kind": "matrix", "matrix": "cost.csv", "format": "long"})).n_sites == 2


SMALL = ["small_lscp.json", "small_lscp_capacitated.json", "small_lscp_b.json", "small_mclp.json",
         "small_mclp_capacitated.json", "small_p_median.json", "small_p_median_capacitated_multi.json",
         "small_p_center.json", "small_cflp_multi.json"]


@pytest.mark.parametrize("file", SMALL)
def test_zero_population_points_on_every_model_match_brute_force(file, instances_dir):
    """Three demand points emptied: each model's optimum still equals enumeration over open sets."""
    from optmodels.siting.bruteforce import brute_force

    doc = json.loads((instances_dir / "siting" / "small" / file).read_text())
    for k in (0, 4, 7):
        doc["demand"][k]["population"] = 0
    from optmodels.siting.family import FAMILY

    inst = FAMILY.from_document(doc, instances_dir / "siting" / "small" / file)
    known, _ = brute_force(inst)
    solution = solve_siting(inst)
    assert solution.result.is_optimal
    assert solution.result.objective == pytest.approx(known, rel=1e-6, abs=1e-9)
    assert solution.evaluation.feasible
