"""``optmodels pareto``: Pareto fronts of a family instance or of any user Pyomo model.

::

    optmodels pareto FILE --method weighted|epsilon|nsga2 [--objectives a,b[,c]] [--points N]
                     [--pop-size P --generations G --seed S] [--workers W | --scheduler ADDRESS]
                     [--solver-option KEY=VALUE ...] [--out DIR]
    optmodels pareto --model path/to/file.py:build_function --method epsilon ...

Family instances
    The family named in FILE is reached through its :class:`~optmodels.contract.Family`: its
    objectives table (sense, axis text), ``fronts`` (the MILP with every objective as a named
    ``Objective``, the default pair, decision summaries and vectors, the shipped instance),
    ``problem`` (the vectorised pymoo Problem for NSGA-II) and ``tune`` (its HiGHS options).

User models
    ``--model FILE.py:FUNCTION`` calls ``FUNCTION()`` and uses the Pyomo model it returns; its
    objectives are its ``Objective`` components (an ``ObjectiveList`` gives ``obj[1]``,
    ``obj[2]``, ...). NSGA-II works on all-integer user models (the rows become constraints).

Output: a summary on stdout (progress bars on stderr); with ``--out DIR``: ``front.csv``,
``pareto.json`` and ``front.png``. Ctrl-C keeps the points found so far (the front is marked
incomplete): one Ctrl-C ends every solve of the front (:func:`solvers.interrupt.interruptible`).
Exit 0 with at least one point, 1 with none, 2 on bad input (an unreachable or malformed
``--scheduler`` too), 70 when a solve raised (the front stops there; the message names the
exception), 130 interrupted by Ctrl-C, 143 by SIGTERM -- an interrupted front is written as
far as it got, as ``optmodels solve`` writes its incumbent.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from optmodels.errors import InstanceError, UsageError

METHODS = ("weighted", "epsilon", "nsga2")


@dataclass
class Source:
    """What the front is computed for: a family instance or a user model."""

    label: str
    objectives: dict[str, str]  # selected, in order
    build_model: Callable[[], Any]
    build_problem: Callable[[], Any]
    summary: Callable[[Any], str] | None = None
    decision: Callable[[Any], Any] | None = None
    to_x: Callable[[Any], np.ndarray] | None = None
    tune: Callable[[Any], Any] | None = None  # SolveOptions -> the family's tuned SolveOptions
    labels: dict[str, str] | None = None  # objective name -> axis text with units (optional hook)


# --------------------------------------------------------------------------------------------
# Parser
# --------------------------------------------------------------------------------------------


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``optmodels pareto`` (called from ``optmodels.cli.build_parser``)."""
    from optmodels.argtypes import add_solve_options, nonnegative_int, positive_int

    p = subparsers.add_parser(
        "pareto",
        help="Pareto front of an instance or a user model (weighted sum, exact epsilon, NSGA-II)",
        description=(__doc__ or "").split("\n\n")[0],
    )
    p.add_argument("file", nargs="?", help="family instance file (omit with --model)")
    p.add_argument("--model", metavar="FILE.py:FUNCTION",
                   help="a Python file and a function returning a Pyomo model with >= 2 objectives")
    p.add_argument("--method", choices=METHODS, default="epsilon",
                   help="weighted: supported points; epsilon: exact (integer objectives) or sampled "
                   "AUGMECON2; nsga2: evolutionary approximation (default epsilon)")
    p.add_argument("--objectives", metavar="A,B[,C]", help="objectives to trade off, in order "
                   "(the first is the one optimised on the epsilon grid)")
    p.add_argument("--points", type=positive_int, default=21,
                   help="weight vectors (weighted with 3+ objectives; two objectives use the "
                   "dichotomic scheme, which finds every extreme supported point) or grid points "
                   "per objective (sampled epsilon); default 21")
    p.add_argument("--sampled", action="store_true",
                   help="epsilon: a sampled grid of --points even when the objectives are integer")
    p.add_argument("--nadir", metavar="V,V[,V]",
                   help="epsilon: nadir point to use instead of the computed one (one value per "
                   "objective); a nadir tighter than the proven bound makes the front not exact")
    g = p.add_argument_group("NSGA-II")
    g.add_argument("--pop-size", type=positive_int, default=100, help="population (default 100)")
    g.add_argument("--generations", type=positive_int, default=200, help="generations (default 200)")
    g.add_argument("--seed-milp", type=nonnegative_int, default=5, metavar="K",
                   help="seed the population with the MILP solutions of K weighted sums plus the "
                   "payoff table (0: random start; default 5)")
    g.add_argument("--no-repair", action="store_true", help="NSGA-II without the family's repair")
    a = p.add_argument_group("after the front")
    a.add_argument("--topsis-weights", metavar="W,W[,W]", help="TOPSIS weights (default equal)")
    a.add_argument("--reference-front", metavar="CSV",
                   help="a known front (columns named as the objectives, or the last p columns): "
                   "IGD+ and hypervolume ratio are reported and it is drawn in the plot")
    x = p.add_argument_group("parallel")
    x.add_argument("--workers", type=positive_int, default=None,
                   help="processes of the local pool for independent solves (weights, blocks of "
                   "the outer epsilon grid); default: one per usable CPU; 1: in-process. With "
                   "--scheduler: the number of blocks (default four per cluster thread)")
    x.add_argument("--scheduler", metavar="ADDRESS",
                   help="Dask scheduler address (e.g. tcp://host:8786) instead of the local pool")
    p.add_argument("--out", metavar="DIR", help="write front.csv, pareto.json and front.png here")
    p.add_argument("--json", action="store_true",
                   help="print the front's document (pareto.json's) on stdout and nothing else there; "
                        "the summary goes to stderr")
    p.add_argument("--report", action="store_true",
                   help="also write report.html (the front as an interactive chart) into the --out folder")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_solve_options(p)
    p.add_argument("--solver-option", action="append", default=[], metavar="KEY=VALUE",
                   help="a HiGHS option for every MILP solve, by HiGHS's name (repeatable), e.g. "
                   "--solver-option presolve=off (most of each tiny knapsack solve is presolve)")
    p.set_defaults(func=run)


# --------------------------------------------------------------------------------------------
# Sources
# --------------------------------------------------------------------------------------------


def _floats(text: str | None, what: str, n: int | None = None) -> list[float] | None:
    if text is None:
        return None
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise UsageError(f"{what}: expected comma-separated numbers, found {text!r}") from None
    if n is not None and len(values) != n:
        raise UsageError(f"{what}: expected {n} values (one per objective), found {len(values)}")
    return values


def highs_options(pairs: list[str]) -> dict[str, str]:
    """``["KEY=VALUE", ...]`` -> ``{KEY: VALUE}``, each checked against HiGHS before any solve.

    Values stay strings: HiGHS parses them by the option's own type (``mip_rel_gap=0.01``,
    ``threads=2``, ``presolve=off``), so one rule serves every option. A name HiGHS does not know,
    or a value of the wrong type, is a usage error (exit 2) rather than a failure mid-front.
    """
    options: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key or not value:
            raise UsageError(f"--solver-option: expected KEY=VALUE, found {pair!r}")
        options[key] = value
    if options:
        import highspy

        from solvers import new_highs

        probe = new_highs()
        probe.setOptionValue("output_flag", False)
        for key, value in options.items():
            if probe.setOptionValue(key, value) == highspy.HighsStatus.kError:
                raise UsageError(f"--solver-option: HiGHS does not accept {key}={value!r} "
                                 "(unknown option or a value of the wrong type)")
    return options


def default_workers() -> int:
    """The local pool's default size: one process per CPU this process may use.

    The pool is the default because independent solves (weight vectors, blocks of the outer
    epsilon grid) are where a front's time goes; on one CPU everything runs in-process.
    """
    import os

    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _select(available: dict[str, str], text: str | None, default: list[str]) -> dict[str, str]:
    names = default if text is None else [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in available]
    if unknown:
        raise UsageError(
            f"--objectives: unknown {', '.join(unknown)}; available: {', '.join(available)}"
        )
    if len(set(names)) != len(names) or len(names) < 2:
        raise UsageError(f"--objectives: need at least 2 distinct objectives, found {names}")
    return {n: available[n] for n in names}


def load_user_function(spec: str) -> Callable[[], Any]:
    """``path/to/file.py:function`` -> the function (clear errors, exit 2)."""
    path_text, sep, func_name = spec.rpartition(":")
    if not sep or not path_text or not func_name:
        raise UsageError(f"--model: expected FILE.py:FUNCTION, found {spec!r}")
    path = Path(path_text)
    if not path.is_file():
        raise UsageError(f"--model: file not found: {path}")
    module_name = f"optmodels_user_model_{abs(hash(str(path.resolve())))}"
    module_spec = importlib.util.spec_from_file_location(module_name, path)
    if module_spec is None or module_spec.loader is None:
        raise UsageError(f"--model: cannot import {path} (expected a .py file)")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[module_name] = module  # so the model's classes pickle for worker processes
    try:
        module_spec.loader.exec_module(module)
    except Exception as exc:
        raise UsageError(f"--model: importing {path} failed: {type(exc).__name__}: {exc}") from exc
    fn = getattr(module, func_name, None)
    if not callable(fn):
        public = [n for n in dir(module) if not n.startswith("_") and callable(getattr(module, n))]
        raise UsageError(f"--model: {path} has no function {func_name!r} (it has: {', '.join(public)})")
    return fn


def user_source(args: argparse.Namespace) -> Source:
    import pyomo.environ as pyo

    from solvers.epsilon import model_objectives

    fn = load_user_function(args.model)
    model = fn()
    if not isinstance(model, pyo.Block):
        raise UsageError(f"--model: {args.model} returned {type(model).__name__}, not a Pyomo model")
    available = model_objectives(model)
    if len(available) < 2:
        raise UsageError(
            f"--model: the model has {len(available)} objective(s) ({', '.join(available) or 'none'}); "
            "a front needs at least 2 (an ObjectiveList or several named Objective components)"
        )
    selected = _select(available, args.objectives, list(available))
    holder: dict[str, Any] = {}

    def problem():
        from solvers.moea import linear_model_problem

        try:
            holder["problem"] = linear_model_problem(model, selected)
        except ValueError as exc:
            raise UsageError(f"--method nsga2: {exc}") from exc
        return holder["problem"]

    return Source(
        label=args.model,
        objectives=selected,
        build_model=lambda: model,
        build_problem=problem,
        to_x=lambda values: holder["problem"].to_x(values),
    )


def family_source(args: argparse.Namespace) -> Source:
    """A family instance as a front's source, through the family's contract (objectives table,
    ``fronts`` and ``problem``)."""
    from optmodels import registry

    fam, instance = registry.load_instance(args.file)
    return instance_source(fam, instance, f"{args.file} ({fam.name})", args.objectives)


def instance_source(fam: Any, instance: Any, label: str, objectives: str | None) -> Source:
    """A validated instance of family ``fam`` as a front's source (the CLI's and
    :func:`front`'s); ``objectives`` as ``--objectives`` gives them (``None``: the default)."""
    import functools

    if fam.fronts is None or fam.problem is None:
        raise UsageError(f"the {fam.name} family has no multi-objective support")
    fronts = fam.fronts
    names = fronts.objectives or tuple(fam.objectives)
    available = {n: fam.objectives[n].sense for n in names}
    selected = _select(available, objectives, list(fronts.default_objectives(instance)))
    chosen = list(selected)
    return Source(
        label=label,
        objectives=selected,
        build_model=lambda: fronts.build_model(instance, chosen),
        build_problem=lambda: fam.problem(instance, chosen),
        summary=fronts.decision_summary,
        decision=functools.partial(fronts.decision_vector, instance) if fronts.decision_vector else None,
        to_x=None,
        tune=functools.partial(fam.tuned, instance),
        labels={n: fam.objectives[n].axis for n in chosen},
    )


# --------------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------------


def compute_front(source: Source, args: argparse.Namespace, options) -> Any:
    """Run the chosen method on the source; returns the ParetoResult. One
    :class:`~solvers.run_settings.RunSettings` (workers, scheduler, blocks, progress, the
    source's summaries) goes to whichever method runs."""
    from solvers.epsilon import epsilon_front
    from solvers.run_settings import RunSettings
    from solvers.weighted_sum import weighted_sum_front

    run = RunSettings(workers=args.workers, scheduler=args.scheduler, blocks=args.blocks,
                      progress=not args.no_progress, summary=source.summary)
    p = len(source.objectives)
    if args.method == "weighted":
        return weighted_sum_front(source.build_model(), source.objectives, points=args.points,
                                  options=options, run=run)
    if args.method == "epsilon":
        return epsilon_front(source.build_model(), source.objectives,
                             exact=False if args.sampled else None, points=args.points,
                             nadir=_floats(args.nadir, "--nadir", p), options=options, run=run)
    return _nsga2(source, args, options, run)


def _nsga2(source: Source, args: argparse.Namespace, options: Any, run: Any) -> Any:
    """NSGA-II with its MILP seeds. Its ``timings`` say where the run's time went: ``problem``
    (building the family's pymoo Problem), ``seeds`` (the weighted-sum MILPs), ``nsga2`` (the
    algorithm alone) and ``total`` (all three: the front's wall time). ``total`` used to be the
    algorithm's alone, so a 30 s run printed "time 1.10 s"."""
    import dataclasses

    t0 = time.perf_counter()
    problem = source.build_problem()
    t_problem = time.perf_counter() - t0
    initial = None
    ideal = nadir = None
    from solvers.interrupt import requested
    from solvers.moea import nsga2_front
    from solvers.weighted_sum import weighted_sum_front

    advice = space_advice(problem, args.pop_size * args.generations)
    if advice:
        _note(advice)
    if args.seed_milp > 0:
        # a handful of seed solves: in-process (a pool's start-up would cost more than they do)
        seeding = dataclasses.replace(run, workers=1, blocks=None, progress=False, decision=source.decision)
        seeds = weighted_sum_front(source.build_model(), source.objectives, points=args.seed_milp,
                                   scheme="grid", options=options, run=seeding)
        if requested():
            return seeds  # stopped by a signal while seeding: the seeds' front is what there is
        ideal, nadir = seeds.ideal, seeds.nadir
        if source.to_x is not None:
            initial = [source.to_x(d) for d in seeds.decisions]
        elif source.decision is not None:
            initial = [np.asarray(d) for d in seeds.decisions]
        else:
            print("optmodels: note: this family gives no decision_vector(); NSGA-II starts "
                  "without MILP seeds", file=sys.stderr)
    t_seeds = time.perf_counter() - t0 - t_problem
    if args.seed_milp > 0 and not advice:
        advice = seeds_advice(len(seeds), args.seed_milp, t_seeds)
        if advice:
            _note(advice)
    result = nsga2_front(problem, pop_size=args.pop_size, generations=args.generations,
                         seed=args.seed, initial=initial, repair=None if args.no_repair else "problem",
                         ideal=ideal, nadir=nadir,
                         run=dataclasses.replace(run, summary=getattr(problem, "summary", None) or source.summary))
    timings = {**result.timings, "problem": t_problem, "seeds": t_seeds,
               "nsga2": result.timings.get("total", math.nan), "total": time.perf_counter() - t0}
    return dataclasses.replace(result, timings=timings)


def objectives_text(source: Source) -> str:
    """``cost (min): <what it measures, unit>; ...`` -- the family's label beside each name, so
    that a stand-in (equipment's ``utilisation`` is idle capacity, in exams) is never read as
    what its name suggests."""
    labels = source.labels or {}
    return "; ".join(f"{n} ({s})" + (f": {labels[n]}" if labels.get(n) and labels[n] != n else "")
                     for n, s in source.objectives.items())


def _note(text: str) -> None:
    print(f"optmodels: note: {text}", file=sys.stderr, flush=True)


def space_advice(problem: Any, evaluations: int) -> str | None:
    """Why an exact method is cheaper than NSGA-II on ``problem``, or ``None``.

    The test, cheap and exact: NSGA-II will evaluate ``evaluations`` decisions (population x
    generations; duplicates are eliminated, so it never needs more). When the problem's decisions
    are integers with finite bounds and there are no more distinct decisions than that, NSGA-II
    does at least the work of enumerating them all, and still proves nothing, while an exact
    method (epsilon, or weighted for the supported points) returns the proven front; on
    ``tiny_cost.toml`` (12 binaries: 4,096 decisions against 20,000 evaluations) NSGA-II took
    109 s for the two points the weighted sum finds in 8 s.
    """
    from solvers.moea import variable_kind

    kind = variable_kind(problem)
    if kind == "float":
        return None
    if kind == "bool":
        count = 2 ** int(problem.n_var) if problem.n_var < 64 else math.inf
        what = f"{problem.n_var} binaries"
    else:
        xl, xu = np.broadcast_to(problem.xl, problem.n_var), np.broadcast_to(problem.xu, problem.n_var)
        if not (np.all(np.isfinite(xl)) and np.all(np.isfinite(xu))):
            return None
        count = math.prod(int(hi - lo + 1) for lo, hi in zip(xl, xu, strict=True))
        what = f"{problem.n_var} integer variables"
    if count > evaluations:
        return None
    return (f"this decision space has {count:,} decisions ({what}), no more than the {evaluations:,} "
            "evaluations NSGA-II will make: an exact method is cheaper and proves its front -- "
            "--method epsilon (every non-dominated point) or --method weighted (the supported ones)")


def seeds_advice(found: int, weights: int, seconds: float) -> str | None:
    """The MILP seeds are a small weighted-sum front: when ``weights`` of them found at most two
    distinct points, the front is likely tiny and the exact methods find it for a few solves
    more (a hint, not a proof: a weighted sum misses unsupported points)."""
    if found > 2:
        return None
    return (f"the {weights} weighted-sum MILP seeds ({seconds:.2g} s) found only {found} distinct point(s): "
            "the front looks tiny, and --method weighted or --method epsilon would find it exactly for a "
            "few more solves")


def read_reference_front(path: str, objectives: list[str]) -> np.ndarray:
    import pandas as pd

    file = Path(path)
    if not file.is_file():
        raise UsageError(f"--reference-front: file not found: {file}")
    df = pd.read_csv(file)
    if all(n in df.columns for n in objectives):
        return df[objectives].to_numpy(dtype=float)
    numeric = df.select_dtypes("number")
    if numeric.shape[1] < len(objectives):
        raise InstanceError(file=file, expected=f"{len(objectives)} numeric columns",
                            found=f"{numeric.shape[1]}")
    return numeric.iloc[:, -len(objectives):].to_numpy(dtype=float)


def _how_it_ended(result: Any) -> str:
    """The front line's verdict: exact, or why the run ended before its end (the notes say more).

    NSGA-II stopping by itself is pymoo's own end (no decision left to breed), not a front cut
    short: it is said as such, not as "INCOMPLETE".
    """
    settings = result.settings or {}
    text = " (exact: every non-dominated point)" if result.exact else ""
    if settings.get("stopped_early"):
        return (text + f" -- stopped early after {settings.get('generations_run')} of "
                f"{settings.get('generations')} generations: no new decision to breed")
    if result.complete:
        return text
    if settings.get("interrupted"):
        return text + " -- INCOMPLETE: interrupted, the points found so far"
    return text + " -- INCOMPLETE"


def reference_note(scores: dict[str, Any], n: int) -> str:
    """The line that states a front's scores against a known front (the summary's and a note)."""
    return (f"vs reference front ({n} points): IGD+ {scores['igd_plus']:.4g}, hypervolume ratio "
            f"{scores['hypervolume_ratio']:.4f} (this front's hypervolume / the reference's)")


def scored(result: Any, reference: np.ndarray, source: str | None = None) -> Any:
    """``result`` with its scores against a known ``reference`` front stated: a note (printed in
    the summary, shown in a notebook) and ``settings["reference_front"]`` (in ``pareto.json``).

    Scored on the reference front's own scale (:func:`solvers.pareto.reference_scores`), so
    every method's run against one reference is comparable; an empty front scores nothing.
    """
    import dataclasses

    if not len(result):
        return result
    scores = result.reference_scores(reference)
    entry = {"source": source, "points": len(reference),
             "hypervolume_ratio": scores["hypervolume_ratio"], "igd_plus": scores["igd_plus"],
             "hypervolume": scores["hypervolume"], "reference_hypervolume": scores["reference_hypervolume"]}
    return dataclasses.replace(result, settings={**result.settings, "reference_front": entry},
                               notes=(*result.notes, reference_note(scores, len(reference))))


def summary_text(result: Any, reference: np.ndarray | None, topsis_weights: list[float] | None) -> str:
    from optmodels.report import table_text

    lines = [f"Pareto front by {result.method}: {len(result)} non-dominated points" + _how_it_ended(result)]
    lines += [f"  note: {n}" for n in result.notes]
    if result.hypervolume is not None:
        lines.append(
            f"  hypervolume {result.hypervolume:.6g} (objectives normalised by ideal "
            f"{np.round(result.ideal, 6).tolist()} and nadir {np.round(result.nadir, 6).tolist()}; "
            f"reference point {np.round(result.reference_point, 6).tolist()} = 1.1 per axis)"
        )
    if reference is not None and len(result) and "reference_front" not in result.settings:
        lines.append(f"  {reference_note(result.reference_scores(reference), len(reference))}")
    t = result.timings
    parts = ", ".join(f"{label} {t[key]:.2f} s" for key, label in
                      (("problem", "problem"), ("seeds", "MILP seeds"), ("nsga2", "NSGA-II"),
                       ("payoff_table", "payoff table"), ("weights", "weights"), ("grid", "grid"))
                      if isinstance(t.get(key), (int, float)) and math.isfinite(t[key]))
    lines.append(f"  solves/evaluations {result.solves}, time {t.get('total', 0):.2f} s wall"
                 + (f" ({parts})" if parts else ""))
    if len(result):
        frame = result.frame(topsis_weights=topsis_weights)
        knee = int(np.flatnonzero(frame["knee"].to_numpy())[0])
        best = int(np.argmin(frame["topsis_rank"].to_numpy()))
        for label, i in (("knee point", knee), ("TOPSIS best", best)):
            values = ", ".join(f"{n}={v:.6g}" for n, v in zip(result.objectives, result.points[i], strict=False))
            lines.append(f"  {label}: {values}  [{result.summaries[i] if result.summaries else ''}]")
        rows = frame.head(20).to_dict("records")
        lines.append(table_text(rows, [*result.objectives, "topsis_rank"]))
        if len(frame) > 20:
            lines.append(f"  ... {len(frame) - 20} more points (see front.csv)")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    import dataclasses

    from optmodels.argtypes import solve_options
    from optmodels.io import atomic_output_dir, stdout_to_stderr
    from solvers.executor import SchedulerError
    from solvers.interrupt import interruptible
    from solvers.pareto import plot_front, write_front_csv, write_pareto_json

    if (args.file is None) == (args.model is None):
        raise UsageError("give an instance FILE or --model FILE.py:FUNCTION (exactly one)")
    # With a scheduler, --workers is the number of blocks the work is split into (default: four
    # per worker thread of the cluster); without one, the local pool's size.
    blocks = args.workers if args.scheduler else None
    if args.workers is None:
        args.workers = 1 if args.scheduler else default_workers()
    args.blocks = blocks
    extra = highs_options(args.solver_option)
    source = user_source(args) if args.model else family_source(args)
    p = len(source.objectives)
    topsis_weights = _floats(args.topsis_weights, "--topsis-weights", p)
    if topsis_weights is not None and (min(topsis_weights) < 0 or sum(topsis_weights) <= 0):
        raise UsageError("--topsis-weights: expected non-negative weights with a positive sum")
    reference = (read_reference_front(args.reference_front, list(source.objectives))
                 if args.reference_front else None)
    if args.out:
        from optmodels.io import check_output_dir

        check_output_dir(args.out)  # before the front: a bad --out must not cost the work
    if args.report:
        from optmodels.htmlreport import check_report_flag

        check_report_flag(args.out)
    t0 = time.perf_counter()
    try:
        options = solve_options(args)
        if source.tune is not None:
            options = source.tune(options)
        if extra:  # the user's HiGHS options win over the family's tuning
            try:
                options = dataclasses.replace(options, solver_options={**options.solver_options, **extra})
            except ValueError as exc:  # SolveOptions' own bounds (e.g. threads)
                raise UsageError(f"--solver-option: {exc}") from None
        # with --json nothing the front's solves write (a solver log with -v) may reach stdout
        with stdout_to_stderr(getattr(args, "json", False)), interruptible() as scope:
            result = compute_front(source, args, options)
    except SchedulerError as exc:  # before any task ran: the address is the user's to fix
        raise UsageError(f"--scheduler {exc}") from None
    except RuntimeError as exc:  # the payoff table found no optimum: infeasible or unbounded
        print(f"optmodels: no front: {exc}", file=sys.stderr)
        return 1
    if reference is not None:
        result = scored(result, reference, args.reference_front)
    as_json = getattr(args, "json", False)  # front() (optmodels.pareto) passes no such flag
    # the human summary: on stdout, or on stderr beside --json's document (none with -q --json)
    out = sys.stdout if not as_json else None if getattr(args, "quiet", False) else sys.stderr
    say = (lambda text: print(text, file=out)) if out is not None else (lambda text: None)
    say(f"{source.label}: objectives " + objectives_text(source))
    say(summary_text(result, reference, topsis_weights))
    extra = {"source": source.label, "command": " ".join(sys.argv)}
    if args.out:
        from optmodels.report import use_agg

        use_agg()
        with atomic_output_dir(args.out) as tmp:
            write_front_csv(result, tmp / "front.csv", topsis_weights=topsis_weights)
            extra["wall_seconds"] = time.perf_counter() - t0
            write_pareto_json(result, tmp / "pareto.json", **extra)
            if len(result):
                plot_front(result, tmp / "front.png", reference_front=reference, labels=source.labels)
        say(f"wrote {args.out}/front.csv, pareto.json" + (", front.png" if len(result) else ""))
        if args.report:
            from optmodels.htmlreport import write_report

            say(f"wrote {write_report(args.out)}")
    if as_json:
        from optmodels.io import json_text
        from solvers.pareto import json_safe

        extra.setdefault("wall_seconds", time.perf_counter() - t0)
        sys.stdout.write(json_text({**result.to_dict(), **json_safe(extra)}))
        sys.stdout.flush()
    code = 0
    if not len(result):
        print("optmodels: no feasible point found", file=sys.stderr)
        code = 1
    if scope.signal == signal.SIGTERM:
        print("optmodels: terminated (SIGTERM); the front above holds the points found so far",
              file=sys.stderr)
        return 128 + signal.SIGTERM  # 143: what a batch scheduler reads as "stopped by SIGTERM"
    if scope.requested or result.settings.get("interrupted"):
        # the README's contract: a run cut short by Ctrl-C exits 130, as `solve` does after
        # writing its incumbent -- the partial front is written all the same
        print("optmodels: interrupted; the front above holds the points found so far", file=sys.stderr)
        return 130
    return code


# --------------------------------------------------------------------------------------------
# From Python: optmodels.pareto(...)
# --------------------------------------------------------------------------------------------


def front(
    fam: Any,
    instance: Any,
    label: str,
    *,
    method: str = "epsilon",
    objectives: Any = None,
    options: Any = None,
    points: int = 21,
    sampled: bool = False,
    nadir: Any = None,
    workers: int | None = 1,
    pop_size: int = 100,
    generations: int = 200,
    seed: int = 0,
    seed_milp: int = 5,
    repair: bool = True,
    progress: bool = False,
    reference_front: Any = None,
) -> Any:
    """The front of a validated instance, computed exactly as ``optmodels pareto`` computes it
    (the same sources, methods, family tuning and NSGA-II advice); ``optmodels.pareto`` is the
    public face. Returns the :class:`solvers.pareto.ParetoResult` with the family's axis labels;
    with ``reference_front`` (a CSV path as ``--reference-front`` takes, or an array of points in
    the objectives' order) its scores against that front are stated (:func:`scored`)."""
    import dataclasses

    from solvers import SolveOptions

    method = {"weighted_sum": "weighted"}.get(method, method)
    if method not in METHODS:
        from optmodels.errors import bad_choice

        raise bad_choice("method", method, f"expected one of {', '.join(METHODS)}")
    if objectives is not None and not isinstance(objectives, str):
        objectives = ",".join(map(str, objectives))
    source = instance_source(fam, instance, label, objectives)
    if nadir is not None and not isinstance(nadir, str):
        nadir = ",".join(map(str, nadir))
    args = argparse.Namespace(
        method=method, points=points, sampled=sampled, nadir=nadir,
        workers=default_workers() if workers is None else workers, scheduler=None, blocks=None,
        pop_size=pop_size, generations=generations, seed=seed, seed_milp=seed_milp,
        no_repair=not repair, no_progress=not progress,
    )
    options = source.tune(options or SolveOptions()) if source.tune is not None else (options or SolveOptions())
    t0 = time.perf_counter()
    try:
        result = compute_front(source, args, options)
    except RuntimeError as exc:  # the payoff table found no optimum: infeasible or unbounded
        raise UsageError(f"no front: {exc}") from exc
    timings = dict(result.timings)
    timings.setdefault("total", time.perf_counter() - t0)
    result = dataclasses.replace(result, labels=source.labels or {}, timings=timings)
    if reference_front is None:
        return result
    if isinstance(reference_front, (str, Path)):
        return scored(result, read_reference_front(str(reference_front), list(source.objectives)),
                      str(reference_front))
    reference = np.atleast_2d(np.asarray(reference_front, dtype=float))
    if reference.shape[1] != len(source.objectives):
        raise UsageError(f"reference_front: expected {len(source.objectives)} values per point (one per "
                         f"objective: {', '.join(source.objectives)}), found {reference.shape[1]}")
    return scored(result, reference)
