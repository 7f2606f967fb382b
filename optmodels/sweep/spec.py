"""What a sweep varies: paths into an instance document, their values, and the scenarios.

A scenario is the base instance *document* (the parsed JSON/YAML/TOML file, before validation)
with some fields changed; the family validates each changed document again, so a sweep never
reaches into a family's internals and any field a file can hold can be swept.

Paths
-----
``PATH`` is dotted, read left to right from the top of the document:

==================================  ==============================================================
``budget``                          a top-level field
``gini.hi`` / ``parameters.p``      a field of a nested mapping
``regions[North].population``       the item of a list of records whose ``id`` (else ``name``) is
                                    ``North``; an integer ``[2]`` that matches no id is a position
``hospitals[*].capacity``           that field of every item of the list
``hospitals[*].arrival_rate*``      the last part may be a glob: every matching field (or column)
``demand[*].population``            the same through a *table file* the document references
                                    (``demand = "demand.csv"`` or ``{table = "demand.csv"}``):
                                    the column of every row; ``demand[C07].population`` one row
                                    (matched on an ``id`` / ``name`` column)
==================================  ==============================================================

A table column is changed by writing a changed copy of the table to a scratch folder and pointing
the scenario's document at it (absolute path); the base file's other relative references still
resolve beside the base file. ``TABLE.column`` is accepted for ``TABLE[*].column``.

Values
------
``a,b,c``
    a list; each item is read as an integer, a number, ``true``/``false``/``null`` or text.
``start:stop:step``
    a range **including** ``stop`` (``200:260:20`` is 200, 220, 240, 260).
``x0.8:1.2:0.1`` / ``×0.8,1,1.2``
    factors applied to the file's value: every number at the path is multiplied (a list of yearly
    values is scaled as a whole, a table column in every selected row). When the path is one
    number, the table records the resulting value; otherwise its column holds the factor and is
    named ``PATH (factor)``.

Modes
-----
``grid`` (every combination, the first ``--vary`` varying slowest), ``zip`` (the i-th values
together; the lists must have equal length) and ``oat`` (one at a time: the base scenario, then
each path alone at each of its values, the others at the file's values -- a tornado study;
``--one-at-a-time 10%`` gives each path the factors 0.9 and 1.1).
"""

from __future__ import annotations

import copy
import dataclasses
import fnmatch
import itertools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optmodels.errors import UsageError

_SEGMENT = re.compile(r"^(?P<key>[^\[\]]+)?(?:\[(?P<sel>[^\[\]]+)\])?$")
TABLE_SUFFIXES = (".csv", ".parquet", ".pq")


# --------------------------------------------------------------------------------------------
# Paths
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One part of a path: a key (maybe a glob) and an optional item selector."""

    key: str | None
    select: str | None = None  # "*" or an id / position


def parse_path(text: str) -> tuple[Step, ...]:
    """``regions[North].population`` -> (Step('regions', 'North'), Step('population'))."""
    text = text.strip()
    if not text:
        raise UsageError("--vary: expected PATH=VALUES, found an empty path")
    steps = []
    for part in _split_dots(text):
        match = _SEGMENT.match(part)
        if match is None or (match["key"] is None and match["sel"] is None):
            raise UsageError(
                f"--vary {text}: expected a dotted path like budget, gini.hi or "
                f"regions[North].population, found the part {part!r}"
            )
        steps.append(Step(match["key"], match["sel"]))
    return tuple(steps)


def _split_dots(text: str) -> list[str]:
    """Split on dots outside brackets (ids such as ``[St. Mary]`` may hold dots)."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        if ch == "." and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return parts


def _is_table_ref(value: Any) -> bool:
    """A table file: ``"x.csv"`` or ``{"table": "x.csv", ...}`` (families may add keys, such as a
    column mapping, beside ``table``)."""
    if isinstance(value, Mapping):
        value = value.get("table")
    return isinstance(value, str) and value.lower().endswith(TABLE_SUFFIXES)


def _pick_items(items: list[Any], select: str, where: str) -> list[int]:
    """Positions of the list items a selector names."""
    if select == "*":
        return list(range(len(items)))
    for key in ("id", "name"):
        hits = [i for i, it in enumerate(items) if isinstance(it, Mapping) and str(it.get(key)) == select]
        if hits:
            return hits
    if re.fullmatch(r"-?\d+", select):
        pos = int(select)
        if -len(items) <= pos < len(items):
            return [pos % len(items)]
    ids = [str(it.get("id", it.get("name"))) for it in items if isinstance(it, Mapping)][:8]
    raise UsageError(f"--vary {where}: no item [{select}] (known ids: {', '.join(ids) or 'none'})")


class Target:
    """The places a path names in one document: ``(container, key)`` pairs, and table edits.

    Tables referenced by file are loaded once per document and written back by :meth:`commit`.
    """

    def __init__(self, doc: dict[str, Any], path: str, *, base: Path | None, create: bool) -> None:
        self.doc, self.path, self.base = doc, path, base
        self.cells: list[tuple[Any, Any]] = []  # (dict or list, key or index)
        self.table_edits: list[tuple[Any, Any, Any, list[int], list[str]]] = []
        self._resolve(parse_path(path), create)

    def _resolve(self, steps: Sequence[Step], create: bool) -> None:
        nodes: list[Any] = [self.doc]
        last = len(steps) - 1
        for n, step in enumerate(steps):
            nxt: list[Any] = []
            for node in nodes:
                if step.key is not None:
                    if not isinstance(node, Mapping):
                        raise UsageError(f"--vary {self.path}: {step.key!r} is inside a {type(node).__name__}, "
                                         "not a mapping")
                    if n < last and _is_table_ref(node.get(step.key)):
                        # The rest of the path names rows/columns of a referenced table.
                        self._table(node, step, steps[n + 1:])
                        continue
                    keys = self._keys(node, step.key, create=create and n == last and step.select is None)
                    if n == last and step.select is None:
                        self.cells += [(node, k) for k in keys]
                        continue
                    values = [node[k] for k in keys]
                else:
                    values = [node]
                for value in values:
                    if step.select is None:
                        nxt.append(value)
                        continue
                    if not isinstance(value, list):
                        raise UsageError(f"--vary {self.path}: [{step.select}] needs a list, found "
                                         f"{type(value).__name__}")
                    picks = _pick_items(value, step.select, self.path)
                    if n == last:
                        self.cells += [(value, i) for i in picks]
                    else:
                        nxt += [value[i] for i in picks]
            nodes = nxt
            if n == last:
                break
        if not self.cells and not self.table_edits:
            raise UsageError(f"--vary {self.path}: the path names nothing in the document")

    def _keys(self, node: Mapping[str, Any], key: str, *, create: bool) -> list[str]:
        if any(ch in key for ch in "*?"):
            keys = [k for k in node if fnmatch.fnmatchcase(str(k), key)]
            if not keys:
                raise UsageError(f"--vary {self.path}: no field matches {key!r} (found {', '.join(map(str, node))})")
            return keys
        if key not in node and not create:
            raise UsageError(
                f"--vary {self.path}: no field {key!r} here (found {', '.join(map(str, node)) or 'nothing'})"
            )
        return [key]

    def _table(self, holder: Any, step: Step, rest: Sequence[Step]) -> None:
        """A table file: the selector picks rows, the single remaining step the columns."""
        from optmodels import io

        if len(rest) != 1 or rest[0].select is not None or rest[0].key is None:
            raise UsageError(
                f"--vary {self.path}: a table is addressed as TABLE[ROW].COLUMN or TABLE[*].COLUMN"
            )
        ref = holder[step.key]
        name = ref["table"] if isinstance(ref, Mapping) else ref
        frame = _read_table_text(name, self.base, self.path)
        if step.select in (None, "*"):
            rows = list(range(len(frame)))
        else:
            rows = _pick_items(io.records(frame), step.select, self.path)
        cols = [c for c in frame.columns if fnmatch.fnmatchcase(str(c), rest[0].key)]
        if not cols:
            raise UsageError(
                f"--vary {self.path}: no column matches {rest[0].key!r} (columns: {', '.join(map(str, frame.columns))})"
            )
        self.table_edits.append((holder, step.key, frame, rows, cols))

    # -- reading and writing ------------------------------------------------------------------
    def base_values(self) -> list[Any]:
        values = [c[k] if _has(c, k) else None for c, k in self.cells]
        for _, _, frame, rows, cols in self.table_edits:
            for col in cols:
                values += _numeric(frame[col], self.path, col).iloc[rows].tolist()
        return values

    def apply(self, op: str, value: Any) -> None:
        """``op`` is ``set`` (the value) or ``scale`` (multiply every number by the value)."""
        for container, key in self.cells:
            if op == "set":
                container[key] = copy.deepcopy(value)
            else:
                container[key] = _scale(container[key] if _has(container, key) else None, value, self.path)
        for _, _, frame, rows, cols in self.table_edits:
            for col in cols:
                idx = frame.index[rows]
                if op == "set":
                    frame[col] = frame[col].astype(object)
                    frame.loc[idx, col] = value
                else:
                    frame[col] = _numeric(frame[col], self.path, col).astype(float)
                    frame.loc[idx, col] = frame.loc[idx, col] * float(value)

    def commit(self, scratch: Path) -> None:
        """Write changed tables into ``scratch`` and point the document at them."""
        import os
        import tempfile

        for holder, key, frame, _, _ in self.table_edits:
            ref = holder[key]
            name = ref["table"] if isinstance(ref, Mapping) else ref
            suffix = Path(name).suffix.lower()
            fd, tmp = tempfile.mkstemp(prefix=f"{Path(name).stem}-", suffix=suffix, dir=scratch)
            os.close(fd)
            target = Path(tmp)
            if suffix == ".csv":
                frame.to_csv(target, index=False)
            else:
                frame.to_parquet(target, index=False)
            where = str(target.resolve())
            holder[key] = {**ref, "table": where} if isinstance(ref, Mapping) else where


def _read_table_text(name: str, base: Path | None, path: str) -> Any:
    """A referenced table with CSV cells kept as text: columns the sweep does not change are
    written back exactly as read (ids such as ``060816029.00`` would otherwise come back as
    ``60816029.0`` and stop matching the other tables that name them)."""
    import pandas as pd

    file = (base / name) if base is not None else Path(name)
    if not file.is_file():
        raise UsageError(f"--vary {path}: the referenced table {name} was not found (looked in {file})")
    if file.suffix.lower() == ".csv":
        return pd.read_csv(file, dtype=str, keep_default_na=False)
    return pd.read_parquet(file)


def _numeric(column: Any, path: str, name: str) -> Any:
    import pandas as pd

    try:
        return pd.to_numeric(column)
    except (ValueError, TypeError):
        raise UsageError(f"--vary {path}: column {name!r} is not numeric, a factor cannot scale it") from None


def _has(container: Any, key: Any) -> bool:
    return key in container if isinstance(container, Mapping) else -len(container) <= key < len(container)


def _scale(value: Any, factor: float, path: str) -> Any:
    if isinstance(value, bool) or value is None:
        raise UsageError(f"--vary {path}: a factor needs numbers at the path, found {value!r}")
    if isinstance(value, (int, float)):
        return _tidy(value * factor)
    if isinstance(value, list):
        return [_scale(v, factor, path) for v in value]
    if isinstance(value, Mapping):
        return {k: _scale(v, factor, path) for k, v in value.items()}
    raise UsageError(f"--vary {path}: a factor needs numbers at the path, found {value!r}")


def _tidy(x: float) -> float:
    """Round away binary noise (0.1 * 3 -> 0.3) so values, hashes and file names stay readable."""
    return float(f"{x:.12g}") if math.isfinite(x) else x


# --------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------


def _scalar(text: str) -> Any:
    t = text.strip()
    low = t.lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("null", "none"):
        return None
    try:
        return int(t)
    except ValueError:
        pass
    try:
        value = float(t)
    except ValueError:
        return t
    if not math.isfinite(value):
        raise UsageError(f"--vary: expected finite numbers, found {text!r}")
    return value


def _range(text: str, where: str) -> list[float]:
    parts = text.split(":")
    if len(parts) != 3:
        raise UsageError(f"--vary {where}: a range is start:stop:step, found {text!r}")
    try:
        start, stop, step = (float(p) for p in parts)
    except ValueError:
        raise UsageError(f"--vary {where}: a range needs three numbers start:stop:step, found {text!r}") from None
    if not all(math.isfinite(v) for v in (start, stop, step)) or step == 0 or (stop - start) * step < 0:
        raise UsageError(
            f"--vary {where}: expected a finite range whose step goes from start towards stop, found {text!r}"
        )
    count = int(math.floor((stop - start) / step + 1e-9)) + 1
    if count > 100_000:
        raise UsageError(f"--vary {where}: {count} values is more than a sweep should hold")
    values = [_tidy(start + k * step) for k in range(count)]
    if all(float(v).is_integer() for v in (start, stop, step)):
        return [int(v) for v in values]
    return values


@dataclass(frozen=True)
class Vary:
    """One varied path: its values, absolute (``set``) or factors on the file's value (``scale``)."""

    path: str
    values: tuple[Any, ...]
    op: str = "set"  # or "scale"
    base: float | None = None  # the file's value when the path is one number (set by check_paths)

    @property
    def column(self) -> str:
        return self.path if self.op == "set" or self.base is not None else f"{self.path} (factor)"

    def label(self, value: Any) -> Any:
        """What the table records: the value set, the number a factor gives, or the factor."""
        if self.op == "scale" and self.base is not None:
            return _tidy(self.base * value)
        return value


def parse_values(path: str, text: str) -> Vary:
    """``a,b,c`` | ``start:stop:step`` | ``x0.8:1.2:0.1`` / ``×0.8,1.2`` (factors)."""
    text = text.strip()
    if not text:
        raise UsageError(f"--vary {path}: expected values after '=', found nothing")
    op = "set"
    if text[0] in "x×":
        op, text = "scale", text[1:].strip()
    if ":" in text and "," not in text:
        values: list[Any] = _range(text, path)
    else:
        values = [_scalar(t) for t in text.split(",") if t.strip() != ""]
    if not values:
        raise UsageError(f"--vary {path}: expected at least one value, found {text!r}")
    if op == "scale" and not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        raise UsageError(f"--vary {path}: factors must be numbers, found {values}")
    return Vary(path, tuple(values), op)


def parse_vary(text: str, *, values_optional: bool = False) -> Vary:
    """``PATH=VALUES`` (``PATH`` alone when ``values_optional``: one-at-a-time studies)."""
    path, sep, rest = text.partition("=")
    parse_path(path)
    if not sep:
        if values_optional:
            return Vary(path.strip(), (), "scale")
        raise UsageError(f"--vary: expected PATH=VALUES (e.g. budget=200:260:20), found {text!r}")
    return parse_values(path.strip(), rest)


def parse_percent(text: str) -> float:
    """``±10%``, ``+-10%``, ``10%`` or ``0.1`` -> 0.1."""
    t = text.strip().lstrip("±").removeprefix("+-").removeprefix("+/-").strip()
    pct = t.endswith("%")
    try:
        value = float(t.rstrip("%")) / (100 if pct else 1)
    except ValueError:
        raise UsageError(f"--one-at-a-time: expected a share like ±10% or 0.1, found {text!r}") from None
    if not 0 < value < 1:
        raise UsageError(f"--one-at-a-time: expected a share between 0% and 100%, found {text!r}")
    return value


def as_varies(vary: Mapping[str, Any] | Iterable[Vary] | None) -> list[Vary]:
    """The Python API's ``vary={path: values}``: values as text (CLI syntax) or a list; or a
    list of :class:`Vary` or of the command line's ``"PATH=VALUES"`` texts (``"PATH"`` alone for
    a one-at-a-time study)."""
    if vary is None:
        return []
    if isinstance(vary, str):
        vary = [vary]
    if not isinstance(vary, Mapping):
        return [parse_vary(v, values_optional=True) if isinstance(v, str) else v for v in vary]
    out = []
    for path, values in vary.items():
        if isinstance(values, Vary):
            out.append(values)
        elif isinstance(values, str):
            out.append(parse_values(path, values))
        elif values is None:
            out.append(Vary(path, (), "scale"))
        else:
            seq = list(values) if isinstance(values, (list, tuple, range)) else [values]
            parse_path(path)
            out.append(Vary(path, tuple(seq)))
    return out


# --------------------------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """One scenario: its position and the changes (path, op, value) applied to the base."""

    index: int
    changes: tuple[tuple[str, str, Any], ...]
    parameter: str | None = None  # the one varied path of a one-at-a-time scenario
    labels: dict[str, Any] = field(default_factory=dict, compare=False)


def count_scenarios(varies: Sequence[Vary], mode: str = "grid", *, oat: float | None = None) -> tuple[int, str]:
    """How many scenarios :func:`scenarios` would make, and the sweep's shape in words
    (``1000 x 1001 grid``), without making them: the product of the path lengths (grid), the
    common length (zip), or one base scenario plus each path's values (one at a time; two
    factors for a path given without values). Raises the same usage errors as
    :func:`scenarios`, so a sweep can be refused for its size before anything is built."""
    _check_varies(varies, mode, oat)
    lengths = [len(v.values) for v in varies]
    if oat is not None or mode == "oat":
        per = [n or 2 for n in lengths]
        return 1 + sum(per), "one at a time: 1 + " + " + ".join(map(str, per))
    if mode == "zip":
        return lengths[0], f"zip of {len(lengths)} paths x {lengths[0]} values"
    return math.prod(lengths), " x ".join(map(str, lengths)) + " grid"


def _check_varies(varies: Sequence[Vary], mode: str, oat: float | None) -> None:
    if not varies:
        raise UsageError("sweep: expected at least one --vary PATH=VALUES")
    paths = [v.path for v in varies]
    if len(set(paths)) != len(paths):
        raise UsageError(f"--vary: each path once, found {paths}")
    if oat is not None or mode == "oat":
        return
    empty = [v.path for v in varies if not v.values]
    if empty:
        raise UsageError(f"--vary {empty[0]}: values are needed outside a one-at-a-time study")
    if mode == "zip":
        lengths = {v.path: len(v.values) for v in varies}
        if len(set(lengths.values())) != 1:
            raise UsageError(f"--mode zip: every --vary needs the same number of values, found {lengths}")
    elif mode != "grid":
        raise UsageError(f"--mode: expected grid, zip or oat, found {mode!r}")


def scenarios(varies: Sequence[Vary], mode: str = "grid", *, oat: float | None = None) -> list[Scenario]:
    """The scenarios of a sweep, in a stable order (neighbours differ in the last path first)."""
    _check_varies(varies, mode, oat)
    if oat is not None or mode == "oat":
        share = oat if oat is not None else 0.1
        varies = [v if v.values else dataclasses.replace(v, values=(_tidy(1 - share), _tidy(1 + share)))
                  for v in varies]
        out = [Scenario(0, ())]
        for v in varies:
            for value in v.values:
                out.append(Scenario(len(out), ((v.path, v.op, value),), parameter=v.path,
                                    labels={v.column: v.label(value)}))
        return out
    if mode == "grid":
        combos = itertools.product(*[v.values for v in varies])
    else:  # zip (_check_varies refused anything else)
        combos = zip(*[v.values for v in varies], strict=True)
    out = []
    for n, combo in enumerate(combos):
        changes = tuple((v.path, v.op, value) for v, value in zip(varies, combo, strict=True))
        labels = {v.column: v.label(value) for v, value in zip(varies, combo, strict=True)}
        out.append(Scenario(n, changes, labels=labels))
    return out


def apply_changes(
    doc: Mapping[str, Any], changes: Sequence[tuple[str, str, Any]], *, base: Path | None, scratch: Path | None
) -> dict[str, Any]:
    """The base document with ``changes`` (path, ``set``/``scale``, value) applied, on a copy."""
    out = copy.deepcopy(dict(doc))
    for path, op, value in changes:
        target = Target(out, path, base=base, create=op == "set")
        target.apply(op, value)
        if target.table_edits:
            if scratch is None:
                raise UsageError(f"--vary {path}: changing a table needs a scratch folder")
            target.commit(scratch)
    return out


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _numbers_only(value: Any) -> bool:
    """A number, or a non-empty list of numbers (yearly values)."""
    if isinstance(value, list):
        return bool(value) and all(_numbers_only(v) for v in value)
    return _is_number(value)


def _check_kinds(target: Target, v: Vary) -> None:
    """Values set where the file holds numbers must be numbers (or ``null``).

    ``budget=abc`` would otherwise make a row the family marks ``invalid`` and a sweep that
    "succeeds": a value that is not a number where one is needed is the command's mistake, not
    a scenario's outcome. Judged by the file's own value at the path (a path the file leaves
    out is left to the family's validation); where the file holds text nothing is judged, as
    ids may look like numbers. ``true``/``false`` are not numbers (as in every table reader).
    """
    for container, key in target.cells:
        if not _has(container, key) or not _numbers_only(container[key]):
            continue
        bad = [x for x in v.values if x is not None and not _numbers_only(x)]
        if bad:
            raise UsageError(f"--vary {v.path}: expected numbers (the file holds "
                             f"{_short(container[key])}), found {bad[0]!r}")
    for _, _, frame, rows, cols in target.table_edits:
        for col in cols:
            try:
                held = _numeric(frame[col].iloc[rows], v.path, col)
            except UsageError:
                continue  # a text column
            bad = [x for x in v.values if x is not None and not _is_number(x)]
            if bad and held.notna().any():
                raise UsageError(f"--vary {v.path}: column {col!r} holds numbers, found {bad[0]!r}")


def _short(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_paths(doc: Mapping[str, Any], varies: Sequence[Vary], *, base: Path | None) -> list[Vary]:
    """Resolve every path on the base document now, so that a typo is one usage error rather
    than a table of invalid rows; values of the wrong kind for the file's value at the path are
    refused too (:func:`_check_kinds`). Returns the varies with the file's value of one-number
    paths (the table then records the numbers factors give)."""
    out = []
    for v in varies:
        target = Target(copy.deepcopy(dict(doc)), v.path, base=base, create=v.op == "set")
        if v.op == "set":
            _check_kinds(target, v)
        if v.op == "scale":
            values = target.base_values()
            for value in values:
                _scale(value, 1.0, v.path)
            one = len(values) == 1 and isinstance(values[0], (int, float)) and not isinstance(values[0], bool)
            v = Vary(v.path, v.values, v.op, float(values[0]) if one else None)
        out.append(v)
    return out
