"""Stage 2 on cached oracle costs (issue 22): every training sub-image scored once by the frozen branches, then the
Class-Module trained alone — by cross-entropy against the oracle label (optionally smoothed) or against soft targets
of the regret, with the error pooled or weighted per image."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from bench.config import ConfigError
from bench.models import build
from bench.profile import load_profile
from bench.train import oracle
from bench.train.losses import oracle_labels
from bench.train.run import resolve
from bench.train.trainer import stage_data, train
from conftest import tiny_profile_dict

CACHED = {"oracle_weight": 1.0, "oracle_lambda": 1e-4, "l1_weight": 0.0, "class_weight": 0.0,
          "average_weight": 0.0, "oracle_cache": True}


def _cfg(prepared, tmp_path, **stage):
    raw, data = prepared
    stages = {"classsr": {"iterations": 6, "batch_size": 4, "periods": [6], "restarts": [], "restart_weights": [],
                          **CACHED, **stage}}
    profile = load_profile(None, tiny_profile_dict(raw["data"]["root"], stages=stages))
    init = []
    for k, w in enumerate(profile.train.backbones["fsrcnn"].widths):
        path = tmp_path / f"b{k}.pth"
        if not path.exists():
            torch.manual_seed(k)
            torch.save(build("fsrcnn", width=w).state_dict(), path)
        init.append(str(path))
    return resolve(profile, "classsr", "fsrcnn", data_dir=str(data), init=tuple(init))


def test_cached_labels_are_the_labels_of_the_branch_outputs(prepared, tmp_path):
    cfg = _cfg(prepared, tmp_path)
    data = stage_data(cfg)
    branches = [build("fsrcnn", width=w).eval() for w in cfg.widths]
    positions = np.arange(min(len(data), 10))
    lr, sse = oracle.branch_sse(branches, data, positions, torch.device("cpu"), batch=3)
    flops = torch.tensor([1e3, 2e3, 3e3], dtype=torch.float64)
    cache = oracle.OracleCache(lr, sse, flops, data.names[data.codes[positions]])
    x, hr = data.crop(positions)
    with torch.no_grad():
        outs = [b(x).clamp(0, 1) for b in branches]
    for lam in (0.0, 1e-2, 1e9):
        assert torch.equal(cache.labels(lam), oracle_labels(outs, hr, flops, lam))
    w = cache.weights("image")
    assert w.mean().item() == pytest.approx(1.0) and torch.equal(cache.weights("pooled"), torch.ones(len(w)))
    totals = {name: sse[cache.images == name, -1].sum().item() for name in set(cache.images)}
    assert len(totals) > 1  # then an image of twice the error weighs half
    ratio = [w[i] * totals[cache.images[i]] for i in range(len(w))]
    assert max(ratio) == pytest.approx(min(ratio))


class _Router(torch.nn.Module):  # fixed probabilities
    def __init__(self, probs):
        super().__init__()
        self.probs = probs

    def route(self, x):
        return self.probs, self.probs.argmax(dim=1)


class _Settings:
    def __init__(self, **kw):
        self.oracle_target, self.oracle_smoothing, self.oracle_temperature = "label", 0.0, 1.0
        self.oracle_lambda, self.oracle_weighting, self.oracle_weight = 0.0, "pooled", 1.0
        self.oracle_regret_scale = "mean"
        self.__dict__.update(kw)


def test_the_soft_target_weighs_a_mistake_by_what_it_costs():
    sse = torch.tensor([[1.0, 1.01, 1.02], [1.0, 9.0, 9.0], [5.0, 5.0, 1.0]], dtype=torch.float64)
    cache = oracle.OracleCache(torch.zeros(3, 3, 4, 4), sse, torch.zeros(3, dtype=torch.float64),
                               np.array(["a", "a", "b"]))
    labels, soft = cache.targets(_Settings(oracle_target="soft", oracle_temperature=0.5))
    assert labels.tolist() == [0, 0, 2] and torch.allclose(soft.sum(1), torch.ones(3))
    assert soft[0].max() < 0.4 and soft[1, 0] > 0.9  # a near-tie is soft, a costly choice is hard
    hard = cache.targets(_Settings())[1]
    assert torch.equal(hard, torch.nn.functional.one_hot(labels, 3).float())
    smooth = cache.targets(_Settings(oracle_smoothing=0.3))[1]
    assert torch.allclose(smooth[0], torch.tensor([0.8, 0.1, 0.1]))
    idx, x = torch.tensor([0, 1]), torch.zeros(2, 3, 4, 4)
    near_tie_wrong = _Router(torch.tensor([[0.1, 0.8, 0.1], [0.8, 0.1, 0.1]]))
    costly_wrong = _Router(torch.tensor([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1]]))
    soft_loss = [oracle.losses(m, _Settings(), (labels, soft), x, idx)["loss"] for m in (near_tie_wrong, costly_wrong)]
    hard_loss = [oracle.losses(m, _Settings(), (labels, hard), x, idx)["loss"] for m in (near_tie_wrong, costly_wrong)]
    assert soft_loss[0] < soft_loss[1] and hard_loss[0] == pytest.approx(hard_loss[1])


@pytest.mark.parametrize("stage", [{"oracle_target": "label"},
                                   {"oracle_target": "soft", "oracle_weighting": "image"}])
def test_cached_stage2_trains_the_classifier_alone_resumes_and_shares_its_cache(prepared, tmp_path, stage,
                                                                                  monkeypatch):
    cfg = _cfg(prepared, tmp_path, oracle_subimages=5, **stage)
    whole = train(cfg, tmp_path / "runs" / "a" / "classsr")
    cache = np.load(tmp_path / "runs" / "a" / "classsr" / oracle.CACHE)
    assert cache["sse"].shape == (5, 3)
    log = pd.read_csv(tmp_path / "runs" / "a" / "classsr" / "train_log.csv")
    assert {"oracle_loss", "agreement", "frac_oracle2", "frac_class0"} <= set(log.columns) and "l1" not in log
    monkeypatch.setattr(oracle, "branch_sse", lambda *a, **k: pytest.fail("the sub-images were scored again"))
    split = tmp_path / "runs" / "b" / "classsr"  # a sibling variant: takes a's scores
    train(cfg, split, stop_after=3)
    resumed = train(cfg, split)
    a, b = torch.load(whole, weights_only=True), torch.load(resumed, weights_only=True)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    other = _cfg(prepared, tmp_path, oracle_subimages=4, **stage)  # another sample: scored anew
    monkeypatch.undo()
    train(other, tmp_path / "runs" / "c" / "classsr")
    assert np.load(tmp_path / "runs" / "c" / "classsr" / oracle.CACHE)["sse"].shape == (4, 3)


@pytest.mark.parametrize("stage, message", [
    ({"l1_weight": 1000.0}, "oracle_cache trains the Class-Module alone"),
    ({"oracle_weight": 0.0}, "oracle_cache trains the Class-Module alone"),
    ({"oracle_cache": False, "oracle_target": "soft"}, "need oracle_cache: true"),
    ({"oracle_cache": False, "oracle_weighting": "image"}, "need oracle_cache: true"),
])
def test_inconsistent_oracle_settings_are_refused(prepared, tmp_path, stage, message):
    with pytest.raises(ValueError, match=message):
        _cfg(prepared, tmp_path, **stage)


def test_a_smoothing_of_one_is_refused_by_name():
    with pytest.raises(ConfigError, match=r"train.stages.classsr.oracle_smoothing: must be < 1"):
        load_profile(None, {"train": {"stages": {"classsr": {"oracle_smoothing": 1.0}}}})


def test_a_median_regret_unit_sharpens_targets_that_a_heavy_tail_flattens():
    """Nine ordinary sub-images (regret 1 between two branches) and one very textured one (regret 1000): in units of
    the mean regret the ordinary targets are near-uniform, in units of the median non-zero regret they are not."""
    sse = torch.tensor([[0.0, 1.0]] * 9 + [[0.0, 1000.0]], dtype=torch.float64)
    cache = oracle.OracleCache(torch.zeros(10, 3, 4, 4), sse, torch.zeros(2, dtype=torch.float64),
                               np.array(["a"] * 10))
    by_mean = cache.targets(_Settings(oracle_target="soft"))[1]
    by_median = cache.targets(_Settings(oracle_target="soft", oracle_regret_scale="median"))[1]
    assert by_mean[0, 0] < 0.55 and abs(by_median[0, 0] - 1 / (1 + np.exp(-1))) < 1e-6
    assert by_median[9, 0] > 0.999 and by_mean[9, 0] > 0.99  # the costly one is hard either way
