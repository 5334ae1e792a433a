"""A prepared test set, read whole and checked before any work (no torch).

``<data>/test/<name>/`` holds ``pairs.csv`` (columns name, hr, lr: paths relative to this folder, or absolute for
the authors' processed sets used in place) and ``testset.json`` (the scale it was prepared at). The folder is
self-contained: a copied or moved test set reads its own files, never a sibling's. A hand-made test set needs only
``pairs.csv``; then the image sizes alone decide whether a scale fits.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from PIL import Image

PAIRS = "pairs.csv"
INFO = "testset.json"


class TestSetError(ValueError):
    """A test set that would give a wrong number: empty, ambiguous, or at another scale."""


def write_testset(folder: Path, pairs: pd.DataFrame, *, scale: int) -> None:
    """pairs.csv and testset.json of a test set being prepared (``folder`` inside the temporary data folder)."""
    folder.mkdir(parents=True, exist_ok=True)
    pairs.to_csv(folder / PAIRS, index=False)
    (folder / INFO).write_text(json.dumps({"scale": scale, "images": len(pairs)}, indent=1) + "\n")


def recorded_scale(testset: Path) -> int | None:
    info = Path(testset) / INFO
    return json.loads(info.read_text()).get("scale") if info.is_file() else None


def read_pairs(testset: str | Path) -> list[tuple[str, Path, Path]]:
    """(name, LR path, HR path) of every image; refuses a missing, empty or ambiguous list and missing files."""
    testset = Path(testset)
    path = testset / PAIRS
    if not path.is_file():
        raise FileNotFoundError(f"{testset}: not a prepared test set (no {PAIRS}); prepare it with `python -m "
                                "bench prepare` or give the folder that holds pairs.csv")
    pairs = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = {"name", "hr", "lr"} - set(pairs.columns)
    if missing:
        raise TestSetError(f"{path}: lacks column(s) {sorted(missing)} (needs name, hr, lr)")
    if pairs.empty:
        raise TestSetError(f"{path}: no image in this test set (prepare skips images smaller than one LR patch); "
                           "nothing to evaluate")
    counts = pairs["name"].value_counts()
    if counts.iloc[0] > 1:
        raise TestSetError(f"{path}: image name {counts.index[0]!r} appears {counts.iloc[0]} times: its rows "
                           "could not be told apart (two source files with one name?)")
    return [(p.name, _resolve(testset, p.lr), _resolve(testset, p.hr)) for p in pairs.itertuples()]


def _resolve(testset: Path, listed: str) -> Path:
    path = Path(listed)
    if path.is_absolute():
        found = path
    else:
        found = testset / path
        if not found.is_file() and (testset.parents[1] / path).is_file():
            raise TestSetError(f"{testset / PAIRS}: its paths are relative to the data folder (prepared before test "
                               "sets were self-contained), so a copied folder would read its sibling's files; "
                               "prepare it again with `python -m bench prepare --force`")
    if not found.is_file():
        raise FileNotFoundError(f"{found}: listed in {testset / PAIRS} but missing")
    return found


def image_size(path: Path) -> tuple[int, int]:
    """(width, height) from the header; the full reader for what Pillow cannot open (16-bit TIFF variants)."""
    try:
        with Image.open(path) as im:
            return im.size
    except Exception:
        from ..core.images import read_image

        h, w = read_image(path).shape[:2]
        return w, h


def check_scale(pairs: list[tuple[str, Path, Path]], scale: int, testset: Path) -> None:
    """Every HR is ``scale`` × its LR (floor, as a mod-crop leaves it); the message says which scale fits."""
    recorded = recorded_scale(testset)
    for name, lr, hr in pairs:
        (w, h), (hw, hh) = image_size(lr), image_size(hr)
        if (hw // scale, hh // scale) == (w, h) and recorded in (None, scale):
            continue
        fits = next((s for s in range(1, 9) if (hw // s, hh // s) == (w, h)), None)
        if recorded and recorded != scale:
            hint = f"the test set was prepared at scale {recorded}; pass --scale {recorded}"
        elif fits and fits != scale:
            hint = f"the sizes say scale {fits}; pass --scale {fits}"
        else:
            hint = "HR and LR do not pair up at any scale"
        raise TestSetError(f"{name}: HR {hw}×{hh} is not {scale} × LR {w}×{h} ({hint})")


def testset_pairs(testset: str | Path, *, scale: int | None = None) -> list[tuple[str, Path, Path]]:
    """The checked pairs of a test set; with ``scale``, every HR/LR size pair must fit it."""
    pairs = read_pairs(testset)
    if scale is not None:
        check_scale(pairs, scale, Path(testset))
    return pairs
