"""A Dask scheduler address that does not parse or does not answer fails in seconds, naming it
(Dask's default waited 30 s, then raised a bare OSError: an internal error, exit 70)."""

from __future__ import annotations

import socket
import time

import pytest

pytest.importorskip("dask.distributed")

from solvers.executor import CONNECT_SECONDS, SchedulerError, connect, run_tasks  # noqa: E402


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_scheduler_is_named_within_the_connect_timeout():
    address = f"tcp://127.0.0.1:{_closed_port()}"
    t0 = time.monotonic()
    with pytest.raises(SchedulerError, match=address):
        run_tasks(abs, [1, 2], scheduler=address)
    assert time.monotonic() - t0 < CONNECT_SECONDS + 10  # Dask's own default is 30 s


@pytest.mark.parametrize("address", ["localhost", "tcp://host:port", "http2://127.0.0.1:8786"])
def test_a_malformed_address_is_named(address):
    with pytest.raises(SchedulerError, match="not a Dask scheduler address"):
        connect(address)


def test_a_client_passes_through_without_being_owned():
    distributed = pytest.importorskip("dask.distributed")
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=1,
                            dashboard_address=None) as client:
        assert connect(client) == (client, False)
        results, interrupted = run_tasks(abs, [-1, -2], scheduler=client)
    assert results == [1, 2]
    assert not interrupted
