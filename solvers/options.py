"""Solve options shared by every family and every front-end."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

#: Most threads a solve may ask HiGHS for. HiGHS starts one worker per thread asked for at the
#: first run in a calling thread: 1024 threads take 14 s to start on 2 cores, 100000 abort the process (SIGABRT)
#: after a minute. HiGHS's parallelism (concurrent LP, MIP tasks) gains nothing from more than a
#: few dozen, so a count above this is a mistake, refused before anything runs.
MAX_THREADS = 256


@dataclass(frozen=True)
class SolveOptions:
    """How to run HiGHS; frozen so a result can echo exactly what produced it.

    Parameters
    ----------
    time_limit
        Wall-clock limit in seconds (``None``: no limit). A run that hits it returns its
        incumbent with termination ``time_limit`` -- never ``optimal``.
    mip_rel_gap
        Relative MIP gap at which HiGHS may stop and call the solution optimal
        (``None``: HiGHS's default, 1e-4).
    threads
        Threads for HiGHS, 1 to :data:`MAX_THREADS` (``None``: HiGHS decides). HiGHS keeps one
        worker pool per thread that runs it; a run asking for a different count than the last
        in its thread restarts that pool (``solvers.highs``), so counts may change between
        solves, in one thread or several. A ``threads`` entry in ``solver_options`` is held to
        the same bound.
    seed
        HiGHS ``random_seed``; fixed by default so that repeated runs are reproducible.
    tee
        Stream the solver log to stdout.
    solver_options
        Any further HiGHS options by name, passed through unchanged.
    explain_infeasible
        On an infeasible model, name an infeasible subsystem (HiGHS's IIS search, up to
        ``solvers.highs.IIS_SECONDS``) in the result -- for a person reading why. Off where "no" is
        an expected answer (a decision problem asked at many radii): there the search costs
        seconds a time and nobody reads it.
    """

    time_limit: float | None = None
    mip_rel_gap: float | None = None
    threads: int | None = None
    seed: int = 0
    tee: bool = False
    solver_options: Mapping[str, Any] = field(default_factory=dict)
    explain_infeasible: bool = True

    def __post_init__(self) -> None:
        if self.time_limit is not None and not self.time_limit > 0:
            raise ValueError(f"time_limit must be > 0 seconds, found {self.time_limit!r}")
        if self.mip_rel_gap is not None and not self.mip_rel_gap >= 0:
            raise ValueError(f"mip_rel_gap must be >= 0, found {self.mip_rel_gap!r}")
        _check_threads(self.threads, "threads")
        if "threads" in self.solver_options:
            _check_threads(self.solver_options["threads"], "solver_options['threads']")
        # Freeze the mapping too, so the dataclass is frozen all the way down.
        object.__setattr__(self, "solver_options", dict(self.solver_options))

    def highs_options(self) -> dict[str, Any]:
        """The options as HiGHS option names and values."""
        opts: dict[str, Any] = {"output_flag": bool(self.tee), "random_seed": int(self.seed)}
        if self.time_limit is not None:
            opts["time_limit"] = float(self.time_limit)
        if self.mip_rel_gap is not None:
            opts["mip_rel_gap"] = float(self.mip_rel_gap)
        if self.threads is not None:
            opts["threads"] = int(self.threads)
        opts.update(self.solver_options)
        return opts

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def budget(self, started: float | None = None) -> Budget:
        """The time budget of a multi-stage solve under these options that began at ``started``
        (``time.perf_counter()``; ``None``: now). See :class:`Budget`."""
        return Budget(self, time.perf_counter() if started is None else started)

    def time_left(self, started: float, share: float = 1.0) -> SolveOptions:
        """``self.budget(started).time_left(share)``: for a caller that holds only its start time
        (:meth:`Budget.time_left` says what it returns)."""
        return self.budget(started).time_left(share)

    def expired(self, started: float) -> bool:
        """``self.budget(started).expired()``: whether the time limit of a solve that began at
        ``started`` is spent (never, without a limit)."""
        return self.budget(started).expired()


#: the shortest time limit :meth:`Budget.time_left` hands a stage, also once the time is spent
MIN_STAGE_SECONDS = 0.5


@dataclass(frozen=True)
class Budget:
    """The wall-clock time of one multi-stage solve: the options it runs under and when it began.

    Made once, at the start (:meth:`SolveOptions.budget`), and handed to every stage, so that no
    stage re-derives what is left from ``time_limit`` and a start time of its own. Three answers:

    - :meth:`time_left`: the options for the next stage, with ``share`` of the seconds left as
      its time limit, never below :data:`MIN_STAGE_SECONDS` -- also once the time is spent, when
      the stage gets exactly that floor. A ``SolveOptions`` cannot hold a limit <= 0, and the floor
      keeps a stage that starts at the end able to load its model and hand back a start it was
      given instead of failing; whether to run a stage at all once the time is gone is the
      caller's choice, by :meth:`expired`.
    - :meth:`seconds_left`: the seconds left as a number, for work that is not a HiGHS run (a
      search loop, a cut loop): ``0.0`` once spent, never negative, ``math.inf`` without a limit.
    - :meth:`expired`: a limit is set and the time since ``started`` has reached it.

    Without a time limit nothing expires and :meth:`time_left` returns the options unchanged.
    Each call reads the clock; the object itself never changes.
    """

    options: SolveOptions
    started: float = field(default_factory=time.perf_counter)

    def time_left(self, share: float = 1.0) -> SolveOptions:
        """The options with ``share`` (0 < share <= 1) of the seconds left as their time limit,
        at least :data:`MIN_STAGE_SECONDS`; unchanged without a limit."""
        if not 0 < share <= 1:
            raise ValueError(f"share must be in (0, 1], found {share!r}")
        limit = self.options.time_limit
        if limit is None:
            return self.options
        left = max(limit - (time.perf_counter() - self.started), MIN_STAGE_SECONDS)
        return replace(self.options, time_limit=max(left * share, MIN_STAGE_SECONDS))

    def seconds_left(self) -> float:
        """Seconds until the time limit: ``0.0`` once it is spent, ``math.inf`` without one."""
        limit = self.options.time_limit
        if limit is None:
            return math.inf
        return max(limit - (time.perf_counter() - self.started), 0.0)

    def expired(self) -> bool:
        """Whether a time limit is set and spent."""
        return self.seconds_left() <= 0.0


def _check_threads(value: Any, name: str) -> None:
    if value is None:
        return
    try:
        count = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an integer, found {value!r}") from None
    if count != value and str(count) != str(value).strip():
        raise ValueError(f"{name} must be an integer, found {value!r}")
    # 0 is HiGHS's own "decide for me" in its option; here only through solver_options.
    low = 0 if name != "threads" else 1
    if not low <= count <= MAX_THREADS:
        raise ValueError(f"{name} must be between {low} and {MAX_THREADS}, found {value!r}")
