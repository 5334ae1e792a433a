"""The three-method table of docs/methods.md, from a run's stored CSVs only (eval/summary.csv, perf/latency.csv).

    .venv/bin/python docs/methods_table.py results/methods [uint8 test set] [16-bit test set]
    .venv/bin/python docs/methods_table.py --pair results/methods_photos photos carn arm_k2 pcsr_adm

One row per backbone and model: PSNR (dB) under the suite's protocol (uint8 LR) and PCSR's (16-bit LR), FLOPs per
32×32 LR patch (paper convention) and % of the -O, true MACs per patch, FLOPs per image (G), and the latency of the
same model on perf's image (ms, median) where perf timed it. ``--pair``: a paired difference with its 95 %
bootstrap interval over the test images.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.report.tables import dataset_rows, paired_interval  # noqa: E402

ORDER = {"bicubic": 0, "original": 1, "classsr": 2, "arm": 3, "pcsr": 4}


def main(root: str, uint8: str = "embedded", float16: str = "embedded_float") -> None:
    rows = dataset_rows(pd.read_csv(Path(root) / "eval" / "summary.csv"))
    latency = Path(root) / "perf" / "latency.csv"
    perf = pd.read_csv(latency) if latency.is_file() else pd.DataFrame(columns=["backbone", "model", "mix"])
    a, b = (rows[rows["testset"] == t].set_index(["backbone", "model"]) for t in (uint8, float16))
    table = []
    for (backbone, model), r in a.iterrows():
        if backbone == "bicubic":
            continue
        o = a.loc[(backbone, "original"), "flops_paper"] if (backbone, "original") in a.index else float("nan")
        table.append({"backbone": backbone, "method": r["method"], "model": model,
                      f"psnr_db_{uint8}": round(r["psnr_rgb_db"], 3),
                      f"psnr_db_{float16}": round(b.loc[(backbone, model), "psnr_rgb_db"], 3)
                      if (backbone, model) in b.index else float("nan"),
                      "flops_paper_M": round(r["flops_paper"] / 1e6, 1), "flops_pct": round(100 * r["flops_paper"] / o, 1),
                      "macs_M": round(r["macs"] / 1e6, 1), "flops_image_G": round(r["flops_image"] / 1e9, 2),
                      "time_ms": _latency(perf, backbone, r["method"], model)})
    df = pd.DataFrame(table)
    df = df.assign(_o=df["method"].map(ORDER)).sort_values(["backbone", "_o", "flops_paper_M"]).drop(columns="_o")
    print(df.to_markdown(index=False))


def _latency(perf: pd.DataFrame, backbone: str, method: str, model: str) -> float:
    """perf's median for the same model: -O and ClassSR rows by model, ARM by knob, a method by its model id."""
    sub = perf[perf["backbone"] == backbone]
    if method in ("original", "classsr"):
        hit = sub[(sub["model"] == method) & (sub["mode"] == "batched") & (sub["mix"].fillna("real") == "real")]
    elif method == "arm":
        hit = sub[(sub["model"] == "arm") & (sub["mix"] == model.removeprefix("arm_"))]
    else:
        hit = sub[(sub["model"] == method) & (sub["mix"] == model)]
    return float(hit["time_ms"].iloc[0]) if len(hit) else float("nan")


def paired(root: str, testset: str, backbone: str, a: str, b: str) -> str:
    """Mean over images of PSNR(a) − PSNR(b) with the report's 95 % paired bootstrap interval over the test images
    (``bench.report.tables.paired_interval``)."""
    s = pd.read_csv(Path(root) / "eval" / "summary.csv")
    s = s[(s["testset"] == testset) & (s["backbone"] == backbone)].set_index(["model", "image"])["psnr_rgb_db"]
    mean, low, high = paired_interval(s[a], s[b])
    return f"{backbone} {a} − {b}: {mean:+.3f} dB [{low:+.3f}, {high:+.3f}] over {s[a].notna().sum()} images"


if __name__ == "__main__":
    if sys.argv[1:2] == ["--pair"]:  # --pair ROOT TESTSET BACKBONE MODEL_A MODEL_B
        print(paired(*sys.argv[2:7]))
    else:
        main(*sys.argv[1:])
