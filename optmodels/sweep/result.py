"""What ``optmodels.sweep(...)`` returns: the sweep's table with a notebook display and plots.

Design choice: a small wrapper, not a DataFrame subclass. :func:`optmodels.sweep.run.sweep`
keeps returning the plain ``pandas.DataFrame`` (with its ``attrs``) that the command line, the
tests and existing scripts use; the one-liner ``optmodels.sweep(path, vary=...)`` returns a
:class:`SweepResult`, which holds that table as :attr:`frame` and forwards everything else to
it -- ``result["status"]``, ``result.loc[...]``, ``result.attrs``, ``len(result)``,
``result.to_csv(...)`` behave as on the DataFrame. A subclass would have had to replace
``DataFrame.plot`` (pandas' plotting accessor, ``frame.plot(x=..., y=...)``) to give
``plot()`` the sweep's own figures, and would have carried that change into every frame derived
from it; the wrapper changes nothing for code that holds the DataFrame. Where a real DataFrame is
needed (``pd.concat``, ``pd.testing``), use :attr:`frame`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


class SweepResult:
    """A sweep's table (:attr:`frame`, one row per scenario) with ``_repr_html_`` and ``plot()``.

    ``spec`` is what was swept (family, mode, the varied paths and their columns), as
    ``sweep.json`` holds it without the per-scenario list.
    """

    def __init__(self, frame: Any, spec: dict[str, Any]) -> None:
        self.frame = frame
        self.spec = spec

    # -- the DataFrame, forwarded ------------------------------------------------------------

    def __getattr__(self, name: str) -> Any:
        if name in ("frame", "spec"):  # not set yet (unpickling): never forward these
            raise AttributeError(name)
        return getattr(self.frame, name)

    def __getitem__(self, key: Any) -> Any:
        return self.frame[key]

    def __len__(self) -> int:
        return len(self.frame)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.frame)

    def __contains__(self, key: Any) -> bool:
        return key in self.frame

    def __repr__(self) -> str:
        return f"SweepResult({self._headline()})\n{self.frame!r}"

    # -- display -----------------------------------------------------------------------------

    def _headline(self) -> str:
        frame = self.frame
        counts = frame["status"].value_counts().to_dict() if not frame.empty else {}
        varied = ", ".join(v["path"] for v in self.spec.get("vary", []))
        mode = "one at a time" if self.spec.get("mode") == "oat" else self.spec.get("mode", "grid")
        return (f"{self.spec.get('family', '?')}: {len(frame)} scenarios ({mode}) over {varied or '-'}; "
                + ", ".join(f"{k} {v}" for k, v in counts.items()))

    def preview(self) -> Any:
        """The columns that matter: scenario, varied values, status, objective, gap."""
        frame = self.frame
        varied = [v["column"] for v in self.spec.get("vary", []) if v["column"] in frame.columns]
        keep = [c for c in ("scenario", "parameter", *varied, "status", "objective", "gap", "message")
                if c in frame.columns]
        return frame[list(dict.fromkeys(keep))]

    def _repr_html_(self, rows: int = 12) -> str:
        from html import escape

        frame = self.frame
        attrs = frame.attrs
        name = frame["objective_name"].dropna().iloc[0] if "objective_name" in frame and frame["objective_name"].notna().any() else "objective"
        lines = [f"<b>Sweep</b> {escape(self._headline())}"]
        if "solved" in attrs:
            lines.append(f"solved now {attrs['solved']}, found finished {attrs.get('skipped', 0)}"
                         + (", <b style='color:#cf222e'>interrupted</b>" if attrs.get("interrupted") else "")
                         + (f", {attrs['errors']} raised" if attrs.get("errors") else ""))
        solved = frame[frame["status"].isin(("optimal", "feasible"))] if not frame.empty else frame
        if len(solved):
            values = solved["objective"].astype(float)
            lines.append(f"{escape(str(name))}: from {values.min():.6g} to {values.max():.6g}")
        shown = self.preview()
        head = f"first {rows} of {len(shown)}" if len(shown) > rows else f"{len(shown)}"
        parts = ["<div class='optmodels-sweep'>", "<p>" + "<br>".join(lines) + "</p>",
                 f"<p>rows ({head}; the whole table: <code>.frame</code>)</p>",
                 shown.head(rows).to_html(index=False, float_format=lambda v: f"{v:.6g}", border=0, na_rep=""),
                 "</div>"]
        return "\n".join(parts)

    # -- plots -------------------------------------------------------------------------------

    def figures(self, metric: str | None = None) -> dict[str, Any]:
        """Every figure of the sweep by the file name ``--out`` gives it (Figures; nothing written)."""
        from optmodels.sweep.plots import figures

        return figures(self.frame, spec=self.spec, metric=metric)

    def plot(self, parameter: str | None = None, *, metric: str | None = None) -> Any:
        """The sweep's figure: the tornado chart of a one-at-a-time study, else the objective
        (and ``metric``) against ``parameter`` (default: the first varied one), one line per
        value of the next varied parameter. A matplotlib Figure; nothing is written."""
        drawn = self.figures(metric)
        if not drawn:
            raise ValueError("nothing to plot: no parameter takes two or more values")
        if parameter is None:
            return next(iter(drawn.values()))
        from optmodels.sweep.plots import _slug

        column = next((v["column"] for v in self.spec.get("vary", []) if parameter in (v["path"], v["column"])),
                      parameter)
        key = f"sweep_{_slug(column)}.png"
        if key not in drawn:
            from optmodels.errors import UsageError

            raise UsageError(f"plot: {parameter!r} is not a varied parameter with several values; "
                             f"expected one of {', '.join(v['path'] for v in self.spec.get('vary', []))}")
        return drawn[key]
