"""Shared fixtures: tiny CPU configurations of every registered model."""
from __future__ import annotations

import pytest
import torch

from bench.models import REGISTRY

torch.set_num_threads(2)

#: Smallest constructor kwargs that keep each model's structure (depth reduced for speed only).
TINY = {
    "fsrcnn": {"width": 8},
    "carn": {"width": 8},
    "srresnet": {"width": 8, "blocks": 2},
    "rcan": {"width": 16, "groups": 2, "blocks": 2},
    "classifier": {},
    "classsr_fsrcnn": {"widths": [4, 8, 12]},
    "classsr_carn": {"widths": [4, 8, 12]},
    "classsr_srresnet": {"widths": [4, 8, 12], "blocks": 2},
    "classsr_rcan": {"widths": [16, 20, 24], "groups": 2, "blocks": 2},
}
SR_MODELS = [name for name in REGISTRY if name != "classifier"]
CLASSSR_MODELS = [name for name in REGISTRY if name.startswith("classsr_")]


def tiny_kwargs(name: str) -> dict:
    return dict(TINY[name])


def branch_kwargs(backbone: str) -> dict:
    """Depth kwargs (no width) of a tiny backbone, for ClassSR containers built by hand."""
    return {k: v for k, v in TINY[backbone].items() if k != "width"}


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)

