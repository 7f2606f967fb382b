"""Result files and folders get the permissions the user's umask gives any new file.

``tempfile.mkstemp`` / ``mkdtemp`` make 0600 files and 0700 folders whatever the umask; results
renamed into place from them were unreadable to the user's group and everyone else.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

import pytest

from optmodels import io


@contextlib.contextmanager
def _umask(mask: int):
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("mask", [0o022, 0o002])
def test_atomic_write_and_dump_instance_honour_the_umask(tmp_path, mask):
    with _umask(mask):
        io.atomic_write(tmp_path / "table.csv", lambda p: p.write_text("a\n1\n"))
        io.dump_instance({"family": "pricing", "x": 1}, tmp_path / "case.json")
    assert _mode(tmp_path / "table.csv") == 0o666 & ~mask
    assert _mode(tmp_path / "case.json") == 0o666 & ~mask


@pytest.mark.parametrize("mask", [0o022, 0o002])
def test_output_folders_and_their_manifest_honour_the_umask(tmp_path, mask):
    out = tmp_path / "run"
    with _umask(mask):
        with io.atomic_output_dir(out) as tmp:  # a new folder: renamed into place whole
            (tmp / "result.json").write_text("{}")
    assert _mode(out) == 0o777 & ~mask
    assert _mode(out / io.MANIFEST) == 0o666 & ~mask
    assert _mode(out / "result.json") == 0o666 & ~mask
    with _umask(mask):
        with io.atomic_output_dir(out) as tmp:  # an existing folder: entries merged in
            (tmp / "result.json").write_text("{}")
            (tmp / "plots").mkdir()
    assert _mode(out / io.MANIFEST) == 0o666 & ~mask
    assert _mode(out / "plots") == 0o777 & ~mask


def test_temporary_names_stay_unique_and_match_the_partial_pattern(tmp_path):
    made = {io.new_temp_path(tmp_path, ".run.pid1.", ".partial", folder=True) for _ in range(50)}
    assert len(made) == 50
    assert all(p.is_dir() and p.name[len(".run.pid1."):-len(".partial")].isalnum() for p in made)
