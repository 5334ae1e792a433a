"""Checksum manifest of a prepared data folder and ``prepare --verify`` (file integrity and patch counts)."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
from ..plan.layout import MANIFEST
from .testset import PAIRS, image_size, read_pairs
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
    for pairs in sorted(root.glob(f"test/*/{PAIRS}")):
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
    """LR patches per test set on the authors' grid, next to the published counts where known; a test set that
    cannot be read (empty, two images with one name, a missing file) is a row with ``ok`` False and its problem."""
    from ..core.tiling import make_grid  # here: the rest of this module (used by planning) needs no torch

    rows = []
    for pairs in sorted(root.glob(f"test/*/{PAIRS}")):
        name, count, problem = pairs.parent.name, 0, ""
        try:
            listed = read_pairs(pairs.parent)
        except (ValueError, FileNotFoundError) as e:
            listed, problem = [], str(e)
        for _, lr, _ in listed:
            w, h = image_size(lr)
            count += len(make_grid(h, w, patch=patch, step=step))
        expected = KNOWN_PATCH_COUNTS.get(name.lower())
        rows.append({"set": name, "images": len(listed), "lr_patches": count, "expected_patches": expected,
                     "ok": not problem and (expected is None or expected == count), "problem": problem})
    return pd.DataFrame(rows, columns=["set", "images", "lr_patches", "expected_patches", "ok", "problem"])


#: The source images a prepared folder was made from (set, name, path, bytes, mtime_ns, sha256).
SOURCES = "sources.csv"


def source_rows(refs: dict[str, list]) -> pd.DataFrame:
    """One row per source image (``refs``: set name → ImageRefs); embedded photographs ship with the installed
    packages and are recorded by name only."""
    rows = []
    for set_name, set_refs in refs.items():
        for ref in set_refs:
            if ref.path is None:
                rows.append({"set": set_name, "name": ref.name, "path": f"embedded:{ref.name}"})
                continue
            st = ref.path.stat()
            rows.append({"set": set_name, "name": ref.name, "path": str(ref.path.resolve()), "bytes": st.st_size,
                         "mtime_ns": st.st_mtime_ns, "sha256": sha256(ref.path)})
    return pd.DataFrame(rows, columns=["set", "name", "path", "bytes", "mtime_ns", "sha256"])


def changed_sources(root: Path, refs: dict[str, list]) -> list[str]:
    """What differs between the recorded sources of ``root`` and ``refs`` now: ``changed: f``, ``added: f``,
    ``removed: f`` (file names). A file whose size and time are unchanged is not hashed again; one touched but
    equal in content is unchanged."""
    path = root / SOURCES
    if not path.is_file():
        return []
    # exact integers: a nanosecond time does not fit a float's 53 bits
    before = pd.read_csv(path, dtype={"set": str, "path": str, "sha256": str, "bytes": "Int64", "mtime_ns": "Int64"}
                         ).set_index(["set", "path"])
    now = {(s, str(r.path.resolve()) if r.path else f"embedded:{r.name}"): r for s, rs in refs.items() for r in rs}
    changed = []
    for key in before.index.intersection(list(now)):
        ref, old = now[key], before.loc[key]
        if ref.path is None:
            continue
        st = ref.path.stat()
        if (st.st_size, st.st_mtime_ns) != (old["bytes"], old["mtime_ns"]) and sha256(ref.path) != old["sha256"]:
            changed.append(f"changed: {ref.path.name}")
    added = [f"added: {Path(key[1]).name}" for key in now if key not in before.index]
    removed = [f"removed: {Path(key[1]).name}" for key in before.index if key not in now]
    return changed + added + removed
