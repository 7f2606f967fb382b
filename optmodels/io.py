"""Reading instance files and their tables; writing results atomically.

Instance files are JSON, YAML or TOML and name their ``family``. Large tables may live next to
the file as CSV or Parquet, referenced by a relative path (``{"table": "hospitals.csv"}`` or a
plain string ending in ``.csv`` / ``.parquet``). Every failure here is an
:class:`~optmodels.errors.InstanceError` naming the file.
"""

from __future__ import annotations

import contextlib
import csv
import glob
import json
import math
import os
import re
import secrets
import shutil
import stat
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
import pydantic
import yaml
from pydantic_core import PydanticCustomError

from optmodels.errors import InstanceError, UsageError, _show

SUFFIXES = {".json": "JSON", ".yaml": "YAML", ".yml": "YAML", ".toml": "TOML"}
TABLE_SUFFIXES = (".csv", ".parquet", ".pq")


def read_document(path: str | Path) -> dict[str, Any]:
    """Parse an instance file into a dict; the top level must be a mapping with ``family``."""
    path = Path(path)
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise InstanceError(
            file=path,
            expected="a .json, .yaml, .yml or .toml file",
            found=path.suffix or "no suffix",
        )
    _require_regular_file(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InstanceError("file not found", file=path) from None
    except IsADirectoryError:
        raise InstanceError("is a directory, not an instance file", file=path) from None
    except OSError as exc:
        raise InstanceError(f"cannot read file ({exc.strerror})", file=path) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InstanceError(
            f"not valid UTF-8 text (byte {exc.start})", file=path, expected="UTF-8 encoding"
        ) from None
    try:
        if kind == "JSON":
            data = json.loads(text)
        elif kind == "YAML":
            data = yaml.safe_load(text)
        else:
            data = tomllib.loads(text)
    except json.JSONDecodeError as exc:
        raise InstanceError(f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}", file=path) from None
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise InstanceError(f"invalid YAML{at}: {problem}", file=path) from None
    except tomllib.TOMLDecodeError as exc:
        raise InstanceError(f"invalid TOML: {exc}", file=path) from None
    except RecursionError:
        raise InstanceError(_too_deep(f"{kind} nested too deeply to read"), file=path) from None
    except ValueError as exc:
        raise InstanceError(f"cannot parse {kind}: {exc}", file=path) from None
    if not isinstance(data, dict):
        raise InstanceError(
            file=path, expected=f"a {kind} mapping at the top level", found=type(data).__name__
        )
    # Checked here, where every reader passes, so that no caller meets a mapping or a list
    # where the family name should be (it is used as a dictionary key).
    document_family(data, path)
    # A JSON/YAML escape of a UTF-16 surrogate (\\ud800; TOML rejects them itself) is the only way
    # a parsed document can hold a string no UTF-8 stream can print: look closer only then.
    if "\\ud" in text.lower() or "\\u0000d" in text.lower():
        _check_encodable(data, path, "")
    return data


def _too_deep(what: str) -> str:
    # Python's parsers and validators recurse once per level and stop at the interpreter's
    # recursion limit; the person needs to know the file is malformed, not the limit's name.
    return f"{what}: lists or tables inside one another hundreds of levels deep (an instance nests a few)"


def _require_regular_file(path: Path) -> None:
    """Refuse what is not a regular file before opening it: reading a FIFO (or a terminal, a
    socket) named ``*.json`` would block until some other process writes to it -- forever, as far
    as ``validate`` is concerned."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise InstanceError("file not found", file=path) from None
    except OSError as exc:
        raise InstanceError(f"cannot read file ({exc.strerror})", file=path) from None
    if stat.S_ISDIR(mode):
        raise InstanceError("is a directory, not an instance file", file=path)
    if not stat.S_ISREG(mode):
        kind = "a FIFO" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "a device"
        raise InstanceError(f"is {kind}, not a regular file; an instance must be a file on disk", file=path)


def read_table(ref: Any, base: Path | None, *, file: str | Path | None, field: str, text: bool = False) -> pd.DataFrame:
    """Load a table reference (relative path string or ``{"table": path}``) as a DataFrame.

    Column names are stripped. Every numeric column is checked with :func:`finite_numbers`
    (``inf``, ``-inf``, ``1e400`` are errors naming the column and row); empty cells stay missing,
    for the schema to name if the field is required. ``text=True`` reads every CSV cell as a
    string: ids keep their leading zeros (census codes), and the caller's schema converts numbers
    and names the row that fails. Parquet columns keep their stored types either way.
    """
    if isinstance(ref, Mapping):
        if set(ref) != {"table"}:
            raise InstanceError(
                file=file, field=field, expected="{'table': 'relative/path.csv'}", found=dict(ref)
            )
        ref = ref["table"]
    if not isinstance(ref, str):
        raise InstanceError(file=file, field=field, expected="a table or a path", found=ref)
    table_path = (base / ref) if base is not None else Path(ref)
    shown = f"{file} -> {ref}" if file else ref
    if not table_path.is_file():
        raise InstanceError("referenced table not found", file=shown, field=field)
    try:
        if table_path.suffix.lower() == ".csv":
            raw = table_path.read_bytes()
            try:
                decoded = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InstanceError(
                    f"not valid UTF-8 text (byte {exc.start})", file=shown, field=field
                ) from None
            _check_rectangular(decoded, file=shown, field=field)
            frame = pd.read_csv(table_path, skipinitialspace=True, dtype=str if text else None)
        elif table_path.suffix.lower() in (".parquet", ".pq"):
            frame = pd.read_parquet(table_path)
        else:
            raise InstanceError(
                file=shown, field=field, expected="a .csv or .parquet table", found=table_path.suffix
            )
    except InstanceError:
        raise
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, OSError, ImportError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InstanceError(f"cannot read table: {first}", file=shown, field=field) from None
    if frame.empty:
        raise InstanceError("table has no rows", file=shown, field=field)
    frame.columns = [str(c).strip() for c in frame.columns]
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            # empty cells are missing values, named later; a typed column holds numbers, so only
            # +-inf can be wrong -- found vectorised (a million-row Parquet column in milliseconds)
            numbers = values.to_numpy(dtype=float, na_value=np.nan)
            if (bad := np.flatnonzero(np.isinf(numbers))).size:
                finite_numbers(values.iloc[bad[:1]], file=shown, field=f"{field}.{column}",
                               rows=[f"row {bad[0] + 1}"])
    return frame


def _check_rectangular(text: str, *, file: str | Path | None, field: str) -> None:
    """An InstanceError at the first CSV row whose cell count is not the header's.

    pandas does not say it: a first data row with one cell too many makes it read the first
    column as the row labels, shifting every column by one (one file gave 144 problems about the
    wrong columns); a later long row is a tokenizer error in pandas' words; a short row is
    silently filled with missing values. Rows are counted as everywhere else in the suite (data
    rows below the header, blank lines skipped, as pandas skips them); the line is the file's.
    """
    reader = csv.reader(text.splitlines(keepends=True), skipinitialspace=True)
    header: int | None = None
    row = 0
    try:
        for cells in reader:
            if len(cells) <= 1 and not "".join(cells).strip():
                continue  # a blank line
            if header is None:
                header = len(cells)
                continue
            row += 1
            if len(cells) != header:
                raise InstanceError(
                    f"row {row} (line {reader.line_num}) has {len(cells)} cell(s), the header {header}; "
                    "every row needs one cell per column (an empty cell for a missing value)",
                    file=file, field=field,
                )
    except csv.Error as exc:  # e.g. a NUL byte; pandas names its own parse errors below otherwise
        raise InstanceError(f"cannot read table: line {reader.line_num}: {exc}", file=file, field=field) from None


def finite_numbers(
    values: Any,
    *,
    file: str | Path | None,
    field: str,
    rows: Sequence[str] | None = None,
    allow_inf: bool = False,
    minimum: float | None = None,
) -> np.ndarray:
    """``values`` as a float array, or an InstanceError naming the first entry that is not a
    finite number (text, an empty cell, NaN, +-inf), or below ``minimum``.

    The one check every table reader uses: numbers are finite unless the field documents
    otherwise (``allow_inf`` admits ``+inf`` only, e.g. "unreachable" in a travel-cost table;
    ``-inf`` is never a quantity). ``rows`` labels the entries (default ``row 1, row 2, ...``,
    counting data rows below the header).
    """
    raw = np.asarray(values, dtype=object).ravel()
    # Text that pandas reads as a number ("1e400", " 3") is judged by its value; a bool is not
    # a quantity, whatever its numeric value.
    numbers = pd.to_numeric(pd.Series(raw, dtype=object), errors="coerce").to_numpy(dtype=float)
    ok = ~np.isnan(numbers) & (numbers > -np.inf) & ((numbers < np.inf) | allow_inf)
    if minimum is not None:
        ok &= numbers >= minimum
    if raw.dtype == object:  # only mixed columns can hide a bool among the numbers
        ok &= np.array([not isinstance(v, (bool, np.bool_)) for v in raw], dtype=bool)
    if (bad := np.flatnonzero(~ok)).size:
        k = int(bad[0])
        where = rows[k] if rows is not None else f"row {k + 1}"
        want = "a finite number" if minimum is None else f"a finite number >= {minimum:g}"
        if allow_inf:
            want += " (or inf)"
        raise InstanceError(file=file, field=f"{field} {where}", expected=want, found=raw[k])
    return numbers


# --------------------------------------------------------------------------------------------
# Number types the three instance schemas share
# --------------------------------------------------------------------------------------------

#: The magnitude from which HiGHS reads a bound or an objective coefficient as infinite (its
#: ``infinite_bound`` and ``infinite_cost`` options, both 1e20 by default). A budget, cap, price
#: or population of that size does not mean "very large" to the solver but "no limit" (a fee cap
#: of 1e21 made the pricing LP unbounded), so every number of an instance stays strictly below
#: it, refused at validation with the field named. Products the models form (population x
#: distance in the siting objectives, price x sets in a budget row) can still reach HiGHS's
#: limits from numbers below it (matrix coefficients at 1e15, costs at 1e20); the solver layer
#: then names the coefficient and its constraint (:class:`solvers.ModelDataError`, exit 2).
#: Rescaling the units (thousands of people, millions of yuan) is the remedy either way.
SOLVER_INFINITY = 1e20


def _below_solver_infinity(value: Any) -> Any:
    if abs(value) >= SOLVER_INFINITY:
        raise PydanticCustomError("solver_infinity", "magnitude {limit} or more", {"limit": SOLVER_INFINITY})
    return value


#: A finite number of magnitude below :data:`SOLVER_INFINITY` (no NaN, no +-inf).
Finite = Annotated[float, pydantic.Field(allow_inf_nan=False), pydantic.AfterValidator(_below_solver_infinity)]
#: A whole number of magnitude below :data:`SOLVER_INFINITY` (counts that become bounds).
FiniteInt = Annotated[int, pydantic.AfterValidator(_below_solver_infinity)]

# Union members are chosen by the input's kind, not tried in turn: a union pydantic tries
# member by member reports every member's complaint (a NaN price read as both "a number" and "a
# list"), which names a field twice for one problem. The tags only route; pydantic_problems drops
# them from the field paths it prints.
_ONE, _LIST, _INT, _TEXT = "<one number>", "<a list>", "<whole number>", "<text>"
_UNION_TAGS = frozenset({_ONE, _LIST, _INT, _TEXT})


def _number_or_list_kind(value: Any) -> str:
    return _LIST if isinstance(value, (list, tuple)) else _ONE


def _int_or_text_kind(value: Any) -> str:
    return _TEXT if isinstance(value, str) else _INT


#: One number for every year, or a list with one per year (a scalar or per-year price).
NumberOrList = Annotated[
    Annotated[Finite, pydantic.Tag(_ONE)] | Annotated[list[Finite], pydantic.Tag(_LIST)],
    pydantic.Discriminator(_number_or_list_kind),
]
#: A label that is a whole number or text (a year: ``2026`` or ``"2026/27"``).
IntOrText = Annotated[
    Annotated[int, pydantic.Tag(_INT)] | Annotated[str, pydantic.Tag(_TEXT)],
    pydantic.Discriminator(_int_or_text_kind),
]


def _check_encodable(value: Any, path: Path, where: str) -> None:
    """An InstanceError at the first string (key or value) holding a lone surrogate: such text
    validates as a name, then fails when a report prints it."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise InstanceError(
                file=path, field=where or None, expected="text (a lone UTF-16 surrogate is not a character)",
                found=value,
            ) from None
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _check_encodable(key, path, where)
            _check_encodable(item, path, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for k, item in enumerate(value):
            _check_encodable(item, path, f"{where}[{k}]")


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of a table as plain dicts, with missing cells as ``None`` (so validation names them)."""
    out = []
    for row in frame.to_dict("records"):
        out.append({k: (None if _is_missing(v) else _plain(v)) for k, v in row.items()})
    return out


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


def pydantic_problems(err: pydantic.ValidationError) -> list[str]:
    """Turn pydantic's errors into lines ``field 'a.b[3].c': expected ..., found ...``.

    An :class:`InstanceError` raised inside a validator (a cross-field check) gives its own
    lines, not one line holding its whole rendered message ("1 problem(s) in the instance"
    printed inside itself).
    """
    lines = []
    for e in err.errors(include_url=False):
        inner = (e.get("ctx") or {}).get("error")
        if isinstance(inner, InstanceError):
            lines += inner.problems or [inner.line()]
            continue
        loc = ""
        for part in e["loc"]:
            if part in _UNION_TAGS:
                continue
            loc += f"[{part}]" if isinstance(part, int) else (f".{part}" if loc else str(part))
        msg = e["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        if msg.startswith("Assertion failed, "):
            msg = msg[len("Assertion failed, ") :]
        found = e.get("input")
        kind = e["type"]
        if kind == "missing":
            text = "required but missing"
        elif kind == "extra_forbidden":
            text = "unknown field (not part of the schema; check the spelling)"
        elif kind in ("value_error", "assertion_error"):
            text = msg
        else:
            text = f"expected {_expected(kind, e.get('ctx') or {}, msg)}, found {_short(found)}"
        lines.append(f"field '{loc}': {text}" if loc else text)
    return lines


#: pydantic error types -> what was expected, in the suite's own words (so messages, and the tests
#: that read them, do not change with pydantic's phrasing)
_EXPECTED = {
    "greater_than": "a number > {gt}",
    "greater_than_equal": "a number >= {ge}",
    "less_than": "a number < {lt}",
    "less_than_equal": "a number <= {le}",
    "float_parsing": "a number",
    "float_type": "a number",
    "finite_number": "a finite number",
    "solver_infinity": "a number of magnitude below {limit} (HiGHS reads {limit} and beyond as infinite)",
    "int_parsing": "a whole number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "string_type": "text",
    "list_type": "a list",
    "tuple_type": "a list",
    "dict_type": "a table of key-value pairs",
    "model_type": "a table of key-value pairs",
    "model_attributes_type": "a table of key-value pairs",
    "literal_error": "one of {expected}",
    "enum": "one of {expected}",
    "too_short": "at least {min_length} item(s)",
    "too_long": "at most {max_length} item(s)",
}


def _expected(kind: str, ctx: Mapping[str, Any], msg: str) -> str:
    template = _EXPECTED.get(kind)
    if template is None:
        return msg[0].lower() + msg[1:]
    shown = {k: f"{v:g}" if isinstance(v, float) else v for k, v in ctx.items()}
    try:
        return template.format(**shown)
    except (KeyError, IndexError):
        return template.split(" {")[0]


def _short(value: Any, limit: int = 60) -> str:
    return _show(value, limit)


def validate(model_cls: type[pydantic.BaseModel], data: Mapping[str, Any], *, file: str | Path | None):
    """Validate ``data`` into ``model_cls``; every problem becomes one line of an InstanceError.

    A single InstanceError raised by a validator is passed on as it is (with the file), so its
    field and numbers stay attributes; several problems are listed once, flat.
    """
    try:
        return model_cls.model_validate(data)
    except pydantic.ValidationError as err:
        errors = err.errors(include_url=False)
        inner = (errors[0].get("ctx") or {}).get("error") if len(errors) == 1 else None
        if isinstance(inner, InstanceError):
            raise (inner.with_file(file) if file is not None else inner) from None
        raise InstanceError(file=file, problems=pydantic_problems(err)) from None
    except InstanceError as err:
        raise err.with_file(file) if file is not None else err from None
    except RecursionError:  # a document built in memory, nested deeper than any parser reads
        raise InstanceError(_too_deep("the instance is nested too deeply to validate"), file=file) from None


# --------------------------------------------------------------------------------------------
# Writing results atomically
# --------------------------------------------------------------------------------------------


#: The record of what the suite wrote into an output folder (see :func:`atomic_output_dir`).
MANIFEST = ".optmodels-output.json"
#: Temporary folders of unfinished writes: ``.<name>.pid<PID>.<random>.partial``.
_PARTIAL_SUFFIX = ".partial"
#: A temporary folder older than this is stale whatever its process id says (the id may have
#: been reused); no write takes this long -- the solve happens before the folder is made.
_PARTIAL_MAX_AGE = 24 * 3600.0


def check_output_dir(out: str | Path) -> Path:
    """Check that ``out`` can be an output folder, creating nothing; raise :class:`UsageError`.

    Called before solving so that a run is never lost to a bad ``--out``. ``out`` may exist (a
    folder) or not (then its nearest existing ancestor must be a folder). Writability is tested
    by doing: a probe folder is made and removed where the write will happen, which also catches
    read-only file systems and ACLs that permission bits do not show.
    """
    out = Path(out)
    if out.exists():
        if not out.is_dir():
            raise UsageError(f"output folder {out}: exists and is a file, not a folder")
        where = out
    else:
        where = out.absolute().parent
        while not where.exists() and not where.is_symlink():
            where = where.parent
        if not where.is_dir():
            raise UsageError(f"output folder {out}: cannot be created, {where} is a file, not a folder")
    try:
        probe = tempfile.mkdtemp(prefix=".optmodels-probe.", dir=where)
        os.rmdir(probe)
    except OSError as exc:
        raise UsageError(
            f"output folder {out}: cannot write in {where} ({exc.strerror or exc})"
        ) from None
    return out


@contextlib.contextmanager
def atomic_output_dir(out: str | Path) -> Iterator[Path]:
    """Yield a temporary folder; on success its content replaces the suite's files in ``out``.

    The rule, so that one folder reused across runs and families never mixes two runs:

    - every successful write records the names it wrote in ``out/.optmodels-output.json``
      (:data:`MANIFEST`); the next successful write into the same folder removes every entry the
      previous manifest lists that it does not write itself. A pricing run into an equipment
      run's folder therefore leaves no ``plan.csv``; a run that writes only ``result.json`` (no
      solution) leaves no earlier run's tables;
    - files the suite did not write (not in the manifest) are never touched, so a folder the user
      also keeps notes in stays theirs. A folder written before manifests existed has none: its
      files are overwritten by name, none removed;
    - a failed or interrupted run (an exception, Ctrl-C) removes its temporary folder and leaves
      ``out`` as it was: never a half-written result. A run killed outright (SIGKILL, power loss)
      leaves a ``.<name>.pid<PID>.<random>.partial`` folder; the next write to ``out`` removes
      every such folder whose process is gone (or that is over a day old).

    A new folder appears in one rename. Into an existing folder the entries move one by one
    (``result.json`` last) with the manifest listing old and new names until the end, so a
    write killed half-way is cleaned up completely by the next one.
    """
    out = Path(out)
    check_output_dir(out)
    _remove_stale_partials(out)
    existed = out.is_dir()
    if not existed:
        out.parent.mkdir(parents=True, exist_ok=True)
    tmp = new_temp_path(out if existed else out.parent, f".{_base_name(out)}.pid{os.getpid()}.",
                        _PARTIAL_SUFFIX, folder=True)
    try:
        yield tmp
        written = sorted(item.name for item in tmp.iterdir())
        if not existed:
            _write_manifest(tmp, written)
            try:
                os.replace(tmp, out)
                return
            except OSError:
                if not out.is_dir():  # not a folder made meanwhile by a concurrent run
                    raise
                os.remove(tmp / MANIFEST)
        _merge_into(out, tmp, written)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(tmp, ignore_errors=True)


def _merge_into(out: Path, tmp: Path, written: list[str]) -> None:
    """Move ``tmp``'s entries into ``out`` and remove the previous run's entries not rewritten."""
    previous = _read_manifest(out)
    stale = [name for name in previous if name not in written]
    # Until the last step the manifest lists both runs' names: if this write dies half-way, the
    # next one still knows every entry the suite put here.
    _write_manifest(out, sorted(set(previous) | set(written)))
    order = sorted(written, key=lambda name: name == "result.json")  # the result last
    for name in order:
        target = out / name
        if name in previous and ((target.is_dir() and not target.is_symlink()) or (tmp / name).is_dir()):
            _remove_entry(target)  # ours, and os.replace cannot put a file on a folder or back
        try:
            os.replace(tmp / name, target)
        except OSError as exc:
            raise UsageError(
                f"output folder {out}: cannot replace {name} ({exc.strerror or exc}); "
                "move it away or choose another folder"
            ) from None
    for name in stale:
        _remove_entry(out / name)
    _write_manifest(out, written)


def _base_name(out: Path) -> str:
    return out.absolute().name or "out"


def _read_manifest(out: Path) -> list[str]:
    """Entry names the manifest in ``out`` lists; only plain names inside ``out`` are trusted."""
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        names = data.get("files", []) if isinstance(data, dict) else []
    except (OSError, ValueError):
        return []
    return [
        name
        for name in names
        if isinstance(name, str) and name not in ("", ".", "..", MANIFEST)
        and Path(name).name == name and "/" not in name and "\\" not in name
        and not name.endswith(_PARTIAL_SUFFIX)
    ]


def _write_manifest(folder: Path, names: list[str]) -> None:
    payload = {"written_by": "optmodels", "files": [n for n in names if n != MANIFEST]}
    tmp = new_temp_path(folder, f"{MANIFEST}.", "")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(payload, fh, indent=1)
            fh.write("\n")
        os.replace(tmp, folder / MANIFEST)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _remove_entry(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _remove_stale_partials(out: Path) -> None:
    """Remove the temporary folders of writes to ``out`` whose process is gone (see above)."""
    name = _base_name(out)
    # Exactly ".<name>.pid<PID>.<random>.partial" (or, from before pids were recorded,
    # ".<name>.<random>.partial"); a sibling output "<name>.v2" has its own, never matched here.
    pattern = re.compile(rf"\.{re.escape(name)}\.(?:pid(\d+)\.)?[a-z0-9_]+{re.escape(_PARTIAL_SUFFIX)}")
    now = time.time()
    for folder in (out.absolute().parent, out):
        if not folder.is_dir():
            continue
        for entry in folder.glob(f".{glob.escape(name)}.*{_PARTIAL_SUFFIX}"):
            match = pattern.fullmatch(entry.name)
            if match is None or not entry.is_dir() or entry.is_symlink():
                continue
            try:
                old = now - entry.stat().st_mtime > _PARTIAL_MAX_AGE
            except OSError:
                continue
            if old or match.group(1) is None or not _process_alive(match.group(1)):
                shutil.rmtree(entry, ignore_errors=True)


def _process_alive(pid_text: str) -> bool:
    try:
        pid = int(pid_text)
    except ValueError:
        return False
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    except OSError:
        return False
    return True


def write_json(path: Path, payload: Mapping[str, Any]) -> None:
    path.write_text(json.dumps(payload, indent=2, default=_json_default, allow_nan=False) + "\n")


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "value") and isinstance(value.value, str):
        return value.value
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def json_safe(value: Any) -> Any:
    """Replace non-finite floats by None, recursively (JSON has no inf/nan)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, np.generic):
        return json_safe(value.item())
    return value


def dump_instance(data: Mapping[str, Any], path: str | Path, *, tables: str = "parquet") -> list[Path]:
    """Write an instance dict as JSON, YAML or TOML by the path's suffix, atomically.

    A top-level value that is a ``pandas.DataFrame`` (a generator's million-row demand table) is
    written beside the file as ``<stem>.<key>.parquet`` (``tables="csv"``: ``.csv``) and the
    document refers to it by that relative name, as a hand-written file would. Tables are
    written first, so the document never names a table that is not there. Returns the paths
    written.
    """
    path = Path(path)
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise InstanceError(file=path, expected="a .json, .yaml, .yml or .toml file", found=path.suffix)
    frames = {k: v for k, v in data.items() if isinstance(v, pd.DataFrame)}
    written: list[Path] = []
    if frames:
        if tables not in ("parquet", "csv"):
            raise UsageError(f"tables: expected 'parquet' or 'csv', found {tables!r}")
        if path.is_dir():
            raise UsageError(f"{path} is a folder; give a file name ending in .json, .yaml, .yml or .toml")
        check_output_dir(path.parent)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = dict(data)
        for key, frame in frames.items():
            table = path.with_name(f"{path.stem}.{key}.{tables}")
            if tables == "parquet":
                atomic_write(table, lambda tmp, f=frame: f.to_parquet(tmp, index=False))
            else:
                atomic_write(table, lambda tmp, f=frame: f.to_csv(tmp, index=False))
            data[key] = table.name
            written.append(table)
    if kind == "JSON":
        text = json.dumps(json_safe(data), indent=1) + "\n"
    elif kind == "YAML":
        text = yaml.safe_dump(json_safe(data), sort_keys=False)
    else:
        text = _to_toml(json_safe(data))
    if path.is_dir():
        raise UsageError(f"{path} is a folder; give a file name ending in .json, .yaml, .yml or .toml")
    try:
        check_output_dir(path.parent)
    except UsageError as err:
        raise UsageError(f"cannot write {path}: {err}") from None
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return [*written, path]


def atomic_write(path: Path, write: Callable[[Path], Any]) -> None:
    """``write(tmp)`` into a temporary file beside ``path``, then one rename onto ``path``: a
    reader (or a rerun after a kill) sees the old file or the whole new one, never a part. A
    failed write leaves no temporary file behind. The file gets the permissions any new file
    gets (``0o666`` less the umask; see :func:`new_temp_path`)."""
    tmp = new_temp_path(path.parent, f".{path.name}.", ".tmp")
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def new_temp_path(parent: str | Path, prefix: str, suffix: str, *, folder: bool = False) -> Path:
    """Create a new empty file (or, with ``folder=True``, a folder) named ``prefix + random +
    suffix`` in ``parent``, and return its path.

    A stand-in for :func:`tempfile.mkstemp` / :func:`tempfile.mkdtemp` for what becomes a result
    the user keeps: those create ``0600`` files and ``0700`` folders whatever the umask (they are
    meant to be private), so every result renamed into place from them was unreadable to the
    user's group. Here the file is created with mode ``0o666`` and the folder with ``0o777``,
    both less the process umask, exactly as ``open(path, "w")`` and ``mkdir`` would make them.
    The random part is lowercase hex (the stale-partial pattern of :func:`atomic_output_dir`
    relies on it); ``O_EXCL`` / ``mkdir`` make the creation atomic, a name taken is retried.
    """
    parent = Path(parent)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        path = parent / f"{prefix}{secrets.token_hex(6)}{suffix}"
        try:
            if folder:
                os.mkdir(path, 0o777)
            else:
                os.close(os.open(path, flags, 0o666))
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"no free temporary name {prefix}*{suffix} in {parent}")


def _to_toml(data: Mapping[str, Any]) -> str:
    """A small TOML writer for instance dicts (scalars, lists, tables, arrays of tables).

    Written here because the standard library reads TOML but does not write it, and the
    instances need only this subset.
    """

    def scalar(v: Any) -> str:
        if v is None:
            raise ValueError("TOML cannot hold null values; write JSON or YAML instead")
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return repr(v)
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, list):
            return "[" + ", ".join(scalar(x) for x in v) + "]"
        if isinstance(v, Mapping):
            return "{" + ", ".join(f"{json.dumps(k)} = {scalar(x)}" for k, x in v.items()) + "}"
        raise TypeError(type(v).__name__)

    lines: list[str] = []

    def table(prefix: str, d: Mapping[str, Any]) -> None:
        simple = {k: v for k, v in d.items() if not _is_table(v) and not _is_table_array(v)}
        for k, v in simple.items():
            if v is not None:
                lines.append(f"{json.dumps(k)} = {scalar(v)}")
        for k, v in d.items():
            name = f"{prefix}.{json.dumps(k)}" if prefix else json.dumps(k)
            if _is_table(v):
                lines.append("")
                lines.append(f"[{name}]")
                table(name, v)
            elif _is_table_array(v):
                for item in v:
                    lines.append("")
                    lines.append(f"[[{name}]]")
                    table(name, item)

    table("", data)
    return "\n".join(lines) + "\n"


def _is_table(v: Any) -> bool:
    return isinstance(v, Mapping)


def _is_table_array(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, Mapping) for x in v)


def document_family(data: Any, file: str | Path | None = None) -> str:
    """The ``family`` a read document names; an InstanceError when it is missing or not a name."""
    if not isinstance(data, Mapping):
        raise InstanceError(file=file, expected="a document with key-value pairs at the top level",
                            found=type(data).__name__)
    if "family" not in data:
        raise InstanceError(file=file, field="family", expected="the instance's family (equipment, pricing, siting)",
                            found="no such key")
    name = data["family"]
    if not isinstance(name, str):
        raise InstanceError(file=file, field="family", expected="a family name (text)", found=name)
    return name
