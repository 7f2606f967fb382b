"""A Dask LocalCluster gives the same table as the local process pool (and as one process)."""

from __future__ import annotations

import pandas as pd
import pytest

from optmodels.sweep import sweep

VARY = {"budget": "16,20", "gini.lo": "0.05,0.1"}
MOVING = ["time_validate", "time_build", "time_handoff", "time_solve", "time_extract", "time_total",
          "cpu_total", "warm", "source", "run_id", "pid"]


def _comparable(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=[c for c in MOVING if c in frame.columns]).reset_index(drop=True)


def test_dask_local_cluster_matches_the_local_pool(instances_dir, tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    tiny = instances_dir / "equipment" / "tiny_cost.toml"
    pool = sweep(tiny, VARY, workers=2, out=tmp_path / "pool")
    assert pool["pid"].nunique() >= 1
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        dask = sweep(tiny, VARY, scheduler=client, out=tmp_path / "dask")
    here = sweep(tiny, VARY, workers=1)
    assert len(pool) == 4
    pd.testing.assert_frame_equal(_comparable(pool), _comparable(dask), rtol=1e-9)
    pd.testing.assert_frame_equal(_comparable(pool), _comparable(here), rtol=1e-9)
    assert pd.read_csv(tmp_path / "dask" / "sweep.csv")["hash"].tolist() == pool["hash"].tolist()
