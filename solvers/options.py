"""Solve options shared by every family and every front-end."""

from __future__ import annotations

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
    """

    time_limit: float | None = None
    mip_rel_gap: float | None = None
    threads: int | None = None
    seed: int = 0
    tee: bool = False
    solver_options: Mapping[str, Any] = field(default_factory=dict)

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

    def time_left(self, started: float, share: float = 1.0) -> SolveOptions:
        """These options for a later stage of a multi-stage solve that began at ``started``
        (``time.perf_counter()``): ``share`` of the time limit still left, at least 0.5 s.

        The floor keeps a stage that starts when the limit is (nearly) spent able to load its
        model and hand back a start it was given, instead of failing on a zero limit; the
        caller decides whether to run a stage at all once the time is gone. No limit: unchanged.
        """
        if self.time_limit is None:
            return self
        left = max(self.time_limit - (time.perf_counter() - started), 0.5)
        return replace(self, time_limit=max(left * share, 0.5))


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
