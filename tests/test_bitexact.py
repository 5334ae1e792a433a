"""Bit-exact reruns (issue 25): the same code, configuration and machine give byte-identical checkpoints and training
logs (timing columns aside) — for a plain network, ClassSR's stage 2, ARM's supernet and PCSR's phase 0."""
from __future__ import annotations

import hashlib

import pandas as pd
import pytest

STAGE = {"iterations": 3, "batch_size": 2, "periods": [3], "restarts": [], "restart_weights": []}


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _twice(tmp_path, cfg):
    from bench.train.trainer import train

    return [train(cfg, tmp_path / f"run{i}") for i in (0, 1)]


@pytest.mark.parametrize("stage, backbone", [("baseline", "fsrcnn"), ("arm", "fsrcnn"), ("arm", "carn"),
                                             ("pcsr0", "fsrcnn")])
def test_a_training_stage_run_twice_writes_the_same_bytes(tmp_path, prepared, stage, backbone):
    from bench.profile import load_profile
    from bench.train.run import resolve

    raw, data = prepared
    profile = load_profile(None, {**raw, "train": {**raw["train"], "stages": {**raw["train"]["stages"],
                                                                              stage: STAGE}}})
    a, b = _twice(tmp_path, resolve(profile, stage, backbone, data_dir=str(data)))
    assert _sha(a) == _sha(b), f"{stage} {backbone}: two runs of one configuration wrote different checkpoints"
    logs = [pd.read_csv(p.parent / "train_log.csv").drop(columns="samples_per_s") for p in (a, b)]
    pd.testing.assert_frame_equal(*logs, check_exact=True)


def test_saved_checkpoints_do_not_carry_their_temporary_names(tmp_path):
    """torch.save names the zip's folder after the file it is given; ours are written through a file object."""
    import torch

    from bench.provenance import save_torch

    for name in ("a.pth", "b.pth"):
        save_torch(tmp_path / name, {"w": torch.arange(4.0)})
    assert (tmp_path / "a.pth").read_bytes() == (tmp_path / "b.pth").read_bytes()
