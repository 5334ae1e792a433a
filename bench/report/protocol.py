"""The protocol table (issue 25 item 5): how much each protocol choice moves every evaluated model's PSNR, and which
cell of the matrix each published number uses.

The reference cell of a row is what its evaluation's ``psnr_rgb_db`` measures: RGB, a ``scale``-px border crop, the
model's own inference (the authors' 32/28 grid for ClassSR, ARM and a plain network; the whole covered image for
PCSR's image mode) and the LR of the test set (8-bit files, or 16-bit where the profile says ``lr_bits: 16``).
Each other cell changes one choice (two for Y without crop), so a delta is that choice's effect alone: paired over
the test images, with a 95 % bootstrap interval (``tables.paired_interval``) and whether it excludes 0.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..methods import ProtocolCell as Cell, get_method
from .intervals import crossed_interval, difference_matrix, significant
from .tables import BICUBIC, KEYS, _method


#: The cells of the published numbers of the methods that predate the registry; a registered method states its own
#: (``Method.published_cell``). The -O rows are ClassSR's Table 1 baselines, measured by ClassSR's protocol.
PUBLISHED = {
    "classsr": Cell("rgb", "scale", "grid", 8, "ClassSR, Kong et al. 2021: test_ClassSR.py, author in issue #55"),
    "original": Cell("rgb", "scale", "grid", 8, "ClassSR's -O rows, forced to branch 3 on the same grid"),
    "arm": Cell("rgb", "scale", "grid", 8, "ARM, Chen et al. 2022: ClassSR's test protocol, arm.md §4"),
}

#: (column of the delta, measure minus reference, description) — every delta is measure − reference cell.
DELTAS = (
    ("d_y_db", "psnr_y_db", "psnr_rgb_db", "Y (BT.601) instead of RGB"),
    ("d_crop0_db", "psnr_rgb_crop0_db", "psnr_rgb_db", "no border crop instead of scale px"),
    ("d_y_crop0_db", "psnr_y_crop0_db", "psnr_rgb_db", "Y and no border crop"),
    ("d_whole_minus_grid_db", "psnr_rgb_whole_db", "psnr_rgb_grid_db", "whole image minus the 32/28 grid"),
)



def published_cell(method: str) -> Cell | None:
    if method in PUBLISHED:
        return PUBLISHED[method]
    try:
        return get_method(method).published_cell
    except KeyError:
        return None  # a method of a plugin not installed where the report runs


def protocol_table(summary: pd.DataFrame) -> pd.DataFrame:
    """One row per (backbone, test set, model) with its reference PSNR, each protocol delta and its interval."""
    rows = []
    for (backbone, testset, model), g in summary.groupby(KEYS, sort=False):
        method = _method(g)
        row = {"backbone": backbone, "testset": testset, "model": model, "method": method,
               "inference": _one(g, "inference"), "lr_bits": _one(g, "lr_bits"),
               "psnr_rgb_db": g["psnr_rgb_db"].mean()}
        for column, measure, reference, _ in DELTAS:
            if measure in g and reference in g and g[measure].notna().any():
                rows_of = g.set_index(["seed", "image"] if "seed" in g else ["image"])
                mean, low, high = crossed_interval(difference_matrix(rows_of[measure], rows_of[reference]))
            else:
                mean, low, high = np.nan, np.nan, np.nan
            row |= {column: mean, f"{column[:-3]}_ci_low_db": low, f"{column[:-3]}_ci_high_db": high,
                    f"{column[:-3]}_significant": significant(low, high)}
        cell = None if model == BICUBIC else published_cell(method)
        row["published_cell"] = cell.label() if cell else ""
        row["published_here"] = bool(cell) and (cell.color, cell.crop, cell.inference, cell.lr_bits) == (
            "rgb", "scale", row["inference"], row["lr_bits"])
        rows.append(row)
    return pd.DataFrame(rows)


def _one(g: pd.DataFrame, column: str):
    """The single value of a per-model column (NaN when absent, e.g. an evaluation made before the column)."""
    if column not in g or g[column].isna().all():
        return np.nan
    values = g[column].dropna().unique()
    return values[0].item() if hasattr(values[0], "item") else values[0]


def markdown(table: pd.DataFrame) -> pd.DataFrame:
    """The table as printed (``tables.markdown_by_testset`` shows each delta as 'mean [low, high]*'): the published
    cells go below it (``published_note``), yes/no whether the row is measured in its method's."""
    out = table.drop(columns=["method", "published_cell"])
    out["published_here"] = table["published_here"].map({True: "yes", False: "no"})
    return out


def published_note(table: pd.DataFrame) -> str:
    """The published cell of every method in the table, one line each."""
    cells = table.loc[table["published_cell"] != "", ["method", "published_cell"]].drop_duplicates("method")
    return "".join(f"Published cell of {m}: {c}. " for m, c in cells.itertuples(index=False))
