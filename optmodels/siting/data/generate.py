"""A synthetic city-scale healthcare siting case, deterministic per seed.

The city is a 30 km x 30 km square (units: km). Population lives in neighbourhood clusters
(Gaussian blobs of 1-4 km around ``max(3, N // 150)`` centres, larger blobs denser) plus 15 %
scattered points; each demand point carries a log-normal population (median ~1,200).
Existing hospitals sit near the biggest clusters, with capacities and supply (doctors) that
cover about 60 % of the population; candidate clinic sites are drawn half near demand points
(jittered) and half uniformly, with fixed costs 1-3 (millions), capacities and supply.

Units, as the schema states them: ``capacity`` is people (the unit of ``population``; it binds
in capacitated location models), ``supply`` / ``supply_min`` / ``supply_max`` are doctors (the
equity models move doctors). A site's ``supply_max`` is what its capacity needs at one doctor
per 1,000 people (hospitals: half as much again as today, so re-allocation can grow them);
hospitals keep at least half of today's doctors (``supply_min``).

No budget is written unless one is asked for: a budget the user did not choose would silently
shape every model that takes one.

Distances are Euclidean and recomputed from the coordinates on load, so the file stays small
(2000 x 200: ~250 kB of JSON, no 400,000-entry matrix beside it). Everything comes from one
``numpy.random.default_rng(seed)``: same arguments, same file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from optmodels.siting.data.instance import SitingInstance

CITY_KM = 30.0


def generate_dict(
    n_demand: int,
    n_sites: int,
    *,
    seed: int = 0,
    existing: int | None = None,
    model: str = "p_median",
    p: int | None = None,
    budget: float | None = None,
) -> dict[str, Any]:
    """The instance document (see the module docstring)."""
    if n_demand < 1 or n_sites < 1:
        raise ValueError("n_demand and n_sites must be >= 1")
    existing = n_sites // 10 if existing is None else existing
    if not 0 <= existing <= n_sites:
        raise ValueError(f"existing must be between 0 and {n_sites}, found {existing}")
    rng = np.random.default_rng(seed)
    k = max(3, n_demand // 150)
    centres = rng.uniform(3.0, CITY_KM - 3.0, size=(k, 2))
    spread = rng.uniform(1.0, 4.0, size=k)
    weight = rng.dirichlet(np.full(k, 2.0))
    n_scatter = int(round(0.15 * n_demand))
    n_cluster = n_demand - n_scatter
    which = rng.choice(k, size=n_cluster, p=weight)
    pts = centres[which] + rng.normal(size=(n_cluster, 2)) * spread[which, None]
    scatter = rng.uniform(0.0, CITY_KM, size=(n_scatter, 2))
    xy = np.clip(np.vstack([pts, scatter]), 0.0, CITY_KM)
    # denser blocks near cluster centres: population falls off with distance to the nearest centre
    near = np.min(np.hypot(xy[:, None, 0] - centres[None, :, 0], xy[:, None, 1] - centres[None, :, 1]), axis=1)
    pop = np.round(rng.lognormal(mean=7.1, sigma=0.5, size=n_demand) * (1.0 + 1.5 * np.exp(-near / 3.0)))
    pop = np.maximum(pop, 50.0)
    total = float(pop.sum())

    # existing hospitals near the largest clusters, then candidate clinics
    order = np.argsort(-weight)
    hosp_centres = centres[order[np.arange(existing) % k]] + rng.normal(scale=1.0, size=(existing, 2))
    n_new = n_sites - existing
    n_near = n_new // 2
    near_sites = xy[rng.choice(n_demand, size=n_near, replace=n_demand < n_near)] + rng.normal(scale=0.5, size=(n_near, 2))
    far_sites = rng.uniform(0.0, CITY_KM, size=(n_new - n_near, 2))
    sxy = np.clip(np.vstack([hosp_centres, near_sites, far_sites]), 0.0, CITY_KM)

    demand = [
        {"id": f"D{i:05d}", "x": round(float(xy[i, 0]), 4), "y": round(float(xy[i, 1]), 4), "population": float(pop[i])}
        for i in range(n_demand)
    ]
    sites = []
    hosp_cap = 0.6 * total / max(existing, 1)
    clinic_cap = max(1.5 * total / max(n_sites, 1), 1.0)
    for j in range(n_sites):
        is_hosp = j < existing
        cap = hosp_cap * rng.uniform(0.8, 1.2) if is_hosp else clinic_cap * rng.uniform(0.7, 1.3)
        # same draw order as before supply_max existed: a seed keeps giving the same city
        fixed = 0.0 if is_hosp else round(float(rng.uniform(1.0, 3.0)), 3)
        # doctors: about one per 1,000 people of capacity (hospitals), 5-20 per clinic
        doctors = round(float(cap / 1000.0), 1) if is_hosp else float(rng.integers(5, 21))
        most = round(1.5 * doctors, 1) if is_hosp else max(round(float(cap / 1000.0), 1), doctors)
        sites.append(
            {
                "id": f"H{j:04d}" if is_hosp else f"C{j:04d}",
                "x": round(float(sxy[j, 0]), 4),
                "y": round(float(sxy[j, 1]), 4),
                "fixed_cost": fixed,
                "capacity": round(float(cap), 1),
                "supply": doctors,
                "supply_min": round(0.5 * doctors, 1) if is_hosp else 0.0,
                "supply_max": most,
                "existing": bool(is_hosp),
            }
        )
    if p is None:
        p = min(n_sites, existing + max(1, n_sites // 10))
    parameters: dict[str, Any] = {"p": p, "radius": 5.0}
    if budget is not None:
        parameters["budget"] = float(budget)
    return {
        "family": "siting",
        "name": f"synthetic-city-{n_demand}x{n_sites}-seed{seed}",
        "description": (
            f"Synthetic healthcare case: {n_demand} clustered demand points ({total:.0f} people) in a "
            f"{CITY_KM:g} km city, {existing} existing hospitals, {n_sites - existing} candidate clinics"
        ),
        "source": f"optmodels generate siting --demand {n_demand} --sites {n_sites} --seed {seed} --existing {existing}",
        "model": model,
        "parameters": parameters,
        "access": {"method": "2sfca", "d0": 10.0, "threshold": 0.0005},
        "distance": {"kind": "euclidean", "unit": "km"},
        "demand": demand,
        "sites": sites,
    }


def generate(
    n_demand: int,
    n_sites: int,
    *,
    seed: int = 0,
    existing: int | None = None,
    model: str = "p_median",
    p: int | None = None,
    budget: float | None = None,
    path: str | Path | None = None,
) -> SitingInstance:
    """Generate (and with ``path``, write) the synthetic case; returns the validated instance."""
    from optmodels.io import dump_instance, validate

    doc = generate_dict(n_demand, n_sites, seed=seed, existing=existing, model=model, p=p, budget=budget)
    inst = validate(SitingInstance, doc, file=path)
    if path is not None:
        dump_instance(doc, path)
    return inst
