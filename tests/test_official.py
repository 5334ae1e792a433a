"""Authors' checkpoint format (spec §2): key sets and counts, round trips, width inference, strict errors."""
from __future__ import annotations

import os

import pytest
import torch
from conftest import tiny_kwargs

from bench.models import PAPER_WIDTHS, CheckpointError, build, export_official, load_official

KEY_COUNTS = {"fsrcnn": 20, "carn": 102, "srresnet": 74, "rcan": 1634,
              "classsr_fsrcnn": 72, "classsr_carn": 318, "classsr_srresnet": 234, "classsr_rcan": 4914}
#: A few keys and shapes quoted in spec §2a for the widest branch of each backbone.
KNOWN_KEYS = {
    "fsrcnn": {"head_conv.0.weight": (56, 3, 5, 5), "body_conv.0.0.weight": (12, 56, 1, 1),
               "body_conv.4.weight": (12, 12, 3, 3), "body_conv.5.weight": (1,), "body_conv.6.1.weight": (1,),
               "tail_conv.weight": (56, 3, 9, 9), "tail_conv.bias": (3,)},
    "carn": {"sub_mean.weight": (3, 3, 1, 1), "b1.b1.body.0.weight": (64, 16, 3, 3), "b3.b1.body.4.weight":
             (64, 64, 1, 1), "b2.c3.0.weight": (64, 256, 1, 1), "c1.1.num_batches_tracked": (),
             "c3.1.running_var": (64,), "upsample.up.body.3.weight": (256, 16, 3, 3), "exit.weight": (3, 64, 3, 3)},
    "srresnet": {"conv_first.weight": (64, 3, 3, 3), "recon_trunk.15.conv2.weight": (64, 64, 3, 3),
                 "upconv1.weight": (256, 64, 3, 3), "upconv2.bias": (256,), "HRconv.weight": (64, 64, 3, 3),
                 "conv_last.weight": (3, 64, 3, 3)},
    "rcan": {"sub_mean.bias": (3,), "add_mean.weight": (3, 3, 1, 1), "head.0.weight": (64, 3, 3, 3),
             "body.9.body.19.body.3.conv_du.0.weight": (4, 64, 1, 1), "body.0.body.0.body.3.conv_du.2.weight":
             (64, 4, 1, 1), "body.9.body.20.weight": (64, 64, 3, 3), "body.10.bias": (64,),
             "tail.0.0.weight": (256, 64, 3, 3), "tail.0.2.weight": (256, 64, 3, 3), "tail.1.weight": (3, 64, 3, 3)},
}
WIDTH_KEY = {"fsrcnn": "head_conv.0.weight", "carn": "entry.weight", "srresnet": "conv_first.weight",
             "rcan": "head.0.weight"}
CLASSIFIER_KEYS = ["lastOut.weight", "lastOut.bias"] + [f"CondNet.{i}.{p}" for i in (0, 2, 4, 6, 8)
                                                         for p in ("weight", "bias")]


@pytest.mark.parametrize("name", list(KEY_COUNTS))
def test_paper_models_key_counts_and_layout(name):
    state = export_official(build(name))
    assert len(state) == KEY_COUNTS[name]
    backbone = name.removeprefix("classsr_")
    prefix = "net3." if name.startswith("classsr_") else ""
    for key, shape in KNOWN_KEYS[backbone].items():
        assert tuple(state[prefix + key].shape) == shape, key
    assert all(k.startswith(("classifier.", "net1.", "net2.", "net3.")) or not name.startswith("classsr_")
               for k in state)
    if name.startswith("classsr_"):
        order = list(dict.fromkeys(k.split(".")[0] for k in state))
        assert order == ["classifier", "net1", "net2", "net3"]
        assert [k for k in state if k.startswith("classifier.")] == [f"classifier.{k}" for k in CLASSIFIER_KEYS]
        widths = tuple(state[f"net{k}.{WIDTH_KEY[backbone]}"].shape[0] for k in (1, 2, 3))
        assert widths == PAPER_WIDTHS[backbone]


def _roundtrip(name, **kwargs):
    model = build(name, **kwargs).eval()
    with torch.no_grad():
        for m in model.modules():  # non-default BN statistics must travel with the file
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    state = {f"module.{k}": v for k, v in export_official(model).items()}  # DataParallel prefix
    loaded = load_official(name, state, **({"scale": kwargs["scale"]} if "scale" in kwargs else {}))
    x = torch.rand(3, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), model(x), rtol=0, atol=0)
    return model, loaded


@pytest.mark.parametrize("name", list(KEY_COUNTS))
def test_roundtrip_gives_identical_outputs(name):
    _, loaded = _roundtrip(name, **tiny_kwargs(name))
    assert not loaded.training


def test_widths_and_depth_are_inferred_from_shapes():
    _, loaded = _roundtrip("classsr_rcan", widths=[16, 32], groups=2, blocks=3)
    assert loaded.widths == (16, 32) and loaded.branches[0].groups == 2 and loaded.branches[0].blocks == 3
    _, loaded = _roundtrip("srresnet", width=20, blocks=3, scale=3)
    assert (loaded.width, loaded.blocks, loaded.scale) == (20, 3, 3)
    _, loaded = _roundtrip("classsr_carn", widths=[8, 12, 16, 20], scale=2)
    assert loaded.widths == (8, 12, 16, 20) and loaded.scale == 2
    _, loaded = _roundtrip("fsrcnn", width=24, scale=2)
    assert loaded.width == 24 and loaded.scale == 2


def test_meanshift_and_bn_tensors_come_from_the_file():
    model = build("classsr_carn", **tiny_kwargs("classsr_carn"))
    state = export_official(model)
    state["net2.sub_mean.bias"] = torch.tensor([-0.1, -0.2, -0.3])
    state["net1.c2.1.running_mean"] = torch.full_like(state["net1.c2.1.running_mean"], 0.7)
    loaded = load_official("classsr_carn", state)
    assert loaded.branches[1].sub_mean.bias.tolist() == pytest.approx([-0.1, -0.2, -0.3])
    assert torch.all(loaded.branches[0].c2[1].running_mean == 0.7)


def test_load_from_path(tmp_path):
    model = build("fsrcnn", width=16)
    torch.save(export_official(model), tmp_path / "FSRCNN_branch1.pth")
    loaded = load_official("fsrcnn", tmp_path / "FSRCNN_branch1.pth")
    assert loaded.width == 16
    torch.testing.assert_close(loaded.tail_conv.weight, model.tail_conv.weight)


def _fsrcnn_state():
    return export_official(build("fsrcnn", width=16))


def test_missing_key_is_named():
    state = _fsrcnn_state()
    del state["body_conv.3.bias"]
    with pytest.raises(CheckpointError, match=r"missing keys \(1\): body_conv.3.bias"):
        load_official("fsrcnn", state)


def test_unexpected_key_is_named():
    state = {**_fsrcnn_state(), "body_conv.7.weight": torch.zeros(1)}
    with pytest.raises(CheckpointError, match=r"unexpected keys \(1\): body_conv.7.weight"):
        load_official("fsrcnn", state)


def test_misshaped_key_is_named():
    state = _fsrcnn_state()
    state["body_conv.2.weight"] = torch.zeros(12, 12, 5, 5)
    with pytest.raises(CheckpointError, match=r"body_conv.2.weight: file \(12, 12, 5, 5\)"):
        load_official("fsrcnn", state)


def test_classsr_error_names_authors_keys():
    state = export_official(build("classsr_fsrcnn", **tiny_kwargs("classsr_fsrcnn")))
    del state["net2.tail_conv.bias"]
    with pytest.raises(CheckpointError, match=r"net2\.tail_conv\.bias"):
        load_official("classsr_fsrcnn", state)


@pytest.mark.parametrize("name,source,match", [
    ("fsrcnn", "carn", "not a fsrcnn checkpoint.*head_conv.0.weight"),
    ("srresnet", "classsr_srresnet", "not a srresnet checkpoint.*conv_first.weight"),
    ("classsr_carn", "carn", r"not a classsr_carn checkpoint: expected branches net1 … netM, found none"),
    ("classsr_carn", "classsr_fsrcnn", "not a carn checkpoint.*entry.weight"),
])
def test_checkpoint_of_another_architecture(name, source, match):
    state = export_official(build(source, **tiny_kwargs(source)))
    with pytest.raises(CheckpointError, match=match):
        load_official(name, state)


def test_unknown_name():
    with pytest.raises(KeyError, match="no official format for 'edsr'"):
        load_official("edsr", {})


class _Evil:
    def __init__(self, flag):
        self.flag = flag

    def __reduce__(self):
        return (os.mkdir, (self.flag,))


def test_pickled_code_is_refused_and_not_run(tmp_path):
    flag = str(tmp_path / "code_ran")
    path = tmp_path / "evil.pth"
    torch.save({**_fsrcnn_state(), "payload": _Evil(flag)}, path)
    with pytest.raises(CheckpointError, match=r"evil.pth: refused to load — it holds the pickled object posix\.mkdir"):
        load_official("fsrcnn", path)
    assert not os.path.exists(flag)


def test_unreadable_and_missing_files(tmp_path):
    (tmp_path / "bad.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="bad.pth"):
        load_official("fsrcnn", tmp_path / "bad.pth")
    with pytest.raises(FileNotFoundError, match="nowhere.pth"):
        load_official("fsrcnn", tmp_path / "nowhere.pth")


@pytest.mark.parametrize("damage,match", [
    (lambda b: b[: len(b) // 2], r"half.pth: truncated or damaged: a zip archive without its directory"),
    (lambda b: b"", r"half.pth: empty file \(0 bytes\)"),
    (lambda b: b"<html>404</html>", r"half.pth: not a PyTorch checkpoint \(it starts with b'<html>4"),
])
def test_damaged_files_are_named_with_the_cause(tmp_path, damage, match):
    torch.save(_fsrcnn_state(), tmp_path / "full.pth")
    (tmp_path / "half.pth").write_bytes(damage((tmp_path / "full.pth").read_bytes()))
    with pytest.raises(CheckpointError, match=match):
        load_official("fsrcnn", tmp_path / "half.pth")


@pytest.mark.parametrize("spoil,match", [
    (lambda t: t.long(), r"wrong dtype \(1\): tail_conv.weight \(torch.int64, model torch.float32\)"),
    (lambda t: t.index_fill(0, torch.tensor([0]), float("nan")), r"NaN or infinite values \(1\): tail_conv.weight"),
    (lambda t: t.index_fill(0, torch.tensor([0]), float("inf")), r"NaN or infinite values \(1\): tail_conv.weight"),
])
def test_non_float_and_non_finite_tensors_are_refused_by_name(spoil, match):
    state = _fsrcnn_state()
    state["tail_conv.weight"] = spoil(state["tail_conv.weight"])
    with pytest.raises(CheckpointError, match=match):
        load_official("fsrcnn", state)


def test_wrapped_state_dict_gets_a_hint():
    with pytest.raises(CheckpointError, match=r"ckpt\['params'\]"):
        load_official("fsrcnn", {"params": _fsrcnn_state(), "iter": 5})


def test_paper_widths_roundtrip_for_classsr_fsrcnn():
    state = export_official(build("classsr_fsrcnn"))
    assert load_official("classsr_fsrcnn", state).widths == PAPER_WIDTHS["fsrcnn"]
