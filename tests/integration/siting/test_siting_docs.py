"""docs/siting.md opens with a one-call Python example: it runs, from the repository root."""

from __future__ import annotations

import re


def test_docs_example_runs(repo_dir, tmp_path, monkeypatch, capsys):
    text = (repo_dir / "docs" / "siting.md").read_text()
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    assert "solve_siting(" in code
    # instance paths are relative to the repository root; files go to a temporary folder
    code = code.replace('"instances/', f'"{repo_dir}/instances/').replace('"out/sf"', f'"{tmp_path}/sf"')
    exec(compile(code, "docs/siting.md", "exec"), {})
    assert "optimal 2848268129.7" in capsys.readouterr().out
    assert (tmp_path / "sf" / "result.json").is_file()
