"""Solve options shared by every family and every front-end."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any


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
        Threads for HiGHS (``None``: HiGHS decides). HiGHS fixes its thread pool at the
        first run in a process, so later changes within one process may be ignored.
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
        if self.threads is not None and self.threads < 1:
            raise ValueError(f"threads must be >= 1, found {self.threads!r}")
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
