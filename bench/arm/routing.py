"""ARM's routing (Chen et al., "ARM: Any-Time Super-Resolution Method", ECCV 2022; spec arm.md §2): the edge score
of an LR patch, the 30-bin edge-to-PSNR lookup table, the η decision rule over {bicubic, w1, w2, w3}, and ARM's
bicubic path. The first part of ARM in this harness (issue 13); the supernets and their evaluation come next.

* Edge score (§2.1): the patch as uint8, OpenCV's integer BGR→grey ``(9798R + 19235G + 3735B + 16384) >> 15``,
  the 3×3 Laplacian [[2,0,2],[0,−8,0],[2,0,2]] with reflect-101 borders, ``min(|L|, 255)`` averaged over the
  patch: s ∈ [0, 255] in steps of 1/(h·w).
* Bin (§2.3): the nearest bin centre (first on ties; scores outside the range clamp to the end bins).
* Decision (§2.3): ``best`` = argmax_j P_j[b]; an int e < 100 forces path e (0 = bicubic); otherwise η in FLOPs,
  j* = argmax_j (η·P_j[b] − C_j) with C_0 = 0 — with η = k·C_3, larger k buys more FLOPs.
* Bicubic path (§2.4): PyTorch's bicubic (a = −0.75, no antialias), not MATLAB's; 0 FLOPs.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

#: OpenCV's fixed-point BGR→grey weights (R, G, B) and rounding (14 + 1 bits), spec §2.1.
GREY_WEIGHTS = (9798, 19235, 3735)
LAPLACIAN = np.array([[2, 0, 2], [0, -8, 0], [2, 0, 2]], dtype=np.int32)


def edge_scores(patches: torch.Tensor) -> np.ndarray:
    """ARM's edge score of each LR patch of a batch (N, 3, h, w), RGB in [0, 1] from 8-bit images."""
    x = np.rint(patches.detach().clamp(0, 1).cpu().numpy().astype(np.float64) * 255).astype(np.int64)
    r, g, b = x[:, 0], x[:, 1], x[:, 2]
    grey = (GREY_WEIGHTS[0] * r + GREY_WEIGHTS[1] * g + GREY_WEIGHTS[2] * b + 16384) >> 15
    padded = np.pad(grey, ((0, 0), (1, 1), (1, 1)), mode="reflect")  # OpenCV's BORDER_REFLECT_101
    h, w = grey.shape[1:]
    lap = sum(LAPLACIAN[i, j] * padded[:, i:i + h, j:j + w] for i in range(3) for j in range(3) if LAPLACIAN[i, j])
    return np.minimum(np.abs(lap), 255).mean(axis=(1, 2))


def bins(scores: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Index of the nearest bin centre of each score (float64; first index on ties)."""
    return np.abs(np.asarray(centres, np.float64)[None, :] - np.asarray(scores, np.float64)[:, None]).argmin(1)


def decide(table: np.ndarray, costs, bin_index: np.ndarray, mode: str | int | float = "best") -> np.ndarray:
    """Path per patch (0 = bicubic, j = the j-th width) from the LUT ``table`` (paths × bins, dB), the paths'
    FLOPs ``costs`` (C_0 = 0 first) and ``mode``: "best", a forced path (int < 100), or η in FLOPs."""
    table, costs = np.asarray(table, np.float64), np.asarray(costs, np.float64)
    if table.shape[0] != len(costs) or costs[0] != 0:
        raise ValueError(f"need one cost per LUT row with the bicubic path's 0 first, got {list(costs)}")
    if mode == "best":
        per_bin = table.argmax(0)
    elif isinstance(mode, (int, np.integer)) and not isinstance(mode, bool) and mode < 100:
        if not 0 <= mode < len(costs):
            raise ValueError(f"forced path {mode} not in 0…{len(costs) - 1}")
        per_bin = np.full(table.shape[1], int(mode))
    elif isinstance(mode, (int, float)) and not isinstance(mode, bool) and mode > 0:
        per_bin = (mode * table - costs[:, None]).argmax(0)
    else:
        raise ValueError(f"ARM mode must be 'best', a path index < 100 or η > 0 (FLOPs), got {mode!r}")
    return per_bin[bin_index]


def eta(k: float, costs) -> float:
    """η in FLOPs for the knob k of ARM's logs and README (η = k·C_3, the full width's FLOPs)."""
    if not k > 0:
        raise ValueError(f"k must be > 0, got {k}")
    return float(k) * float(np.asarray(costs, np.float64)[-1])


def bicubic_path(patches: torch.Tensor, scale: int = 4) -> torch.Tensor:
    """ARM's zero-cost path: PyTorch bicubic upscaling (align_corners=False), clamped to [0, 1]."""
    return F.interpolate(patches, scale_factor=scale, mode="bicubic", align_corners=False).clamp(0, 1)


def patch_psnr(sr: torch.Tensor, hr: torch.Tensor, crop: int = 4) -> np.ndarray:
    """ARM's per-patch PSNR for its table (arm.md §2.2): both as 8-bit (clamp, ×255, round), ``crop`` px off each
    side, RGB MSE in float64; 80 dB where identical (ARM's cap)."""
    def to8(t):
        return np.rint(t.detach().clamp(0, 1).cpu().numpy().astype(np.float64) * 255)

    a, b = to8(sr), to8(hr)
    if crop:
        a, b = a[..., crop:-crop, crop:-crop], b[..., crop:-crop, crop:-crop]
    mse = ((a - b) ** 2).mean(axis=(1, 2, 3))
    with np.errstate(divide="ignore"):
        return np.where(mse == 0, 80.0, 20 * np.log10(255.0 / np.sqrt(mse)))


def build_table(scores: np.ndarray, psnrs: np.ndarray, nbins: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """ARM's edge-to-PSNR table from validation patches (arm.md §2.2): ``nbins`` equal bins from min to max score
    (last bin closed, as matplotlib's hist2d), the mean PSNR of each path per bin (NaN if empty).
    ``psnrs``: (paths, patches) dB, path 0 = bicubic. Returns (table (paths × bins), bin centres)."""
    scores, psnrs = np.asarray(scores, np.float64), np.atleast_2d(np.asarray(psnrs, np.float64))
    if psnrs.shape[1] != len(scores) or not len(scores):
        raise ValueError(f"need one PSNR per patch and path: {len(scores)} scores, PSNRs of shape {psnrs.shape}")
    edges = np.linspace(scores.min(), scores.max(), nbins + 1)
    index = np.clip(np.searchsorted(edges, scores, side="right") - 1, 0, nbins - 1)
    counts = np.bincount(index, minlength=nbins)
    sums = np.stack([np.bincount(index, weights=row, minlength=nbins) for row in psnrs])
    with np.errstate(invalid="ignore", divide="ignore"):
        table = np.where(counts > 0, sums / counts, np.nan)
    return table, edges[:-1] + (edges[1] - edges[0]) / 2


def _numpy_globals() -> list:
    """What ARM's ``.state`` pickles beside tensors: numpy arrays (its table), allow-listed by exact name so
    ``torch.load(weights_only=True)`` still refuses any code (arm.md §2.2)."""
    from numpy._core import multiarray

    return [(multiarray._reconstruct, "numpy.core.multiarray._reconstruct"), multiarray._reconstruct, np.ndarray,
            np.dtype, *{type(np.dtype(t)) for t in ("float64", "float32", "int64", "int32")}]


TABLE_COLUMNS = ["path", "flops_paper", "bin", "centre", "psnr_db"]


def table_frame(table, centres, costs):
    """The tidy CSV form of a lookup table: one row per (path, bin) — path 0 = bicubic, its FLOPs per 32×32 patch
    (paper convention), the bin's edge-score centre and the mean PSNR (dB; empty where the bin held no patch)."""
    import pandas as pd

    table = np.asarray(table, np.float64)
    return pd.DataFrame([{"path": j, "flops_paper": float(costs[j]), "bin": b, "centre": float(centres[b]),
                          "psnr_db": table[j, b]} for j in range(table.shape[0]) for b in range(table.shape[1])])


def _read_csv_table(path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    import pandas as pd

    df = pd.read_csv(path)
    missing = [c for c in TABLE_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"{path}: not an ARM lookup table CSV (missing column(s) {missing})")
    table = df.pivot(index="path", columns="bin", values="psnr_db").sort_index()
    first = df[df["path"] == table.index[0]].sort_values("bin")
    costs = df.groupby("path")["flops_paper"].first().sort_index()
    return table.to_numpy(np.float64), first["centre"].to_numpy(np.float64), costs.to_numpy(np.float64)


def read_table(path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(table (paths × bins, dB), bin centres, cost list) from this suite's CSV (``table_frame``, ``*.csv``) or
    from ARM's ``latest.state`` / ``ckpt/arm-*.state`` (key ``hmap``: ``hmap_y_mean_list``, ``hmap_x_list``,
    ``cost_list``), mapped to the CPU."""
    from ..models.common import CheckpointError, load_torch_file

    if str(path).endswith(".csv"):
        return _read_csv_table(path)
    with torch.serialization.safe_globals(_numpy_globals()):
        state = load_torch_file(str(path))
    hmap = state.get("hmap") if isinstance(state, dict) else None
    keys = ("hmap_y_mean_list", "hmap_x_list", "cost_list")
    if not isinstance(hmap, dict) or any(k not in hmap for k in keys):
        raise CheckpointError(f"{path}: not an ARM training state with a lookup table (need hmap with "
                              f"{', '.join(keys)})")
    table = np.stack([np.asarray(row, np.float64) for row in hmap["hmap_y_mean_list"]])
    centres = np.asarray(hmap["hmap_x_list"][1], np.float64)
    return table, centres, np.asarray(hmap["cost_list"], np.float64)
