"""Merge the per-image evaluation CSVs of a profile into one summary with provenance columns.

Missing evaluations (runs not done yet) are listed in missing.csv beside the summary instead of failing, so a
partial report can be rendered. Provenance: git revision, torch version, config hash, and the profile's
departures from the paper's recipe (``scale_note``; one row each in scale.csv, the report's tables/scale.md).
"""
from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import pandas as pd

from ..config import to_dict
from ..plan.captions import scale_note, scale_rows
from ..provenance import provenance, write_atomic
from .common import add_profile_arguments, plan_from


#: Output files checked writable before the work (bench.cli.check_arguments).
OUTPUT_FILES = ("out",)

def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_profile_arguments(parser)
    parser.add_argument("--out", help="summary CSV (default: results/<name>/eval/summary.csv)")
    parser.add_argument("--missing", help="CSV listing the evaluations not found (default: eval/missing.csv)")
    parser.add_argument("--scale-out", help="CSV of the profile's departures from the paper's recipe, one row each: "
                        "setting, this_run, paper (default: eval/scale.csv; the report's tables/scale.md)")


def run(args: argparse.Namespace) -> int:
    plan = plan_from(args)
    # every seed's evaluations (train.seeds), each row labelled with the seed of the plan that lists it: shared
    # rows (bicubic, released networks) carry the first seed
    expected = [(p, seeded.seed) for seeded in plan.seed_plans() for p in seeded.evaluations()]
    found = [(p, seed) for p, seed in expected if p.is_file()]
    missing = [p for p, _ in expected if not p.is_file()]
    if not found:
        raise FileNotFoundError(f"no evaluation CSV yet among {len(expected)} expected (e.g. {expected[0][0]})")
    digest = hashlib.sha256(json.dumps(to_dict(plan.profile), sort_keys=True).encode()).hexdigest()[:12]
    summary = pd.concat([pd.read_csv(p).assign(seed=seed) for p, seed in found], ignore_index=True).assign(
        profile=plan.profile.name, config_hash=digest, scale_note=scale_note(plan.profile),
        **{k: v for k, v in provenance().items() if k != "device"})  # device: recorded by each evaluation
    out = Path(args.out) if args.out else plan.layout.path("summary")
    write_atomic(out, lambda tmp: summary.to_csv(tmp, index=False))
    write_atomic(Path(args.missing) if args.missing else plan.layout.path("missing"),
                 lambda tmp: pd.DataFrame({"missing": [str(p) for p in missing]}).to_csv(tmp, index=False))
    scale = pd.DataFrame(scale_rows(plan.profile), columns=["setting", "this_run", "paper", "note"])
    write_atomic(Path(args.scale_out) if args.scale_out else plan.layout.path("scale"),
                 lambda tmp: scale.drop(columns="note").assign(profile=plan.profile.name).to_csv(tmp, index=False))
    print(f"{len(found)} evaluations merged into {out}; {len(missing)} missing")
    return 0
