"""One width of an ARM supernet (Chen et al., ECCV 2022; arm.md §1.1) as a standalone network in the authors' key
format: the leading corner of every tensor. ``train.branch_source: arm`` uses these as ClassSR's branches and -O,
so ClassSR can be trained and judged on DIV2K-trained networks (ARM's released files) instead of branches trained
here at a CPU budget — and set beside ARM's own routing of the identical networks.
"""
from __future__ import annotations

import argparse

import torch

from ..arm.tables import ARM_WIDTHS
from ..models import export_official, load_arm
from ..provenance import save_torch

#: Output files checked writable before the work (bench.cli.check_arguments).
OUTPUT_FILES = ("out",)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="the supernet (ARM's key format: ckpt/arm-<b>.pth or a run's)")
    parser.add_argument("--backbone", required=True, choices=sorted(ARM_WIDTHS))
    parser.add_argument("--width", type=int, required=True, help="one of the supernet's widths")
    parser.add_argument("--scale", type=int, default=4)
    parser.add_argument("--out", required=True, help="model.pth to write (the authors' key format)")


def run(args: argparse.Namespace) -> int:
    arm = load_arm(args.backbone, args.model, scale=args.scale)
    net = arm.subnet(args.width)
    save_torch(args.out, export_official(net))
    print(f"{args.backbone} width {args.width} of {args.model}: {sum(p.numel() for p in net.parameters()):,} "
          f"parameters → {args.out}")
    return 0
