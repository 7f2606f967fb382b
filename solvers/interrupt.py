"""Process hygiene around HiGHS: a quiet first ``Highs`` and Ctrl-C that stops a solve.

HiGHS prints its banner ("Running HiGHS ... Copyright ...") on stdout when the first ``Highs``
object of a process is made, whatever ``output_flag`` says later; stdout belongs to the program
using the suite, so that first object is made on import with file descriptor 1 pointed at
``/dev/null`` (:func:`new_highs`). And Ctrl-C during a solve asks HiGHS to stop at its next
interrupt check instead of being deferred until HiGHS returns (:class:`StopOnSigint`): the solve
comes back promptly with termination ``interrupted`` and whatever incumbent HiGHS holds;
:func:`interruptible` makes one Ctrl-C end a whole multi-stage strategy.

**Stop signals.** SIGINT (Ctrl-C) always, unless the process ignores it. SIGTERM -- what batch
schedulers and container runtimes send -- only where the program asks for it: its SIGTERM handler
carries the attribute :data:`STOPS_WORK` (``optmodels``'s command line installs such a handler).
A library user's SIGTERM keeps its usual meaning. :func:`last_signal` says which signal stopped
the work, so that a command can exit 130 (SIGINT) or 143 (SIGTERM).

**Between solves.** A strategy's Python code sees a stop signal as ``KeyboardInterrupt`` (raised
by the handler, or by :func:`check` at a stage boundary after a solve was stopped); a stage that
holds a best-so-far answer ends with it under :func:`until_interrupted`, and the strategy reports
that answer. :func:`stage` marks where each named stage starts (and, with the environment
variable :data:`STAGES_ENV` set, prints its name on stderr).

Kept apart from :mod:`solvers.highs` (the model hand-off and result extraction): these are about
the process the solver runs in, not about any model.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import highspy

NOT_STARTED = "not started: Ctrl-C was pressed earlier in this interruptible() block"

#: A signal handler with this attribute set to ``True`` says: this signal stops work as Ctrl-C
#: does. Interruptible blocks and HiGHS runs then take the signal over like SIGINT (HiGHS stops,
#: the incumbent is kept) and give the handler back afterwards. :mod:`optmodels.cli` keeps a copy
#: of the name: it installs its SIGTERM handler before the solver layer is imported.
STOPS_WORK = "stops_work"

#: Set (to anything but ``""`` or ``0``), :func:`stage` prints ``optmodels: stage NAME`` on stderr
#: as each stage of a strategy starts: what a long solve is doing, and when.
STAGES_ENV = "OPTMODELS_STAGES"

_last_signal: list[int | None] = [None]

_banner_lock = threading.Lock()
_banner_done = False


def _flush_c_stdout() -> None:
    with contextlib.suppress(Exception):  # no C library to flush on an odd platform: nothing to do
        ctypes.CDLL(None).fflush(None)


def new_highs() -> highspy.Highs:
    """A ``highspy.Highs`` with ``output_flag`` off, whose construction prints nothing.

    HiGHS writes its banner when the first ``Highs`` of a process is constructed (before any
    option can be set), straight to file descriptor 1. The first construction therefore runs
    with descriptor 1 on ``/dev/null``; later ones print nothing by themselves. Anything that
    makes a ``Highs`` (Pyomo's interface, an option probe) is quiet once this module is imported.
    """
    global _banner_done
    if not _banner_done:
        with _banner_lock:
            if not _banner_done:
                h = _construct_silently()
                _banner_done = True
                h.setOptionValue("output_flag", False)
                return h
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    return h


def _construct_silently() -> highspy.Highs:
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError, AttributeError):  # no usable stdout: nothing to protect
        return highspy.Highs()
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 1)
        finally:
            os.close(devnull)
        h = highspy.Highs()
        _flush_c_stdout()  # the banner may sit in C's buffer: let it go to /dev/null now
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    return h


new_highs()  # take the banner now: stdout belongs to the program importing the suite


@functools.lru_cache(maxsize=1)
def highs_version() -> str:
    h = new_highs()
    return f"{h.version()} ({h.githash()})"


def _stop_signals() -> dict[int, Any]:
    """The signals that stop work like Ctrl-C here, each with its current handler: SIGINT unless
    the process ignores it (a background job's), SIGTERM where its handler is marked
    :data:`STOPS_WORK`."""
    found: dict[int, Any] = {}
    handler = signal.getsignal(signal.SIGINT)
    if handler not in (signal.SIG_IGN, None):
        found[signal.SIGINT] = handler
    sigterm = getattr(signal, "SIGTERM", None)
    if sigterm is not None:
        handler = signal.getsignal(sigterm)
        if getattr(handler, STOPS_WORK, False) is True:
            found[sigterm] = handler
    return found


def _restore(previous: dict[int, Any]) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)


def last_signal() -> int | None:
    """The signal that last stopped work in an interruptible block or a HiGHS run of this
    process (``signal.SIGINT`` or ``signal.SIGTERM``), ``None`` if none has. A command exits
    ``128 + last_signal()`` when it was stopped (130, 143)."""
    return _last_signal[0]


class InterruptScope:
    """State of one :func:`interruptible` block: whether a stop signal has reached it, and which."""

    def __init__(self, active: bool) -> None:
        self.active = active
        self.requested = False
        self.signal: int | None = None  # the first stop signal that reached the block
        self.started = time.perf_counter()
        self._guard: StopOnSigint | None = None  # the HiGHS run in progress, if any

    def _handler(self, signum: int, frame: Any) -> None:
        self.requested = True
        if self.signal is None:
            self.signal = signum
        _last_signal[0] = signum
        guard = self._guard
        if guard is None:
            # Python code between solves: stop it the usual way.
            raise KeyboardInterrupt
        guard._request()


_scope: InterruptScope | None = None


@contextlib.contextmanager
def interruptible() -> Iterator[InterruptScope]:
    """A block of solves that one Ctrl-C ends: the running solve stops, later ones do not start.

    A multi-stage strategy (relax, restrict, then solve the full model) is one operation to its
    user. Without this block each solve handles Ctrl-C on its own, so a stage stopped by Ctrl-C
    would be followed by the next stage running to its time limit. Inside the block:

    - Ctrl-C during a HiGHS run stops that run (termination ``interrupted``, incumbent kept);
    - every solve started afterwards in the block returns at once with termination
      ``interrupted`` and no solution, so the strategy falls through to its end quickly and can
      report the best incumbent it holds (:func:`check` and :func:`requested` let its own loops
      and builds stop too);
    - Ctrl-C while Python code runs between solves raises ``KeyboardInterrupt`` as usual.

    SIGTERM is handled the same way where the program marked its SIGTERM handler
    (:data:`STOPS_WORK`). Only the main thread can install signal handlers; elsewhere (and where
    no stop signal is handled by Python) the block does nothing. Nested blocks share the outer
    one -- in the main thread only: a block in another thread (a Dask worker's, a user's pool)
    never joins the main thread's, so a Ctrl-C meant for the main thread's operation does not
    mark that thread's solves. The previous handlers are restored on exit.
    """
    global _scope
    if threading.current_thread() is not threading.main_thread():
        yield InterruptScope(active=False)
        return
    if _scope is not None:
        yield _scope
        return
    previous = _stop_signals()
    if not previous:
        yield InterruptScope(active=False)
        return
    scope = InterruptScope(active=True)
    for signum in previous:
        signal.signal(signum, scope._handler)
    _scope = scope
    try:
        yield scope
    finally:
        _scope = None
        _restore(previous)


def requested() -> bool:
    """A stop signal has reached the active :func:`interruptible` block (``False`` outside one:
    a library caller's Ctrl-C keeps its usual meaning; ``False`` in any thread but the main one,
    whose block a worker thread's solves never join)."""
    scope = _scope
    return scope is not None and scope.requested and threading.current_thread() is threading.main_thread()


def check() -> None:
    """Raise ``KeyboardInterrupt`` if a stop signal has reached the active block.

    A signal that arrives while HiGHS runs stops that run and returns; the strategy's Python code
    carries on. Called where a loop goes round again or a stage would start (a model build that
    can take seconds, a batch of LPs), it ends that work at once, as the signal would have had
    it arrived there. Costs one attribute read.
    """
    if requested():
        raise KeyboardInterrupt


@contextlib.contextmanager
def until_interrupted() -> Iterator[None]:
    """End the block quietly when a stop signal of the active block interrupts it.

    For a stage that keeps a best-so-far answer in variables outside the block: the answer
    survives and the caller reports it. A ``KeyboardInterrupt`` outside an interruptible block
    (a library caller's Ctrl-C) passes through unchanged.
    """
    try:
        yield
    except KeyboardInterrupt:
        if not requested():
            raise


def stage(name: str, *, checked: bool = True) -> None:
    """A named stage of a strategy starts: :func:`check` first (a stopped run starts no new stage;
    ``checked=False`` where the stage itself ends at once after a stop, keeping what came before),
    then, with :data:`STAGES_ENV` set, ``optmodels: stage NAME (+S s)`` on stderr (seconds since the
    interruptible block began)."""
    if checked:
        check()
    if os.environ.get(STAGES_ENV, "") not in ("", "0"):
        scope = _scope
        since = f" (+{time.perf_counter() - scope.started:.2f} s)" if scope is not None else ""
        print(f"optmodels: stage {name}{since}", file=sys.stderr, flush=True)


class StopOnSigint:
    """While active, SIGINT (Ctrl-C) asks HiGHS to stop instead of raising KeyboardInterrupt.

    Python runs signal handlers in the main thread between bytecodes, so while the main thread
    sits inside ``Highs.run`` a Ctrl-C would wait for HiGHS to return (at its time limit, or
    never). HiGHS calls its interrupt callbacks (simplex, IPM, MIP) from the thread that runs it,
    frequently; each call is Python code, so the handler runs there, sets :attr:`requested`, and
    the callback answers HiGHS with ``user_interrupt``. HiGHS then stops as at a limit, keeping
    its incumbent, with model status ``kInterrupt``. The callbacks cost nothing measurable (CPU
    time of a 1,400-iteration LP and a 6,500-node MILP within noise of the plain runs).

    Inside an :func:`interruptible` block the block's handler and flag are used (one Ctrl-C ends
    every solve of the block); outside one, a handler is installed for this run only -- in the
    main thread (the only one Python delivers signals to) and when SIGINT is handled by Python
    (not ignored, as in background jobs) -- and the previous handler is restored on exit.
    SIGTERM is treated alike where the program marked its handler (:data:`STOPS_WORK`).
    ``on_request`` is called on Ctrl-C too, for a ``Highs`` object this class cannot subscribe
    to (Pyomo's, through ``cancelSolve``).
    """

    _TYPES = ("cbSimplexInterrupt", "cbIpmInterrupt", "cbMipInterrupt")

    def __init__(self, highs: Any = None, on_request: Any = None) -> None:
        self.highs = highs
        self.on_request = on_request
        self._requested = False
        self.signal: int | None = None  # the stop signal that reached this run, if any
        self._scope: InterruptScope | None = None
        self._previous: dict[int, Any] = {}
        self._installed = False
        self._subscribed = False

    @property
    def requested(self) -> bool:
        """Ctrl-C was pressed during this run (or, in an interruptible block, before it)."""
        return self._requested or (self._scope is not None and self._scope.requested)

    def _request(self) -> None:
        self._requested = True
        if self.on_request is not None:
            with contextlib.suppress(Exception):  # a failed courtesy must not raise in HiGHS
                self.on_request()

    def _handler(self, signum: int, frame: Any) -> None:
        if self.signal is None:
            self.signal = signum
        _last_signal[0] = signum
        self._request()

    def _check(self, event: Any) -> None:
        # Called by HiGHS; never raise here (an exception makes HiGHS fail the solve).
        if self.requested:
            event.interrupt()

    def __enter__(self) -> StopOnSigint:
        if threading.current_thread() is not threading.main_thread():
            return self
        scope = _scope if _scope is not None and _scope.active else None
        previous: dict[int, Any] = {}
        if scope is None:
            previous = _stop_signals()
            if not previous:
                return self
        if self.highs is not None:
            try:
                for name in self._TYPES:
                    getattr(self.highs, name).subscribe(self._check)
                self._subscribed = True
            except Exception:  # noqa: BLE001 - an old highspy without callbacks: no early stop
                self._unsubscribe()
                return self
        if scope is not None:
            self._scope = scope
            scope._guard = self
        else:
            self._previous = previous
            for signum in previous:
                signal.signal(signum, self._handler)
            self._installed = True
        return self

    def _unsubscribe(self) -> None:
        if self.highs is None:
            return
        for name in self._TYPES:
            with contextlib.suppress(Exception):
                getattr(self.highs, name).unsubscribe(self._check)
        self._subscribed = False

    def __exit__(self, *exc: object) -> None:
        if self._installed:
            _restore(self._previous)
            self._installed = False
        if self._scope is not None and self._scope._guard is self:
            self._scope._guard = None
        if self._subscribed:
            self._unsubscribe()
