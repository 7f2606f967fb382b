"""Each family's page opens with a one-call Python example; it must run as printed (from the
repository root, as a reader would), and the solution it prints must be the instance's known
optimum from the manifest, with the plan re-checked by the numpy evaluator."""

from __future__ import annotations

import json
import os
import re

import pytest


def _first_python_block(text: str) -> str:
    match = re.search(r"```python\n(.*?)```", text, flags=re.S)
    assert match, "the page has no ```python block"
    return match.group(1)


def _known_optimum(repo_dir, family: str, code: str) -> float:
    """The manifest's optimum of the instance file the example reads."""
    path = re.search(rf'"instances/{family}/([^"]+)"', code).group(1)
    manifest = json.loads((repo_dir / "instances" / family / "manifest.json").read_text())
    entries = manifest["instances"] if isinstance(manifest, dict) else manifest
    entry = next(e for e in entries if e["file"] == path)
    return float(entry.get("known_optimum", entry.get("optimum")))


@pytest.mark.parametrize("family", ["equipment", "pricing", "siting"])
def test_family_page_opens_with_a_one_call_example_that_runs(family, repo_dir, tmp_path):
    text = (repo_dir / "docs" / f"{family}.md").read_text()
    head = text[: text.index("```python")]
    assert head.count("\n") < 5, "the example is the first thing on the page"
    code = _first_python_block(text)
    # files the example writes go to a temporary folder, not into the checkout
    code = re.sub(r'to_files\("[^"]*"\)', f'to_files("{tmp_path / "out"}")', code)
    cwd = os.getcwd()
    os.chdir(repo_dir)
    try:
        namespace: dict = {}
        exec(compile(code, f"docs/{family}.md", "exec"), namespace)  # noqa: S102 - our own docs
    finally:
        os.chdir(cwd)
    solution = namespace["solution"]
    assert solution.result.is_optimal
    assert solution.result.objective == pytest.approx(_known_optimum(repo_dir, family, code), rel=1e-6)
    assert bool(solution.evaluation.feasible)
