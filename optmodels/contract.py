"""The Family contract: what every model family offers, and the Solution every solve returns.

A family (equipment, pricing, siting, ...) is one folder under ``optmodels/`` and one
:class:`Family` object, built in that folder's ``family.py`` and listed once in
:mod:`optmodels.registry`. Everything above the families -- the CLI, the multi-objective
front-ends, scenario sweeps, the benchmarks -- reaches a family only through this object, so a
new family is added without touching them, and a reader finds in one place what a family offers::

    from optmodels.registry import family
    siting = family("siting")
    instance = siting.load("instances/siting/sf/sf_p_median.json")
    solution = siting.solve(instance, objective="distance")
    solution.result.objective, solution.metrics, solution.tables["sites"]
    solution.to_files("out/sf")

Design choices (each the simple, general one):

- **Plain frozen dataclasses, not a class hierarchy.** A family is data (names, tables of
  objectives and flags) plus functions; the functions are the family's own modules. Nothing is
  inherited, so nothing happens that the family's folder does not say.
- **Objectives are a table** (:class:`Objective`: name, sense, label, unit): the one definition
  that validation, the builders, the CLI help, the front-ends' axes and sweeps' columns read.
- **Flags are data** (:class:`Flag`): the CLI turns them into ``argparse`` arguments of the file's
  family only, so two families may both have ``--model`` without fighting over one parser.
  A flag either feeds ``solve(**choices)`` (``target="solve"``) or changes the instance before
  solving (``target="instance"``, through :attr:`Family.override`, validated again).
- **A Solution renders itself through its family's Reporter**: tables, metrics and plots are
  computed on first use, so a sweep that needs only ``metrics`` never draws a plot, and
  ``to_files`` writes the same files the CLI writes.
- **Light to import**: this module needs no Pyomo, highspy or pandas at import time, so the CLI
  can list every family's flags in a fraction of a second.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:  # heavy imports only for the type checker
    import pandas as pd

    from solvers import SolveOptions, SolveResult

Sense = Literal["min", "max"]


@dataclass(frozen=True)
class Objective:
    """One objective a family can optimise.

    ``label`` is what the number measures, as a person reads it on an axis or in a summary
    (e.g. equipment's ``utilisation`` is optimised as idle capacity, and the label says so);
    ``unit`` is its unit ("" when it has none).
    """

    name: str
    sense: Sense
    label: str
    unit: str = ""

    @property
    def axis(self) -> str:
        return f"{self.label} ({self.unit})" if self.unit else self.label


def objective_table(*objectives: Objective) -> Mapping[str, Objective]:
    """``{name: Objective}`` in the given order (the default order of fronts and help texts)."""
    table = {o.name: o for o in objectives}
    if len(table) != len(objectives):
        raise ValueError("objective names must be unique")
    return table


@dataclass(frozen=True)
class Flag:
    """One command-line argument, as data (``argparse.add_argument(*names, **kwargs)``).

    ``names`` are option strings (``("--gini-strategy",)``) or one positional name (``("file",)``).
    ``dest`` is the keyword the value reaches :attr:`Family.solve` (``target="solve"``) or
    :attr:`Family.override` (``target="instance"``) by. ``None`` means "not given": such values
    are not passed on, so the family's own default (or the file's value) holds.
    """

    names: tuple[str, ...]
    help: str
    dest: str | None = None
    type: Callable[[str], Any] | None = None
    choices: tuple[Any, ...] | None = None
    default: Any = None
    metavar: str | None = None
    action: Any = None  # "store_true", argparse.BooleanOptionalAction, "append" ...
    nargs: Any = None
    required: bool = False
    target: Literal["solve", "instance"] = "solve"

    def add_to(self, parser: Any) -> None:
        """Add this flag to an ``argparse`` parser or argument group."""
        kwargs: dict[str, Any] = {"help": self.help}
        positional = not self.names[0].startswith("-")
        if self.dest is not None and not positional:
            kwargs["dest"] = self.dest
        for key in ("type", "choices", "metavar", "action", "nargs"):
            value = getattr(self, key)
            if value is not None:
                kwargs[key] = value
        if self.default is not None or self.action is None:
            kwargs["default"] = self.default
        if self.required and not positional:
            kwargs["required"] = True
        parser.add_argument(*self.names, **kwargs)

    @property
    def key(self) -> str:
        """The attribute argparse stores the value under."""
        if self.dest is not None:
            return self.dest
        return self.names[0].lstrip("-").replace("-", "_")


@dataclass(frozen=True)
class Command:
    """A further command a family offers (``optmodels analyse gini``, ``optmodels convert ...``).

    ``path`` is the sub-command path below ``optmodels``; commands of several families may share
    the first word (``convert``), the CLI groups them. ``run(args) -> exit code``.
    """

    path: tuple[str, ...]
    help: str
    run: Callable[[Any], int]
    flags: Sequence[Flag] = ()
    group_help: str = ""  # help of the first word when this command creates it


class Reporter(Protocol):
    """How a family renders its Solutions (its ``report.py``)."""

    def summary(self, solution: Solution) -> str:
        """Lines printed below the common status header (model-specific results)."""

    def metrics(self, solution: Solution) -> dict[str, Any]:
        """Scalar key metrics: sweeps' columns and ``result.json``'s ``metrics``."""

    def tables(self, solution: Solution) -> dict[str, pd.DataFrame]:
        """Tidy tables by file stem (``plan`` -> ``plan.csv``)."""

    def plot(self, solution: Solution) -> Any:
        """The family's figure of a solution as a matplotlib ``Figure``; writes nothing."""

    def figures(self, solution: Solution, folder: Path) -> list[str]:
        """Save the family's plots (drawn by the same functions as :meth:`plot`) into
        ``folder``; returns the file names written."""

    # Optional, read with getattr by the notebook display (optmodels.report.solution_html):
    # ``main_table`` (the table whose head is shown), ``objectives`` (the family's objectives
    # table, for the unit) and ``highlights(solution) -> {label: text}`` (the key figures).


class ObjectiveValue(float):
    """A Solution's objective value: a plain ``float`` that also knows the objective's name.

    ``Solution.objective`` used to be the name. Comparing this number with a string -- the old
    use, ``sol.objective == "cost"`` -- still answers by the name, with a ``DeprecationWarning``
    pointing at ``objective_name``; every other use (arithmetic, formatting, ``pytest.approx``,
    JSON) sees the number.
    """

    name: str

    def __new__(cls, value: float, name: str) -> ObjectiveValue:
        self = super().__new__(cls, value)
        self.name = name
        return self

    def _old_use(self) -> None:
        import warnings

        warnings.warn(
            "Solution.objective is the objective's value now; its name is Solution.objective_name",
            DeprecationWarning, stacklevel=3,
        )

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            self._old_use()
            return self.name == other
        return float.__eq__(self, other)  # type: ignore[no-any-return]

    def __ne__(self, other: object) -> bool:
        if isinstance(other, str):
            self._old_use()
            return self.name != other
        return float.__ne__(self, other)  # type: ignore[no-any-return]

    __hash__ = float.__hash__

    def __reduce__(self) -> tuple[Any, ...]:
        return (ObjectiveValue, (float(self), self.name))


@dataclass(frozen=True)
class Solution:
    """What a family's ``solve`` returns: the solver's result and the family's reading of it.

    ``decision`` is the family's decision in its own terms (equipment: the 0/1 plan matrix;
    pricing: the fees; siting: open sites and assignment), the thing ``Family.evaluate``
    re-checks. ``evaluation`` is that independent numpy re-check (``None`` without a solution).
    ``notes`` say how the answer was reached (strategy, stages, limits that shaped it), one line
    each. ``verdict`` is the family's own verdict when it says more than the solver's (pricing:
    "no fee makes expected profit non-negative"); otherwise the solver's. ``model`` is the Pyomo
    model whose solve gave ``result`` (the last stage's), for re-solves and the benchmarks' peers.

    ``objective`` is the objective's *value* (a number, ``None`` without a solution) and
    ``objective_name`` its name, as in ``result.json`` and a sweep's table (``objective``,
    ``objective_name``). Until 0.2 ``objective`` was the name: the value it returns now is an
    :class:`ObjectiveValue`, a ``float`` that still compares equal to the objective's name with a
    ``DeprecationWarning``, so ``if sol.objective == "cost"`` keeps working while it is migrated.
    ``objective_value`` stays as an alias of the number.

    In a notebook a Solution shows itself (``_repr_html_``: verdict, objective with its unit, gap,
    the family's key figures, the head of its main table), and ``plot()`` returns the family's
    figure without writing a file.
    """

    family: str
    objective_name: str
    sense: Sense
    result: SolveResult
    instance: Any = field(repr=False, compare=False)
    report: Reporter = field(repr=False, compare=False)
    decision: Any = field(default=None, repr=False, compare=False)
    evaluation: Any = field(default=None, repr=False, compare=False)
    notes: tuple[str, ...] = ()
    family_verdict: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)
    model: Any = field(default=None, repr=False, compare=False)

    @property
    def has_solution(self) -> bool:
        return self.result.has_solution and self.decision is not None

    @property
    def objective(self) -> ObjectiveValue | None:
        """The objective's value in its own sense (``result.objective``; ``None`` when the solve
        holds none). Its name is :attr:`objective_name`."""
        value = self.result.objective
        return None if value is None else ObjectiveValue(value, self.objective_name)

    @property
    def objective_value(self) -> float | None:
        """Alias of :attr:`objective` (the number)."""
        return self.objective

    @property
    def verdict(self) -> str:
        return self.family_verdict or self.result.verdict

    @functools.cached_property
    def metrics(self) -> dict[str, Any]:
        return self.report.metrics(self) if self.has_solution else {}

    @functools.cached_property
    def tables(self) -> dict[str, pd.DataFrame]:
        return self.report.tables(self) if self.has_solution else {}

    def summary(self) -> str:
        return self.report.summary(self) if self.has_solution else ""

    def plot(self) -> Any:
        """The family's figure of this solution (equipment: Lorenz curves and sets by region;
        pricing: the profit surface; siting: the map with open sites and coverage) as a
        matplotlib ``Figure``; nothing is written (``fig.savefig(...)`` does that).

        Raises ``ValueError`` when there is no solution to draw."""
        if not self.has_solution:
            raise ValueError(f"no solution to plot: {self.verdict}")
        return self.report.plot(self)

    def _repr_html_(self) -> str:
        from optmodels.report import solution_html

        return solution_html(self)

    def __repr__(self) -> str:
        # The dataclass repr printed the whole SolveResult (every variable's table): 1,700
        # characters for a tiny instance. The record is one attribute away (``.result``).
        value = "None" if self.objective is None else f"{float(self.objective):.10g}"
        gap = self.result.gap
        return (f"Solution(family={self.family!r}, verdict={verdict_code(self)!r}, "
                f"objective_name={self.objective_name!r}, objective={value}, "
                f"gap={'None' if gap is None else f'{gap:.3g}'})")

    def payload(self) -> dict[str, Any]:
        """``result.json``: one top-level ``verdict`` users can rely on, then the solve record.

        ``verdict`` is one of ``optimal`` (proven within the relative gap ``mip_rel_gap``, HiGHS's default
        1e-4: see :func:`optmodels.report.verdict_words`), ``feasible`` (a solution without proof:
        time limit, gap, interruption), ``infeasible``, ``unbounded``, ``no_solution`` (stopped
        without one) or the family's own (``no_viable_fee``); ``message`` says it in words.
        """
        from optmodels.io import json_safe

        record = self.result.to_dict()
        # the solver's own one-liner and status text must not overwrite the top-level verdict
        # code and message below; they stay in the record under their own names
        record["solver_verdict"] = record.pop("verdict", None)
        record["solver_message"] = record.pop("message", None)
        payload: dict[str, Any] = {
            "verdict": verdict_code(self),
            "message": self.verdict,
            "family": self.family,
            "instance": getattr(self.instance, "name", None),
            "objective_name": self.objective_name,
            "sense": self.sense,
            **record,
            "notes": list(self.notes),
            "metrics": self.metrics,
            **dict(self.extra),
        }
        return json_safe(payload)

    def to_files(self, out: str | Path, *, figures: bool = True) -> list[str]:
        """Write ``result.json``, every table as CSV and the plots into ``out``, as one unit.

        The folder is written beside the target and moved into place only when complete
        (:func:`optmodels.io.atomic_output_dir`): an interrupted run leaves the old folder as it
        was. Returns the file names written.
        """
        from optmodels.io import atomic_output_dir, write_json

        written = ["result.json"]
        with atomic_output_dir(out) as tmp:
            write_json(tmp / "result.json", self.payload())
            for stem, frame in self.tables.items():
                frame.to_csv(tmp / f"{stem}.csv", index=False)
                written.append(f"{stem}.csv")
            if figures and self.has_solution:
                written += self.report.figures(self, tmp)
        return written


def verdict_code(solution: Solution) -> str:
    """The one-word verdict of ``result.json`` (see :meth:`Solution.payload`)."""
    if solution.family_verdict is not None and not solution.has_solution:
        return solution.extra.get("verdict_code", "no_solution")
    result = solution.result
    if solution.has_solution:
        return "optimal" if result.is_optimal else "feasible"
    term = getattr(result.termination, "value", str(result.termination))
    if term in ("infeasible", "unbounded"):
        return term
    if term == "infeasible_or_unbounded":
        return "infeasible_or_unbounded"
    return "no_solution"


class WarmSolver(Protocol):
    """Solves a sequence of instances of one family, re-using live solver models between them.

    Made by :attr:`Family.warm` for one objective and set of solve choices. ``solve`` returns
    exactly what :attr:`Family.solve` would; when the instance differs from the previous one only
    in numbers the live model holds as bounds, right-hand sides or objective coefficients, the
    model is updated in place and re-solved (HiGHS warm-starts), and the Solution says so in
    ``extra["warm"] = True``; any other change builds afresh.
    """

    def solve(self, instance: Any, options: SolveOptions | None = None) -> Solution:
        """Solve ``instance`` (warm when the structure is the previous instance's)."""


class MonotoneSolver(WarmSolver, Protocol):
    """A :class:`WarmSolver` that also knows when one instance *relaxes* another: what a sweep
    needs to solve a monotone parameter (a budget, a band's width, ``p``, a radius) by bracketing
    (:mod:`optmodels.sweep.bracket`). Both methods are optional together; a session without them
    is solved scenario by scenario.

    ``relaxes(a, b)`` is ``True`` only when, for this session's objective, every plan feasible for
    ``a`` is turned by :meth:`carry` into a plan feasible for ``b`` that is no worse under ``b``'s
    objective (the identity when ``b``'s feasible set contains ``a``'s and the objective is the
    same). Then ``b``'s optimum is at least as good as ``a``'s, and a valid bound of ``b``
    (lower for ``min``, upper for ``max``) is a valid bound of ``a``.

    ``carry(instance, donor, bound, options)`` is the donor Solution's plan carried to
    ``instance`` (as is, or repaired), re-checked by the family's evaluator, as a Solution of
    ``instance`` holding ``bound`` (a valid bound of ``instance``'s optimum, or ``None``): its
    verdict is ``optimal`` when the plan's value is within the options' MIP gap of ``bound``
    (:func:`within_gap`), else ``feasible``; ``None`` when the plan fails the check.
    ``solve(instance, options, start=solution, bound=value)`` starts from a carried plan (a MIP
    start) and may use ``bound``, a valid bound of ``instance``'s optimum from a relaxed
    neighbour (e.g. as a cut on the objective); the returned Solution says which it used in
    ``extra["started"]`` / ``extra["bound_cut"]`` (a strategy that uses neither leaves them out,
    and the sweep's row then says ``solved``, not ``neighbour``).
    """

    def relaxes(self, a: Any, b: Any) -> bool:
        """Whether ``b`` relaxes ``a`` (see the class docstring)."""

    def carry(self, instance: Any, donor: Solution, bound: float | None, options: SolveOptions) -> Solution | None:
        """The donor's plan as a checked Solution of ``instance`` (``None``: not feasible there)."""


#: HiGHS's default relative MIP gap (``mip_rel_gap``) and absolute gap (``mip_abs_gap``): the
#: rule a solve's ``optimal`` verdict follows, and so the rule an inferred one follows
DEFAULT_REL_GAP = 1e-4
DEFAULT_ABS_GAP = 1e-6


def within_gap(value: float | None, bound: float | None, sense: Sense, options: SolveOptions | None = None) -> bool:
    """Whether a plan of objective ``value`` is proven optimal by ``bound`` under HiGHS's gap
    rule: ``value`` at most ``mip_rel_gap * |value|`` (or ``mip_abs_gap``) away from ``bound`` on
    the bound's side. ``False`` when either is missing or not finite."""
    if value is None or bound is None or not (math.isfinite(value) and math.isfinite(bound)):
        return False
    rel = DEFAULT_REL_GAP if options is None or options.mip_rel_gap is None else options.mip_rel_gap
    slack = value - bound if sense == "min" else bound - value
    return slack <= max(rel * abs(value), DEFAULT_ABS_GAP)


@dataclass(frozen=True)
class Fronts:
    """What the multi-objective front-ends need beyond :attr:`Family.solve`.

    ``build_model(instance, objectives)`` returns one MILP holding every named objective as an
    ``Objective`` component of that name (the front-ends activate them in turn);
    ``decision_vector(instance, model)`` gives the NSGA-II vector of a solved MILP (to seed
    NSGA-II with exact points); ``decision_summary(model_or_x)`` one line describing a decision;
    ``default_objectives(instance)`` the pair (or triple) a front uses when none is named;
    ``shipped`` a multi-objective instance file relative to the repository root;
    ``objectives`` the names a front may use when not every objective of the family can be
    (empty: all of them).
    """

    build_model: Callable[[Any, Sequence[str]], Any]
    decision_summary: Callable[[Any], str]
    default_objectives: Callable[[Any], tuple[str, ...]]
    decision_vector: Callable[[Any, Any], Any] | None = None
    shipped: str | None = None
    objectives: tuple[str, ...] = ()


@dataclass(frozen=True)
class Family:
    """One model family, as everything above the families sees it.

    Attributes
    ----------
    name
        the value instance files give in ``family``.
    title
        one line for help texts.
    load
        ``load(path) -> Instance``: read and validate a file (raises ``InstanceError``).
    from_document
        ``from_document(data, file=None) -> Instance``: validate an already-read document
        (relative table paths resolve beside ``file``); sweeps change a document and call it.
    describe
        ``describe(instance) -> str``: one line (size, model, the parameters that shape it).
    objectives
        the objectives table; ``default_objective(instance)`` names the one solved by default.
    solve
        ``solve(instance, options=None, *, objective=None, **choices) -> Solution``: the family's
        whole strategy, pure (no printing, no files). ``choices`` are the ``target="solve"``
        flags' ``dest`` names.
    evaluate
        ``evaluate(instance, decision) -> Evaluation``: the independent numpy re-check.
    build
        ``build(instance, objective) -> pyo.ConcreteModel``: the family's plain model of one
        objective, for the benchmarks' phase timings and raw-highspy peer.
    problem
        ``problem(instance, objectives) -> pymoo.core.problem.Problem`` for NSGA-II.
    fronts
        what the front-ends need (``None``: the family has no multi-objective support).
    flags
        ``optmodels solve`` flags of this family.
    override
        ``override(instance, changes) -> Instance``: the instance with the ``target="instance"``
        flags' values applied and validated again.
    tune
        ``tune(instance, options) -> SolveOptions``: the family's HiGHS options for its models
        (e.g. presolve off where it is measured to cost more than it saves); identity if none.
    generate
        ``generate(**params) -> dict``: a synthetic instance document; ``generate_flags`` are the
        ``optmodels generate <family>`` flags (their ``dest`` are the keyword names).
    commands
        further commands of the family (analysis tools, figures, converters).
    formats
        readers of public benchmark formats: ``{"orlib-pmed": read(path) -> Instance}``.
    warm
        optional ``warm(*, objective=None, **choices) -> WarmSolver``: a solver for a sequence
        of neighbouring instances (scenario sweeps) that re-uses live models; ``None``: sweeps
        call :attr:`solve` for every scenario.
    """

    name: str
    title: str
    load: Callable[[str | Path], Any]
    from_document: Callable[..., Any]
    describe: Callable[[Any], str]
    objectives: Mapping[str, Objective]
    default_objective: Callable[[Any], str]
    solve: Callable[..., Solution]
    evaluate: Callable[[Any, Any], Any]
    build: Callable[[Any, str], Any]
    problem: Callable[[Any, Sequence[str]], Any] | None = None
    fronts: Fronts | None = None
    flags: Sequence[Flag] = ()
    override: Callable[[Any, Mapping[str, Any]], Any] | None = None
    tune: Callable[[Any, SolveOptions], SolveOptions] | None = None
    generate: Callable[..., dict[str, Any]] | None = None
    generate_flags: Sequence[Flag] = ()
    commands: Sequence[Command] = ()
    formats: Mapping[str, Callable[[str | Path], Any]] = field(default_factory=dict)
    warm: Callable[..., WarmSolver] | None = None

    def objective(self, name: str | None, instance: Any = None) -> Objective:
        """The named objective (``None``: the instance's default), or a UsageError listing them."""
        from optmodels.errors import UsageError, bad_choice

        if name is None:
            if instance is None:
                raise UsageError(f"{self.name}: no objective named and no instance to take one from")
            name = self.default_objective(instance)
        try:
            return self.objectives[name]
        except (KeyError, TypeError):  # TypeError: not a name at all (a list, a dict)
            raise bad_choice(
                "objective", name, f"expected one of {', '.join(self.objectives)} (the {self.name} family's objectives)"
            ) from None

    def tuned(self, instance: Any, options: SolveOptions | None) -> SolveOptions:
        from solvers import SolveOptions

        options = options or SolveOptions()
        return self.tune(instance, options) if self.tune is not None else options


def lazy(target: str) -> Callable[..., Any]:
    """``"package.module:function"`` as a callable that imports its module on first call.

    A family object is built whenever the CLI starts; its Pyomo-side functions (builders,
    strategies, pymoo problems) should load only when one is used, so ``optmodels --help`` stays
    fast. One helper instead of a hand-written import-and-forward wrapper per hook.
    """
    import importlib

    module_name, _, name = target.partition(":")
    if not module_name or not name:
        raise ValueError(f"expected 'package.module:function', found {target!r}")

    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(importlib.import_module(module_name), name)(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    call.__doc__ = f"{target} (imported on first call)"
    return call


def relative_gap(value: float | None, bound: float | None) -> float | None:
    """|value - bound| / max(|value|, 1e-12), ``None`` when either is missing (a shared helper
    for families that combine stages and must report one gap)."""
    if value is None or bound is None or not (math.isfinite(value) and math.isfinite(bound)):
        return None
    return abs(value - bound) / max(abs(value), 1e-12)
