"""A front scored against a known front states its hypervolume ratio: in the Python result, the
printed summary and ``pareto.json``."""

from __future__ import annotations

import json

import numpy as np
import pytest

import optmodels
from optmodels.cli import main

SITING = "instances/siting/small/small_lscp.json"  # 5-point exact front, 6 binaries


@pytest.fixture(scope="module")
def exact(repo_dir):
    return optmodels.pareto(repo_dir / SITING, method="epsilon", workers=1)


def test_python_result_states_the_ratio_against_an_array_and_a_csv(repo_dir, tmp_path, exact):
    assert exact.exact
    half = exact.points[::2]  # a front missing points scores below 1
    res = optmodels.pareto(repo_dir / SITING, method="epsilon", workers=1, reference_front=exact.points)
    entry = res.settings["reference_front"]
    assert entry["points"] == len(exact)
    assert entry["hypervolume_ratio"] == pytest.approx(1.0, abs=1e-9)
    assert entry["igd_plus"] == pytest.approx(0.0, abs=1e-9)
    assert any("hypervolume ratio 1.0000" in n for n in res.notes)
    # a partial front as the result: scored on the reference's scale, the same as by hand
    partial = optmodels.pareto(repo_dir / SITING, method="nsga2", workers=1, pop_size=4, generations=1,
                               seed_milp=0, reference_front=exact.points)
    by_hand = partial.reference_scores(exact.points)["hypervolume_ratio"]
    assert partial.settings["reference_front"]["hypervolume_ratio"] == pytest.approx(by_hand, rel=1e-12)
    # the CSV form, as --reference-front reads it (columns named as the objectives)
    path = tmp_path / "ref.csv"
    exact.table[list(exact.objectives)].iloc[::2].to_csv(path, index=False)
    res = optmodels.pareto(repo_dir / SITING, method="epsilon", workers=1, reference_front=path)
    assert res.settings["reference_front"]["points"] == len(half)
    assert res.settings["reference_front"]["source"] == str(path)
    assert res.settings["reference_front"]["hypervolume_ratio"] >= 1.0 - 1e-9


def test_reference_front_with_the_wrong_width_is_a_usage_error(repo_dir, exact):
    from optmodels.errors import UsageError

    with pytest.raises(UsageError, match="reference_front: expected 2 values per point"):
        optmodels.pareto(repo_dir / SITING, method="epsilon", workers=1,
                         reference_front=np.ones((3, 3)))


def test_cli_writes_the_ratio_into_pareto_json(repo_dir, tmp_path, capsys, exact):
    ref = tmp_path / "ref.csv"
    exact.table[list(exact.objectives)].to_csv(ref, index=False)
    out = tmp_path / "out"
    code = main(["pareto", str(repo_dir / SITING), "--method", "nsga2", "--workers", "1", "--no-progress",
                 "--pop-size", "12", "--generations", "8", "--reference-front", str(ref), "--out", str(out)])
    assert code == 0
    text = capsys.readouterr().out
    payload = json.loads((out / "pareto.json").read_text())
    ratio = payload["settings"]["reference_front"]["hypervolume_ratio"]
    assert ratio == pytest.approx(1.0, abs=1e-9)  # the space's 64 decisions: NSGA-II finds them all
    assert text.count("hypervolume ratio") == 1  # stated once in the summary
