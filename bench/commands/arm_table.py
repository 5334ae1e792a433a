"""Build the edge-to-PSNR lookup table of a trained ARM supernet (Chen et al., ECCV 2022; arm.md §2.2) and write it
as a tidy CSV (path, flops_paper, bin, centre, psnr_db), which ``load_arm(..., lut=<csv>)`` and ``evaluate --arch
arm_<backbone> --lut <csv>`` read.

ARM calibrates on DIV2K's validation sub-images; a prepared data folder of this suite holds training sub-images
only, so the table is built from ``--patches`` of them drawn with ``--seed`` — stated in the caption of every ARM
result (the patches the routing was calibrated on were seen in training).
"""
from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from ..arm import routing as routing
from ..arm.tables import ARM_WIDTHS
from ..device import pick_device
from ..data.subimages import SubImages
from ..plan.layout import train_index
from ..models import load_arm
from ..provenance import write_atomic
from .common import limit_threads


#: Output files checked writable before the work (bench.cli.check_arguments).
OUTPUT_FILES = ("out",)

def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="the supernet (ARM's key format, e.g. runs/<b>/arm/model.pth)")
    parser.add_argument("--backbone", required=True, choices=sorted(ARM_WIDTHS))
    parser.add_argument("--data", required=True, help="prepared data folder (its train/subimages.csv)")
    parser.add_argument("--patches", type=int, default=20000, help="sub-images to calibrate on (default 20000)")
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--scale", type=int, default=4)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--out", required=True, help="CSV to write")


def run(args: argparse.Namespace) -> int:
    limit_threads()
    if args.patches < 1:
        raise ValueError(f"--patches must be ≥ 1, got {args.patches}")
    index = pd.read_csv(train_index(args.data))
    pick = np.sort(np.random.default_rng(args.seed).permutation(len(index))[:args.patches])
    data = SubImages(args.data, index, scale=args.scale)
    arm = load_arm(args.backbone, args.model, scale=args.scale).to(pick_device(args.device))
    arm.calibrate_batches(data.crop(pick[i:i + 256]) for i in range(0, len(pick), 256))
    frame = routing.table_frame(arm.lut, arm.centres, arm.costs())
    write_atomic(args.out, lambda tmp: frame.to_csv(tmp, index=False))
    empty = np.flatnonzero(np.isnan(arm.lut[0]))
    best = np.nan_to_num(arm.lut, nan=-np.inf).argmax(0).tolist()
    print(f"{args.out}: {len(pick)} sub-images, {arm.lut.shape[1]} bins ({len(empty)} empty); best path per bin {best}")
    if len(empty):  # ARM's rule sends a patch of an empty (NaN) bin to the bicubic path at every knob
        print(f"warning: bins {empty.tolist()} (edge scores near {np.round(arm.centres[empty], 1).tolist()}) held no "
              "calibration patch: test patches there take the bicubic path at every knob; raise "
              "arm.calibration_patches (--patches)")
    return 0
