"""The frozen benchmark cases and the profiles that select them.

A :class:`Case` is everything needed to reproduce one run: family, model, how the instance is
made (generator parameters and seed, a shipped file, or an OR-Library file), the solve
options, and -- when one is known -- the optimum the run must reproduce. Cases are plain
frozen dataclasses so the registry below reads as a table and a run can be echoed exactly.

Profiles
--------
``quick``
    seconds; the CI smoke test (tiny instances with known optima from each family).
``standard``
    minutes; every family at growing sizes, including p-median 1000 x 100, siting 2000 x 200
    and equipment 31 regions x 300 hospitals x 5 years (the scales an analyst meets).
``full``
    everything in ``standard`` plus all 40 OR-Library p-median instances and larger
    synthetic cases.

Design choice: profiles are nested (quick is in standard is in full) so that a number in the
``standard`` table is always comparable with the same case in ``full``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def _instances_dir() -> Path:
    """Where the files the cases read are: the copy installed with the package, else the
    repository's ``instances/``.

    ``pip install .`` ships them as the package ``benchmarks.instances``, whose folder in the
    repository is ``instances/`` itself (``[tool.setuptools]`` in ``pyproject.toml``: one copy of
    the data, no second folder to keep in step), so ``optmodels bench`` runs from any directory.
    A checkout or an editable install has no ``benchmarks/instances/`` and reads the repository's
    folder, which holds the same files.
    """
    installed = Path(__file__).resolve().parent / "instances"
    return installed if installed.is_dir() else REPO / "instances"


INSTANCES = _instances_dir()

PROFILES = ("quick", "standard", "full")


def orlib_dir() -> Path:
    """The shipped OR-Library p-median files (``instances/orlib/``, with their manifest)."""
    return INSTANCES / "orlib" / "pmed"


@dataclass(frozen=True)
class Case:
    """One benchmark case.

    Parameters
    ----------
    name
        unique id, used in tables and plots.
    family, model
        suite family and the model (or objective) solved.
    source
        ``generate`` (family generator with ``params`` and ``seed``), ``file`` (a shipped
        instance, ``params["file"]`` relative to ``instances/``) or ``orlib``
        (``params["file"]`` in ``instances/orlib/pmed``).
    params
        generator arguments or file name.
    document
        top-level fields set on the generated document before it is validated (e.g. the plain
        textbook parameters of a synthetic siting case).
    objective
        the objective solved (``None``: the family's default for the instance).
    strategy
        time the family's whole ``solve`` (its strategy: equipment's lazy Gini band, the radius
        p-median's row generation) rather than one plain model built by ``Family.build``.
    size_label
        human size ("1000x100", "31x300x5").
    time_limit, mip_rel_gap
        solve options (``None``: HiGHS defaults). A run stopped by the limit is reported with
        its gap, never as optimal.
    known_optimum, tolerance
        the value the run must reproduce (relative tolerance); ``None`` when unknown.
    profile
        the smallest profile that includes the case.
    peers
        peers that can run the same instance (``highspy``; ``spopt`` for siting).
    """

    name: str
    family: str
    model: str
    source: str
    params: dict[str, Any] = field(default_factory=dict)
    document: dict[str, Any] = field(default_factory=dict)
    objective: str | None = None
    strategy: bool = False
    seed: int = 0
    size_label: str = ""
    time_limit: float | None = 600.0
    mip_rel_gap: float | None = None
    known_optimum: float | None = None
    tolerance: float = 1e-6
    profile: str = "standard"
    peers: tuple[str, ...] = ("highspy",)

    def in_profile(self, profile: str) -> bool:
        return PROFILES.index(self.profile) <= PROFILES.index(profile)

    def data_file(self) -> Path | None:
        """The file the case reads (``None``: the case generates its instance)."""
        if self.source == "file":
            return INSTANCES / self.params["file"]
        if self.source == "orlib":
            return orlib_dir() / self.params["file"]
        return None


def _manifest(folder: str) -> dict[str, Any]:
    """``instances/<folder>/manifest.json``; a missing file is an input error naming it (exit 2
    from ``optmodels bench``), not a traceback."""
    from optmodels.errors import InstanceError

    path = INSTANCES / folder / "manifest.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InstanceError(
            f"the benchmark cases cannot read their manifest ({exc.strerror}); it ships with the "
            "package (benchmarks/instances) or sits in a checkout's instances/ folder", file=path,
        ) from None


def _orlib_optima() -> dict[str, float]:
    """The published optima, from the shipped manifest (instances/orlib/manifest.json)."""
    manifest = _manifest("orlib")
    return {entry["name"]: float(entry["known_optimum"]) for entry in manifest["instances"]}


def _orlib_cases() -> list[Case]:
    optima = _orlib_optima()
    cases = []
    for k in range(1, 41):
        stem = f"pmed{k}"
        cases.append(
            Case(
                name=f"orlib-{stem}",
                family="siting",
                model="p_median",
                source="orlib",
                params={"file": f"{stem}.txt"},
                strategy=True,
                size_label=stem,
                time_limit=600.0,
                known_optimum=optima.get(stem),
                tolerance=1e-9,
                # pmed1 (100 nodes) is the quick smoke case; pmed1-5 are standard
                profile="quick" if k == 1 else ("standard" if k <= 5 else "full"),
            )
        )
    return cases


def _large(nd: int, ns: int) -> dict[str, Any]:
    """Peers and limit by size: spopt + CBC up to 1000 x 100; from 2000 x 200 on, raw highspy
    only (on the model the suite hands HiGHS, so the ratio is the suite's own overhead) under a
    300 s limit: a PuLP + CBC solve of 400k columns would take most of a profile meant to take
    minutes."""
    if nd * ns <= 100_000:
        return {"peers": ("highspy", "spopt")}
    return {"peers": ("highspy",), "time_limit": 300.0}


def _siting_cases() -> list[Case]:
    sizes = [
        (200, 20, "quick"),
        (500, 100, "standard"),
        (1000, 100, "standard"),
        (2000, 200, "standard"),
        (4000, 400, "full"),
    ]

    def synthetic(line: str, model: str, nd: int, ns: int, profile: str, **extra: Any) -> Case:
        # The generator's city with no existing sites, no budget, p = n_sites // 10 and radius
        # 5 km: the textbook models, so spopt solves exactly the same problem.
        plain = {"p": max(1, ns // 10), **({"radius": 5.0} if model == "mclp" else {})}
        return Case(name=f"siting-{line}-{nd}x{ns}", family="siting", model=model, source="generate",
                    params={"demand": nd, "sites": ns, "existing": 0, "model": model},
                    document={"name": f"siting-{line}-{nd}x{ns}", "parameters": plain},
                    size_label=f"{nd}x{ns}", profile=profile, **{**_large(nd, ns), **extra})

    # the suite's own p-median path: row generation on the radius formulation
    out = [synthetic("p_median", "p_median", nd, ns, prof, strategy=True) for nd, ns, prof in sizes]
    # the assignment formulation (x_ij <= y_j) beside the radius path, for the overhead question
    out += [synthetic("p_median_assignment", "p_median", nd, ns, "standard", peers=("highspy",))
            for nd, ns in [(500, 100), (1000, 100)]]
    out += [synthetic("mclp", "mclp", nd, ns, prof) for nd, ns, prof in sizes[1:]]
    return out


def _equipment_cases() -> list[Case]:
    optima = _equipment_optima()
    out = [
        Case(
            name="equipment-tiny_cost",
            family="equipment",
            strategy=True,
            model="cost",
            source="file",
            params={"file": "equipment/tiny_cost.toml"},
            size_label="3x4x3",
            known_optimum=63.75654517954058,
            profile="quick",
        ),
        # instances/equipment/provincial.json, which generate(16, 120, 5, seed=1) writes (a test
        # holds it to that): read, not generated, because the manifest's optimum was proven on
        # the file
        Case(
            name="equipment-16x120x5",
            family="equipment",
            strategy=True,
            model="cost",
            source="file",
            params={"file": "equipment/provincial.json"},
            seed=1,
            size_label="16x120x5",
            known_optimum=optima["provincial.json"],
            tolerance=1e-4,
            profile="standard",
        ),
    ]
    for m, k, n, prof in [(8, 60, 5, "standard"), (24, 200, 5, "standard"), (31, 300, 5, "standard"),
                          (31, 600, 10, "full")]:
        out.append(
            Case(
                name=f"equipment-{m}x{k}x{n}",
                family="equipment",
                strategy=True,
                model="cost",
                source="generate",
                params={"regions": m, "hospitals": k, "years": n},
                size_label=f"{m}x{k}x{n}",
                # the Gini band's sign binaries can make a seed hard: stop at 120 s and report
                # the gap; the raw-highspy peer (a second full solve) only on the smaller cases
                time_limit=120.0,
                profile=prof,
                peers=("highspy",) if k <= 120 else (),
            )
        )
    # The Gini band's lower side binding on purpose (generate(..., band_binding="lower")): the
    # reverse-convex side that needs sign binaries. The note column carries the strategy and the
    # band-free bound (the lazy strategy's first bound); the bound column is the final one.
    # Two of them are shipped instances with proven optima, read from their files (the generator
    # writes those files, a test holds it to that, but the proofs were made on the files): the
    # check column compares a run called optimal with them.
    shipped = {(8, 60, 5, 0, "mean"): "regional_band.json", (16, 120, 5, 1, "mean"): "provincial_band.json"}
    binding = [(8, 60, 5, 0, "mean", "standard", 60.0), (16, 120, 5, 1, "mean", "standard", 300.0),
               (31, 300, 5, 1, "mean", "standard", 300.0), (31, 300, 5, 7, "mean", "standard", 300.0),
               (31, 300, 5, 1, "each_year", "full", 300.0), (31, 300, 5, 7, "each_year", "full", 300.0),
               (31, 600, 10, 1, "mean", "full", 600.0)]
    for m, k, n, seed, mode, prof, limit in binding:
        suffix = "" if mode == "mean" else "-each_year"
        file = shipped.get((m, k, n, seed, mode))
        if file is not None:
            source, params = "file", {"file": f"equipment/{file}"}
        else:
            source = "generate"
            params = {"regions": m, "hospitals": k, "years": n, "band_binding": "lower", "gini_mode": mode}
        out.append(
            Case(
                name=f"equipment-band-lower-{m}x{k}x{n}-s{seed}{suffix}",
                family="equipment",
                strategy=True,
                model="cost",
                source=source,
                params=params,
                seed=seed,
                size_label=f"{m}x{k}x{n}",
                time_limit=limit,
                mip_rel_gap=1e-4,
                known_optimum=None if file is None else optima[file],
                tolerance=1e-4,  # "optimal" at HiGHS's default relative gap
                profile=prof,
                peers=(),
            )
        )
    return out


def _equipment_optima() -> dict[str, float]:
    """The proven optima of the shipped equipment instances, by file (instances/equipment/manifest.json)."""
    manifest = _manifest("equipment")
    return {entry["file"]: float(entry["optimum"]) for entry in manifest["instances"] if "optimum" in entry}


def _pricing_cases() -> list[Case]:
    known = {
        "seed_model1.yaml": 78.58053034450668,
        "seed_model2.yaml": 306.1226712959035,
        "seed_model3.yaml": 404.27810464748643,
        "elastic_model2.yaml": 254.42001709512795,
        # 42,048 fee pairs: the suite enumerates them (hundredths of a second), the plain model
        # (Family.build, the lattice MILP) takes seconds -- the method choice made visible
        "elastic_model2_fine.yaml": 254.4202855476235,
    }
    out = []
    for fname, opt in known.items():
        out.append(
            Case(
                name=f"pricing-{fname.split('.')[0]}",
                family="pricing",
                model="profit",
                source="file",
                params={"file": f"pricing/{fname}"},
                size_label=fname.split(".")[0],
                known_optimum=opt,
                profile="quick" if fname == "seed_model1.yaml" else "standard",
            )
        )
    return out


CASES: tuple[Case, ...] = tuple(
    _siting_cases() + _orlib_cases() + _equipment_cases() + _pricing_cases()
)

FAMILIES = tuple(sorted({c.family for c in CASES}))


def select(profile: str, family: str | None = None, names: list[str] | None = None) -> list[Case]:
    """The cases of ``profile`` (optionally one family, or only cases whose name contains one
    of ``names``), in registry order."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; expected one of {', '.join(PROFILES)}")
    if family is not None and family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; expected one of {', '.join(FAMILIES)}")
    out = [c for c in CASES if c.in_profile(profile) and (family is None or c.family == family)]
    if names:
        out = [c for c in out if any(n in c.name for n in names)]
    return out
