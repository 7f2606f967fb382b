"""How the shipped healthcare accessibility case (``access_*``) was made -- provenance only.

A synthetic city of radius ~8.5 km, centre at (10, 10) km: 72 neighbourhoods in five districts
(a dense centre and four suburbs), six existing hospitals with 1,200 doctors between them, very
unevenly (520 at the big downtown hospital, 100 at each suburban one), and eight candidate
clinic sites on a ring at ~6.5 km. Accessibility is 2SFCA with a catchment of a few km. Deterministic: ``default_rng(2024)``.

Run from the repository root: ``python instances/siting/access_make_case.py`` (rewrites
``access_demand.csv`` and ``access_sites.csv``; the instance files and the manifest's reference
answers are separate -- see ``tests/unit/siting/test_siting_equity_case.py``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent


def make() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(2024)
    rows = []
    # 24 central neighbourhoods (r < 3.5 km), dense
    r = 3.5 * np.sqrt(rng.uniform(0, 1, 24))
    t = rng.uniform(0, 2 * np.pi, 24)
    for k in range(24):
        rows.append((r[k], t[k], float(rng.integers(8_000, 15_000)), "centre"))
    # 48 suburban neighbourhoods (3.5-8.5 km), four districts by direction
    r = rng.uniform(3.5, 8.5, 48)
    t = rng.uniform(0, 2 * np.pi, 48)
    names = ["east", "north", "west", "south"]
    for k in range(48):
        quadrant = int(((t[k] + np.pi / 4) % (2 * np.pi)) // (np.pi / 2))
        rows.append((r[k], t[k], float(rng.integers(4_000, 10_000)), names[quadrant]))
    demand = pd.DataFrame(
        {
            "id": [f"n{k + 1:02d}" for k in range(len(rows))],
            "x": [round(10 + ri * np.cos(ti), 2) for ri, ti, _, _ in rows],
            "y": [round(10 + ri * np.sin(ti), 2) for ri, ti, _, _ in rows],
            "population": [pop for _, _, pop, _ in rows],
            "area": [a for _, _, _, a in rows],
        }
    )
    hospitals = [  # id, x, y, doctors: one big downtown hospital, small suburban ones
        ("H1", 10.3, 10.2, 520.0),
        ("H2", 11.8, 11.4, 260.0),
        ("H3", 6.5, 12.5, 120.0),
        ("H4", 9.5, 5.5, 100.0),
        ("H5", 14.5, 8.0, 100.0),
        ("H6", 10.5, 15.0, 100.0),
    ]
    sites = [
        {
            "id": h,
            "x": x,
            "y": y,
            "supply": s,
            "supply_min": 40.0,
            "supply_max": 600.0,
            "fixed_cost": 0.0,
            "existing": True,
        }
        for h, x, y, s in hospitals
    ]
    angles = np.arange(8) * np.pi / 4 + rng.uniform(-0.15, 0.15, 8)
    costs = np.round(rng.uniform(1.0, 2.5, 8), 1)
    for k in range(8):
        rr = rng.uniform(6.0, 7.0)
        sites.append(
            {
                "id": f"C{k + 1}",
                "x": round(10 + rr * np.cos(angles[k]), 2),
                "y": round(10 + rr * np.sin(angles[k]), 2),
                "supply": 0.0,
                "supply_min": 20.0,
                "supply_max": 150.0,
                "fixed_cost": float(costs[k]),
                "existing": False,
            }
        )
    return demand, pd.DataFrame(sites)


if __name__ == "__main__":
    demand, sites = make()
    demand.to_csv(HERE / "access_demand.csv", index=False)
    sites.to_csv(HERE / "access_sites.csv", index=False)
    print(demand.groupby("area")["population"].agg(["count", "sum"]))
    print(sites)
