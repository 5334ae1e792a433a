"""Per-patch routing cache of one ClassSR model on one test set (``bench.analysis.routing``): logits, every branch's and
bicubic's error on every patch, and the parts' costs — what ``report`` derives the routing curves from.

Writes --out (one row per patch) and --costs (FLOPs and MACs per 32×32 patch of each branch, bicubic, the
classifier). One pass of every branch over the test set: about M times the cost of an evaluation.
"""
from __future__ import annotations

import argparse

from ..device import pick_device
from ..provenance import write_atomic
from ..analysis.routing import branch_costs, patch_cache
from .common import add_engine_arguments, add_model_arguments, limit_threads, load_model


#: Output files checked writable before the work (bench.cli.check_arguments).
OUTPUT_FILES = ("out", "costs")

def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_model_arguments(parser)  # a ClassSR checkpoint (--arch classsr_<backbone>) or a --method's model
    parser.add_argument("--out", required=True, help="per-patch cache CSV")
    parser.add_argument("--costs", required=True, help="per-part cost CSV")
    add_engine_arguments(parser)


def run(args: argparse.Namespace) -> int:
    limit_threads()
    model = load_model(args, pick_device(args.device))[0]
    cache = patch_cache(model, testset=args.testset, coverage=args.coverage, batch_size=args.batch_size)
    write_atomic(args.costs, lambda tmp: branch_costs(model).to_csv(tmp, index=False))
    # 9 significant digits: float32 logits survive the round trip, so the cached argmax is the model's
    write_atomic(args.out, lambda tmp: cache.to_csv(tmp, index=False, float_format="%.9g"))
    print(f"{len(cache)} patches of {cache['image'].nunique()} images → {args.out}")
    return 0
