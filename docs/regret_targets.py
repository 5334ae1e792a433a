"""How spread the soft oracle targets of a cached-oracle stage-2 run are (results/reference/released/README.md).

    .venv/bin/python docs/regret_targets.py results/released_photos/runs/fsrcnn/bicubic_class/classsr

Reads the run's config.yaml and branch_sse.npz (and its training data folder) and prints, for the regret in units of
its mean and of its median non-zero value (``oracle_regret_scale``), the quantiles of the target's largest
probability and of its entropy: with the mean unit a heavy-tailed regret leaves most targets near-uniform.
"""
from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
import torch

from bench.train.oracle import OracleCache
from bench.train.run import RunConfig
from bench.train.trainer import branch_flops, build_model, stage_data


def main(run: Path) -> None:
    cfg = RunConfig.load(run / "config.yaml")
    z = np.load(run / "branch_sse.npz")
    data = stage_data(cfg)
    cache = OracleCache(torch.zeros(1), torch.from_numpy(z["sse"]), branch_flops(build_model(cfg)),
                        data.names[data.codes[z["positions"]]])
    for scale in ("mean", "median"):
        labels, q = cache.targets(dataclasses.replace(cfg, oracle_target="soft", oracle_regret_scale=scale))
        entropy = -(q * q.clamp_min(1e-12).log()).sum(1).numpy()
        print(f"regret in units of its {scale}: largest target probability, quantiles 10/50/90 % "
              f"{np.round(np.quantile(q.max(1).values.numpy(), [.1, .5, .9]), 3)}; entropy "
              f"{np.round(np.quantile(entropy, [.1, .5, .9]), 3)} (uniform {np.log(q.shape[1]):.3f})")
    print("oracle label fractions", np.round(np.bincount(labels.numpy(), minlength=q.shape[1]) / len(labels), 3))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
