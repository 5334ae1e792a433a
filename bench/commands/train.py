"""Train: the whole chain of the profile (default), or one stage with --stage.

Whole chain: reference MSRResNet → class split → per backbone: branches on class data, the "-O" baseline, ClassSR
with frozen branches, and joint fine-tuning if train.joint. Completed runs are skipped, interrupted ones resumed.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from ..pipeline import run_all
from ..profile import STAGES
from ..train.run import resolve
from ..train.trainer import train
from .common import add_profile_arguments, data_dir, profile_from, runs_dir


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_profile_arguments(parser)
    parser.add_argument("--stage", choices=STAGES, help="run only this stage")
    parser.add_argument("--backbone", help="backbone of the stage (fsrcnn, carn, srresnet, rcan)")
    parser.add_argument("--class-id", type=int, help="branch stage: which class (0 = simple)")
    parser.add_argument("--classes", help="branch stage: class table CSV (default: <runs>/classes.csv)")
    parser.add_argument("--init", nargs="+", default=[], help="classsr: branch checkpoints; joint: ClassSR checkpoint")
    parser.add_argument("--run-dir", help="output folder of the stage (default under <runs>)")


def run(args: argparse.Namespace) -> int:
    profile = profile_from(args)
    data, runs = data_dir(args, profile), runs_dir(args, profile)
    if args.stage is None:
        for name, path in run_all(profile, data, runs).items():
            print(f"{name}: {path}")
        return 0
    if args.stage != "reference" and not args.backbone:
        raise ValueError(f"--stage {args.stage} needs --backbone")
    classes = args.classes or str(runs / "classes.csv")
    cfg = resolve(profile, args.stage, args.backbone or "srresnet", data_dir=str(data), classes_csv=classes,
                  class_id=args.class_id, init=tuple(args.init))
    default = runs / "reference" if args.stage == "reference" else runs / args.backbone / (
        f"branch{args.class_id}" if args.stage == "branch" else args.stage)
    print(train(cfg, Path(args.run_dir) if args.run_dir else default))
    return 0
