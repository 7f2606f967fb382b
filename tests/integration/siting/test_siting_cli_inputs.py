"""Inputs that used to end in "internal error": p-dispersion on a demand-to-site matrix, objectives
that need a radius or a backup indicator on another model, E2SFCA without steps. Each now either
solves correctly (checked by enumeration) or exits 2 naming the field."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from optmodels.cli import main
from optmodels.errors import InstanceError
from optmodels.siting.evaluate import evaluate
from optmodels.siting.formulation import build, decode
from optmodels.siting.instance import SitingInstance, load
from solvers import solve


def _best_separation(dss: np.ndarray, p: int) -> float:
    return max(
        min(dss[a, b] for a, b in itertools.combinations(combo, 2))
        for combo in itertools.combinations(range(len(dss)), p)
    )


def test_p_dispersion_on_sf_matrix_uses_site_coordinates(instances_dir, tmp_path, capsys):
    path = instances_dir / "siting" / "sf" / "sf_p_median.json"
    inst = load(path).with_changes("p_dispersion")
    dss = inst.site_cost_matrix()
    # lon/lat great-circle distances, in metres as the file's matrix (unit: m)
    assert dss.shape == (16, 16)
    assert np.allclose(np.diag(dss), 0.0)
    assert 100 < dss[dss > 0].min() < dss.max() < 20_000
    out = tmp_path / "o"
    assert main(["solve", str(path), "--model", "p_dispersion", "--out", str(out)]) == 0
    capsys.readouterr()
    result = json.loads((out / "result.json").read_text())
    assert result["objective"] == pytest.approx(_best_separation(dss, 4), rel=1e-6)
    opened = [inst.site_ids.index(s) for s in result["open_sites"]]
    assert min(dss[a, b] for a, b in itertools.combinations(opened, 2)) == pytest.approx(result["objective"], rel=1e-6)


def test_p_dispersion_without_site_distances_is_an_instance_error(tmp_path, capsys):
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
    assert main(["solve", str(tmp_path / "none.json")]) == 2
    err = capsys.readouterr().err
    assert "distance.site_matrix" in err
    assert "internal error" not in err
    doc["distance"]["site_matrix"] = "sites.csv"
    (tmp_path / "given.json").write_text(json.dumps(doc))
    assert main(["solve", str(tmp_path / "given.json")]) == 0
    assert "separation (max) = 5" in capsys.readouterr().out


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
    ("file", "flags", "field"),
    [
        ("small_p_median.json", ["--objective", "coverage"], "parameters.radius"),
        ("small_p_median.json", ["--objective", "backup_coverage"], "parameters.radius"),
        ("small_p_median.json", ["--access-method", "e2sfca"], "e2sfca needs steps"),
    ],
)
def test_inputs_that_were_internal_errors_exit_2(file, flags, field, instances_dir, capsys):
    assert main(["solve", str(instances_dir / "siting" / "small" / file), *flags]) == 2
    err = capsys.readouterr().err
    assert field in err
    assert "internal error" not in err
