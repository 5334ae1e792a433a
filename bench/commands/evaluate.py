"""Evaluate one model (authors' checkpoint format) on one prepared test set: one CSV row per image.

Columns: RGB/Y PSNR (dB) and SSIM with a scale-px crop, patch and per-class counts, FLOPs per patch (paper
convention, authors' bookkeeping, true MACs), wall time (ms). --routing and --sample also store the class of every
patch and the first SR image, for the class-map figure.
"""
from __future__ import annotations

import argparse

import torch

from ..evaluate import evaluate
from ..models import load_official
from ..provenance import write_atomic
from ..train.trainer import pick_device
from .common import limit_threads


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="checkpoint (authors' key format)")
    parser.add_argument("--arch", required=True, help="registry name, e.g. fsrcnn or classsr_fsrcnn")
    parser.add_argument("--backbone", required=True)
    parser.add_argument("--id", required=True, help="model id in the tables: original or a variant id")
    parser.add_argument("--testset", required=True, help="prepared test set folder (holds pairs.csv)")
    parser.add_argument("--out", required=True, help="CSV to write")
    parser.add_argument("--routing", help="also write the class of every patch (ClassSR)")
    parser.add_argument("--sample", help="also write the SR of the first image as PNG")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--coverage", default="paper", choices=["paper", "full"],
                        help="paper: the authors' grid (remainder dropped); full: edge-flush patches")
    parser.add_argument("--scale", type=int, default=4)
    parser.add_argument("--device", default="auto")


def run(args: argparse.Namespace) -> int:
    limit_threads()
    device = pick_device(args.device)
    model = load_official(args.arch, args.model, scale=args.scale).to(device)
    df = evaluate(model, backbone=args.backbone, model_id=args.id, testset=args.testset,
                  batch_size=args.batch_size, coverage=args.coverage, routing_out=args.routing,
                  sample_out=args.sample)
    df["device"] = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    write_atomic(args.out, lambda tmp: df.to_csv(tmp, index=False))
    print(df[["image", "psnr_rgb_db", "patches", "flops_paper", "time_ms"]].to_string(index=False))
    return 0
