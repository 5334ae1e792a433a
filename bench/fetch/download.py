"""Download released files on request into a cache, verified by SHA-256 (``pooch``, the fetcher scikit-image and
SciPy use: hash check, and a file reaches its final name only once verified), resumable (HTTP range requests into
``<cache>/.partial/``, which pooch's own downloader does not do). Nothing here runs unless asked: a profile's
``fetch.download: true``, or ``python -m bench fetch``.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from pathlib import Path

from .registry import BUNDLES, FILES, Remote, bundle_of, entries

CHUNK = 1 << 16  # bytes per write: what an interrupted read loses at most


def cache_dir(cache: str | os.PathLike | None = None) -> Path:
    """The cache: ``cache``, else ``$BENCH_CACHE``, else the user's cache folder (``~/.cache/classsr-bench``)."""
    import pooch

    return Path(cache or os.environ.get("BENCH_CACHE") or pooch.os_cache("classsr-bench")).expanduser()


def resolve_folder(value: str | None, cache: str | os.PathLike | None = None) -> str | None:
    """A profile's folder value: a bundle key (``arm-net``) becomes its cache folder; a path stays as it is
    (``./arm-net`` for a local folder of that name)."""
    if value in BUNDLES:
        return str(cache_dir(cache) / value)
    return value


def cached(path: str | os.PathLike, cache: str | os.PathLike | None = None) -> Remote | None:
    """The registry file at ``path`` when ``path`` lies in the cache, else None."""
    try:
        relative = Path(path).resolve().relative_to(cache_dir(cache).resolve())
    except ValueError:
        return None
    return next((f for f in FILES.values() if f.path == relative.as_posix()), None)


def missing_message(remote: Remote, cache: str | os.PathLike | None = None) -> str:
    """What to do when a registry file is not in the cache and downloads are off."""
    bundle = bundle_of(remote)
    return (f"{cache_dir(cache) / remote.path} not in the cache: fetch it with `python -m bench fetch {remote.key}` "
            f"(or the profile key fetch.download: true) from {remote.url} (sha256 {remote.sha256}), or set "
            f"{bundle.config_keys} to a local folder holding it instead of {bundle.key!r}")


def fetch(key: str, *, cache: str | os.PathLike | None = None, mirror: str | None = None) -> list[Path]:
    """Download, verify (and unpack) every file of a file or bundle key; files already verified are kept.
    ``mirror``: a base URL laid out as the cache (``<mirror>/<bundle>/<name>``) used instead of the origin."""
    return [_fetch_one(remote, cache_dir(cache), mirror) for remote in entries(key)]


def _fetch_one(remote: Remote, cache: Path, mirror: str | None) -> Path:
    import pooch
    import requests

    url = f"{mirror.rstrip('/')}/{remote.path}" if mirror else remote.url
    target = cache / remote.path
    try:
        pooch.retrieve(url, known_hash=f"sha256:{remote.sha256}", fname=target.name, path=target.parent,
                       downloader=ResumableDownloader(cache / ".partial" / remote.path), progressbar=False)
    except ValueError as e:  # pooch's hash mismatch names both hashes, not the URL
        raise ValueError(f"{remote.key}: {url}: {e}") from None
    except requests.RequestException as e:
        raise OSError(f"{remote.key}: download from {url} failed ({e}); run again to resume, or without network "
                      f"place the file at {target} (sha256 {remote.sha256}) or set {bundle_of(remote).config_keys} "
                      "to a local folder") from None
    if remote.unpack:
        unpack(target)
    return target


class ResumableDownloader:
    """A pooch downloader that keeps the bytes received so far in ``partial`` and asks only for the rest
    (``Range``) on the next call; on completion the partial file becomes pooch's temporary file, which pooch
    verifies before it takes the final name."""

    def __init__(self, partial: Path, timeout: float = 60.0):
        self.partial, self.timeout = partial, timeout

    def __call__(self, url: str, output_file, pooch_obj=None, check_only: bool = False):
        import requests

        if check_only:
            return requests.head(url, allow_redirects=True, timeout=self.timeout).status_code == 200
        self.partial.parent.mkdir(parents=True, exist_ok=True)
        have = self.partial.stat().st_size if self.partial.exists() else 0
        headers = {"Range": f"bytes={have}-"} if have else {}
        with requests.get(url, headers=headers, stream=True, timeout=self.timeout) as r:
            if have and r.status_code == 416:  # the partial file is already complete
                pass
            else:
                r.raise_for_status()
                mode = "ab" if have and r.status_code == 206 else "wb"  # 200: the server ignored the range
                with open(self.partial, mode) as f:
                    for chunk in r.iter_content(CHUNK):
                        f.write(chunk)
        out = output_file if isinstance(output_file, (str, os.PathLike)) else output_file.name
        shutil.move(self.partial, out)


def unpack(archive: Path) -> None:
    """Unpack a verified zip beside itself: into a temporary folder first, each top-level entry renamed into place
    only when complete (a half-unpacked folder never has the final name)."""
    with zipfile.ZipFile(archive) as z:
        tops = sorted({name.split("/")[0] for name in z.namelist() if name.strip("/")})
        if all((archive.parent / t).exists() for t in tops):
            return
        with tempfile.TemporaryDirectory(dir=archive.parent, prefix=".unpack-") as tmp:
            z.extractall(tmp)
            for t in tops:
                if not (archive.parent / t).exists():
                    os.replace(Path(tmp) / t, archive.parent / t)


def released_file(path: str | os.PathLike, *, download: bool, missing: str) -> Path:
    """A released file a profile names: there; or a registry file of the cache that the workflow's fetch rule will
    download (``download``), else an error saying how to fetch it; or a local file that is not there (``missing``)."""
    path = Path(path)
    if path.is_file():
        return path
    remote = cached(path)
    if remote is None:
        raise FileNotFoundError(missing)
    if download:
        return path
    raise FileNotFoundError(missing_message(remote))
