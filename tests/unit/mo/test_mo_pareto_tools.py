"""Front tools: dominance, hypervolume, IGD+, knee, TOPSIS, weight grid, files and plots."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from solvers.pareto import (
    ParetoResult,
    hypervolume,
    igd_plus,
    knee_point,
    merge,
    nondominated,
    normalise,
    plot_front,
    topsis,
    write_front_csv,
    write_pareto_json,
)
from solvers.weighted_sum import weight_grid

MINMIN = ["min", "min"]


def test_nondominated_drops_dominated_and_duplicate_points():
    F = np.array([[1, 5], [2, 3], [3, 3], [2, 3], [4, 1], [5, 5], [1, 6]], float)
    assert nondominated(F, MINMIN).tolist() == [0, 1, 4]
    # the same front seen as maximisation of the negated values
    assert nondominated(-F, ["max", "max"]).tolist() == [0, 1, 4]
    # mixed senses: min the first, max the second -> (1,6) and (5,5)... (1,6) dominates all with f1>=1
    assert nondominated(F, ["min", "max"]).tolist() == [6]


def test_hypervolume_matches_the_rectangle_sum():
    F = np.array([[1, 5], [2, 3], [4, 1]], float)
    ideal, nadir = [1, 1], [4, 5]
    # normalised: (0,1), (1/3,1/2), (1,0); reference 1.1 -> three rectangles (sorted by f1)
    expected = (1 / 3) * (1.1 - 1.0) + (1 - 1 / 3) * (1.1 - 0.5) + (1.1 - 1.0) * 1.1
    assert hypervolume(F, MINMIN, ideal, nadir) == pytest.approx(expected)
    assert hypervolume(-F, ["max", "max"], [-1, -1], [-4, -5]) == pytest.approx(expected)
    # a dominated extra point changes nothing; a point beyond the reference adds nothing
    more = np.vstack([F, [[3, 4], [9, 9]]])
    assert hypervolume(more, MINMIN, ideal, nadir) == pytest.approx(expected)


def test_normalise_maps_ideal_to_zero_and_nadir_to_one():
    Fn = normalise(np.array([[10.0, 3.0], [20.0, 1.0]]), ["max", "min"], [20, 1], [10, 3])
    assert Fn.tolist() == [[1.0, 1.0], [0.0, 0.0]]


def test_igd_plus_zero_on_the_reference_and_positive_on_a_subset():
    Z = np.array([[0, 1], [0.5, 0.5], [1, 0]], float)
    assert igd_plus(Z, Z, MINMIN, [0, 0], [1, 1]) == pytest.approx(0.0)
    # missing the middle point: its IGD+ distance to (0,1) is 0.5 (only the worse axis counts)
    assert igd_plus(Z[[0, 2]], Z, MINMIN, [0, 0], [1, 1]) == pytest.approx(0.5 / 3)


def test_knee_is_the_point_farthest_below_the_extreme_hyperplane():
    F = np.array([[0, 1], [0.6, 0.3], [0.2, 0.2], [1, 0]], float)
    assert knee_point(F, MINMIN) == 2


def test_topsis_ranks_by_closeness_to_the_ideal():
    # criterion 1 maximised, criterion 2 minimised; B is best in both
    F = np.array([[5.0, 4.0], [9.0, 1.0], [7.0, 3.0]])
    closeness, ranking = topsis(F, ["max", "min"])
    assert ranking.tolist() == [1, 2, 0]
    assert closeness[1] == pytest.approx(1.0)
    assert closeness[0] == pytest.approx(0.0)
    # weights tilt the choice: all weight on criterion 2 keeps B first but equalises ...
    _, ranking2 = topsis(np.array([[9.0, 3.0], [5.0, 1.0]]), ["max", "min"], [0.0, 1.0])
    assert ranking2.tolist() == [1, 0]
    with pytest.raises(ValueError, match="weights"):
        topsis(F, ["max", "min"], [1.0])


def test_weight_grid_covers_the_simplex():
    W2 = weight_grid(2, 5)
    assert W2[:, 0].tolist() == [1.0, 0.75, 0.5, 0.25, 0.0]
    W3 = weight_grid(3, 10)
    assert len(W3) == math.comb(3 + 2, 2) == 10
    np.testing.assert_allclose(W3.sum(axis=1), 1.0)
    assert len({tuple(r) for r in W3.round(9)}) == len(W3)
    assert len(weight_grid(3, 11)) == math.comb(4 + 2, 2)


def test_result_files_round_trip(tmp_path):
    res = merge(
        "epsilon", ["cost", "reach"], ["min", "max"],
        [[3, 10], [1, 4], [2, 8], [2, 7]],
        [{"x": 1}, {"x": 2}, {"x": 3}, {"x": 4}], ["a", "b", "c", "d"],
        ideal=[1, 10], nadir=[3, 4], solves=7, seed=None,
    )
    assert res.points.tolist() == [[1, 4], [2, 8], [3, 10]]
    assert res.summaries == ("b", "c", "a")
    df = write_front_csv(res, tmp_path / "front.csv")
    back = pd.read_csv(tmp_path / "front.csv")
    assert back[["cost", "reach"]].to_numpy().tolist() == res.points.tolist()
    assert back["method"].unique().tolist() == ["epsilon"]
    assert back["knee"].sum() == 1
    assert sorted(back["topsis_rank"]) == [1, 2, 3]
    assert df.shape[0] == 3
    write_pareto_json(res, tmp_path / "pareto.json", command="test")
    payload = json.loads((tmp_path / "pareto.json").read_text())
    assert payload["n_points"] == 3
    assert payload["solves"] == 7
    assert payload["hypervolume"] == pytest.approx(res.hypervolume)
    assert payload["hypervolume_normalisation"]["reference_point"] == pytest.approx([3.2, 3.4])
    # re-measuring against another normalisation changes the number, not the points
    other = res.with_reference([0, 12], [4, 0])
    assert other.hypervolume != pytest.approx(res.hypervolume)
    assert other.points.tolist() == res.points.tolist()


@pytest.mark.parametrize("p", [2, 3, 4])
def test_plot_front_writes_a_png(tmp_path, p):
    rng = np.random.default_rng(p)
    F = rng.random((12, p))
    idx = nondominated(F, ["min"] * p)
    res = ParetoResult("nsga2", [f"f{k}" for k in range(p)], ["min"] * p, F[idx],
                       ideal=F.min(0), nadir=F.max(0))
    plot_front(res, tmp_path / "front.png", reference_front=F if p == 2 else None)
    assert (tmp_path / "front.png").stat().st_size > 5000


def test_plot_front_uses_axis_labels_where_given(tmp_path):
    F = np.array([[1.0, 4.0], [2.0, 2.0], [4.0, 1.0]])
    res = ParetoResult("epsilon", ["cost", "utilisation"], ["min", "min"], F, ideal=F.min(0), nadir=F.max(0))
    fig = plot_front(res, tmp_path / "front.png", labels={"utilisation": "idle capacity, exams"})
    ax = fig.axes[0]
    assert ax.get_xlabel() == "cost (min)"
    assert ax.get_ylabel() == "idle capacity, exams (min)"
