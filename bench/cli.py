"""Command-line entry point: one sub-command per verb, each implemented in its own module."""
from __future__ import annotations

import argparse
import os
import sys

from .commands import flops, prepare, split, train

#: verb -> module with ``add_arguments(parser)`` and ``run(args) -> int``; one line per verb.
VERBS = {
    "flops": flops,
    "prepare": prepare,
    "split": split,
    "train": train,
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
    except (FileNotFoundError, ValueError, KeyError, TypeError, RuntimeError) as e:
        if os.environ.get("BENCH_TRACEBACK"):
            raise
        print(f"error: {e}", file=sys.stderr)
        return 2
