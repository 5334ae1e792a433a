"""The paper's training recipe per stage and backbone (the authors' yml files; spec §3.2), as plain defaults.

The common recipe is here; what differs per backbone is in its ``BackboneSpec.recipe`` (its model file). Where
the authors ship no config, the choice is stated:

* ``reference`` (the MSRResNet that splits the data): the SRResNet branch recipe on all data (the authors used
  "a standard MSRResNet", issues #7/#21).
* ``baseline`` ("-O"): the branch recipe on all data for 1 M iterations (author, issue #45), as two 500k cosine
  periods with a restart at 500k.
* ``arm``: ARM's supernet (Chen et al., ECCV 2022; arm.md §5): batch 16, Adam β (0.9, 0.99), L1, lr 1e-3
  (FSRCNN) or 2e-4, one cosine period to 1e-7 over 2 M iterations, all training sub-images (no class split).
* ``pcsr0``, ``pcsr1``: PCSR's two phases (pcsr.md §5.2), ARM's optimiser and lr; the phase-1 penalty
  weight is ``average_weight`` (3), its target half the pixels heavy.
* ``joint`` (stage 3): the paper gives no recipe; the ClassSR stage's recipe with every parameter trainable.
"""
from __future__ import annotations

from ..backbones import spec

K = 1000
BRANCH = {"iterations": 500 * K, "batch_size": 16, "lr": 2e-4, "eta_min": 1e-7, "periods": (500 * K,),
          "restarts": (), "restart_weights": (), "l1_weight": 1.0, "class_weight": 0.0, "average_weight": 0.0}
CLASSSR = {"iterations": 200 * K, "batch_size": 96, "lr": 2e-4, "eta_min": 1e-7, "periods": (500 * K, 500 * K),
           "restarts": (500 * K,), "restart_weights": (0.5,), "l1_weight": 1000.0, "class_weight": 0.5,
           "average_weight": 3.0, "oracle_weight": 0.0, "oracle_lambda": 0.0, "oracle_cache": False,
           "oracle_target": "label", "oracle_smoothing": 0.0, "oracle_temperature": 1.0, "oracle_regret_scale": "mean",
           "oracle_weighting": "pooled", "oracle_subimages": 0, "calibrate_images": 0,
           "calibrate_drop_db": 0.03}
ARM = {"iterations": 2000 * K, "batch_size": 16, "lr": 2e-4, "eta_min": 1e-7, "periods": (2000 * K,),
       "restarts": (), "restart_weights": (), "l1_weight": 1.0, "class_weight": 0.0, "average_weight": 0.0}
ARM_LR = {"fsrcnn": 1e-3}
#: PCSR (Jeong et al., ECCV 2024; pcsr.md §5.2): batch 16, Adam β (0.9, 0.99), lr 1e-3 (FSRCNN) or 2e-4, one cosine
#: to 1e-7; phase 0 L1 over 2 M iterations, phase 1 1000·L1 + 3·(heavy-fraction penalty) over 500 k
PCSR0 = {**ARM}
PCSR1 = {**ARM, "iterations": 500 * K, "periods": (500 * K,), "l1_weight": 1000.0, "average_weight": 3.0}
BASELINE = {"iterations": 1000 * K, "periods": (500 * K, 500 * K), "restarts": (500 * K,), "restart_weights": (1.0,)}


def paper_recipe(stage: str, backbone: str) -> dict:
    if stage == "reference":
        return paper_recipe("branch", "srresnet")
    if stage in ("branch", "baseline"):
        recipe = {**BRANCH, **spec(backbone).recipe.get("branch", {})}
        return {**recipe, **BASELINE} if stage == "baseline" else recipe
    if stage == "arm":
        return {**ARM, "lr": ARM_LR.get(backbone, ARM["lr"])}
    if stage in ("pcsr0", "pcsr1"):
        return {**(PCSR0 if stage == "pcsr0" else PCSR1), "lr": ARM_LR.get(backbone, ARM["lr"])}
    if stage in ("classsr", "joint"):
        return {**CLASSSR, **spec(backbone).recipe.get("classsr", {})}
    raise KeyError(f"unknown stage {stage!r}")
