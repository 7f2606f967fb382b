"""The page: one HTML document with its style and its few lines of script inline.

Plain HTML tables (readable with scripts off, printable, copyable into a spreadsheet) made
sortable by a dozen lines of inline JavaScript: a click on a column heading sorts the rows,
numerically when the column is numeric (the exact value rides along in ``data-v``, so a shown
``1.5e+06`` sorts as the number), again to reverse. Plots are the folder's PNG files as data
URIs. Nothing is fetched from anywhere: the page is one file that opens offline.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Iterable, Mapping
from html.parser import HTMLParser
from typing import Any

import numpy as np
import pandas as pd

#: Rows of one table put on the page; a longer table shows its first rows and says so (the CSV
#: beside the report has them all). 2,000 rows of ten columns is about 0.4 MB of HTML.
MAX_TABLE_ROWS = 2000

STYLE = """
:root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --head: #f6f8fa; --accent: #0969da; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
       margin: 0 auto; max-width: 1200px; padding: 1.2rem 1.5rem 3rem; }
h1 { font-size: 1.5rem; margin: 0 0 .2rem; }
h2 { font-size: 1.15rem; margin: 2rem 0 .6rem; padding-bottom: .25rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1rem; margin: 1.2rem 0 .4rem; }
.sub, .note, footer { color: var(--muted); }
.note { font-size: .9rem; margin: .3rem 0 .6rem; }
.verdict { display: inline-block; padding: .1rem .6rem; border-radius: 1rem; font-weight: 600;
           color: #fff; background: #cf222e; }
.verdict.optimal { background: #1a7f37; } .verdict.feasible { background: #9a6700; }
table { border-collapse: collapse; font-size: .88rem; }
th, td { border: 1px solid var(--line); padding: .2rem .5rem; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
thead th { background: var(--head); position: sticky; top: 0; }
table.sortable thead th { cursor: pointer; user-select: none; }
table.sortable thead th[aria-sort="ascending"]::after { content: " \\25B2"; }
table.sortable thead th[aria-sort="descending"]::after { content: " \\25BC"; }
table.kv th { background: var(--head); font-weight: 500; white-space: nowrap; }
.scroll { max-height: 28rem; overflow: auto; border: 1px solid var(--line); display: inline-block; max-width: 100%; }
.scroll table { border: 0; }
figure { margin: .8rem 0; } figure img { max-width: 100%; border: 1px solid var(--line); }
figcaption { color: var(--muted); font-size: .85rem; }
iframe.map { width: 100%; height: 36rem; border: 1px solid var(--line); }
.legend { display: flex; flex-wrap: wrap; gap: .4rem 1.2rem; font-size: .88rem; margin: .4rem 0; }
.legend span.sw { display: inline-block; width: .9rem; height: .9rem; border-radius: 50%;
                  vertical-align: -.12rem; margin-right: .3rem; border: 2px solid transparent; }
.ramp { display: inline-block; width: 10rem; height: .8rem; vertical-align: -.1rem; margin: 0 .3rem; }
ul.notes { margin: .3rem 0; padding-left: 1.2rem; }
"""

# Sorting: rows of the clicked column's table, by data-v (numbers) or by text; blanks last.
SORT_SCRIPT = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  var heads = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(heads, function (th, col) {
    th.addEventListener("click", function () {
      var up = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", up ? "ascending" : "descending");
      var numeric = th.hasAttribute("data-num"), body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      function key(row) {
        var cell = row.cells[col];
        return numeric ? cell.getAttribute("data-v") : cell.textContent;
      }
      rows.sort(function (a, b) {
        var x = key(a), y = key(b);
        if (x === "" || x === null) return (y === "" || y === null) ? 0 : 1;
        if (y === "" || y === null) return -1;
        var c = numeric ? Number(x) - Number(y) : x.localeCompare(y, undefined, {numeric: true});
        return up ? c : -c;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});
"""


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def fmt(value: Any) -> str:
    """A cell as a person reads it: six significant digits, blanks for missing values."""
    if value is None:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return ""
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        if float(value).is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{float(value):.6g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(fmt(v) for v in value)
    return str(value)


def flatten(mapping: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mappings as ``a.b`` keys (metrics such as ``gini_by_year.2026``)."""
    out: dict[str, Any] = {}
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, f"{name}."))
        else:
            out[name] = value
    return out


def key_values(mapping: Mapping[str, Any], *, css: str = "kv") -> str:
    """A two-column table of names and values (nested mappings flattened)."""
    rows = "".join(
        f"<tr><th>{esc(k)}</th><td>{esc(fmt(v))}</td></tr>" for k, v in flatten(mapping).items()
    )
    return f'<table class="{css}"><tbody>{rows}</tbody></table>' if rows else ""


def notes(lines: Iterable[str]) -> str:
    items = "".join(f"<li>{esc(line)}</li>" for line in lines)
    return f'<ul class="notes">{items}</ul>' if items else ""


def table(frame: pd.DataFrame, name: str, *, max_rows: int = MAX_TABLE_ROWS) -> str:
    """``frame`` as a sortable HTML table (its first ``max_rows`` rows, said so when cut)."""
    total = len(frame)
    shown = frame.iloc[:max_rows]
    numeric = [pd.api.types.is_numeric_dtype(shown[c]) and not pd.api.types.is_bool_dtype(shown[c])
               for c in shown.columns]
    head = "".join(
        f"<th{' data-num' if num else ''}>{esc(c)}</th>" for c, num in zip(shown.columns, numeric, strict=True)
    )
    columns = [shown[c].to_numpy() for c in shown.columns]
    body = []
    for i in range(len(shown)):
        cells = []
        for values, num in zip(columns, numeric, strict=True):
            v = values[i]
            if num:
                exact = "" if v is None or (isinstance(v, float) and math.isnan(v)) else repr(float(v))
                cells.append(f'<td class="num" data-v="{exact}">{esc(fmt(v))}</td>')
            else:
                cells.append(f"<td>{esc(fmt(v))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    note = ""
    if total > max_rows:
        note = (f'<p class="note">The first {max_rows:,} of {total:,} rows (sorting orders these); '
                f"{esc(name)}.csv beside this report has them all.</p>")
    return (f'{note}<div class="scroll"><table class="sortable" data-name="{esc(name)}">'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>")


def figures(images: Mapping[str, bytes]) -> str:
    """The PNG plots, embedded as data URIs."""
    out = []
    for name, data in images.items():
        uri = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
        out.append(f'<figure><img src="{uri}" alt="{esc(name)}"><figcaption>{esc(name)}</figcaption></figure>')
    return "".join(out)


def section(anchor: str, heading: str, content: str) -> str:
    return f'<section id="{esc(anchor)}"><h2>{esc(heading)}</h2>{content}</section>'


def document(title: str, subtitle: str, sections: Iterable[str], footer: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{STYLE}</style></head>"
        f'<body><header><h1>{esc(title)}</h1><p class="sub">{subtitle}</p></header>'
        + "".join(sections)
        + f"<footer><p>{footer}</p></footer>"
        + f"<script>{SORT_SCRIPT}</script></body></html>\n"
    )


class _Loads(HTMLParser):
    """Collects every URL a tag would load (script/stylesheet/image/frame/media sources)."""

    TAGS = {"script", "link", "img", "iframe", "frame", "embed", "object", "source", "audio", "video",
            "track", "input"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.TAGS:
            return
        for name, value in attrs:
            if name in ("src", "href", "data", "poster") and value and not value.startswith(("data:", "#")):
                self.urls.append(value)


def check_offline(text: str) -> None:
    """Raise if a tag of ``text`` loads a script, stylesheet, image, frame or media by URL (data
    URIs are inline; script bodies are not parsed as tags, as a browser does not)."""
    parser = _Loads()
    parser.feed(text)
    parser.close()
    if parser.urls:
        raise RuntimeError(f"the report would load {parser.urls[0]} from outside the page; a library "
                           "added a resource optmodels does not inline")
