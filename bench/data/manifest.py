"""Checksum manifest of a prepared data folder and ``prepare --verify`` (file integrity and patch counts)."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
from PIL import Image


from ..layout import MANIFEST
#: LR sub-images at 32/28 of the authors' processed test sets (ARM test logs; spec §7).
KNOWN_PATCH_COUNTS = {"test2k": 12_320, "test4k": 51_040, "test8k": 296_412}


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _files(root: Path) -> list[str]:
    """Relative paths of the prepared files, plus absolute paths of external (processed) test images."""
    own = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and p.name != MANIFEST)
    external = []
    for pairs in sorted(root.glob("test/*/pairs.csv")):
        df = pd.read_csv(pairs)
        external += [p for col in ("hr", "lr") for p in df[col] if Path(p).is_absolute()]
    return own + sorted(external)


def write_manifest(root: Path) -> None:
    lines = [f"{sha256(root / f)}  {f}" for f in _files(root)]
    (root / MANIFEST).write_text("\n".join(lines) + "\n")


def check_manifest(root: Path) -> list[str]:
    """Problems found (empty = every file present and unchanged)."""
    path = root / MANIFEST
    if not path.is_file():
        return [f"{path} missing: the folder was not completely prepared"]
    problems = []
    for line in path.read_text().splitlines():
        digest, name = line.split("  ", 1)
        file = root / name
        if not file.is_file():
            problems.append(f"missing: {name}")
        elif sha256(file) != digest:
            problems.append(f"changed: {name}")
    return problems


def patch_counts(root: Path, *, patch: int = 32, step: int = 28) -> pd.DataFrame:
    """LR patches per test set on the authors' grid, next to the published counts where known."""
    from ..tiling import make_grid  # here: the rest of this module (used by planning) needs no torch

    rows = []
    for pairs in sorted(root.glob("test/*/pairs.csv")):
        name, df = pairs.parent.name, pd.read_csv(pairs)
        count = 0
        for lr in df["lr"]:
            with Image.open(root / lr) as im:  # reads the header only
                w, h = im.size
            count += len(make_grid(h, w, patch=patch, step=step))
        expected = KNOWN_PATCH_COUNTS.get(name.lower())
        rows.append({"set": name, "images": len(df), "lr_patches": count, "expected_patches": expected,
                     "ok": expected is None or expected == count})
    return pd.DataFrame(rows, columns=["set", "images", "lr_patches", "expected_patches", "ok"])
