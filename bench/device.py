"""The device a job runs on, from a profile's ``device`` string (auto, cpu, cuda[:N]); errors name the value."""
from __future__ import annotations

import torch


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(f"device {name!r} requested but CUDA is not available (use device: auto or cpu)")
    try:
        device = torch.device(name)
    except RuntimeError as e:
        raise RuntimeError(f"unknown device {name!r} (use auto, cpu or cuda[:N]): {e}") from None
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise RuntimeError(f"device {name!r} requested but only {torch.cuda.device_count()} CUDA device(s) exist")
    return device
