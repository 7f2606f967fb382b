"""Reading instance files and their tables; writing results atomically.

Instance files are JSON, YAML or TOML and name their ``family``. Large tables may live next to
the file as CSV or Parquet, referenced by a relative path (``{"table": "hospitals.csv"}`` or a
plain string ending in ``.csv`` / ``.parquet``). Every failure here is an
:class:`~optmodels.errors.InstanceError` naming the file.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import tempfile
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pydantic
import yaml

from optmodels.errors import InstanceError

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
    except (ValueError, RecursionError) as exc:
        raise InstanceError(f"cannot parse {kind}: {exc}", file=path) from None
    if not isinstance(data, dict):
        raise InstanceError(
            file=path, expected=f"a {kind} mapping at the top level", found=type(data).__name__
        )
    if "family" not in data:
        raise InstanceError(
            file=path, field="family", expected="the model family, e.g. 'equipment'", found="nothing"
        )
    return data


def read_table(ref: Any, base: Path | None, *, file: str | Path | None, field: str, text: bool = False) -> pd.DataFrame:
    """Load a table reference (relative path string or ``{"table": path}``) as a DataFrame.

    ``text=True`` reads every CSV cell as a string (empty cells stay missing): ids keep their
    leading zeros (census codes), and the caller's schema converts numbers and names the row
    that fails. Parquet columns keep their stored types either way.
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
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InstanceError(
                    f"not valid UTF-8 text (byte {exc.start})", file=shown, field=field
                ) from None
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
    return frame


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
    """Turn pydantic's errors into lines ``field 'a.b[3].c': expected ..., found ...``."""
    lines = []
    for e in err.errors(include_url=False):
        loc = ""
        for part in e["loc"]:
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
            text = f"expected {msg[0].lower() + msg[1:]}, found {_short(found)}"
        lines.append(f"field '{loc}': {text}" if loc else text)
    return lines


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def validate(model_cls: type[pydantic.BaseModel], data: Mapping[str, Any], *, file: str | Path | None):
    """Validate ``data`` into ``model_cls``; every problem becomes one line of an InstanceError."""
    try:
        return model_cls.model_validate(data)
    except pydantic.ValidationError as err:
        raise InstanceError(file=file, problems=pydantic_problems(err)) from None
    except InstanceError as err:
        raise err.with_file(file) if file is not None else err from None


# --------------------------------------------------------------------------------------------
# Writing results atomically
# --------------------------------------------------------------------------------------------


@contextlib.contextmanager
def atomic_output_dir(out: str | Path) -> Iterator[Path]:
    """Yield a temporary directory; on success its files replace those in ``out``.

    A failed or interrupted run removes the temporary directory and leaves ``out`` as it was:
    never a half-written result.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if not out.exists():
        os.replace(tmp, out)
        return
    if not out.is_dir():
        shutil.rmtree(tmp, ignore_errors=True)
        raise InstanceError("output path exists and is not a directory", file=out)
    for item in tmp.iterdir():
        target = out / item.name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        os.replace(item, target)
    shutil.rmtree(tmp, ignore_errors=True)


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


def dump_instance(data: Mapping[str, Any], path: str | Path) -> None:
    """Write an instance dict as JSON, YAML or TOML by the path's suffix, atomically."""
    path = Path(path)
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise InstanceError(file=path, expected="a .json, .yaml, .yml or .toml file", found=path.suffix)
    if kind == "JSON":
        text = json.dumps(json_safe(data), indent=1) + "\n"
    elif kind == "YAML":
        text = yaml.safe_dump(json_safe(data), sort_keys=False)
    else:
        text = _to_toml(json_safe(data))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


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
