"""Where independent solves run: in this process, on a local process pool, or on a Dask cluster.

The multi-objective front-ends cut their work into independent tasks (blocks of the outer
epsilon grid, chunks of weight vectors) and hand them to :func:`run_tasks`:

* ``workers=1`` and no scheduler: in this process, one task after the other (the task may
  report finer progress through its ``progress`` callback);
* ``workers=W > 1``: a ``concurrent.futures.ProcessPoolExecutor`` with ``W`` processes started
  with ``spawn`` -- a forked child would inherit HiGHS's thread pool from the parent, which is
  not fork-safe;
* ``scheduler=ADDRESS`` (or a ``dask.distributed.Client``): the tasks go to that Dask cluster
  (``pip install optmodels[dask]``).

Tasks go to the pool serialised with ``cloudpickle`` (as Dask does), because Pyomo models built
with ``rule=lambda ...`` do not pickle with the standard library; results must pickle. Ctrl-C cancels the tasks not yet started, gives
the running ones a few seconds (:data:`GRACE_SECONDS`) to return their partial results, then
terminates the pool's processes, so the caller keeps what finished and exits within seconds.

Pool workers die with their parent, whatever killed it (SIGKILL included): each worker asks the
kernel for SIGKILL when its parent goes (``prctl(PR_SET_PDEATHSIG)`` on Linux) and runs a
watchdog thread that polls its parent id (every platform; an orphan is re-parented, so the id
changes). Without this, a killed sweep's workers went on with the tasks already queued to them,
then waited for more forever, holding the caller's stdout/stderr pipes open. The
multiprocessing resource tracker then follows by itself: it exits when the last process holding
its pipe (the parent and the workers) is gone.

A Dask scheduler given by address is reached within :data:`CONNECT_SECONDS`; an address that
does not parse or does not answer is a :class:`SchedulerError` naming it (Dask's own default
waits 30 s, then raises a bare ``OSError``).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, TypeVar

T = TypeVar("T")

#: Seconds a running task gets after Ctrl-C to return its partial result before its worker
#: process is terminated.
GRACE_SECONDS = 3.0
#: Seconds between a pool worker's checks that its parent is alive (it exits within about this
#: long of the parent's death where PR_SET_PDEATHSIG is not available).
PARENT_POLL_SECONDS = 0.5
#: Seconds to reach a Dask scheduler given by address before giving up with a SchedulerError.
CONNECT_SECONDS = 5.0
R = TypeVar("R")


class SchedulerError(ValueError):
    """A Dask scheduler address that does not parse, or a scheduler that does not answer in
    :data:`CONNECT_SECONDS` (or ``dask.distributed`` missing); the message names the address."""


def _bar(progress: bool, total: int, desc: str):
    if not progress:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, leave=False)


def run_tasks(
    fn: Callable[..., R],
    tasks: Sequence[T],
    *,
    workers: int = 1,
    scheduler: Any = None,
    progress: bool = False,
    desc: str = "tasks",
) -> tuple[list[R | None], bool]:
    """Run ``fn(task)`` for every task; returns ``(results in task order, interrupted)``.

    A result is ``None`` when its task did not finish (interrupted). Exceptions raised by a task
    propagate (after the pending tasks are cancelled).

    Parameters
    ----------
    fn
        A module-level function (it must pickle for the pool and Dask).
    tasks
        Its arguments, one per task.
    workers
        Processes of the local pool (1: run here, in order).
    scheduler
        A Dask scheduler address (``"tcp://host:8786"``) or a ``dask.distributed.Client``;
        overrides ``workers``.
    progress
        Show a tqdm bar over tasks.
    """
    results: list[R | None] = [None] * len(tasks)
    bar = _bar(progress, len(tasks), desc)
    try:
        if scheduler is not None:
            return results, _run_dask(fn, tasks, scheduler, results, bar)
        if workers <= 1:
            try:
                for i, task in enumerate(tasks):
                    results[i] = fn(task)
                    if bar:
                        bar.update(1)
            except KeyboardInterrupt:
                return results, True
            return results, False
        return results, _run_pool(fn, tasks, workers, results, bar)
    finally:
        if bar:
            bar.close()


def scheduler_slots(scheduler: Any) -> int:
    """Tasks a Dask cluster runs at once: the sum of its workers' threads (at least 1)."""
    client, own = connect(scheduler)
    try:
        return max(1, int(sum(client.nthreads().values())))
    finally:
        if own:
            client.close()


def task_count(
    n_items: int, *, workers: int = 1, scheduler: Any = None, blocks: int | None = None
) -> int:
    """Into how many tasks to cut ``n_items`` independent items (grid rows, weight vectors).

    ``blocks`` if given (capped by ``n_items``); in-process (one worker, no scheduler): 1;
    otherwise 4 tasks per parallel slot -- the pool's processes or the Dask cluster's worker
    threads, asked from the scheduler -- so that uneven tasks balance out and every slot is
    used, however large the cluster.
    """
    if n_items <= 0:
        return 1
    if blocks is not None:
        if blocks < 1:
            raise ValueError(f"blocks must be >= 1, found {blocks}")
        return min(n_items, blocks)
    if scheduler is None and workers <= 1:
        return 1
    slots = scheduler_slots(scheduler) if scheduler is not None else workers
    return max(1, min(n_items, 4 * slots))


def _die_with_parent(parent_pid: int) -> None:
    """Pool worker initializer: end this process as soon as ``parent_pid`` (the process that
    started the pool) is gone, whatever killed it.

    Two mechanisms, because either alone falls short: ``PR_SET_PDEATHSIG`` (Linux) has the kernel
    send SIGKILL at the parent's death, even while this process is deep in HiGHS's C code, but
    it does not exist elsewhere; the watchdog thread works on every POSIX system but needs the
    GIL, which a long native call may hold. The check right after ``prctl`` covers a parent that
    died while this worker was starting. (The death signal follows the parent *thread* that
    spawned the worker; the pool's workers are spawned by :func:`run_tasks`'s own thread, which
    outlives the pool.)
    """
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            import signal

            libc = ctypes.CDLL(None, use_errno=True)
            PR_SET_PDEATHSIG = 1
            libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):  # no prctl here: the watchdog alone
            pass
    if os.getppid() != parent_pid:
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent_pid,), name="optmodels-parent-watch",
                     daemon=True).start()


def _watch_parent(parent_pid: int) -> None:
    while True:
        time.sleep(PARENT_POLL_SECONDS)
        if os.getppid() != parent_pid:  # re-parented: the parent is gone
            # no cleanup: the parent that would collect this worker's results is dead, and
            # atexit hooks (multiprocessing's among them) could block on its queues
            os._exit(1)


def _call_pickled(payload: bytes) -> Any:
    """Worker side of the pool: unpickle ``(fn, task)`` and run it."""
    import pickle

    fn, task = pickle.loads(payload)
    return fn(task)


def _run_pool(fn, tasks, workers, results, bar) -> bool:
    import cloudpickle

    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=min(workers, len(tasks)) or 1, mp_context=context,
                               initializer=_die_with_parent, initargs=(os.getpid(),))
    futures = {
        pool.submit(_call_pickled, cloudpickle.dumps((fn, task))): i for i, task in enumerate(tasks)
    }
    try:
        for future in as_completed(futures):
            results[futures[future]] = future.result()
            if bar:
                bar.update(1)
    except KeyboardInterrupt:
        _stop_pool(pool, futures, results)
        return True
    except BaseException:
        _stop_pool(pool, futures, results)
        raise
    pool.shutdown(wait=True)
    return False


def _stop_pool(pool: ProcessPoolExecutor, futures: dict, results: list, grace: float = GRACE_SECONDS) -> None:
    """Cancel what has not started, keep what finished, then end the workers.

    Queued tasks are cancelled (``Future.cancel`` for those still in the executor's queue; the
    one or two already handed to the call queue are stopped with their process). Running
    tasks get ``grace`` seconds to return: a terminal's Ctrl-C reaches the workers too, and the
    front-ends' tasks answer it by returning the points found so far. Then the worker
    processes are terminated: ``shutdown(wait=False)`` alone lets each worker finish every
    block it holds, and the interpreter's exit hook waits for them (minutes on a big front).
    """
    import concurrent.futures as cf

    for future in futures:
        future.cancel()
    running = [f for f in futures if not f.done()]
    if running:
        try:
            cf.wait(running, timeout=grace)
        except KeyboardInterrupt:  # a second Ctrl-C: stop waiting
            pass
    for future, i in futures.items():
        if future.done() and not future.cancelled() and future.exception() is None:
            results[i] = future.result()
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        if process.is_alive():
            process.terminate()
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.join(timeout=grace)


def connect(scheduler: Any, timeout: float | None = None) -> tuple[Any, bool]:
    """``(client, own)``: a ``dask.distributed.Client`` for ``scheduler`` and whether it was made
    here (then the caller closes it); a Client or a cluster object passes through.

    An address is reached within ``timeout`` seconds (default :data:`CONNECT_SECONDS`), so a
    mistyped host or port fails in seconds, not after Dask's 30; any failure is a
    :class:`SchedulerError` naming the address.
    """
    try:
        from dask.distributed import Client
    except ImportError:  # pragma: no cover - depends on the environment
        raise SchedulerError(
            f"{scheduler}: a Dask scheduler was given but dask.distributed is not installed "
            "(pip install 'optmodels[dask]')"
        ) from None
    if isinstance(scheduler, Client):
        return scheduler, False
    if not isinstance(scheduler, str) and not hasattr(scheduler, "scheduler_address"):
        raise SchedulerError(f"expected a Dask scheduler address such as tcp://host:8786, a Client "
                             f"or a cluster, found {type(scheduler).__name__} {scheduler!r}")
    timeout = CONNECT_SECONDS if timeout is None else timeout
    if isinstance(scheduler, str):
        _check_address(scheduler)
    try:
        return Client(scheduler, timeout=timeout), True
    except (ValueError, TypeError) as exc:  # Dask's parser: no port, unknown scheme, ...
        raise SchedulerError(f"{scheduler}: not a Dask scheduler address ({exc}); expected e.g. "
                             "tcp://host:8786") from None
    except (OSError, TimeoutError) as exc:
        raise SchedulerError(f"{scheduler}: no Dask scheduler answered within {timeout:g} s "
                             f"({type(exc).__name__}); is it running, and are host and port "
                             "right?") from None


def _check_address(address: str) -> None:
    """A SchedulerError for an address Dask cannot parse, found without starting a client (and
    its event-loop thread) only to fail."""
    from distributed.comm.addressing import parse_address, parse_host_port
    from distributed.comm.registry import get_backend

    try:
        scheme, location = parse_address(address)
        get_backend(scheme)
        if scheme in ("tcp", "tls", "ws", "wss"):
            _, port = parse_host_port(location)
            if not 0 < int(port) < 65536:
                raise ValueError(f"port {port} is outside 1-65535")
    except (ValueError, TypeError) as exc:
        raise SchedulerError(f"{address}: not a Dask scheduler address ({exc}); expected e.g. "
                             "tcp://host:8786") from None


def _run_dask(fn, tasks, scheduler, results, bar) -> bool:
    from dask.distributed import as_completed as dask_completed

    client, own = connect(scheduler)
    try:
        futures = [client.submit(fn, task, pure=False) for task in tasks]
        index = {f.key: i for i, f in enumerate(futures)}
        try:
            for future in dask_completed(futures):
                results[index[future.key]] = future.result()
                if bar:
                    bar.update(1)
        except KeyboardInterrupt:
            for i, future in enumerate(futures):
                if future.status == "finished":
                    results[i] = future.result()
            client.cancel([f for f in futures if f.status != "finished"])
            return True
        return False
    finally:
        if own:
            client.close()


def map_shared(fn: Callable[..., R], shared: Any, tasks: Sequence[tuple], *, scheduler: Any = None) -> list[R]:
    """``[fn(shared, *task) for task in tasks]``, in task order; with ``scheduler`` on that Dask
    cluster.

    For work cut into partitions of one large object (a million demand points' coordinates, the
    sites): ``shared`` goes to the cluster once (``scatter(..., broadcast=True)``), not once per
    task, and each task carries only its partition's bounds. Without a scheduler the calls run
    here, one after the other. A task that raises re-raises here; Ctrl-C cancels what is left.
    """
    if scheduler is None:
        return [fn(shared, *task) for task in tasks]
    client, own = connect(scheduler)
    try:
        handle = client.scatter(shared, broadcast=True, hash=False)
        futures = [client.submit(fn, handle, *task, pure=False) for task in tasks]
        try:
            return client.gather(futures)
        except KeyboardInterrupt:
            client.cancel(futures)
            raise
    finally:
        if own:
            client.close()
