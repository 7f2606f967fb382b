"""Results show themselves in a notebook and plot without writing files; the one-liners
``optmodels.pareto`` and ``optmodels.sweep`` (issue 24)."""

from __future__ import annotations

import os

import pandas as pd
import pytest
from matplotlib.figure import Figure

import optmodels

SOLVES = {
    "equipment": ("equipment/tiny_cost.toml", "plan", "cost (min)"),
    "pricing": ("pricing/elastic_model2.yaml", "fees", "expected profit U (per month)"),
    "siting": ("siting/small/small_mclp.json", "sites", "population within the radius"),
}


@pytest.fixture(scope="module", params=list(SOLVES))
def solved(request, instances_dir):
    file, table, label = SOLVES[request.param]
    return optmodels.solve(instances_dir / file), table, label


def test_a_solution_shows_verdict_objective_unit_gap_figures_and_table_head(solved):
    solution, table, label = solved
    html = solution._repr_html_()
    assert "optimal" in html
    assert "proven" in html
    assert f"{solution.objective_name} ({solution.sense})" in html
    assert label in html  # what the objective measures, with its unit
    assert "bound, gap" in html
    assert f"tables[&#x27;{table}&#x27;]" in html or f"tables['{table}']" in html
    first = str(solution.tables[table].iloc[0, 0])
    assert first in html
    assert len(repr(solution)) < 200  # no longer the 1,700-character dump
    assert solution.objective_name in repr(solution)


def test_a_solution_plots_a_figure_and_writes_nothing(solved, tmp_path, monkeypatch):
    solution, _, _ = solved
    monkeypatch.chdir(tmp_path)
    fig = solution.plot()
    assert isinstance(fig, Figure)
    assert fig.axes
    assert any(ax.has_data() for ax in fig.axes)
    assert list(tmp_path.iterdir()) == []


def test_figures_written_are_the_plot(instances_dir, tmp_path):
    solution = optmodels.solve(instances_dir / "equipment" / "tiny_cost.toml")
    written = solution.to_files(tmp_path / "out")
    assert "lorenz.png" in written
    titles = [ax.get_title() for ax in solution.plot().axes]
    assert titles[0].startswith("Lorenz curves")
    assert titles[1].startswith("Sets by region")


def test_a_solution_without_a_plan_says_so_when_plotted(instances_dir):
    solution = optmodels.solve(instances_dir / "pricing" / "no_viable_model1.yaml")
    assert "no_viable_fee" in solution._repr_html_()
    with pytest.raises(ValueError, match="no solution to plot"):
        solution.plot()


@pytest.fixture(scope="module")
def front(instances_dir):
    return optmodels.pareto(instances_dir / "equipment" / "tiny_utilisation.toml", method="weighted",
                            objectives=["cost", "utilisation"])


def test_pareto_one_liner_names_points_by_objectives_with_decisions(front):
    table = front.table
    assert list(table.columns[:3]) == ["cost", "utilisation", "decision"]
    assert not any(str(c).startswith("obj") for c in table.columns)
    assert table["decision"].str.contains("sets:").all()  # the family's own decision summary
    assert len(table) == len(front.points) >= 2
    assert table[["cost", "utilisation"]].to_numpy() == pytest.approx(front.points, rel=1e-12)
    assert front.labels["utilisation"].startswith("idle capacity")


def test_a_front_shows_itself_and_plots_with_knee_and_topsis(front):
    html = front._repr_html_()
    assert "weighted_sum" in html
    assert "knee point" in html
    assert "TOPSIS best" in html
    assert "idle capacity" in html
    fig = front.plot()
    assert isinstance(fig, Figure)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "knee" in legend
    assert "TOPSIS best" in legend
    assert "idle capacity" in fig.axes[0].get_ylabel()


def test_pareto_one_liner_matches_the_cli_front(instances_dir, front, tmp_path):
    from optmodels.cli import main

    out = tmp_path / "f"
    assert main(["pareto", str(instances_dir / "equipment" / "tiny_utilisation.toml"), "--method", "weighted",
                 "--objectives", "cost,utilisation", "--workers", "1", "--no-progress", "--out", str(out)]) == 0
    cli = pd.read_csv(out / "front.csv")
    assert cli[["cost", "utilisation"]].to_numpy() == pytest.approx(front.points, rel=1e-9)


def test_pareto_one_liner_refuses_an_unknown_method_or_objective(instances_dir):
    path = instances_dir / "equipment" / "tiny_cost.toml"
    with pytest.raises(optmodels.UsageError, match="method"):
        optmodels.pareto(path, method="simplex")
    with pytest.raises(optmodels.UsageError, match="unknown speed"):
        optmodels.pareto(path, objectives=["cost", "speed"])


def test_sweep_one_liner_behaves_like_its_table_and_plots(instances_dir, capsys, monkeypatch):
    monkeypatch.delenv("OPTMODELS_PROGRESS", raising=False)
    result = optmodels.sweep(instances_dir / "equipment" / "tiny_cost.toml", vary={"budget": "15:19:2"})
    assert isinstance(result.frame, pd.DataFrame)
    assert result["status"].tolist() == ["optimal"] * 3
    assert len(result) == 3
    assert result.attrs["solved"] == 3
    assert result.loc[0, "objective"] == pytest.approx(63.75654517954058, rel=1e-9)
    assert "Sweep" in result._repr_html_()
    assert "budget" in result._repr_html_()
    fig = result.plot()
    assert isinstance(fig, Figure)
    assert fig.axes[-1].get_xlabel() == "budget"
    # stderr is not a terminal here and nobody asked: no progress bar
    assert "sweep" not in capsys.readouterr().err


def test_sweep_one_liner_shows_its_bar_when_asked(instances_dir, capsys):
    optmodels.sweep(instances_dir / "equipment" / "tiny_cost.toml", vary={"budget": [15, 17]}, progress=True)
    assert "sweep" in capsys.readouterr().err


def test_progress_auto_is_on_in_a_jupyter_kernel_and_on_terminals_only(monkeypatch):
    import sys

    from optmodels import show_progress

    monkeypatch.delenv("OPTMODELS_PROGRESS", raising=False)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    assert show_progress("auto") is False
    assert show_progress(True) is True
    monkeypatch.setenv("OPTMODELS_PROGRESS", "1")
    assert show_progress("auto") is True
    monkeypatch.delenv("OPTMODELS_PROGRESS")
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    assert show_progress("auto") is True
    assert show_progress(False) is False
    assert os.environ.get("OPTMODELS_PROGRESS") is None


def test_the_readmes_one_liner_example_runs(repo_dir, monkeypatch):
    """The README's block of optmodels.pareto / optmodels.sweep runs as printed."""
    import re

    text = (repo_dir / "README.md").read_text()
    block = next(b for b in re.findall(r"```python\n(.*?)```", text, flags=re.S) if "optmodels.pareto(" in b)
    monkeypatch.chdir(repo_dir)
    namespace: dict = {"optmodels": optmodels}
    exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102 - our own docs
    assert list(namespace["front"].table.columns[:2]) == ["cost", "equity"]
    assert len(namespace["study"]) == 7
