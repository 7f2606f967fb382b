"""How a front is run, apart from what is solved: the settings the three front-ends share.

:func:`solvers.epsilon.epsilon_front`, :func:`solvers.weighted_sum.weighted_sum_front` and
:func:`solvers.moea.nsga2_front` each took the same five to six run keywords beside their own
(10-13 keywords in all). They now take one :class:`RunSettings` (``run=``), as pymoo's
``minimize`` takes a problem, an algorithm and a termination, so that a caller (the CLI, the
NSGA-II seeding, a benchmark) states how to run once and hands the same object to any method.

The old keywords keep working (``epsilon_front(model, workers=2, progress=True)``): they are
read into a :class:`RunSettings` by :func:`resolve`, and given beside ``run=`` they override its
fields. A keyword no front-end knows is a ``TypeError``, as it was.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RunSettings:
    """Where and how a front's solves run, and what is recorded per point.

    Attributes
    ----------
    workers
        Processes of the local pool for independent solves (blocks of the outer epsilon grid,
        chunks of weight vectors); 1 (default): in this process. NSGA-II runs in-process.
    scheduler
        A Dask scheduler address (or client) instead of the local pool
        (:func:`solvers.executor.run_tasks`).
    blocks
        Number of tasks the independent work is cut into; default: 4 per pool process or per
        thread of the Dask cluster (:func:`solvers.executor.task_count`), 1 in-process.
    progress
        A bar over the run's work (:func:`solvers.progress.bar`: tqdm on a terminal, plain lines
        in a log).
    summary
        MILP methods: ``summary(model) -> str`` with the solution loaded into the Pyomo model;
        NSGA-II: ``summary(x) -> str`` of a decision vector. For ``front.csv``; default: the
        non-zero variables (NSGA-II: the problem's own ``summary`` if it has one).
    decision
        MILP methods: ``decision(model) -> object`` stored per point (e.g. a family's decision
        vector, to seed NSGA-II); default: ``{variable name: value}`` of the non-zero variables.
    """

    workers: int = 1
    scheduler: Any = None
    blocks: int | None = None
    progress: bool = False
    summary: Callable[[Any], str] | None = None
    decision: Callable[[Any], Any] | None = None

    @property
    def in_process(self) -> bool:
        """Whether the work runs in this process (one worker, no scheduler)."""
        return self.workers <= 1 and self.scheduler is None


#: The fields a front-end's old keywords may set.
FIELDS = tuple(f.name for f in dataclasses.fields(RunSettings))


def resolve(run: RunSettings | None, keywords: Mapping[str, Any], *, function: str,
            accepted: tuple[str, ...] = FIELDS) -> RunSettings:
    """``run`` (default: :class:`RunSettings`) with the old run keywords ``keywords`` applied.

    ``accepted`` are the keywords ``function`` took before :class:`RunSettings` (NSGA-II: only
    ``progress`` and ``summary``); any other is the ``TypeError`` Python raised for it then.
    """
    unknown = [k for k in keywords if k not in accepted]
    if unknown:
        raise TypeError(f"{function}() got an unexpected keyword argument {unknown[0]!r}")
    run = run if run is not None else RunSettings()
    if not isinstance(run, RunSettings):
        raise TypeError(f"{function}(): run must be a solvers.run_settings.RunSettings, found {type(run).__name__}")
    return dataclasses.replace(run, **keywords) if keywords else run
