"""Provenance columns stamped on every generated CSV, atomic file writes and the check that an output can be
written at all.

A result is only comparable when we know what produced it: git revision (with ``-dirty`` when the tree has
uncommitted changes), torch version and device. Files and folders made through temporary names get the
permissions the umask gives (``mkstemp``/``mkdtemp`` would leave them 0600/0700: unreadable to the other users of
a shared cluster file system).
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
        follow_umask(tmp)
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def save_torch(path: str | os.PathLike, obj) -> Path:
    """``torch.save(obj)`` through :func:`write_atomic`, byte-identical for equal objects: written to a file object,
    the zip's internal folder is "archive" — given a path, torch names it after the temporary file."""
    import torch

    def write(tmp):
        with open(tmp, "wb") as f:
            torch.save(obj, f)
    return write_atomic(path, write)


def follow_umask(path: str | os.PathLike) -> None:
    """Give a file (0666) or folder (0777) the permissions the process's umask leaves, as open() and mkdir() do."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, (0o777 if os.path.isdir(path) else 0o666) & ~mask)


def check_writable(path: str | os.PathLike, *, flag: str = "--out") -> None:
    """Refuse, before any work, an output that could not be written: a folder, a path under a file, a place
    without write permission (probed with a real file in the nearest existing folder, removed at once, which holds
    for root and read-only mounts too). Nothing is left behind: missing folders are made when writing."""
    path = Path(path).absolute()
    if path.is_dir():
        raise IsADirectoryError(f"{flag} {path}: is a directory; give a file name inside it")
    parent = next(p for p in path.parents if p.exists())
    if not parent.is_dir():
        raise NotADirectoryError(f"{flag} {path}: {parent} is a file, not a directory")
    try:
        fd, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".probe", dir=parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise PermissionError(f"{flag} {path}: cannot write there ({e.strerror or e})") from None
