"""Routing policies of one trained ClassSR model, derived from its per-patch cache (``bench.analysis.routing``) — no SR pass
per knob value, no torch. Beyond the paper (Kong et al., CVPR 2021, which reports one operating point):

* ``classifier``: the trained routing (argmax of the logits); ``classifier_bias``: any-time ClassSR, logits
  shifted by ``−knob·k`` for class k (knob > 0: cheaper classes, < 0: dearer); ``classifier_bicubic``: patches
  the classifier sends to class 0 with softmax probability ≥ knob go to a zero-cost bicubic path instead.
* ``oracle``: per patch the branch minimising SSE + knob·FLOPs (knob = λ, squared error per FLOP) — the best
  any classifier could do with these branches; ``oracle_bicubic``: the same with bicubic as an extra class.
* ``random``: the classifier's classes shuffled across the patches (its exact class fractions), mean over
  ``RANDOM_DRAWS`` seeded draws — what the classifier adds over chance.
* ``single_branch`` (knob = k: every patch to branch k — the widest is ClassSR's own branch, not the separately
  trained "-O" network) and ``bicubic`` (0 FLOPs).

PSNR (dB, RGB, mean over images, as the paper) comes from the patch-decomposed image error of the cache;
``psnr_pooled_db`` pools all patches into one MSE. Each oracle point minimises the total squared error at its
own FLOPs, so it bounds every routing of equal FLOPs in pooled PSNR; between its ~26 points the curve is
interpolated (which can sit a few thousandths of a dB off the exact hull). For the image-mean PSNR it is a
near-bound: a routing that spreads its errors over the images differently can beat it. ``flops_paper`` /
``macs`` are per 32×32 LR patch and include the classifier only for the policies that run it; the classifier
efficiency compares at equal *branch* FLOPs: (PSNR_classifier − PSNR_random) / (PSNR_oracle − PSNR_random),
with the oracle interpolated at the classifier's branch FLOPs.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

RANDOM_DRAWS = 10
#: Below this oracle-over-random gap (dB) the efficiency is undefined (NaN): the regression tolerance of PSNR.
MIN_GAP_DB = 0.05
PSNR_CAP = 80.0  # identical images, as the metrics module
POLICIES = ("classifier", "classifier_bias", "classifier_bicubic", "oracle", "oracle_bicubic", "random",
            "single_branch", "bicubic")


class Cache:
    """Arrays of one cache: SSE per patch and part (branches, then bicubic last), logits, images, costs."""

    def __init__(self, patches: pd.DataFrame, costs: pd.DataFrame):
        self.m = sum(c.startswith("logit") for c in patches.columns)
        if self.m < 2:
            raise ValueError("a routing cache needs the logits of at least 2 classes")
        self.logits = patches[[f"logit{k}" for k in range(self.m)]].to_numpy(float)
        self.sse = patches[[f"sse_branch{k}" for k in range(self.m)] + ["sse_bicubic"]].to_numpy(float)
        self.pixels = patches["pixels"].to_numpy(float)
        self.images = pd.factorize(patches["image"])[0]
        part = costs.set_index("part")
        self.flops = part.loc[[f"branch{k}" for k in range(self.m)] + ["bicubic"], "flops_paper"].to_numpy(float)
        self.macs = part.loc[[f"branch{k}" for k in range(self.m)] + ["bicubic"], "macs"].to_numpy(float)
        self.classifier = part.loc["classifier", ["flops_paper", "macs"]].to_numpy(float)

    @property
    def trained(self) -> np.ndarray:
        return self.logits.argmax(1)

    def point(self, choice: np.ndarray, *, classifier: bool) -> dict:
        """Dataset PSNR, FLOPs, MACs and class fractions of one routing (choice m = bicubic)."""
        per_patch = self.sse[np.arange(len(choice)), choice]
        mse = np.bincount(self.images, weights=per_patch) / np.bincount(self.images, weights=self.pixels)
        psnr = _psnr(mse)
        frac = np.bincount(choice, minlength=self.m + 1) / len(choice)
        extra = self.classifier if classifier else (0.0, 0.0)
        return {"psnr_rgb_db": float(psnr.mean()),
                "psnr_pooled_db": float(_psnr(np.array([per_patch.sum() / self.pixels.sum()]))[0]),
                "flops_paper": float(self.flops[choice].mean() + extra[0]),
                "macs": float(self.macs[choice].mean() + extra[1]),
                **{f"frac_class{k}": float(frac[k]) for k in range(self.m)}, "frac_bicubic": float(frac[self.m])}


def _psnr(mse: np.ndarray) -> np.ndarray:
    return np.where(mse > 0, 10 * np.log10(255.0 ** 2 / np.maximum(mse, 1e-12)), PSNR_CAP)


def _softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def _bias_grid(cache: Cache, half: int = 10) -> np.ndarray:
    """2·half + 1 biases with an exact 0 in the middle (a fixed row count: rows are keyed by their step)."""
    spread = float(np.ptp(cache.logits)) or 1.0  # a bias beyond the logits' range routes every patch one way
    return spread * np.arange(-half, half + 1) / half


def _oracle_choice(cache: Cache, lam: float, parts: np.ndarray) -> np.ndarray:
    parts = parts[np.argsort(cache.flops[parts], kind="stable")]  # ties go to the cheaper part
    cost = cache.sse[:, parts] + lam * cache.flops[parts]
    return parts[cost.argmin(1)]


def _lambda_grid(cache: Cache, parts: np.ndarray, n: int = 24) -> np.ndarray:
    """n + 2 values of λ (a fixed row count): 0, n midpoints between consecutive distinct per-patch break-even
    values of the parts (so no patch sits exactly on a tie), spread evenly over them, and one beyond the largest."""
    sse, f = cache.sse[:, parts], cache.flops[parts]
    ratios = [(sse[:, i] - sse[:, j]) / (f[j] - f[i]) for i in range(len(parts)) for j in range(len(parts))
              if f[j] > f[i]]
    ratios = np.unique(np.concatenate(ratios)) if ratios else np.zeros(0)
    ratios = ratios[ratios > 0]
    if len(ratios) >= 2:
        mids = (ratios[:-1] + ratios[1:]) / 2
        inner = mids[np.linspace(0, len(mids) - 1, n).round().astype(int)]
    else:
        inner = np.full(n, ratios[0] / 2 if len(ratios) else 0.0)
    return np.concatenate([[0.0], inner, [ratios.max() * 1.01 if len(ratios) else 0.0]])


def curves(patches: pd.DataFrame, costs: pd.DataFrame, *, seed: int = 0) -> pd.DataFrame:
    """Every policy's points: policy, step (index along its sweep, the row key), knob (the swept value: bias,
    probability threshold, λ, branch index, number of random draws), psnr_rgb_db, flops_paper, macs,
    frac_class*, frac_bicubic."""
    c = Cache(patches, costs)
    rows = [{"policy": "classifier", "knob": 0.0, **c.point(c.trained, classifier=True)}]
    k = np.arange(c.m)
    rows += [{"policy": "classifier_bias", "knob": float(b), **c.point((c.logits - b * k).argmax(1), classifier=True)}
             for b in _bias_grid(c)]
    p0 = _softmax(c.logits)[:, 0]
    for tau in (1.01, 0.99, 0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.0):
        choice = np.where((c.trained == 0) & (p0 >= tau), c.m, c.trained)
        rows.append({"policy": "classifier_bicubic", "knob": tau, **c.point(choice, classifier=True)})
    for name, parts in (("oracle", np.arange(c.m)), ("oracle_bicubic", np.arange(c.m + 1))):
        rows += [{"policy": name, "knob": float(lam), **c.point(_oracle_choice(c, lam, parts), classifier=False)}
                 for lam in _lambda_grid(c, parts)]
    rng = np.random.default_rng(seed)
    draws = [c.point(rng.permutation(c.trained), classifier=False) for _ in range(RANDOM_DRAWS)]
    rows.append({"policy": "random", "knob": float(RANDOM_DRAWS),
                 **{key: float(np.mean([d[key] for d in draws])) for key in draws[0]}})
    rows += [{"policy": "single_branch", "knob": float(j), **c.point(np.full(len(c.trained), j), classifier=False)}
             for j in range(c.m)]
    rows.append({"policy": "bicubic", "knob": 0.0, **c.point(np.full(len(c.trained), c.m), classifier=False)})
    df = pd.DataFrame(rows)
    df.insert(1, "step", df.groupby("policy").cumcount())
    return df


def efficiency(points: pd.DataFrame) -> dict:
    """Classifier efficiency of one model's curves (see the module docstring), with the dataset PSNR as the paper
    averages it (mean over images) and pooled over all patches (``_pooled``: one MSE for the whole set, which
    does not penalise concentrating the cheap routing in a few images); NaN when the oracle beats random by less
    than ``MIN_GAP_DB`` at that FLOPs (the ratio would be noise)."""
    cls = points[points["policy"] == "classifier"].iloc[0]
    rand = points[points["policy"] == "random"].iloc[0]
    oracle = points[points["policy"] == "oracle"].sort_values("flops_paper")
    at = rand["flops_paper"]  # = the classifier's branch FLOPs: random keeps its class fractions exactly
    out = {"branch_flops_paper": at}
    for column, suffix in (("psnr_rgb_db", ""), ("psnr_pooled_db", "_pooled")):
        best = float(np.interp(at, oracle["flops_paper"], oracle[column]))
        gap, gain = best - rand[column], cls[column] - rand[column]
        gain = 0.0 if abs(gain) < 1e-9 else gain  # same routing up to float summation order
        out |= {f"psnr_classifier{suffix}_db": cls[column], f"psnr_random{suffix}_db": rand[column],
                f"psnr_oracle{suffix}_db": best, f"efficiency{suffix}": gain / gap if gap >= MIN_GAP_DB else np.nan}
    return out


def over_chance(patches: pd.DataFrame, costs: pd.DataFrame, *, draws: int = 2000, seed: int = 0) -> dict:
    """Pooled PSNR of the trained routing minus random routing at its class fractions (in expectation: each
    patch's error averaged over the branches with the classifier's fractions), with two 95 % bootstrap intervals
    (issue 25): over **patches** (resampled one by one; patches of one image are correlated, so this one is
    narrower than the truth) and over **images** (their patches resampled together: the conservative one)."""
    c = Cache(patches, costs)
    frac = np.bincount(c.trained, minlength=c.m) / len(c.trained)
    chosen = c.sse[np.arange(len(c.trained)), c.trained]
    chance = c.sse[:, : c.m] @ frac

    def gap(a, b):  # pooled PSNR difference = 10·log10 of the ratio of summed errors (pixels cancel)
        return 10 * np.log10(np.maximum(b, 1e-12) / np.maximum(a, 1e-12))

    rng = np.random.default_rng(seed)
    out = {"classifier_minus_random_pooled_db": float(gap(chosen.sum(), chance.sum()))}
    idx = rng.integers(0, len(chosen), (draws, len(chosen)))
    by_patch = gap(chosen[idx].sum(1), chance[idx].sum(1))
    per_image = [np.bincount(c.images, weights=w) for w in (chosen, chance)]
    pick = rng.integers(0, len(per_image[0]), (draws, len(per_image[0])))
    by_image = gap(per_image[0][pick].sum(1), per_image[1][pick].sum(1))
    for name, means in (("patches", by_patch), ("images", by_image)):
        out |= {f"classifier_minus_random_{name}_ci_low_db": float(np.percentile(means, 2.5)),
                f"classifier_minus_random_{name}_ci_high_db": float(np.percentile(means, 97.5))}
    return out


def pareto(points: pd.DataFrame) -> pd.Series:
    """True for the points no other point beats on both FLOPs (lower) and PSNR (higher)."""
    f, p = points["flops_paper"].to_numpy(), points["psnr_rgb_db"].to_numpy()
    dominated = [bool(((f <= f[i]) & (p >= p[i]) & ((f < f[i]) | (p > p[i]))).any()) for i in range(len(f))]
    return pd.Series(~np.array(dominated), index=points.index)
