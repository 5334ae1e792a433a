"""An exclusive lock per run folder, so that two trainers never write one run (used by ``bench.train``).

``fcntl.flock`` on ``<folder>/.lock``: the kernel releases it when the holder exits, even on ``kill -9``, so a
stale lock cannot block a rerun; the holder's PID is written into the file for the second process's message.
On file systems without flock support (some NFS set-ups) the lock is a no-op with a warning — Snakemake's own
locking still keeps two workflow runs apart.
"""
from __future__ import annotations

import contextlib
import os
import warnings
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no flock; the workflow's own lock remains
    fcntl = None

LOCK_NAME = ".lock"


class FolderBusy(RuntimeError):
    """Another live process holds the folder's lock."""


@contextlib.contextmanager
def folder_lock(folder: str | Path, *, what: str = "folder", name: str = LOCK_NAME):
    """Hold ``<folder>/<name>`` for the ``with`` block; a second holder gets :class:`FolderBusy` naming the PID."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    with open(path, "a+") as f:
        if fcntl is not None:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                f.seek(0)
                holder = f.read().strip() or "unknown"
                raise FolderBusy(f"{folder}: this {what} is in use by process {holder} (lock {path}); wait for it "
                                 "to finish or stop it — a second writer would interleave its files") from None
            except OSError as e:
                warnings.warn(f"{path}: cannot lock ({e}); make sure only one process writes this {what}",
                              stacklevel=3)
        f.seek(0)
        f.truncate()
        f.write(f"{os.getpid()}\n")
        f.flush()
        yield
