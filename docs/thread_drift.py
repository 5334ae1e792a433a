"""Why two complete `make fsrcnn-cpu` runs disagreed (issue 25): the torch thread count changes trained weights.

Trains the fsrcnn_cpu profile's FSRCNN-O (batch 32, lr 2e-3, seed 10) for a few hundred iterations twice with the
same code and data at each of two thread counts, and compares the checkpoints tensor by tensor: the same thread
count gives identical tensors, another gives different ones (float reductions split across threads sum in another
order; Snakemake sets OMP_NUM_THREADS to a job's threads, which the workflow ties to --cores). The discrete steps
downstream — the class split's thresholds, each patch's routing — turn these ~1e-6 differences into visible ones.

    .venv/bin/python docs/thread_drift.py [--iterations 200] [--threads 1 2]

The fsrcnn_cpu data must be prepared first (`snakemake results/fsrcnn_cpu/data/manifest.sha256 --cores 1
--configfile configs/fsrcnn_cpu.yaml`). Writes under results/thread_drift/ (not committed).
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import subprocess
import sys
from pathlib import Path

import torch

from bench.plan.dag import Plan, run_json
from bench.profile import load_profile

ROOT = Path(__file__).resolve().parents[1]
SHOWN = "{} of {} tensors differ, max |diff| {:.2g}"


def train(cfg, run_dir: Path, threads: int) -> Path:
    shutil.rmtree(run_dir, ignore_errors=True)  # a fresh run, never a resumed one
    run_dir.mkdir(parents=True)
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    subprocess.run([sys.executable, "-m", "bench", "train", "--run-json", run_json(cfg), "--run-dir", str(run_dir)],
                   cwd=ROOT, env=env, check=True, capture_output=True)
    return run_dir / "model.pth"


def differing(a: Path, b: Path) -> tuple[int, int, float]:
    """(tensors that differ, tensors, largest absolute difference)."""
    x, y = (torch.load(p, map_location="cpu", weights_only=True) for p in (a, b))
    diffs = [(x[k].float() - y[k].float()).abs().max().item() for k in x]
    return sum(d > 0 for d in diffs), len(diffs), max(diffs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--threads", type=int, nargs=2, default=[1, 2])
    args = parser.parse_args()
    plan = Plan(load_profile(ROOT / "configs" / "fsrcnn_cpu.yaml"), ROOT / "results" / "fsrcnn_cpu")
    cfg = dataclasses.replace(plan.baseline_run("fsrcnn", 56), iterations=args.iterations,
                              periods=(args.iterations,), checkpoint_every=args.iterations)
    out = ROOT / "results" / "thread_drift"
    models = {(t, r): train(cfg, out / f"t{t}_r{r}", t) for t in args.threads for r in (1, 2)}
    for t in args.threads:
        print(f"{t} thread(s), run twice: " + SHOWN.format(*differing(models[(t, 1)], models[(t, 2)])))
    a, b = args.threads
    print(f"{a} vs {b} thread(s): " + SHOWN.format(*differing(models[(a, 1)], models[(b, 1)])))


if __name__ == "__main__":
    main()
