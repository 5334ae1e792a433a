"""Command-line entry point: one sub-command per verb, each implemented in its own module."""
from __future__ import annotations

import argparse
import sys

from . import flops_table

#: verb -> module with ``add_arguments(parser)`` and ``run(args) -> int``; one line per verb.
VERBS = {
    "flops": flops_table,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description="classsr-bench: reproduce and measure "
                                     "ClassSR (Kong et al., CVPR 2021).")
    sub = parser.add_subparsers(dest="verb", required=True)
    for name, module in VERBS.items():
        module.add_arguments(sub.add_parser(name, help=module.__doc__.strip().splitlines()[0],
                                            description=module.__doc__))
    args = parser.parse_args(argv)
    try:
        return VERBS[args.verb].run(args)
    except (FileNotFoundError, ValueError, KeyError, TypeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
