"""The operating point of a trained Class-Module, chosen on held-out training photographs (beyond the paper; issue 22).

ClassSR (Kong et al., CVPR 2021) reports the routing that its training happens to end at: the argmax of the
Class-Module's logits. Where that point lands is set by λ, the loss weights and the training data, and on real
photographs it misses the paper's target both ways (released networks: CARN 86 % of the FLOPs at −0.05 dB, FSRCNN
30 % at −0.21 dB). A logit bias moves it along the classifier's own ranking; here it is chosen the way a practitioner
would, on data the test never sees:

* ``calibrate_images`` training photographs (every augmentation scale of each: a downscaled copy of a held-out photo
  would leak it) are left out of stage 2's training sub-images, drawn by the run's seed;
* their sub-images at scale 1 (the test's content; the downscaled copies are denser in texture) are scored once by
  the frozen branches — the same squared error as the oracle cache;
* over a grid of two knobs — a linear bias −b·k on class k (the any-time knob of the routing curves) and a bias on
  class 0 alone (the bicubic class, where there is one) — the cheapest routing whose PSNR drop against the widest
  branch, the mean over the held-out photographs of each one's patch-decomposed drop (the tables' image-mean
  PSNR), is at most ``calibrate_drop_db`` wins; ties go to the smaller bias;
* the bias is added to the Class-Module's output bias, so the checkpoint keeps the authors' format and every
  consumer — evaluation, the routing cache and its any-time curve, latency — sees the calibrated routing.

``calibration.csv`` in the run folder holds the whole grid (knobs, FLOPs fraction, drop, the chosen row).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from ..provenance import write_atomic
from . import oracle

#: The grid of the two knobs, in units of the standard deviation of the held-out logits.
LINEAR = np.linspace(-3, 3, 49)
FIRST = np.linspace(-4, 4, 33)


def photo(name: str) -> tuple[str, float]:
    """(photograph, augmentation scale) of a prepared training image name ``<photo>_s<scale>`` (bench prepare)."""
    stem, sep, scale = name.rpartition("_s")
    try:
        return (stem, float(scale)) if sep else (name, 1.0)
    except ValueError:
        return name, 1.0


def held_out(names, count: int, seed: int) -> list[str]:
    """``count`` of the training photographs behind ``names``, drawn by ``seed`` (sorted); at least one must stay."""
    photos = sorted({photo(str(n))[0] for n in names})
    if count >= len(photos):
        raise ValueError(f"calibrate_images {count}: the training data has only {len(photos)} photographs, and "
                         "stage 2 needs at least one to train on")
    rng = np.random.default_rng([seed, 4_000_037])  # salted: not the batch order's stream
    return sorted(photos[i] for i in rng.choice(len(photos), size=count, replace=False))


def image_drop_db(sse: np.ndarray, choice: np.ndarray, codes: np.ndarray) -> float:
    """Mean over images of each image's PSNR drop (dB, > 0 = worse) of routing ``choice`` against the widest branch,
    from the patches' squared errors ``sse`` (n, M) — the patch-decomposed image-mean PSNR of the tables."""
    routed = np.bincount(codes, weights=sse[np.arange(len(choice)), choice])
    widest = np.bincount(codes, weights=sse[:, -1])
    return float(np.mean(10 * np.log10(np.maximum(routed, 1e-12) / np.maximum(widest, 1e-12))))


def choose(logits: np.ndarray, sse: np.ndarray, flops: np.ndarray, codes: np.ndarray,
           drop_db: float) -> tuple[np.ndarray, pd.DataFrame]:
    """(logit bias (M,), the grid as a table) — the cheapest two-knob bias within ``drop_db`` of the widest branch on
    held-out patches: ``logits`` (n, M), ``sse`` (n, M), ``flops`` (M,) per patch, ``codes`` (n,) image ids."""
    m, s = logits.shape[1], float(np.std(logits)) or 1.0
    k = np.arange(m)
    rows = []
    for first in FIRST * s:
        for linear in LINEAR * s:
            bias = -linear * k + first * (k == 0)
            choice = (logits + bias).argmax(1)
            rows.append({"linear_bias": linear, "first_bias": first,
                         "flops_fraction": float(flops[choice].mean() / flops[-1]),
                         "drop_db": image_drop_db(sse, choice, codes), "size": abs(linear) + abs(first)})
    grid = pd.DataFrame(rows)
    ok = grid[grid.drop_db <= drop_db]
    if ok.empty:  # cannot happen while the grid reaches "all to the widest" (drop 0); kept as a clear error
        raise ValueError(f"no logit bias of the grid keeps the held-out drop within {drop_db} dB")
    best = ok.sort_values(["flops_fraction", "size"], kind="stable").index[0]
    grid["chosen"] = grid.index == best
    row = grid.loc[best]
    return (-row.linear_bias * k + row.first_bias * (k == 0)).astype(float), grid.drop(columns="size")


@torch.no_grad()
def logits_of(model, lr: torch.Tensor, device: torch.device, batch: int = 512) -> np.ndarray:
    """The Class-Module's logits (n, M) of LR patches, in eval mode."""
    model.classifier.eval()
    return torch.cat([model.classifier(lr[i:i + batch].to(device)).double().cpu()
                      for i in range(0, len(lr), batch)]).numpy()


def training_mask(images: np.ndarray, names, count: int, seed: int) -> np.ndarray:
    """Which of the sub-images (their image names ``images``) stage 2 may train on: none of a held-out photograph."""
    held = set(held_out(names, count, seed))
    return np.array([photo(str(n))[0] not in held for n in images], dtype=bool)


def calibration_positions(data, count: int, seed: int) -> np.ndarray:
    """Positions of the held-out photographs' sub-images at scale 1 (every scale where a photo has no scale 1)."""
    held = set(held_out(data.names, count, seed))
    source = [photo(str(n)) for n in data.names]
    ones = {p for p, s in source if s == 1.0}
    keep = np.array([p in held and (s == 1.0 or p not in ones) for p, s in source], dtype=bool)
    return np.flatnonzero(keep[data.codes])


def operate(model, cfg, run_dir, data, flops: torch.Tensor, device: torch.device) -> np.ndarray:
    """Choose the operating point of a trained ``model`` on the run's held-out photographs, write the grid to
    ``run_dir/calibration.csv`` and fold the chosen bias into the Class-Module; returns the bias."""
    if not hasattr(model.classifier, "add_logit_bias"):
        raise ValueError(f"calibrate_images: classifier {type(model.classifier).__name__} has no add_logit_bias")
    positions = calibration_positions(data, cfg.calibrate_images, cfg.seed)
    cache = oracle.load_or_compute(run_dir, oracle.cache_key(cfg), model.branches, data, positions, flops, device,
                                   file="calibration_sse.npz")
    logits = logits_of(model, cache.lr, device)
    bias, grid = choose(logits, cache.sse.numpy(), cache.flops.numpy(), pd.factorize(cache.images)[0],
                        cfg.calibrate_drop_db)
    grid.insert(0, "patches", len(positions))
    grid.insert(0, "images", " ".join(held_out(data.names, cfg.calibrate_images, cfg.seed)))
    write_atomic(run_dir / "calibration.csv", lambda tmp: grid.to_csv(tmp, index=False))
    model.classifier.add_logit_bias(bias)
    return bias
