"""Errors a user can act on: one hierarchy for the Python API and the command line.

::

    OptmodelsError                 every error the suite raises on purpose
    +-- InstanceError (ValueError) the input is wrong: a file, a field, a table row, a number;
    |                              names the file and field, what was expected and what was found
    +-- UsageError (ValueError)    a choice is wrong: an objective, a strategy, a keyword of
                                   optmodels.solve, an option value; names the keyword (and the
                                   command-line flag)

Both are subclasses of ``ValueError``, so ``except ValueError`` catches bad input and bad
choices alike; the CLI prints either message and exits 2, without a traceback. The same calls
raise the same errors whichever family solves (the families check their objectives and choices
with these classes). Not errors: a solve that ends infeasible, unbounded or at a time limit returns its
Solution (``solution.verdict``; ``result.raise_if_not_optimal()`` raises ``solvers.SolveError``
for callers who want that). The solver layer, which knows nothing of optmodels, raises
``solvers.ModelDataError`` (a ``ValueError``) for a built model holding a number HiGHS refuses;
:func:`optmodels.solve` reports it as an InstanceError, since the instance's numbers made it.
"""

from __future__ import annotations

import reprlib
from pathlib import Path
from typing import Any


class OptmodelsError(Exception):
    """Base of every error the suite raises on purpose."""


class UsageError(OptmodelsError, ValueError):
    """A call or command made a wrong choice: an unknown objective, strategy or keyword, a bad
    option value. Build it with :func:`bad_choice` so that both faces read it."""


def bad_choice(keyword: str, found: Any, problem: str, *, flag: str | None = None) -> UsageError:
    """A :class:`UsageError` naming the choice as both faces spell it: the Python keyword with
    the value given, then the command-line flag, e.g. ``method='simplex' (--lattice-method):
    expected one of auto, enumerate, milp``. ``flag`` defaults to the keyword with dashes."""
    flag = flag or "--" + keyword.replace("_", "-")
    return UsageError(f"{keyword}={_show(found)} ({flag}): {problem}")


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
