"""Training: a one-step run of every stage for every backbone, resumption, divergence, run-folder guards."""
from __future__ import annotations

import pandas as pd
import pytest
import torch
import yaml
from conftest import tiny_profile_dict

from bench.cli import main
from bench.plan.dag import Plan
from bench.models import load_official
from bench.train.pipeline import run_all
from bench.profile import load_profile
from bench.train import trainer
from bench.train.run import RunConfig, resolve
from bench.train.trainer import RunConflict, TrainingDiverged, train


@pytest.fixture(scope="module")
def chain(prepared, tmp_path_factory):
    raw, data = prepared
    runs = tmp_path_factory.mktemp("runs")
    return raw, data, runs, run_all(Plan(load_profile(None, raw), data_dir=data, runs_dir=runs))


def test_every_stage_of_every_backbone_runs(chain):
    raw, _, runs, out = chain
    stages = ["branch0", "branch1", "branch2", "baseline", "classsr", "joint"]
    assert set(out) == {"reference", "classes_m3"} | {f"{b}/classsr/{s}" for b in ("fsrcnn", "carn", "srresnet",
                                                                                   "rcan") for s in stages}
    classes = pd.read_csv(runs / "split_m3" / "classes.csv")
    assert sorted(classes["class"].unique()) == [0, 1, 2] and {"psnr_db", "image", "y", "x"} <= set(classes)
    for backbone in ("fsrcnn", "rcan"):
        log = pd.read_csv(runs / backbone / "classsr" / "classsr" / "train_log.csv")
        assert {"iteration", "l1", "class_loss", "average_loss", "loss", "lr", "samples_per_s",
                "frac_class0", "frac_class2"} <= set(log.columns)
        cfg = RunConfig.load(runs / backbone / "classsr" / "classsr" / "config.yaml")
        assert cfg.widths == tuple(raw["train"]["backbones"][backbone]["widths"]) and cfg.l1_weight in (1000, 4)
        model = load_official(f"classsr_{backbone}", out[f"{backbone}/classsr/joint"])
        assert model.widths == cfg.widths
    assert not list(runs.rglob("last.pt"))  # resume state is removed once a run completes


def test_branches_use_their_class_and_stay_frozen_in_classsr(chain):
    _, _, runs, out = chain
    cfg = RunConfig.load(out["carn/classsr/branch1"].parent / "config.yaml")
    assert cfg.class_id == 1 and cfg.widths == (8,)
    classsr = load_official("classsr_carn", out["carn/classsr/classsr"])
    for k in range(3):
        branch = load_official("carn", out[f"carn/classsr/branch{k}"])
        for (name, a), b in zip(branch.state_dict().items(), classsr.branches[k].state_dict().values()):
            assert torch.equal(a, b), name  # BN statistics included: frozen branches run in eval mode


def test_frozen_branches_run_transposed_convs_as_at_inference_and_give_the_same_mixture():
    """Stage 2 runs the frozen FSRCNN branches' deconvs as conv + pixel shuffle (evaluation's op, ~2× faster on
    CPU); the mixture and the gradient reaching the Class-Module equal the plain transposed conv's to rounding."""
    from bench.models import build
    from bench.models.subpixel import SubPixelDeconv

    torch.manual_seed(0)
    model = build("classsr_fsrcnn", widths=(4, 8, 12))
    lr = torch.rand(4, 3, 32, 32)
    results = []
    for stage in ("branch", "classsr"):  # "branch": every module in training mode, plain transposed convs
        trainer.set_modes(model, stage)
        model.zero_grad()
        out = model.run(lr)
        out.sr.sum().backward()
        grads = [p.grad.clone() for p in model.classifier.parameters()]
        results.append((out.sr.detach(), grads))
        deconvs = [m for m in model.branches.modules() if isinstance(m, SubPixelDeconv)]
        assert all(m._applies() for m in deconvs) == (stage == "classsr") and len(deconvs) == 3
        assert model.classifier.training and all(b.training for b in model.branches) == (stage == "branch")
    (sr_a, g_a), (sr_b, g_b) = results
    assert not torch.equal(sr_a, sr_b) and torch.allclose(sr_a, sr_b, atol=1e-5)
    assert all(torch.allclose(a, b, rtol=1e-4, atol=1e-6) for a, b in zip(g_a, g_b))


def test_completed_runs_are_skipped_and_guarded(chain):
    raw, data, runs, out = chain
    profile = load_profile(None, raw)
    cfg = resolve(profile, "baseline", "fsrcnn", data_dir=str(data))
    path = out["fsrcnn/classsr/baseline"]
    before = path.stat().st_mtime_ns
    assert train(cfg, path.parent) == path
    assert path.stat().st_mtime_ns == before
    other = resolve(load_profile(None, {**raw, "train": {**raw["train"], "seed": 11}}), "baseline", "fsrcnn",
                    data_dir=str(data))
    with pytest.raises(RunConflict, match="another configuration"):
        train(other, path.parent)


def _branch_cfg(prepared, runs_classes, backbone="carn", stage="classsr", **extra):
    raw, data = prepared
    stages = {s: {"iterations": 5, "batch_size": 3, "periods": [5], "restarts": [], "restart_weights": []}
              for s in ("branch", "classsr")}
    profile = load_profile(None, tiny_profile_dict(raw["data"]["root"], stages=stages, checkpoint_every=2))
    return resolve(profile, stage, backbone, data_dir=str(data), classes_csv=str(runs_classes), **extra)


@pytest.mark.parametrize("backbone,stage", [("fsrcnn", "branch"), ("carn", "classsr")])
def test_resumed_run_equals_uninterrupted(prepared, chain, tmp_path, backbone, stage):
    runs = chain[2]
    out = chain[3]
    init = tuple(str(out[f"{backbone}/classsr/branch{k}"]) for k in range(3)) if stage == "classsr" else ()
    cfg = _branch_cfg(prepared, runs / "split_m3" / "classes.csv", backbone, stage,
                      class_id=1 if stage == "branch" else None,
                      init=init)
    whole = train(cfg, tmp_path / "whole")
    train(cfg, tmp_path / "cut", stop_after=3)  # "killed" after iteration 3; last checkpoint at 2
    assert torch.load(tmp_path / "cut" / "last.pt", weights_only=True)["iteration"] == 2
    resumed = train(cfg, tmp_path / "cut")
    a, b = torch.load(whole, weights_only=True), torch.load(resumed, weights_only=True)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    log = pd.read_csv(tmp_path / "cut" / "train_log.csv")
    assert log["iteration"].tolist() == [1, 2, 3, 4, 5]
    pd.testing.assert_frame_equal(log.drop(columns="samples_per_s"),
                                  pd.read_csv(tmp_path / "whole" / "train_log.csv").drop(columns="samples_per_s"))


def test_non_finite_loss_stops_with_last_good_checkpoint(prepared, chain, tmp_path, monkeypatch):
    cfg = _branch_cfg(prepared, chain[2] / "split_m3" / "classes.csv", "fsrcnn", "branch", class_id=0)
    real = trainer.losses

    def poisoned(model, cfg, lr, hr, **kw):
        terms = real(model, cfg, lr, hr, **kw)
        if poisoned.calls == 2:
            terms["loss"] = terms["loss"] * float("nan")
        poisoned.calls += 1
        return terms

    poisoned.calls = 0
    monkeypatch.setattr(trainer, "losses", poisoned)
    with pytest.raises(TrainingDiverged, match="loss is nan at iteration 3.*last.pt"):
        train(cfg, tmp_path / "run")
    assert torch.load(tmp_path / "run" / "last.pt", weights_only=True)["iteration"] == 2
    assert not (tmp_path / "run" / "model.pth").exists()


def test_config_typo_is_named(tmp_path, capsys, hr_folder):
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(tiny_profile_dict(hr_folder)))
    assert main(["train", "--config", str(path), "--set", "train.stages.branch.iteratons=3"]) == 2
    assert "train.stages.branch.iteratons" in capsys.readouterr().err
    assert main(["prepare", "--config", str(path), "--set", "data.scael=4"]) == 2
    assert "data.scael" in capsys.readouterr().err


def test_snapshots_give_a_learning_curve_against_bicubic(prepared, tmp_path):
    """train.snapshot_every keeps the -O's weights (iteration 0 included, the last is model.pth); bench curve
    evaluates each on a test set, and the report sets the curve against the bicubic reference."""
    import dataclasses

    from bench.commands.curve import checkpoints
    from bench.analysis.evaluate import evaluate_bicubic
    from bench.report.tables import learning_curve

    raw, data = prepared
    stages = {"baseline": {"iterations": 5, "batch_size": 2, "periods": [5], "restarts": [], "restart_weights": []}}
    profile = load_profile(None, tiny_profile_dict(raw["data"]["root"], stages=stages, snapshot_every=2))
    cfg = resolve(profile, "baseline", "fsrcnn", data_dir=str(data))
    assert cfg.snapshot_every == 2 and resolve(profile, "branch", "fsrcnn", data_dir=str(data),
                                               classes_csv="x.csv", class_id=0).snapshot_every == 0
    assert cfg.digest() == dataclasses.replace(cfg, snapshot_every=0).digest()  # keeping weights changes no result
    final = train(cfg, tmp_path / "run")
    assert [(i, p.name) for i, p in checkpoints(final.parent)] == [
        (0, "iter_0000000.pth"), (2, "iter_0000002.pth"), (4, "iter_0000004.pth"), (5, "model.pth")]
    first = load_official("fsrcnn", final.parent / "snapshots" / "iter_0000000.pth").state_dict()
    last = load_official("fsrcnn", final).state_dict()
    assert not torch.equal(first["head_conv.0.weight"], last["head_conv.0.weight"])  # 0 = the initialisation
    testset = data / "test" / "tiny"
    out = tmp_path / "curve.csv"
    assert main(["curve", "--run", str(final.parent), "--arch", "fsrcnn", "--testset", str(testset),
                 "--out", str(out), "--device", "cpu"]) == 0
    curve = pd.read_csv(out)
    assert sorted(curve["iteration"].unique()) == [0, 2, 4, 5] and len(curve) == 4 * 3  # 3 test images
    summary = evaluate_bicubic(testset=testset).assign(model="bicubic")
    table = learning_curve(curve, summary)
    assert list(table["iteration"]) == [0, 2, 4, 5]
    bicubic = summary["psnr_rgb_db"].mean()
    assert table["gain_over_bicubic_db"].to_numpy() == pytest.approx((table["psnr_rgb_db"] - bicubic).to_numpy())
    with pytest.raises(FileNotFoundError, match="finished training run"):
        checkpoints(tmp_path)


def test_patch_anatomy_of_a_trained_classsr(chain, tmp_path):
    """bench patches: the split's thresholds re-derived from classes.csv reproduce its classes; one row per patch of
    the test set with every branch's PSNR, and the classifier's class equals what evaluation routes."""
    from bench.commands.patches import split_thresholds
    from bench.train.split import assign

    raw, data, runs, out = chain
    table = pd.read_csv(runs / "split_m3" / "classes.csv")
    assert (assign(table["psnr_db"].to_numpy(), split_thresholds(runs / "split_m3" / "classes.csv"))
            == table["class"].to_numpy()).all()
    csv = tmp_path / "patches.csv"
    assert main(["patches", "--model", str(out["fsrcnn/classsr/classsr"]), "--arch", "classsr_fsrcnn",
                 "--original", str(out["fsrcnn/classsr/baseline"]), "--reference", str(out["reference"]),
                 "--classes", str(runs / "split_m3" / "classes.csv"), "--testset", str(data / "test" / "tiny"),
                 "--out", str(csv)]) == 0
    df = pd.read_csv(csv)
    assert {"ref_class", "class", "psnr_branch0_db", "psnr_branch2_db", "psnr_original_db"} <= set(df.columns)
    from bench.analysis.evaluate import evaluate

    model = load_official("classsr_fsrcnn", out["fsrcnn/classsr/classsr"])
    routing = tmp_path / "routing.csv"
    evaluate(model, backbone="fsrcnn", model_id="classsr", testset=data / "test" / "tiny", routing_out=routing)
    assert df["class"].tolist() == pd.read_csv(routing)["class"].tolist()


def test_a_second_trainer_on_one_run_folder_is_refused_naming_the_holder(prepared, chain, tmp_path):
    import signal
    import subprocess
    import sys

    from bench.lock import FolderBusy

    holder = subprocess.Popen([sys.executable, "-c", "import sys, time\nfrom bench.lock import folder_lock\n"
                               "with folder_lock(sys.argv[1]):\n    print('held', flush=True)\n    time.sleep(60)",
                               str(tmp_path / "run")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        cfg = _branch_cfg(prepared, chain[2] / "split_m3" / "classes.csv", "fsrcnn", "branch", class_id=0)
        with pytest.raises(FolderBusy, match=f"run folder is in use by process {holder.pid}"):
            train(cfg, tmp_path / "run")
        assert not (tmp_path / "run" / "train_log.csv").exists()
    finally:
        holder.send_signal(signal.SIGKILL)  # kill -9 releases the lock: no stale lock blocks the rerun
        holder.wait()
    assert train(cfg, tmp_path / "run").is_file()
    assert pd.read_csv(tmp_path / "run" / "train_log.csv")["iteration"].is_unique
