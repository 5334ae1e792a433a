"""Shared fixtures: tiny CPU configurations of every registered model."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
import torch

from bench.backbones import specs
from bench.models import REGISTRY

torch.set_num_threads(2)
# bench fetch's cache: an empty one per test session (and its workflow subprocesses), never the user's
os.environ["BENCH_CACHE"] = tempfile.mkdtemp(prefix="bench-cache-")


def _tiny() -> dict[str, dict]:
    """Smallest constructor kwargs that keep each model's structure, from each backbone's ``SPEC.tiny``."""
    tiny = {"classifier": {}}
    for name, s in specs().items():
        depth = {k: v for k, v in s.tiny.items() if k not in ("width", "widths")}
        tiny[name] = {"width": s.tiny["width"], **depth}
        tiny[f"classsr_{name}"] = {"widths": list(s.tiny["widths"]), **depth}
    tiny["classsr"] = {"backbone": "carn", **tiny["classsr_carn"]}  # the generic container, by keyword
    return tiny


TINY = _tiny()
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



def synthetic_image(rng, h: int, w: int):
    """Half smooth gradient (easy), half noise texture (hard): a class split has something to separate."""
    import numpy as np

    yy, xx = np.mgrid[0:h, 0:w]
    img = np.stack([(xx * 255 / w), (yy * 255 / h), np.full((h, w), 128.0)], axis=-1)
    img[:, w // 2:] = rng.integers(0, 256, (h, w - w // 2, 3))
    return img.astype(np.uint8)


def one_image_testset(data, hr, lr):
    """A hand-made test set ``<data>/test/t`` of one HR/LR pair (PNG files inside it): its folder."""
    import pandas as pd

    from bench.core.images import write_image

    folder = data / "test" / "t"
    folder.mkdir(parents=True)
    write_image(folder / "hr.png", hr)
    write_image(folder / "lr.png", lr)
    pd.DataFrame([{"name": "a", "hr": "hr.png", "lr": "lr.png"}]).to_csv(folder / "pairs.csv", index=False)
    return folder


def tiny_profile_dict(hr_dir, **train_extra) -> dict:
    """A profile that runs every stage in one step on tiny networks."""
    stage = {"iterations": 1, "batch_size": 2, "periods": [1], "restarts": [], "restart_weights": []}
    backbones = {b: {"widths": TINY[f"classsr_{b}"]["widths"], **branch_kwargs(b)}
                 for b in ("fsrcnn", "carn", "srresnet", "rcan")}
    return {"name": "tiny",
            "data": {"source": "folder", "root": str(hr_dir), "aug_scales": [1.0, 0.8],
                     "test_sets": [{"name": "tiny", "source": "folder", "root": str(hr_dir)}]},
            "split": {"thresholds": "quantile", "batch_size": 8},
            "train": {"device": "cpu", "log_every": 1, "checkpoint_every": 1, "joint": True,
                      "reference": {"widths": [8], "blocks": 1}, "backbones": backbones,
                      "stages": {s: dict(stage) for s in ("reference", "branch", "baseline", "classsr", "joint")},
                      **train_extra}}


@pytest.fixture(scope="session")
def hr_folder(tmp_path_factory):
    import numpy as np
    from skimage import io

    folder = tmp_path_factory.mktemp("hr")
    rng = np.random.default_rng(0)
    for i, (h, w) in enumerate([(160, 200), (192, 160), (136, 144)]):
        io.imsave(folder / f"img{i}.png", synthetic_image(rng, h, w), check_contrast=False)
    return folder


@pytest.fixture(scope="session")
def prepared(hr_folder, tmp_path_factory):
    """(profile dict, prepared data folder) shared by the data and training tests."""
    from bench.data.prepare import prepare
    from bench.profile import load_profile

    raw = tiny_profile_dict(hr_folder)
    out = tmp_path_factory.mktemp("prep") / "data"
    prepare(load_profile(None, raw).data, out)
    return raw, out


def assert_same_8bit(a, b):
    """Equal up to rare one-level 8-bit rounding flips: a batch of 64 and a batch of 1 can differ in the last float
    bit, which flips round() exactly at .5 for a handful of pixels (then halved by overlap averaging)."""
    import torch

    diff = (a - b).abs()
    assert diff.max().item() <= 1 / 255 + 1e-6
    assert (diff > 1e-6).float().mean().item() < 1e-4
    assert torch.isfinite(a).all()


def paper_eval_probe(tmp_path, *, official, arm, pcsr) -> dict:
    """configs/paper_eval.yaml at toy size, as a user runs it: authors'-format ClassSR/-O files in ``official``,
    ARM's released layout in ``arm`` (arm-<name>.pth), PCSR's in ``pcsr`` (save/<name>-pcsr-phase1/, <name>-x4/),
    each with random weights in its own file format; a processed test set; train.backbones limited to FSRCNN.
    Returns the profile (a dict) pointing at those folders."""
    import yaml

    from bench.core.images import write_image
    from bench.core.resize import bicubic_degrade
    from bench.data.sources import embedded
    from bench.methods.pcsr.checkpoint import to_released
    from bench.methods.pcsr.model import PCSR
    from bench.models import build, export_official, fresh_arm

    root = Path(__file__).resolve().parents[1]
    model = build("classsr_fsrcnn", widths=[8, 12, 16])
    with torch.no_grad():  # a classifier that sends every patch to the hard class
        model.classifier.lastOut.bias.copy_(torch.tensor([-50.0, -50.0, 50.0]))
    for folder in (official, arm):
        Path(folder).mkdir(parents=True, exist_ok=True)
    torch.save(export_official(model), Path(official) / "ClassSR_FSRCNN.pth")
    torch.save(export_official(model.branches[2]), Path(official) / "FSRCNN_O.pth")
    for sub in ("HR", "LR"):
        (tmp_path / "t2k" / sub / "X4").mkdir(parents=True)
    hr, lr = bicubic_degrade(embedded("test")[0].load()[:128, :160], 4)
    write_image(tmp_path / "t2k" / "HR" / "X4" / "a.png", hr)
    write_image(tmp_path / "t2k" / "LR" / "X4" / "a.png", lr)
    raw = yaml.safe_load((root / "configs" / "paper_eval.yaml").read_text())
    raw.update(name="paper_eval_probe", perf={"crop": "32x64", "repeats": 1, "warmup": 0, "modes": ["batched"]})
    raw["data"]["test_sets"] = [{"name": "test2k", "source": "processed", "root": str(tmp_path / "t2k")}]
    raw["official"]["folder"] = str(official)
    for name in ("fsrcnn", "carn"):  # ARM's released layout: ckpt/arm-<name>.pth
        torch.save(fresh_arm(name, seed=0).full.state_dict(), Path(arm) / f"arm-{name}.pth")
    raw["arm"].update(folder=str(arm), knobs=["e1", "e3", 0.85, 4])
    raw["train"] = {"device": "cpu", "backbones": {"fsrcnn": {}}}
    for name in ("fsrcnn-pcsr-phase1", "fsrcnn-x4"):
        (Path(pcsr) / name).mkdir(parents=True)
    torch.save(to_released(PCSR(backbone="fsrcnn")), Path(pcsr) / "fsrcnn-pcsr-phase1" / "iter_last.pth")
    torch.save({"model": {"name": "fsrcnn", "args": {"upscale": 4, "d": 56, "no_upsampling": False},
                          "sd": build("fsrcnn", width=56).state_dict()}}, Path(pcsr) / "fsrcnn-x4" / "iter_last.pth")
    raw["methods"]["pcsr"].update(folder=str(pcsr), backbones=["fsrcnn"], knobs=[0, "adm"])
    return raw
