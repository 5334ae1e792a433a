"""No silently wrong number (issue 21): each bad input a new user tried is refused at the boundary, in one line
naming the file, key or value, before any work — and nothing is written under --out."""
from __future__ import annotations

import os
import shutil
import stat

import numpy as np
import pandas as pd
import pytest
import yaml
from skimage import io

from bench.cli import main
from bench.config import ConfigError
from bench.data.prepare import DataConflict, prepare
from bench.profile import load_profile
from conftest import synthetic_image


def _write(path, h, w, seed=0):
    path.parent.mkdir(parents=True, exist_ok=True)
    io.imsave(path, synthetic_image(np.random.default_rng(seed), h, w), check_contrast=False)


def _data_cfg(root, *, test_root=None, train=False):
    test = [{"name": "t", "source": "folder", "root": str(test_root or root)}]
    data = {"source": "folder", "root": str(root), "aug_scales": [1.0]} if train else {"source": "none"}
    return load_profile(None, {"data": {**data, "test_sets": test}}).data


@pytest.fixture
def x4_set(tmp_path):
    """A test set prepared at ×4 from two 256×192 photographs: (data folder, test-set folder)."""
    src = tmp_path / "src"
    for i in range(2):
        _write(src / f"im{i}.png", 192, 256, seed=i)
    data = prepare(_data_cfg(src), tmp_path / "data")
    return data, data / "test" / "t"


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: "), err
    return err[0]


# ---- BAD 1: a scale that is not the test set's ----------------------------------------------------------------

def test_evaluate_refuses_a_scale_that_is_not_the_test_sets(x4_set, tmp_path, capsys):
    _, testset = x4_set
    out = tmp_path / "out" / "x.csv"
    rc = main(["evaluate", "--arch", "bicubic", "--testset", str(testset), "--scale", "2", "--out", str(out)])
    line = _one_error_line(capsys)
    assert rc != 0
    assert "HR 256×192 is not 2 × LR 64×48" in line and "prepared at scale 4; pass --scale 4" in line
    assert not out.exists() and not (tmp_path / "out").exists()


def test_evaluate_refuses_a_model_at_another_scale_before_loading_it(x4_set, tmp_path, capsys):
    import torch
    from bench.models import build, export_official

    _, testset = x4_set
    ckpt = tmp_path / "m.pth"
    torch.save(export_official(build("fsrcnn", width=8)), ckpt)
    out = tmp_path / "out" / "x.csv"
    rc = main(["evaluate", "--arch", "fsrcnn", "--model", str(ckpt), "--testset", str(testset), "--scale", "2",
               "--out", str(out), "--sample", str(tmp_path / "out" / "s.png")])
    assert rc != 0 and "pass --scale 4" in _one_error_line(capsys)
    assert not (tmp_path / "out").exists()


def test_a_hand_made_test_set_is_checked_by_its_image_sizes(tmp_path):
    """No recorded scale (pairs.csv written by hand): the HR/LR sizes alone decide."""
    from bench.analysis.evaluate import testset_pairs

    t = tmp_path / "t"
    _write(t / "hr.png", 128, 128)
    _write(t / "lr.png", 32, 32)
    pd.DataFrame([{"name": "a", "hr": "hr.png", "lr": "lr.png"}]).to_csv(t / "pairs.csv", index=False)
    assert len(testset_pairs(t, scale=4)) == 1
    with pytest.raises(ValueError, match=r"a: HR 128×128 is not 3 × LR 32×32 \(the sizes say scale 4"):
        testset_pairs(t, scale=3)


# ---- BAD 2: two source files with one name -------------------------------------------------------------------

@pytest.mark.parametrize("train", [False, True])
def test_two_files_with_one_name_are_refused(tmp_path, train):
    src = tmp_path / "src"
    _write(src / "a.png", 192, 256)
    _write(src / "a.jpg", 192, 256, seed=1)
    _write(src / "b.png", 192, 256, seed=2)
    with pytest.raises(ValueError, match=r"a\.jpg and a\.png .*share the name 'a'"):
        prepare(_data_cfg(src, train=train), tmp_path / "data")
    assert not (tmp_path / "data").exists()


def test_prepare_command_with_a_name_clash_exits_with_one_line(tmp_path, capsys):
    src = tmp_path / "src"
    _write(src / "a.png", 192, 256)
    _write(src / "a.jpg", 192, 256, seed=1)
    cfg = tmp_path / "p.yaml"
    cfg.write_text(yaml.safe_dump({"name": "p", "data": {"source": "none", "test_sets": [
        {"name": "t", "source": "folder", "root": str(src)}]}}))
    assert main(["prepare", "--config", str(cfg), "--data", str(tmp_path / "data")]) != 0
    assert "share the name 'a'" in _one_error_line(capsys)
    assert not (tmp_path / "data").exists()


def test_duplicate_names_in_pairs_csv_are_refused(x4_set, tmp_path, capsys):
    from bench.analysis.evaluate import testset_pairs

    _, testset = x4_set
    pairs = pd.read_csv(testset / "pairs.csv")
    pd.concat([pairs, pairs.iloc[:1]]).to_csv(testset / "pairs.csv", index=False)
    with pytest.raises(ValueError, match=r"pairs.csv: image name 'im0' appears 2 times"):
        testset_pairs(testset, scale=4)
    out = tmp_path / "out" / "x.csv"
    assert main(["evaluate", "--arch", "bicubic", "--testset", str(testset), "--out", str(out)]) != 0
    assert "appears 2 times" in _one_error_line(capsys) and not (tmp_path / "out").exists()
    assert main(["prepare", "--verify", "--data", str(testset.parents[1]), "--config", "configs/ci.yaml"]) == 1


# ---- BAD 3: a copied test-set folder reads its own files -------------------------------------------------------

def test_a_copied_test_set_is_evaluated_from_its_own_files(x4_set, capsys):
    from bench.analysis.evaluate import evaluate_bicubic

    data, testset = x4_set
    copy = data / "test" / "t2"
    shutil.copytree(testset, copy)
    lr = io.imread(copy / "LR" / "X4" / "im1.png")
    io.imsave(copy / "LR" / "X4" / "im1.png", 255 - lr, check_contrast=False)  # the copy's own, changed LR
    original = evaluate_bicubic(testset=testset, scale=4).set_index("image")["psnr_rgb_db"]
    copied = evaluate_bicubic(testset=copy, scale=4).set_index("image")["psnr_rgb_db"]
    assert copied["im0"] == original["im0"] and copied["im1"] < original["im1"] - 5
    (copy / "HR" / "X4" / "im0.png").unlink()  # a deleted image is missing, not taken from the sibling
    with pytest.raises(FileNotFoundError, match=r"t2.*HR/X4/im0.png"):
        evaluate_bicubic(testset=copy, scale=4)


def test_prepared_pairs_are_relative_to_the_test_set_folder(x4_set):
    _, testset = x4_set
    pairs = pd.read_csv(testset / "pairs.csv")
    assert list(pairs["hr"]) == ["HR/X4/im0.png", "HR/X4/im1.png"]
    assert list(pairs["lr"]) == ["LR/X4/im0.png", "LR/X4/im1.png"]


def test_an_old_layout_test_set_is_refused_with_the_fix(x4_set):
    from bench.analysis.evaluate import testset_pairs

    _, testset = x4_set
    pairs = pd.read_csv(testset / "pairs.csv")
    pairs[["hr", "lr"]] = "test/t/" + pairs[["hr", "lr"]]  # paths relative to the data folder (before issue 21)
    pairs.to_csv(testset / "pairs.csv", index=False)
    with pytest.raises(ValueError, match=r"relative to the data folder.*prepare --force"):
        testset_pairs(testset, scale=4)


# ---- BAD 4: a test set with no usable image --------------------------------------------------------------------

def test_a_test_set_without_a_usable_image_is_refused(tmp_path, capsys):
    src = tmp_path / "src"
    _write(src / "tiny.png", 100, 80)  # LR 20×25: smaller than one 32×32 patch
    with pytest.raises(ValueError, match=r"test set t: no usable image, .*: tiny \(LR 20×25\); use larger"):
        prepare(_data_cfg(src), tmp_path / "data")
    assert not (tmp_path / "data").exists()


def test_evaluate_and_verify_refuse_an_empty_test_set(x4_set, tmp_path, capsys):
    data, testset = x4_set
    pd.DataFrame(columns=["name", "hr", "lr"]).to_csv(testset / "pairs.csv", index=False)
    out = tmp_path / "out" / "x.csv"
    assert main(["evaluate", "--arch", "bicubic", "--testset", str(testset), "--out", str(out)]) != 0
    assert "no image" in _one_error_line(capsys) and not out.exists()
    assert main(["prepare", "--verify", "--data", str(data), "--config", "configs/ci.yaml"]) == 1
    assert "no image" in capsys.readouterr().err


def test_a_folder_that_is_not_a_test_set_is_named(tmp_path, capsys):
    assert main(["evaluate", "--arch", "bicubic", "--testset", str(tmp_path), "--out", str(tmp_path / "x.csv")]) != 0
    assert f"{tmp_path}: not a prepared test set (no pairs.csv)" in _one_error_line(capsys)


# ---- BAD 5: an output that cannot be written -------------------------------------------------------------------

@pytest.mark.parametrize("where", ["directory", "under_a_file", "read_only"])
def test_an_unwritable_out_is_refused_before_the_work(x4_set, tmp_path, capsys, monkeypatch, where):
    _, testset = x4_set
    if where == "directory":
        out, cause = tmp_path / "adir", "is a directory"
        out.mkdir()
    elif where == "under_a_file":
        (tmp_path / "afile").write_text("x")
        out, cause = tmp_path / "afile" / "x.csv", "not a directory"
    else:
        ro = tmp_path / "ro"
        ro.mkdir()
        out, cause = ro / "x.csv", "cannot write"
        if os.geteuid() == 0:  # root writes anywhere: /proc is read-only even for root
            out = type(tmp_path)("/proc/classsr-bench-test/x.csv")
        else:
            ro.chmod(0o555)
    import bench.analysis.evaluate

    monkeypatch.setattr(bench.analysis.evaluate, "bicubic_image", lambda *a, **k: pytest.fail("work done before the check"))
    assert main(["evaluate", "--arch", "bicubic", "--testset", str(testset), "--out", str(out)]) != 0
    line = _one_error_line(capsys)
    assert "--out" in line and cause in line, line


# ---- WEAK: sources changed after prepare ------------------------------------------------------------------------

def test_changed_and_added_sources_are_detected(tmp_path, capsys):
    src = tmp_path / "src"
    for i in range(2):
        _write(src / f"im{i}.png", 192, 256, seed=i)
    cfg = _data_cfg(src, train=True)
    data = prepare(cfg, tmp_path / "data")
    prepare(cfg, data)  # unchanged: reused
    _write(src / "im1.png", 192, 256, seed=7)
    _write(src / "im9.png", 192, 256, seed=9)
    with pytest.raises(DataConflict, match=r"changed: im1.png.*added: im9.png.*--force"):
        prepare(cfg, data)
    assert (data / "sources.csv").is_file()
    prepare(cfg, data, force=True)
    (src / "im0.png").unlink()
    with pytest.raises(DataConflict, match=r"removed: im0.png"):
        prepare(cfg, data)


def test_prepare_command_says_already_prepared(tmp_path, capsys):
    src = tmp_path / "src"
    _write(src / "im0.png", 192, 256)
    cfg = tmp_path / "p.yaml"
    cfg.write_text(yaml.safe_dump({"name": "p", "data": {"source": "none", "test_sets": [
        {"name": "t", "source": "folder", "root": str(src)}]}}))
    args = ["prepare", "--config", str(cfg), "--data", str(tmp_path / "data")]
    assert main(args) == 0 and "already prepared" not in capsys.readouterr().out
    assert main(args) == 0 and "already prepared" in capsys.readouterr().out


def test_workflow_check_finds_changed_sources_before_any_job(x4_set, tmp_path):
    from bench.data.prepare import check_prepared

    data, _ = x4_set
    cfg = _data_cfg(tmp_path / "src")
    check_prepared(cfg, data)
    _write(tmp_path / "src" / "im0.png", 192, 256, seed=5)
    with pytest.raises(DataConflict, match=r"changed: im0.png"):
        check_prepared(cfg, data)


# ---- WEAK: permissions follow the umask ------------------------------------------------------------------------

def test_outputs_follow_the_umask(tmp_path):
    from bench.provenance import write_atomic

    old = os.umask(0o022)
    try:
        path = write_atomic(tmp_path / "a.csv", lambda tmp: open(tmp, "w").write("x\n"))
        src = tmp_path / "src"
        _write(src / "im0.png", 192, 256)
        data = prepare(_data_cfg(src), tmp_path / "data")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert stat.S_IMODE(data.stat().st_mode) == 0o755
    assert stat.S_IMODE((data / "test" / "t" / "pairs.csv").stat().st_mode) == 0o644


# ---- WEAK: stale temporary folders of a killed prepare ---------------------------------------------------------

def test_a_killed_prepares_temporary_folder_is_removed(tmp_path):
    src = tmp_path / "src"
    _write(src / "im0.png", 192, 256)
    stale = tmp_path / ".data.k1ll3d"
    (stale / "test").mkdir(parents=True)
    (stale / "test" / "big.npy").write_bytes(b"0" * 1000)
    prepare(_data_cfg(src), tmp_path / "data")
    assert not stale.exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".data")) == [".data.lock"]


# ---- WEAK: the profile, one validation for bench and the workflow ----------------------------------------------

def _profile_file(tmp_path, text: str):
    path = tmp_path / "p.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("text, message", [
    ("name: p\ntrain:\n  backbones:\n    fsrcnn: {widths: [-4, 36, 56]}\n",
     r"train.backbones.fsrcnn.widths\[0\]: must be ≥ 0, got -4"),
    ("name: p\ntrain:\n  backbones:\n    fsrcnn: {widths: [36, 0, 56]}\n",
     r"backbones.fsrcnn: widths \[36, 0, 56\]: each must be positive, except a first 0"),
    ("name: p\nevaluate: {batch_size: 0}\n", r"evaluate.batch_size: must be ≥ 1, got 0"),
    ("", r"p.yaml: empty file: a profile needs at least its name"),
    ("# only a comment\n", r"p.yaml: empty file"),
    ("name: p\ntrain: {seed: 1}\ntrain: {seed: 2}\n", r"p.yaml: key 'train' appears twice \(line 3\)"),
    ("name: p\ntrain: {stages: {classsr: {lr: 1e-3, lr: 2e-3}}}\n", r"key 'lr' appears twice"),
    ("name: ../../escape\n", r"name: '../../escape' is not a plain folder name"),
    ("name: p\ndata: {test_sets: [{name: a/b}]}\n", r"data.test_sets\[0\].name: 'a/b' is not a plain"),
])
def test_bad_profiles_are_refused_by_bench_and_the_workflow(tmp_path, text, message):
    from bench.profile import workflow_profile

    path = _profile_file(tmp_path, text)
    with pytest.raises(ConfigError, match=message):
        load_profile(path)
    config = yaml.safe_load(text) or {}
    with pytest.raises(ConfigError, match=message):
        workflow_profile(config, [str(path)])


def test_scientific_notation_is_a_number_for_bench_and_the_workflow(tmp_path):
    from bench.profile import workflow_profile

    path = _profile_file(tmp_path, "name: p\ntrain: {stages: {classsr: {lr: 1e-4, eta_min: 1.0E-7}}}\n")
    assert yaml.safe_load(path.read_text())["train"]["stages"]["classsr"]["lr"] == "1e-4"  # YAML 1.1's reading
    for profile in (load_profile(path), workflow_profile(yaml.safe_load(path.read_text()), [str(path)])):
        assert profile.train.stages["classsr"].lr == 1e-4 and profile.train.stages["classsr"].eta_min == 1e-7


@pytest.mark.parametrize("text, message", [
    ("name: p\nevaluate: {batch_size: 0}\n", "evaluate.batch_size: must be ≥ 1, got 0"),
    ("name: p\ntrain: {seed: 1}\ntrain: {seed: 2}\n", "key 'train' appears twice (line 3)"),
    ("name: p\ntrain: {stages: {classsr: {lr: 1e-4}}}\n", None),  # accepted, as bench accepts it
])
def test_snakemake_dry_run_validates_as_bench_does(tmp_path, text, message):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    path = _profile_file(tmp_path, text)
    result = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--configfile", str(path), "--directory",
                             str(tmp_path), "--snakefile", str(root / "Snakefile")], capture_output=True, text=True)
    out = result.stdout + result.stderr
    if message is None:
        assert result.returncode == 0, out
    else:
        assert result.returncode != 0 and message in out


def test_a_directory_given_as_model_is_named(tmp_path):
    from bench.models import load_official

    with pytest.raises(IsADirectoryError, match=f"{tmp_path}: is a directory, not a checkpoint file"):
        load_official("fsrcnn", tmp_path)


# ---- the backbone comes from --arch ---------------------------------------------------------------------------

def test_evaluate_derives_the_backbone_from_arch_as_its_help_shows(x4_set, tmp_path, capsys):
    import pandas as pd
    import torch
    from bench.models import build, export_official

    _, testset = x4_set
    ckpt = tmp_path / "m.pth"
    torch.save(export_official(build("classsr_fsrcnn", widths=[4, 8])), ckpt)
    out = tmp_path / "x.csv"
    assert main(["evaluate", "--arch", "classsr_fsrcnn", "--model", str(ckpt), "--testset", str(testset),
                 "--out", str(out)]) == 0
    df = pd.read_csv(out)
    assert set(df.backbone) == {"fsrcnn"} and set(df.model) == {"classsr_fsrcnn"}
    capsys.readouterr()
    assert main(["evaluate", "--arch", "classsr_nosuch", "--model", str(ckpt), "--testset", str(testset),
                 "--out", str(tmp_path / "y.csv")]) != 0
    assert "no backbone 'nosuch'" in _one_error_line(capsys)
