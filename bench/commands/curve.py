"""Learning curve of one trained -O network: every kept snapshot (``train.snapshot_every``) and the final weights
evaluated on one prepared test set with the same engine, grid and crop as ``bench evaluate``.

One row per (iteration, image), with ``evaluate``'s columns plus ``iteration``; the report sets the curve against
the test set's MATLAB-bicubic reference. This is how the suite shows how far a reduced training budget is from
beating bicubic, and what budget would (issue 9: "show the measured learning curve against bicubic").
"""
from __future__ import annotations

import argparse
import re
from pathlib import Path

import pandas as pd
import torch

from ..evaluate import evaluate
from ..models import load_official
from ..provenance import write_atomic
from ..train.run import RunConfig
from ..device import pick_device
from .common import add_engine_arguments, limit_threads


#: Output files checked writable before the work (bench.cli.check_arguments).
OUTPUT_FILES = ("out",)

def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--run", required=True, help="run folder of a -O network (model.pth, config.yaml, "
                        "snapshots/iter_*.pth)")
    parser.add_argument("--arch", required=True, help="registry name of the network, e.g. fsrcnn")
    parser.add_argument("--out", required=True, help="CSV to write")
    add_engine_arguments(parser)


def checkpoints(run: Path) -> list[tuple[int, Path]]:
    """(iteration, weights) of a finished run, in order: its snapshots, then model.pth at the last iteration."""
    final, saved = run / "model.pth", run / "config.yaml"
    for needed in (final, saved):
        if not needed.is_file():
            raise FileNotFoundError(f"{needed} not found: --run must be a finished training run folder")
    points = []
    for path in sorted((run / "snapshots").glob("iter_*.pth")):
        match = re.fullmatch(r"iter_(\d+)\.pth", path.name)
        if match is None:
            raise ValueError(f"{path}: snapshot names are iter_<iteration>.pth")
        points.append((int(match.group(1)), path))
    return points + [(RunConfig.load(saved).iterations, final)]


def run(args: argparse.Namespace) -> int:
    limit_threads()
    device = pick_device(args.device)
    frames = []
    for iteration, path in checkpoints(Path(args.run)):
        model = load_official(args.arch, path, scale=args.scale).to(device)
        df = evaluate(model, backbone=args.arch, model_id="original", testset=args.testset,
                      batch_size=args.batch_size, coverage=args.coverage)
        frames.append(df.assign(iteration=iteration))
        print(f"iteration {iteration}: {df['psnr_rgb_db'].mean():.3f} dB (mean over images)")
    curve = pd.concat(frames, ignore_index=True)
    curve["device"] = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    write_atomic(args.out, lambda tmp: curve.to_csv(tmp, index=False))
    return 0
