"""Output folders and files: checked before a solve, replaced as a unit, cleaned after a kill."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from optmodels import io
from optmodels.errors import InstanceError, UsageError

REPO = Path(__file__).resolve().parents[3]


def _write(out: Path, files: dict[str, str]) -> None:
    with io.atomic_output_dir(out) as tmp:
        for name, text in files.items():
            (tmp / name).write_text(text)


def _names(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir() if p.name != io.MANIFEST}


# -- check_output_dir -------------------------------------------------------------------------


def test_check_output_dir_accepts_new_and_existing_folders_and_creates_nothing(tmp_path):
    assert io.check_output_dir(tmp_path) == tmp_path
    new = tmp_path / "a" / "b"
    io.check_output_dir(new)
    assert not (tmp_path / "a").exists()
    assert list(tmp_path.iterdir()) == []  # the probe is gone too


def test_check_output_dir_refuses_a_file_in_the_way(tmp_path):
    blocker = tmp_path / "result"
    blocker.write_text("a file")
    with pytest.raises(UsageError, match="exists and is a file"):
        io.check_output_dir(blocker)
    with pytest.raises(UsageError, match=r"cannot be created, .*result is a file"):
        io.check_output_dir(blocker / "sub" / "deeper")


def test_check_output_dir_refuses_a_folder_it_cannot_write(tmp_path, monkeypatch):
    # Tests run as root here, where permission bits do not bind: make the probe fail instead.
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkdtemp", refuse)
    with pytest.raises(UsageError, match="cannot write in .*Permission denied"):
        io.check_output_dir(tmp_path / "out")


def test_atomic_output_dir_under_a_file_is_a_usage_error(tmp_path):
    (tmp_path / "f").write_text("")
    with pytest.raises(UsageError), io.atomic_output_dir(tmp_path / "f" / "out"):
        pytest.fail("the body must not run")


# -- replacing the suite's files ----------------------------------------------------------------


def test_a_second_write_removes_the_first_writes_files_but_not_the_users(tmp_path):
    out = tmp_path / "run"
    _write(out, {"result.json": "{}", "plan.csv": "p", "lorenz.png": "img"})  # an equipment run
    (out / "notes.txt").write_text("mine")
    _write(out, {"result.json": "{}", "fees.csv": "f", "stages.csv": "s"})  # a pricing run
    assert _names(out) == {"result.json", "fees.csv", "stages.csv", "notes.txt"}
    assert (out / "notes.txt").read_text() == "mine"
    _write(out, {"result.json": '{"no": "solution"}'})  # a run without a solution
    assert _names(out) == {"result.json", "notes.txt"}
    assert json.loads((out / io.MANIFEST).read_text())["files"] == ["result.json"]


def test_an_entry_may_change_from_file_to_folder_between_runs(tmp_path):
    out = tmp_path / "run"
    _write(out, {"result.json": "{}", "maps": "a file this time"})
    with io.atomic_output_dir(out) as tmp:
        (tmp / "maps").mkdir()
        (tmp / "maps" / "m.png").write_text("x")
    assert (out / "maps" / "m.png").exists()
    _write(out, {"maps": "a file again"})
    assert (out / "maps").read_text() == "a file again"


def test_subfolders_are_replaced_and_removed_as_entries(tmp_path):
    out = tmp_path / "run"
    with io.atomic_output_dir(out) as tmp:
        (tmp / "figures").mkdir()
        (tmp / "figures" / "old.png").write_text("x")
    with io.atomic_output_dir(out) as tmp:
        (tmp / "figures").mkdir()
        (tmp / "figures" / "new.png").write_text("y")
    assert sorted(p.name for p in (out / "figures").iterdir()) == ["new.png"]
    _write(out, {"result.json": "{}"})
    assert _names(out) == {"result.json"}


def test_a_folder_without_a_manifest_keeps_every_file(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "plan.csv").write_text("the user's own plan")
    _write(out, {"result.json": "{}"})
    assert _names(out) == {"plan.csv", "result.json"}
    assert (out / "plan.csv").read_text() == "the user's own plan"


def test_a_tampered_manifest_never_reaches_outside_the_folder(tmp_path):
    out = tmp_path / "run"
    _write(out, {"result.json": "{}"})
    outside = tmp_path / "precious.txt"
    outside.write_text("keep")
    (out / io.MANIFEST).write_text(json.dumps({"files": ["../precious.txt", "/etc/hostname", ".."]}))
    _write(out, {"result.json": "{}"})
    assert outside.read_text() == "keep"
    assert out.is_dir()


def test_a_failed_write_leaves_the_folder_as_it_was(tmp_path):
    out = tmp_path / "run"
    _write(out, {"result.json": "old", "plan.csv": "old"})

    def failing_report() -> None:
        with io.atomic_output_dir(out) as tmp:
            (tmp / "result.json").write_text("new")
            raise RuntimeError("the report failed")

    with pytest.raises(RuntimeError):
        failing_report()
    assert (out / "result.json").read_text() == "old"
    assert _names(out) == {"result.json", "plan.csv"}
    assert not [p for p in out.iterdir() if p.name.endswith(".partial")]


# -- temporary folders left by a killed run -----------------------------------------------------


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_stale_partial_folders_are_removed_live_ones_kept(tmp_path):
    out = tmp_path / "run"
    _write(out, {"result.json": "{}"})
    dead = tmp_path / f".run.pid{_dead_pid()}.abc123.partial"
    legacy = tmp_path / ".run.k2j4h5.partial"  # written before partial names carried a pid
    inside = out / f".run.pid{_dead_pid()}.zz.partial"
    live = tmp_path / f".run.pid{os.getpid()}.live.partial"
    other = tmp_path / f".other.pid{_dead_pid()}.x.partial"  # another output's: not ours to judge
    sibling = tmp_path / ".run.v2.k2j4h5.partial"  # output "run.v2"'s, in progress
    for folder in (dead, legacy, inside, live, other, sibling):
        folder.mkdir()
        (folder / "result.json").write_text("{}")
    old = tmp_path / f".run.pid{os.getpid()}.old.partial"
    old.mkdir()
    os.utime(old, (time.time() - 2 * 86400, time.time() - 2 * 86400))
    _write(out, {"result.json": "{}"})
    assert not dead.exists()
    assert not legacy.exists()
    assert not inside.exists()
    assert not old.exists()  # over a day old: stale whatever its pid says
    assert live.exists()
    assert other.exists()
    assert sibling.exists()


def test_sigkill_during_a_write_leaves_a_partial_that_the_next_write_removes(tmp_path):
    out = tmp_path / "run"
    code = textwrap.dedent(
        f"""
        import time
        from optmodels import io
        with io.atomic_output_dir({str(out)!r}) as tmp:
            (tmp / "result.json").write_text("half")
            print("writing", flush=True)
            time.sleep(120)
        """
    )
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout.readline().strip() == "writing"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    left = [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]
    assert len(left) == 1
    assert not out.exists()  # the killed run never published anything
    _write(out, {"result.json": "{}"})
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


# -- instance files -----------------------------------------------------------------------------


def test_dump_instance_refuses_a_folder_and_a_file_in_the_way(tmp_path):
    folder = tmp_path / "case.json"
    folder.mkdir()
    with pytest.raises(UsageError, match="is a folder"):
        io.dump_instance({"family": "equipment"}, folder)
    (tmp_path / "f").write_text("")
    with pytest.raises(UsageError, match=r"cannot write .*f[/\\]x\.json"):
        io.dump_instance({"family": "equipment"}, tmp_path / "f" / "x.json")
    io.dump_instance({"family": "equipment"}, tmp_path / "new" / "x.json")
    assert json.loads((tmp_path / "new" / "x.json").read_text()) == {"family": "equipment"}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_read_document_refuses_a_fifo_instead_of_blocking(tmp_path):
    fifo = tmp_path / "case.json"
    os.mkfifo(fifo)
    # Reading a FIFO with no writer blocks forever: run the read in a child with a deadline.
    code = textwrap.dedent(
        f"""
        from optmodels import io
        from optmodels.errors import InstanceError
        try:
            io.read_document({str(fifo)!r})
        except InstanceError as err:
            print(err)
        """
    )
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert "FIFO" in run.stdout
    assert str(fifo) in run.stdout


def test_read_document_still_names_missing_files_and_folders(tmp_path):
    with pytest.raises(InstanceError, match="file not found"):
        io.read_document(tmp_path / "none.json")
    (tmp_path / "d.json").mkdir()
    with pytest.raises(InstanceError, match="is a directory"):
        io.read_document(tmp_path / "d.json")
