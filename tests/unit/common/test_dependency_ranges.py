"""The declared dependency ranges admit no pair of releases that cannot be imported together,
and the lowest-versions pins are the declared lower bounds.

The pairs below were found by importing each release beside each numpy (none of them is in the
packages' own metadata, so pip's resolver cannot see them): pyarrow 26 refuses numpy 1.x;
pyarrow 14-15 and pandas 2.1-2.2.1 fail beside numpy 2. In the lowest-versions pass of
``.ci/run`` the last test also checks that the pinned pair writes Parquet.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

REPO = Path(__file__).resolve().parents[3]

#: (package, first version that breaks, numpy versions it breaks with)
BROKEN_PAIRS = [
    ("pyarrow", ">=26", "<2"),
    ("pyarrow", "<16", ">=2"),
    ("pandas", "<2.2.2", ">=2"),
]
#: released versions of each package around the breaks (checked against the declared ranges)
RELEASES = {
    "numpy": ["1.26.0", "1.26.4", "2.0.0", "2.4.6"],
    "pyarrow": ["14.0.1", "15.0.2", "16.0.0", "25.0.0", "26.0.0", "26.0.1"],
    "pandas": ["2.1.0", "2.2.1", "2.2.2", "3.0.0"],
}


def _declared() -> dict[str, Requirement]:
    """Every requirement pyproject.toml declares: the dependencies and the extras' (the lowest
    pins cover extras too, e.g. the report extra's folium and plotly)."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    texts = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        texts += [t for t in extra if Requirement(t).name != project["name"]]
    out: dict[str, Requirement] = {}
    for text in texts:
        out.setdefault(Requirement(text).name, Requirement(text))
    return out


def _pins() -> dict[str, str]:
    pins = {}
    for line in (REPO / ".ci" / "constraints-lowest.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.strip()] = version.strip()
    return pins


@pytest.mark.parametrize(("package", "breaking", "numpy"), BROKEN_PAIRS)
def test_no_pair_that_cannot_import_together_is_admitted(package, breaking, numpy):
    declared = _declared()
    admitted = [
        (v, n) for v in RELEASES[package] for n in RELEASES["numpy"]
        if v in declared[package].specifier and n in declared["numpy"].specifier
        and v in SpecifierSet(breaking) and n in SpecifierSet(numpy)
    ]
    assert not admitted, f"{package} {declared[package].specifier} with numpy {declared['numpy'].specifier} admits {admitted}"


def test_the_lowest_pins_are_the_declared_lower_bounds():
    declared = _declared()
    for name, version in _pins().items():
        spec = declared[name].specifier
        assert version in spec, f"{name}=={version} is outside {spec}"
        lower = [s.version for s in spec if s.operator == ">="]
        assert lower, f"{name} has no lower bound"
        assert Version(version).release[: len(Version(lower[0]).release)] == Version(lower[0]).release, \
            f"{name}=={version} does not pin the lower bound {lower[0]}"


def test_the_installed_parquet_engine_imports_with_the_installed_numpy():
    from optmodels.sweep.run import parquet_problem

    assert parquet_problem() is None
