"""Issue 11's extension claims, each shown by doing it: a fifth backbone is one file (+ one line naming it)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import one_image_testset

ROOT = Path(__file__).resolve().parents[1]

TOY_BACKBONE = '''"""A fifth backbone in one file: the test of issue 11's extension claim (not part of the suite)."""
import torch.nn.functional as F
from torch import nn

from bench.backbones import BackboneSpec
from bench.models.common import check_rgb_batch, check_scale, check_width, shape_of
from bench.models.registry import register

SPEC = BackboneSpec(name="toy", official_name="Toy", paper_widths=(4, 6, 8),
                    recipe={"branch": {"lr": 1e-3}}, tiny={"width": 4, "widths": (4, 6, 8)})


class Toy(nn.Module):
    def __init__(self, *, width: int, scale: int):
        super().__init__()
        self.width, self.scale = check_width(width), check_scale(scale)
        self.head = nn.Conv2d(3, width, 3, 1, 1)
        self.tail = nn.Conv2d(width, 3 * scale * scale, 3, 1, 1)

    def forward(self, x):
        check_rgb_batch(x)
        up = F.interpolate(x, scale_factor=self.scale, mode="bilinear", align_corners=False)
        return up + F.pixel_shuffle(self.tail(F.relu(self.head(x))), self.scale)


def infer_kwargs(state: dict) -> dict:
    return {"width": shape_of(state, "head.weight", "toy")[0]}


@register(infer_kwargs=infer_kwargs)
def toy(*, width: int = 8, scale: int = 4) -> Toy:
    return Toy(width=width, scale=scale)
'''


def _run_with_plugin(tmp_path, raw: dict, plugin: str):
    """The whole workflow on profile ``raw`` in ``tmp_path`` with ``plugin`` (a module in ``tmp_path``) in
    CLASSSR_BENCH_PLUGINS; the profile's results folder."""
    (tmp_path / "profile.yaml").write_text(yaml.safe_dump(raw))
    env = {**os.environ, "CLASSSR_BENCH_PLUGINS": plugin,
           "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run([sys.executable, "-m", "snakemake", "--cores", "2", "--directory", str(tmp_path),
                             "--snakefile", str(ROOT / "Snakefile"), "--configfile", str(tmp_path / "profile.yaml")],
                            cwd=tmp_path, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return tmp_path / "results" / raw["name"]


def test_a_fifth_backbone_is_one_file_and_runs_through_the_ci_dag(tmp_path):
    """The toy module below is the whole change (its name in CLASSSR_BENCH_PLUGINS stands for the line in
    bench.backbones.BACKBONE_MODULES): planning, training, evaluation, FLOPs, latency and report all follow."""
    (tmp_path / "toy_backbone.py").write_text(TOY_BACKBONE)
    raw = yaml.safe_load((ROOT / "configs" / "ci.yaml").read_text())
    raw["name"] = "toy_probe"
    raw["train"]["backbones"] = {"toy": {}}
    raw["ablations"] = [{"id": "no_class_loss", "backbone": "toy", "class_weight": 0}]
    raw["methods"] = {}  # ci's PCSR-FSRCNN is not this test's subject
    raw["perf"] = {"crop": "32x64", "repeats": 1, "warmup": 0, "batch_size": 8, "modes": ["batched"]}
    raw["train"]["snapshot_every"] = 0
    raw["train"]["seeds"] = [10]  # one seed: seeds are not this test's subject (the ci DAG runs two)
    out = _run_with_plugin(tmp_path, raw, "toy_backbone")
    table = pd.read_csv(out / "tables" / "table1.csv")
    assert set(table["backbone"]) == {"bicubic", "toy"} and set(table["variant"]) == {"bicubic", "classsr", "original"}
    assert set(pd.read_csv(out / "tables" / "ablations.csv")["model"]) >= {"no_class_loss"}
    assert "toy" in set(pd.read_csv(out / "flops" / "flops.csv")["model"])
    assert set(pd.read_csv(out / "perf" / "perf.csv")["backbone"]) == {"toy"}


def _plan(*ablations):
    from bench.plan.dag import Plan
    from bench.profile import load_profile

    return Plan(load_profile(ROOT / "configs" / "default.yaml", {"ablations": list(ablations)}))


def _run_without_init(plan, variant, stage="classsr"):
    import dataclasses

    return dataclasses.replace(plan.variant_run("fsrcnn", variant, stage), init=())


def test_a_new_ablation_axis_is_a_config_line():
    plan = _plan({"id": "lr_low", "backbone": "fsrcnn", "set": {"train.backbones.fsrcnn.stages.classsr.lr": 1e-4}},
                 {"id": "branch_lr", "backbone": "fsrcnn", "set": {"train.backbones.fsrcnn.stages.branch.lr": 5e-4}})
    assert plan.variant_run("fsrcnn", "lr_low", "classsr").lr == 1e-4
    assert plan.tag("fsrcnn", "lr_low") == plan.tag("fsrcnn", "classsr")  # its branches are the main ones
    # a variant whose branches differ gets branch runs of its own, never a folder of another configuration
    assert plan.tag("fsrcnn", "branch_lr").startswith("16-36-56_class_")
    assert plan.branch_run("fsrcnn", plan.tag("fsrcnn", "branch_lr"), 0).lr == 5e-4
    assert plan.branch_run("fsrcnn", plan.tag("fsrcnn", "classsr"), 0).lr == 1e-2


def test_the_paper_axes_are_shorthands_of_plain_overrides():
    short = _plan({"id": "a", "backbone": "fsrcnn", "class_weight": 0, "joint": True})
    plain = _plan({"id": "a", "backbone": "fsrcnn", "set": {
        "train.backbones.fsrcnn.stages.classsr.class_weight": 0, "train.backbones.fsrcnn.stages.joint.class_weight": 0,
        "train.joint": True}})
    for stage in ("classsr", "joint"):
        assert _run_without_init(short, "a", stage) == _run_without_init(plain, "a", stage)
    assert _run_without_init(short, "a").class_weight == 0


@pytest.mark.parametrize("ablation,match", [
    ({"set": {"data.scale": 2}}, "set.data.scale: only train.* keys"),
    ({"set": {"train.stages.baseline.lr": 1.0}}, "set.train.stages.baseline.lr: only train.* keys"),
    ({"set": {"train.stages.classsr.lrr": 1.0}}, "ablation x: unknown config key 'train.stages.classsr.lrr'"),
    # the default profile sets fsrcnn's own branch lr, which a profile-wide value cannot override
    ({"set": {"train.stages.branch.lr": 1e-4}}, "ablation x: its overrides change no run of fsrcnn"),
])
def test_ablation_overrides_are_checked_at_load(ablation, match):
    with pytest.raises(ValueError, match=re.escape(match)):
        _plan({"id": "x", "backbone": "fsrcnn", **ablation})


def test_a_new_metric_is_one_registry_entry(tmp_path, monkeypatch):
    """Registered once, a metric is computed per image, averaged per test set, and required of the reference."""
    import numpy as np

    from bench.core import metrics
    from bench.analysis.compare import compare
    from bench.data.sources import embedded
    from bench.analysis.evaluate import bicubic_image, evaluate
    from bench.models import build
    from bench.report.tables import dataset_rows
    from bench.core.resize import bicubic_degrade

    monkeypatch.setitem(metrics.METRICS, "mae_255", metrics.Metric(
        "mae_255", "0-255", lambda sr, hr, c: float(np.abs(sr - hr)[c:-c, c:-c].mean()), tolerance=0.1,
        higher_is_better=False))
    hr, lr = bicubic_degrade(embedded("test")[0].load()[:128, :128], 4)
    testset = one_image_testset(tmp_path / "data", hr, lr)
    row = bicubic_image(testset / "lr.png", testset / "hr.png", scale=4)
    assert 0 < row["mae_255"] < 30 and {"psnr_rgb_db", "ssim_y"} <= set(row)
    net = evaluate(build("fsrcnn", width=8), backbone="fsrcnn", model_id="original",
                   testset=tmp_path / "data" / "test" / "t", batch_size=8)
    assert net.loc[0, "mae_255"] > row["mae_255"]  # an untrained network is worse than bicubic
    summary = pd.DataFrame([{"testset": "t", "image": f"i{k}", "backbone": "bicubic", "model": "bicubic",
                             "variant": "bicubic", **row, "mae_255": v, "flops_paper": 0.0, "macs": 0.0,
                             "flops_authors": 0.0, "time_ms": 1.0} for k, v in enumerate((2.0, 4.0))])
    assert dataset_rows(summary)["mae_255"].tolist() == [3.0]
    (tmp_path / "cur").mkdir()
    (tmp_path / "ref").mkdir()
    summary.to_csv(tmp_path / "cur" / "summary.csv", index=False)
    summary.drop(columns="mae_255").to_csv(tmp_path / "ref" / "summary.csv", index=False)
    assert "the reference lacks metric column(s) ['mae_255']" in compare(tmp_path / "cur", tmp_path / "ref")[0]
    summary.assign(mae_255=[2.0, 4.5]).to_csv(tmp_path / "ref" / "summary.csv", index=False)
    assert any("mae_255 drifted" in p for p in compare(tmp_path / "cur", tmp_path / "ref"))
    # a protocol variant (no border crop) is checked where the reference has it, not demanded of an older one
    crop0 = [c for c, m in metrics.METRICS.items() if not m.primary]
    assert crop0 and summary[crop0].notna().all().all()
    summary.drop(columns=crop0).to_csv(tmp_path / "ref" / "summary.csv", index=False)
    assert compare(tmp_path / "cur", tmp_path / "ref") == []
    summary.assign(psnr_rgb_crop0_db=summary["psnr_rgb_crop0_db"] + 0.1).to_csv(tmp_path / "ref" / "summary.csv",
                                                                                 index=False)
    assert any("psnr_rgb_crop0_db drifted" in p for p in compare(tmp_path / "cur", tmp_path / "ref"))


TINY_CLASSIFIER = '''"""A different Class-Module in one file: a pooled 1x1 conv head."""
import torch.nn.functional as F
from torch import nn

from bench.models.registry import register


class TinyClassifier(nn.Module):
    def __init__(self, *, num_classes: int):
        super().__init__()
        self.head = nn.Conv2d(3, num_classes, 1)

    def forward(self, x):
        return F.adaptive_avg_pool2d(self.head(x), 1).flatten(1)


@register
def tiny_classifier(*, num_classes: int = 3) -> TinyClassifier:
    return TinyClassifier(num_classes=num_classes)
'''


def test_a_new_classifier_is_one_file_and_a_config_line(tmp_path, monkeypatch, prepared):
    """Trained as the Class-Module of ClassSR-FSRCNN by one profile line, saved, and loaded for evaluation."""
    from bench.plan.dag import Plan
    from bench.models import REGISTRY, import_plugins, load_official
    from bench.profile import load_profile
    from bench.train.run import resolve
    from bench.train.trainer import train

    (tmp_path / "tiny_classifier.py").write_text(TINY_CLASSIFIER)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("CLASSSR_BENCH_PLUGINS", "tiny_classifier")
    try:
        import_plugins()
        raw, data = prepared
        stage = {"iterations": 1, "batch_size": 4, "periods": [1], "restarts": [], "restart_weights": []}
        profile = load_profile(None, {**raw, "train": {**raw["train"], "stages": {"classsr": stage}, "backbones": {
            "fsrcnn": {"widths": [4, 8, 12], "classifier": "tiny_classifier"}}}})
        cfg = resolve(profile, "classsr", "fsrcnn", data_dir=str(data))
        assert cfg.model_kwargs == {"classifier": "tiny_classifier"}
        model = load_official("classsr_fsrcnn", train(cfg, tmp_path / "run"), classifier="tiny_classifier")
        assert type(model.classifier).__name__ == "TinyClassifier" and model.widths == (4, 8, 12)
        assert Plan(profile).evaluated_classifier("fsrcnn", "classsr") == "tiny_classifier"
        # the paper's runs keep their configuration digests: the default classifier is not written into them
        assert "classifier" not in resolve(load_profile(None, raw), "classsr", "fsrcnn", data_dir="d").model_kwargs
    finally:
        REGISTRY.pop("tiny_classifier", None)
        sys.modules.pop("tiny_classifier", None)


def test_main_variants_keep_plain_branch_tags_when_backbones_share_widths():
    """Branch folders are per backbone: two backbones with equal widths both keep the plain tag."""
    from bench.plan.dag import Plan
    from bench.profile import load_profile

    plan = Plan(load_profile(ROOT / "configs" / "ci.yaml"))
    assert {plan.tag(b, "classsr") for b in ("fsrcnn", "carn", "srresnet")} == {"8-12-16_class"}
    assert plan.tag("fsrcnn", "two_classes") == "8-16_class"


#: A toy content-adaptive method as one package (issue 23): ``__init__`` registers it (torch-free, so planning stays
#: torch-free), ``model`` holds its routed model — the method interface of bench/models/interface.py, nothing else.
VARIANCE_PACKAGE = {
    "__init__.py": '''"""Variance routing: a patch takes the wide network where its pixel variance exceeds a threshold, else the
narrow one; the two networks are branches of the profile's main ClassSR (``paths``: which)."""
from dataclasses import dataclass

from bench.methods import Method, MethodModel, register_method


@dataclass(frozen=True)
class VarianceConfig:
    backbones: tuple[str, ...] = ()
    paths: tuple[int, ...] = (0, -1)
    threshold: float = 0.01


def models(plan, cfg):
    return [MethodModel(method="variance", backbone=b, id="variance",
                        inputs=tuple(str(plan.branch_models(b, "classsr")[k]) for k in cfg.paths),
                        options={"threshold": cfg.threshold, "paths": list(cfg.paths)}) for b in cfg.backbones]


def load(inputs, *, backbone, scale, threshold, paths):
    from bench.models import load_official

    from .model import VarianceRouter
    return VarianceRouter([load_official(backbone, p, scale=scale) for p in inputs], threshold=threshold)


def perf_model(*, backbone, scale, depth, threshold, paths):
    from bench.backbones import spec
    from bench.models import build

    from .model import VarianceRouter
    widths = spec(backbone).paper_widths
    return VarianceRouter([build(backbone, width=widths[k], scale=scale, **depth) for k in paths], threshold=threshold)


register_method(Method(name="variance", config=VarianceConfig, models=models, load=load, perf_model=perf_model))
''',
    "model.py": '''"""The variance router: logits (0, log(variance / threshold)) per patch, argmax = path."""
import torch
from torch import nn

from bench.core import flops
from bench.models.common import check_classes


class VarianceScore(nn.Module):
    def __init__(self, threshold: float):
        super().__init__()
        self.register_buffer("threshold", torch.tensor(float(threshold)))

    def forward(self, x):
        score = torch.log(x.var(dim=(1, 2, 3)).clamp_min(1e-12) / self.threshold)
        return torch.stack([torch.zeros_like(score), score], 1)


class VarianceRouter(nn.Module):
    routed, method = True, "variance"

    def __init__(self, nets, *, threshold: float):
        super().__init__()
        self.nets, self.score, self.scale = nn.ModuleList(nets), VarianceScore(threshold), nets[0].scale

    @property
    def branches(self):
        return list(self.nets)

    @property
    def router(self):
        return self.score

    @property
    def num_classes(self):
        return len(self.nets)

    def route(self, patches):
        logits = self.score(patches)
        return logits.softmax(1), logits.argmax(1)

    def check_classes(self, classes, n, device=None):
        return check_classes(classes, n, self.num_classes, device)

    def path_costs(self, convention="paper"):
        return tuple(flops.count(net, 32, convention) for net in self.nets), 0

    def compile_networks(self, compile_fn):
        self.nets = nn.ModuleList(compile_fn(net) for net in self.nets)
        return self
''',
}


def _write_variance_package(folder: Path) -> None:
    (folder / "variance_method").mkdir()
    for name, text in VARIANCE_PACKAGE.items():
        (folder / "variance_method" / name).write_text(text)


def test_a_third_method_evaluates_through_the_generic_engine_with_no_edit(tmp_path, monkeypatch):
    """A routed method written against the interface alone gets evaluation rows with its routing and its FLOPs,
    FLOPs accounting that refuses the whole model, and the engine's batched output equal to perf's per-patch loop
    (the authors' protocol) — no edit to the engine, evaluation or perf."""
    import importlib

    import numpy as np
    import torch

    from bench.analysis import perf
    from bench.analysis.evaluate import evaluate
    from bench.core import flops
    from bench.core.images import read_image, to_tensor
    from bench.core.inference import upscale
    from bench.core.resize import bicubic_degrade
    from bench.data.sources import embedded
    from bench.models import build

    _write_variance_package(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    hr, lr = bicubic_degrade(embedded("test")[0].load()[:256, :256], 4)
    testset = one_image_testset(tmp_path / "data", hr, lr)
    x = to_tensor(read_image(testset / "lr.png"))
    patches = torch.stack([x[:, y:y + 32, c:c + 32] for y, c in _grid(x)])
    torch.manual_seed(0)
    router = importlib.import_module("variance_method.model").VarianceRouter
    model = router([build("fsrcnn", width=w) for w in (4, 8)],
                   threshold=float(patches.var(dim=(1, 2, 3)).median())).eval()  # routing spread
    rows = evaluate(model, backbone="fsrcnn", model_id="variance", testset=testset, batch_size=8)
    narrow, wide = (flops.count(net, 32, "paper") for net in model.nets)
    row = rows.iloc[0]
    assert row.n_class0 > 0 and row.n_class1 > 0 and row.n_class0 + row.n_class1 == row.patches
    assert row.flops_paper == (row.n_class0 * narrow + row.n_class1 * wide) / row.patches
    assert row.variant == "variance" and 0.5 <= row.mean_max_prob <= 1
    with pytest.raises(TypeError, match="routed model's cost"):
        flops.count(model)
    batched, classes = upscale(model, x, batch_size=8)
    looped = perf.per_patch(model, x)
    assert torch.equal(classes, model.route(patches)[1])
    assert np.allclose(torch.round(batched * 255).numpy(), torch.round(looped * 255).numpy(), atol=1)


def _grid(x):
    from bench.core.tiling import make_grid

    grid = make_grid(*x.shape[1:])
    return [grid.position(i) for i in range(len(grid))]


def test_a_third_method_is_one_package_and_runs_through_the_ci_dag(tmp_path):
    """The variance package above is the whole change (its name in CLASSSR_BENCH_PLUGINS stands for the line in
    bench.methods.METHOD_MODULES), enabled by one profile section: evaluation rows, Fig. 2 points, routing curves
    and a latency row follow with no edit to the engine, evaluation, report or rules."""
    _write_variance_package(tmp_path)
    raw = yaml.safe_load((ROOT / "configs" / "ci.yaml").read_text())
    raw.update(name="method_probe", ablations=[], methods={"variance": {"backbones": ["fsrcnn"], "threshold": 0.01}})
    raw.pop("arm")
    raw["train"].update(backbones={"fsrcnn": {"widths": [8, 12, 16]}}, snapshot_every=0, stage2_points=0,
                        seeds=[10])  # one seed: seeds are not this test's subject
    raw["perf"] = {"crop": "32x64", "repeats": 1, "warmup": 0, "batch_size": 8, "modes": ["batched"],
                   "mixes": ["real"], "arm_knobs": []}
    out = _run_with_plugin(tmp_path, raw, "variance_method")
    rows = pd.read_csv(out / "eval" / "summary.csv").query("model == 'variance'")
    assert len(rows) and set(rows["variant"]) == {"variance"}
    assert rows["n_class0"].sum() > 0 and rows["n_class1"].sum() > 0  # its own routing, spread
    methods = pd.read_csv(out / "tables" / "methods.csv")
    assert {"bicubic", "original", "classsr", "variance"} <= set(methods["method"])
    assert "variance" not in set(pd.read_csv(out / "tables" / "ablations.csv")["model"])
    assert set(pd.read_csv(out / "tables" / "variance.csv")["method"]) == {"bicubic", "original", "classsr", "variance"}
    points = pd.read_csv(out / "tables" / "fig2_points.csv")
    assert len(points[points["method"] == "variance"]) == 1
    curves = pd.read_csv(out / "tables" / "routing_curves.csv")
    assert {"classifier", "classifier_bias", "oracle", "random"} <= set(curves[curves["model"] == "variance"]["policy"])
    perf = pd.read_csv(out / "perf" / "latency.csv")
    assert len(perf[perf["model"] == "variance"]) == 1


def _probe_method(monkeypatch, ids=("probe",)):
    """A registered method whose models are the main ClassSR's branches of fsrcnn (no package on disk)."""
    import dataclasses

    from bench import methods

    @dataclasses.dataclass(frozen=True)
    class ProbeConfig:
        backbones: tuple[str, ...] = ("fsrcnn",)

    def models(plan, cfg):
        return [methods.MethodModel(method="probe", backbone=b, id=i, inputs=tuple(map(str, plan.branch_models(
            b, "classsr")))) for b in cfg.backbones for i in ids]

    monkeypatch.setitem(methods.METHODS, "probe", methods.Method(name="probe", config=ProbeConfig, models=models,
                                                                 load=lambda *a, **k: None))


def test_a_method_section_is_checked_by_the_methods_own_config(monkeypatch):
    from bench.config import ConfigError
    from bench.profile import load_profile

    _probe_method(monkeypatch)
    with pytest.raises(ConfigError, match=r"methods\.nope: unknown method 'nope'; registered: .*probe"):
        load_profile(ROOT / "configs" / "ci.yaml", {"methods": {"nope": {}}})
    with pytest.raises(ConfigError, match=r"unknown config key 'methods\.probe\.treshold'"):
        load_profile(ROOT / "configs" / "ci.yaml", {"methods": {"probe": {"treshold": 1}}})
    with pytest.raises(ConfigError, match=r"methods\.probe\.backbones: expected a list"):
        load_profile(ROOT / "configs" / "ci.yaml", {"methods": {"probe": {"backbones": 3}}})


@pytest.mark.parametrize("taken", ["original", "classsr", "no_class_loss", "arm_k1", "bicubic"])
def test_a_method_model_id_cannot_take_another_models_place(monkeypatch, taken):
    from bench.config import ConfigError
    from bench.plan.dag import Plan
    from bench.profile import load_profile

    _probe_method(monkeypatch, ids=(taken,))
    with pytest.raises(ConfigError, match=f"methods.probe: model id '{taken}' of fsrcnn is taken"):
        Plan(load_profile(ROOT / "configs" / "ci.yaml", {"methods": {"probe": {}}}))


def test_the_plan_gives_a_method_model_its_inputs_load_arguments_and_latency_row(monkeypatch):
    from bench.plan.dag import Plan
    from bench.profile import load_profile

    _probe_method(monkeypatch)
    plan = Plan(load_profile(ROOT / "configs" / "ci.yaml", {"methods": {"probe": {}}}))
    assert plan.evaluated_inputs("fsrcnn", "probe") == plan.branch_models("fsrcnn", "classsr")
    assert plan.load_args("fsrcnn", "probe") == ["--method", "probe", "--options", "{}"]
    assert plan.load_args("fsrcnn", "classsr")[:2] == ["--arch", "classsr_fsrcnn"]
    assert plan.evaluation("embedded", "fsrcnn", "probe") in plan.evaluations()
    assert ("embedded", "fsrcnn", "probe") in {c[:3] for c in plan.routing_caches()}
    assert "probe" not in plan.perf_args()  # no perf_model: nothing to time
