"""Latency benchmark: wall time of ClassSR and the original network on one large image, next to FLOPs.

For each backbone (paper widths, random seeded weights; depth as given): modes per_patch (the authors' loop),
batched (this suite's engine) and whole (original network on the full image); ClassSR with its own routing and
forced mixes (simple, hard, mix = 50/20/30). Warm-up, then --repeats runs; median/min/max ms, Mpx/s, FLOPs and
MACs per patch, achieved GFLOP/s, speed-up vs the original and vs the true-MAC ratio, environment columns.
ARM (ECCV 2022) beside them (model "arm", mix = its knob): its supernet at random seeded weights routed by its
released table, edge scoring and lookup included in the time.
"""
from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
import torch

from ..core.images import read_image, to_tensor
from ..backbones import spec, specs
from ..arm.tables import ARM_WIDTHS, RELEASED, parse_knob
from ..models import build, fresh_arm
from ..profile import PerfConfig
from ..analysis.perf import add_ratios, benchmark, environment
from ..provenance import provenance, write_atomic
from ..device import pick_device
from .common import limit_threads


#: Output files checked writable before the work (bench.cli.check_arguments).
OUTPUT_FILES = ("out",)

def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backbones", nargs="+", default=list(specs()), choices=list(specs()))
    parser.add_argument("--image", help="LR image to super-resolve (default: the embedded 'rocket' photo as LR)")
    parser.add_argument("--crop", help="crop the LR image to HxW pixels (top-left), e.g. 200x300")
    parser.add_argument("--size", help="mirror-tile the LR image to HxW pixels, e.g. 1080x1920 (8K output at ×4)")
    parser.add_argument("--modes", nargs="+", default=["per_patch", "batched", "whole"],
                        choices=["per_patch", "batched", "whole"])
    parser.add_argument("--mixes", nargs="+", default=["real", "simple", "hard", "mix"],
                        choices=["real", "simple", "hard", "mix"])
    parser.add_argument("--arm-knobs", nargs="*", default=[str(k) for k in PerfConfig().arm_knobs],
                        help="ARM (Chen et al., ECCV 2022): knobs of its routed inference to time — k (η = k·C_3), "
                             "e<j> or best; none = no ARM. Backbones with an ARM supernet and a released table only")
    parser.add_argument("--method", nargs=4, action="append", default=[],
                        metavar=("NAME", "BACKBONE", "ID", "OPTIONS"),
                        help="a registered method's model (bench.methods) timed beside them on BACKBONE, built by "
                             "the method from its OPTIONS (JSON; e.g. paper widths, seeded random weights); its rows: "
                             "model NAME, mix ID; repeatable")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--batch-size", default="auto",
                        help="patches per forward pass: an int, or auto (measured per branch; default)")
    for backbone, s in specs().items():  # one depth flag per adjustable depth kwarg, e.g. --rcan-groups
        for key, value in s.paper_depth.items():
            parser.add_argument(f"--{backbone}-{key}", type=int, default=value,
                                help=f"{backbone} {key} (paper {value}; fewer for quick runs)")
    parser.add_argument("--layout", default="channels_last", choices=["channels_last", "contiguous"],
                        help="memory layout of the batched engine (per_patch always runs NCHW, as the authors')")
    parser.add_argument("--autocast", default="", choices=["", "bf16", "fp16"], help="mixed precision (default fp32)")
    parser.add_argument("--compile", action="store_true", help="torch.compile every network of the batched modes")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--out", help="CSV to write")


def _lr(args) -> torch.Tensor:
    if args.image:
        img = read_image(args.image)
    else:
        from skimage import data

        img = data.rocket()
    if args.crop:
        h, w = _hw(args.crop, "--crop")
        img = img[:h, :w]
    if args.size:
        h, w = _hw(args.size, "--size")
        pad = ((0, max(0, h - img.shape[0])), (0, max(0, w - img.shape[1]))) + ((0, 0),) * (img.ndim - 2)
        img = np.pad(img, pad, mode="symmetric")[:h, :w]
    return to_tensor(img, name=args.image or "rocket")


def _hw(text: str, flag: str) -> tuple[int, int]:
    try:
        h, w = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise SystemExit(f"{flag} expects HxW in pixels, e.g. 200x300; got {text!r}") from None
    if h <= 0 or w <= 0:
        raise SystemExit(f"{flag} expects positive sizes, got {text!r}")
    return h, w


def _arm(backbone: str, depth: dict, device):
    """ARM's supernet of ``backbone`` with random seeded weights and ARM's released table (the routing depends on
    the table and the image only), or None where ARM has no supernet or released no table."""
    if backbone not in ARM_WIDTHS or backbone not in RELEASED:
        print(f"{backbone}: no ARM supernet with a released lookup table; ARM not timed", flush=True)
        return None
    return fresh_arm(backbone, seed=0, **depth).to(device).eval()


def _others(args, backbone: str, depth: dict, scale: int, device) -> list[tuple]:
    """(name, model, cases) of the methods timed beside ClassSR on ``backbone``: ARM at its knobs, and every
    ``--method`` of this backbone with its own routing (mix ``real``)."""
    from ..arm.evaluate import perf_cases
    from ..methods import get_method

    others = []
    arm = _arm(backbone, depth, device) if args.arm_knobs else None
    if arm is not None:
        others.append(("arm", arm, perf_cases(arm, [parse_knob(k) for k in args.arm_knobs])))
    for name, on, model_id, options in args.method:
        if on != backbone:
            continue
        method = get_method(name)
        if method.perf_model is None:
            raise ValueError(f"--method {name}: the method builds no latency model (Method.perf_model)")
        torch.manual_seed(0)
        model = method.perf_model(backbone=backbone, scale=scale, depth=depth, **_options(name, options))
        if model is not None:  # None: nothing of its own to time (e.g. a plain network the original row times)
            others.append((name, model.to(device).eval(), [(model_id, {})]))
    return others


def _options(name: str, text: str) -> dict:
    import json

    try:
        options = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"--method {name}: OPTIONS is not JSON ({e}): {text!r}") from None
    if not isinstance(options, dict):
        raise ValueError(f"--method {name}: OPTIONS must be a JSON object, got {text!r}")
    return options


def run(args: argparse.Namespace) -> int:
    limit_threads()
    device, lr = pick_device(args.device), _lr(args)
    rows = []
    for backbone in args.backbones:
        torch.manual_seed(0)
        kw = {key: getattr(args, f"{backbone}_{key}") for key in spec(backbone).depth_keys}
        original = build(backbone, width=spec(backbone).paper_widths[-1], **kw).to(device).eval()
        classsr = build(f"classsr_{backbone}", **kw).to(device).eval()
        batch = args.batch_size if args.batch_size == "auto" else int(args.batch_size)
        others = _others(args, backbone, kw, original.scale, device)
        for row in benchmark(original, classsr, lr, modes=args.modes, mixes=args.mixes, repeats=args.repeats,
                             warmup=args.warmup, batch_size=batch, layout=args.layout, autocast=args.autocast,
                             compile=args.compile, others=others):
            rows.append({"backbone": backbone, **row, **{k: str(v) for k, v in kw.items()}})
            print(f"{backbone:9s} {row['model']:8s} {row['mode']:9s} {row['mix']:6s} {row['time_ms']:10.1f} ms",
                  flush=True)
    df = add_ratios(pd.DataFrame(rows)).assign(lr_height=lr.shape[1], lr_width=lr.shape[2], **environment(device),
                                               git_rev=provenance()["git_rev"])
    shown = ["backbone", "model", "mode", "mix", "time_ms", "mpix_per_s", "macs", "gflops_per_s",
             "speedup_vs_original", "mac_ratio", "speedup_over_mac_ratio", "peak_mem_mb"]
    print(df[shown].to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    if args.out:
        write_atomic(args.out, lambda tmp: df.to_csv(tmp, index=False))
    return 0
