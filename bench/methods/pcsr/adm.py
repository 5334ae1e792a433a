"""PCSR's ADM (adaptive decision making, pcsr.md §2.4): a 1-D two-means split of the heavy probabilities of all
pixels, written here from the spec's account of what PCSR's k-means dependency (fast_pytorch_kmeans 0.2.2) does with
a single initial centroid — no extra dependency.

Min-max normalise x = p_heavy; the first assignment puts every pixel in cluster 0 (one centroid, 0.5), the empty
cluster 1 gets centroid 0, so Lloyd's iterations start from {mean(x), 0}; assign to the nearest centroid (ties to
the lower index), move each centroid to its members' mean (0 when empty), stop when Σ Δcentroid² ≤ 1e-4 or after
20 assignment steps. The labels are those of the last assignment (before its centroid update), flipped if needed
so that the pixel of the smallest x is light.
"""
from __future__ import annotations

import torch

MAX_ITER, TOL = 20, 1e-4


def adm_heavy(p_heavy: torch.Tensor) -> torch.Tensor:
    """Heavy flag per pixel (bool, same length as ``p_heavy``); a flat map is refused, as PCSR's assert does."""
    x = p_heavy.float().flatten()
    lo, hi = x.min(), x.max()
    if not hi > lo:
        raise ValueError("ADM needs heavy probabilities that are not all equal (PCSR asserts max > min)")
    x = (x - lo) / (hi - lo)
    centroids = torch.tensor([0.5], device=x.device)
    labels = torch.zeros_like(x, dtype=torch.long)
    for _ in range(MAX_ITER):
        labels = (x[:, None] - centroids[None, :]).abs().argmin(dim=1)  # ties: the lower index
        new = torch.stack([x[labels == c].mean() if (labels == c).any() else x.new_zeros(())
                           for c in range(2)])
        shift = (new - centroids).pow(2).sum()  # the first step compares 2 centroids with 1 (broadcast)
        centroids = new
        if shift <= TOL:
            break
    heavy = labels == 1
    if heavy[x.argmin()]:
        heavy = ~heavy
    return heavy
