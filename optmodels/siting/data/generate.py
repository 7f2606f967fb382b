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
    p_given = p is not None
    if p is None:
        p = min(n_sites, existing + max(1, n_sites // 10))
    parameters: dict[str, Any] = {"p": p, "radius": 5.0}
    if model == "lscp_b" and not p_given:
        # backup coverage's p is the LSCP optimum (stage 1 finds it); a default p would be fewer
        # sites than covering everyone takes, often, and the file an infeasible model
        del parameters["p"]
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


# --------------------------------------------------------------------------------------------
# Province scale: population-grid cells in cities, towns and the countryside
# --------------------------------------------------------------------------------------------

#: candidate sites per km^2 of the province (5,000 sites: 210 x 210 km). With the default 5 km
#: radius a demand cell has 34 sites within reach on average (median 27, 90th percentile 73,
#: measured on seed 1) -- the "tens of sites" of a provincial health-service grid. Denser
#: placements gave 100-200 per cell and 190 M pairs at a million cells.
SITE_DENSITY = 200 / 900.0 / 1.96
#: the share of demand cells in cities, towns and the countryside
SHARES = (0.55, 0.33, 0.12)


def province_side(n_sites: int) -> float:
    """The province's side in km for ``n_sites`` candidate sites (:data:`SITE_DENSITY`)."""
    return float(np.sqrt(n_sites / SITE_DENSITY))


def province_frames(
    n_demand: int,
    n_sites: int,
    *,
    seed: int = 0,
    existing: int | None = None,
    radius: float = 5.0,
) -> tuple[Any, Any, float]:
    """Demand cells and candidate sites of a synthetic province: ``(demand, sites, side_km)``.

    The province is a square whose side follows the number of sites (:func:`province_side`;
    5,000 sites: 150 km). Demand points are populated grid cells: 55 % in cities (a few
    Gaussian agglomerations 3-10 km wide, Pareto-sized), 33 % in towns (0.5-2 km wide), 12 %
    spread over the countryside; each cell's population is log-normal (median ~ 20 people),
    twice as dense in the cities. Sites: ``existing`` hospitals at the largest city and town
    centres; a square lattice of candidate sites with spacing ``radius * sqrt(2)``, so that every
    cell lies within ``radius`` of some site (LSCP stays feasible: the lattice is what a planner
    would add to serve the countryside); of the rest, half drawn within a couple of km of demand
    cells (sites follow people, as clinics do) and half anywhere. One ``numpy.random.default_rng(seed)``: same arguments, same tables.
    Vectorised throughout: a million cells in about a second.
    """
    import pandas as pd

    if n_demand < 1 or n_sites < 1:
        raise ValueError("n_demand and n_sites must be >= 1")
    existing = n_sites // 20 if existing is None else existing
    if not 0 <= existing <= n_sites:
        raise ValueError(f"existing must be between 0 and {n_sites}, found {existing}")
    rng = np.random.default_rng(seed)
    side = province_side(n_sites)
    n_city_centres = max(2, int(round(side / 40)))
    n_towns = max(5, int(round(side * side / 600)))
    cities = rng.uniform(0.15 * side, 0.85 * side, size=(n_city_centres, 2))
    city_sd = rng.uniform(3.0, 10.0, size=n_city_centres)
    city_w = rng.pareto(1.2, size=n_city_centres) + 1.0
    towns = rng.uniform(0.0, side, size=(n_towns, 2))
    town_sd = rng.uniform(0.5, 2.0, size=n_towns)
    town_w = rng.pareto(1.5, size=n_towns) + 0.3
    counts = rng.multinomial(n_demand, SHARES)
    c_of = rng.choice(n_city_centres, size=counts[0], p=city_w / city_w.sum())
    t_of = rng.choice(n_towns, size=counts[1], p=town_w / town_w.sum())
    xy = np.vstack([
        cities[c_of] + rng.normal(size=(counts[0], 2)) * city_sd[c_of, None],
        towns[t_of] + rng.normal(size=(counts[1], 2)) * town_sd[t_of, None],
        rng.uniform(0.0, side, size=(counts[2], 2)),
    ])
    xy = np.clip(xy, 0.0, side)
    pop = np.round(rng.lognormal(mean=3.0, sigma=0.9, size=n_demand) * np.repeat([2.0, 1.2, 1.0], counts)) + 1.0
    perm = rng.permutation(n_demand)  # ids in no geographic order, as census codes are
    xy, pop = xy[perm], pop[perm]

    spacing = radius * np.sqrt(2.0) * 0.99
    ticks = np.arange(spacing / 2, side + spacing / 2, spacing)
    lattice = np.array(np.meshgrid(ticks, ticks)).reshape(2, -1).T
    lattice = np.clip(lattice, 0.0, side)
    order = np.argsort(-np.concatenate([city_w, town_w]))
    centres = np.vstack([cities, towns])[order]
    hosp = centres[np.arange(existing) % len(centres)] + rng.normal(scale=0.5, size=(existing, 2))
    n_rest = n_sites - existing - len(lattice)
    if n_rest < 0:  # too few sites for the lattice: keep the lattice points nearest to people
        lattice = lattice[rng.permutation(len(lattice))[: n_sites - existing]]
        n_rest = 0
    n_near = n_rest // 2
    near = xy[rng.integers(0, n_demand, size=n_near)] + rng.normal(scale=2.0, size=(n_near, 2))
    anywhere = rng.uniform(0.0, side, size=(n_rest - n_near, 2))
    sxy = np.clip(np.vstack([hosp, lattice, near, anywhere]), 0.0, side)
    total = float(pop.sum())
    is_hosp = np.arange(n_sites) < existing
    cap = np.where(is_hosp, 0.5 * total / max(existing, 1), 2.0 * total / n_sites) * rng.uniform(0.8, 1.2, n_sites)
    fixed = np.where(is_hosp, 0.0, np.round(rng.uniform(1.0, 3.0, n_sites), 3))
    doctors = np.where(is_hosp, np.round(cap / 1000.0, 1), rng.integers(5, 21, n_sites).astype(float))
    width = len(str(n_demand - 1))
    demand = pd.DataFrame({
        "id": np.char.add("D", np.char.zfill(np.arange(n_demand).astype(str), width)),
        "x": np.round(xy[:, 0], 4),
        "y": np.round(xy[:, 1], 4),
        "population": pop,
    })
    swidth = len(str(n_sites - 1))
    sites = pd.DataFrame({
        "id": np.where(is_hosp, "H", "C").astype(object) + pd.Series(np.arange(n_sites)).astype(str).str.zfill(swidth).to_numpy(object),
        "x": np.round(sxy[:, 0], 4),
        "y": np.round(sxy[:, 1], 4),
        "fixed_cost": fixed,
        "capacity": np.round(cap, 1),
        "supply": doctors,
        "existing": is_hosp,
    })
    return demand, sites, side


def province_dict(
    n_demand: int,
    n_sites: int,
    *,
    seed: int = 0,
    existing: int | None = None,
    model: str = "mclp",
    p: int | None = None,
    radius: float = 5.0,
    budget: float | None = None,
) -> dict[str, Any]:
    """The province document, its ``demand`` and ``sites`` as DataFrames
    (:func:`optmodels.io.dump_instance` writes them as tables beside the file)."""
    demand, sites, side = province_frames(n_demand, n_sites, seed=seed, existing=existing, radius=radius)
    n_hosp = int(sites["existing"].sum())
    p_given = p is not None
    if p is None:
        p = min(n_sites, n_hosp + max(1, n_sites // 20))
    parameters: dict[str, Any] = {"radius": radius}
    if model not in ("lscp", "cflp", "equity_capacity") and not (model == "lscp_b" and not p_given):
        parameters["p"] = p  # lscp_b: only a p asked for (as in the city layout)
    if budget is not None:
        parameters["budget"] = float(budget)
    return {
        "family": "siting",
        "name": f"synthetic-province-{n_demand}x{n_sites}-seed{seed}",
        "description": (
            f"Synthetic province: {n_demand} populated cells ({demand['population'].sum():.0f} people) in "
            f"cities, towns and countryside over {side:.0f} x {side:.0f} km; {n_hosp} existing hospitals, "
            f"{n_sites - n_hosp} candidate sites (a {radius:g}-km lattice and sites near people)"
        ),
        "source": (f"optmodels generate siting --layout province --demand {n_demand} --sites {n_sites} "
                   f"--seed {seed} --existing {n_hosp}"),
        "model": model,
        "parameters": parameters,
        # the catchment is the coverage radius: 2SFCA's pairs are then the coverage pairs (at
        # 10 km a million cells have 130 M of them)
        "access": {"method": "2sfca", "d0": radius},
        "distance": {"kind": "euclidean", "unit": "km"},
        "demand": demand,
        "sites": sites,
    }
