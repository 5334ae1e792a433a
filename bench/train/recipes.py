"""The paper's training recipe per stage and backbone (the authors' yml files; spec §3.2), as plain defaults.

Where the authors ship no config, the choice is stated:

* ``reference`` (the MSRResNet that splits the data): the SRResNet branch recipe on all data (the authors used
  "a standard MSRResNet", issues #7/#21).
* ``baseline`` ("-O"): the branch recipe on all data for 1 M iterations (author, issue #45), as two 500k cosine
  periods with a restart at 500k.
* RCAN branches: 1 M iterations; the authors' single 500k period crashes at 500,001 (spec §8.10), so two periods.
* ``joint`` (stage 3): the paper gives no recipe; the ClassSR stage's recipe with every parameter trainable.
"""
from __future__ import annotations

K = 1000

BRANCH_LR = {"fsrcnn": 1e-3, "carn": 2e-4, "srresnet": 2e-4, "rcan": 2e-4}
BRANCH_PERIODS = {"carn": (500 * K, 1000 * K)}
CLASSSR_RESTART_WEIGHT = {"fsrcnn": 1.0, "carn": 0.05, "srresnet": 0.5, "rcan": 0.5}


def _branch(backbone: str) -> dict:
    recipe = {"iterations": 500 * K, "batch_size": 16, "lr": BRANCH_LR[backbone], "eta_min": 1e-7,
              "periods": BRANCH_PERIODS.get(backbone, (500 * K,)), "restarts": (), "restart_weights": (),
              "l1_weight": 1.0, "class_weight": 0.0, "average_weight": 0.0}
    if backbone == "rcan":
        recipe.update(iterations=1000 * K, periods=(500 * K, 500 * K), restarts=(500 * K,), restart_weights=(1.0,))
    return recipe


def _classsr(backbone: str) -> dict:
    recipe = {"iterations": 200 * K, "batch_size": 96, "lr": 2e-4, "eta_min": 1e-7, "periods": (500 * K, 500 * K),
              "restarts": (500 * K,), "restart_weights": (CLASSSR_RESTART_WEIGHT[backbone],),
              "l1_weight": 1000.0, "class_weight": 0.5, "average_weight": 3.0}
    if backbone == "rcan":
        # New-code value 4 ≈ 1000/255 for RCAN's 0–255 L1 (old code: 250; spec §8.6).
        recipe.update(batch_size=60, lr=3e-5, eta_min=2e-6, periods=(500 * K, 20 * K), l1_weight=4.0)
    return recipe


def paper_recipe(stage: str, backbone: str) -> dict:
    if stage in ("branch",):
        return _branch(backbone)
    if stage == "reference":
        return _branch("srresnet")
    if stage == "baseline":
        return {**_branch(backbone), "iterations": 1000 * K, "periods": (500 * K, 500 * K), "restarts": (500 * K,),
                "restart_weights": (1.0,)}
    if stage in ("classsr", "joint"):
        return _classsr(backbone)
    raise KeyError(f"unknown stage {stage!r}")
