"""Tools after the front: the :class:`ParetoResult`, dominance, quality indicators, choices, files.

Conventions
-----------
* A front is an array ``F`` of shape ``(n_points, n_objectives)`` in the objectives' own units
  and senses; ``senses`` says ``"min"`` or ``"max"`` per column. Internally every tool turns
  ``F`` into *minimisation form* (maximised columns negated) so that "smaller is better".
* **Normalisation** (for hypervolume, IGD+, the knee point and plots): each objective is mapped
  to ``[0, 1]`` by ``(f - ideal) / (nadir - ideal)`` in minimisation form, with the ideal and
  nadir points of the payoff table unless the caller gives others. A zero range is replaced by
  1 so that a constant objective contributes nothing.
* **Hypervolume** is measured in that normalised space against the reference point
  ``(1.1, ..., 1.1)`` -- i.e. 10 % beyond the nadir on each axis, the usual choice that lets the
  extreme points contribute. The largest possible value is ``1.1 ** n_objectives``. Comparing two
  fronts is only meaningful with the same ideal, nadir and reference point, which is why
  :meth:`ParetoResult.with_reference` exists: give every method's result the same normalisation
  before comparing.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

#: The hypervolume reference point in normalised space (each coordinate), see module docstring.
REFERENCE_FACTOR = 1.1


# --------------------------------------------------------------------------------------------
# Senses and normalisation
# --------------------------------------------------------------------------------------------


def check_senses(senses: Sequence[str]) -> tuple[str, ...]:
    out = tuple(str(s).lower() for s in senses)
    bad = [s for s in out if s not in ("min", "max")]
    if bad:
        raise ValueError(f"senses must be 'min' or 'max', found {bad}")
    return out


def to_min(F: np.ndarray, senses: Sequence[str]) -> np.ndarray:
    """``F`` in minimisation form: maximised columns negated."""
    F = np.atleast_2d(np.asarray(F, dtype=float))
    sign = np.where(np.array(check_senses(senses)) == "max", -1.0, 1.0)
    return F * sign


def normalise(
    F: np.ndarray, senses: Sequence[str], ideal: Sequence[float], nadir: Sequence[float]
) -> np.ndarray:
    """Minimisation-form ``F`` scaled so the ideal maps to 0 and the nadir to 1 on each axis."""
    lo = to_min(np.asarray(ideal, dtype=float)[None, :], senses)[0]
    hi = to_min(np.asarray(nadir, dtype=float)[None, :], senses)[0]
    span = np.where(np.abs(hi - lo) > 1e-12, hi - lo, 1.0)
    return (to_min(F, senses) - lo) / span


def ideal_nadir(F: np.ndarray, senses: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Ideal and nadir of a set of points (the best and worst value of each objective)."""
    Fm = to_min(F, senses)
    sign = np.where(np.array(check_senses(senses)) == "max", -1.0, 1.0)
    return Fm.min(axis=0) * sign, Fm.max(axis=0) * sign


def reference_point(
    senses: Sequence[str], ideal: Sequence[float], nadir: Sequence[float],
    factor: float = REFERENCE_FACTOR,
) -> np.ndarray:
    """The hypervolume reference point in the objectives' own units (``factor`` in normalised space)."""
    ideal = np.asarray(ideal, dtype=float)
    nadir = np.asarray(nadir, dtype=float)
    return ideal + factor * (nadir - ideal)


# --------------------------------------------------------------------------------------------
# Dominance
# --------------------------------------------------------------------------------------------


def nondominated_mask(F: np.ndarray, senses: Sequence[str], *, tol: float = 1e-9) -> np.ndarray:
    """Boolean mask of the non-dominated rows of ``F``; of duplicate rows only the first is kept.

    Points are compared in minimisation form with an absolute tolerance ``tol`` (two values
    closer than ``tol`` count as equal). Sorting lexicographically first means a point can only
    be dominated by an earlier one, so one pass suffices (``O(n^2 p)`` worst case, vectorised
    per point).
    """
    Fm = to_min(F, senses)
    n = len(Fm)
    if n == 0:
        return np.zeros(0, dtype=bool)
    Fr = np.round(Fm / tol) * tol if tol > 0 else Fm
    order = np.lexsort(Fr.T[::-1])
    keep = np.zeros(n, dtype=bool)
    kept: list[int] = []
    for i in order:
        if kept:
            K = Fm[kept]
            weakly = np.all(K <= Fm[i] + tol, axis=1)
            if weakly.any():
                continue  # dominated by, or equal to, a kept point
        keep[i] = True
        kept.append(i)
    return keep


def nondominated(F: np.ndarray, senses: Sequence[str], *, tol: float = 1e-9) -> np.ndarray:
    """Indices of the non-dominated rows (duplicates removed), sorted by the first objective."""
    idx = np.flatnonzero(nondominated_mask(F, senses, tol=tol))
    Fm = to_min(np.asarray(F)[idx], senses)
    return idx[np.lexsort(Fm.T[::-1])]


def dominates(a: np.ndarray, b: np.ndarray, senses: Sequence[str]) -> bool:
    am, bm = to_min(a[None, :], senses)[0], to_min(b[None, :], senses)[0]
    return bool(np.all(am <= bm) and np.any(am < bm))


# --------------------------------------------------------------------------------------------
# Quality indicators
# --------------------------------------------------------------------------------------------


def hypervolume(
    F: np.ndarray,
    senses: Sequence[str],
    ideal: Sequence[float],
    nadir: Sequence[float],
    *,
    factor: float = REFERENCE_FACTOR,
) -> float:
    """Hypervolume of ``F`` normalised by ``ideal``/``nadir``, reference point ``factor`` per axis.

    Uses pymoo's exact hypervolume (``pymoo.indicators.hv.HV``). Points beyond the reference
    point contribute nothing.
    """
    from pymoo.indicators.hv import HV

    F = np.atleast_2d(np.asarray(F, dtype=float))
    if F.size == 0:
        return 0.0
    Fn = normalise(F, senses, ideal, nadir)
    Fn = Fn[np.all(Fn < factor, axis=1)]
    if len(Fn) == 0:
        return 0.0
    return float(HV(ref_point=np.full(Fn.shape[1], factor))(Fn))


def igd_plus(
    F: np.ndarray,
    reference_front: np.ndarray,
    senses: Sequence[str],
    ideal: Sequence[float],
    nadir: Sequence[float],
) -> float:
    """IGD+ (Ishibuchi et al. 2015) of ``F`` against ``reference_front``, in normalised space.

    0 means ``F`` covers the reference front; the value is the mean, over the reference points,
    of the dominance-aware distance to the nearest point of ``F``.
    """
    from pymoo.indicators.igd_plus import IGDPlus

    Z = normalise(reference_front, senses, ideal, nadir)
    return float(IGDPlus(Z)(normalise(F, senses, ideal, nadir)))


def reference_scores(
    F: np.ndarray, senses: Sequence[str], reference_front: np.ndarray
) -> dict[str, Any]:
    """Scores of a front against a known (reference) front, normalised by the *reference* front.

    The ideal and nadir are the reference front's own, whatever normalisation the scored
    result carries (a seeded NSGA-II run has the payoff table's, an unseeded one its own
    extremes), so every run scored against one reference is on one scale.

    Returns
    -------
    dict
        ``igd_plus`` (0: ``F`` covers the reference), ``hypervolume`` and
        ``reference_hypervolume`` (reference point 1.1 per normalised axis),
        ``hypervolume_ratio`` (their quotient, NaN if the reference's is 0), ``ideal``, ``nadir``.
    """
    R = np.atleast_2d(np.asarray(reference_front, dtype=float))
    F = np.atleast_2d(np.asarray(F, dtype=float)).reshape(-1, R.shape[1])
    ideal, nadir = ideal_nadir(R, senses)
    hv = hypervolume(F, senses, ideal, nadir) if len(F) else 0.0
    hv_ref = hypervolume(R, senses, ideal, nadir)
    return {
        "igd_plus": igd_plus(F, R, senses, ideal, nadir) if len(F) else math.inf,
        "hypervolume": hv,
        "reference_hypervolume": hv_ref,
        "hypervolume_ratio": hv / hv_ref if hv_ref > 0 else math.nan,
        "ideal": ideal,
        "nadir": nadir,
    }


def knee_point(
    F: np.ndarray, senses: Sequence[str], ideal: Sequence[float] | None = None,
    nadir: Sequence[float] | None = None,
) -> int:
    """Index of the knee: the point farthest below the hyperplane through the extreme points.

    In normalised minimisation form the extreme points (best value of each objective) span a
    hyperplane; the knee is the point with the largest distance beneath it (Das 1999; Branke et
    al. 2004). When the extremes are degenerate the hyperplane ``sum(f) = 1`` is used, which
    makes the knee the equal-weight compromise.
    """
    F = np.atleast_2d(np.asarray(F, dtype=float))
    if len(F) == 0:
        raise ValueError("the front is empty")
    if ideal is None or nadir is None:
        ideal, nadir = ideal_nadir(F, senses)
    Fn = normalise(F, senses, ideal, nadir)
    p = Fn.shape[1]
    extremes = Fn[np.argmin(Fn, axis=0)]  # row k: the point best in objective k
    try:
        # plane w.f = 1 through the p extreme points
        w = np.linalg.solve(extremes, np.ones(p))
        if not np.all(np.isfinite(w)) or np.any(w <= 0):
            raise np.linalg.LinAlgError
    except np.linalg.LinAlgError:
        w = np.ones(p)
    distance = (1.0 - Fn @ w) / np.linalg.norm(w)
    return int(np.argmax(distance))


def topsis(
    F: np.ndarray, senses: Sequence[str], weights: Sequence[float] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """TOPSIS (Hwang & Yoon 1981): closeness to the ideal solution of each point, and the ranking.

    Columns are vector-normalised, weighted (``weights`` are scaled to sum to 1; equal by
    default), and each point's closeness ``d- / (d+ + d-)`` to the positive ideal is computed
    from its Euclidean distances to the best (``d+``) and worst (``d-``) value per column,
    respecting each objective's sense.

    Returns
    -------
    closeness
        Array of shape ``(n,)`` in ``[0, 1]`` (1 = best).
    ranking
        Point indices from best to worst.
    """
    F = np.atleast_2d(np.asarray(F, dtype=float))
    p = F.shape[1]
    w = np.ones(p) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != (p,) or np.any(w < 0) or not w.sum() > 0:
        raise ValueError(f"expected {p} non-negative weights with a positive sum, found {weights}")
    w = w / w.sum()
    norm = np.linalg.norm(F, axis=0)
    V = F / np.where(norm > 0, norm, 1.0) * w
    is_max = np.array(check_senses(senses)) == "max"
    best = np.where(is_max, V.max(axis=0), V.min(axis=0))
    worst = np.where(is_max, V.min(axis=0), V.max(axis=0))
    d_plus = np.linalg.norm(V - best, axis=1)
    d_minus = np.linalg.norm(V - worst, axis=1)
    total = d_plus + d_minus
    closeness = np.where(total > 0, d_minus / np.where(total > 0, total, 1.0), 1.0)
    return closeness, np.argsort(-closeness, kind="stable")


# --------------------------------------------------------------------------------------------
# The result
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParetoResult:
    """A front found by one method, with what is needed to judge and reproduce it.

    Attributes
    ----------
    method
        ``"weighted_sum"``, ``"epsilon"`` (AUGMECON2) or ``"nsga2"``.
    objectives, senses
        Objective names and ``"min"``/``"max"`` per objective, in column order of ``points``.
    points
        Non-dominated objective vectors, shape ``(n, p)``, sorted by the first objective
        (best first), in the objectives' own units and senses.
    decisions
        One decision per point: for MILP methods a ``{variable name: value}`` dict of the
        non-zero values, for NSGA-II the decision vector.
    summaries
        A short human-readable summary of each decision (``front.csv``'s ``decision`` column).
    exact
        True when the method proves the front complete (AUGMECON2 in exact mode, run to the end).
    complete
        False when the run stopped early (Ctrl-C, a time limit, a failed solve): the points are
        still non-dominated among those found.
    solves
        MILP solves (or, for NSGA-II, function evaluations).
    ideal, nadir
        The normalisation of hypervolume / IGD+ / plots (payoff table unless overridden).
    hypervolume, reference_point
        Normalised hypervolume and its reference point in the objectives' own units.
    payoff
        The lexicographic payoff table (row k: the objectives at the optimum of objective k).
    labels
        Optional axis text per objective (what it measures, in which unit), for plots and the
        notebook display; the names are used where it is silent.

    In a notebook a front shows itself (``_repr_html_``: method, size, exactness, hypervolume,
    time, knee and TOPSIS choices, the head of :attr:`table`) and ``plot()`` returns the front as a
    matplotlib Figure with the knee and the TOPSIS choice marked. ``points`` stays an array (as
    pymoo's ``res.F``): every front tool works on it; :attr:`table` is the same points as a
    DataFrame named by the objectives, with each point's decision.
    """

    method: str
    objectives: tuple[str, ...]
    senses: tuple[str, ...]
    points: np.ndarray
    decisions: tuple[Any, ...] = ()
    summaries: tuple[str, ...] = ()
    exact: bool = False
    complete: bool = True
    solves: int = 0
    timings: Mapping[str, float] = field(default_factory=dict)
    seed: int | None = None
    ideal: np.ndarray | None = None
    nadir: np.ndarray | None = None
    hypervolume: float | None = None
    reference_point: np.ndarray | None = None
    payoff: np.ndarray | None = None
    notes: tuple[str, ...] = ()
    settings: Mapping[str, Any] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "senses", check_senses(self.senses))
        object.__setattr__(self, "objectives", tuple(self.objectives))
        pts = np.atleast_2d(np.asarray(self.points, dtype=float)).reshape(-1, len(self.senses))
        object.__setattr__(self, "points", pts)
        for name in ("decisions", "summaries", "notes"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        object.__setattr__(self, "timings", dict(self.timings))
        object.__setattr__(self, "settings", dict(self.settings))
        object.__setattr__(self, "labels", dict(self.labels))
        if self.hypervolume is None and self.ideal is not None and self.nadir is not None:
            object.__setattr__(self, "hypervolume", self._hv(self.ideal, self.nadir))
            object.__setattr__(
                self, "reference_point", reference_point(self.senses, self.ideal, self.nadir)
            )

    def _hv(self, ideal: Sequence[float], nadir: Sequence[float]) -> float:
        return hypervolume(self.points, self.senses, ideal, nadir) if len(self.points) else 0.0

    def __len__(self) -> int:
        return len(self.points)

    def with_reference(self, ideal: Sequence[float], nadir: Sequence[float]) -> ParetoResult:
        """The same front with hypervolume re-measured against another ideal/nadir (for comparisons)."""
        ideal = np.asarray(ideal, dtype=float)
        nadir = np.asarray(nadir, dtype=float)
        return dataclasses.replace(
            self,
            ideal=ideal,
            nadir=nadir,
            hypervolume=self._hv(ideal, nadir),
            reference_point=reference_point(self.senses, ideal, nadir),
        )

    def knee(self) -> int:
        """Index of the knee point (see :func:`knee_point`)."""
        return knee_point(self.points, self.senses, self.ideal, self.nadir)

    def topsis(self, weights: Sequence[float] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """TOPSIS closeness and ranking of the points (see :func:`topsis`)."""
        return topsis(self.points, self.senses, weights)

    def reference_scores(self, reference_front: np.ndarray) -> dict[str, Any]:
        """IGD+ and hypervolume ratio against a known front, on its scale (:func:`reference_scores`)."""
        return reference_scores(self.points, self.senses, reference_front)

    def igd_plus(self, reference_front: np.ndarray) -> float:
        ideal, nadir = self._norm()
        return igd_plus(self.points, reference_front, self.senses, ideal, nadir)

    def _norm(self) -> tuple[np.ndarray, np.ndarray]:
        if self.ideal is not None and self.nadir is not None:
            return np.asarray(self.ideal), np.asarray(self.nadir)
        return ideal_nadir(self.points, self.senses)

    def frame(self, *, topsis_weights: Sequence[float] | None = None) -> pd.DataFrame:
        """One row per point: objective values, decision summary, method, knee flag, TOPSIS rank."""
        df = pd.DataFrame(self.points, columns=list(self.objectives))
        df["decision"] = list(self.summaries) if len(self.summaries) == len(df) else ""
        df["method"] = self.method
        if len(df):
            df["knee"] = False
            df.loc[self.knee(), "knee"] = True
            closeness, ranking = self.topsis(topsis_weights)
            rank = np.empty(len(df), dtype=int)
            rank[ranking] = np.arange(1, len(df) + 1)
            df["topsis_closeness"] = closeness
            df["topsis_rank"] = rank
        return df

    @property
    def table(self) -> pd.DataFrame:
        """The points as a DataFrame: one column per objective (by name), the ``decision`` in
        the family's words, ``knee`` and the TOPSIS closeness and rank (:meth:`frame`)."""
        return self.frame()

    def plot(self, *, reference_front: np.ndarray | None = None):
        """The front as a matplotlib Figure, knee and TOPSIS choice marked; nothing is written."""
        if not len(self.points):
            raise ValueError("the front has no point to plot")
        return plot_front(self, reference_front=reference_front, labels=self.labels or None)

    def __repr__(self) -> str:
        hv = "None" if self.hypervolume is None else f"{self.hypervolume:.4g}"
        return (f"ParetoResult(method={self.method!r}, objectives={list(self.objectives)}, "
                f"points={len(self.points)}, exact={self.exact}, complete={self.complete}, "
                f"hypervolume={hv})")

    def _repr_html_(self, rows: int = 10) -> str:
        from html import escape

        head = (f"<b>Pareto front</b> by {escape(self.method)}: {len(self.points)} non-dominated points"
                + (" (exact: every non-dominated point)" if self.exact else "")
                + ("" if self.complete else " <b style='color:#cf222e'>incomplete</b>"))
        objectives = "<br>".join(
            f"{escape(n)} ({s})" + (f" &mdash; {escape(self.labels[n])}" if self.labels.get(n, n) != n else "")
            for n, s in zip(self.objectives, self.senses, strict=True)
        )
        cells = [("objectives", objectives)]
        if self.hypervolume is not None:
            cells.append(("hypervolume", f"{self.hypervolume:.6g} (normalised; reference point 1.1 per axis)"))
        cells.append(("solves / evaluations", f"{self.solves}"))
        if "total" in self.timings:
            cells.append(("time", f"{self.timings['total']:.3g} s"))
        body = "".join(f"<tr><th style='text-align:left'>{k}</th><td style='text-align:left'>{v}</td></tr>"
                       for k, v in cells)
        parts = ["<div class='optmodels-front'>", f"<p>{head}</p>", f"<table>{body}</table>"]
        if len(self.points):
            table = self.table
            knee = int(np.flatnonzero(table["knee"].to_numpy())[0])
            best = int(np.argmin(table["topsis_rank"].to_numpy()))
            for label, i in (("knee point", knee), ("TOPSIS best", best)):
                values = ", ".join(f"{escape(n)} = {v:.6g}" for n, v in zip(self.objectives, self.points[i], strict=True))
                parts.append(f"<p>{label}: {values}</p>")
            shown = f"first {rows} of {len(table)}" if len(table) > rows else f"{len(table)}"
            parts.append(f"<p><code>.table</code> ({shown} points)</p>")
            parts.append(table.head(rows).to_html(index=False, float_format=lambda v: f"{v:.6g}", border=0))
        if self.notes:
            parts.append("<details><summary>notes</summary><ul>"
                         + "".join(f"<li>{escape(n)}</li>" for n in self.notes) + "</ul></details>")
        parts.append("</div>")
        return "\n".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """What ``pareto.json`` holds."""
        return json_safe(
            {
                "method": self.method,
                "objectives": [
                    {"name": n, "sense": s} for n, s in zip(self.objectives, self.senses, strict=False)
                ],
                "n_points": len(self.points),
                "exact": self.exact,
                "complete": self.complete,
                "points": self.points.tolist(),
                "hypervolume": self.hypervolume,
                "hypervolume_normalisation": {
                    "ideal": None if self.ideal is None else np.asarray(self.ideal).tolist(),
                    "nadir": None if self.nadir is None else np.asarray(self.nadir).tolist(),
                    "reference_point": None
                    if self.reference_point is None
                    else np.asarray(self.reference_point).tolist(),
                    "reference_point_normalised": REFERENCE_FACTOR,
                    "note": "objectives scaled to [0,1] by (f-ideal)/(nadir-ideal) in "
                    "minimisation form; reference point 1.1 on every axis",
                },
                "payoff_table": None if self.payoff is None else np.asarray(self.payoff).tolist(),
                "solves": self.solves,
                "timings": self.timings,
                "seed": self.seed,
                "notes": list(self.notes),
                "settings": self.settings,
            }
        )


def merge(
    method: str,
    objectives: Sequence[str],
    senses: Sequence[str],
    points: Sequence[Sequence[float]],
    decisions: Sequence[Any],
    summaries: Sequence[str],
    **kwargs: Any,
) -> ParetoResult:
    """A :class:`ParetoResult` of the non-dominated, de-duplicated subset of the given points.

    Duplicates are removed twice: equal objective vectors (:func:`nondominated`), and points
    whose *decisions* are equal within :data:`DECISION_TOL` (:func:`same_decision_groups`) --
    one decision found by two solves can come back with objective values that differ by the
    solver's tolerances (a pricing front had (254.1200659, 2.2) and (254.1200417, 2.19999993),
    the same fees), which the objective comparison cannot tell from a trade-off. Of such a
    group the first point in the front's order (best first objective) is kept and a note says
    how many were merged.
    """
    P = np.asarray(points, dtype=float).reshape(-1, len(senses))
    idx = nondominated(P, senses) if len(P) else np.zeros(0, dtype=int)
    if len(decisions) == len(P) and len(idx) > 1:
        keep = same_decision_groups([decisions[i] for i in idx])
        merged = len(idx) - len(keep)
        if merged:
            idx = idx[keep]
            notes = tuple(kwargs.pop("notes", ())) + (
                f"{merged} point(s) merged into another with the same decision (within "
                f"{DECISION_TOL:g}): objective values differing only by the solver's tolerance",
            )
            kwargs["notes"] = notes
    return ParetoResult(
        method=method,
        objectives=tuple(objectives),
        senses=tuple(senses),
        points=P[idx],
        decisions=tuple(decisions[i] for i in idx) if len(decisions) == len(P) else (),
        summaries=tuple(summaries[i] for i in idx) if len(summaries) == len(P) else (),
        **kwargs,
    )


#: Decisions whose every value agrees to this (absolute, and relative above 1) are the same
#: decision: above HiGHS's primal feasibility (1e-7) and MIP integrality (1e-6) tolerances.
DECISION_TOL = 1e-6


def _decision_matrix(decisions: Sequence[Any]) -> np.ndarray | None:
    """Decisions as rows of a float matrix (dicts by the union of their keys, missing = 0).

    ``None`` when they are not all dicts of numbers or all numeric vectors of one length.
    """
    try:
        if all(isinstance(d, Mapping) for d in decisions):
            keys = sorted({k for d in decisions for k in d}, key=str)
            col = {k: j for j, k in enumerate(keys)}
            D = np.zeros((len(decisions), len(keys)))
            for i, d in enumerate(decisions):
                for k, v in d.items():
                    D[i, col[k]] = float(v)
            return D
        rows = [np.asarray(d, dtype=float).ravel() for d in decisions]
    except (TypeError, ValueError):
        return None
    if len({len(r) for r in rows}) != 1:
        return None
    return np.vstack(rows)


def same_decision_groups(decisions: Sequence[Any], tol: float = DECISION_TOL) -> np.ndarray:
    """Indices of the decisions to keep: the first of each group of equal decisions (within ``tol``).

    Two decisions are equal when every value differs by at most ``tol * max(1, |value|)``.
    Decisions that cannot be compared as numbers are all kept.
    """
    n = len(decisions)
    D = _decision_matrix(decisions)
    if D is None:
        return np.arange(n)
    keep: list[int] = []
    for i in range(n):
        if keep:
            K = D[keep]
            scale = np.maximum(1.0, np.maximum(np.abs(K), np.abs(D[i])))
            if np.any(np.all(np.abs(K - D[i]) <= tol * scale, axis=1)):
                continue
        keep.append(i)
    return np.asarray(keep, dtype=int)


def summarise_values(values: Mapping[str, float], limit: int = 12) -> str:
    """A short text for a decision given as ``{variable name: value}`` (non-zeros only)."""
    items = [(k, v) for k, v in values.items() if abs(v) > 1e-9]
    text = " ".join(
        f"{k}={int(round(v))}" if abs(v - round(v)) < 1e-9 else f"{k}={v:.4g}" for k, v in items[:limit]
    )
    if len(items) > limit:
        text += f" ... (+{len(items) - limit} more)"
    return text


# --------------------------------------------------------------------------------------------
# Files and figures
# --------------------------------------------------------------------------------------------


def json_safe(value: Any) -> Any:
    """Plain JSON types, recursively: numpy scalars/arrays unwrapped, non-finite floats -> None."""
    if isinstance(value, np.ndarray):
        return json_safe(value.tolist())
    if isinstance(value, np.generic):
        return json_safe(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def write_front_csv(
    result: ParetoResult, path: str | Path, *, topsis_weights: Sequence[float] | None = None
) -> pd.DataFrame:
    """Write ``front.csv`` (one row per point) and return the table."""
    df = result.frame(topsis_weights=topsis_weights)
    df.to_csv(path, index=False)
    return df


def write_pareto_json(result: ParetoResult, path: str | Path, **extra: Any) -> dict[str, Any]:
    """Write ``pareto.json`` (the :meth:`ParetoResult.to_dict` payload plus ``extra``)."""
    payload = result.to_dict()
    payload.update(json_safe(extra))
    Path(path).write_text(json.dumps(payload, indent=2, allow_nan=False) + "\n")
    return payload


def notebook_display() -> None:
    """In a Jupyter kernel, make sure a plain matplotlib ``Figure`` displays as an image.

    The suite's plots are ``Figure`` objects outside pyplot (no backend switch, shown once when
    returned). The inline backend registers the display of figures when it loads, which
    otherwise happens with the first *pyplot* figure: load it, and where its integration is
    deferred to the end of the cell (IPython 9 beside matplotlib < 3.9), register the display as
    it would. Nothing happens outside a kernel or without matplotlib-inline.
    """
    import sys

    if "ipykernel" not in sys.modules:
        return
    try:
        import matplotlib_inline.backend_inline  # noqa: F401
        from IPython import get_ipython
        from IPython.core.pylabtools import select_figure_formats
        from matplotlib.figure import Figure
        from matplotlib_inline.config import InlineBackend
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return
    try:
        shell.display_formatter.formatters["image/png"].lookup_by_type(Figure)
    except KeyError:
        config = InlineBackend.instance(parent=shell)
        select_figure_formats(shell, config.figure_formats, **config.print_figure_kwargs)


def plot_front(
    result: ParetoResult,
    path: str | Path | None = None,
    *,
    marked: Mapping[str, int] | None = None,
    reference_front: np.ndarray | None = None,
    title: str | None = None,
    labels: Mapping[str, str] | None = None,
):
    """Plot the front with the chosen points marked; returns the matplotlib figure (a plain
    ``Figure``, outside pyplot: nothing to close), saved to ``path`` when one is given.

    ``labels`` maps objective names to axis text (what is measured, in which unit); names are
    used where it is silent.

    Two objectives: scatter plus the attainment step line. Three objectives: a 3-D scatter and a
    parallel-coordinates panel (normalised, 0 = ideal). More: parallel coordinates only.
    ``reference_front`` (e.g. the exact front) is drawn in grey underneath.
    """
    from matplotlib.figure import Figure

    notebook_display()

    if marked is None and len(result.points):
        closeness, ranking = result.topsis()
        marked = {"knee": result.knee(), "TOPSIS best": int(ranking[0])}
    marked = dict(marked or {})
    P = result.points
    p = P.shape[1]
    names = [(labels or {}).get(n, n) for n in result.objectives]
    label = f"{result.method} ({len(P)} points)"
    title = title or f"Pareto front: {result.method}" + ("" if result.complete else " (incomplete)")
    colours = ["tab:red", "tab:green", "tab:purple", "tab:orange"]
    if p == 2:
        fig = Figure(figsize=(6, 4.5))
        ax = fig.subplots()
        if reference_front is not None and len(reference_front):
            R = np.asarray(reference_front)
            ax.scatter(R[:, 0], R[:, 1], s=14, c="0.75", label=f"reference ({len(R)} points)")
        order = np.argsort(P[:, 0])
        # the attainment boundary: it steps on the side the first objective improves towards
        where = "pre" if result.senses[0] == "max" else "post"
        ax.step(P[order, 0], P[order, 1], where=where, c="tab:blue", lw=0.8, alpha=0.6)
        ax.scatter(P[:, 0], P[:, 1], s=18, c="tab:blue", label=label, zorder=3)
        for (name, i), col in zip(marked.items(), colours, strict=False):
            ax.scatter(P[i, 0], P[i, 1], s=90, facecolors="none", edgecolors=col, lw=2,
                       label=name, zorder=4)
        ax.set_xlabel(f"{names[0]} ({result.senses[0]})")
        ax.set_ylabel(f"{names[1]} ({result.senses[1]})")
        ax.legend(fontsize=8)
        ax.set_title(title)
    else:
        ideal, nadir = result._norm()
        Pn = normalise(P, result.senses, ideal, nadir)
        if p == 3:
            fig = Figure(figsize=(11, 4.5))
            ax3 = fig.add_subplot(1, 2, 1, projection="3d")
            ax3.scatter(P[:, 0], P[:, 1], P[:, 2], s=10, c="tab:blue", label=label)
            for (name, i), col in zip(marked.items(), colours, strict=False):
                ax3.scatter(P[i, 0], P[i, 1], P[i, 2], s=80, c=col, label=name)
            ax3.set_xlabel(names[0])
            ax3.set_ylabel(names[1])
            ax3.set_zlabel(names[2])
            ax3.legend(fontsize=7)
            ax = fig.add_subplot(1, 2, 2)
        else:
            fig = Figure(figsize=(7, 4.5))
            ax = fig.subplots()
        xs = np.arange(p)
        for row in Pn:
            ax.plot(xs, row, c="tab:blue", alpha=0.15, lw=0.7)
        for (name, i), col in zip(marked.items(), colours, strict=False):
            ax.plot(xs, Pn[i], c=col, lw=2, label=name)
        ax.set_xticks(xs, [f"{n}\n({s})" for n, s in zip(names, result.senses, strict=False)])
        ax.set_ylabel("normalised (0 = ideal, 1 = nadir)")
        ax.legend(fontsize=8)
        fig.suptitle(title)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=130)
    return fig
