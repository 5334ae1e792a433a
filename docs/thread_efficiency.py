"""Per-thread efficiency of the suite's torch jobs (issue 26): is it faster to run two jobs at 1 thread each at
once, or one after the other at 2 threads each (what `threads: HEAVY` did)?

For each workload — real `python -m bench train` runs of the demo profile (FSRCNN-O, CARN-O, SRResNet-O, a few
hundred iterations) and `python -m bench evaluate` of a -O on the embedded test set — it times, interleaved and
repeated: one job at 1 thread, one at 2 threads, and two 1-thread jobs started together. Each job's wall time
includes its process start-up, as in the workflow.

    .venv/bin/python docs/thread_efficiency.py [--repeats 2]

Needs the demo's data and -O networks (`make demo` or its prepare and baseline jobs). Nothing else may run.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.plan.dag import Plan, run_json
from bench.profile import load_profile

ROOT = Path(__file__).resolve().parents[1]


def workloads(plan: Plan) -> dict[str, list[str]]:
    """name -> argv of one job (training runs shortened; an evaluation as the workflow runs it)."""
    out = {}
    for backbone, iterations in (("fsrcnn", 300), ("carn", 60), ("srresnet", 40)):
        width = plan.variants[(backbone, "classsr")].widths[-1]
        cfg = plan.baseline_run(backbone, width)
        cfg = dataclasses.replace(cfg, iterations=iterations, periods=(iterations,), checkpoint_every=iterations)
        out[f"train {backbone}-O ({iterations} it)"] = ["train", "--run-json", run_json(cfg), "--run-dir", "{dir}"]
    model = plan.baseline_model("carn", plan.variants[("carn", "classsr")].widths[-1])
    out["evaluate carn-O"] = ["evaluate", "--arch", "carn", "--model", str(model), "--id", "original",
                              "--testset", str(plan.data_dir / "test" / "embedded"), "--out", "{dir}/e.csv",
                              "--scale", "4", "--batch-size", "64", "--device", "cpu"]
    return out


def start(argv: list[str], threads: int, scratch: Path) -> subprocess.Popen:
    folder = Path(tempfile.mkdtemp(dir=scratch))
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    argv = [a.replace("{dir}", str(folder)) for a in argv]
    return subprocess.Popen([sys.executable, "-m", "bench", *argv], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def timed(argv: list[str], threads: int, copies: int, scratch: Path) -> float:
    """Wall seconds until ``copies`` jobs started together at ``threads`` each have all finished."""
    t0 = time.perf_counter()
    procs = [start(argv, threads, scratch) for _ in range(copies)]
    for p in procs:
        if p.wait() != 0:
            raise RuntimeError(p.stderr.read().decode()[-2000:])
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    plan = Plan(load_profile(ROOT / "configs" / "default.yaml"), ROOT / "results" / "default")
    scratch = ROOT / "results" / "thread_efficiency"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    print("| workload | 1 job, 1 thread (s) | 1 job, 2 threads (s) | speed-up of 2 threads | 2 jobs: in sequence "
          "at 2 threads (s) | 2 jobs: together at 1 thread (s) | together / in sequence |\n|---|---|---|---|---|---|---|")
    for name, argv in workloads(plan).items():
        t1, t2, pair = [], [], []
        for _ in range(args.repeats):  # interleaved, so that drift in the machine's speed hits all three alike
            t1.append(timed(argv, 1, 1, scratch))
            t2.append(timed(argv, 2, 1, scratch))
            pair.append(timed(argv, 1, 2, scratch))
        a, b, c = (statistics.median(x) for x in (t1, t2, pair))
        print(f"| {name} | {a:.1f} | {b:.1f} | {a / b:.2f}× | {2 * b:.1f} | {c:.1f} | {c / (2 * b):.2f} |",
              flush=True)
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
