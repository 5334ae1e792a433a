"""ARM's η sweep under this suite's protocol (Chen et al., ECCV 2022; arm.md §3, §4): one row per (k, image) with
the metrics, path counts and FLOPs of ``bench.analysis.evaluate`` — the same tiling, 8-bit patches, overlap averaging, border
crop and metrics as ClassSR's rows, so both methods sit on one PSNR–FLOPs plot.

Each k is ARM's knob (η = k·C_3, FLOPs of the full width); ``"best"`` is ARM's post-training default and the ints
0…3 force one path (0 = bicubic). FLOPs per patch: ``flops_paper`` = Σ n_j C_j / Σ n_j with ARM's convention (the
paper's; the bicubic path, edge score and lookup cost 0, as ARM counts them) and ``macs`` the true multiply-adds
of the sub-nets. The routing cost ARM leaves out is one 3×3 Laplacian on a grey 32×32 patch (about 9 k integer ops).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from . import routing as routing
from ..analysis.evaluate import PROTOCOL_COLUMNS, evaluate_image, routed_costs, testset_pairs
from ..core.metrics import METRICS
from ..models.arm import ArmSupernet


def knob_mode(knob, costs) -> tuple[str, object]:
    """(row label, upscale's eta) of one knob: "best", a forced path (an int, as in ARM's code) or k (a float,
    η = k·C_3)."""
    if knob == "best":
        return "best", "best"
    if isinstance(knob, (int, np.integer)) and not isinstance(knob, bool):
        return f"e{int(knob)}", int(knob)
    return f"k{float(knob):g}", routing.eta(float(knob), costs)


def perf_cases(arm: ArmSupernet, knobs) -> list[tuple[str, dict]]:
    """ARM's cases of the latency benchmark (``bench.analysis.perf.benchmark``'s ``others``): (knob label,
    ``upscale`` keyword arguments) of each knob."""
    cases = []
    for knob in knobs:
        label, eta = knob_mode(knob, arm.costs())
        cases.append((label, {"eta": eta}))
    return cases


def evaluate_arm(model: ArmSupernet, *, testset: str | Path, knobs=("best",), model_id: str = "arm",
                 batch_size: int = 64, coverage: str = "paper") -> pd.DataFrame:
    """Rows (testset, image, backbone, model = ``<model_id>_<knob>``, kind "arm", knob, metrics, n_class0…3,
    flops_paper, macs, flops_full_paper (C_3, the full width's FLOPs), time_ms) for every knob and image of
    ``testset``."""
    testset = Path(testset)
    pairs = testset_pairs(testset, scale=model.scale)
    costs = {conv: (model.costs(conv), 0) for conv in ("paper", "macs")}  # no classifier: ARM's lookup is free
    rows = []
    for knob in knobs:
        label, eta = knob_mode(knob, costs["paper"][0])
        for name, lr_path, hr_path in pairs:
            res = evaluate_image(model, lr_path, hr_path, batch_size=batch_size, coverage=coverage, eta=eta)
            n = np.bincount(res["classes"].numpy(), minlength=model.num_classes)
            cost = routed_costs(costs, n.tolist())
            rows.append({"testset": testset.name, "image": name, "backbone": model.backbone,
                         "model": f"{model_id}_{label}", "kind": "arm", "knob": label, "patches": int(n.sum()),
                         **{k: res[k] for k in METRICS}, **{k: res[k] for k in PROTOCOL_COLUMNS},
                         **{f"n_class{j}": int(c) for j, c in enumerate(n)},
                         **cost, "flops_image": cost["flops_paper"] * int(n.sum()),
                         "flops_full_paper": costs["paper"][0][-1], "lr_bits": res["lr_bits"],
                         "time_ms": res["time_ms"]})
    return pd.DataFrame(rows)
