"""Where every file of a profile's results lives — written once (no torch import).

``Plan`` fills these patterns for concrete jobs, the Snakemake rules take them (with their ``{wildcards}``) as
outputs and logs, and the verbs receive the resulting paths as arguments. Under ``results/<profile>/``:

    data/manifest.sha256                                  prepared data (and its data_config.json)
    data/test/{testset}/pairs.csv|testset.json            a prepared test set (paths relative to its folder)
    runs/reference/model.pth                              stage 0 (unless split.reference_checkpoint)
    runs/split_m{m}/classes.csv                           class split into m classes
    runs/{backbone}/branches_{tag}/branch{k}/model.pth    branch k (tag: widths + branch data [+ digest])
    runs/{backbone}/baseline_w{width}/model.pth           the "-O" network of width W
    runs/{backbone}/{variant}/{stage}/model.pth           ClassSR of a variant (stage classsr or joint)
    runs/{backbone}/arm/model.pth|table.csv               ARM's supernet and its lookup table (arm.folder unset)
    runs/{backbone}/arm_w{width}/model.pth                its width-W sub-net, a branch or -O (branch_source arm)
    runs/{backbone}/methods/{method}_{stage}/model.pth    a registered method's training stage (e.g. pcsr_pcsr1)
    eval/{testset}/{backbone}/{model}.csv                 per-image evaluation (model: original or a variant)
    eval/{testset}/{backbone}/{model}.routing.csv|.sample.png   routing of every patch, first SR image
    eval/{testset}/{backbone}/arm.sweep.csv               ARM's η sweep (one row per knob and image)
    eval/{testset}/bicubic.csv                            the MATLAB-bicubic reference (0 FLOPs)
    eval/{testset}/{backbone}/{model}.patches|costs.csv   per-patch routing cache of a ClassSR model
    eval/{testset}/{backbone}/original.curve.csv          learning curve of the -O (train.snapshot_every > 0)
    eval/{testset}/{backbone}/{model}.stage2.csv          stage-2 curve of a ClassSR variant (train.stage2_points)
    eval/summary.csv, eval/missing.csv                    merged evaluations
    tables/, figures/, flops/flops.csv, perf/…            report, FLOPs table, latency
    runs_s{seed}/…, eval_s{seed}/…                        every further seed of train.seeds: its trained runs
                                                          and their evaluations (data, reference, split shared)

Logs mirror the outputs under ``logs/<profile>/`` (a job's log and benchmark beside where its output would be).
"""
from __future__ import annotations

from pathlib import Path

#: Files of a prepared data folder, relative to it (prepare writes them into a temporary folder first).
MANIFEST = "manifest.sha256"
TRAIN_INDEX = "train/subimages.csv"
DATA_SUMMARY = "summary.csv"
TEST_DIR = "test"

#: name -> (output pattern, log pattern without suffix); {root} {data} {runs} {logs} are the profile's folders.
PATTERNS = {
    "manifest": ("{data}/" + MANIFEST, "{logs}/data/prepare"),
    "testset": ("{data}/" + TEST_DIR + "/{testset}", None),
    "train_index": ("{data}/" + TRAIN_INDEX, None),
    "reference_model": ("{runs}/reference/model.pth", "{logs}/runs/reference/train"),
    "classes": ("{runs}/split_m{m}/classes.csv", "{logs}/runs/split_m{m}/split"),
    "branch_model": ("{sruns}/{backbone}/branches_{tag}/branch{k}/model.pth",
                     "{logs}/{runsname}/{backbone}/branches_{tag}/branch{k}/train"),
    "baseline_model": ("{sruns}/{backbone}/baseline_w{width}/model.pth", "{logs}/{runsname}/{backbone}/baseline_w{width}/train"),
    "variant_model": ("{sruns}/{backbone}/{variant}/{stage}/model.pth", "{logs}/{runsname}/{backbone}/{variant}/{stage}/train"),
    "train_log": ("{sruns}/{backbone}/{variant}/{stage}/train_log.csv", None),
    "arm_model": ("{sruns}/{backbone}/arm/model.pth", "{logs}/{runsname}/{backbone}/arm/train"),
    "arm_table": ("{sruns}/{backbone}/arm/table.csv", "{logs}/{runsname}/{backbone}/arm/table"),
    "arm_branch": ("{sruns}/{backbone}/arm_w{width}/model.pth", "{logs}/{runsname}/{backbone}/arm_w{width}/slice"),
    "method_model": ("{sruns}/{backbone}/methods/{method}_{stage}/model.pth",
                     "{logs}/{runsname}/{backbone}/methods/{method}_{stage}/train"),
    "arm_evaluation": ("{root}/{evalname}/{testset}/{backbone}/arm.sweep.csv", "{logs}/{evalname}/{testset}/{backbone}/arm.sweep"),
    "evaluation": ("{root}/{evalname}/{testset}/{backbone}/{model}.csv", "{logs}/{evalname}/{testset}/{backbone}/{model}"),
    "routing": ("{root}/{evalname}/{testset}/{backbone}/{model}.routing.csv", None),
    "sample": ("{root}/{evalname}/{testset}/{backbone}/{model}.sample.png", None),
    "bicubic": ("{root}/eval/{testset}/bicubic.csv", "{logs}/eval/{testset}/bicubic"),
    "patch_cache": ("{root}/{evalname}/{testset}/{backbone}/{model}.patches.csv",
                    "{logs}/{evalname}/{testset}/{backbone}/{model}.patches"),
    "patch_costs": ("{root}/{evalname}/{testset}/{backbone}/{model}.costs.csv", None),
    "curve": ("{root}/{evalname}/{testset}/{backbone}/original.curve.csv",
              "{logs}/{evalname}/{testset}/{backbone}/original.curve"),
    "stage2_curve": ("{root}/{evalname}/{testset}/{backbone}/{model}.stage2.csv",
                     "{logs}/{evalname}/{testset}/{backbone}/{model}.stage2"),
    "summary": ("{root}/eval/summary.csv", "{logs}/eval/summarize"),
    "missing": ("{root}/eval/missing.csv", None),
    "scale": ("{root}/eval/scale.csv", None),
    "tables": ("{root}/tables", "{logs}/report"),
    "figures": ("{root}/figures", None),
    "flops": ("{root}/flops/flops.csv", "{logs}/flops/flops"),
    "perf": ("{root}/perf/perf.csv", "{logs}/perf/perf"),
    "latency_csv": ("{root}/perf/latency.csv", "{logs}/perf/latency"),
    "latency_md": ("{root}/perf/latency.md", None),
    "latency_png": ("{root}/perf/latency_time_vs_flops.png", None),
}
_FOLDERS = ("root", "data", "runs", "logs")
#: The wildcards of a seed's folders (``train.seeds``): ``runs`` / ``eval`` for the first seed, ``runs_s<seed>`` /
#: ``eval_s<seed>`` for every other; what no seed changes (data, reference network, class split, bicubic, summary,
#: report) lives in the first seed's folders only.
SEED_WILDCARDS = ("runsname", "evalname")
SEED_SUFFIX = r"(_s[0-9]+)?"


def train_index(data: str | Path) -> Path:
    return Path(data) / TRAIN_INDEX


def testset_dir(data: str | Path, name: str) -> Path:
    return Path(data) / TEST_DIR / name


class Layout:
    """The folders of one profile and every path pattern under them."""

    def __init__(self, name: str, *, root: str | Path | None = None, data: str | Path | None = None,
                 runs: str | Path | None = None, logs: str | Path | None = None, seed_suffix: str = ""):
        self.root = Path(root) if root else Path("results") / name
        self.data = Path(data) if data else self.root / "data"
        self.runs = Path(runs) if runs else self.root / "runs"
        self.logs = Path(logs) if logs else Path("logs") / name
        self.seed_suffix = seed_suffix  # "" for the first seed of train.seeds, "_s<seed>" for the others

    def _folders(self) -> dict[str, str]:
        """The folder fields; a seed's run and evaluation folders are left as the wildcards ``{runsname}`` and
        ``{evalname}`` (filled by ``path``, matched by the rules' patterns)."""
        return {**{k: str(getattr(self, k)) for k in _FOLDERS},
                "sruns": str(self.runs.parent / "{runsname}")}

    def seed_folders(self) -> dict[str, str]:
        """This layout's values of the seed wildcards."""
        return {"runsname": self.runs.name + self.seed_suffix, "evalname": "eval" + self.seed_suffix}

    def seed_constraints(self) -> dict[str, str]:
        """Snakemake wildcard constraints of the seed wildcards: the first seed's folder name, optionally
        ``_s<seed>``."""
        return {"runsname": self.runs.name + SEED_SUFFIX, "evalname": "eval" + SEED_SUFFIX}

    def pattern(self, name: str, **fixed) -> str:
        """The output pattern with the folders (and ``fixed`` wildcards) filled, the others left as ``{wildcard}``."""
        return _fill(PATTERNS[name][0], {**self._folders(), **fixed})

    def log(self, name: str, suffix: str = ".log", **fixed) -> str:
        """The log pattern of ``name``'s job (``.benchmark.tsv`` for Snakemake's benchmark)."""
        log = PATTERNS[name][1]
        if log is None:
            raise KeyError(f"{name} is not the first output of a job: it has no log")
        return _fill(log, {**self._folders(), **fixed}) + suffix

    def path(self, name: str, **wildcards) -> Path:
        """A concrete path: every wildcard of the pattern given (the seed's folders from this layout)."""
        text = PATTERNS[name][0].format(**self._folders(), **self.seed_folders(), **wildcards)
        return Path(text.format(**self.seed_folders()) if "{runsname}" in text else text)  # {sruns} holds it


def _fill(pattern: str, folders: dict[str, str]) -> str:
    """Fill the folder fields and keep the others as wildcards."""
    class Keep(dict):
        def __missing__(self, key):
            return "{" + key + "}"

    return pattern.format_map(Keep(folders))
