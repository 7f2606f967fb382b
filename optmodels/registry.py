"""The families the suite knows, by the name instance files give in ``family``.

A family is added by adding its folder (with a ``family.py`` that builds its
:class:`~optmodels.contract.Family`) and one line in :data:`FAMILIES`. The CLI, the front-ends,
sweeps and benchmarks reach families only through :func:`family` / :func:`family_of`.

Each family module is imported on first use: ``optmodels --help`` and a solve of one family do
not pay for importing the others.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from optmodels.contract import Family
from optmodels.errors import InstanceError, bad_choice

#: family name -> the module that defines its ``FAMILY``
FAMILIES: dict[str, str] = {
    "equipment": "optmodels.equipment.family",
    "pricing": "optmodels.pricing.family",
    "siting": "optmodels.siting.family",
}


def names() -> tuple[str, ...]:
    return tuple(FAMILIES)


def family(name: str) -> Family:
    """The :class:`Family` called ``name`` (a :class:`~optmodels.errors.UsageError` names the
    known ones)."""
    if not isinstance(name, str) or name not in FAMILIES:
        raise bad_choice("family", name, f"expected one of {', '.join(FAMILIES)}")
    found = importlib.import_module(FAMILIES[name]).FAMILY
    if not isinstance(found, Family) or found.name != name:
        raise TypeError(f"{FAMILIES[name]}.FAMILY is not the {name} family")
    return found


def family_of(path: str | Path) -> Family:
    """The family an instance file names in ``family``, checked against the registry."""
    from optmodels.io import document_family, read_document

    name = document_family(read_document(path), path)
    if name not in FAMILIES:
        raise InstanceError(file=path, field="family", expected="one of " + ", ".join(FAMILIES), found=name)
    return family(name)


def load_instance(path: str | Path) -> tuple[Family, Any]:
    """Read and validate any instance file; returns ``(family, instance)``."""
    fam = family_of(path)
    return fam, fam.load(path)
