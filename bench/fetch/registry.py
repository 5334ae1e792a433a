"""The released files this suite can fetch on request: each pinned by URL (a fixed commit where the host has one),
SHA-256 and size, with where the hash came from. Profiles name a bundle (a folder of files) instead of a local
path, e.g. ``arm.folder: arm-net``; ``python -m bench fetch <key>`` or the workflow's ``fetch`` rule downloads it.

Hashes:
* ARM-Net (Chen et al., ECCV 2022) and PCSR (Jeong et al., ECCV 2024): computed here from the repositories'
  snapshots at the pinned commits; each file's git blob id was checked against the commit's tree.
* DIV2K (Agustsson & Timofte, NTIRE 2017): TensorFlow Datasets' published checksums
  (tensorflow_datasets/url_checksums/div2k.txt, commit 1054f22dfd67025f459c5735206ab404dbb12a6e).

A lab adds its own pinned files (or its own copies of these) with a YAML file named by ``$BENCH_REGISTRY``:
``files: [{key, path, url, sha256, size, source}]``, ``bundles: [{key, files, config_keys}]``.

Not here: the ClassSR authors' checkpoints and processed Test2K/4K/8K (cloud-drive links without a pinnable URL or
a published hash; config keys official.folder, data.test_sets[].root) and DIV8K (no public archive with a hash).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, fields

ARM_COMMIT = "d663b4b34fc9128fbda5dc72f70148bb789e706b"
PCSR_COMMIT = "6517356e73492141b921caf2616419ca27705648"
TFDS_COMMIT = "1054f22dfd67025f459c5735206ab404dbb12a6e"
_ARM = f"https://raw.githubusercontent.com/chenbong/ARM-Net/{ARM_COMMIT}/ckpt/"
_PCSR = f"https://raw.githubusercontent.com/3587jjh/PCSR/{PCSR_COMMIT}/save/"
_DIV2K = "https://data.vision.ee.ethz.ch/cvl/DIV2K/"
_HASHED_HERE = "sha256 of the file at the pinned commit (git blob id checked)"
_TFDS = f"TensorFlow Datasets url_checksums/div2k.txt @ {TFDS_COMMIT[:7]}"


@dataclass(frozen=True)
class Remote:
    """One released file: ``path`` is where it lies in the cache (``<bundle>/<name>``), and in a mirror."""

    key: str
    path: str
    url: str
    sha256: str
    size: int
    """Bytes."""
    source: str
    """Where the hash came from."""
    unpack: bool = False
    """A zip archive, unpacked beside itself once verified."""


@dataclass(frozen=True)
class Bundle:
    """A folder of files a profile names by key in place of a local path."""

    key: str
    files: tuple[str, ...]
    config_keys: str
    """The profile keys that accept the bundle (and, instead, a local folder)."""


def _pinned(key: str, path: str, origin: str, sha256: str, size: int, source: str, unpack: bool = False) -> Remote:
    """A file at ``path`` in the cache (``<bundle>/<name>``), downloaded from ``origin`` + its name."""
    return Remote(key, path, origin + path.split("/", 1)[1], sha256, size, source, unpack)


FILES = {f.key: f for f in (
    _pinned("arm-fsrcnn", "arm-net/arm-fsrcnn.pth", _ARM,
            "79bff9483eade94e90421149fe4e18005b551ab6c6e8a3569919972fd54fd44a", 104323, _HASHED_HERE),
    _pinned("arm-fsrcnn-table", "arm-net/arm-fsrcnn.state", _ARM,
            "1c5512b2e43cc5bf0f685dc50da05f7cc38d56e21a90f8f879089932de9e6d12", 243243, _HASHED_HERE),
    _pinned("arm-carn", "arm-net/arm-carn.pth", _ARM,
            "4296dbdb09804edb625da55f754977754b2d48e2b421e33d33b3807755a2517c", 1195441, _HASHED_HERE),
    _pinned("arm-carn-table", "arm-net/arm-carn.state", _ARM,
            "aa336b545c7618cbcb5de6656b5770f65c9654c1134ee6213aece9ca2a6d9302", 2419736, _HASHED_HERE),
    _pinned("pcsr-fsrcnn", "pcsr-save/fsrcnn-pcsr-phase1/iter_last.pth", _PCSR,
            "86313e123a3f1c6373adbf9d48148d760aa66a545f276925b915b41fde6390c8", 127909, _HASHED_HERE),
    _pinned("pcsr-carn", "pcsr-save/carn-pcsr-phase1/iter_last.pth", _PCSR,
            "dfe84ddd3923b35d14a977dabda5613a9d59da3b0961e004be786f108d3f8508", 755333, _HASHED_HERE),
    _pinned("pcsr-fsrcnn-x4", "pcsr-save/fsrcnn-x4/iter_last.pth", _PCSR,
            "c6124cd9249750174de614bd634ca5b74e484e4cc683a14fb756461ca0765a1c", 317401, _HASHED_HERE),
    _pinned("pcsr-carn-x4", "pcsr-save/carn-x4/iter_last.pth", _PCSR,
            "61d4ded435055228253a79d0802e7918c7d5c8d459cb7057fdce1a3546f4ff83", 3631365, _HASHED_HERE),
    _pinned("div2k-train-hr", "div2k/DIV2K_train_HR.zip", _DIV2K,
            "9d0b9c463f6e35b6c62cc6a930ee2224f670b34c1df841a57670f9acf0f6c335", 3530603713, _TFDS, unpack=True),
    _pinned("div2k-valid-hr", "div2k/DIV2K_valid_HR.zip", _DIV2K,
            "20dd31fd84d777bc1cf5d6b7654a3f569c0aec74458ae094122ad1d0489900fc", 448993893, _TFDS, unpack=True),
)}

BUNDLES = {b.key: b for b in (
    Bundle("arm-net", ("arm-fsrcnn", "arm-fsrcnn-table", "arm-carn", "arm-carn-table"), "arm.folder"),
    Bundle("pcsr-save", ("pcsr-fsrcnn", "pcsr-carn", "pcsr-fsrcnn-x4", "pcsr-carn-x4"), "methods.pcsr.folder"),
    Bundle("div2k", ("div2k-train-hr", "div2k-valid-hr"), "data.root, data.test_sets[].root (source: div2k)"),
)}


def _add_lab_registry() -> None:
    """Entries of $BENCH_REGISTRY added to (or replacing) the built-in ones; a malformed entry names the file."""
    name = os.environ.get("BENCH_REGISTRY")
    if not name:
        return
    import yaml

    raw = yaml.safe_load(open(name)) or {}
    for kind, cls, table in (("files", Remote, FILES), ("bundles", Bundle, BUNDLES)):
        for item in raw.get(kind, []):
            try:
                entry = cls(**{**item, **({"files": tuple(item["files"])} if kind == "bundles" else {})})
            except (TypeError, KeyError) as e:
                raise ValueError(f"{name}: {kind} entry {item!r}: {e}; fields: "
                                 f"{', '.join(f.name for f in fields(cls))}") from None
            table[entry.key] = entry


_add_lab_registry()


def entries(key: str) -> list[Remote]:
    """The files of a file or bundle key; an unknown key is refused with the known ones."""
    if key in FILES:
        return [FILES[key]]
    if key in BUNDLES:
        return [FILES[k] for k in BUNDLES[key].files]
    raise KeyError(f"no released file or bundle {key!r}; known: {', '.join([*BUNDLES, *FILES])}")


def bundle_of(remote: Remote) -> Bundle:
    return next(b for b in BUNDLES.values() if remote.key in b.files)

