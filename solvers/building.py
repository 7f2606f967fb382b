"""Pyomo work in one process, one thread at a time; builders with the garbage collector paused.

Threads (a Dask worker with several threads, a user's own thread pool) may solve at once in one
process. Each solve has its own model and its own ``highspy.Highs``, but Pyomo keeps
process-wide state that it was not written to share between threads. Read in Pyomo 6.10:

- the standard-form compiler fills its class attributes on first use
  (``_LinearStandardFormCompiler_impl._to_vector`` first, then the scipy constructors, whose
  import lets other threads run), so a second thread compiling meanwhile calls ``None``:
  ``TypeError: 'NoneType' object is not callable`` (seen: 18 of 20 ``error`` rows of a sweep
  on a Dask worker with two threads; three of four threads' first solves);
- the QP path (``pyomo.contrib.solver``'s ``highs``) points file descriptors 1 and 2 and
  ``sys.stdout``/``sys.stderr`` at its own capture for the whole run, and restores them on
  exit: two such runs in two threads restore each other's in the wrong order (seen: with four
  threads solving the equity QP, the process exited 1 with nothing on stdout or stderr, or hung
  for over ten minutes);
- ``generate_standard_repn`` (our ``linear_coefficients``, the QP interface) sets a module
  global to the quadratic or the linear result class of the call in progress;
- ``LinearExpression`` caches one expression's coefficients in a class attribute, and
  ``identify_variables`` walks with one shared visitor;
- ``PauseGC`` switches the collector for the whole process.

So every Pyomo phase of a solve -- the build (:func:`gc_paused`), the compile to arrays, the
read-back of the solution into the model (:mod:`solvers.highs`) and the whole QP solve -- holds
:data:`pyomo_lock`, one re-entrant lock per process. HiGHS's own run of a compiled model is
not a Pyomo phase: highspy releases the GIL in ``Highs.run``, so those runs proceed in parallel
(HiGHS keeps one worker pool per calling thread; :mod:`solvers.highs` sizes each thread's own).

The lock costs next to no throughput: what it covers is Python code holding the GIL, which two
threads could not run at once anyway. A lock around each whole solve would also be correct, but
a solve is the family's strategy (family code, several stages, in ``optmodels``) and it would
serialise the HiGHS runs too, which is where the time goes on any instance that takes long.
What a family does between phases -- reading values, ``pyo.value``, fixing variables, adding a
constraint to its own model -- touches its own model, Pyomo's operator dispatch tables (filled
idempotently) and ``value``'s shared evaluation visitor (whose walk keeps its stack local).
Resolving the deferred imports at import time instead would fix the first item only, and
put scipy.sparse's import (0.7 CPU-seconds here) into every ``import solvers``, also for
commands that never solve.

Builders also run with Python's cyclic garbage collector paused. A Pyomo build creates
hundreds of thousands of small objects (components, expressions) and no garbage cycles worth
collecting; every generation-2 collection it triggers walks all of them and every other live
object. So a build's time grew with whatever the process already held: the p-median radius
model at 1000 x 100 took 0.10 s to build in a fresh process and 0.10-0.48 s on later builds in
the same process, against a steady 0.09-0.11 s paused (six builds each way, alternating, all
kept alive). Pyomo's own standard-form compiler pauses it the same way.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from pyomo.common.gc_manager import PauseGC

P = ParamSpec("P")
R = TypeVar("R")

#: Held by every Pyomo phase of a solve in this process (see the module docstring). Re-entrant,
#: because phases nest (a builder that compiles, a compile inside a QP solve).
pyomo_lock = threading.RLock()


def gc_paused(build: Callable[P, R]) -> Callable[P, R]:
    """``build`` run holding :data:`pyomo_lock`, with the garbage collector paused (see the
    module). The lock is taken first, so two threads never pause and resume the one collector
    in an interleaved order."""

    @functools.wraps(build)
    def paused(*args: P.args, **kwargs: P.kwargs) -> R:
        with pyomo_lock, PauseGC():
            return build(*args, **kwargs)

    return paused
