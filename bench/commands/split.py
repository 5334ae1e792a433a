"""Split the training sub-images into classes by a reference MSRResNet's PSNR (writes a class table CSV).

The reference is --reference (an authors'-format MSRResNet checkpoint), else split.reference_checkpoint, else the
profile's stage-0 run (which must exist: `python -m bench train --stage reference`).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from ..train.pipeline import class_split
from .common import add_profile_arguments, limit_threads, plan_from


#: Output files checked writable before the work (bench.cli.check_arguments).
OUTPUT_FILES = ("out",)

def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_profile_arguments(parser)
    parser.add_argument("--reference", help="MSRResNet checkpoint to split with")
    parser.add_argument("--num-classes", type=int, help="number of classes M (default: split.num_classes)")
    parser.add_argument("--out", help="class table CSV (default: <runs>/split_m<M>/classes.csv)")


def run(args: argparse.Namespace) -> int:
    limit_threads()
    plan = plan_from(args)
    profile = plan.split_profile(args.num_classes) if args.num_classes else plan.profile
    reference = Path(args.reference) if args.reference else plan.reference_model()
    if not reference.is_file():
        raise FileNotFoundError(f"reference network {reference} missing: train it with "
                                "`python -m bench train --stage reference` or set split.reference_checkpoint")
    out = Path(args.out) if args.out else plan.classes(profile.split.num_classes)
    table = class_split(profile, plan.data_dir, reference, out)
    counts = table["class"].value_counts().sort_index()
    print(f"{len(table)} sub-images → classes {counts.to_dict()} (0 = simple); PSNR "
          f"{table['psnr_db'].min():.2f}–{table['psnr_db'].max():.2f} dB; wrote {out}")
    return 0
