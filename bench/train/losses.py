"""ClassSR's two routing losses, generalised to any number of classes M (Kong et al., CVPR 2021, §3.3; spec §3.1).

Both take the softmax probabilities p of shape (B, M). For M = 3 they equal the authors' code exactly. Beyond the
paper: ``oracle_loss``, supervision of the Class-Module by per-patch oracle labels (``oracle_labels``).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def class_loss(probs: torch.Tensor) -> torch.Tensor:
    """(1/B) Σ_i [(M − 1) − Σ_{j<k} |p_ij − p_ik|]: M − 1 for uniform p, 0 for one-hot p.

    The authors hard-code M − 1 = 2 and the three pairs of M = 3 (spec §8.7); all pairs are used here. The
    paper's form −Σ|p_j − p_k| has the same gradient; the constant keeps the loss non-negative.
    """
    m = probs.shape[1]
    j, k = torch.triu_indices(m, m, offset=1, device=probs.device)
    pair_sum = (probs[:, j] - probs[:, k]).abs().sum(dim=1)
    return ((m - 1) - pair_sum).mean()


def average_loss(probs: torch.Tensor) -> torch.Tensor:
    """Σ_j |Σ_i p_ij − B/M| ÷ (2B(M − 1)/M): 0 for balanced class totals, 1 when all mass is on one class.

    The authors divide by (B/M)·4, which equals 2B(M − 1)/M only for M = 3 (spec §8.7).
    """
    b, m = probs.shape
    return (probs.sum(dim=0) - b / m).abs().sum() / (2 * b * (m - 1) / m)


def patch_sse(sr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
    """Per sample the squared error of ``sr`` clamped to [0, 1] against ``hr``, 0–255 scale, summed over the patch:
    the oracle's error, online (``oracle_labels``) and cached (``bench.train.oracle``) alike."""
    return ((sr.clamp(0, 1) - hr) * 255).square().flatten(1).sum(1)


def oracle_labels(branch_sr: list[torch.Tensor], hr: torch.Tensor, costs: torch.Tensor, lam: float) -> torch.Tensor:
    """Per sample the branch minimising SSE + λ·FLOPs (SSE on the 0–255 scale summed over the HR patch, FLOPs of
    the paper convention per LR patch): the routing curves' oracle (bench.analysis.routing_curves, same λ units) applied to
    training sub-images, as labels for the Class-Module. Not in the paper: an ablation of issue 22. Outputs are
    clamped to [0, 1] as evaluation clamps them (and as the cached oracle, bench.train.oracle, scores them)."""
    sse = torch.stack([patch_sse(sr.detach(), hr) for sr in branch_sr], dim=1)
    return (sse + lam * costs.to(sse)).argmin(dim=1)


def oracle_loss(probs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of the Class-Module's probabilities against the oracle labels."""
    return F.nll_loss(torch.log(probs.clamp_min(1e-12)), labels)
