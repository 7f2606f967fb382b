"""``python -m optmodels.sweep FILE --vary ...``: the sweep command on its own (the same parser
as ``optmodels sweep``), exit 2 on bad input without a traceback."""

from __future__ import annotations

import argparse
import os
import sys

from optmodels.errors import OptmodelsError
from optmodels.sweep import cli


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m optmodels.sweep")
    sub = parser.add_subparsers(dest="command")
    cli.add_parser(sub)
    args = parser.parse_args(["sweep", *(sys.argv[1:] if argv is None else argv)])
    try:
        return int(args.func(args))
    except OptmodelsError as exc:
        print(f"optmodels: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (`... | head`): not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("optmodels: sweep interrupted; rerun the same command to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
