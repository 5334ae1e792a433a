"""Compare result CSVs (a file, or a folder mirrored by the reference folder) with reference CSVs.

Exits 1 and names every drifted value (column, row keys, reference → current, tolerance); tolerances are in
bench/analysis/compare.py: FLOPs exact, PSNR ± 0.05 dB, SSIM ± 0.002, class fractions ± 0.02.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from ..analysis.compare import compare, summary, update
from ..analysis.seed_tolerance import FILE, seed_tolerances
from ..provenance import write_atomic

#: The CSVs of a profile's results folder that make its regression reference.
REFERENCE_FILES = ("eval/summary.csv", "tables/table1.csv", "tables/ablations.csv", "tables/routing_curves.csv",
                   "tables/classifier_efficiency.csv", "tables/arm.csv", "tables/stage2.csv", "tables/protocol.csv",
                   "tables/methods.csv")
#: Reference files a profile may not produce (no registered method): left out of an update when absent.
OPTIONAL_FILES = ("tables/methods.csv",)
#: Routing-curve rows pinned in references: the policies without a data-dependent sweep. The oracle and bias
#: sweeps turn on near-ties between patches' errors, which float differences between machines can flip.
PINNED_POLICIES = ("classifier", "random", "single_branch", "bicubic", "classifier_bicubic")
ROWS = {"tables/routing_curves.csv": lambda df: df["policy"].isin(PINNED_POLICIES)}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("current", help="CSV file or folder of the run to check")
    parser.add_argument("reference", help="reference CSV file or folder (e.g. results/reference/ci)")
    parser.add_argument("--update", action="store_true",
                        help=f"overwrite the reference with the current {', '.join(REFERENCE_FILES)} "
                             "(timing and provenance columns dropped)")
    parser.add_argument("--seed-tolerances", action="store_true",
                        help="with --update: also write tolerances.csv, each model's tolerances from the spread of "
                             "its results over the run's seeds (train.seeds ≥ 2), for trained profiles whose reruns "
                             "elsewhere are another draw (bench/analysis/seed_tolerance.py)")


def run(args: argparse.Namespace) -> int:
    if args.update:
        names = tuple(n for n in REFERENCE_FILES if n not in OPTIONAL_FILES or (Path(args.current) / n).is_file())
        for path in update(args.current, args.reference, names, rows=ROWS):
            print(f"wrote {path}")
        if args.seed_tolerances:
            table = seed_tolerances(pd.read_csv(Path(args.current) / "eval" / "summary.csv"))
            out = Path(args.reference) / FILE
            write_atomic(out, lambda tmp: table.to_csv(tmp, index=False))
            print(f"wrote {out}: seed-spread tolerances of {len(table)} models")
        return 0
    if args.seed_tolerances:
        raise ValueError("--seed-tolerances writes a reference's tolerances: use it with --update")
    problems = compare(args.current, args.reference)
    for p in problems:
        print(p)
    if problems:
        print(f"{summary(problems)} against {args.reference}")
        return 1
    print(f"{args.current} matches {args.reference} within tolerances")
    return 0
