"""The interactive chart of a Pareto front (plotly, with plotly.js inlined).

One scatter trace holds every point of ``front.csv`` -- so the chart has exactly as many points as
the front -- with the first objective across and the second up (a third, if any, is the colour).
Hovering a point shows its objective values, its decision in the family's own words (the
``decision`` column) and whether it is the knee or TOPSIS's best, which are also drawn as a
star and a diamond. plotly.js is written into the page (``include_plotlyjs=True``, about
4.6 MB), so the chart works offline.
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Sequence

import numpy as np
import pandas as pd


def _wrap(text: str, width: int = 70) -> str:
    """Escaped and wrapped for a hover label (plotly reads ``<br>`` as a line break)."""
    return "<br>".join(html.escape(line) for line in textwrap.wrap(str(text), width)) or "-"


def front_chart(front: pd.DataFrame, objectives: Sequence[tuple[str, str]]) -> str:
    """``<div>`` + scripts of the chart; ``objectives`` are (name, sense) in the front's order."""
    import plotly.graph_objects as go

    names = [name for name, _ in objectives]
    x, y = front[names[0]].to_numpy(float), front[names[1]].to_numpy(float)
    n = len(front)
    knee = front["knee"].astype(bool).to_numpy() if "knee" in front.columns else np.zeros(n, bool)
    rank = (pd.to_numeric(front["topsis_rank"], errors="coerce").to_numpy() if "topsis_rank" in front.columns
            else np.full(n, np.nan))
    best = rank == 1
    decision = front["decision"].fillna("").astype(str) if "decision" in front.columns else pd.Series([""] * n)
    marks = np.where(knee & best, "knee point, TOPSIS best", np.where(knee, "knee point",
                     np.where(best, "TOPSIS best", "")))
    custom = np.column_stack([[_wrap(d) for d in decision], marks, np.arange(n)])
    marker: dict = {
        "size": np.where(knee | best, 15, 9).tolist(),
        "symbol": np.where(knee, "star", np.where(best, "diamond", "circle")).tolist(),
        "line": {"width": 1, "color": "#1f2328"},
    }
    template = (f"{html.escape(names[0])}: %{{x:.6g}}<br>{html.escape(names[1])}: %{{y:.6g}}<br>")
    if len(names) > 2:
        marker.update(color=front[names[2]].astype(float).tolist(), colorscale="Viridis", showscale=True,
                      colorbar={"title": {"text": names[2]}})
        template += f"{html.escape(names[2])}: %{{marker.color:.6g}}<br>"
    else:
        marker["color"] = "#0969da"
    template += "decision: %{customdata[0]}<br>%{customdata[1]}<extra>point %{customdata[2]}</extra>"
    # plain lists: plotly >= 6 would write numpy arrays as base64 typed arrays, which only
    # newer plotly.js reads; a front has at most thousands of points
    figure = go.Figure(go.Scatter(x=x.tolist(), y=y.tolist(), mode="markers", marker=marker,
                                  customdata=custom.tolist(),
                                  hovertemplate=template, name="front"))
    figure.update_layout(
        xaxis_title=f"{names[0]} ({objectives[0][1]})", yaxis_title=f"{names[1]} ({objectives[1][1]})",
        margin={"l": 60, "r": 20, "t": 30, "b": 50}, height=480, template="plotly_white",
        hoverlabel={"align": "left"},
    )
    return figure.to_html(include_plotlyjs=True, full_html=False, div_id="front-chart",
                          config={"displaylogo": False, "responsive": True})
