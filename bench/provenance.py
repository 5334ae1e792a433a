"""Provenance columns stamped on every generated CSV, and atomic file writes.

A result is only comparable when we know what produced it: git revision (with ``-dirty`` when the tree has
uncommitted changes), torch version and device.
"""
from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path


def git_revision(cwd: str | os.PathLike | None = None) -> str:
    """Short commit hash, ``-dirty`` when tracked files changed; ``unknown`` outside a git checkout."""
    cwd = cwd or Path(__file__).resolve().parent
    try:
        rev = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=cwd, capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{rev}-dirty" if dirty else rev


def provenance(device: str = "cpu") -> dict[str, str]:
    import torch  # here: write_atomic is used by torch-free modules

    return {"git_rev": git_revision(), "torch_version": torch.__version__, "device": device}


def write_atomic(path: str | os.PathLike, write) -> Path:
    """Call ``write(tmp_path)`` on a temporary file beside ``path``, then rename it into place.

    A crash mid-write leaves no half-written file under the final name (Snakemake and users would take it as
    complete).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
