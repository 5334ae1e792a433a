"""The profile's released-checkpoint sections: the authors' ClassSR files and ARM (Chen et al., ECCV 2022;
spec arm.md) — its supernets, lookup table and knobs."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..config import PositiveInt
from ..backbones import spec
from ..fetch import resolve_folder

@dataclass(frozen=True)
class OfficialConfig:
    """Evaluate the authors' released checkpoints instead of training (``folder`` set): file names per backbone,
    ``{name}`` = FSRCNN, CARN, SRResNet or RCAN. The "-O" file name is not fixed by the authors: set it."""

    folder: str | None = None
    """Folder of the authors' .pth files; set = evaluate them instead of training."""
    classsr: str = "ClassSR_{name}.pth"
    """File name of a ClassSR checkpoint; {name} = FSRCNN, CARN, SRResNet or RCAN."""
    original: str = "{name}_O.pth"
    """File name of an original (-O) checkpoint; {name} as above."""


@dataclass(frozen=True)
class FetchConfig:
    """Released files named by key instead of a local folder (``arm.folder: arm-net``, ``methods.pcsr.folder:
    pcsr-save``, ``data.root: div2k``; keys and pinned hashes in bench.fetch.registry), kept in the cache
    ($BENCH_CACHE, default ~/.cache/classsr-bench). Opt-in: nothing is downloaded unless ``download`` is true."""

    download: bool = False
    """Download a keyed file missing from the cache (the workflow's fetch rule, SHA-256 verified); false: a missing
    one stops the run naming the file, its URL and the command that fetches it."""
    mirror: str | None = None
    """Base URL of a copy laid out as the cache (<mirror>/<bundle>/<file>), used instead of each file's origin."""


def _check_knobs(where: str, knobs) -> None:
    """ARM's knobs, by the verbs' own parser: best, e0…e3 (a path forced) or k > 0 (η = k·C_3)."""
    from ..arm.tables import parse_knob

    for knob in knobs:
        try:
            parse_knob(knob)
        except ValueError as e:
            raise ValueError(f"{where}: {e}") from None


@dataclass(frozen=True)
class ArmConfig:
    """ARM (Chen et al., "ARM: Any-Time Super-Resolution Method", ECCV 2022; spec arm.md) next to ClassSR, under the
    same protocol: its supernets, routed by edge score through a lookup table and the knob η, swept over ``knobs``.
    ``folder`` set: ARM's released checkpoints are evaluated; else each supernet is trained (train.stages.arm,
    ARM's recipe by default) and its table built from training sub-images."""

    backbones: tuple[str, ...] = ()
    """ARM supernets to evaluate: fsrcnn, carn, srresnet (empty = no ARM)."""
    folder: str | None = None
    """Folder of ARM's released checkpoints (ARM-Net's ckpt/), or the key arm-net: those files fetched into the
    cache (bench.fetch); null = train the supernets."""
    checkpoint: str = "arm-{name}.pth"
    """File name of a released supernet in folder; {name} = fsrcnn, carn or srresnet."""
    table: str = "auto"
    """Lookup table: auto (released checkpoints: ARM's released table; trained: calibrate), released, calibrate
    (from calibration_patches training sub-images), or a file name in folder ({name} as above) of ARM's .state or
    this suite's table CSV."""
    knobs: tuple[float | str, ...] = ("e1", "e2", "e3", 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
    """The η sweep: numbers are ARM's k (η = k·C_3 FLOPs), e<j> forces path j (e0 = bicubic), best = ARM's
    highest-PSNR path; default ARM's test mode (e1 e2 e3, k 0.5 … 32)."""
    calibration_patches: PositiveInt = 20000
    """Training sub-images the lookup table is built from (table: calibrate)."""

    def __post_init__(self):
        from ..arm.tables import ARM_WIDTHS, RELEASED

        object.__setattr__(self, "folder", resolve_folder(self.folder))  # a fetch key names its cache folder
        unknown = sorted(set(self.backbones) - set(ARM_WIDTHS))
        if unknown:
            raise ValueError(f"backbones: no ARM supernet {unknown}; known: {', '.join(ARM_WIDTHS)}")
        _check_knobs("knobs", self.knobs)
        if self.backbones and not self.knobs:
            raise ValueError("knobs: empty, so ARM's sweep would evaluate nothing; list k values or e1…e3")
        missing = [b for b in self.backbones if b not in RELEASED]
        if self.table == "released" and missing:
            raise ValueError(f"table: ARM released no lookup table for {missing}; use calibrate or a file")
        if self.table == "released" and not self.folder:
            raise ValueError("table: released tables belong to ARM's released weights; a trained supernet (no "
                             "folder) needs its own: calibrate")
        if self.table not in ("auto", "released", "calibrate") and not self.folder:
            raise ValueError(f"table: {self.table!r} is a file name in arm.folder, which is not set")

    def table_mode(self, backbone: str) -> str:
        """released, calibrate or file for one backbone (auto resolved)."""
        from ..arm.tables import RELEASED

        if self.table == "auto":
            return "released" if self.folder and backbone in RELEASED else "calibrate"
        return self.table if self.table in ("released", "calibrate") else "file"
