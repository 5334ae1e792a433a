"""Prepare training sub-images (index + arrays) and test sets from the profile's HR sources.

With --verify, checks an existing prepared folder instead: checksums against its manifest and LR patch counts at
32/28 per test set (the authors' processed Test2K/4K/8K must give 12,320 / 51,040 / 296,412).
"""
from __future__ import annotations

import argparse
import sys

import pandas as pd

from ..data.manifest import check_manifest, patch_counts
from ..data.prepare import prepare
from ..plan.layout import DATA_SUMMARY, MANIFEST
from .common import add_profile_arguments, plan_from


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_profile_arguments(parser)
    parser.add_argument("--force", action="store_true", help="prepare again even if the folder is complete")
    parser.add_argument("--verify", action="store_true", help="verify the prepared folder instead of preparing")


def run(args: argparse.Namespace) -> int:
    plan = plan_from(args)
    if args.verify:
        return verify(plan.data_dir)
    reused = (plan.data_dir / MANIFEST).is_file() and not args.force
    prepare(plan.profile.data, plan.data_dir, force=args.force)  # a reused folder is checked against the sources
    print(pd.read_csv(plan.data_dir / DATA_SUMMARY).to_string(index=False))
    print(f"already prepared from the same data config and source images, reused: {plan.data_dir} (--force "
          "prepares it again)" if reused else f"prepared data in {plan.data_dir}")
    return 0


def verify(out) -> int:
    problems = check_manifest(out)
    counts = patch_counts(out)
    print(counts.drop(columns="problem").to_string(index=False))
    for p in problems[:20]:
        print(f"manifest: {p}", file=sys.stderr)
    for row in counts[counts["problem"] != ""].itertuples():
        print(f"test set {row.set}: {row.problem}", file=sys.stderr)
    bad = counts[~counts["ok"].astype(bool)]
    if problems or not bad.empty:
        print(f"verification FAILED: {len(problems)} manifest problem(s), {len(bad)} test set(s) with unexpected "
              "patch counts or unreadable", file=sys.stderr)
        return 1
    print(f"verified {out}: every file matches its checksum")
    return 0
