"""``python -m bench prepare``: HR images → degraded training arrays, a sub-image index, test sets, a manifest.

Training data (spec §4): each HR image is rescaled by every augmentation scale (MATLAB bicubic), mod-cropped
to the SR scale and downscaled ×1/scale. The pairs are stored as ``.npy`` (memory-mapped at training time) and the
32×32 LR sub-images (step 16, plus an edge-flush crop when the remainder exceeds 12 px) as rows of an index —
not as 1.59 M small files. Test sets are written in the authors' layout (``HR/X4``, ``LR/X4`` PNGs).

Everything is written into a temporary sibling folder renamed into place at the end, so an interrupted run
never leaves a folder that looks complete; a lock beside the folder keeps two preparations apart, and lets the
next one remove what a killed one left. ``sources.csv`` records every source image (size, time, SHA-256), so a
source changed, added or removed after preparation is named instead of silently ignored.
"""
from __future__ import annotations

import json
import shutil
import tempfile
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
from ..config import to_dict
from ..core.images import write_image
from ..lock import folder_lock
from ..profile import DataConfig, TestSetConfig
from ..provenance import follow_umask
from ..core.resize import bicubic_degrade, imresize
from . import sources
from ..plan.layout import DATA_SUMMARY, MANIFEST, testset_dir, train_index
from .manifest import SOURCES, changed_sources, source_rows, write_manifest
from .testset import write_testset

DATA_CONFIG = "data_config.json"


class DataConflict(RuntimeError):
    """A prepared folder made from another data config than the one asked for."""


def crop_starts(size: int, crop: int, step: int, thresh: int) -> list[int]:
    """The authors' ``extract_subimages`` positions: 0, step, … ≤ size − crop, plus size − crop if the
    uncovered remainder exceeds ``thresh``."""
    if size < crop:
        return []
    starts = list(range(0, size - crop + 1, step))
    if size - (starts[-1] + crop) > thresh:
        starts.append(size - crop)
    return starts


def train_refs(cfg: DataConfig) -> list[sources.ImageRef]:
    if cfg.source == "none":
        return []
    if cfg.source == "embedded":
        return sources.embedded("train")
    if cfg.source == "folder":
        return sources.folder(cfg.root, key="data.root")
    return sources.div2k(cfg.root, "train", key="data.root")


def _train_image(ref: sources.ImageRef, cfg: DataConfig, out: Path) -> tuple[list[dict], list[str]]:
    """Degrade one HR image at every augmentation scale; returns (index rows, names skipped as too small)."""
    img, rows, skipped = ref.load(), [], []
    for s in cfg.aug_scales:
        name = f"{ref.name}_s{s:g}"
        hr, lr = bicubic_degrade(img if s == 1 else imresize(img, s), cfg.scale)
        ys = crop_starts(lr.shape[0], cfg.lr_patch, cfg.lr_step, cfg.lr_thresh)
        xs = crop_starts(lr.shape[1], cfg.lr_patch, cfg.lr_step, cfg.lr_thresh)
        if not ys or not xs:
            skipped.append(f"{name} ({hr.shape[1]}×{hr.shape[0]})")
            continue
        np.save(out / "train" / "hr" / f"{name}.npy", hr)
        np.save(out / "train" / "lr" / f"{name}.npy", lr)
        # the patch size travels with the index: training and the split crop what prepare cut
        rows += [{"image": name, "y": y, "x": x, "size": cfg.lr_patch} for y in ys for x in xs]
    return rows, skipped


def prepare_train(cfg: DataConfig, out: Path) -> tuple[pd.DataFrame, list[str]]:
    refs = train_refs(cfg)
    for sub in ("hr", "lr"):
        (out / "train" / sub).mkdir(parents=True, exist_ok=True)
    if cfg.jobs > 1:
        with ProcessPoolExecutor(cfg.jobs) as pool:
            results = list(pool.map(_train_image, refs, [cfg] * len(refs), [out] * len(refs)))
    else:
        results = [_train_image(ref, cfg, out) for ref in refs]
    rows = [r for res, _ in results for r in res]
    skipped = [s for _, sk in results for s in sk]
    for s in skipped:
        warnings.warn(f"skipped {s}: smaller than one {cfg.lr_patch * cfg.scale}px HR sub-image", stacklevel=2)
    if not rows:
        raise ValueError("no training sub-image at all: every image is smaller than one HR sub-image")
    index = pd.DataFrame(rows, columns=["image", "y", "x", "size"])
    index.to_csv(train_index(out), index=False)
    return index, skipped


def test_refs(t: TestSetConfig) -> list[sources.ImageRef]:
    key = f"data.test_sets[{t.name}].root"
    if t.source == "embedded":
        return sources.embedded("test")
    if t.source == "folder":
        return sources.folder(t.root, key=key)
    if t.source == "div2k":
        return sources.div2k(t.root, "valid", key=key)
    if t.first is None or t.last is None:
        raise ValueError(f"test set {t.name}: source div8k needs 'first' and 'last' indices")
    return sources.div8k(t.root, t.first, t.last, key=key)


def prepare_test(t: TestSetConfig, scale: int, out: Path) -> pd.DataFrame:
    """Write one test set; returns its pairs table (name, hr, lr paths relative to the test-set folder, or
    absolute for a processed set used in place). A set left without any image is an error, not an empty table."""
    if t.source == "processed":
        pairs = sources.processed_pairs(t.root, scale, key=f"data.test_sets[{t.name}].root")
        return pd.DataFrame({"name": [h.stem for h, _ in pairs], "hr": [str(h.resolve()) for h, _ in pairs],
                             "lr": [str(lr.resolve()) for _, lr in pairs]})
    rows, skipped, folder = [], [], testset_dir(out, t.name)
    for sub in ("HR", "LR"):
        (folder / sub / f"X{scale}").mkdir(parents=True, exist_ok=True)
    for ref in test_refs(t):
        img = ref.load()
        hr, lr = bicubic_degrade(img if t.downscale == 1 else imresize(img, t.downscale), scale)
        if t.lr_bits == 16:
            lr = lr16(hr, scale)
        if min(lr.shape[:2]) < 32:
            skipped.append(f"{ref.name} (LR {lr.shape[1]}×{lr.shape[0]})")
            warnings.warn(f"test set {t.name}: skipped {skipped[-1]}: smaller than one 32×32 patch", stacklevel=2)
            continue
        # relative to the test-set folder: a copied or moved test set reads its own files
        paths = {k: Path(k) / f"X{scale}" / f"{ref.name}.png" for k in ("HR", "LR")}
        write_image(folder / paths["HR"], hr)  # 16-bit sources stay 16-bit
        write_image(folder / paths["LR"], lr)
        rows.append({"name": ref.name, "hr": str(paths["HR"]), "lr": str(paths["LR"])})
    if not rows:
        hint = f" or data.test_sets[{t.name}].downscale nearer 1" if t.downscale < 1 else ""
        raise ValueError(f"test set {t.name}: no usable image, every one is smaller than one 32×32 LR patch at "
                         f"×{scale}: {', '.join(skipped)}; use larger images{hint}")
    return pd.DataFrame(rows, columns=["name", "hr", "lr"])


def check_sources(cfg: DataConfig, *, pending: tuple[str, ...] = ()) -> None:
    """Resolve every source (paths and indices only), so a missing dataset fails before any work starts; a source
    whose root is in ``pending`` (a fetch job will fill it) is not checked yet."""
    if cfg.root not in pending:
        train_refs(cfg)
    for t in cfg.test_sets:
        if t.root in pending:
            continue
        if t.source == "processed":
            sources.processed_pairs(t.root, cfg.scale, key=f"data.test_sets[{t.name}].root")
        else:
            test_refs(t)


def source_refs(cfg: DataConfig) -> dict[str, list[sources.ImageRef]]:
    """The source images of every set (train, then each test set; processed sets are used in place and checked
    by the manifest)."""
    refs = {"train": train_refs(cfg)}
    return refs | {t.name: test_refs(t) for t in cfg.test_sets if t.source != "processed"}


def recorded_config(cfg: DataConfig) -> dict:
    """What a prepared folder's content depends on (``jobs`` only sets how many processes made it; a test set's
    ``lr_bits`` at its default 8 is left out, so folders prepared before it existed stay valid)."""
    out = {k: v for k, v in to_dict(cfg).items() if k != "jobs"}
    out["test_sets"] = [{k: v for k, v in t.items() if not (k == "lr_bits" and v == 8)} for t in out["test_sets"]]
    return out


def lr16(hr: np.ndarray, scale: int) -> np.ndarray:
    """MATLAB-bicubic ×1/scale of an 8- or 16-bit HR computed in float and stored at 16 bits (PCSR's float LR,
    pcsr.md §4, within 1/65535)."""
    lr = imresize(hr.astype(np.float64), 1 / scale)
    top = 255.0 if hr.dtype == np.uint8 else 65535.0
    return np.clip(np.floor(lr / top * 65535 + 0.5), 0, 65535).astype(np.uint16)


def _check_recorded(cfg: DataConfig, out: Path) -> None:
    """Refuse to reuse a complete folder prepared from another data config (its content would not match)."""
    path = out / DATA_CONFIG
    if not path.is_file():
        warnings.warn(f"{out} records no data config (prepared by an older version): reused as it is; "
                      "`python -m bench prepare --force` rebuilds it", stacklevel=3)
        return
    before, now = json.loads(path.read_text()), recorded_config(cfg)
    changed = [f"data.{k}: {before.get(k)!r} → {now.get(k)!r}" for k in sorted(set(before) | set(now))
               if before.get(k) != now.get(k)]
    if changed:
        raise DataConflict(f"{out} was prepared from another data config ({'; '.join(changed)}); rebuild it with "
                           "`python -m bench prepare --force` (or delete the folder), or give this profile another "
                           "name")


def check_prepared(cfg: DataConfig, out: str | Path) -> None:
    """A complete prepared folder must come from this data config and these source images (nothing to check
    before it is prepared); the workflow calls it before any job."""
    out = Path(out)
    if not (out / MANIFEST).is_file():
        return
    _check_recorded(cfg, out)
    changes = changed_sources(out, source_refs(cfg))
    if changes:
        shown = "; ".join(changes[:10]) + (f"; … ({len(changes)} in all)" if len(changes) > 10 else "")
        raise DataConflict(f"{out} was prepared from other source images ({shown}); rebuild it with `python -m "
                           "bench prepare --force` (or delete the folder) to use them")


def _build(cfg: DataConfig, tmp: Path) -> None:
    """Every file of a prepared folder, written into ``tmp``."""
    summary = []
    if cfg.source != "none":
        index, skipped = prepare_train(cfg, tmp)
        summary.append({"set": "train", "images": index["image"].nunique(), "subimages": len(index),
                        "skipped": len(skipped)})
    for t in cfg.test_sets:
        pairs = prepare_test(t, cfg.scale, tmp)
        write_testset(testset_dir(tmp, t.name), pairs, scale=cfg.scale)
        summary.append({"set": t.name, "images": len(pairs), "subimages": None, "skipped": None})
    pd.DataFrame(summary).to_csv(tmp / DATA_SUMMARY, index=False)
    source_rows(source_refs(cfg)).to_csv(tmp / SOURCES, index=False)
    (tmp / DATA_CONFIG).write_text(json.dumps(recorded_config(cfg), indent=1, sort_keys=True) + "\n")
    write_manifest(tmp)


def prepare(cfg: DataConfig, out: str | Path, *, force: bool = False) -> Path:
    """Prepare training and test data under ``out``; an existing complete folder is kept unless ``force``, and
    only if it was prepared from the same data config and source images."""
    out = Path(out)
    if (out / MANIFEST).is_file() and not force:
        check_prepared(cfg, out)
        return out
    check_sources(cfg)
    out.parent.mkdir(parents=True, exist_ok=True)
    with folder_lock(out.parent, what=f"data folder {out.name}", name=f".{out.name}.lock"):
        for stale in out.parent.glob(f".{out.name}.*"):  # left by a killed run: under the lock, nobody writes it
            if stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
        try:
            follow_umask(tmp)  # mkdtemp makes it 0700: others on a shared file system could not read the data
            _build(cfg, tmp)
            if out.exists():
                shutil.rmtree(out)
            tmp.rename(out)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return out
