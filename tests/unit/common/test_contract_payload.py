"""result.json's top: the one-word verdict and its message are the suite's, whatever the solver's
own status text (kept under solver_verdict / solver_message)."""

from __future__ import annotations

import json

import optmodels


def test_result_json_opens_with_the_suites_verdict_and_message(instances_dir, tmp_path):
    solution = optmodels.solve(instances_dir / "equipment" / "tiny_cost.toml")
    solution.to_files(tmp_path / "out")
    payload = json.loads((tmp_path / "out" / "result.json").read_text())
    assert list(payload)[:2] == ["verdict", "message"]
    assert payload["verdict"] == "optimal"
    assert payload["message"] == solution.verdict == solution.result.verdict
    assert payload["solver_message"] == solution.result.message
    assert payload["objective"] == solution.result.objective


def test_no_solution_says_why(instances_dir, tmp_path):
    solution = optmodels.solve(instances_dir / "pricing" / "no_viable_model1.yaml")
    payload = solution.payload()
    assert payload["verdict"] == "no_viable_fee"
    assert payload["message"] == solution.verdict
    assert "no fee makes expected profit non-negative" in payload["message"]
