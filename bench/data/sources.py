"""Where HR images come from: one interface (a list of named, lazily loaded images) over every source.

* ``embedded``: photographs bundled in the scikit-image wheel (and matplotlib's ``grace_hopper.jpg``) — offline,
  the default. Fixed split: train = astronaut, chelsea, motorcycle_left, motorcycle_right, grace_hopper, camera,
  immunohistochemistry, brick, grass, gravel (camera and the last three are gray, replicated to RGB); test =
  coffee, rocket, hubble_deep_field. Both stereo views are in train so no near-duplicate leaks into test.
  ``retina`` is left out on purpose: one 1411² fundus photograph gave 54 % of all training sub-images, and
  networks trained on it carried its red cast onto the test photographs (rocket's sky: mean error R +15, B −7
  of 255), which put every demo network below bicubic.
* ``folder``: every PNG/JPEG/TIFF in a folder (sorted by name), 8- or 16-bit; gray/RGBA converted as in
  ``bench.core.images``.
* ``div2k``: ``<root>/DIV2K_train_HR/0001.png … 0800.png`` (train) and ``<root>/DIV2K_valid_HR/0801.png … 0900.png``.
* ``div8k``: ``<root>/<index>.png`` for the DIV8K indices asked for (ClassSR's tests use 1201–1500).
* ``processed``: the authors' processed test folders (``<root>/HR/X4``, ``<root>/LR/X4``), used as they are.

None of DIV2K / DIV8K / the processed sets can be downloaded here: a missing path or index fails at once with
what is missing, where to obtain it and which config key to set.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.images import read_image, to_rgb_array

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")
EMBEDDED_SPLIT = {
    "train": ("astronaut", "chelsea", "motorcycle_left", "motorcycle_right", "grace_hopper", "camera",
              "immunohistochemistry", "brick", "grass", "gravel"),
    "test": ("coffee", "rocket", "hubble_deep_field"),
}
DIV2K_SPLITS = {"train": ("DIV2K_train_HR", 1, 800), "valid": ("DIV2K_valid_HR", 801, 900)}
WHERE = {
    "div2k": "DIV2K (NTIRE 2017, 'DIV2K_train_HR' and 'DIV2K_valid_HR' zips from the DIV2K dataset page)",
    "div8k": "DIV8K (AIM 2019 extreme SR challenge; ClassSR uses images 1201-1500)",
    "processed": "the ClassSR authors' processed test sets (links in the ClassSR repository README)",
}


@dataclass(frozen=True)
class ImageRef:
    """A named HR image, a file or an embedded photograph (picklable, so preparation can run in processes)."""

    name: str
    path: Path | None = None

    def load(self) -> np.ndarray:
        """(H, W, 3) uint8/uint16 array."""
        return read_image(self.path) if self.path is not None else _load_embedded(self.name)


class DataMissing(FileNotFoundError):
    """A user-supplied dataset that is not where the config says."""


def _load_embedded(name: str) -> np.ndarray:
    from skimage import data

    if name == "grace_hopper":  # matplotlib's sample photograph, installed with matplotlib
        from matplotlib import cbook

        return read_image(Path(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)))
    if name.startswith("motorcycle_"):
        left, right, _ = data.stereo_motorcycle()
        return left if name.endswith("left") else right
    return to_rgb_array(getattr(data, name)(), name=name)


def embedded(split: str) -> list[ImageRef]:
    if split not in EMBEDDED_SPLIT:
        raise ValueError(f"embedded split must be one of {list(EMBEDDED_SPLIT)}, got {split!r}")
    return [ImageRef(n) for n in EMBEDDED_SPLIT[split]]


def _file_ref(path: Path) -> ImageRef:
    return ImageRef(path.stem, path)


def folder(root: str | None, *, key: str) -> list[ImageRef]:
    path = _existing_dir(root, key, "a folder of HR images")
    files = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise DataMissing(f"no images ({', '.join(IMAGE_SUFFIXES)}) in {path} (config key {key})")
    _unique_names(files, path, key)
    return [_file_ref(p) for p in files]


def _unique_names(files: list[Path], folder: Path, key: str) -> None:
    """Outputs are named by the file stem: ``a.png`` and ``a.jpg`` would overwrite each other's."""
    by_stem: dict[str, list[str]] = {}
    for p in files:
        by_stem.setdefault(p.stem, []).append(p.name)
    clash = {stem: names for stem, names in by_stem.items() if len(names) > 1}
    if clash:
        stem, names = next(iter(sorted(clash.items())))
        more = f" ({len(clash)} names clash in all)" if len(clash) > 1 else ""
        raise ValueError(f"{folder}: {' and '.join(sorted(names))} share the name {stem!r} (config key {key}): their "
                         f"prepared images would overwrite each other; rename or remove one{more}")


def div2k(root: str | None, split: str, *, key: str) -> list[ImageRef]:
    sub, first, last = DIV2K_SPLITS[split]
    return _indexed(_existing_dir(root, key, WHERE["div2k"], "div2k") / sub, first, last, key, "div2k")


def div8k(root: str | None, first: int, last: int, *, key: str) -> list[ImageRef]:
    return _indexed(_existing_dir(root, key, WHERE["div8k"], "div8k"), first, last, key, "div8k")


def _indexed(path: Path, first: int, last: int, key: str, dataset: str) -> list[ImageRef]:
    wanted = [path / f"{i:04d}.png" for i in range(first, last + 1)]
    missing = [p.stem for p in wanted if not p.is_file()]
    if missing:
        shown = ", ".join(missing[:10]) + (f", … ({len(missing)} in all)" if len(missing) > 10 else "")
        raise DataMissing(f"{dataset}: {path} lacks images {shown} of {first:04d}-{last:04d}; obtain "
                          f"{WHERE[dataset]} and point config key {key} at it")
    return [_file_ref(p) for p in wanted]


def processed_pairs(root: str | None, scale: int, *, key: str) -> list[tuple[Path, Path]]:
    """(HR, LR) file pairs of an authors' processed test folder (``HR/X4``, ``LR/X4``), matched by name."""
    path = _existing_dir(root, key, WHERE["processed"], "processed")
    hr_dir, lr_dir = path / "HR" / f"X{scale}", path / "LR" / f"X{scale}"
    for d in (hr_dir, lr_dir):
        if not d.is_dir():
            raise DataMissing(f"{d} not found: a processed test set needs HR/X{scale} and LR/X{scale} "
                              f"(config key {key}); obtain {WHERE['processed']}")
    hrs = {p.name: p for p in hr_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES}
    lrs = {p.name: p for p in lr_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES}
    if set(hrs) != set(lrs) or not hrs:
        odd = sorted(set(hrs) ^ set(lrs))[:10]
        raise DataMissing(f"{path}: HR and LR files do not pair up (unpaired: {odd or 'no images at all'})")
    _unique_names(list(hrs.values()), hr_dir, key)
    return [(hrs[n], lrs[n]) for n in sorted(hrs)]


def _existing_dir(root: str | None, key: str, what: str, dataset: str | None = None) -> Path:
    if not root:
        raise DataMissing(f"config key {key} is not set: it must point at {what}")
    path = Path(root).expanduser()
    if not path.is_dir():
        hint = f"; obtain {WHERE[dataset]}" if dataset else ""
        raise DataMissing(f"{path} does not exist (config key {key}){hint}")
    return path
