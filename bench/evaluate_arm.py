"""ARM's η sweep under this suite's protocol (Chen et al., ECCV 2022; arm.md §3, §4): one row per (k, image) with
the metrics, path counts and FLOPs of ``bench.evaluate`` — the same tiling, 8-bit patches, overlap averaging, border
crop and metrics as ClassSR's rows, so both methods sit on one PSNR–FLOPs plot.

Each k is ARM's knob (η = k·C_3, FLOPs of the full width); ``"best"`` is ARM's post-training default and the ints
0…3 force one path (0 = bicubic). FLOPs per patch: ``flops_paper`` = Σ n_j C_j / Σ n_j with ARM's convention (the
paper's; the bicubic path, edge score and lookup cost 0, as ARM counts them) and ``macs`` the true multiply-adds
of the sub-nets. The routing cost ARM leaves out is one 3×3 Laplacian on a grey 32×32 patch (about 9 k integer ops).
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from . import arm as routing
from .evaluate import testset_pairs, to_255
from .images import read_image, to_tensor
from .inference import sync, upscale
from .metrics import METRICS, scores
from .models.arm import ArmSupernet


def _mode(knob, costs) -> tuple[str, object]:
    """(row label, upscale's eta) of one knob: "best", a forced path (an int, as in ARM's code) or k (a float,
    η = k·C_3)."""
    if knob == "best":
        return "best", "best"
    if isinstance(knob, (int, np.integer)) and not isinstance(knob, bool):
        return f"e{int(knob)}", int(knob)
    return f"k{float(knob):g}", routing.eta(float(knob), costs)


def evaluate_arm(model: ArmSupernet, *, testset: str | Path, knobs=("best",), model_id: str = "arm",
                 batch_size: int = 64, coverage: str = "paper") -> pd.DataFrame:
    """Rows (testset, image, backbone, model = ``<model_id>_<knob>``, kind "arm", knob, metrics, n_class0…3,
    flops_paper, macs, time_ms) for every knob and image of ``testset``."""
    testset = Path(testset)
    costs = {"flops_paper": np.array(model.costs("paper")), "macs": np.array(model.costs("macs"))}
    rows = []
    for knob in knobs:
        label, eta = _mode(knob, costs["flops_paper"])
        for name, lr_path, hr_path in testset_pairs(testset):
            lr = to_tensor(read_image(lr_path), name=str(lr_path))
            hr = to_255(read_image(hr_path))
            sync(next(model.parameters()).device)
            start = time.perf_counter()
            sr, classes = upscale(model, lr, eta=eta, coverage=coverage, batch_size=batch_size)
            sync(next(model.parameters()).device)
            elapsed = (time.perf_counter() - start) * 1000
            img = sr.numpy().transpose(1, 2, 0).astype(np.float64) * 255.0
            gt = hr[: img.shape[0], : img.shape[1]]
            if gt.shape != img.shape:
                raise ValueError(f"{hr_path}: HR {hr.shape[1]}×{hr.shape[0]} is smaller than {model.scale}× its LR")
            n = np.bincount(classes.numpy(), minlength=model.num_classes)
            res = scores(img, gt, model.scale)
            rows.append({"testset": testset.name, "image": name, "backbone": model.backbone,
                         "model": f"{model_id}_{label}", "kind": "arm", "knob": label, "patches": int(n.sum()),
                         **{k: res[k] for k in METRICS}, **{f"n_class{j}": int(c) for j, c in enumerate(n)},
                         **{col: float((n * c).sum() / n.sum()) for col, c in costs.items()}, "time_ms": elapsed})
    return pd.DataFrame(rows)
