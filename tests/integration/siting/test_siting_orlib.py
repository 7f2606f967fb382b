"""OR-Library p-median: five small files solved to their published optima (Beasley 1990)."""

from __future__ import annotations

import numpy as np
import pytest

from optmodels.siting.data.instance import load
from optmodels.siting.data.orlib import convert, load_pmed, published_optima, read_pmed
from optmodels.siting.evaluate import evaluate
from optmodels.siting.formulation import build, decode
from solvers import solve


@pytest.mark.parametrize("name", ["pmed1", "pmed2", "pmed3", "pmed4", "pmed5"])
def test_pmed_published_optimum(name, pmed_dir):
    known = published_optima(pmed_dir / "pmedopt.txt")[name]
    inst = load_pmed(pmed_dir / f"{name}.txt")
    mdl = build(inst)
    res = solve(mdl)
    assert res.is_optimal, res.verdict
    assert res.objective == pytest.approx(known, abs=1e-6)
    y, a = decode(mdl)
    ev = evaluate(inst, y, a)
    assert ev.feasible
    assert ev.objectives["distance"] == pytest.approx(known, abs=1e-6)
    # the continuous assignment came back integral (it is exact, not just a bound)
    assert ((a < 1e-9) | (a > 1 - 1e-9)).all()


def test_converter_round_trip_and_last_edge_wins(pmed_dir, tmp_path):
    out = convert(pmed_dir / "pmed1.txt", tmp_path / "pmed1.json")
    assert (tmp_path / "pmed1_edges.csv").is_file()
    inst = load(out)
    n, p, edges = read_pmed(pmed_dir / "pmed1.txt")
    assert (inst.n_demand, inst.n_sites, inst.parameters.p) == (n, n, p)
    direct = load_pmed(pmed_dir / "pmed1.txt")
    np.testing.assert_allclose(inst.cost_matrix(), direct.cost_matrix(), rtol=1e-12)
    # a duplicated edge takes its last cost: taking the minimum gives another (wrong) optimum
    key = edges[["from", "to"]].apply(lambda r: tuple(sorted(r)), axis=1)
    assert key.duplicated().any()
    res = solve(build(inst))
    assert res.objective == pytest.approx(5819)


def test_bad_pmed_file(tmp_path):
    from optmodels.errors import InstanceError

    bad = tmp_path / "bad.txt"
    bad.write_text("3 2 1\n1 2 5\n2 9 1\n")
    with pytest.raises(InstanceError, match=r"line 3.*vertices in 1..3"):
        read_pmed(bad)
