"""Evaluate one model (authors' checkpoint format) on one prepared test set: one CSV row per image.

Columns: RGB/Y PSNR (dB) and SSIM with a scale-px crop and without one (``_crop0``), the inference run (grid or
whole image) and the RGB PSNR under each inference the model can run (``psnr_rgb_grid_db``, ``psnr_rgb_whole_db``), patch and per-class counts, FLOPs per patch (paper
convention, authors' bookkeeping, true MACs), wall time (ms). --routing and --sample also store the class of every
patch and the first SR image, for the class-map figure. ``--arch bicubic`` (no --model) evaluates the zero-FLOPs
MATLAB-bicubic reference on the same grid and crop.

A ClassSR model that sends ≥ 95 % of the test set's patches to one class is reported as collapsed in the log
(and flagged in the tables).
"""
from __future__ import annotations

import argparse

import torch

from ..analysis.evaluate import BICUBIC, evaluate, evaluate_bicubic
from ..profile import ArmConfig
from ..provenance import write_atomic
from ..device import pick_device
from .common import add_engine_arguments, add_model_arguments, limit_threads, load_model


#: Output files checked writable before the work (bench.cli.check_arguments).
OUTPUT_FILES = ("out", "routing", "sample")

def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_model_arguments(parser)  # --model, --arch (also bicubic, arm_<backbone>), --method, --backbone
    parser.add_argument("--id", help="model id in the tables: original or a variant id (default: --arch)")
    parser.add_argument("--out", required=True, help="CSV to write")
    parser.add_argument("--routing", help="also write the class of every patch (ClassSR)")
    parser.add_argument("--sample", help="also write the SR of the first image as PNG")
    parser.add_argument("--lut", default="released",
                        help="ARM (--arch arm_<backbone>): its lookup table — released (ARM's, FSRCNN/CARN), ARM's "
                             ".state or this suite's table CSV (python -m bench arm-table)")
    parser.add_argument("--knobs", nargs="+", default=[str(k) for k in ArmConfig().knobs],
                        help="ARM: knobs of the sweep — k (η = k·C_3), e<j> (path j forced) or best; default the "
                             "profile's (arm.knobs): ARM's test mode, e1 e2 e3 and k 0.5 … 32")
    parser.add_argument("--no-other-inference", dest="other_inference", action="store_false",
                        help="skip the second pass under the model's other inference (whole image / grid) that "
                             "fills psnr_rgb_grid_db and psnr_rgb_whole_db (profile key evaluate.other_inference)")
    add_engine_arguments(parser)


def run(args: argparse.Namespace) -> int:
    limit_threads()
    if args.arch == BICUBIC and not args.method:
        df = evaluate_bicubic(testset=args.testset, scale=args.scale, coverage=args.coverage).assign(device="cpu")
    elif (args.arch or "").startswith("arm_"):
        df = _evaluate_arm(args)
    else:
        device = pick_device(args.device)
        model, backbone = load_model(args, device)
        df = evaluate(model, backbone=backbone, model_id=args.id or args.method or args.arch,
                      testset=args.testset, batch_size=args.batch_size, coverage=args.coverage,
                      other_inference=args.other_inference, routing_out=args.routing, sample_out=args.sample)
        df["device"] = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    write_atomic(args.out, lambda tmp: df.to_csv(tmp, index=False))
    shown = [c for c in ("model", "image", "psnr_rgb_db", "patches", "flops_paper", "time_ms") if c in df]
    print(df[shown].to_string(index=False))
    warning = "" if "knob" in df else collapse_warning(df)  # ARM's forced knobs route everything to one path
    if warning:
        print(f"warning: {warning}")
    return 0


def _evaluate_arm(args: argparse.Namespace):
    """ARM's η sweep (Chen et al., ECCV 2022) under this suite's protocol: one row per (knob, image)."""
    from ..arm.tables import parse_knob
    from ..arm.evaluate import evaluate_arm
    from ..models import load_arm

    if len(args.model) != 1:
        raise ValueError(f"--arch {args.arch} needs one --model (ARM's supernet checkpoint, e.g. ckpt/arm-fsrcnn.pth)")
    device = pick_device(args.device)
    lut = None if args.lut == "released" else args.lut
    arm = load_arm(args.arch.removeprefix("arm_"), args.model[0], scale=args.scale, lut=lut).to(device)
    df = evaluate_arm(arm, testset=args.testset, knobs=[parse_knob(k) for k in args.knobs],
                      model_id=args.id or "arm", batch_size=args.batch_size, coverage=args.coverage)
    return df.assign(device=torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu")


def collapse_warning(df) -> str:
    """Non-empty when one class receives ≥ COLLAPSE of all the test set's patches (a collapsed routing)."""
    from ..report.tables import COLLAPSE

    counts = df[[c for c in df.columns if c.startswith("n_class")]].sum()
    if counts.empty or counts.sum() == 0:
        return ""
    top = counts.idxmax()
    share = counts[top] / counts.sum()
    if share < COLLAPSE:
        return ""
    return (f"routing collapsed: {100 * share:.1f} % of {int(counts.sum())} patches go to class "
            f"{top.removeprefix('n_class')} (threshold {100 * COLLAPSE:.0f} %)")
