"""The families the suite knows, by the name instance files give in ``family``.

A family is added by adding its folder and one line here. Each entry names the module that
implements the family's command hooks (imported only when needed, so ``optmodels --help``
stays fast):

``load(path) -> Instance``
    read and validate an instance file (raises ``InstanceError``);
``add_solve_arguments(parser)`` *(optional)*
    family-specific flags of ``optmodels solve``;
``solve_command(instance, args, options) -> int``
    solve, print the summary, write ``--out`` files; returns the exit code;
``add_generate_parser(subparsers)`` *(optional)*
    the ``optmodels generate <family>`` command;
``add_commands(subparsers)`` *(optional)*
    further top-level commands of the family (analysis tools, figures, converters).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

from optmodels.errors import InstanceError

FAMILIES: dict[str, str] = {
    "equipment": "optmodels.equipment.commands",
    "pricing": "optmodels.pricing.commands",
    "siting": "optmodels.siting.commands",
}


def family_module(name: str) -> ModuleType:
    return importlib.import_module(FAMILIES[name])


def family_of(path: str | Path) -> str:
    """The ``family`` an instance file names, checked against the registry."""
    from optmodels.io import read_document

    data = read_document(path)
    name = data["family"]
    if name not in FAMILIES:
        raise InstanceError(
            file=path,
            field="family",
            expected="one of " + ", ".join(sorted(FAMILIES)),
            found=name,
        )
    return name


def load_instance(path: str | Path):
    """Read and validate any instance file; returns ``(family name, Instance)``."""
    name = family_of(path)
    return name, family_module(name).load(path)
