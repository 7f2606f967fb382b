"""Each family's page opens with a one-call Python example; it must run as printed (from the
repository root, as a reader would), and its solution must check out."""

from __future__ import annotations

import os
import re

import pytest


def _first_python_block(text: str) -> str:
    match = re.search(r"```python\n(.*?)```", text, flags=re.S)
    assert match, "the page has no ```python block"
    return match.group(1)


@pytest.mark.parametrize("page", ["equipment.md", "pricing.md", "siting.md"])
def test_family_page_opens_with_a_one_call_example_that_runs(page, repo_dir, tmp_path):
    text = (repo_dir / "docs" / page).read_text()
    head = text[: text.index("```python")]
    assert head.count("\n") < 5, "the example is the first thing on the page"
    code = _first_python_block(text).replace('to_files("results/', f'to_files("{tmp_path}/')
    cwd = os.getcwd()
    os.chdir(repo_dir)
    try:
        namespace: dict = {}
        exec(compile(code, f"docs/{page}", "exec"), namespace)  # noqa: S102 - our own docs
    finally:
        os.chdir(cwd)
    solution = next(v for k, v in namespace.items() if k in ("solution", "sol"))
    assert solution.has_solution
    assert solution.evaluation is not None
