"""Progress of long work on stderr: a live line for a solve, and bars that suit where they show.

**The live line** (:func:`live`). While a solve runs, one line says how far it is::

    optmodels: 1:12  stage equipment.full  incumbent 166.5959  bound 166.3542  gap 0.145%

elapsed time, the strategy's stage (what :func:`solvers.interrupt.stage` last named) and, while a
MIP runs, HiGHS's incumbent, dual bound and relative gap, read from its MIP callbacks
(``cbMipInterrupt``, a few calls per node, and ``cbMipImprovingSolution``). On a terminal the
line appears after :data:`DELAY` seconds (a fast solve shows nothing) and is redrawn in place
with a carriage return every :data:`REFRESH` seconds; elsewhere (a log file, a pipe, CI) a plain
full line is written every :data:`EVERY` seconds (``OPTMODELS_PROGRESS_EVERY`` changes it) and no
carriage return is ever written. The line is cleared when the block ends, before the caller
prints its result. The HiGHS log, when asked for (``SolveOptions.tee``) inside the block, goes
to the same stream line by line above the live line instead of to stdout, so that stdout keeps
only what the program prints there (``optmodels solve --json``).

Design choices:

- **Nothing unless asked.** The line belongs to whoever shows output -- the ``optmodels``
  command turns it on; a library caller (a notebook, a script, a sweep's worker thread) gets
  nothing unless it opens a :func:`live` block itself. Outside a block every hook costs one
  global read.
- **The solver layer only reports; one thread draws.** Callbacks and stage marks store a few
  numbers (no I/O inside HiGHS); a daemon thread started by the block formats and writes the
  line, so the elapsed time moves while Python builds a model too. The thread that opened the
  block is the one whose solves are shown: a worker thread's solves never write into another
  thread's line (as a worker thread's solves never join the main thread's stop request).
- **Callbacks never raise into HiGHS** (an exception there fails the solve); they coexist with
  the Ctrl-C handler's and the root-bound recorder's subscriptions on the same events.

**Bars** (:func:`bar`): the fronts, sweeps, benchmarks and the executor count tasks with a tqdm
bar in a notebook (its widget) or on a terminal, and with a plain line every :data:`EVERY`
seconds and one with the final count elsewhere -- never a carriage return in a redirected log.

**Quiet**: with ``OPTMODELS_QUIET`` set (``optmodels -q``), neither the line nor any bar shows.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any, TextIO

#: Set (to anything but ``""`` or ``0``): no live line and no bars (``optmodels -q``).
QUIET_ENV = "OPTMODELS_QUIET"
#: Seconds between plain progress lines where stderr is not a terminal (default :data:`EVERY`).
EVERY_ENV = "OPTMODELS_PROGRESS_EVERY"

DELAY = 2.0  #: seconds before the live line first shows on a terminal
REFRESH = 0.5  #: seconds between redraws of the live line on a terminal
EVERY = 30.0  #: seconds between plain lines elsewhere


def quiet() -> bool:
    """``OPTMODELS_QUIET`` is set: show no progress at all."""
    return os.environ.get(QUIET_ENV, "") not in ("", "0")


def every() -> float:
    """Seconds between plain progress lines: ``OPTMODELS_PROGRESS_EVERY`` if it is a positive
    number, else :data:`EVERY`."""
    try:
        value = float(os.environ.get(EVERY_ENV, ""))
    except ValueError:
        return EVERY
    return value if math.isfinite(value) and value > 0 else EVERY


def is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):  # closed, replaced or odd streams: not a terminal
        return False


def in_notebook() -> bool:
    """Running in a Jupyter kernel (where tqdm draws its widget)."""
    if "ipykernel" not in sys.modules:
        return False
    try:
        from IPython import get_ipython

        shell = get_ipython()
        return shell is not None and "IPKernelApp" in shell.config
    except Exception:  # noqa: BLE001 - no IPython, or an odd shell: not a notebook
        return False


# --------------------------------------------------------------------------------------------
# The live line
# --------------------------------------------------------------------------------------------


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.7g}"


def _finite(value: Any) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _columns(stream: Any) -> int:
    """The terminal's width (``COLUMNS``, or 80, where the terminal does not say: a new pty)."""
    try:
        columns = os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, ValueError, OSError):
        columns = 0
    return columns if columns > 0 else shutil.get_terminal_size().columns


class Live:
    """The state of a running solve and the thread that shows it (made by :func:`live`)."""

    def __init__(self, stream: TextIO, *, tty: bool, delay: float, interval: float) -> None:
        self.stream = stream
        self.tty = tty
        self.delay = delay
        self.interval = interval
        self.started = time.perf_counter()
        self.owner = threading.get_ident()
        self.stage: str | None = None
        self.mip = False  # a MIP has run in this stage: show its numbers
        # (incumbent, bound, gap), replaced as one tuple so a reader never sees a mix
        self.numbers: tuple[float | None, float | None, float | None] = (None, None, None)
        self.drawn = 0  # lines written (plain) or redraws (terminal)
        self._width = 0  # characters of the line now on the terminal (0: none)
        self._partial = ""  # a solver-log message whose line has not ended yet
        # re-entrant: log() holds it across write_line(), so HiGHS threads' pieces never interleave
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="optmodels-progress", daemon=True)

    # -- what the solver layer reports (the owner thread's solves only) ------------------------
    def set_stage(self, name: str) -> None:
        self.stage = name
        self.mip = False
        self.numbers = (None, None, None)

    def run_started(self, mip: bool) -> None:
        self.mip = self.mip or mip
        self.numbers = (None, None, None)

    def mip_progress(self, incumbent: Any, bound: Any, gap: Any) -> None:
        incumbent, bound, gap = _finite(incumbent), _finite(bound), _finite(gap)
        self.numbers = (incumbent, bound, gap if incumbent is not None else None)

    # -- what is shown ------------------------------------------------------------------------
    def text(self) -> str:
        parts = [f"optmodels: {_clock(time.perf_counter() - self.started)}"]
        if self.stage:
            parts.append(f"stage {self.stage}")
        if self.mip:
            incumbent, bound, gap = self.numbers
            parts += [f"incumbent {_number(incumbent)}", f"bound {_number(bound)}",
                      "gap -" if gap is None else f"gap {gap:.3%}"]
        return "  ".join(parts)

    def draw(self) -> None:
        with self._lock:
            if self._closed:
                return
            text = self.text()
            if self.tty:
                # one terminal row, never wrapped: a wrapped line cannot be redrawn in place
                text = text[: max(_columns(self.stream) - 1, 20)]
                self._write("\r" + text + " " * max(self._width - len(text), 0))
                self._width = len(text)
            else:
                self._write(text + "\n")
            self.drawn += 1

    def write_line(self, text: str) -> None:
        """A line of other output (a stage mark, the solver log) above the live line."""
        with self._lock:
            self._clear()
            self._write(text.rstrip("\n") + "\n")
            if self.tty and self.drawn:
                self.draw()  # the live line back below it at once, not at the next refresh

    def log(self, message: str) -> None:
        """A piece of the solver's log; whole lines are written as they complete."""
        with self._lock:
            self._partial += message
            if "\n" not in self._partial:
                return
            *lines, self._partial = self._partial.split("\n")
            for line in lines:
                self.write_line(line)

    def _write(self, text: str) -> None:
        with contextlib.suppress(OSError, ValueError):  # a closed or broken stderr: show nothing
            self.stream.write(text)
            self.stream.flush()

    def _clear(self) -> None:
        if self._width:
            self._write("\r" + " " * self._width + "\r")
            self._width = 0

    def _run(self) -> None:
        if self._stop.wait(self.delay):
            return
        while True:
            self.draw()
            if self._stop.wait(self.interval):
                return

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        """Stop drawing; the line is cleared (terminal) and a pending log line written."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        with self._lock:
            if self._partial:
                self.write_line(self._partial)
                self._partial = ""
            self._clear()
            self._closed = True


_live: Live | None = None
#: guards :data:`_live`: two threads opening blocks at once must not both install theirs
_live_lock = threading.Lock()


@contextlib.contextmanager
def live(stream: TextIO | None = None, *, enabled: bool = True) -> Iterator[Live | None]:
    """Show the live line of the solves this thread runs inside the block (see the module).

    ``stream`` defaults to ``sys.stderr``. Nothing is shown when ``enabled`` is false or
    ``OPTMODELS_QUIET`` is set (the block yields ``None``); a block inside another shares it.
    """
    global _live
    if not enabled or quiet():
        yield None
        return
    stream = sys.stderr if stream is None else stream
    tty = is_terminal(stream)
    interval = every()
    with _live_lock:
        outer = _live
        if outer is None:
            shown = _live = Live(stream, tty=tty, delay=min(DELAY, interval) if tty else interval,
                                 interval=min(REFRESH, interval) if tty else interval)
    if outer is not None:
        yield outer
        return
    shown.start()
    try:
        yield shown
    finally:
        with _live_lock:
            _live = None
        shown.close()


def current() -> Live | None:
    """The live line showing this thread's solves, if any."""
    shown = _live
    return shown if shown is not None and shown.owner == threading.get_ident() else None


def stage(name: str) -> None:
    """A strategy's stage starts (called by :func:`solvers.interrupt.stage`)."""
    shown = current()
    if shown is not None:
        shown.set_stage(name)


def note(text: str) -> None:
    """Write one line on stderr -- above the live line when one is shown, so the two never mix."""
    shown = _live
    if shown is not None:
        shown.write_line(text)
    else:
        print(text, file=sys.stderr, flush=True)


class feed:  # noqa: N801 - used as a context manager, named like one
    """While a ``highspy.Highs`` runs, report its MIP progress (and its log, with ``log=True``)
    to this thread's live line; does nothing outside a :func:`live` block.

    With ``log`` the log goes through HiGHS's logging callback with ``log_to_console`` off for
    the run (HiGHS writes a log line to its callback *and* to stdout otherwise), and is written
    above the live line on its stream.
    """

    _MIP = ("cbMipInterrupt", "cbMipImprovingSolution")

    def __init__(self, highs: Any, *, mip: bool, log: bool = False) -> None:
        self.highs, self.mip, self.log = highs, mip, log
        self.shown: Live | None = None
        self._subscribed: list[tuple[str, Any]] = []
        self._console: Any = None  # log_to_console before the run, restored after it
        self._muted: int | None = None  # the saved stdout descriptor while the console copy is muted

    def _on_mip(self, event: Any) -> None:
        # Called by HiGHS; never raise here (an exception makes HiGHS fail the solve).
        try:
            out = event.data_out
            self.shown.mip_progress(out.mip_primal_bound, out.mip_dual_bound, out.mip_gap)
        except Exception:  # noqa: BLE001 - an older data_out without these fields: no numbers
            pass

    def _on_log(self, event: Any) -> None:
        # Called by HiGHS; never raise here.
        with contextlib.suppress(Exception):
            self.shown.log(str(event.message))

    def __enter__(self) -> feed:
        shown = current()
        if shown is None or self.highs is None:
            return self
        self.shown = shown
        shown.run_started(self.mip)
        wanted = [(name, self._on_mip) for name in self._MIP] if self.mip else []
        if self.log:
            wanted.append(("cbLogging", self._on_log))
        for name, callback in wanted:
            try:
                getattr(self.highs, name).subscribe(callback)
                self._subscribed.append((name, callback))
            except Exception:  # noqa: BLE001 - an old highspy without this callback: no numbers
                continue
        if any(name == "cbLogging" for name, _ in self._subscribed):
            if _log_callback_needs_console():
                # an older HiGHS calls the logging callback only for lines it also writes to its
                # console: keep the console on and send that copy to /dev/null for the run
                self._muted = _mute_stdout()
            else:
                with contextlib.suppress(Exception):
                    self._console = _option(self.highs, "log_to_console")
                self.highs.setOptionValue("log_to_console", False)
        return self

    def __exit__(self, *exc: object) -> None:
        for name, callback in self._subscribed:
            with contextlib.suppress(Exception):
                getattr(self.highs, name).unsubscribe(callback)
            if name == "cbLogging" and self._console is not None:
                with contextlib.suppress(Exception):
                    self.highs.setOptionValue("log_to_console", self._console)
        self._subscribed = []
        if self._muted is not None:
            _unmute_stdout(self._muted)
            self._muted = None


_needs_console: list[bool] = []


def _log_callback_needs_console() -> bool:
    """Whether this HiGHS calls its logging callback only while ``log_to_console`` is on (highspy
    1.13 does; newer releases call it either way): probed once on a one-column LP."""
    if not _needs_console:
        from solvers.interrupt import new_highs

        heard: list[Any] = []
        h = new_highs()
        try:
            h.cbLogging.subscribe(lambda event: heard.append(event))
            h.setOptionValue("output_flag", True)
            h.setOptionValue("log_to_console", False)
            h.addVar(0.0, 1.0)
            h.run()
        except Exception:  # noqa: BLE001 - no logging callback at all: nothing to route
            heard.append(None)
        _needs_console.append(not heard)
    return _needs_console[0]


def _mute_stdout() -> int | None:
    """Point file descriptor 1 at /dev/null; returns the saved descriptor (``None``: no usable
    stdout). Process-wide for the run: only ``-v`` on a single solve asks for it."""
    from solvers.interrupt import _flush_c_stdout

    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError, AttributeError):
        return None
    _flush_c_stdout()
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
    finally:
        os.close(devnull)
    return saved


def _unmute_stdout(saved: int) -> None:
    from solvers.interrupt import _flush_c_stdout

    _flush_c_stdout()  # HiGHS's console copy still in C's buffer goes to /dev/null, not stdout
    os.dup2(saved, 1)
    os.close(saved)


def _option(highs: Any, name: str) -> Any:
    """An option's value (highspy returns ``(status, value)`` in some releases, the value in others)."""
    value = highs.getOptionValue(name)
    return value[1] if isinstance(value, tuple) else value


# --------------------------------------------------------------------------------------------
# Bars
# --------------------------------------------------------------------------------------------


class PlainBar:
    """A bar's counts as a plain line every :func:`every` seconds (where no terminal shows a
    bar), and the final count at :meth:`close` (so a short run writes that one line: whoever
    asked for a bar sees how the work ended); ``update`` and ``set_postfix_str`` as tqdm's."""

    def __init__(self, total: int | None, *, desc: str, unit: str, stream: TextIO) -> None:
        self.total, self.desc, self.unit, self.stream = total, desc, unit, stream
        self.n = 0
        self.postfix = ""
        self.lines = 0
        self._said: tuple[int, str] | None = None  # (count, postfix) of the last line written
        self.started = self._last = time.perf_counter()
        self.interval = every()
        self._lock = threading.Lock()

    def __bool__(self) -> bool:
        return self.total is None or self.total > 0

    def update(self, n: int = 1) -> None:
        with self._lock:
            self.n += n
            now = time.perf_counter()
            if now - self._last >= self.interval:
                self._last = now
                self._line()

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
        self.postfix = str(s)

    def close(self) -> None:
        with self._lock:
            if self._said != (self.n, self.postfix):  # not twice, when the last line said it
                self._line()

    def _line(self) -> None:
        self._said = (self.n, self.postfix)
        count = f"{self.n}/{self.total}" if self.total else f"{self.n}"
        share = f" ({self.n / self.total:.0%})" if self.total else ""
        postfix = f", {self.postfix}" if self.postfix else ""
        elapsed = _clock(time.perf_counter() - self.started)
        with contextlib.suppress(OSError, ValueError):
            print(f"optmodels: {self.desc}: {count} {self.unit}{share} after {elapsed}{postfix}",
                  file=self.stream, flush=True)
        self.lines += 1


class NoBar:
    """What :func:`bar` gives when nothing is to be shown: false, and every call does nothing."""

    def __bool__(self) -> bool:
        return False

    def update(self, n: int = 1) -> None:
        pass

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
        pass

    def close(self) -> None:
        pass


def bar(total: int | None = None, *, desc: str, unit: str = "it", leave: bool = False,
        enabled: bool = True, stream: TextIO | None = None) -> Any:
    """A progress bar over ``total`` steps (``None``: open-ended): tqdm's widget in a notebook,
    tqdm on a terminal, a :class:`PlainBar` elsewhere, a :class:`NoBar` when not ``enabled`` or
    quiet. Callers use ``update``, ``set_postfix_str`` and ``close``."""
    if not enabled or quiet():
        return NoBar()
    stream = sys.stderr if stream is None else stream
    if in_notebook():
        from tqdm.auto import tqdm

        return tqdm(total=total, desc=desc, unit=unit, leave=leave)
    if is_terminal(stream):
        from tqdm import tqdm

        return tqdm(total=total, desc=desc, unit=unit, leave=leave, file=stream)
    return PlainBar(total, desc=desc, unit=unit, stream=stream)
