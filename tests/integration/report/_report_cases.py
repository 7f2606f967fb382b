"""The output folders the report tests use, and how each is made (imported by conftest.py and
the tests: pytest puts this folder on sys.path)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from optmodels.cli import main

SOLVES = {  # name -> instance file under instances/
    "siting": "siting/small/small_mclp.json",  # x/y without a CRS, coverage radius 3
    "siting_lonlat": "siting/sf/sf_mclp.json",  # lon/lat, network distances in metres
    "siting_equity": "siting/access_siting.yaml",  # no assignment: coloured by accessibility
    "equipment": "equipment/tiny_cost.toml",
    "pricing": "pricing/seed_model2.yaml",
}
KINDS = [*SOLVES, "front", "sweep", "siting_big"]


def run(argv: list[str]) -> None:
    code = main(argv)
    assert code == 0, f"optmodels {' '.join(argv)} exited {code}"


def big_siting_folder(out: Path, n_demand: int = 4500, n_sites: int = 2600) -> Path:
    """A siting result folder written directly (no solve): more demand points and candidate
    sites than the map draws, ids with the characters that would break a JavaScript template
    literal, and a CSV of more rows than a table shows."""
    rng = np.random.default_rng(11)
    out.mkdir(parents=True)
    sx, sy = rng.uniform(0, 5000, n_sites), rng.uniform(0, 3000, n_sites)
    is_open = np.zeros(n_sites, bool)
    is_open[:12] = True
    site_ids = [f"s{j}" for j in range(n_sites)]
    site_ids[0] = "s`${alert(1)}`\\0"
    pd.DataFrame({"site_id": site_ids, "existing": np.arange(n_sites) < 3, "open": is_open,
                  "fixed_cost": 1.0, "x": sx, "y": sy}).to_csv(out / "sites.csv", index=False)
    dx, dy = rng.uniform(0, 5000, n_demand), rng.uniform(0, 3000, n_demand)
    d = np.hypot(dx[:, None] - sx[None, :12], dy[:, None] - sy[None, :12])
    main_site = d.argmin(axis=1)
    pd.DataFrame({"demand_id": [f"d{i}" for i in range(n_demand)],
                  "population": rng.integers(0, 500, n_demand).astype(float),
                  "site_id": np.asarray(site_ids, dtype=object)[main_site],
                  "distance": d.min(axis=1), "covered": d.min(axis=1) <= 600.0,
                  "x": dx, "y": dy}).to_csv(out / "demand.csv", index=False)
    (out / "result.json").write_text(json.dumps({
        "verdict": "feasible", "message": "feasible", "family": "siting", "instance": "big <city>",
        "objective_name": "coverage", "sense": "max", "objective": 1.0, "bound": 1.2, "gap": 0.2,
        "notes": ["written by the report tests"], "metrics": {"n_open": 12},
        "parameters": {"p": 12, "radius": 600.0}, "distance": {"kind": "euclidean", "unit": None},
    }))
    return out
