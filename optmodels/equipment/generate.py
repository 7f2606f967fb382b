"""Synthetic equipment instances at any scale, feasible by construction, deterministic per seed.

How it is built (``numpy.random.default_rng(seed)``, nothing global):

1. Regions get lognormal populations (median 1.5 M) growing 0.3-2 % a year.
2. Hospitals are spread over regions in proportion to population (at least one each); every
   hospital gets a service rate (2-3 exams/hour) and an annual capacity per set of 85 % of
   ``mu * hours_per_year``.
3. Existing sets: region totals proportional to population times a lognormal disparity, so the
   starting Gini sits near the seed's band; then spread over the region's hospitals.
4. A *reference plan* adds a set at each hospital with probability 0.3 a year. Arrival rates are
   drawn so that this plan keeps every queue stable and covers demand with a margin (each rate at
   60-95 % of what the reference sets could serve). The reference plan is therefore feasible,
   and the budget is set to 1.25 x its purchases.
5. Gini band: the seed's [0.2, 0.3] in ``mean`` mode, widened just enough to contain the
   reference plan's mean Gini when the draw falls outside it (recorded in ``description``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from optmodels.analysis.gini import gini_pairwise

HOURS = 3000.0


def generate(
    regions: int = 16,
    hospitals: int = 120,
    years: int = 5,
    seed: int = 0,
    *,
    first_year: int = 2026,
) -> dict[str, Any]:
    """Return an instance dict (``family = "equipment"``) ready to write or validate."""
    if regions < 2:
        raise ValueError("regions must be >= 2")
    if hospitals < regions:
        raise ValueError(f"hospitals ({hospitals}) must be >= regions ({regions})")
    if years < 1:
        raise ValueError("years must be >= 1")
    rng = np.random.default_rng(seed)
    m, K, n = regions, hospitals, years

    pop0 = np.round(np.exp(rng.normal(np.log(1.5e6), 0.6, m)), -3)
    growth = rng.uniform(0.003, 0.02, m)
    pop = pop0[:, None] * (1 + growth[:, None]) ** np.arange(n)[None, :]

    extra = rng.multinomial(K - m, pop0 / pop0.sum())
    region_of = np.repeat(np.arange(m), 1 + extra)
    mu = np.round(rng.uniform(2.0, 3.0, K), 2)
    cap = np.round(0.85 * mu * HOURS)

    disparity = np.exp(rng.normal(0.0, 0.75, m))
    target = np.maximum(1, np.round(pop0 / 4e5 * disparity)).astype(int)
    e0 = np.zeros(K, dtype=int)
    for i in range(m):
        ks = np.flatnonzero(region_of == i)
        e0[ks] = rng.multinomial(target[i], np.full(ks.size, 1.0 / ks.size))

    x_ref = (rng.random((K, n)) < 0.3).astype(int)
    c_ref = e0[:, None] + np.cumsum(x_ref, axis=1)
    load = rng.uniform(0.60, 0.95, (K, n))
    lam = np.round(load * 0.85 * mu[:, None] * c_ref, 3)  # 0 where the plan has no set

    inflation = 1.03 ** np.arange(n)
    price = np.round(1.0 * inflation, 4)
    purchases = float((x_ref * price[None, :]).sum())
    budget = float(np.round(max(1.25 * purchases, price.max()), 3))

    s_ref = np.zeros((m, n))
    np.add.at(s_ref, region_of, c_ref)
    g_ref = float(np.mean([gini_pairwise(s_ref[:, j], pop[:, j]) for j in range(n)]))
    lo, hi = 0.2, 0.3
    note = ""
    if not lo <= g_ref <= hi:
        lo, hi = min(lo, np.floor(g_ref * 100) / 100), max(hi, np.ceil(g_ref * 100) / 100)
        note = f" Gini band widened to [{lo}, {hi}] to contain the reference plan's mean Gini {g_ref:.3f}."

    names = [f"R{i + 1:02d}" for i in range(m)]
    counters = np.zeros(m, dtype=int)
    hosp = []
    for k in range(K):
        i = int(region_of[k])
        counters[i] += 1
        hosp.append(
            {
                "id": f"{names[i]}-H{counters[i]:02d}",
                "region": names[i],
                "existing": int(e0[k]),
                "capacity": float(cap[k]),
                "service_rate": float(mu[k]),
                "arrival_rate": [float(v) for v in lam[k]],
            }
        )
    return {
        "family": "equipment",
        "name": f"generated-r{m}-h{K}-y{n}-s{seed}",
        "description": (
            f"Synthetic instance: {m} regions, {K} hospitals, {n} years, seed {seed}; "
            f"feasible by construction (reference plan: {int(x_ref.sum())} additions, "
            f"purchases {purchases:.3f})." + note
        ),
        "years": [first_year + j for j in range(n)],
        "hours_per_year": HOURS,
        "price": [float(p) for p in price],
        "budget": budget,
        "costs": {"running_per_hour": 5e-5, "waiting_per_hour": 2e-4},
        "gini": {"lo": float(lo), "hi": float(hi), "mode": "mean"},
        "objective": "cost",
        "regions": [{"id": names[i], "population": [float(p) for p in pop[i]]} for i in range(m)],
        "hospitals": hosp,
    }
