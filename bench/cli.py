"""Command-line entry point: one sub-command per verb, each implemented in its own module.

Verb modules are imported only when chosen, so ``python -m bench report`` renders tables and figures without
importing torch. Before a verb runs, what it was given is checked (:func:`check_arguments`), so a bad test set or
an unwritable output fails in one line before the work, not after it.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

#: verb -> (module with ``add_arguments(parser)`` and ``run(args) -> int``, one-line help).
VERBS = {
    "flops": ("bench.commands.flops", "per-patch FLOPs of every branch and the classifier, both conventions"),
    "prepare": ("bench.commands.prepare", "prepare training sub-images and test sets (or --verify them)"),
    "split": ("bench.commands.split", "split training sub-images into classes by reference-net PSNR"),
    "train": ("bench.commands.train", "train every stage of a profile, one stage, or one resolved run"),
    "evaluate": ("bench.commands.evaluate", "evaluate one model on one test set (one CSV row per image)"),
    "arm-table": ("bench.commands.arm_table", "lookup table of a trained ARM supernet from training sub-images"),
    "arm-slice": ("bench.commands.arm_slice", "one width of an ARM supernet as a standalone network (ClassSR branch)"),
    "curve": ("bench.commands.curve", "learning curve of a -O network: its snapshots evaluated on a test set"),
    "routing": ("bench.commands.routing", "per-patch routing cache of a ClassSR model: every branch's error, logits"),
    "patches": ("bench.commands.patches", "per-patch PSNR of every ClassSR branch, its routing and its split class"),
    "summarize": ("bench.commands.summarize", "merge evaluation CSVs into one summary with provenance"),
    "report": ("bench.commands.report", "render tables and figures from stored CSVs (no torch)"),
    "compare": ("bench.commands.compare", "compare result CSVs with a reference within tolerances"),
    "perf": ("bench.commands.perf", "latency benchmark: per-patch loop, batched engine, whole image, vs FLOPs"),
    "latency": ("bench.commands.latency", "render the latency table and figure from perf's CSV (no torch)"),
    "fetch": ("bench.commands.fetch", "download released networks and datasets by key, verified by SHA-256"),
    "schema": ("bench.commands.schema", "the workflow config's JSON schema, generated from the profile"),
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m bench", description="classsr-bench: reproduce and measure "
                                     "ClassSR (Kong et al., CVPR 2021).")
    sub = parser.add_subparsers(dest="verb", required=True)
    chosen = next((a for a in argv if not a.startswith("-")), None)
    for name, (module_name, help_text) in VERBS.items():
        verb_parser = sub.add_parser(name, help=help_text)
        if name == chosen:
            module = importlib.import_module(module_name)
            verb_parser.description = module.__doc__
            module.add_arguments(verb_parser)
    args = parser.parse_args(argv)
    try:
        module = importlib.import_module(VERBS[args.verb][0])
        check_arguments(args, getattr(module, "OUTPUT_FILES", ()))
        return module.run(args)
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as e:
        if os.environ.get("BENCH_TRACEBACK"):
            raise
        print(f"error: {e}", file=sys.stderr)
        return 2


def check_arguments(args: argparse.Namespace, output_files: tuple[str, ...]) -> None:
    """The boundary of every verb: each output file it names (a verb's ``OUTPUT_FILES``: argument names) can be
    written, and a test set read with a scale fits that scale (bench.data.testset), before any work."""
    from .provenance import check_writable

    for dest in output_files:
        if getattr(args, dest, None):
            check_writable(getattr(args, dest), flag=f"--{dest}")
    if getattr(args, "testset", None) and getattr(args, "scale", None):
        from .data.testset import testset_pairs

        testset_pairs(args.testset, scale=args.scale)
