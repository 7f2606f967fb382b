"""The live progress line and the bars (solvers.progress): what they show, where, and when not."""

from __future__ import annotations

import io
import threading

import numpy as np
import pyomo.environ as pyo
import pytest

from solvers import SolveOptions, progress, solve


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _fast(monkeypatch):
    # a plain line every 0.05 s instead of every 30 s; no quiet mode from the environment
    monkeypatch.setenv(progress.EVERY_ENV, "0.05")
    monkeypatch.delenv(progress.QUIET_ENV, raising=False)


def _knapsack(n: int = 40) -> pyo.ConcreteModel:
    rng = np.random.default_rng(3)
    w = rng.integers(10, 60, n)
    v = w + rng.integers(0, 15, n)
    model = pyo.ConcreteModel()
    model.x = pyo.Var(range(n), domain=pyo.Binary)
    model.capacity = pyo.Constraint(expr=sum(int(w[i]) * model.x[i] for i in range(n)) <= int(w.sum() // 2))
    model.odd = pyo.Constraint(expr=sum(int(v[i]) * model.x[i] for i in range(1, n, 2)) <= int(v.sum() // 5))
    model.value = pyo.Objective(expr=sum(int(v[i]) * model.x[i] for i in range(n)), sense=pyo.maximize)
    return model


def test_a_solve_reports_stage_incumbent_bound_and_gap_to_the_line():
    stream = io.StringIO()
    with progress.live(stream) as shown:
        progress.stage("knapsack.full")
        result = solve(_knapsack())
        incumbent, bound, gap = shown.numbers
        text = shown.text()
    assert incumbent == pytest.approx(result.objective, rel=1e-9)
    assert bound >= incumbent - 1e-6  # a maximisation: the dual bound is above the incumbent
    assert gap is not None
    assert gap >= 0
    assert "stage knapsack.full" in text
    assert "incumbent" in text
    assert "bound" in text
    assert "gap" in text


def test_a_log_stream_gets_plain_lines_and_never_a_carriage_return():
    stream = io.StringIO()
    with progress.live(stream) as shown:
        progress.stage("wait")
        shown.mip_progress(10.0, 8.0, 0.2)
        shown.mip = True
        threading.Event().wait(0.3)
    lines = stream.getvalue().splitlines()
    assert len(lines) >= 2  # a line every 0.05 s
    assert "\r" not in stream.getvalue()
    assert all(line.startswith("optmodels: 0:00  stage wait  incumbent 10  bound 8  gap 20.000%") for line in lines)


def test_a_terminal_gets_the_line_redrawn_in_place_and_cleared_at_the_end():
    stream = _Terminal()
    with progress.live(stream) as shown:
        progress.stage("wait")
        threading.Event().wait(0.3)
        assert shown.drawn >= 2
    text = stream.getvalue()
    assert "\n" not in text  # redrawn with carriage returns, never scrolled
    assert text.count("\roptmodels: 0:00  stage wait") >= 2
    assert text.endswith("\r")  # cleared: the caller's result starts at the line's beginning
    assert text.rsplit("\r", 2)[-2].strip() == ""


def test_other_output_is_written_above_the_line():
    stream = _Terminal()
    with progress.live(stream) as shown:
        shown.draw()
        progress.note("optmodels: stage two")
        shown.log("Presolving model\nrows ")
        shown.log("removed\n")
    text = stream.getvalue()
    # each line of other output starts at the line's beginning (after the live line is wiped)
    for line in ("optmodels: stage two\n", "Presolving model\n", "rows removed\n"):
        assert line in text
        before = text[: text.index(line)]
        assert before.endswith("\r")


def test_the_solver_log_goes_to_the_line_s_stream_not_stdout(capfd):
    stream = io.StringIO()
    with progress.live(stream):
        solve(_knapsack(), SolveOptions(tee=True))
    assert capfd.readouterr().out == ""
    assert len(stream.getvalue().splitlines()) >= 5  # the HiGHS log, line by line


def test_outside_a_block_nothing_is_shown_or_subscribed(capfd):
    progress.stage("alone")
    result = solve(_knapsack())
    assert result.objective is not None
    assert progress.current() is None
    captured = capfd.readouterr()
    assert captured.out == ""
    assert captured.err == ""


def test_quiet_or_disabled_shows_nothing(monkeypatch):
    stream = io.StringIO()
    with progress.live(stream, enabled=False) as shown:
        assert shown is None
    monkeypatch.setenv(progress.QUIET_ENV, "1")
    with progress.live(stream) as shown:
        assert shown is None
        solve(_knapsack())
    assert stream.getvalue() == ""


def test_a_worker_thread_s_solve_never_writes_into_the_line():
    stream = io.StringIO()
    with progress.live(stream) as shown:
        worker = threading.Thread(target=lambda: (progress.stage("worker"), solve(_knapsack())))
        worker.start()
        worker.join()
        assert shown.stage is None
        assert shown.numbers == (None, None, None)


def test_a_callback_never_raises_into_highs():
    fed = progress.feed(object(), mip=True)
    fed.shown = progress.Live(io.StringIO(), tty=False, delay=1, interval=1)
    fed._on_mip(object())  # an event without data_out
    fed._on_log(object())  # an event without a message


def test_bars_draw_plain_lines_in_a_log_and_tqdm_on_a_terminal(monkeypatch):
    log = io.StringIO()
    bar = progress.bar(4, desc="points", unit="pt", stream=log)
    assert isinstance(bar, progress.PlainBar)
    assert bar
    for _ in range(4):
        threading.Event().wait(0.06)
        bar.update(1)
    bar.close()
    lines = log.getvalue().splitlines()
    assert lines
    assert "\r" not in log.getvalue()
    assert lines[-1].startswith("optmodels: points: 4/4 pt (100%)")

    from tqdm import tqdm

    terminal = progress.bar(4, desc="points", stream=_Terminal())
    assert isinstance(terminal, tqdm)
    terminal.close()

    monkeypatch.setenv(progress.QUIET_ENV, "1")
    quiet = progress.bar(4, desc="points", stream=log)
    assert not quiet
    quiet.update(1)
    quiet.close()


def test_a_plain_bar_writes_only_its_final_count_for_short_work(monkeypatch):
    monkeypatch.setenv(progress.EVERY_ENV, "30")
    log = io.StringIO()
    bar = progress.bar(3, desc="weights", stream=log)
    for _ in range(3):
        bar.update(1)
    bar.close()
    bar.close()  # closed twice (a caller's finally and its own): still one line
    lines = log.getvalue().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("optmodels: weights: 3/3 it (100%) after 0:00")


def test_the_line_changes_no_result():
    # the same MIP with and without the line (and its callbacks on HiGHS): the same answer
    plain_model, shown_model = _knapsack(), _knapsack()
    plain = solve(plain_model)
    with progress.live(io.StringIO()):
        progress.stage("knapsack.full")
        shown = solve(shown_model)
    assert shown.termination == plain.termination
    assert shown.objective == pytest.approx(plain.objective, rel=1e-9)
    chosen = [pyo.value(shown_model.x[i]) for i in shown_model.x]
    assert chosen == pytest.approx([pyo.value(plain_model.x[i]) for i in plain_model.x], abs=1e-6)


def test_solves_in_several_threads_beside_a_live_block_give_their_own_answers():
    # a sweep's worker threads solve while the main thread shows its line: every thread gets the
    # answer a lone solve gets, and the line stays the main thread's
    expected = solve(_knapsack()).objective
    answers: list[float] = []
    lock = threading.Lock()

    def work() -> None:
        value = solve(_knapsack()).objective
        with lock:
            answers.append(value)

    stream = io.StringIO()
    with progress.live(stream) as shown:
        progress.stage("main")
        threads = [threading.Thread(target=work) for _ in range(3)]
        for thread in threads:
            thread.start()
        own = solve(_knapsack()).objective
        for thread in threads:
            thread.join()
        assert shown.stage == "main"
    assert answers == pytest.approx([expected] * 3, rel=1e-9)
    assert own == pytest.approx(expected, rel=1e-9)


def test_log_pieces_from_several_threads_come_out_as_whole_lines():
    stream = io.StringIO()
    with progress.live(stream) as shown:
        def pieces(tag: str) -> None:
            for i in range(200):
                shown.log(f"{tag}{i} line\n")

        threads = [threading.Thread(target=pieces, args=(tag,)) for tag in "abc"]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    lines = [line for line in stream.getvalue().splitlines() if not line.startswith("optmodels: ")]
    assert len(lines) == 600
    assert all(line.endswith(" line") and line.count("line") == 1 for line in lines)
