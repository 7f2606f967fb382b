"""Further commands of the siting family, as data: ``optmodels convert orlib-pmed``."""

from __future__ import annotations

import argparse

from optmodels.contract import Command, Flag


def _cmd_convert_pmed(args: argparse.Namespace) -> int:
    from optmodels.siting.data.instance import load
    from optmodels.siting.data.orlib import convert
    from optmodels.siting.family import describe

    out = convert(args.file, args.output)
    print(f"wrote {out} and {out.stem}_edges.csv: {describe(load(out))}")
    return 0


COMMANDS = (
    Command(
        path=("convert", "orlib-pmed"),
        help="OR-Library p-median file -> siting instance (+ edge table)",
        group_help="convert public benchmark files into instance files",
        run=_cmd_convert_pmed,
        flags=(
            Flag(("file",), help="pmedN.txt"),
            Flag(("-o", "--output"), dest="output", required=True, metavar="OUT",
                 help="instance file (.json/.yaml/.toml)"),
        ),
    ),
)
