r"""Spatial accessibility: the two-step floating catchment area (2SFCA) family, as matrices.

Demand points :math:`i` (population :math:`P_i`), sites :math:`j` (supply :math:`S_j`), travel
cost :math:`d_{ij}` (``np.inf``: unreachable), catchment :math:`d_0`. With a distance weight
:math:`f` (zero beyond :math:`d_0`) every method computes

.. math::

    D_j = \sum_i P_i\, K_{ij}, \qquad R_j = S_j / D_j, \qquad A_i = \sum_j K_{ij} R_j

with the kernel :math:`K_{ij} = f(d_{ij})` (2SFCA, E2SFCA, G2SFCA) or
:math:`K_{ij} = G_{ij} f(d_{ij})` (3SFCA). ``R`` is the supply-to-demand ratio of a site,
``A`` the accessibility of a demand point (supply per person; multiply by 1,000 for "per 1,000
people").

============  ===================================================================================
symbol        meaning
============  ===================================================================================
``P_i``       population (demand) of demand point i
``S_j``       supply of site j (doctors, beds ...); 0 for a closed site
``d_ij``      travel cost; pairs with ``d_ij > d0`` (or ``inf``) are outside the catchment
``f``         distance weight of the method (below)
``K_ij``      kernel: ``f(d_ij)``, or ``G_ij f(d_ij)`` for 3SFCA
``D_j``       weighted demand in the catchment of site j
``R_j``       supply-to-demand ratio of site j; 0 when ``D_j = 0`` (nobody can reach the site)
``A_i``       accessibility of demand point i
============  ===================================================================================

Methods and their sources (each checked against PySAL ``access``: ``access/fca.py``
``two_stage_fca`` / ``three_stage_fca`` and ``access/weights.py``; tests re-derive PySAL's
long-table computation independently):

``"2sfca"`` -- Luo & Wang (2003); PySAL ``Access.two_stage_fca`` without ``weight_fn``.
    :math:`f(d) = 1` for :math:`d \le d_0`.
``"e2sfca"`` -- Luo & Qi (2009); PySAL ``Access.enhanced_two_stage_fca`` with
    ``weights.step_fn``. ``steps = [(t_1, w_1), (t_2, w_2), ...]`` with :math:`t_1 < t_2 < ...`:
    :math:`f(d) = w_k` for the first :math:`k` with :math:`d \le t_k` (exactly ``step_fn``'s
    ``x <= k`` rule), 0 beyond the last step, and 0 beyond :math:`d_0`.
``"g2sfca"`` -- Gaussian decay within the catchment.
    ``beta=None``: Dai (2010), :math:`f(d) = \dfrac{e^{-\frac12 (d/d_0)^2} - e^{-\frac12}}
    {1 - e^{-\frac12}}` for :math:`d \le d_0` (1 at 0, 0 at :math:`d_0`).
    ``beta=σ``: PySAL ``weights.gaussian(sigma=σ)``, :math:`f(d) = e^{-d^2 / (2σ^2)}`
    (no normalisation, ``f(0) = 1``), cut at :math:`d_0` as PySAL's ``max_cost`` does.
``"3sfca"`` -- Wan, Zou & Sternberg (2012); PySAL ``Access.three_stage_fca``.
    Distance weight :math:`W_{ij}` = the E2SFCA step weights if ``steps`` is given, else the
    G2SFCA Gaussian above. Selection weight :math:`G_{ij} = W_{ij} / \sum_{k} W_{ik}` (the
    share of point i's weighted options that site j holds). Both steps use
    :math:`K_{ij} = G_{ij} W_{ij}`, as PySAL's ``three_stage_weight`` multiplies
    ``value * W3 * G`` in both catchment sums.

Where we differ from PySAL, deliberately:

* The catchment is closed, :math:`d_{ij} \le d_0` (Luo & Wang's definition and models.md §3);
  PySAL filters ``cost < max_cost``. The two agree unless a travel cost equals :math:`d_0`
  exactly.
* 3SFCA: PySAL sums :math:`W_{ik}` over every row of its cost table before applying
  ``max_cost``; we sum over sites inside the catchment (Wan et al.'s definition). They agree
  whenever the weight is already zero beyond :math:`d_0` (e.g. PySAL's default step weights
  with ``max_cost`` at or beyond the last step).
* A site nobody can reach (:math:`D_j = 0`) gets :math:`R_j = 0` instead of NaN/inf: its supply
  serves nobody, and every :math:`A_i` stays finite.

Because :math:`D_j` (and :math:`G_{ij}`) depend only on data, :math:`A = M S` is *linear* in the
supplies with :math:`M_{ij} = K_{ij} / D_j` (:func:`access_matrix`): the equity models in
:mod:`optmodels.siting.access.equity` rest on this.

Dense costs are ``numpy`` arrays; a ``scipy.sparse`` cost matrix is read as "stored entries are
the reachable pairs" (an explicitly stored 0 is a distance of 0) and stays sparse throughout.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import ArrayLike

from optmodels.analysis import gini

METHODS: tuple[str, ...] = ("2sfca", "e2sfca", "g2sfca", "3sfca")

Steps = Sequence[tuple[float, float]]


@dataclass(frozen=True)
class AccessResult:
    """Accessibility of every demand point and the ratio of every site, with the parameters.

    Attributes
    ----------
    ratio
        ``R_j``, supply per (weighted) person in the catchment of site j, shape ``(n_sites,)``.
    access
        ``A_i``, accessibility of demand point i (supply per person), shape ``(n_demand,)``.
    catchment_demand
        ``D_j``, the weighted population in the catchment of site j.
    method, d0, steps, beta
        The method and the parameters that produced the numbers.
    """

    ratio: np.ndarray
    access: np.ndarray
    catchment_demand: np.ndarray
    method: str
    d0: float
    steps: tuple[tuple[float, float], ...] | None = None
    beta: float | None = None

    @property
    def measure(self) -> str:
        """A human name of the measure, e.g. ``"2SFCA accessibility (d0=30)"``."""
        extra = ""
        if self.steps:
            extra = ", steps=" + "/".join(f"{t:g}:{w:g}" for t, w in self.steps)
        if self.beta is not None:
            extra += f", beta={self.beta:g}"
        return f"{self.method.upper()} accessibility (d0={self.d0:g}{extra})"

    def to_frame(self, demand_ids: ArrayLike | None = None) -> pd.DataFrame:
        """Tidy per-demand-point table: ``demand``, ``access``."""
        ids = np.arange(len(self.access)) if demand_ids is None else np.asarray(demand_ids)
        return pd.DataFrame({"demand": ids, "access": self.access})


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------


def _as_cost(cost: Any) -> np.ndarray | sp.csr_matrix:
    if sp.issparse(cost):
        c = sp.csr_matrix(cost, dtype=float, copy=True)
        if np.isnan(c.data).any() or (c.data < 0).any():
            raise ValueError(
                "cost must hold distances >= 0 (np.inf for unreachable), found NaN or < 0"
            )
        return c
    c = np.asarray(cost, dtype=float)
    if c.ndim != 2:
        raise ValueError(f"cost must be a 2-D (n_demand x n_sites) array, found shape {c.shape}")
    if np.isnan(c).any() or (c < 0).any():
        raise ValueError("cost must hold distances >= 0 (np.inf for unreachable), found NaN or < 0")
    return c


def _as_vector(values: ArrayLike, n: int, name: str) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    if v.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), found {v.shape}")
    if not np.isfinite(v).all() or (v < 0).any():
        raise ValueError(f"{name} must be finite and >= 0")
    return v


def _check_steps(steps: Steps | None) -> tuple[tuple[float, float], ...] | None:
    if steps is None:
        return None
    pairs = tuple((float(t), float(w)) for t, w in steps)
    if not pairs:
        raise ValueError("steps must hold at least one (upper distance, weight) pair")
    uppers = np.array([t for t, _ in pairs])
    if (np.diff(uppers) <= 0).any():
        raise ValueError(
            f"step upper distances must be strictly increasing, found {uppers.tolist()}"
        )
    if any(w < 0 for _, w in pairs):
        raise ValueError("step weights must be >= 0")
    return pairs


# --------------------------------------------------------------------------------------------
# Distance weights and kernels
# --------------------------------------------------------------------------------------------


def _weight_values(d: np.ndarray, method: str, d0: float, steps, beta) -> np.ndarray:
    """``f(d)`` elementwise for finite or infinite ``d`` (0 outside the catchment)."""
    inside = d <= d0  # np.inf <= d0 is False: unreachable pairs drop out here
    if method == "2sfca":
        w = np.ones_like(d)
    elif steps is not None and method in ("e2sfca", "3sfca"):
        uppers = np.array([t for t, _ in steps])
        weights = np.append([w for _, w in steps], 0.0)  # beyond the last step: 0
        dd = np.where(inside, d, 0.0)
        w = weights[np.searchsorted(uppers, dd, side="left")]
    elif method in ("g2sfca", "3sfca"):
        dd = np.where(inside, d, 0.0)
        if beta is None:  # Dai (2010)
            e = np.exp(-0.5)
            w = (np.exp(-0.5 * (dd / d0) ** 2) - e) / (1.0 - e)
        else:  # PySAL weights.gaussian(sigma=beta)
            w = np.exp(-dd * dd / (2.0 * beta**2))
    else:  # e2sfca without steps
        raise ValueError("method 'e2sfca' needs steps=[(upper distance, weight), ...]")
    return np.where(inside, w, 0.0)


def distance_weights(
    cost: Any,
    *,
    method: str = "2sfca",
    d0: float,
    steps: Steps | None = None,
    beta: float | None = None,
) -> np.ndarray | sp.csr_matrix:
    """The distance-weight matrix ``W_ij = f(d_ij)`` of a method (0 outside the catchment).

    Dense in, dense out; sparse in, CSR out (with zeros removed).
    """
    method, d0, steps, beta = _check_method(method, d0, steps, beta)
    c = _as_cost(cost)
    if sp.issparse(c):
        w = c.copy()
        w.data = _weight_values(c.data, method, d0, steps, beta)
        w.eliminate_zeros()
        return w
    return _weight_values(c, method, d0, steps, beta)


def _check_method(method: str, d0: float, steps, beta):
    if method not in METHODS:
        raise ValueError(
            f"unknown accessibility method {method!r}; expected one of {', '.join(METHODS)}"
        )
    d0 = float(d0)
    if not d0 > 0:
        raise ValueError(f"catchment d0 must be > 0, found {d0!r}")
    steps = _check_steps(steps)
    if steps is not None and method not in ("e2sfca", "3sfca"):
        raise ValueError(f"steps apply to e2sfca and 3sfca only, not {method!r}")
    if beta is not None:
        if method not in ("g2sfca", "3sfca"):
            raise ValueError(f"beta applies to g2sfca and 3sfca only, not {method!r}")
        beta = float(beta)
        if not beta > 0:
            raise ValueError(f"beta (the Gaussian sigma) must be > 0, found {beta!r}")
    return method, d0, steps, beta


def kernel(
    cost: Any,
    *,
    method: str = "2sfca",
    d0: float,
    steps: Steps | None = None,
    beta: float | None = None,
) -> np.ndarray | sp.csr_matrix:
    """The kernel ``K_ij``: ``f(d_ij)``, or ``G_ij f(d_ij)`` with 3SFCA's selection weights."""
    w = distance_weights(cost, method=method, d0=d0, steps=steps, beta=beta)
    if method != "3sfca":
        return w
    row = np.asarray(w.sum(axis=1)).ravel()
    inv = np.divide(1.0, row, out=np.zeros_like(row), where=row > 0)
    if sp.issparse(w):
        g = sp.diags(inv) @ w  # G_ij = W_ij / sum_k W_ik
        return g.multiply(w).tocsr()
    return (w * inv[:, None]) * w


def access_matrix(
    cost: Any,
    population: ArrayLike,
    *,
    method: str = "2sfca",
    d0: float,
    steps: Steps | None = None,
    beta: float | None = None,
) -> tuple[np.ndarray | sp.csr_matrix, np.ndarray]:
    """``(M, D)`` with ``A = M @ S`` for any supplies ``S``: ``M_ij = K_ij / D_j``.

    Columns of sites with ``D_j = 0`` are zero (their supply reaches nobody).
    """
    k = kernel(cost, method=method, d0=d0, steps=steps, beta=beta)
    p = _as_vector(population, k.shape[0], "population")
    demand = np.asarray(k.T @ p).ravel()  # D_j = sum_i P_i K_ij
    inv = np.divide(1.0, demand, out=np.zeros_like(demand), where=demand > 0)
    if sp.issparse(k):
        return (k @ sp.diags(inv)).tocsr(), demand
    return k * inv[None, :], demand


def accessibility(
    cost: Any,
    population: ArrayLike,
    supply: ArrayLike,
    *,
    method: str = "2sfca",
    d0: float,
    steps: Steps | None = None,
    beta: float | None = None,
) -> AccessResult:
    """Floating-catchment accessibility of every demand point (see the module docstring).

    Parameters
    ----------
    cost
        ``(n_demand, n_sites)`` travel costs, dense (``np.inf`` = unreachable) or
        ``scipy.sparse`` (stored entries = reachable pairs).
    population
        ``P_i`` per demand point, ``>= 0``.
    supply
        ``S_j`` per site, ``>= 0`` (0 for a closed or empty site).
    method
        ``"2sfca"``, ``"e2sfca"``, ``"g2sfca"`` or ``"3sfca"``.
    d0
        Catchment size in the units of ``cost`` (pairs with ``d_ij <= d0`` are inside).
    steps
        E2SFCA (and optionally 3SFCA) step weights ``[(upper distance, weight), ...]``.
    beta
        Gaussian sigma for G2SFCA/3SFCA in PySAL's form; ``None``: Dai (2010)'s Gaussian.

    Returns
    -------
    AccessResult
        ``ratio`` R_j, ``access`` A_i, ``catchment_demand`` D_j and the parameters.
    """
    method, d0, steps, beta = _check_method(method, d0, steps, beta)
    k = kernel(cost, method=method, d0=d0, steps=steps, beta=beta)
    n, m = k.shape
    p = _as_vector(population, n, "population")
    s = _as_vector(supply, m, "supply")
    demand = np.asarray(k.T @ p).ravel()
    ratio = np.divide(s, demand, out=np.zeros_like(s), where=demand > 0)
    access = np.asarray(k @ ratio).ravel()
    return AccessResult(
        ratio=ratio,
        access=access,
        catchment_demand=demand,
        method=method,
        d0=d0,
        steps=steps,
        beta=beta,
    )


# --------------------------------------------------------------------------------------------
# Reports
# --------------------------------------------------------------------------------------------


def _values(access: AccessResult | ArrayLike) -> np.ndarray:
    return np.asarray(access.access if isinstance(access, AccessResult) else access, dtype=float)


def summary(
    access: AccessResult | ArrayLike, population: ArrayLike, threshold: float | None = None
) -> dict[str, float | None]:
    """Accessibility summary over demand points.

    Returns a dict with ``mean`` (unweighted), ``weighted_mean`` (population-weighted),
    ``variance`` (population-weighted, :math:`\\sum_i p_i (A_i - \\bar A)^2` with population
    shares ``p_i``), ``mad`` (population-weighted mean absolute deviation), ``min``, ``max``,
    ``gini`` (population-weighted Gini of accessibility, :func:`optmodels.analysis.gini` of
    ``amount = A * P``; points with zero population carry no weight and are left out),
    ``share_below`` (population share with ``A_i < threshold``; ``None`` without a threshold),
    ``threshold`` and ``population``.
    """
    a = _values(access)
    p = _as_vector(population, len(a), "population")
    if p.sum() <= 0:
        raise ValueError("total population must be > 0")
    share = p / p.sum()
    wmean = float(share @ a)
    pos = p > 0
    return {
        "population": float(p.sum()),
        "mean": float(a.mean()),
        "weighted_mean": wmean,
        "variance": float(share @ (a - wmean) ** 2),
        "mad": float(share @ np.abs(a - wmean)),
        "min": float(a.min()),
        "max": float(a.max()),
        "gini": float(gini(a[pos] * p[pos], p[pos])) if pos.sum() > 1 else 0.0,
        "threshold": None if threshold is None else float(threshold),
        "share_below": None if threshold is None else float(share[a < threshold].sum()),
    }


def _pct_change(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = 100.0 * (after - before) / before
    # From zero access: +inf if it rose, 0 if it stayed at zero.
    return np.where(before > 0, pct, np.where(after > before, np.inf, 0.0))


def before_after(
    access_before: AccessResult | ArrayLike,
    access_after: AccessResult | ArrayLike,
    population: ArrayLike,
    area_ids: ArrayLike | None = None,
    threshold: float | None = None,
) -> pd.DataFrame:
    """Accessibility before and after a plan, per area and overall.

    One row per area (``area_ids`` gives each demand point's area; ``None``: every demand point
    is its own area) plus a last row ``"overall"``. Columns: ``area``, ``population``,
    ``access_before`` / ``access_after`` (population-weighted mean accessibility of the area),
    ``change_pct`` (``100 (after - before) / before``; ``inf`` from zero access),
    ``gini_before`` / ``gini_after`` (population-weighted Gini within the area; NaN for a single
    point), ``share_below_before`` / ``share_below_after`` (population share under
    ``threshold``; NaN without one).

    ``df.attrs`` carries ``measure`` (the accessibility measure's name when an
    :class:`AccessResult` is given), ``max_change_pct`` (the largest area change -- seed 000's
    "up to 300% improvement" is such a figure) and the overall ``summary_before`` /
    ``summary_after`` dicts of :func:`summary`.
    """
    a0, a1 = _values(access_before), _values(access_after)
    if a0.shape != a1.shape:
        raise ValueError(
            f"access_before and access_after differ in shape: {a0.shape} vs {a1.shape}"
        )
    p = _as_vector(population, len(a0), "population")
    areas = np.arange(len(a0)) if area_ids is None else np.asarray(area_ids)
    if areas.shape != a0.shape:
        raise ValueError(f"area_ids must have shape {a0.shape}, found {areas.shape}")
    frame = pd.DataFrame({"area": areas, "P": p, "PA0": p * a0, "PA1": p * a1})
    grouped = frame.groupby("area", sort=True)
    agg = grouped[["P", "PA0", "PA1"]].sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        b = np.where(agg["P"] > 0, agg["PA0"] / agg["P"], 0.0)
        a = np.where(agg["P"] > 0, agg["PA1"] / agg["P"], 0.0)
    rows = pd.DataFrame(
        {
            "area": agg.index.to_numpy(),
            "population": agg["P"].to_numpy(),
            "access_before": b,
            "access_after": a,
            "change_pct": _pct_change(b, a),
        }
    )
    gb, ga, sb, sa = [], [], [], []
    positions = grouped.indices
    for key in agg.index:
        idx = positions[key]
        if len(idx) > 1 and p[idx].sum() > 0:
            s0, s1 = summary(a0[idx], p[idx], threshold), summary(a1[idx], p[idx], threshold)
            gb.append(s0["gini"])
            ga.append(s1["gini"])
        else:
            gb.append(np.nan)
            ga.append(np.nan)
        if threshold is not None and p[idx].sum() > 0:
            w = p[idx] / p[idx].sum()
            sb.append(float(w[a0[idx] < threshold].sum()))
            sa.append(float(w[a1[idx] < threshold].sum()))
        else:
            sb.append(np.nan)
            sa.append(np.nan)
    rows["gini_before"], rows["gini_after"] = gb, ga
    rows["share_below_before"], rows["share_below_after"] = sb, sa
    s0, s1 = summary(a0, p, threshold), summary(a1, p, threshold)
    overall = {
        "area": "overall",
        "population": s0["population"],
        "access_before": s0["weighted_mean"],
        "access_after": s1["weighted_mean"],
        "change_pct": float(
            _pct_change(np.array([s0["weighted_mean"]]), np.array([s1["weighted_mean"]]))[0]
        ),
        "gini_before": s0["gini"],
        "gini_after": s1["gini"],
        "share_below_before": np.nan if threshold is None else s0["share_below"],
        "share_below_after": np.nan if threshold is None else s1["share_below"],
    }
    rows["area"] = rows["area"].astype(object)
    out = pd.concat([rows, pd.DataFrame([overall])], ignore_index=True)
    measure = "accessibility"
    for res in (access_after, access_before):
        if isinstance(res, AccessResult):
            measure = res.measure
    finite = rows["change_pct"][np.isfinite(rows["change_pct"])]
    out.attrs.update(
        measure=measure,
        max_change_pct=float(finite.max()) if len(finite) else float("nan"),
        summary_before=s0,
        summary_after=s1,
    )
    return out


def before_after_text(table: pd.DataFrame, *, per: float = 1000.0, max_rows: int = 25) -> str:
    """The :func:`before_after` table for a terminal, accessibility shown per ``per`` people.

    With more than ``max_rows`` areas, the rows with the largest changes are shown (and the
    overall row always). The last line names the measure and the largest area change.
    """
    from optmodels.report import table_text

    rows = table.iloc[:-1]
    if len(rows) > max_rows:
        order = rows["change_pct"].abs().replace(np.inf, np.finfo(float).max)
        rows = rows.loc[order.sort_values(ascending=False).index[:max_rows]]
    shown = pd.concat([rows, table.iloc[[-1]]])
    has_thr = shown["share_below_before"].notna().any()
    records = []
    for _, r in shown.iterrows():
        rec = {
            "area": str(r["area"]),
            "population": f"{r['population']:.0f}",
            "before": float(r["access_before"] * per),
            "after": float(r["access_after"] * per),
            "change %": f"{round(r['change_pct'], 1) + 0.0:+.1f}",
            "Gini before": float(r["gini_before"]),
            "Gini after": float(r["gini_after"]),
        }
        if has_thr:
            rec["below before"] = f"{r['share_below_before']:.1%}"
            rec["below after"] = f"{r['share_below_after']:.1%}"
        records.append(rec)
    columns = list(records[0])
    body = table_text(records, columns, floatfmt="{:.4g}")
    finite = rows["change_pct"].replace(np.inf, np.nan)
    lines = [
        f"  before/after by area: {table.attrs.get('measure', 'accessibility')}, per {per:g} people"
    ]
    lines += ["    " + line for line in body.splitlines()]
    if finite.notna().any():
        k = finite.idxmax()
        lines.append(
            f"  largest area change {table.attrs.get('max_change_pct', float('nan')):+.1f}% "
            f"(area {table.loc[k, 'area']}); overall {table.iloc[-1]['change_pct']:+.1f}%"
        )
    return "\n".join(lines)


__all__ = [
    "METHODS",
    "AccessResult",
    "access_matrix",
    "accessibility",
    "before_after",
    "before_after_text",
    "distance_weights",
    "kernel",
    "summary",
]
