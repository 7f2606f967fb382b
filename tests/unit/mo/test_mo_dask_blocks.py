"""A Dask scheduler gets as many blocks as its cluster can run (4 per worker thread), or the count asked."""

from __future__ import annotations

import pytest
from _knapsack import as_set, random_knapsack

from solvers.epsilon import epsilon_front
from solvers.executor import task_count

distributed = pytest.importorskip("dask.distributed")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(processes=False, n_workers=3, threads_per_worker=1,
                                  dashboard_address=None) as cluster:
        yield cluster


def _case():
    model, _, front = random_knapsack(1, 10, p=2)
    return model, as_set(front)


def test_blocks_follow_the_cluster_worker_count(cluster):
    with distributed.Client(cluster) as client:
        submitted = []
        original = client.submit

        def spy(*args, **kwargs):
            submitted.append(args[1]["outer"])
            return original(*args, **kwargs)

        client.submit = spy
        model, front = _case()
        res = epsilon_front(model, scheduler=client)
    n_outer = res.settings["grid_size"][-1]
    assert n_outer > 12  # room for more than 4 blocks
    assert res.settings["blocks"] == len(submitted) == 12  # 3 workers x 1 thread x 4
    # the blocks tile the outer axis exactly once
    rows = sorted(i for outer in submitted for i in outer)
    assert rows == list(range(n_outer))
    assert as_set(res.points) == front


def test_explicit_block_count_with_a_scheduler(cluster):
    model, front = _case()
    res = epsilon_front(model, scheduler=cluster.scheduler_address, blocks=7)
    assert res.settings["blocks"] == 7
    assert as_set(res.points) == front


def test_task_count_rules():
    assert task_count(100, workers=1) == 1
    assert task_count(100, workers=3) == 12
    assert task_count(5, workers=3) == 5
    assert task_count(100, workers=1, blocks=9) == 9
    with pytest.raises(ValueError, match="blocks"):
        task_count(100, blocks=0)
