"""How the Class-Module's test ranking grows with the number of training photographs (issue 22), from a run's stored
oracle cache and test routing cache only — the measurement behind "the classifier's data is the limit".

    .venv/bin/python docs/photo_count.py results/released_photos fsrcnn soft_image [counts…]

For each count n of training photographs (two draws of n photographs by seed, and all of them once) it trains the
variant's Class-Module alone on the cached oracle targets of those photographs' sub-images — the variant's recipe,
iterations and seed, as ``bench train`` does with ``oracle_cache`` — and prints on the test photographs: the fewest
FLOPs of its two-knob logit bias within 0.05 dB of the widest branch (tuned on the test: a bound on what its ranking
allows, not an operating point), the FLOPs of its trained argmax and its drop, and the Spearman rank correlation of
its hardness logit (last − first) with each patch's image-weighted benefit of the widest over the narrowest branch.
Not a `bench` verb: a record of one analysis.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from scipy.stats import spearmanr

from bench.data.subimages import BatchOrder
from bench.analysis.evaluate import testset_pairs
from bench.core.images import read_image, to_tensor
from bench.analysis.routing_curves import Cache
from bench.core.tiling import extract, make_grid
from bench.train import calibrate, oracle
from bench.train.run import RunConfig
from bench.train.schedule import CosineRestart
from bench.train.trainer import build_model, stage_data


def test_patches(root: Path, testset: str) -> torch.Tensor:
    """Every LR test patch in the routing cache's order (images as listed, the 32/28 grid)."""
    out = []
    for _, lr_path, _ in testset_pairs(root / "data" / "test" / testset, scale=4):
        lr = to_tensor(read_image(lr_path))
        out.append(extract(lr, make_grid(*lr.shape[1:], coverage="paper"), 0, None))
    return torch.cat(out)


def fit(cfg: RunConfig, cache: oracle.OracleCache, seed: int):
    """The Class-Module trained alone on ``cache`` (the trainer's cached-oracle loop, without its files)."""
    torch.manual_seed(seed)
    model = build_model(cfg)
    params = list(model.classifier.parameters())
    opt = torch.optim.Adam(params, lr=cfg.lr, betas=tuple(cfg.betas), weight_decay=cfg.weight_decay)
    schedule = CosineRestart(cfg.lr, cfg.eta_min, tuple(cfg.periods), tuple(cfg.restarts), tuple(cfg.restart_weights))
    targets, order = cache.targets(cfg), BatchOrder(len(cache.lr), cfg.batch_size, seed)
    model.classifier.train()
    for t, (lr, idx) in enumerate(oracle.batches(cache, order, 0, cfg.iterations), start=1):
        for group in opt.param_groups:
            group["lr"] = schedule(t)
        loss = oracle.losses(model, cfg, targets, lr, idx)["loss"]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return model


def measure(c: Cache, logits: np.ndarray) -> str:
    n, m = logits.shape
    base = c.point(np.full(n, m - 1), classifier=False)
    width = c.flops[m - 1]
    s, k = np.std(logits), np.arange(m)
    best = None
    for first in calibrate.FIRST * s:
        for linear in calibrate.LINEAR * s:
            p = c.point((logits - linear * k + first * (k == 0)).argmax(1), classifier=True)
            if p["psnr_rgb_db"] >= base["psnr_rgb_db"] - 0.05 and (best is None or p["flops_paper"] < best):
                best = p["flops_paper"]
    trained = c.point(logits.argmax(1), classifier=True)
    benefit = (c.sse[:, 0] - c.sse[:, m - 1]) / np.bincount(c.images, weights=c.sse[:, m - 1])[c.images]
    rho = spearmanr(benefit, logits[:, -1] - logits[:, 0])[0]
    return (f"test-tuned within 0.05 dB: {100 * best / width:5.1f} % of the FLOPs; trained argmax "
            f"{100 * trained['flops_paper'] / width:5.1f} %, {trained['psnr_rgb_db'] - base['psnr_rgb_db']:+.3f} dB; "
            f"rank corr. {rho:.2f}")


def main(root: Path, backbone: str, variant: str, counts: list[int], testset: str = "photos") -> None:
    run = root / "runs" / backbone / variant / "classsr"
    cfg = RunConfig.load(run / "config.yaml")
    data = stage_data(cfg)
    with np.load(run / oracle.CACHE) as saved:
        positions, sse = saved["positions"], torch.from_numpy(saved["sse"])
    lr = torch.cat([data.crop(positions[i:i + 512])[0] for i in range(0, len(positions), 512)])
    flops = pd.read_csv(root / "eval" / testset / backbone / f"{variant}.costs.csv").set_index("part")
    full = oracle.OracleCache(lr, sse, torch.tensor(flops.loc[[f"branch{k}" for k in range(len(cfg.widths))],
                                                             "flops_paper"].to_numpy()), data.names[data.codes[positions]])
    test = Cache(pd.read_csv(root / "eval" / testset / backbone / f"{variant}.patches.csv"), flops.reset_index())
    patches = test_patches(root, testset)
    photos = sorted({calibrate.photo(str(n))[0] for n in data.names})
    for n in counts:
        for draw in ([0] if n >= len(photos) else [0, 1]):
            chosen = set(photos) if n >= len(photos) else set(
                np.random.default_rng([cfg.seed, n, draw]).choice(photos, size=n, replace=False))
            mask = np.array([calibrate.photo(str(i))[0] in chosen for i in full.images])
            model = fit(cfg, full.subset(mask), cfg.seed).eval()
            with torch.no_grad():
                logits = model.classifier(patches).double().numpy()
            print(f"{backbone} {variant}: {n:2d} photographs ({mask.sum():5d} sub-images), draw {draw}: "
                  f"{measure(test, logits)}", flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2], sys.argv[3], [int(v) for v in sys.argv[4:]] or [4, 9, 14])
