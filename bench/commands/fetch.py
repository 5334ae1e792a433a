"""Download released networks and datasets by registry key into the cache, each verified by its pinned SHA-256.

  python -m bench fetch arm-net            # ARM's supernets and tables (a bundle: the folder arm.folder names)
  python -m bench fetch pcsr-fsrcnn        # one file
  python -m bench fetch --list             # every key, its URL, size and where its hash came from

The cache is --cache, else $BENCH_CACHE, else ~/.cache/classsr-bench; --mirror (or $BENCH_MIRROR) is a base URL
laid out as the cache (<mirror>/<bundle>/<file>). An interrupted download resumes on the next call.
"""
from __future__ import annotations

import argparse
import os


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("keys", nargs="*", help="file or bundle keys (see --list)")
    parser.add_argument("--cache", help="cache folder (default $BENCH_CACHE or ~/.cache/classsr-bench)")
    parser.add_argument("--mirror", default=os.environ.get("BENCH_MIRROR"),
                        help="base URL of a mirror laid out as the cache, used instead of each file's origin")
    parser.add_argument("--list", action="store_true", help="list the registry and exit")


def run(args: argparse.Namespace) -> int:
    from ..fetch import BUNDLES, FILES, cache_dir, entries, fetch

    if args.list or not args.keys:
        for b in BUNDLES.values():
            print(f"{b.key}  (bundle, for {b.config_keys}): {', '.join(b.files)}")
        for f in FILES.values():
            print(f"{f.key}  {f.size:,} B  {f.url}\n    sha256 {f.sha256}  ({f.source})")
        print(f"cache: {cache_dir(args.cache)}")
        return 0
    for key in args.keys:
        entries(key)  # every key known before any download
    for key in args.keys:
        for path in fetch(key, cache=args.cache, mirror=args.mirror):
            print(path)
    return 0
