"""The job plan of a profile: every output path of the Snakemake DAG and the exact configuration of each job.

The workflow's rules only ask this module (through ``workflow/rules/common.smk``) for paths and job
configurations, so the DAG's logic is plain, tested Python; the paths themselves are spelled once, in
``bench.plan.layout``. Nothing here imports torch.

A *variant* is the main ClassSR setting of a backbone or one of ``ablations``; it transforms the profile
(widths and so M, loss weights, joint fine-tuning, branch data, any train.* override) and shares every run it
does not change.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

from ..backbones import spec
from ..fetch import released_file
from ..methods import RESERVED_IDS, MethodModel, MethodRun, get_method, method_config
from ..config import ConfigError, from_dict, merge, nested, to_dict
from .layout import Layout
from ..profile import AblationConfig, Profile, SplitConfig
from ..train.run import RunConfig, resolve

MAIN = "classsr"


@dataclasses.dataclass(frozen=True)
class Variant:
    backbone: str
    id: str
    profile: Profile

    @property
    def widths(self) -> tuple[int, ...]:
        return tuple(self.profile.train.backbones[self.backbone].widths or spec(self.backbone).paper_widths)

    @property
    def final_stage(self) -> str:
        return "joint" if self.profile.train.joint else "classsr"


def apply_ablation(profile: Profile, ab: AblationConfig) -> Profile:
    """The profile of an ablation variant: its overrides merged into the profile and validated like a profile."""
    raw = merge(to_dict(profile), nested(ab.overrides()))
    try:
        changed = from_dict(Profile, raw)
    except ConfigError as e:
        raise ConfigError(f"ablation {ab.id}: {e}") from None
    widths = changed.train.backbones[ab.backbone].widths or spec(ab.backbone).paper_widths
    # the profile checks that split.num_classes matches the widths, so both change together
    split = split_with_classes(profile.split, len(widths), who=f"ablation {ab.id} (widths {list(widths)})")
    return dataclasses.replace(changed, split=split)


def split_with_classes(split: SplitConfig, classes: int, *, who: str) -> SplitConfig:
    """The profile's split for ``classes`` classes. The paper's dB thresholds are the 1/3 and 2/3 quantiles of
    DIV2K's sub-image PSNRs (spec §4), so for another M they generalise to M-quantiles; explicit dB values
    cannot generalise and are refused, naming ``who`` asked."""
    if classes == split.num_classes:
        return split
    thresholds = split.thresholds
    if thresholds == "paper":
        thresholds = "quantile"
    elif isinstance(thresholds, tuple):
        raise ValueError(f"{who} needs {classes} classes but split.thresholds {list(thresholds)} define "
                         f"{len(thresholds) + 1}; use split.thresholds: quantile or auto")
    return dataclasses.replace(split, num_classes=classes, thresholds=thresholds)


class Plan:
    def __init__(self, profile: Profile, root: str | Path | None = None, *, data_dir: str | Path | None = None,
                 runs_dir: str | Path | None = None, seed_suffix: str = ""):
        self.profile = profile
        self.layout = Layout(profile.name, root=root, data=data_dir, runs=runs_dir, seed_suffix=seed_suffix)
        self.replica = bool(seed_suffix)  # a further seed of train.seeds: only its trained models
        self.root, self.data_dir, self.runs = self.layout.root, self.layout.data, self.layout.runs
        self.variants: dict[tuple[str, str], Variant] = {}
        for b in profile.train.backbones:
            self.variants[(b, MAIN)] = Variant(b, MAIN, profile)
        for ab in profile.ablations:
            if ab.backbone not in profile.train.backbones:
                raise ValueError(f"ablation {ab.id!r}: backbone {ab.backbone!r} is not in train.backbones")
            if (ab.backbone, ab.id) in self.variants:
                raise ValueError(f"ablation id {ab.id!r} used twice for {ab.backbone} (or equals {MAIN!r})")
            self.variants[(ab.backbone, ab.id)] = Variant(ab.backbone, ab.id, apply_ablation(profile, ab))
        self._tags = self._assign_tags()
        self._check_ablations_change_something()
        self.method_runs = self._method_runs()
        self.method_models = self._method_models()

    @property
    def seed(self) -> int:
        return self.profile.train.seed

    def seed_plans(self) -> list["Plan"]:
        """This plan and one per further seed of ``train.seeds`` (issue 25): the same profile with that seed, its
        runs and evaluations in ``runs_s<seed>/`` and ``eval_s<seed>/``, sharing data, reference and split."""
        if self.replica:
            return [self]
        out = [self]
        for seed in self.profile.train.seeds[1:]:
            profile = dataclasses.replace(self.profile, train=dataclasses.replace(self.profile.train, seed=seed,
                                                                                  seeds=()))
            out.append(Plan(profile, self.root, data_dir=self.data_dir, runs_dir=self.runs, seed_suffix=f"_s{seed}"))
        return out

    def _seeded(self, paths) -> bool:
        """True when a model's files are this seed's trained runs (a released or official file is not)."""
        runs = self.runs.parent / self.layout.seed_folders()["runsname"]
        return any(Path(p).is_relative_to(runs) for p in paths)

    def _branch_digests(self, v: Variant) -> tuple[str, ...]:
        return tuple(self._branch_run(v, k).digest() for k in _networks(v.widths))

    def _assign_tags(self) -> dict[tuple[str, str], str]:
        """Branch-run folder tags: widths + branch data; variants whose branch runs differ otherwise (e.g. an
        ablated branch lr) get the runs' digest appended, so no two configurations share a folder."""
        tags, owners = {}, {}
        for key, v in self.variants.items():  # the main variant first: it keeps the plain tag
            base = "-".join(map(str, v.widths)) + f"_{v.profile.train.branch_data}"
            digests = self._branch_digests(v)
            tag = base if owners.setdefault((v.backbone, base), digests) == digests else \
                f"{base}_{hashlib.sha256(''.join(digests).encode()).hexdigest()[:8]}"
            tags[key] = tag
        return tags

    def _check_ablations_change_something(self) -> None:
        """An override shadowed by a more specific key (e.g. train.stages.classsr.lr under a backbone's own
        stages.classsr.lr) would give a variant identical to the main one: refused by name."""
        for (backbone, vid), v in self.variants.items():
            if vid != MAIN and self._signature(v) == self._signature(self.variants[(backbone, MAIN)]):
                raise ConfigError(f"ablation {vid}: its overrides change no run of {backbone} (a more specific "
                                  "key of the profile may shadow them)")

    def _signature(self, v: Variant) -> tuple:
        stages = ("classsr", "joint") if v.profile.train.joint else ("classsr",)
        return (self._branch_digests(v), v.widths, v.profile.train.backbones[v.backbone].branch_source,
                tuple(resolve(v.profile, st, v.backbone, data_dir=str(self.data_dir)).digest() for st in stages))

    def _method_runs(self) -> dict[tuple[str, str, str], MethodRun]:
        """(backbone, method, stage) -> every training job of the profile's registered methods."""
        out = {}
        for name, raw in self.profile.methods.items():
            method = get_method(name)
            for r in (method.runs(self, method_config(name, raw)) if method.runs else []):
                out[(r.backbone, r.method, r.stage)] = r
        return out

    def method_model(self, backbone: str, method: str, stage: str) -> Path:
        """Where a method's training stage writes its model (a ``MethodRun``'s output)."""
        return self.layout.path("method_model", backbone=backbone, method=method, stage=stage)

    def method_run_config(self, stage: str, backbone: str, *, init: tuple[str, ...] = ()) -> RunConfig:
        """A method stage's run under this profile (its recipe ⊕ train.stages overrides), for ``Method.runs``."""
        return resolve(self.profile, stage, backbone, data_dir=str(self.data_dir), init=tuple(init))

    def method_run(self, backbone: str, method: str, stage: str) -> MethodRun:
        try:
            return self.method_runs[(backbone, method, stage)]
        except KeyError:
            raise KeyError(f"no {method} training stage {stage!r} for {backbone} in this profile") from None

    def _method_models(self) -> dict[tuple[str, str], MethodModel]:
        """(backbone, model id) -> every evaluated model of the profile's registered methods (bench.methods)."""
        out = {}
        for name, raw in self.profile.methods.items():
            for m in get_method(name).models(self, method_config(name, raw)):
                taken = (m.backbone, m.id) in self.variants or (m.backbone, m.id) in out
                if taken or m.id in RESERVED_IDS or m.id.startswith("arm_"):
                    raise ConfigError(f"methods.{name}: model id {m.id!r} of {m.backbone} is taken (a ClassSR "
                                      f"variant, another method's model or one of {list(RESERVED_IDS)})")
                out[(m.backbone, m.id)] = m
        return out

    def tag(self, backbone: str, variant: str) -> str:
        """The branch-run tag of a variant (the ``{tag}`` of ``runs/{backbone}/branches_{tag}/``)."""
        return self._tags[(backbone, variant)]

    def branch_classes(self, backbone: str, tag: str) -> Path:
        """The class table the branch runs of ``tag`` train on."""
        return self.classes(len(self._by_tag(backbone, tag).widths))

    # ---- paths (patterns in bench.plan.layout)
    def reference_model(self) -> Path:
        if self.profile.split.reference_checkpoint:
            return Path(self.profile.split.reference_checkpoint)
        return self.layout.path("reference_model")

    def split_profile(self, m: int) -> Profile:
        """The profile with its split set for ``m`` classes (ablations that change the number of branches)."""
        return dataclasses.replace(self.profile, split=split_with_classes(self.profile.split, m, who=f"split_m{m}"))

    def classes(self, m: int) -> Path:
        return self.layout.path("classes", m=m)

    def branch_model(self, backbone: str, tag: str, k: int) -> Path:
        return self.layout.path("branch_model", backbone=backbone, tag=tag, k=k)

    def baseline_model(self, backbone: str, width: int) -> Path:
        return self.layout.path("baseline_model", backbone=backbone, width=width)

    def variant_model(self, backbone: str, variant: str, stage: str) -> Path:
        return self.layout.path("variant_model", backbone=backbone, variant=variant, stage=stage)

    def testset(self, testset: str) -> Path:
        return self.layout.path("testset", testset=testset)

    def evaluation(self, testset: str, backbone: str, model: str, kind: str = "evaluation") -> Path:
        """The per-image CSV of an evaluation (``kind`` routing or sample: its other outputs)."""
        return self.layout.path(kind, testset=testset, backbone=backbone, model=model)

    def bicubic_evaluation(self, testset: str) -> Path:
        """The zero-FLOPs MATLAB-bicubic reference of a test set (one level up: it belongs to no backbone)."""
        return self.layout.path("bicubic", testset=testset)

    def curve(self, testset: str, backbone: str) -> Path:
        return self.layout.path("curve", testset=testset, backbone=backbone)

    def class_maps(self) -> list[tuple[str, Path, Path]]:
        """(test set, routing CSV, SR sample) of the class-map figure per test set: the main ClassSR of FSRCNN
        (the paper's Fig. 1), else of the first backbone."""
        backbones = sorted(self.profile.train.backbones, key=lambda b: b != "fsrcnn")
        if not backbones or self.replica:  # the figures of the first seed
            return []
        b = backbones[0]
        return [(t.name, self.evaluation(t.name, b, MAIN, "routing"), self.evaluation(t.name, b, MAIN, "sample"))
                for t in self.profile.data.test_sets]

    def routing_caches(self) -> list[tuple[str, str, str, Path, Path]]:
        """(test set, backbone, model, per-patch cache, part costs) of every ClassSR model when
        ``evaluate.routing_curves`` is on."""
        if not self.profile.evaluate.routing_curves or self.replica:
            return []
        models = list(self.variants) + [key for key, m in self.method_models.items()
                                        if get_method(m.method).routing_cache]
        return [(t.name, b, m, *(self.evaluation(t.name, b, m, kind) for kind in ("patch_cache", "patch_costs")))
                for t in self.profile.data.test_sets for b, m in models]

    def train_logs(self) -> list[tuple[Path, Path]]:
        """(stage-2 model, its train_log.csv) of every trained ClassSR variant (the training-curve figure); the
        model is what the workflow can depend on — the log is not a declared output, so that Snakemake never
        deletes a log an interrupted run resumes into."""
        if self.profile.official.folder or self.replica:
            return []
        return [(self.variant_model(b, v, "classsr"),
                 self.layout.path("train_log", backbone=b, variant=v, stage="classsr")) for b, v in self.variants]

    # ---- job configurations
    def _variant(self, backbone: str, variant: str) -> Variant:
        try:
            return self.variants[(backbone, variant)]
        except KeyError:
            raise KeyError(f"no variant {variant!r} for backbone {backbone!r}") from None

    def _by_tag(self, backbone: str, tag: str) -> Variant:
        for (b, vid), v in self.variants.items():
            if b == backbone and self._tags[(b, vid)] == tag:
                return v
        raise KeyError(f"no variant of {backbone} has branches {tag!r}")

    def reference_run(self) -> RunConfig:
        return resolve(self.profile, "reference", "srresnet", data_dir=str(self.data_dir))

    def _branch_run(self, v: Variant, k: int) -> RunConfig:
        return resolve(v.profile, "branch", v.backbone, data_dir=str(self.data_dir),
                       classes_csv=str(self.classes(len(v.widths))), class_id=k)

    def branch_run(self, backbone: str, tag: str, k: int) -> RunConfig:
        return self._branch_run(self._by_tag(backbone, tag), k)

    def branch_models(self, backbone: str, variant: str) -> list[Path]:
        v, tag = self._variant(backbone, variant), self.tag(backbone, variant)
        if v.profile.train.backbones[backbone].branch_source == "arm":
            return [self.arm_branch(backbone, v.widths[k]) for k in _networks(v.widths)]
        return [self.branch_model(backbone, tag, k) for k in _networks(v.widths)]

    def arm_branch(self, backbone: str, width: int) -> Path:
        """The width-``width`` sub-net of the profile's ARM supernet, as a standalone network (branch_source arm)."""
        return self.layout.path("arm_branch", backbone=backbone, width=width)

    def _arm_sourced(self, backbone: str) -> bool:
        return self.variants[(backbone, MAIN)].profile.train.backbones[backbone].branch_source == "arm"

    def baseline_run(self, backbone: str, width: int) -> RunConfig:
        v = next((v for v in self.variants.values() if v.backbone == backbone and v.widths[-1] == width), None)
        if v is None:
            raise KeyError(f"no variant of {backbone} has widest branch {width}")
        return resolve(v.profile, "baseline", backbone, data_dir=str(self.data_dir))

    def variant_run(self, backbone: str, variant: str, stage: str) -> RunConfig:
        v = self._variant(backbone, variant)
        init = (self.branch_models(backbone, variant) if stage == "classsr"
                else [self.variant_model(backbone, variant, "classsr")])
        return resolve(v.profile, stage, backbone, data_dir=str(self.data_dir), init=tuple(map(str, init)))

    def official_model(self, backbone: str, model: str) -> Path:
        """An authors' checkpoint of an official-checkpoint profile; a missing file names the config key."""
        off = self.profile.official
        key = "original" if model == "original" else "classsr"
        path = Path(off.folder) / getattr(off, key).format(name=spec(backbone).official_name)
        if not path.is_file():
            raise FileNotFoundError(f"{path} not found (config keys official.folder and official.{key}); the "
                                    "authors' checkpoints are linked from the ClassSR repository README")
        return path

    def evaluated_model(self, backbone: str, model: str) -> tuple[str, Path]:
        """(registry name, checkpoint) of an evaluated model id: ``original`` or a variant id."""
        if self.profile.official.folder:
            name = backbone if model == "original" else f"classsr_{backbone}"
            return name, self.official_model(backbone, model)
        if model == "original":
            widest = self.variants[(backbone, MAIN)].widths[-1]
            if self._arm_sourced(backbone):  # the -O is the supernet's full width, as the branches are its slices
                return backbone, self.arm_branch(backbone, widest)
            return backbone, self.baseline_model(backbone, widest)
        v = self._variant(backbone, model)
        return f"classsr_{backbone}", self.variant_model(backbone, model, v.final_stage)

    def evaluated_inputs(self, backbone: str, model: str) -> list[Path]:
        """The checkpoint(s) an evaluated model id loads: a method's inputs, or the one file of -O or ClassSR."""
        if (backbone, model) in self.method_models:
            return [Path(p) for p in self.method_models[(backbone, model)].inputs]
        return [self.evaluated_model(backbone, model)[1]]

    def load_args(self, backbone: str, model: str) -> list[str]:
        """How the evaluate and routing verbs load it: ``--method`` with its options, or ``--arch``/``--classifier``
        (the checkpoints are given by --model)."""
        m = self.method_models.get((backbone, model))
        if m is not None:
            return ["--method", m.method, "--options", m.options_json()]
        return ["--arch", self.evaluated_model(backbone, model)[0],
                "--classifier", self.evaluated_classifier(backbone, model)]

    def perf_args(self) -> list[str]:
        """``python -m bench perf`` arguments: the profile's perf section, and every method model
        (``--method NAME BACKBONE ID OPTIONS``; the method builds its latency model, or none)."""
        extra = []
        for m in self.method_models.values():
            if get_method(m.method).perf_model is not None:
                extra += ["--method", m.method, m.backbone, m.id, m.options_json()]
        return self.profile.perf_args() + extra

    def evaluated_classifier(self, backbone: str, model: str) -> str:
        """Registry name of the classifier of an evaluated ClassSR model ("classifier": the paper's)."""
        if model == "original" or self.profile.official.folder:
            return "classifier"
        return self._variant(backbone, model).profile.train.backbones[backbone].classifier or "classifier"

    # ---- ARM (Chen et al., ECCV 2022), next to ClassSR
    def arm_model(self, backbone: str) -> Path:
        """ARM's supernet of ``backbone``: the released file (arm.folder; a missing one names the keys) or the
        trained run's."""
        arm = self.profile.arm
        if not arm.folder:
            return self.layout.path("arm_model", backbone=backbone)
        path = Path(arm.folder) / arm.checkpoint.format(name=backbone)
        return self.released_file(path, f"{path} not found (config keys arm.folder and arm.checkpoint); ARM's "
                                  "checkpoints are in the ckpt/ folder of github.com/chenbong/ARM-Net (or set "
                                  "arm.folder: arm-net to fetch them: python -m bench fetch --list)")

    def arm_run(self, backbone: str) -> RunConfig:
        return resolve(self.profile, "arm", backbone, data_dir=str(self.data_dir))

    def arm_table(self, backbone: str) -> Path | None:
        """The lookup table ARM's evaluation reads: None = ARM's released table (embedded), else a file."""
        arm = self.profile.arm
        mode = arm.table_mode(backbone)
        if mode == "released":
            return None
        if mode == "calibrate":
            return self.layout.path("arm_table", backbone=backbone)
        path = Path(arm.folder) / arm.table.format(name=backbone)
        return self.released_file(path, f"{path} not found (config keys arm.folder and arm.table)")

    def fetched_archives(self) -> list[Path]:
        """The DIV2K archives the data section names by key (``data.root: div2k``; a div2k test set's root): inputs
        of the prepare job, made by the fetch rule under fetch.download (else present, or an error saying how)."""
        from ..fetch import FILES, cache_dir

        data, bundle = self.profile.data, str(cache_dir() / "div2k")
        keys = ["div2k-train-hr"] if data.source == "div2k" and data.root == bundle else []
        keys += ["div2k-valid-hr"] if any(t.source == "div2k" and t.root == bundle for t in data.test_sets) else []
        return [self.released_file(cache_dir() / FILES[k].path, "") for k in keys]

    def released_file(self, path: Path, missing: str) -> Path:
        """A released file the profile names; one of bench.fetch's keyed files is made by the workflow's fetch rule
        when the profile says fetch.download (else the error says how to fetch it)."""
        return released_file(path, download=self.profile.fetch.download, missing=missing)

    def arm_evaluation(self, testset: str, backbone: str) -> Path:
        return self.layout.path("arm_evaluation", testset=testset, backbone=backbone)

    # ---- targets
    def evaluations(self) -> list[Path]:
        """Every evaluation CSV of the profile: per test set the bicubic reference, then every -O, ClassSR and
        registered method's model, then ARM's sweeps."""
        models = {(b, "original") for b in self.profile.train.backbones} | set(self.variants) | set(self.method_models)
        if self.replica:  # a further seed evaluates what it trained; bicubic and released networks are the first's
            models = {(b, m) for b, m in models if self._seeded(self.evaluated_inputs(b, m))}
            arm = [b for b in self.profile.arm.backbones if self._seeded([self.arm_model(b)])]
            return [p for t in self.profile.data.test_sets for p in
                    [self.evaluation(t.name, b, m) for b, m in sorted(models)]
                    + [self.arm_evaluation(t.name, b) for b in arm]]
        return [p for t in self.profile.data.test_sets for p in
                [self.bicubic_evaluation(t.name)] + [self.evaluation(t.name, b, m) for b, m in sorted(models)]
                + [self.arm_evaluation(t.name, b) for b in self.profile.arm.backbones]]


    def curves(self) -> list[Path]:
        """Learning curves of every trained -O network on every test set (none without snapshots)."""
        if not self.profile.train.snapshot_every or self.profile.official.folder or self.replica:
            return []
        return [self.curve(t.name, b) for t in self.profile.data.test_sets for b in self.profile.train.backbones
                if not self._arm_sourced(b)]  # a released -O has no training snapshots


    def stage2_curve(self, testset: str, backbone: str, model: str) -> Path:
        return self.layout.path("stage2_curve", testset=testset, backbone=backbone, model=model)

    def stage2_curves(self) -> list[Path]:
        """Stage-2 curves of every trained ClassSR variant on every test set (none without kept points)."""
        if not self.profile.train.stage2_points or self.profile.official.folder or self.replica:
            return []
        return [self.stage2_curve(t.name, b, v) for t in self.profile.data.test_sets for b, v in self.variants]


def _networks(widths: tuple[int, ...]) -> list[int]:
    """The classes whose branch is a network: all but a bicubic class (width 0), which has nothing to train or load."""
    return [k for k, w in enumerate(widths) if w > 0]


def run_json(cfg: RunConfig) -> str:
    return json.dumps(to_dict(cfg), sort_keys=True)
