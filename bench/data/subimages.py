"""Training sub-images cropped on the fly from memory-mapped arrays, in a deterministic batch order.

The batch of iteration t depends only on (seed, t): sample order is a fresh permutation per epoch (seeded by
seed and epoch) read in consecutive chunks, and each sample's flips/transpose come from a generator seeded by
(seed, t). A resumed run therefore sees exactly the batches an uninterrupted run would, with no loader state
to save, and any number of loader workers gives the same batches.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ..core.images import UNIT_MAX, to_unit


class SubImages:
    """The LR/HR sub-image pairs listed in an index table (columns image, y, x in LR pixels; size: the LR patch
    side that prepare cut, data.lr_patch — 32 when the column is absent, as in indexes of older versions)."""

    def __init__(self, data_dir: str | Path, index: pd.DataFrame, *, scale: int):
        missing = {"image", "y", "x"} - set(index.columns)
        if missing:
            raise ValueError(f"sub-image index lacks columns {sorted(missing)}")
        sizes = index["size"].unique() if "size" in index else [32]
        if len(sizes) != 1:
            raise ValueError(f"sub-image index mixes patch sizes {sorted(int(v) for v in sizes)}: re-run `python -m bench prepare`")
        self.dir, self.scale, self.patch = Path(data_dir), scale, int(sizes[0])
        self.names, codes = np.unique(index["image"].to_numpy(), return_inverse=True)
        self.codes, self.ys, self.xs = codes, index["y"].to_numpy(), index["x"].to_numpy()
        self._arrays: dict[tuple[str, int], np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.codes)

    def _array(self, kind: str, code: int) -> np.ndarray:
        key = (kind, code)
        if key not in self._arrays:
            path = self.dir / "train" / kind / f"{self.names[code]}.npy"
            if not path.is_file():
                raise FileNotFoundError(f"{path} missing: re-run `python -m bench prepare`")
            self._arrays[key] = np.load(path, mmap_mode="r")
        return self._arrays[key]

    def crop(self, idx: np.ndarray, flags: np.ndarray | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(LR (n, 3, p, p), HR (n, 3, s·p, s·p)) float32 in [0, 1]; with ``flags`` (n, 3) bool, each pair
        hflipped, vflipped, transposed where its flags say (:func:`augment`'s result, bit for bit)."""
        p, s = self.patch, self.scale
        flags = np.zeros((len(idx), 3), bool) if flags is None else np.asarray(flags)
        rows = list(zip(self.codes[idx], self.ys[idx], self.xs[idx], flags))
        # flips as numpy views of the crop, so the one float conversion per crop is the only copy (the torch
        # flips of whole batches were three more copies of the HR batch: ~20 % of a FSRCNN training step)
        lr = _unit_batch([_flipped(self._array("lr", c)[y:y + p, x:x + p], f) for c, y, x, f in rows])
        hr = _unit_batch([_flipped(self._array("hr", c)[s * y:s * (y + p), s * x:s * (x + p)], f)
                          for c, y, x, f in rows])
        return lr, hr


def _unit_batch(crops: list[np.ndarray]) -> torch.Tensor:
    """(n, 3, h, w) float32 in [0, 1] from HWC crops: stacked in their own integer type and converted once (the
    same IEEE division as :func:`to_unit`, so the same values); crops of mixed types each by its own depth."""
    if len({c.dtype for c in crops}) == 1 and crops[0].dtype in UNIT_MAX:
        batch = torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2)
        return batch.to(torch.float32, memory_format=torch.contiguous_format).div_(UNIT_MAX[crops[0].dtype])
    return _to_tensor(np.stack([to_unit(c) for c in crops]))


def _flipped(img: np.ndarray, f: np.ndarray) -> np.ndarray:
    """A view of an HWC crop hflipped, vflipped, then transposed where f (3,) says (the order of :func:`flip`)."""
    if f[0]:
        img = img[:, ::-1]
    if f[1]:
        img = img[::-1]
    return img.transpose(1, 0, 2) if f[2] else img


def _to_tensor(batch: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(batch.transpose(0, 3, 1, 2)))


def augment(lr: torch.Tensor, hr: torch.Tensor, flags: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-sample hflip, vflip, transpose (flags (n, 3) bool), applied identically to LR and HR (spec §3.2)."""
    return flip(lr, flags), flip(hr, flags)


def flip(t: torch.Tensor, flags: torch.Tensor) -> torch.Tensor:
    """hflip, vflip, transpose of each sample of a square batch (n, c, h, h) where its flags (n, 3) say."""
    t = torch.where(flags[:, 0, None, None, None], t.flip(-1), t)
    t = torch.where(flags[:, 1, None, None, None], t.flip(-2), t)
    return torch.where(flags[:, 2, None, None, None], t.transpose(-1, -2), t)


class BatchOrder:
    """Deterministic batches: ``indices(t)`` and ``flags(t)`` for iteration t ≥ 1."""

    def __init__(self, n: int, batch_size: int, seed: int):
        if n == 0:
            raise ValueError("no training sub-images to draw batches from")
        self.n, self.batch_size, self.seed = n, batch_size, seed
        self._perms: dict[int, np.ndarray] = {}

    def _perm(self, epoch: int) -> np.ndarray:
        if epoch not in self._perms:
            self._perms = {e: p for e, p in self._perms.items() if e >= epoch - 1}
            self._perms[epoch] = np.random.default_rng([self.seed, epoch]).permutation(self.n)
        return self._perms[epoch]

    def indices(self, t: int) -> np.ndarray:
        pos = np.arange((t - 1) * self.batch_size, t * self.batch_size)
        return np.array([self._perm(int(p // self.n))[p % self.n] for p in pos])

    def flags(self, t: int) -> torch.Tensor:
        rng = np.random.default_rng([self.seed, 1_000_003, t])
        return torch.from_numpy(rng.random((self.batch_size, 3)) < 0.5)


class Batches(torch.utils.data.IterableDataset):
    """Augmented batches of iterations ``start+1 … stop`` in order; with DataLoader workers, worker w builds
    iterations ≡ w (mod workers) and the loader's round-robin collection restores the order."""

    def __init__(self, subs: SubImages, order: BatchOrder, start: int, stop: int):
        super().__init__()
        self.subs, self.order, self.start, self.stop = subs, order, start, stop

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        wid, workers = (info.id, info.num_workers) if info else (0, 1)
        for t in range(self.start + 1 + wid, self.stop + 1, workers):
            yield self.subs.crop(self.order.indices(t), self.order.flags(t).numpy())


def batch_loader(subs: SubImages, order: BatchOrder, start: int, stop: int, workers: int, pin: bool):
    """Iterator over the (LR, HR) batches of iterations start+1 … stop, built in ``workers`` processes."""
    return iter(torch.utils.data.DataLoader(Batches(subs, order, start, stop), batch_size=None,
                                            num_workers=workers, pin_memory=pin,
                                            persistent_workers=False, prefetch_factor=4 if workers else None))
