"""optmodels: optimisation models for healthcare resource planning, on Pyomo and HiGHS.

One call solves any instance file (or a loaded instance) and returns a
:class:`~optmodels.contract.Solution`::

    import optmodels
    solution = optmodels.solve("instances/equipment/provincial.json", time_limit=60)
    solution.result.objective, solution.metrics, solution.tables["plan"]
    solution.to_files("results/provincial")

Each family also has its own call on a validated instance object (``solve_equipment``,
``solve_pricing``, ``solve_siting``); :func:`family` gives a family's whole contract.

Errors (:mod:`optmodels.errors`): bad input raises :class:`InstanceError`, a bad choice (an
objective, a strategy, a keyword, an option value) raises :class:`UsageError`; both are
:class:`OptmodelsError` and ``ValueError`` subclasses, in every family.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from optmodels.errors import InstanceError, OptmodelsError, UsageError

__version__ = "0.1.0"
__all__ = ["InstanceError", "OptmodelsError", "UsageError", "family", "load", "pareto", "solve", "sweep"]


def load(path: str | Path) -> Any:
    """Read and validate an instance file of any family (raises ``InstanceError``)."""
    from optmodels import registry

    return registry.load_instance(path)[1]


def solve(
    source: str | Path | Any,
    options: Any = None,
    *,
    objective: str | None = None,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    threads: int | None = None,
    **choices: Any,
) -> Any:
    """Solve an instance file, or an instance already loaded, with its family's strategy.

    Parameters
    ----------
    source
        a path to an instance file (JSON, YAML, TOML), or an instance object of any family
        (:func:`load`, ``EquipmentInstance.from_file``, ``SitingInstance.from_dataframes`` ...).
    options
        a :class:`solvers.SolveOptions` (optional); ``time_limit`` (seconds), ``mip_gap``
        (relative) and ``threads`` set its fields of the same meaning, so no import of
        ``solvers`` is needed. The family tunes the result as the command line does.
    objective
        the objective's name (``None``: the instance's default); :func:`family` lists them.
    choices
        the family's solve choices, by the keyword the command line's flag stores them under
        (equipment ``strategy``; pricing ``lattice_step``, ``method``; siting ``formulation``).

    Raises
    ------
    InstanceError
        the file or instance is not valid input (also when the built model holds a number
        HiGHS refuses: the instance's numbers made it).
    UsageError
        an unknown objective or keyword, a bad choice or option value; a ``ValueError`` too.

    A solve that ends infeasible, unbounded or at a limit is not an error: it returns the
    Solution with its verdict.
    """
    fam, instance, file = _family_and_instance(source)
    solve_keys = {flag.key: flag for flag in fam.flags if flag.target == "solve"}
    unknown = sorted(set(choices) - set(solve_keys))
    if unknown:
        fields = [key for key in unknown if key in {flag.key for flag in fam.flags if flag.target == "instance"}]
        hint = (f"; {', '.join(fields)} change(s) the instance: optmodels.family({fam.name!r}).override(instance, "
                f"{{{fields[0]!r}: ...}}), then solve that") if fields else ""
        raise UsageError(
            f"optmodels.solve: unknown keyword(s) {', '.join(unknown)} for the {fam.name} family; "
            f"its choices: {_describe_choices(solve_keys.values())}; the solver's: options, objective, "
            f"time_limit, mip_gap, threads{hint}"
        )
    options = _options(options, time_limit=time_limit, mip_gap=mip_gap, threads=threads)
    name = fam.objective(objective, instance).name
    from solvers import ModelDataError

    try:
        return fam.solve(instance, fam.tuned(instance, options), objective=name, **choices)
    except ModelDataError as exc:  # a number of the instance that HiGHS refuses in the built model
        raise InstanceError(str(exc), file=file) from exc


def _family_and_instance(source: Any) -> tuple[Any, Any, str | Path | None]:
    from optmodels import registry

    if isinstance(source, (str, os.PathLike)):
        fam, instance = registry.load_instance(source)
        return fam, instance, source
    name = getattr(source, "family", None)
    import pydantic

    if not isinstance(source, pydantic.BaseModel) or not isinstance(name, str) or name not in registry.names():
        raise UsageError(
            f"optmodels.solve: expected a path to an instance file or an instance object of a family "
            f"({', '.join(registry.names())}), found {type(source).__name__}"
        )
    return registry.family(name), source, None


def _describe_choices(flags: Any) -> str:
    parts = []
    for flag in flags:
        kinds = f" ({', '.join(map(str, flag.choices))})" if flag.choices else ""
        parts.append(f"{flag.key}{kinds}")
    return ", ".join(parts) or "none"


def _options(options: Any, *, time_limit: Any, mip_gap: Any, threads: Any) -> Any:
    """``options`` (or the defaults) with the keywords given set; a bad value is a UsageError
    naming the keyword."""
    import dataclasses

    from optmodels.errors import bad_choice
    from solvers import SolveOptions

    if options is None:
        options = SolveOptions()
    elif not isinstance(options, SolveOptions):
        raise UsageError(f"optmodels.solve: options must be a solvers.SolveOptions, found {type(options).__name__}")
    for keyword, field, value in (("time_limit", "time_limit", time_limit), ("mip_gap", "mip_rel_gap", mip_gap),
                                  ("threads", "threads", threads)):
        if value is None:
            continue
        try:
            options = dataclasses.replace(options, **{field: value})
        except (TypeError, ValueError) as exc:
            raise bad_choice(keyword, value, str(exc)) from None
    return options


def pareto(
    source: str | Path | Any,
    method: str = "epsilon",
    objectives: Any = None,
    *,
    options: Any = None,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    threads: int | None = None,
    points: int = 21,
    workers: int | None = 1,
    pop_size: int = 100,
    generations: int = 200,
    seed: int = 0,
    seed_milp: int = 5,
    progress: bool | str = "auto",
    **settings: Any,
) -> Any:
    """The Pareto front of an instance file (or a loaded instance), as ``optmodels pareto``.

    Parameters
    ----------
    method
        ``"weighted"`` (supported points; the dichotomic scheme with two objectives),
        ``"epsilon"`` (AUGMECON2: every non-dominated point when the objectives are integer)
        or ``"nsga2"`` (an approximation; it says on stderr when an exact method is cheaper).
    objectives
        names from the family's objectives table, e.g. ``["cost", "equity"]`` (``None``: the
        family's default pair).
    options, time_limit, mip_gap, threads
        each MILP solve's settings, as for :func:`solve` (the family tunes them).
    points
        weight vectors (3+ objectives) or grid points per objective (sampled epsilon).
    workers
        processes for independent solves (1: in this process; ``None``: one per CPU).
    pop_size, generations, seed, seed_milp
        NSGA-II's population, generations, random seed and number of weighted-sum MILP seeds.
    progress
        a progress bar: ``"auto"`` shows it in a notebook or on a terminal, not otherwise.
    settings
        ``sampled=True``, ``nadir=[...]`` (epsilon), ``repair=False`` (NSGA-II),
        ``reference_front=`` a known front (a CSV path or an array of points): the result then
        states its hypervolume ratio and IGD+ against it (a note, and
        ``settings["reference_front"]``).

    Returns
    -------
    solvers.pareto.ParetoResult
        ``.table`` is the front as a DataFrame: a column per objective, named by the family's
        objective names (never the model's variable names), each point's decision in the
        family's words, the knee and TOPSIS rank; ``.points`` the same values as an array;
        ``.plot()`` the front with the knee and TOPSIS choice marked; in a notebook it shows
        itself.
    """
    from optmodels import pareto_cli

    fam, instance, file = _family_and_instance(source)
    label = f"{file if file is not None else getattr(instance, 'name', None) or fam.name} ({fam.name})"
    return pareto_cli.front(
        fam, instance, label, method=method, objectives=objectives,
        options=_options(options, time_limit=time_limit, mip_gap=mip_gap, threads=threads), points=points,
        workers=workers, pop_size=pop_size, generations=generations, seed=seed, seed_milp=seed_milp,
        progress=show_progress(progress), **settings,
    )


def show_progress(progress: bool | str) -> bool:
    """``"auto"``: a bar in a Jupyter kernel (tqdm.auto draws its notebook widget there) or when
    stderr is a terminal, none otherwise (a script's log gets no carriage returns); the
    environment variable ``OPTMODELS_PROGRESS`` forces it on. ``True``/``False`` decide."""
    import sys

    if progress != "auto":
        return bool(progress)
    if os.environ.get("OPTMODELS_PROGRESS"):
        return True
    if "ipykernel" in sys.modules:
        try:
            from IPython import get_ipython

            if get_ipython() is not None and "IPKernelApp" in get_ipython().config:
                return True
        except ImportError:
            pass
    return sys.stderr.isatty()


def __getattr__(name: str) -> Any:
    # ``optmodels.sweep`` is the subpackage, made callable (optmodels/sweep/__init__.py): a
    # function of that name here would be replaced by the package at its first import.
    if name == "sweep":
        import importlib

        return importlib.import_module("optmodels.sweep")
    raise AttributeError(f"module 'optmodels' has no attribute {name!r}")


def family(name: str) -> Any:
    """The :class:`~optmodels.contract.Family` called ``name``."""
    from optmodels import registry

    return registry.family(name)
