"""Paired bootstrap intervals of the differences the report prints (issue 25 item 1): no difference without its
interval. Every table, the protocol matrix and the figures' error bars use these, so one resampling rule holds
everywhere: the mean over test images (and training seeds) of a − b, with the 2.5 / 97.5 percentiles of the means
of 2,000 resamples (fixed seed: a table is a deterministic function of its CSV).

With several training seeds (``train.seeds``) the differences form an images × seeds matrix and the bootstrap is
crossed: each resample draws test images and seeds with replacement, so the interval carries both sources of
variance — the test set's and the training's. A model trained once (bicubic, a released network) is the same
under every seed. With one seed this is the plain paired bootstrap over images."""
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
    return crossed_interval(d[:, None], draws=draws, seed=seed)


def crossed_interval(d: np.ndarray, *, draws: int = BOOTSTRAP, seed: int = 0) -> tuple[float, float, float]:
    """(mean, 95 % interval low, high) of an images × seeds matrix of differences: images resampled, then seeds
    (the second draw only with more than one seed, so one seed gives the images-only bootstrap exactly)."""
    if d.size == 0:
        return np.nan, np.nan, np.nan
    rng = np.random.default_rng(seed)
    n_images, n_seeds = d.shape
    rows = d[rng.integers(0, n_images, (draws, n_images))]  # (draws, images, seeds)
    if n_seeds > 1:
        cols = rng.integers(0, n_seeds, (draws, 1, n_seeds))
        rows = np.take_along_axis(rows, np.broadcast_to(cols, rows.shape), axis=2)
    means = rows.mean(axis=(1, 2))
    return float(d.mean()), float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def difference_matrix(a: pd.Series, b: pd.Series) -> np.ndarray:
    """a − b as an images × seeds matrix from two series indexed by (seed, image) (or image alone); a model with
    one seed is broadcast over the other's seeds; only images (and seeds) both have are kept."""
    a, b = (x.unstack("seed") if isinstance(x.index, pd.MultiIndex) else x.to_frame(0) for x in (a, b))
    if a.shape[1] == 1 and b.shape[1] > 1:
        a = pd.DataFrame({s: a.iloc[:, 0] for s in b.columns})
    elif b.shape[1] == 1 and a.shape[1] > 1:
        b = pd.DataFrame({s: b.iloc[:, 0] for s in a.columns})
    elif a.shape[1] == 1 and b.shape[1] == 1:
        b = b.set_axis(a.columns, axis=1)
    d = (a - b).dropna(axis=1, how="all").dropna(axis=0, how="any")
    return d.to_numpy(dtype=float)


def significant(low: float, high: float) -> bool:
    """True when the interval excludes 0 (NaN bounds: not significant)."""
    return bool(low > 0 or high < 0)


def per_image(summary: pd.DataFrame, column: str = "psnr_rgb_db") -> pd.Series:
    """``column`` indexed by (backbone, test set, model[, seed], image)."""
    seeds = ["seed"] if "seed" in summary else []
    return summary.set_index([*MODEL_KEYS, *seeds, "image"])[column].sort_index()


def delta_columns(summary: pd.DataFrame, pairs: list[tuple | None], name: str,
                  column: str = "psnr_rgb_db", *, unit: str = "db") -> pd.DataFrame:
    """For each (model key, reference key) pair — keys are (backbone, test set, model); None for no reference —
    the columns ``<name>_<unit>``, ``<name>_ci_low_<unit>``, ``<name>_ci_high_<unit>`` and ``<name>_significant``
    (no ``_<unit>`` suffix when ``unit`` is empty: fractions, probabilities): the model minus its reference over
    the images (and seeds) both have, with the paired interval."""
    values, rows = per_image(summary, column), []
    models = set(values.index.droplevel([n for n in values.index.names if n not in MODEL_KEYS]))
    suffix = f"_{unit}" if unit else ""
    names = [f"{name}{suffix}", f"{name}_ci_low{suffix}", f"{name}_ci_high{suffix}", f"{name}_significant"]
    for pair in pairs:
        mean = low = high = np.nan
        if pair is not None and all(key in models for key in pair):
            a, b = (values.xs(key, level=MODEL_KEYS) for key in pair)
            mean, low, high = crossed_interval(difference_matrix(a, b))
        rows.append(dict(zip(names, (mean, low, high, significant(low, high)))))
    return pd.DataFrame(rows, columns=names)


def shown(mean: float, low: float, high: float) -> str:
    """'+0.123 [+0.050, +0.190]*' — '*' when the interval excludes 0; empty for NaN."""
    if np.isnan(mean):
        return ""
    if np.isnan(low) or np.isnan(high):  # e.g. the bicubic row's gain over itself
        return f"{mean:+.3f}"
    return f"{mean:+.3f} [{low:+.3f}, {high:+.3f}]{'*' if significant(low, high) else ''}"
