"""Released files fetched on request, pinned by SHA-256 (bench.fetch.registry), into a cache (bench.fetch.download)."""
from .download import cache_dir, cached, fetch, missing_message, released_file, resolve_folder
from .registry import BUNDLES, FILES, Bundle, Remote, entries

__all__ = ["BUNDLES", "FILES", "Bundle", "Remote", "cache_dir", "cached", "entries", "fetch", "missing_message", "released_file",
           "resolve_folder"]
