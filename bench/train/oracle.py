"""Stage 2 on cached oracle costs: the Class-Module trained alone (beyond the paper; issue 22).

The paper's stage 2 runs every branch on every training batch because its loss is the L1 of the probability-weighted
mixture. Supervising the Class-Module by per-patch oracle labels needs the branches only to *score* each sub-image,
and the branches are frozen: so each branch runs once per training sub-image (unaugmented), its squared error is
kept, and the Class-Module then trains alone — each iteration costs one Class-Module pass instead of M branch passes,
which makes tens of thousands of iterations affordable on a CPU (CARN-M: ~0.85 it/s with its branches, ~50 it/s
without). The labels of a flipped/transposed sub-image are those of the sub-image: an approximation (a branch's
error is nearly, not exactly, invariant to flips), stated here because it is one.

Targets (``oracle_target``), with c_k = w·SSE_k + λ·F_k the cost of branch k on a sub-image:

* ``label`` — cross-entropy against the oracle label argmin_k c_k, optionally label-smoothed (``oracle_smoothing``:
  softer, less saturated logits, so the any-time logit bias moves the routing gradually — the calibration axis);
* ``soft`` — cross-entropy against q = softmax(−regret/T), regret_k = c_k − min_j c_j in units of its mean over
  the cache (T = ``oracle_temperature``): cost-sensitive — a near-tie is a soft target, a costly mistake a hard one.
  The regret is heavy-tailed (a few very textured sub-images), so in units of its mean most targets are near-uniform
  (released photographs: median max target probability 0.31 for FSRCNN, 0.28 for CARN over four classes);
  ``oracle_regret_scale: median`` takes the median non-zero regret as the unit instead.
  (The expected regret Σ_k p_k·regret_k itself was tried first: it sends every patch to the branch with the lowest
  mean regret within 50 iterations and saturates there — a flat-gradient local minimum.)

The weight w (``oracle_weighting``): ``pooled`` (w = 1, the pooled PSNR of the whole set) or ``image`` — w ∝ 1 / the
widest branch's SSE summed over the sub-image's source image, i.e. the linearised change of *that image's* PSNR, the
mean over images that the tables report (on the photographs' test routing cache, this oracle needs 36.6 % of the
FLOPs within 0.05 dB of FSRCNN's widest branch, the pooled one 41.7 %). Weights average 1 over the cache, so λ keeps
its units.

The cache (``branch_sse.npz`` in the run folder: sub-image positions, SSE per branch and a key of what scored them —
branch files, data folder, widths, scale) survives a resumption, is taken from a sibling variant's run folder when
that one was scored by the same branches on the same sample (ablations differing only in the target share one
scoring pass), and is recomputed when the branches, the data or the sample change.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..data.subimages import SubImages, flip
from ..provenance import write_atomic
from .losses import patch_sse

CACHE = "branch_sse.npz"


def regret_unit(regret: torch.Tensor, scale: str) -> torch.Tensor:
    """The unit of the soft target's regret: its mean, or the median of its non-zero entries (robust to the few very
    textured sub-images whose regrets make the mean large and so most targets near-uniform)."""
    if scale == "median":
        nonzero = regret[regret > 0]
        return (nonzero.median() if nonzero.numel() else regret.new_tensor(1.0)).clamp_min(1e-12)
    return regret.mean().clamp_min(1e-12)


@dataclass(frozen=True)
class OracleCache:
    """Unaugmented LR sub-images (n, 3, p, p) in [0, 1], their SSE per branch (n, M) — 0–255 scale, summed over the
    HR patch —, each branch's paper-convention FLOPs per LR patch (M,) and each sub-image's source image (n,)."""

    lr: torch.Tensor
    sse: torch.Tensor
    flops: torch.Tensor
    images: np.ndarray

    def weights(self, weighting: str) -> torch.Tensor:
        """Per sub-image weight of its SSE: 1 (pooled) or ∝ 1 / its image's total SSE of the widest branch."""
        if weighting == "pooled":
            return torch.ones(len(self.sse), dtype=self.sse.dtype)
        codes = np.unique(self.images, return_inverse=True)[1]
        total = np.bincount(codes, weights=self.sse[:, -1].numpy())  # of the sampled sub-images of each image
        w = 1.0 / np.maximum(total[codes], 1e-12)
        return torch.from_numpy(w / w.mean())

    def subset(self, mask: np.ndarray) -> "OracleCache":
        """The cache restricted to the sub-images where ``mask`` (n,) is true."""
        idx = torch.from_numpy(np.flatnonzero(mask))
        return OracleCache(self.lr[idx], self.sse[idx], self.flops, self.images[mask])

    def costs(self, lam: float, weighting: str = "pooled") -> torch.Tensor:
        return self.sse * self.weights(weighting)[:, None] + lam * self.flops

    def labels(self, lam: float, weighting: str = "pooled") -> torch.Tensor:
        return self.costs(lam, weighting).argmin(dim=1)

    def targets(self, cfg) -> tuple[torch.Tensor, torch.Tensor]:
        """(oracle label (n,), target distribution (n, M)) of a run's oracle settings."""
        c = self.costs(cfg.oracle_lambda, cfg.oracle_weighting)
        labels = c.argmin(dim=1)
        if cfg.oracle_target == "soft":
            regret = c - c.min(dim=1, keepdim=True).values
            regret = regret / regret_unit(regret, cfg.oracle_regret_scale)
            return labels, torch.softmax(-regret / cfg.oracle_temperature, dim=1).float()
        m = c.shape[1]
        s = cfg.oracle_smoothing
        return labels, (F.one_hot(labels, m) * (1 - s) + s / m).float()


def sample_positions(n: int, count: int, seed: int) -> np.ndarray:
    """``count`` sub-image positions of ``n`` drawn without replacement (all of them when count is 0 or ≥ n)."""
    if count <= 0 or count >= n:
        return np.arange(n)
    return np.sort(np.random.default_rng([seed, 3_000_017]).choice(n, size=count, replace=False))


@torch.no_grad()
def branch_sse(branches, data: SubImages, positions: np.ndarray, device: torch.device, *,
               batch: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    """(LR sub-images, SSE of every branch) at ``positions`` — the frozen branches in eval mode, one pass each."""
    lrs, sses = [], []
    for start in range(0, len(positions), batch):
        lr, hr = data.crop(positions[start:start + batch])
        x, hr = lr.to(device), hr.to(device)
        sse = [patch_sse(b(x), hr).double() for b in branches]
        lrs.append(lr)
        sses.append(torch.stack(sse, dim=1).cpu())
    return torch.cat(lrs), torch.cat(sses)


def cache_key(cfg) -> str:
    """What scored the cached sub-images (a ``RunConfig``'s branch files, data folder, widths, branch kwargs,
    scale): a cache is reused only under the same key."""
    return json.dumps([list(cfg.init), cfg.data_dir, list(cfg.widths), cfg.model_kwargs, cfg.scale])


def load_or_compute(run_dir: Path, key: str, branches, data: SubImages, positions: np.ndarray, flops: torch.Tensor,
                    device: torch.device, *, file: str = CACHE) -> OracleCache:
    """The SSE of ``branches`` on the sub-images at ``positions``: read from ``run_dir/file`` when its ``key`` (what
    scored the sub-images: branches, data) and positions are this run's, else computed and written atomically."""
    images = data.names[data.codes[positions]]
    path = run_dir / file
    # this run's cache, else a sibling variant's (runs/<backbone>/<variant>/<stage>/) scored by the same branches
    for candidate in [path, *sorted(run_dir.parent.parent.glob(f"*/{run_dir.name}/{file}"))]:
        sse = _read(candidate, key, positions)
        if sse is not None:
            if candidate != path:
                write_atomic(path, lambda tmp: _save(tmp, positions, sse, key))
            lr = torch.cat([data.crop(positions[i:i + 512])[0] for i in range(0, len(positions), 512)])
            return OracleCache(lr, sse, flops, images)
    for b in branches:
        b.eval()
    lr, sse = branch_sse(branches, data, positions, device)
    write_atomic(path, lambda tmp: _save(tmp, positions, sse, key))
    return OracleCache(lr, sse, flops, images)


def _read(path: Path, key: str, positions: np.ndarray) -> torch.Tensor | None:
    """The SSE of a cache file when it was scored by ``key`` on these positions, else None."""
    try:
        with np.load(path) as saved:
            if str(saved["key"]) == key and np.array_equal(saved["positions"], positions):
                return torch.from_numpy(saved["sse"])
    except (OSError, KeyError, ValueError):  # absent, or unreadable (e.g. half-copied by hand): score again
        return None
    return None


def _save(tmp, positions: np.ndarray, sse: torch.Tensor, key: str) -> None:
    with open(tmp, "wb") as f:  # a file object: np.savez would append .npz to a bare temporary name
        np.savez(f, positions=positions, sse=sse.numpy(), key=np.array(key))


def batches(cache: OracleCache, order, start: int, stop: int):
    """(LR batch, positions in the cache) of iterations start+1 … stop: the same deterministic order and flips as
    the image batches (``BatchOrder``), so a resumed run sees the batches an uninterrupted one would."""
    for t in range(start + 1, stop + 1):
        idx = torch.from_numpy(order.indices(t))
        yield flip(cache.lr[idx], order.flags(t)), idx


def losses(model, cfg, targets: tuple[torch.Tensor, torch.Tensor], lr: torch.Tensor,
           idx: torch.Tensor) -> dict[str, torch.Tensor]:
    """Cross-entropy of the Class-Module against the cached target distribution (``OracleCache.targets``), with the
    batch's class and label fractions and how often its routing is the oracle's."""
    probs, classes = model.route(lr)
    labels, target = targets[0][idx].to(probs.device), targets[1][idx].to(probs)
    term = -(target * torch.log(probs.clamp_min(1e-12))).sum(dim=1).mean()
    terms = {"oracle_loss": term, "loss": cfg.oracle_weight * term, "agreement": (classes == labels).float().mean()}
    for k in range(probs.shape[1]):
        terms[f"frac_class{k}"] = (classes == k).float().mean()
        terms[f"frac_oracle{k}"] = (labels == k).float().mean()
    return terms
