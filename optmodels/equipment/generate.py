r"""Synthetic equipment instances at any scale, feasible by construction, deterministic per seed.

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
   Whether it binds then depends on the draw. ``band_binding`` sets it on purpose, around the
   mean Gini :math:`g_0` of a cheap band-free plan (the greedy of
   :mod:`optmodels.equipment.heuristic` without the band: within a few per cent of the
   band-free optimum's cost, and in practice close to its Gini):

   - ``lower``: :math:`lo = \lceil 100 (g_0 + 0.02) \rceil / 100`, hi = max(0.3, lo + 0.1): the
     band-free optimum falls below the band, so the lower side (the hard, reverse-convex one)
     binds;
   - ``upper``: :math:`hi = \lfloor 100 (g_0 - 0.02) \rfloor / 100`, lo = 0: the upper side binds;
   - ``none``: [min(0.2, g_0 - 0.05), max(0.3, g_0 + 0.05)] (rounded outwards): slack.

   Feasible by construction still: the greedy is run with the band, and the budget is raised
   (if needed) to 1.1 x its purchases, so that evaluator-checked plan is feasible.
"""

from __future__ import annotations

import math
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
    band_binding: str | None = None,
    gini_mode: str = "mean",
) -> dict[str, Any]:
    """Return an instance dict (``family = "equipment"``) ready to write or validate.

    ``band_binding``: ``None`` (the seed's band, widened to contain the reference plan), or
    ``"lower"`` / ``"upper"`` / ``"none"`` to make that side of the Gini band bind (or neither);
    see the module docstring. ``gini_mode``: ``mean`` (the seed's) or ``each_year``; the band is
    placed by the mean Gini either way.
    """
    if gini_mode not in ("mean", "each_year"):
        raise ValueError(f"gini_mode must be mean or each_year, found {gini_mode!r}")
    if band_binding not in (None, "lower", "upper", "none"):
        raise ValueError(f"band_binding must be lower, upper or none, found {band_binding!r}")
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
    pop = _grown(pop0, growth, n)

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
    data = {
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
    if band_binding is not None:
        _set_band(data, band_binding)
    data["gini"]["mode"] = gini_mode
    return data


def _grown(pop0: np.ndarray, growth: np.ndarray, n: int) -> np.ndarray:
    """Populations ``pop0 * (1 + growth) ** j`` for years ``j = 0 .. n-1``, one ``math.pow`` each.

    Not numpy's ``**`` on arrays: numpy hands that to SIMD kernels picked by the CPU at run time
    (AVX-512 among them) whose results differ from the C library's ``pow`` in the last bit, so one
    seed wrote different populations on different machines (``provincial.json`` and
    ``provincial_band.json`` came out of two such machines, three values apart). ``math.pow`` is
    the C library's on every CPU. The generator's other transcendental draws (``exp``) are
    rounded (to thousands, to whole sets) before they reach the file, so a last bit there cannot.
    """
    return np.array([[float(p) * math.pow(1.0 + float(g), j) for j in range(n)] for p, g in zip(pop0, growth, strict=True)])


def _set_band(data: dict[str, Any], binding: str) -> None:
    from optmodels.equipment.evaluate import evaluate
    from optmodels.equipment.heuristic import feasible_plan
    from optmodels.equipment.instance import EquipmentInstance

    free = {**data, "gini": {"lo": 0.0, "hi": 1.0, "mode": "mean"}, "budget": 1e9}
    cheap = feasible_plan(EquipmentInstance.from_dict(free))
    if cheap is None:  # pragma: no cover - the reference plan makes stability and coverage reachable
        raise ValueError("no band-free plan found to place the band around")
    g0 = evaluate(EquipmentInstance.from_dict(free), cheap).mean_gini
    if binding == "lower":
        lo = float(np.ceil((g0 + 0.02) * 100) / 100)
        hi = max(0.3, lo + 0.1)
    elif binding == "upper":
        hi = float(np.floor((g0 - 0.02) * 100) / 100)
        lo = 0.0
    else:
        lo = float(np.floor(min(0.2, g0 - 0.05) * 100) / 100)
        hi = float(np.ceil(max(0.3, g0 + 0.05) * 100) / 100)
    lo, hi = round(max(lo, 0.0), 2), round(min(hi, 1.0), 2)
    banded = {**free, "gini": {"lo": lo, "hi": hi, "mode": "mean"}}
    plan = feasible_plan(EquipmentInstance.from_dict(banded))
    if plan is None:
        raise ValueError(f"no plan found inside the band [{lo}, {hi}] (band_binding={binding!r}); try another seed")
    spent = float(evaluate(EquipmentInstance.from_dict(banded), plan).purchases.sum())
    data["budget"] = float(max(data["budget"], np.round(1.1 * spent, 3)))
    data["gini"] = {"lo": lo, "hi": float(hi), "mode": "mean"}
    data["name"] += f"-band-{binding}"
    data["description"] = data["description"].split(" Gini band widened")[0] + (
        f" Gini band [{lo}, {hi}] set so that its {binding if binding != 'none' else 'neither'} side binds "
        f"(band-free greedy plan: mean Gini {g0:.3f}); budget {data['budget']}."
    )

