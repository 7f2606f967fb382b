"""Errors a user can act on. The CLI prints their message and exits 2, without a traceback."""

from __future__ import annotations

import reprlib
from pathlib import Path
from typing import Any


class OptmodelsError(Exception):
    """Base of every error the suite raises on purpose."""


class UsageError(OptmodelsError):
    """A command was called wrongly (bad option value, unknown model name ...)."""


def _show(value: Any, limit: int = 80) -> str:
    """``repr(value)`` cut to ``limit`` characters; a value nested too deeply for ``repr`` (a
    document built in memory thousands of levels deep) is shown to a few levels instead."""
    try:
        text = repr(value)
    except RecursionError:
        shallow = reprlib.Repr()
        shallow.maxlevel, shallow.maxother = 4, limit
        text = shallow.repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _printable(text: str) -> str:
    """``text`` with what no UTF-8 stream can write (lone surrogates, e.g. a JSON ``"\\ud800"`` in
    an id) escaped, so that printing the message of bad input cannot itself fail."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


class InstanceError(OptmodelsError, ValueError):
    """Bad instance data: names the file, the field or row, what was expected and what was found.

    The message reads ``FILE: FIELD: expected EXPECTED, found FOUND``; any part that is unknown
    is left out. Several problems can be carried at once (``problems``), each such a line.
    """

    def __init__(
        self,
        message: str | None = None,
        *,
        file: str | Path | None = None,
        field: str | None = None,
        expected: str | None = None,
        found: Any = None,
        problems: list[str] | None = None,
    ) -> None:
        self.file = None if file is None else str(file)
        self.field = field
        self.expected = expected
        self.found = found
        self.detail = message
        self.problems = list(problems or [])
        super().__init__(_printable(self._render()))

    def line(self) -> str:
        """The message without the file: one problem line, as a list of problems shows it."""
        return _printable(self._render(with_file=False))

    def _render(self, *, with_file: bool = True) -> str:
        if self.problems:
            head = f"{self.file}: " if self.file and with_file else ""
            lines = [f"{head}{len(self.problems)} problem(s) in the instance:"]
            lines += [f"  - {p}" for p in self.problems]
            return "\n".join(lines)
        parts = []
        if self.file and with_file:
            parts.append(self.file)
        if self.field:
            parts.append(f"field '{self.field}'")
        text = ""
        if self.expected is not None:
            text = f"expected {self.expected}"
            if self.found is not None:
                text += f", found {_show(self.found)}"
        if self.detail:
            text = f"{self.detail}" + (f" ({text})" if text else "")
        parts.append(text or "invalid value")
        return ": ".join(parts)

    def with_file(self, file: str | Path) -> InstanceError:
        """The same error, naming the file (used when the error arose inside a validator)."""
        if self.file is not None:
            return self
        return InstanceError(
            self.detail,
            file=file,
            field=self.field,
            expected=self.expected,
            found=self.found,
            problems=self.problems,
        )
