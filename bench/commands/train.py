"""Train: every run of the profile (default), one stage with --stage, or one resolved run with --run-json.

Whole chain: reference MSRResNet → class split(s) → per backbone and variant: branches on class data, the "-O"
baseline, ClassSR with frozen branches, joint fine-tuning if train.joint. Completed runs are skipped, interrupted
ones resumed. --run-json is what the Snakemake rules call (the job's RunConfig, resolved by bench.plan.dag).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..config import from_dict
from ..plan.dag import MAIN
from ..train.pipeline import run_all
from ..profile import STAGES
from ..train.run import RunConfig
from ..train.trainer import train
from .common import add_profile_arguments, limit_threads, plan_from


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_profile_arguments(parser)
    parser.add_argument("--stage", choices=STAGES, help="run only this stage")
    parser.add_argument("--backbone", help="backbone of the stage (fsrcnn, carn, srresnet, rcan)")
    parser.add_argument("--variant", default=MAIN, help=f"variant id (default {MAIN!r}; or an ablation id)")
    parser.add_argument("--class-id", type=int, help="branch stage: which class (0 = simple)")
    parser.add_argument("--run-json", help="a fully resolved RunConfig as JSON (used by the workflow)")
    parser.add_argument("--run-dir", help="output folder (required with --run-json)")


def run(args: argparse.Namespace) -> int:
    limit_threads()
    if args.run_json:
        if not args.run_dir:
            raise ValueError("--run-json needs --run-dir")
        print(train(from_dict(RunConfig, json.loads(args.run_json), "run"), Path(args.run_dir)))
        return 0
    plan = plan_from(args)
    if args.stage is None:
        for name, path in run_all(plan).items():
            print(f"{name}: {path}")
        return 0
    if args.stage != "reference" and not args.backbone:
        raise ValueError(f"--stage {args.stage} needs --backbone")
    cfg, path = _stage(plan, args)
    print(train(cfg, path.parent))
    return 0


def _stage(plan, args):
    b, v = args.backbone, plan.variants.get((args.backbone, args.variant))
    if args.stage == "reference":
        return plan.reference_run(), plan.reference_model()
    if args.stage == "arm":  # ARM's supernet: no ClassSR variant, its own run folder
        if plan.profile.arm.folder:
            raise ValueError("--stage arm: this profile evaluates ARM's released supernets (arm.folder is set)")
        return plan.arm_run(b), plan.arm_model(b)
    if v is None:
        raise KeyError(f"no variant {args.variant!r} for backbone {b!r}")
    if args.stage == "branch":
        if args.class_id is None:
            raise ValueError("--stage branch needs --class-id")
        tag = plan.tag(b, v.id)
        return plan.branch_run(b, tag, args.class_id), plan.branch_model(b, tag, args.class_id)
    if args.stage == "baseline":
        return plan.baseline_run(b, v.widths[-1]), plan.baseline_model(b, v.widths[-1])
    return plan.variant_run(b, v.id, args.stage), plan.variant_model(b, v.id, args.stage)
