"""The operating point chosen on held-out training photographs (issue 22): the held-out photographs are never trained
on, the chosen logit bias is the cheapest of its grid within the drop, and the checkpoint routes as the grid says."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from bench.models import load_official
from bench.train import calibrate, oracle
from bench.train.trainer import stage_data, train
from test_oracle_cache import _cfg


def test_photo_names_and_the_held_out_draw():
    assert calibrate.photo("Blinds_s0.8") == ("Blinds", 0.8)
    assert calibrate.photo("a_sun_s1") == ("a_sun", 1.0) and calibrate.photo("plain") == ("plain", 1.0)
    names = [f"p{i}_s{s:g}" for i in range(6) for s in (1.0, 0.6)]
    held = calibrate.held_out(names, 2, seed=10)
    assert len(held) == 2 and held == calibrate.held_out(names, 2, seed=10) and set(held) <= {f"p{i}" for i in range(6)}
    mask = calibrate.training_mask(np.array(names), names, 2, 10)
    assert [calibrate.photo(n)[0] in held for n in names] == list(~mask)  # every scale of a held-out photo
    with pytest.raises(ValueError, match="calibrate_images 6: the training data has only 6 photographs"):
        calibrate.held_out(names, 6, seed=10)


def test_the_chosen_bias_is_the_cheapest_within_the_drop():
    rng = np.random.default_rng(0)
    n, m = 400, 3
    hardness = rng.random(n)
    sse = np.stack([1 + 40 * hardness ** 2, 1 + 10 * hardness ** 2, 1 + 0 * hardness], axis=1) * 100
    logits = np.stack([-hardness, np.zeros(n), hardness], axis=1) * 5 + rng.normal(0, 0.5, (n, m)) + [0, 0, 2]
    flops, codes = np.array([1.0, 3.0, 9.0]), rng.integers(0, 4, n)
    fractions = []
    for drop in (0.0, 0.05, 0.5):
        bias, grid = calibrate.choose(logits, sse, flops, codes, drop)
        chosen = grid[grid.chosen].iloc[0]
        choice = (logits + bias).argmax(1)
        assert calibrate.image_drop_db(sse, choice, codes) == pytest.approx(chosen.drop_db) and chosen.drop_db <= drop
        assert flops[choice].mean() / flops[-1] == pytest.approx(chosen.flops_fraction)
        assert chosen.flops_fraction == grid[grid.drop_db <= drop].flops_fraction.min()
        fractions.append(chosen.flops_fraction)
    assert fractions[0] > fractions[1] > fractions[2]  # a looser drop buys fewer FLOPs


def test_calibrated_stage2_holds_photos_out_and_routes_as_its_grid_says(prepared, tmp_path, monkeypatch):
    cfg = _cfg(prepared, tmp_path, calibrate_images=1, calibrate_drop_db=0.5)
    run = tmp_path / "runs" / "cal" / "classsr"
    trained_on, batches = [], oracle.batches
    monkeypatch.setattr(oracle, "batches", lambda cache, *a: trained_on.extend(cache.images) or batches(cache, *a))
    path = train(cfg, run)
    data = stage_data(cfg)
    held = calibrate.held_out(data.names, 1, cfg.seed)
    grid = pd.read_csv(run / "calibration.csv")
    chosen = grid[grid.chosen].iloc[0]
    assert grid.images.unique().tolist() == held and chosen.drop_db <= 0.5
    positions = calibrate.calibration_positions(data, 1, cfg.seed)
    assert {calibrate.photo(str(n)) for n in data.names[data.codes[positions]]} == {(held[0], 1.0)}
    model = load_official("classsr_fsrcnn", path, widths=list(cfg.widths), **cfg.model_kwargs).eval()
    cached = np.load(run / "calibration_sse.npz")
    lr = data.crop(positions)[0]
    with torch.no_grad():
        choice = model.classifier(lr).argmax(1).numpy()
    codes = pd.factorize(data.names[data.codes[positions]])[0]
    assert calibrate.image_drop_db(cached["sse"], choice, codes) == pytest.approx(chosen.drop_db)
    # the training cache scored every sampled sub-image, the held-out photograph's too; none of those was trained on
    sampled = data.names[data.codes[np.load(run / oracle.CACHE)["positions"]]]
    assert (~calibrate.training_mask(sampled, data.names, 1, cfg.seed)).any()
    assert trained_on and not {calibrate.photo(str(n))[0] for n in trained_on} & set(held)


def test_calibration_needs_the_oracle_cache(prepared, tmp_path):
    with pytest.raises(ValueError, match="calibrate_images and calibrate_drop_db .* need oracle_cache: true"):
        _cfg(prepared, tmp_path, oracle_cache=False, oracle_weight=0.0, calibrate_images=1)
