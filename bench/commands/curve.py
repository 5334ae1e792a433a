"""Learning curve of one trained network: every kept snapshot and the final weights evaluated on one prepared test
set with the same engine, grid and crop as ``bench evaluate``.

* a -O network (``train.snapshot_every``): one row per (iteration, image), ``evaluate``'s columns plus
  ``iteration``; the report sets the curve against the test set's MATLAB-bicubic reference (issue 9).
* a ClassSR stage-2 run (``train.stage2_points``, ``--arch classsr_<backbone>``): the same test rows (class counts,
  mean confidence, PSNR, FLOPs) plus, with ``--data``, one ``split = train`` row per iteration with the class
  counts and mean confidence of the Class-Module on ``--train-patches`` training sub-images — so a gap between
  the routing it learns on training data and the one it applies to the test set shows at every iteration
  (issue 22: the Average-Loss balances the training distribution, not the test one).
"""
from __future__ import annotations

import argparse
import re
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ..data.subimages import SubImages
from ..analysis.evaluate import evaluate
from ..plan.layout import train_index
from ..models import ClassSR, load_official
from ..provenance import write_atomic
from ..train.run import RunConfig
from ..device import pick_device
from .common import add_engine_arguments, backbone_of, limit_threads


#: Output files checked writable before the work (bench.cli.check_arguments).
OUTPUT_FILES = ("out",)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--run", required=True, help="finished run folder (model.pth, config.yaml, "
                        "snapshots/iter_*.pth)")
    parser.add_argument("--arch", required=True, help="registry name, e.g. fsrcnn (-O) or classsr_fsrcnn (stage 2)")
    parser.add_argument("--backbone", help="backbone column (default: from --arch, classsr_fsrcnn → fsrcnn)")
    parser.add_argument("--id", default="original", help="model id in the tables (a -O: original; a ClassSR variant)")
    parser.add_argument("--classifier", default="classifier", help="registry name of a ClassSR model's classifier")
    parser.add_argument("--data", help="prepared data folder: also route --train-patches training sub-images")
    parser.add_argument("--train-patches", type=int, default=2048)
    parser.add_argument("--seed", type=int, default=10)
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
    last = RunConfig.load(saved).iterations
    return [p for p in points if p[0] != last] + [(last, final)]


@torch.inference_mode()
def train_routing(model: ClassSR, subs: SubImages, pick: np.ndarray, batch: int = 256) -> dict:
    """Class counts and mean max-probability of the Class-Module on the sub-images ``pick``."""
    device = next(model.parameters()).device
    counts, confidence = np.zeros(model.num_classes, np.int64), []
    for i in range(0, len(pick), batch):
        lr, _ = subs.crop(pick[i:i + batch])
        probs, classes = model.eval().route(lr.to(device))
        counts += np.bincount(classes.cpu().numpy(), minlength=model.num_classes)
        confidence.append(probs.amax(1).cpu().numpy())
    return {"patches": int(counts.sum()), **{f"n_class{k}": int(n) for k, n in enumerate(counts)},
            "mean_max_prob": float(np.concatenate(confidence).mean())}


def run(args: argparse.Namespace) -> int:
    limit_threads()
    device = pick_device(args.device)
    classsr = args.arch.startswith("classsr")
    backbone = args.backbone or backbone_of(args.arch)
    subs, pick = None, None
    if args.data and classsr:
        index = pd.read_csv(train_index(args.data))
        pick = np.sort(np.random.default_rng(args.seed).permutation(len(index))[:args.train_patches])
        subs = SubImages(args.data, index, scale=args.scale)
    frames = []
    for iteration, path in checkpoints(Path(args.run)):
        extra = {"classifier": args.classifier} if classsr else {}
        model = load_official(args.arch, path, scale=args.scale, **extra).to(device)
        df = evaluate(model, backbone=backbone, model_id=args.id, testset=args.testset,
                      batch_size=args.batch_size, coverage=args.coverage)
        frames.append(df.assign(iteration=iteration, split="test"))
        if subs is not None:
            frames.append(pd.DataFrame([{"testset": df["testset"].iloc[0], "backbone": backbone, "model": args.id,
                                         "variant": "classsr", **train_routing(model, subs, pick),
                                         "iteration": iteration, "split": "train"}]))
        print(f"iteration {iteration}: {df['psnr_rgb_db'].mean():.3f} dB (mean over images)")
    curve = pd.concat(frames, ignore_index=True)
    curve["device"] = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    write_atomic(args.out, lambda tmp: curve.to_csv(tmp, index=False))
    return 0
