"""Split the training sub-images into classes by a reference MSRResNet's PSNR (writes a class table CSV).

The reference is --reference (an authors'-format MSRResNet checkpoint), else split.reference_checkpoint, else the
stage-0 run of the profile (trained first if missing).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from ..pipeline import class_split, reference_checkpoint
from .common import add_profile_arguments, data_dir, profile_from, runs_dir


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_profile_arguments(parser)
    parser.add_argument("--reference", help="MSRResNet checkpoint to split with")
    parser.add_argument("--out", help="class table CSV (default: <runs>/classes.csv)")


def run(args: argparse.Namespace) -> int:
    profile = profile_from(args)
    data, runs = data_dir(args, profile), runs_dir(args, profile)
    reference = Path(args.reference) if args.reference else reference_checkpoint(profile, data, runs)
    out = Path(args.out) if args.out else runs / "classes.csv"
    table = class_split(profile, data, reference, out)
    counts = table["class"].value_counts().sort_index()
    print(f"{len(table)} sub-images → classes {counts.to_dict()} (0 = simple); PSNR "
          f"{table['psnr_db'].min():.2f}–{table['psnr_db'].max():.2f} dB; wrote {out}")
    return 0
