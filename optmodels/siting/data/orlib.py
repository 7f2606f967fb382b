"""OR-Library uncapacitated p-median files (Beasley 1990, ``pmed1``-``pmed40``) -> siting instances.

File format: first line ``n_vertices n_edges p``, then one undirected edge per line ``i j cost``
(1-based vertices). Every vertex is a demand point of weight 1 and a candidate site; distances
are shortest paths over the graph, and an edge listed twice takes its **last** cost (that is how
the published optima were computed -- taking the minimum turns pmed1's 5819 into 5718).

The converted instance keeps the graph as an edge table beside the instance file (``distance:
{kind: network, edges: <name>_edges.csv}``), so the shortest paths are recomputed on load with
the same last-wins rule rather than stored as an n x n matrix (pmed40: 900 x 900).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from optmodels.errors import InstanceError
from optmodels.siting.data.instance import SitingInstance


def read_pmed(path: str | Path) -> tuple[int, int, pd.DataFrame]:
    """``(n_vertices, p, edges)`` with ``edges`` columns ``from, to, cost`` in file order."""
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise InstanceError("file not found", file=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InstanceError(f"cannot read file ({exc})", file=path) from None
    lines = [ln.split() for ln in text.splitlines() if ln.strip()]
    if not lines or len(lines[0]) != 3:
        raise InstanceError(file=path, field="line 1", expected="'n_vertices n_edges p'", found=" ".join(lines[0]) if lines else "empty file")
    try:
        n, n_edges, p = (int(v) for v in lines[0])
    except ValueError:
        raise InstanceError(file=path, field="line 1", expected="three integers", found=" ".join(lines[0])) from None
    body = lines[1:]
    if len(body) != n_edges:
        raise InstanceError(file=path, field="edges", expected=f"{n_edges} edge lines (from line 1)", found=len(body))
    rows = []
    for k, parts in enumerate(body, start=2):
        if len(parts) != 3:
            raise InstanceError(file=path, field=f"line {k}", expected="'i j cost'", found=" ".join(parts))
        try:
            i, j, c = int(parts[0]), int(parts[1]), float(parts[2])
        except ValueError:
            raise InstanceError(file=path, field=f"line {k}", expected="integers i j and a number cost", found=" ".join(parts)) from None
        if not (1 <= i <= n and 1 <= j <= n):
            raise InstanceError(file=path, field=f"line {k}", expected=f"vertices in 1..{n}", found=f"{i} {j}")
        if not c >= 0:
            raise InstanceError(file=path, field=f"line {k}", expected="a cost >= 0", found=c)
        rows.append((i, j, c))
    if not 1 <= p <= n:
        raise InstanceError(file=path, field="p", expected=f"1..{n}", found=p)
    edges = pd.DataFrame(rows, columns=["from", "to", "cost"])
    return n, p, edges


def instance_dict(path: str | Path, edges_ref: str) -> tuple[dict[str, Any], pd.DataFrame]:
    """The instance document of an OR-Library file (edges referenced as ``edges_ref``)."""
    path = Path(path)
    n, p, edges = read_pmed(path)
    vertices = [{"id": str(v)} for v in range(1, n + 1)]
    doc = {
        "family": "siting",
        "name": path.stem,
        "description": f"OR-Library p-median {path.stem}: {n} vertices, {len(edges)} edges, p={p}",
        "source": "Beasley (1990), OR-Library pmed; shortest paths, last duplicate edge wins",
        "model": "p_median",
        "parameters": {"p": p},
        "demand": vertices,
        "sites": vertices,
        "distance": {"kind": "network", "edges": edges_ref},
    }
    return doc, edges


def load_pmed(path: str | Path) -> SitingInstance:
    """An OR-Library file straight to an in-memory instance (no files written)."""
    from optmodels.siting.data import distances

    n, p, edges = read_pmed(path)
    ids = [str(v) for v in range(1, n + 1)]
    cost = distances.network(edges["from"], edges["to"], edges["cost"], ids, ids)
    return SitingInstance.from_arrays(
        cost, np.ones(n), demand_ids=ids, site_ids=ids, model="p_median", name=Path(path).stem, p=p
    )


def convert(path: str | Path, out: str | Path) -> Path:
    """Write the instance file ``out`` and its edge table ``<stem>_edges.csv`` beside it.

    Both are written to temporary files first and moved into place only when both succeeded.
    The written instance is loaded back (validated) before the move.
    """
    from optmodels.io import dump_instance
    from optmodels.siting.data.instance import load

    out = Path(out)
    edges_name = f"{out.stem}_edges.csv"
    doc, edges = instance_dict(path, edges_name)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmpdir = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        edges.to_csv(tmpdir / edges_name, index=False)
        dump_instance(doc, tmpdir / out.name)
        load(tmpdir / out.name)  # never hand out a file that does not load
        os.replace(tmpdir / edges_name, out.parent / edges_name)
        os.replace(tmpdir / out.name, out)
    finally:
        for item in tmpdir.glob("*"):
            with contextlib.suppress(OSError):
                item.unlink()
        with contextlib.suppress(OSError):
            tmpdir.rmdir()
    return out


def published_optima(path: str | Path) -> dict[str, float]:
    """``pmedopt.txt`` -> ``{"pmed1": 5819.0, ...}``."""
    out = {}
    for line in Path(path).read_text().splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].startswith("pmed"):
            out[parts[0]] = float(parts[1])
    return out
