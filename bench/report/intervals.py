"""Paired bootstrap intervals of the differences the report prints (issue 25 item 1): no difference without its
interval. Every table, the protocol matrix and the figures' error bars use these, so one resampling rule holds
everywhere: the mean over test images of a − b, with the 2.5 / 97.5 percentiles of the means of 2,000 resamples
of the images (fixed seed: a table is a deterministic function of its CSV)."""
from __future__ import annotations

import numpy as np
import pandas as pd

#: Resamples of the paired bootstrap over test images.
BOOTSTRAP = 2000
#: The per-image rows of a model in the evaluation summary.
MODEL_KEYS = ["backbone", "testset", "model"]


def paired_interval(a: pd.Series, b: pd.Series, *, draws: int = BOOTSTRAP, seed: int = 0) -> tuple[float, float, float]:
    """(mean of a − b, 95 % bootstrap interval low, high) over the index (images) both share."""
    d = (a - b).dropna().to_numpy()
    if len(d) == 0:
        return np.nan, np.nan, np.nan
    means = np.random.default_rng(seed).choice(d, (draws, len(d))).mean(axis=1)
    return float(d.mean()), float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def significant(low: float, high: float) -> bool:
    """True when the interval excludes 0 (NaN bounds: not significant)."""
    return bool(low > 0 or high < 0)


def per_image(summary: pd.DataFrame, column: str = "psnr_rgb_db") -> pd.Series:
    """``column`` indexed by (backbone, test set, model, image)."""
    return summary.set_index([*MODEL_KEYS, "image"])[column].sort_index()


def delta_columns(summary: pd.DataFrame, pairs: list[tuple | None], name: str,
                  column: str = "psnr_rgb_db") -> pd.DataFrame:
    """For each (model key, reference key) pair — keys are (backbone, test set, model); None for no reference —
    the columns ``<name>_db``, ``<name>_ci_low_db``, ``<name>_ci_high_db`` and ``<name>_significant``: the model
    minus its reference over the images both have, with the paired interval."""
    values, rows = per_image(summary, column), []
    for pair in pairs:
        mean = low = high = np.nan
        if pair is not None:
            a, b = (values.xs(key, level=MODEL_KEYS) if key in values.index.droplevel("image") else None
                    for key in pair)
            if a is not None and b is not None:
                mean, low, high = paired_interval(a, b)
        rows.append({f"{name}_db": mean, f"{name}_ci_low_db": low, f"{name}_ci_high_db": high,
                     f"{name}_significant": significant(low, high)})
    return pd.DataFrame(rows, columns=[f"{name}_db", f"{name}_ci_low_db", f"{name}_ci_high_db",
                                       f"{name}_significant"])


def shown(mean: float, low: float, high: float) -> str:
    """'+0.123 [+0.050, +0.190]*' — '*' when the interval excludes 0; empty for NaN."""
    if np.isnan(mean):
        return ""
    if np.isnan(low) or np.isnan(high):  # e.g. the bicubic row's gain over itself
        return f"{mean:+.3f}"
    return f"{mean:+.3f} [{low:+.3f}, {high:+.3f}]{'*' if significant(low, high) else ''}"
