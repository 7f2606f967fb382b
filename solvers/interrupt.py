"""Process hygiene around HiGHS: a quiet first ``Highs`` and Ctrl-C that stops a solve.

HiGHS prints its banner ("Running HiGHS ... Copyright ...") on stdout when the first ``Highs``
object of a process is made, whatever ``output_flag`` says later; stdout belongs to the program
using the suite, so that first object is made on import with file descriptor 1 pointed at
``/dev/null`` (:func:`new_highs`). And Ctrl-C during a solve asks HiGHS to stop at its next
interrupt check instead of being deferred until HiGHS returns (:class:`StopOnSigint`): the solve
comes back promptly with termination ``interrupted`` and whatever incumbent HiGHS holds;
:func:`interruptible` makes one Ctrl-C end a whole multi-stage strategy.

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
from collections.abc import Iterator
from typing import Any

import highspy

NOT_STARTED = "not started: Ctrl-C was pressed earlier in this interruptible() block"

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


class InterruptScope:
    """State of one :func:`interruptible` block: whether Ctrl-C has been pressed in it."""

    def __init__(self, active: bool) -> None:
        self.active = active
        self.requested = False
        self._guard: StopOnSigint | None = None  # the HiGHS run in progress, if any

    def _handler(self, signum: int, frame: Any) -> None:
        self.requested = True
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
      report the best incumbent it holds;
    - Ctrl-C while Python code runs between solves raises ``KeyboardInterrupt`` as usual.

    Only the main thread can install a SIGINT handler; elsewhere (and where SIGINT is ignored)
    the block does nothing. Nested blocks share the outer one -- in the main thread only: a
    block in another thread (a Dask worker's, a user's pool) never joins the main thread's, so
    a Ctrl-C meant for the main thread's operation does not mark that thread's solves. The
    previous handler is restored on exit.
    """
    global _scope
    if threading.current_thread() is not threading.main_thread():
        yield InterruptScope(active=False)
        return
    if _scope is not None:
        yield _scope
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous in (signal.SIG_IGN, None):
        yield InterruptScope(active=False)
        return
    scope = InterruptScope(active=True)
    signal.signal(signal.SIGINT, scope._handler)
    _scope = scope
    try:
        yield scope
    finally:
        _scope = None
        signal.signal(signal.SIGINT, previous)


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
    ``on_request`` is called on Ctrl-C too, for a ``Highs`` object this class cannot subscribe
    to (Pyomo's, through ``cancelSolve``).
    """

    _TYPES = ("cbSimplexInterrupt", "cbIpmInterrupt", "cbMipInterrupt")

    def __init__(self, highs: Any = None, on_request: Any = None) -> None:
        self.highs = highs
        self.on_request = on_request
        self._requested = False
        self._scope: InterruptScope | None = None
        self._previous: Any = None
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
        self._request()

    def _check(self, event: Any) -> None:
        # Called by HiGHS; never raise here (an exception makes HiGHS fail the solve).
        if self.requested:
            event.interrupt()

    def __enter__(self) -> StopOnSigint:
        if threading.current_thread() is not threading.main_thread():
            return self
        scope = _scope if _scope is not None and _scope.active else None
        if scope is None:
            previous = signal.getsignal(signal.SIGINT)
            if previous in (signal.SIG_IGN, None):
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
            signal.signal(signal.SIGINT, self._handler)
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
            signal.signal(signal.SIGINT, self._previous)
            self._installed = False
        if self._scope is not None and self._scope._guard is self:
            self._scope._guard = None
        if self._subscribed:
            self._unsubscribe()
