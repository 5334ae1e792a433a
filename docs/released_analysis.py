"""The measurements behind results/reference/released/README.md (issue 22), from a run's stored outputs only.

    .venv/bin/python docs/released_analysis.py results/released_photos [testset]

For each backbone, on the per-patch routing cache of the paper-loss ClassSR model (every branch's and MATLAB
bicubic's squared error on every test patch; patch-decomposed PSNR, mean over images, relative to the widest
branch) it prints: the oracle with the error pooled vs weighted per image; ARM's edge score with its released table
with and without its bicubic path; a two-threshold edge-score router over ClassSR's three branches with the
thresholds tuned *on the test set* (an optimistic bound for a hand-made score); how often bicubic beats the widest
branch; and, for every ClassSR variant, its trained routing, the fewest FLOPs of its any-time logit bias within
0.05 dB, the Spearman rank correlation of its hardness logit (last − first) with each patch's image-weighted benefit
of the widest over the narrowest branch (ARM's edge score beside it), and paired bootstrap intervals (95 %,
percentile) of its evaluated ΔPSNR against the -O over images (10,000 draws) and of its pooled ΔPSNR over patches
(2,000 draws). Not a `bench` verb: a record of one analysis (issue 25 makes intervals a verb).
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from bench.arm.routing import bins, decide, edge_scores, eta
from bench.arm.tables import CARN_COSTS, CENTRES, FSRCNN_COSTS, RELEASED
from bench.analysis.evaluate import testset_pairs
from bench.core.images import read_image, to_tensor
from bench.analysis.routing_curves import Cache
from bench.core.tiling import extract, make_grid

ARM_COSTS = {"fsrcnn": FSRCNN_COSTS, "carn": CARN_COSTS}


def test_edge_scores(root: Path, testset: str) -> np.ndarray:
    """ARM's edge score of every test patch, in the routing cache's order (images as listed, the 32/28 grid)."""
    out = []
    for _, lr_path, _ in testset_pairs(root / "data" / "test" / testset, scale=4):
        lr = to_tensor(read_image(lr_path))
        grid = make_grid(*lr.shape[1:], coverage="paper")
        out.append(edge_scores(extract(lr, grid, 0, len(grid))))
    return np.concatenate(out)


def line(c: Cache, choice: np.ndarray, base: dict, *, classifier: bool = False) -> str:
    p = c.point(choice, classifier=classifier)
    return (f"{100 * p['flops_paper'] / c.flops[c.m - 1]:5.1f} % of the FLOPs, {p['psnr_rgb_db'] - base['psnr_rgb_db']:+.3f} dB"
            f" (pooled {p['psnr_pooled_db'] - base['psnr_pooled_db']:+.3f})")


def fewest(c: Cache, choices, base: dict, tol: float = 0.05, classifier: bool = False) -> str:
    ok = [ch for ch in choices if c.point(ch, classifier=classifier)["psnr_rgb_db"] >= base["psnr_rgb_db"] - tol]
    if not ok:
        return "none within 0.05 dB"
    return line(c, min(ok, key=lambda ch: c.point(ch, classifier=classifier)["flops_paper"]), base,
                classifier=classifier)


def bounds(backbone: str, c: Cache, scores: np.ndarray) -> None:
    n, m = len(scores), c.m
    base = c.point(np.full(n, m - 1), classifier=False)
    image_sse = np.bincount(c.images, weights=c.sse[:, m - 1])[c.images]
    lams = np.geomspace(1e-12, 1e2, 300)
    for name, w in (("pooled", np.ones(n)), ("image", np.mean(image_sse) / image_sse)):  # λ keeps its units
        choices = [(c.sse[:, :m] * w[:, None] + lam * c.flops[:m]).argmin(1) for lam in lams]
        print(f"  oracle, error {name:6s}: fewest FLOPs within 0.05 dB: {fewest(c, choices, base)}")
    index, costs = bins(scores, CENTRES), np.asarray(ARM_COSTS[backbone], float)
    for label, drop_bicubic in (("ARM (released table)", False), ("ARM without bicubic", True)):
        table = RELEASED[backbone].astype(float).copy()
        if drop_bicubic:
            table[0] = -np.inf
        for k in (2, 4, 8):
            path = decide(table, costs, index, eta(k, costs))
            print(f"  {label} k{k}: {line(c, np.where(path == 0, m, path - 1), base)}")
    qs = np.quantile(scores, np.linspace(0, 1, 61))
    routers = [np.where(scores < a, 0, np.where(scores < b, 1, 2)) for i, a in enumerate(qs) for b in qs[i:]]
    print(f"  edge-score router over the 3 branches, test-tuned thresholds: {fewest(c, routers, base)}")
    print(f"  bicubic better than the widest branch on {np.mean(c.sse[:, m] < c.sse[:, m - 1]):.3f} of the patches")


def variant(c: Cache, scores: np.ndarray, model: str) -> None:
    n, m = len(scores), c.m
    base = c.point(np.full(n, m - 1), classifier=False)
    k = np.arange(m)
    biased = [(c.logits - b * k).argmax(1) for b in np.linspace(-6, 6, 241) * np.std(c.logits)]
    benefit = (c.sse[:, 0] - c.sse[:, m - 1]) / np.bincount(c.images, weights=c.sse[:, m - 1])[c.images]
    rho = spearmanr(benefit, c.logits[:, -1] - c.logits[:, 0])[0]
    print(f"  {model:11s} trained {line(c, c.trained, base, classifier=True)}; any-time bias: "
          f"{fewest(c, biased, base, classifier=True)}; rank corr. {rho:.2f} (edge score {spearmanr(benefit, scores)[0]:.2f})")
    # two knobs: a bias on class 0's logit (the bicubic class, where there is one) and the linear one, both tuned on
    # the test set — a bound on what the trained logits allow, not an operating point
    s = np.std(c.logits)
    grid = [(c.logits - bl * k + np.eye(m)[0] * b0).argmax(1)
            for b0 in np.linspace(-4, 4, 33) * s for bl in np.linspace(-3, 3, 49) * s]
    print(f"  {'':11s} two-knob bias (test-tuned): {fewest(c, grid, base, classifier=True)}")


def intervals(summary: pd.DataFrame, root: Path, testset: str, backbone: str, rng) -> None:
    g = summary[(summary.backbone == backbone) & (summary.testset == testset)]
    o = g[g.model == "original"].set_index("image")
    full = (o.flops_paper * o.patches).sum() / o.patches.sum()
    for model, h in g[g.model != "original"].groupby("model"):
        h = h.set_index("image").loc[o.index]
        d = (h.psnr_rgb_db - o.psnr_rgb_db).to_numpy()
        boot = [d[rng.integers(0, len(d), len(d))].mean() for _ in range(10000)]
        text = (f"  {model:11s} {100 * (h.flops_paper * h.patches).sum() / h.patches.sum() / full:5.1f} %: "
                f"{d.mean():+.3f} dB [{np.percentile(boot, 2.5):+.3f}, {np.percentile(boot, 97.5):+.3f}] over images")
        cache = root / "eval" / testset / backbone / f"{model}.patches.csv"
        if cache.is_file():
            c = Cache(pd.read_csv(cache), pd.read_csv(cache.with_name(f"{model}.costs.csv")))
            a, w = c.sse[np.arange(len(c.trained)), c.trained], c.sse[:, c.m - 1]
            pooled = [10 * np.log10(w[i].sum() / a[i].sum()) for i in
                      (rng.integers(0, len(a), len(a)) for _ in range(2000))]
            text += (f"; pooled {10 * np.log10(w.sum() / a.sum()):+.3f} dB "
                     f"[{np.percentile(pooled, 2.5):+.3f}, {np.percentile(pooled, 97.5):+.3f}]")
        print(text)


def main(root: Path, testset: str) -> None:
    scores = test_edge_scores(root, testset)
    summary = pd.read_csv(root / "eval" / "summary.csv")
    rng = np.random.default_rng(0)
    for backbone in ("fsrcnn", "carn"):
        folder = root / "eval" / testset / backbone
        caches = sorted(folder.glob("*.patches.csv"))
        if not caches:
            continue
        print(f"{backbone} ({testset}, {len(scores)} patches)")
        load = {p.name.removesuffix(".patches.csv"): Cache(pd.read_csv(p), pd.read_csv(str(p).replace(".patches.", ".costs.")))
                for p in caches}
        bounds(backbone, load.get("classsr", next(iter(load.values()))), scores)
        for model, c in load.items():
            variant(c, scores, model)
        intervals(summary, root, testset, backbone, rng)


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "photos")
