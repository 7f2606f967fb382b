"""Demand points and candidate sites held as columns, validated a column at a time.

A province has 10^5-10^6 demand cells. As pydantic records they cost about 1 kB and a few
microseconds each to validate, and a table read row by row into dicts doubles that again; as
columns they cost their numbers. :class:`Records` is that columnar store: one read-only numpy
array per field of a record schema (:class:`~optmodels.siting.data.instance.DemandPoint` or
:class:`~optmodels.siting.data.instance.Site`), and still a sequence of records -- ``table[i]``
and iteration give the schema's model objects -- so code written against the records (reports,
brute force, small instances) reads it unchanged.

Two ways in, one set of rules:

- :meth:`Records.from_models` -- inline records in an instance file, already validated by
  pydantic one by one (their messages name ``demand[3].population``);
- :meth:`Records.from_frame` -- a table (CSV, Parquet, a DataFrame): every field's rules (type,
  bounds, finiteness, required ids) are read off the schema's pydantic fields and applied to the
  whole column at once. Messages have the same form as pydantic's (``field
  'demand[1].population': expected a number >= 0, found '-3'``), at most :data:`MAX_PROBLEMS` of
  them, then a count of the rest.

Design choice: the rules are *derived* from the pydantic schema (annotation, default, ``ge`` /
``gt`` / ``le`` / ``lt``, ``min_length``) rather than written a second time, so a bound added to
the schema holds for tables too. Cross-field rules of a schema (a closable site must exist) are
stated once more here in vector form (:data:`_ROW_RULES`), next to nothing else.
"""

from __future__ import annotations

import math
import types
import typing
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import annotated_types
import numpy as np
import pandas as pd
from pydantic import BaseModel

from optmodels.errors import InstanceError
from optmodels.io import SOLVER_INFINITY

#: problems listed before the rest are only counted
MAX_PROBLEMS = 20


@dataclass(frozen=True)
class _FieldRule:
    name: str
    kind: str  # "text" | "number" | "bool"
    optional: bool  # None is allowed (missing cell -> None / NaN)
    default: Any  # used when the column is absent; ... when the field is required
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None
    min_length: int | None = None


def _rules(schema: type[BaseModel]) -> dict[str, _FieldRule]:
    rules = {}
    for name, info in schema.model_fields.items():
        ann = info.annotation
        optional = False
        if typing.get_origin(ann) in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(ann) if a is not type(None)]
            optional = len(args) < len(typing.get_args(ann))
            ann = args[0]
        if typing.get_origin(ann) is typing.Annotated:  # io.Finite and friends
            ann = typing.get_args(ann)[0]
        kind = {str: "text", float: "number", int: "number", bool: "bool"}[ann]
        bounds: dict[str, Any] = {}
        for meta in info.metadata:
            for key, cls in (("ge", annotated_types.Ge), ("gt", annotated_types.Gt),
                             ("le", annotated_types.Le), ("lt", annotated_types.Lt),
                             ("min_length", annotated_types.MinLen)):
                if isinstance(meta, cls):
                    bounds[key] = getattr(meta, key)
        default = ... if info.is_required() else info.default
        rules[name] = _FieldRule(name, kind, optional or default is None, default, **bounds)
    return rules


class Records(Sequence):
    """Records of one schema as read-only columns (see the module docstring).

    ``columns[field]`` is a numpy array per schema field: ``float64`` for numbers (NaN where an
    optional number is absent), ``bool`` for flags, ``object`` (``str`` or ``None``) for text.
    """

    __slots__ = ("_columns", "_n", "schema")

    def __init__(self, schema: type[BaseModel], columns: Mapping[str, np.ndarray]) -> None:
        self.schema = schema
        cols = {}
        n = None
        for name in schema.model_fields:
            a = np.asarray(columns[name])
            a.setflags(write=False)
            cols[name] = a
            n = len(a) if n is None else n
            if len(a) != n:
                raise ValueError(f"column {name!r} has {len(a)} entries, expected {n}")
        self._columns = cols
        self._n = int(n or 0)

    # -- the sequence of records ----------------------------------------------------------------
    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(self._n))]
        i = range(self._n)[i]  # negative indices, IndexError
        values = {}
        for name, col in self._columns.items():
            v = col[i]
            if isinstance(v, np.floating):
                v = None if math.isnan(v) else float(v)
            elif isinstance(v, np.bool_):
                v = bool(v)
            values[name] = v
        return self.schema.model_construct(**values)

    def __iter__(self) -> Iterator[BaseModel]:
        for i in range(self._n):
            yield self[i]

    def __repr__(self) -> str:
        return f"Records({self.schema.__name__}, {self._n} rows)"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Records) or other.schema is not self.schema or len(other) != len(self):
            return NotImplemented if not isinstance(other, Records) else False
        for name, col in self._columns.items():
            o = other._columns[name]
            if col.dtype.kind == "f":
                if not np.array_equal(col, o, equal_nan=True):
                    return False
            elif not np.array_equal(col, o):
                return False
        return True

    __hash__ = None  # type: ignore[assignment]

    # -- columns ----------------------------------------------------------------------------------
    @property
    def columns(self) -> Mapping[str, np.ndarray]:
        return types.MappingProxyType(self._columns)

    def column(self, name: str) -> np.ndarray:
        return self._columns[name]

    def has(self, name: str) -> bool:
        """Every record gives ``name`` (no missing value)."""
        col = self._columns[name]
        if col.dtype.kind == "f":
            return bool(self._n) and not np.isnan(col).any()
        return bool(self._n) and not any(v is None for v in col)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({k: v for k, v in self._columns.items()})

    def to_records(self) -> list[dict[str, Any]]:
        """Plain dicts, one per record (``None`` where an optional field is absent)."""
        out = []
        names = list(self._columns)
        cols = [self._columns[k].tolist() for k in names]
        for values in zip(*cols, strict=True):
            out.append({k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in zip(names, values, strict=True)})
        return out

    # -- constructors -----------------------------------------------------------------------------
    @classmethod
    def from_models(cls, schema: type[BaseModel], models: Sequence[BaseModel]) -> Records:
        """Columns of already validated records."""
        rules = _rules(schema)
        cols: dict[str, np.ndarray] = {}
        for name, rule in rules.items():
            values = [getattr(m, name) for m in models]
            cols[name] = _column(rule, values)
        return cls(schema, cols)

    @classmethod
    def from_frame(
        cls,
        schema: type[BaseModel],
        frame: pd.DataFrame,
        *,
        field: str,
        file: str | Path | None = None,
    ) -> Records:
        """Validate a table column by column (extra columns are ignored).

        Raises an :class:`InstanceError` listing the problems (file, ``field[row].column``, what
        was expected, what was found), rows counted from 0 below the header as in
        ``demand[3]``.
        """
        rules = _rules(schema)
        found: list[tuple[int, int, str]] = []  # (row, field position, line): listed by row

        def problem(rows: np.ndarray, name: str, expected: str, shown: Sequence[Any]) -> None:
            position = list(rules).index(name)
            for k, row in enumerate(rows[: MAX_PROBLEMS + 1]):
                found.append((int(row), position, f"field '{field}[{int(row)}].{name}': expected {expected}, found {_short(shown[k])}"))
            if len(rows) > MAX_PROBLEMS + 1:
                found.append((int(rows[-1]) + 1, 0, ""))  # counted below, never shown
                extra_rows.append(len(rows) - MAX_PROBLEMS - 1)

        extra_rows: list[int] = []

        n = len(frame)
        if n == 0:
            raise InstanceError(file=file, field=field, expected="at least 1 item(s)", found="an empty table")
        cols: dict[str, np.ndarray] = {}
        for name, rule in rules.items():
            if name not in frame.columns:
                if rule.default is ...:
                    raise InstanceError(file=file, field=field, expected=f"a column {name!r}",
                                        found=f"columns {list(map(str, frame.columns))[:12]}")
                cols[name] = _constant(rule, n)
                continue
            raw = frame[name]
            missing = raw.isna().to_numpy()
            if rule.kind == "text":
                text = raw.astype(object).where(~missing, None)
                values = np.array([None if v is None else str(v).strip() for v in text], dtype=object)
                blank = missing | np.array([v == "" for v in values], dtype=bool)
                if not rule.optional and blank.any():
                    bad = np.flatnonzero(blank)
                    problem(bad, name, "text" if rule.min_length is None else "non-empty text",
                            [None if missing[r] else "" for r in bad])
                values[blank] = None
                cols[name] = values
            elif rule.kind == "bool":
                low = raw.astype(object).where(~missing, "").map(lambda v: str(v).strip().lower())
                true = low.isin(("true", "1", "yes", "1.0")).to_numpy()
                false = low.isin(("false", "0", "no", "", "0.0")).to_numpy()
                if (bad := np.flatnonzero(~(true | false))).size:
                    problem(bad, name, "true or false", raw.to_numpy()[bad])
                cols[name] = true
            else:
                numbers = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
                not_number = np.isnan(numbers) & ~missing
                if (bad := np.flatnonzero(not_number)).size:
                    problem(bad, name, "a number", raw.to_numpy()[bad])
                if not rule.optional and (bad := np.flatnonzero(missing)).size:
                    problem(bad, name, "a number", [None] * len(bad))
                if (bad := np.flatnonzero(np.isinf(numbers))).size:
                    problem(bad, name, "a finite number", raw.to_numpy()[bad])
                ok = np.isfinite(numbers)
                # every number of the suite's schemas is below what HiGHS reads as infinite
                if (bad := np.flatnonzero(ok & (np.abs(numbers) >= SOLVER_INFINITY))).size:
                    problem(bad, name, f"a number of magnitude below {SOLVER_INFINITY:g} (HiGHS reads "
                            f"{SOLVER_INFINITY:g} and beyond as infinite)", raw.to_numpy()[bad])
                    ok[bad] = False
                for key, test in (("ge", np.greater_equal), ("gt", np.greater),
                                  ("le", np.less_equal), ("lt", np.less)):
                    limit = getattr(rule, key)
                    if limit is not None:
                        sign = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}[key]
                        if (bad := np.flatnonzero(ok & ~test(numbers, limit))).size:
                            problem(bad, name, f"a number {sign} {limit:g}", raw.to_numpy()[bad])
                            ok[bad] = False
                if rule.default is not None and rule.default is not ...:
                    numbers = np.where(missing, float(rule.default), numbers)
                cols[name] = numbers
        if not found:
            for check in _ROW_RULES.get(schema.__name__, ()):
                for rows, message in check(cols):
                    for row in rows[: MAX_PROBLEMS + 1]:
                        found.append((int(row), 0, f"field '{field}[{int(row)}]': {message(int(row))}"))
                    extra_rows.append(max(0, len(rows) - MAX_PROBLEMS - 1))
        if found:
            found.sort()
            lines = [text for _, _, text in found if text]
            extra = sum(extra_rows) + max(0, len(lines) - MAX_PROBLEMS)
            lines = lines[:MAX_PROBLEMS]
            if extra:
                lines.append(f"... and {extra} more problem(s) in {field}")
            raise InstanceError(file=file, problems=lines)
        return cls(schema, cols)


def _column(rule: _FieldRule, values: Sequence[Any]) -> np.ndarray:
    if rule.kind == "number":
        return np.array([np.nan if v is None else v for v in values], dtype=float)
    if rule.kind == "bool":
        return np.array(values, dtype=bool)
    return np.array(list(values), dtype=object)


def _constant(rule: _FieldRule, n: int) -> np.ndarray:
    """The default of an absent column, ``n`` times."""
    if rule.kind == "number":
        return np.full(n, np.nan if rule.default is None else float(rule.default))
    if rule.kind == "bool":
        return np.full(n, bool(rule.default))
    return np.full(n, rule.default, dtype=object)


def _short(value: Any, limit: int = 60) -> str:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        value = None
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _site_rules(cols: Mapping[str, np.ndarray]):
    ids = cols["id"]
    bad = np.flatnonzero(cols["closable"] & ~cols["existing"])
    yield bad, lambda r: f"site {ids[r]}: closable=true needs existing=true"
    bad = np.flatnonzero((cols["closing_saving"] != 0) & ~cols["closable"])
    yield bad, lambda r: f"site {ids[r]}: closing_saving given but the site is not closable"


#: cross-field rules of a schema, in vector form: ``cols -> [(bad rows, row -> message)]``
_ROW_RULES = {"Site": (_site_rules,)}
