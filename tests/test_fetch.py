"""bench fetch against an HTTP server started here: a good file, a wrong hash, a truncated transfer that resumes,
an archive unpacked, no network, and the registry's own pins (opt-in, from the released files)."""
from __future__ import annotations

import hashlib
import http.server
import io
import os
import re
import threading
import zipfile
from pathlib import Path

import pytest

from bench.cli import main
from bench.fetch import registry
from bench.fetch.download import fetch, resolve_folder


class Server:
    """Serves ``files`` (path -> bytes) with Range support; ``cut`` = bytes sent before a hang-up (truncation)."""

    def __init__(self):
        self.files, self.cut, self.ranges, self.hits = {}, None, [], 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.hits += 1
                body = outer.files.get(self.path.lstrip("/"))
                if body is None:
                    self.send_error(404)
                    return
                start = 0
                if "Range" in self.headers:
                    start = int(self.headers["Range"].split("=")[1].rstrip("-"))
                    outer.ranges.append(start)
                self.send_response(206 if start else 200)
                self.send_header("Content-Length", str(len(body) - start))
                self.end_headers()
                self.wfile.write(body[start:outer.cut] if outer.cut is not None else body[start:])
                outer.cut = None  # only the first transfer is cut
                self.close_connection = True

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"


@pytest.fixture
def server():
    s = Server()
    yield s
    s.httpd.shutdown()


def _register(monkeypatch, key: str, path: str, body: bytes, *, unpack: bool = False, sha256: str | None = None):
    remote = registry.Remote(key, path, f"https://example.invalid/{path}", sha256 or hashlib.sha256(body).hexdigest(),
                             len(body), "test", unpack=unpack)
    monkeypatch.setitem(registry.FILES, key, remote)
    bundle = path.split("/")[0]
    monkeypatch.setitem(registry.BUNDLES, bundle, registry.Bundle(bundle, (key,), "arm.folder"))
    return remote


def test_good_file_verified_and_kept(server, monkeypatch, tmp_path, capsys):
    body = os.urandom(300_000)
    _register(monkeypatch, "arm-test", "arm-x/arm-test.pth", body)
    server.files["arm-x/arm-test.pth"] = body
    assert main(["fetch", "arm-test", "--cache", str(tmp_path), "--mirror", server.url]) == 0
    target = tmp_path / "arm-x" / "arm-test.pth"
    assert capsys.readouterr().out.strip() == str(target) and target.read_bytes() == body
    hits = server.hits
    fetch("arm-x", cache=tmp_path, mirror=server.url)  # the bundle key; already verified: no transfer
    assert server.hits == hits
    assert resolve_folder("arm-x", tmp_path) == str(tmp_path / "arm-x") and resolve_folder("./arm-x") == "./arm-x"


def test_wrong_hash_refused_naming_url_and_both_hashes(server, monkeypatch, tmp_path, capsys):
    body = b"not the released network" * 1000
    remote = _register(monkeypatch, "arm-test", "arm-x/arm-test.pth", body, sha256="0" * 64)
    server.files["arm-x/arm-test.pth"] = body
    assert main(["fetch", "arm-test", "--cache", str(tmp_path), "--mirror", server.url]) == 2
    err = capsys.readouterr().err
    assert f"{server.url}/arm-x/arm-test.pth" in err and remote.sha256 in err
    assert hashlib.sha256(body).hexdigest() in err
    assert not (tmp_path / "arm-x" / "arm-test.pth").exists()


def test_truncated_transfer_leaves_no_file_and_resumes(server, monkeypatch, tmp_path):
    body = os.urandom(2_000_000)
    _register(monkeypatch, "arm-test", "arm-x/arm-test.pth", body)
    server.files["arm-x/arm-test.pth"], server.cut = body, 700_000
    with pytest.raises(OSError, match="run again to resume"):
        fetch("arm-test", cache=tmp_path, mirror=server.url)
    assert not (tmp_path / "arm-x" / "arm-test.pth").exists()
    assert 0 < (tmp_path / ".partial" / "arm-x" / "arm-test.pth").stat().st_size < len(body)
    fetch("arm-test", cache=tmp_path, mirror=server.url)
    assert (tmp_path / "arm-x" / "arm-test.pth").read_bytes() == body
    assert server.ranges and server.ranges[-1] > 0  # the second transfer asked only for the rest


def test_archive_unpacked_once_verified(server, monkeypatch, tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("DIV2K_valid_HR/0801.png", b"png bytes")
    _register(monkeypatch, "div2k-test", "div2k/DIV2K_valid_HR.zip", buf.getvalue(), unpack=True)
    server.files["div2k/DIV2K_valid_HR.zip"] = buf.getvalue()
    fetch("div2k-test", cache=tmp_path, mirror=server.url)
    assert (tmp_path / "div2k" / "DIV2K_valid_HR" / "0801.png").read_bytes() == b"png bytes"
    assert not list((tmp_path / "div2k").glob(".unpack-*"))


def test_no_network_names_file_url_and_config_key(monkeypatch, tmp_path):
    _register(monkeypatch, "arm-test", "arm-x/arm-test.pth", b"x")
    with pytest.raises(OSError) as e:
        fetch("arm-test", cache=tmp_path, mirror="http://127.0.0.1:9")  # nothing listens on port 9
    message = str(e.value)
    assert "arm-test" in message and "http://127.0.0.1:9/arm-x/arm-test.pth" in message and "arm.folder" in message


def test_unknown_key_lists_the_known_ones(capsys):
    assert main(["fetch", "arm-nonexistent"]) == 2
    assert "arm-net" in capsys.readouterr().err


def test_registry_pins_are_well_formed():
    for f in registry.FILES.values():
        assert len(f.sha256) == 64 and int(f.sha256, 16) >= 0 and f.size > 0 and f.source
        assert f.path.split("/")[0] in registry.BUNDLES and f.url.startswith("https://")
    assert all(k in registry.FILES for b in registry.BUNDLES.values() for k in b.files)


RELEASED = {"arm-net": os.environ.get("ARM_CKPT_DIR"), "pcsr-save": os.environ.get("PCSR_CKPT_DIR")}


@pytest.mark.parametrize("bundle", ["arm-net", "pcsr-save"])
def test_released_files_match_their_pins(bundle, server, tmp_path):
    """Opt-in (ARM_CKPT_DIR / PCSR_CKPT_DIR): the released files, served as a mirror, pass the pinned hashes."""
    folder = RELEASED[bundle]
    if not folder:
        pytest.skip(f"{bundle}: set ARM_CKPT_DIR / PCSR_CKPT_DIR to the released folder")
    for key in registry.BUNDLES[bundle].files:
        remote = registry.FILES[key]
        server.files[remote.path] = (Path(folder) / remote.path.split("/", 1)[1]).read_bytes()
    paths = fetch(bundle, cache=tmp_path, mirror=server.url)
    assert [p.stat().st_size for p in paths] == [registry.FILES[k].size for k in registry.BUNDLES[bundle].files]


def test_paper_eval_runs_with_download_from_a_mirror(server, tmp_path):
    """paper_eval with ARM's and PCSR's folders named by key and fetch.download: the workflow's fetch jobs get
    them from a mirror (served here, pinned by a lab registry: $BENCH_REGISTRY) before the jobs that read them."""
    import subprocess
    import sys

    import yaml

    from conftest import paper_eval_probe

    mirror = tmp_path / "mirror"
    raw = paper_eval_probe(tmp_path, official=tmp_path / "pre", arm=mirror / "arm-net", pcsr=mirror / "pcsr-save")
    raw["arm"]["folder"], raw["methods"]["pcsr"]["folder"] = "arm-net", "pcsr-save"
    raw["fetch"] = {"download": True, "mirror": server.url}
    files, bundles = [], []
    for bundle in ("arm-net", "pcsr-save"):
        paths = sorted(p for p in (mirror / bundle).rglob("*") if p.is_file())
        for p in paths:
            rel, body = p.relative_to(mirror).as_posix(), p.read_bytes()
            server.files[rel] = body
            files.append({"key": rel.replace("/", "-"), "path": rel, "url": f"https://example.invalid/{rel}",
                          "sha256": hashlib.sha256(body).hexdigest(), "size": len(body), "source": "test"})
        bundles.append({"key": bundle, "files": [f["key"] for f in files if f["path"].startswith(bundle + "/")],
                        "config_keys": "test"})
    (tmp_path / "registry.yaml").write_text(yaml.safe_dump({"files": files, "bundles": bundles}))
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(raw))
    env = {**os.environ, "BENCH_CACHE": str(tmp_path / "cache"), "BENCH_REGISTRY": str(tmp_path / "registry.yaml")}
    out = "results/paper_eval_probe/eval/test2k/fsrcnn"
    result = subprocess.run([sys.executable, "-m", "snakemake", "--cores", "1", "--directory", str(tmp_path),
                             "--snakefile", str(Path(__file__).resolve().parents[1] / "Snakefile"),
                             f"{out}/arm.sweep.csv", f"{out}/pcsr_k0.csv",  # targets before --configfile
                             "--configfile", str(tmp_path / "p.yaml")], cwd=tmp_path, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert (tmp_path / out / "arm.sweep.csv").is_file() and (tmp_path / out / "pcsr_k0.csv").is_file()
    fetched = {p.relative_to(tmp_path / "cache").as_posix() for p in (tmp_path / "cache").rglob("*.pth")}
    # only what the targets read: FSRCNN's supernet and PCSR-FSRCNN, not CARN's or PCSR's baseline
    assert fetched == {"arm-net/arm-fsrcnn.pth", "pcsr-save/fsrcnn-pcsr-phase1/iter_last.pth"}
    order = [line.split()[1].rstrip(":") for line in result.stderr.splitlines() if line.startswith("localrule ")]
    assert order.count("fetch") == 2 and order.index("fetch") < order.index("evaluate_arm")


def test_released_profile_plans_fetch_jobs_with_download(tmp_path):
    """configs/released.yaml names ARM's files by key (arm.folder: arm-net): with fetch.download and an empty cache
    the DAG fetches both supernets first; without it the run stops before any job, naming the command."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "BENCH_CACHE": str(tmp_path / "cache")}
    run = [sys.executable, "-m", "snakemake", "-n", "--cores", "2", "--configfile", "configs/released.yaml"]
    planned = subprocess.run(run + ["--config", "fetch={download: true}"], cwd=root, env=env, capture_output=True,
                             text=True)
    assert planned.returncode == 0, planned.stderr[-2000:]
    fetched = set(re.findall(r"wildcards: fetched=(\S+)", planned.stdout))
    assert fetched == {"arm-net/arm-fsrcnn.pth", "arm-net/arm-carn.pth"}
    refused = subprocess.run(run, cwd=root, env=env, capture_output=True, text=True)
    assert refused.returncode != 0 and "python -m bench fetch arm-fsrcnn" in refused.stdout + refused.stderr
