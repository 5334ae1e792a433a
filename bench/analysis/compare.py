"""Regression check of result CSVs against committed references, with explicit per-column tolerances.

Rows are matched on their key columns; every reference column with a tolerance must agree. Timing and
provenance columns are not compared. Tolerances (absolute): each quality metric's own (``bench.core.metrics.METRICS``:
PSNR ± 0.05 dB, SSIM ± 0.002), FLOPs/MACs/patch counts exact, other PSNR-derived columns (any ``…_db``: differences, interval bounds) ± 0.05 dB, class
fractions and probabilities ± 0.02, class counts ± 2 % of the image's patches. A registered primary metric that the current results
have and a metric-bearing reference lacks is an error (the reference must be updated), never silently skipped; a
protocol variant (``Metric.primary`` False: no border crop) is checked where the reference has it. A reference
folder with a tolerances.csv (a trained profile's seed spread, bench.analysis.seed_tolerance) widens each model's
PSNR, FLOPs and class-fraction tolerances to it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from ..core.metrics import METRICS
from .seed_tolerance import FILE, kind, row_limits

KEY_COLUMNS = ("backbone", "testset", "model", "variant", "seed", "image", "width", "role", "policy", "step", "method",
               "source", "knob", "iteration")
TOLERANCES = {"flops": 0.5, "macs": 0.5, "patches": 0, "images": 0, "psnr": 0.05, "ssim": 0.002, "frac": 0.02,
              "pct": 0.05, "params": 0, "efficiency": 0.05, "prob": 0.02}
IGNORED = ("time", "samples_per_s", "git_rev", "torch_version", "device", "config_hash", "flag", "scale_note",
           "profile")


class Problem(str):
    """One finding, as text, with its ``kind``: "missing" (a file, row or column the reference has) or "drift"."""

    kind = "drift"


class Missing(Problem):
    kind = "missing"


def summary(problems: list[Problem]) -> str:
    """One line counting missing items apart from drifted values (a missing file is not a drifted value)."""
    missing = sum(p.kind == "missing" for p in problems)
    return f"{missing} missing file(s)/row(s)/column(s), {len(problems) - missing} value(s) drifted"


def tolerance(column: str) -> float | None:
    if column in METRICS:
        return METRICS[column].tolerance
    if any(column.startswith(p) or p in column for p in IGNORED):
        return None
    if column.startswith("n_class"):
        return -1.0  # relative to patches, handled below
    for prefix, tol in TOLERANCES.items():
        if prefix in column:
            return tol
    if column.endswith("_db"):  # a PSNR difference or its interval bound (gain_over_bicubic_db, d_y_ci_low_db, …)
        return TOLERANCES["psnr"]
    return None


def compare_frames(current: pd.DataFrame, reference: pd.DataFrame, name: str,
                   seed_tolerances: pd.DataFrame | None = None) -> list[Problem]:
    """Problems of ``current`` against ``reference``; ``seed_tolerances`` (bench.analysis.seed_tolerance) widens a
    model's PSNR, FLOPs and class-fraction tolerances to its measured seed spread."""
    keys = [c for c in KEY_COLUMNS if c in reference.columns]
    missing_cols = [c for c in reference.columns if c not in current.columns and tolerance(c) is not None]
    if missing_cols:
        return [Missing(f"{name}: columns missing from the current results: {missing_cols}")]
    unchecked = [c for c, m in METRICS.items() if m.primary and c in current.columns and c not in reference.columns]
    if unchecked and any(c in reference.columns for c in METRICS):
        return [Missing(f"{name}: the reference lacks metric column(s) {unchecked}: regenerate it with "
                        "`python -m bench compare … --update`")]
    merged = reference.merge(current, on=keys, how="left", suffixes=("_ref", ""), indicator=True)
    problems = [Missing(f"{name}: row {dict(zip(keys, r))} missing") for r in
                merged.loc[merged["_merge"] == "left_only", keys].itertuples(index=False)]
    problems += _new_models(current, reference, name)
    merged = merged[merged["_merge"] == "both"]
    for col in reference.columns:
        tol = tolerance(col)
        if col in keys or tol is None:
            continue
        ref, cur = merged[f"{col}_ref"].astype(float), merged[col].astype(float)
        limit = 0.02 * merged["patches"].astype(float).to_numpy() if tol < 0 else tol
        limit = row_limits(merged, col, kind(col), limit, seed_tolerances)
        bad = ~(np.isclose(ref, cur, rtol=0, atol=0) | ((ref - cur).abs() <= limit) | (ref.isna() & cur.isna()))
        for i in np.flatnonzero(bad.to_numpy()):
            row = merged.iloc[i]
            problems.append(Problem(f"{name}: {col} drifted for {dict((k, row[k]) for k in keys)}: "
                                    f"{row[f'{col}_ref']} → {row[col]} (tolerance "
                                    f"{np.broadcast_to(limit, len(merged))[i]:.4g})"))
    return problems


def _new_models(current: pd.DataFrame, reference: pd.DataFrame, name: str) -> list[Problem]:
    """Models (backbone × test set × model or method) of the current results that the reference has no row of: a new
    variant would otherwise pass unchecked. (Within a model the reference pins a chosen subset of rows.)"""
    group = [c for c in ("backbone", "testset", "model", "method") if c in reference.columns and c in current.columns]
    if not group:
        return []
    known = set(reference[group].astype(str).itertuples(index=False))
    new = sorted(set(current[group].astype(str).itertuples(index=False)) - known)
    return [Missing(f"{name}: {dict(zip(group, g))} is not in the reference: regenerate it with "
                    "`python -m bench compare … --update`") for g in new]


def compare(current: str | Path, reference: str | Path) -> list[Problem]:
    """Problems found comparing every CSV under ``reference`` (a file or folder) with its namesake in ``current``."""
    current, reference = Path(current), Path(reference)
    pairs = ([(current, reference)] if reference.is_file()
             else [(current / p.relative_to(reference), p) for p in sorted(reference.rglob("*.csv"))])
    if not pairs:
        return [Missing(f"no reference CSV under {reference}")]
    seeds = reference / FILE if reference.is_dir() else None
    seed_tol = pd.read_csv(seeds) if seeds is not None and seeds.is_file() else None
    pairs = [(c, r) for c, r in pairs if r.name != FILE]
    problems = []
    for cur, ref in pairs:
        if not cur.is_file():
            problems.append(Missing(f"{cur} missing (reference {ref})"))
            continue
        problems += compare_frames(pd.read_csv(cur), pd.read_csv(ref), str(ref.name), seed_tol)
    return problems


def update(current: str | Path, reference: str | Path, names: tuple[str, ...], *,
           rows: dict[str, Callable[[pd.DataFrame], pd.Series]] | None = None) -> list[Path]:
    """Write the reference CSVs ``names`` (paths relative to ``current``) without timing/provenance columns;
    ``rows[name]`` selects the rows of that file worth pinning (compare checks the reference's rows only)."""
    written = []
    for name in names:
        df = pd.read_csv(Path(current) / name)
        if rows and name in rows:
            df = df[rows[name](df)]
        keep = [c for c in df.columns if c in KEY_COLUMNS or tolerance(c) is not None]
        out = Path(reference) / name
        out.parent.mkdir(parents=True, exist_ok=True)
        df[keep].to_csv(out, index=False)
        written.append(out)
    return written
