"""The job plan (bench.plan.dag) and the Snakemake DAG: shared runs, ablation variants, dry runs of every profile."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bench.plan.captions import scale_note
from bench.plan.dag import Plan
from bench.profile import load_profile

ROOT = Path(__file__).resolve().parents[1]


def plan(name: str) -> Plan:
    return Plan(load_profile(ROOT / "configs" / f"{name}.yaml"))


def test_variants_share_what_they_do_not_change():
    p = plan("ci")
    assert p.branch_models("fsrcnn", "classsr") == p.branch_models("fsrcnn", "no_class_loss")
    two = p.branch_models("fsrcnn", "two_classes")
    assert len(two) == 2 and two[0].parent.parent.name == "branches_8-16_class"
    assert p.branch_run("fsrcnn", "8-16_class", 1).classes_csv.endswith("split_m2/classes.csv")
    assert p.variant_run("fsrcnn", "no_class_loss", "classsr").class_weight == 0
    assert p.variant_run("fsrcnn", "classsr", "classsr").class_weight == 0.5
    assert p.evaluated_model("fsrcnn", "two_classes")[1].parent.name == "joint"  # final stage of that variant
    assert p.evaluated_model("carn", "original") == ("carn", p.baseline_model("carn", 16))
    # 4 -O + 4 ClassSR, 5 ablations (two_classes, no_class_loss, supernet_branches, oracle, bicubic_class), bicubic, ARM's
    # sweep, PCSR-FSRCNN at k 0 and ADM (methods.pcsr)
    assert len(p.evaluations()) == 4 * 2 + 5 + 1 + 1 + 2
    assert p.branch_models("fsrcnn", "supernet_branches")[0] == p.arm_branch("fsrcnn", 16)
    # the bicubic class loads no network: the same three slices as supernet_branches
    assert p.branch_models("fsrcnn", "bicubic_class") == p.branch_models("fsrcnn", "supernet_branches")
    assert p.variant_run("fsrcnn", "bicubic_class", "classsr").oracle_cache


def test_seeds_repeat_every_trained_run_in_their_own_folders():
    """train.seeds (issue 25): a further seed's plan trains and evaluates in runs_s<seed>/ and eval_s<seed>/ with its
    seed, and shares data, reference network, class split, bicubic and released networks with the first."""
    p = plan("ci")
    first, second = p.seed_plans()
    assert first is p and (first.seed, second.seed) == (10, 11)
    assert second.branch_model("fsrcnn", "8-12-16_class", 0) == \
        p.root / "runs_s11" / "fsrcnn" / "branches_8-12-16_class" / "branch0" / "model.pth"
    assert second.variant_run("fsrcnn", "classsr", "classsr").seed == 11
    assert p.variant_run("fsrcnn", "classsr", "classsr").seed == 10
    assert second.reference_model() == p.reference_model() and second.classes(3) == p.classes(3)
    assert second.branch_run("fsrcnn", "8-12-16_class", 0).classes_csv == p.branch_run(
        "fsrcnn", "8-12-16_class", 0).classes_csv
    evaluations = second.evaluations()
    assert evaluations and all(e.parts[2] == "eval_s11" for e in evaluations)
    assert len(evaluations) == len(p.evaluations()) - 1  # all but bicubic: every ci network is trained here
    assert not (second.routing_caches() or second.curves() or second.stage2_curves() or second.class_maps())
    raw = yaml.safe_load((ROOT / "configs" / "ci.yaml").read_text())
    raw["train"]["seed"] = 3
    assert load_profile(None, raw).train.seed == 10  # the first of seeds is the seed of the plain folders
    raw["train"]["seeds"] = [10, 10]
    with pytest.raises(ValueError, match="distinct"):
        load_profile(None, raw)


def test_scale_note_names_every_reduction():
    note = scale_note(load_profile(ROOT / "configs" / "default.yaml"))
    assert note.startswith("demo scale:") and "branch iterations 250 (paper 500000/1000000)" in note
    assert "fsrcnn branch iterations 1000" in note and "srresnet depth {'blocks': 2}" in note
    assert "carn branch iterations 150 (paper 500000)" in note and "rcan classsr iterations 100" in note
    assert "branch lr 0.001 (paper 0.0002/0.001)" in note and "fsrcnn branch lr 0.01 (paper 0.001)" in note
    paper = load_profile(ROOT / "configs" / "paper.yaml")
    assert scale_note(paper) == ""


def _snakemake(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "snakemake", *args], cwd=cwd, capture_output=True, text=True)


def _job_counts(stdout: str) -> dict[str, int]:
    block = stdout.split("Job stats:")[1].split("\n\n")[0].splitlines()[3:]
    return {line.split()[0]: int(line.split()[1]) for line in block if line.strip() and line.split()[0] != "total"}


def test_default_dry_run_plans_the_whole_pipeline():
    result = _snakemake("-n", "--cores", "8", "--forceall")
    assert result.returncode == 0, result.stderr
    counts = _job_counts(result.stdout)
    assert counts == {"all": 1, "prepare": 1, "train_reference": 1, "split": 1, "train_branch": 12,
                      "train_baseline": 4, "train_classsr": 6, "evaluate": 10, "evaluate_bicubic": 1,
                      "learning_curve": 4, "summarize": 1, "report": 1, "flops": 1, "perf": 1, "latency": 1,
                      "routing_cache": 6, "train_arm": 1, "arm_table": 1, "evaluate_arm": 1, "stage2_curve": 6}
    # the scheduling order (workflow/rules/train.smk): the reference and the split first, every other training
    # next, evaluations after them, latency last
    prio = _priorities(result.stdout)
    gate = prio["train_reference"] | prio["split"]
    training = set().union(*(v for k, v in prio.items() if k.startswith("train_") and k != "train_reference"))
    rest = set().union(*(v for k, v in prio.items() if not k.startswith("train_") and k not in ("split", "perf")))
    assert min(gate) > max(training) and min(training) > max(rest) > max(prio["perf"]), prio

def _priorities(stdout: str) -> dict[str, set[int]]:
    """Each rule's job priorities in a dry run's job list (Snakemake prints ``priority:`` when it is not 0)."""
    prio: dict[str, set[int]] = {}
    for block in re.split(r"\n(?=(?:local)?rule \w+:)", stdout):
        head = re.match(r"(?:local)?rule (\w+):", block.strip())
        if head and "jobid:" in block:
            value = re.search(r"^\s+priority: (-?\d+)", block, re.M)
            prio.setdefault(head.group(1), set()).add(int(value.group(1)) if value else 0)
    return prio


def test_fsrcnn_cpu_dry_run_plans_fsrcnn_and_its_loss_ablations():
    result = _snakemake("-n", "--cores", "2", "--forceall", "--configfile", "configs/fsrcnn_cpu.yaml")
    assert result.returncode == 0, result.stderr
    # three seeds: every training run and its evaluation three times; data, reference, split, bicubic, the curves
    # and the routing analysis once (the first seed's)
    assert _job_counts(result.stdout) == {"all": 1, "prepare": 1, "train_reference": 1, "split": 1,
                                          "train_branch": 9, "train_baseline": 3, "train_classsr": 9, "evaluate": 12,
                                          "evaluate_bicubic": 1, "learning_curve": 1, "summarize": 1, "report": 1,
                                          "flops": 1, "perf": 1, "latency": 1, "routing_cache": 3,
                                          "train_arm": 3, "arm_table": 3, "evaluate_arm": 3,  # ARM-FSRCNN beside
                                          "stage2_curve": 3}
    # snapshot_every > 0: the -O's learning curve; none without snapshots
    assert plan("fsrcnn_cpu").curves() == [Path("results/fsrcnn_cpu/eval/embedded/fsrcnn/original.curve.csv")]
    assert plan("paper").curves() == []
    note = scale_note(load_profile(ROOT / "configs" / "fsrcnn_cpu.yaml"))
    assert "branch lr 0.002 (paper 0.001)" in note and "fsrcnn widths" not in note  # the paper's widths


@pytest.fixture(scope="module")
def fake_div(tmp_path_factory):
    root = tmp_path_factory.mktemp("div")
    (root / "DIV2K" / "DIV2K_train_HR").mkdir(parents=True)
    (root / "DIV8K").mkdir()
    for i in range(1, 801):
        (root / "DIV2K" / "DIV2K_train_HR" / f"{i:04d}.png").touch()
    for i in range(1201, 1501):
        (root / "DIV8K" / f"{i:04d}.png").touch()
    return root


def _paper_config(tmp_path, fake_div) -> Path:
    raw = yaml.safe_load((ROOT / "configs" / "paper.yaml").read_text())
    raw["data"]["root"] = str(fake_div / "DIV2K")
    for t in raw["data"]["test_sets"]:
        t["root"] = str(fake_div / "DIV8K")
    path = tmp_path / "paper.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_paper_dry_run_plans_the_paper_job_set(tmp_path, fake_div):
    result = _snakemake("-n", "--cores", "8", "--configfile", str(_paper_config(tmp_path, fake_div)),
                        "--directory", str(ROOT))
    assert result.returncode == 0, result.stderr
    counts = _job_counts(result.stdout)
    # 4 backbones × 3 branches + FSRCNN ablations: 2 (M=2) + 4 (M=4) + 3 (wider) + 3 (all data) branches
    assert counts["train_branch"] == 12 + 2 + 4 + 3 + 3
    assert counts["split"] == 3 and counts["train_baseline"] == 4 and counts["train_joint"] == 1
    # PCSR retrained with its recipe: two phases per backbone, four knobs per backbone and test set
    assert counts["train_classsr"] == 4 + 7 and counts["evaluate"] == 3 * (4 + 4 + 7) + 3 * 3 * 4
    assert counts["train_method"] == 3 * 2
    assert "results/paper/runs/srresnet/methods/pcsr_pcsr1/model.pth" in result.stdout
    assert "results/paper/runs/fsrcnn/branches_16-36-46-56_class/branch3/model.pth" in result.stdout
    # ARM retrained with its recipe: one supernet, one table and one sweep per test set for each backbone
    assert (counts["train_arm"], counts["arm_table"], counts["evaluate_arm"]) == (3, 3, 3 * 3)


def test_missing_data_stops_before_any_job(tmp_path):
    # the paper profile names DIV2K by key: not in the (empty) cache and no fetch.download, so it says how to fetch it
    result = _snakemake("-n", "--cores", "1", "--configfile", "configs/paper.yaml")
    assert result.returncode != 0
    text = result.stdout + result.stderr
    assert "DIV2K_train_HR.zip not in the cache: fetch it with `python -m bench fetch div2k-train-hr`" in text
    assert "9d0b9c463f6e35b6c62cc6a930ee2224f670b34c1df841a57670f9acf0f6c335" in text
    # a local folder that is not there names the folder and the key
    (tmp_path / "p.yaml").write_text("data: {source: div2k, root: /path/to/DIV2K}\n")
    result = _snakemake("-n", "--cores", "1", "--configfile", "configs/paper.yaml", str(tmp_path / "p.yaml"))
    assert "/path/to/DIV2K does not exist (config key data.root)" in result.stdout + result.stderr


def test_schema_rejects_unknown_top_level_keys():
    result = _snakemake("-n", "--cores", "1", "--config", "ablation=[]")
    assert result.returncode != 0 and "ablation" in result.stdout + result.stderr


def test_paper_eval_dry_run_trains_nothing(tmp_path):
    import numpy as np
    from skimage import io

    raw = yaml.safe_load((ROOT / "configs" / "paper_eval.yaml").read_text())
    for t in raw["data"]["test_sets"]:
        for sub in ("HR", "LR"):
            (tmp_path / t["name"] / sub / "X4").mkdir(parents=True)
        io.imsave(tmp_path / t["name"] / "HR" / "X4" / "1.png", np.zeros((128, 128, 3), np.uint8), check_contrast=False)
        io.imsave(tmp_path / t["name"] / "LR" / "X4" / "1.png", np.zeros((32, 32, 3), np.uint8), check_contrast=False)
        t["root"] = str(tmp_path / t["name"])
    raw["official"]["folder"] = str(tmp_path / "pretrained")
    raw["methods"]["pcsr"]["folder"] = str(tmp_path / "pcsr")
    for name in ("fsrcnn-pcsr-phase1", "carn-pcsr-phase1", "fsrcnn-x4", "carn-x4"):
        (tmp_path / "pcsr" / name).mkdir(parents=True)
        (tmp_path / "pcsr" / name / "iter_last.pth").touch()
    path = tmp_path / "paper_eval.yaml"
    path.write_text(yaml.safe_dump(raw))
    missing = _snakemake("-n", "--cores", "1", "--configfile", str(path))
    assert missing.returncode != 0 and "FSRCNN_O.pth not found (config keys official.folder and official.original)" in (
        missing.stdout + missing.stderr)
    (tmp_path / "pretrained").mkdir()
    for name in ("FSRCNN", "CARN", "SRResNet", "RCAN"):
        (tmp_path / "pretrained" / f"ClassSR_{name}.pth").touch()
        (tmp_path / "pretrained" / f"{name}_O.pth").touch()
    raw["arm"]["folder"] = str(tmp_path / "pretrained")
    path.write_text(yaml.safe_dump(raw))
    missing = _snakemake("-n", "--cores", "1", "--configfile", str(path), "--directory", str(ROOT))
    assert missing.returncode != 0 and "arm-fsrcnn.pth not found (config keys arm.folder and arm.checkpoint)" in (
        missing.stdout + missing.stderr)
    for name in ("fsrcnn", "carn"):
        (tmp_path / "pretrained" / f"arm-{name}.pth").touch()
    result = _snakemake("-n", "--cores", "1", "--configfile", str(path), "--directory", str(ROOT))
    assert result.returncode == 0, result.stdout + result.stderr
    counts = _job_counts(result.stdout)
    # PCSR's released networks: 5 knobs and its own -O per backbone and test set, nothing trained
    assert counts == {"all": 1, "prepare": 1, "evaluate": 3 * 8 + 3 * 2 * 6, "evaluate_bicubic": 3, "summarize": 1,
                      "report": 1, "flops": 1, "perf": 1, "latency": 1, "routing_cache": 3 * 4,
                      "evaluate_arm": 3 * 2}  # ARM's released tables: no table job, no training
    # Table 1 and the figures do not wait for the latency benchmark (its own target, scheduled last)
    tables = _snakemake("-n", "--cores", "1", "results/paper_eval/tables", "--configfile", str(path),
                        "--directory", str(ROOT))
    assert tables.returncode == 0 and "perf" not in _job_counts(tables.stdout)
    (tmp_path / "pcsr" / "carn-x4" / "iter_last.pth").unlink()
    missing = _snakemake("-n", "--cores", "1", "--configfile", str(path), "--directory", str(ROOT))
    assert missing.returncode != 0 and "(config keys methods.pcsr.folder and methods.pcsr.baseline)" in (
        missing.stdout + missing.stderr)


def test_slurm_profile_dry_run(tmp_path, fake_div):
    result = _snakemake("-n", "--profile", "workflow/profiles/slurm", "--configfile",
                        str(_paper_config(tmp_path, fake_div)), "--directory", str(ROOT))
    assert result.returncode == 0, result.stdout + result.stderr
    assert _job_counts(result.stdout)["train_branch"] == 24


def test_committed_schema_is_generated_and_complete():
    from bench.commands.schema import render

    assert (ROOT / "workflow" / "schemas" / "config.schema.yaml").read_text() == render(), \
        "regenerate with: python -m bench schema --out workflow/schemas/config.schema.yaml"
    schema = yaml.safe_load(render())

    def walk(node, path):
        if node.get("type") == "object" and "properties" in node:
            assert node["additionalProperties"] is False, path
            for key, prop in node["properties"].items():
                assert prop.get("description"), f"{path}.{key}"
                assert "default" in prop or key in node.get("required", []), f"{path}.{key}"
                walk(prop, f"{path}.{key}")
        for sub in node.get("anyOf", []) + ([node["items"]] if isinstance(node.get("items"), dict) else []):
            walk(sub, path)

    walk(schema, "config")


def test_schema_names_nested_typos():
    result = _snakemake("-n", "--cores", "1", "--config", 'train={"stages": {"branch": {"iteratons": 3}}}')
    out = result.stdout + result.stderr
    assert result.returncode != 0 and "config key train.stages.branch: Additional properties are not allowed " \
        "('iteratons' was unexpected)" in out
    assert "'description'" not in out and len(out.splitlines()) < 10  # no schema dump after the message


def test_config_type_errors_name_the_key_and_its_meaning():
    from bench.config import ConfigError
    from bench.profile import Profile
    from bench.schema import check_config

    with pytest.raises(ConfigError, match=re.escape("config key split.num_classes: '2' is not of type 'integer' "
                                                    "— Number of classes M")):
        check_config({"split": {"num_classes": "2"}}, Profile)
    with pytest.raises(ConfigError, match=re.escape("config key data.test_sets[0].source: 'div9k' is not one of")):
        check_config({"data": {"test_sets": [{"name": "t", "source": "div9k"}]}}, Profile)
    check_config({"split": {"num_classes": 2}}, Profile)


@pytest.mark.parametrize("overrides, names", [
    ({"train": {"stages": {"branch": {"iterations": 0}}}}, "train.stages.branch.iterations: must be ≥ 1, got 0"),
    ({"train": {"backbones": {"fsrcnn": {"stages": {"classsr": {"batch_size": 0}}}}}},
     "train.backbones.fsrcnn.stages.classsr.batch_size: must be ≥ 1"),
    ({"train": {"backbones": {"carn": {"widths": [16]}}}}, "backbones.carn.widths: ClassSR needs at least 2"),
    ({"split": {"num_classes": 2}}, "split.num_classes is 2 but train.backbones.fsrcnn.widths has 3 branches"),
    ({"split": {"num_classes": 1}}, "split: num_classes must be ≥ 2"),
    ({"split": {"thresholds": "paper", "num_classes": 2}, "train": {"backbones": {
        b: {"widths": [8, 16]} for b in ("fsrcnn", "carn", "srresnet", "rcan")}}},
     "split: thresholds 'paper' define 3 classes, but num_classes is 2"),
    ({"split": {"thresholds": [35.0, 27.0]}}, "split: thresholds [35.0, 27.0]: need 2 strictly ascending"),
    ({"split": {"thresholds": [27.0]}}, "split: thresholds [27.0]: need 2 strictly ascending"),
])
def test_untrainable_budgets_are_refused_at_load_time(overrides, names):
    from bench.config import ConfigError

    with pytest.raises(ConfigError, match=re.escape(names)):
        load_profile(ROOT / "configs" / "default.yaml", overrides)


def test_class_count_ablations_of_the_paper_profile_split_by_quantiles():
    """The paper's thresholds are DIV2K's 1/3-2/3 PSNR quantiles (spec §4): 2 and 4 classes use M-quantiles,
    at load rather than failing in the split job after stage 0 has trained."""
    plan = Plan(load_profile(ROOT / "configs" / "paper.yaml"))
    assert plan.split_profile(3).split.thresholds == "paper"
    assert [plan.split_profile(m).split.thresholds for m in (2, 4)] == ["quantile", "quantile"]
    assert plan.variants["fsrcnn", "four_classes"].profile.split.num_classes == 4
    explicit = {"split": {"thresholds": [27.0, 35.0]},
                "ablations": [{"id": "two", "backbone": "fsrcnn", "widths": [16, 56]}]}
    with pytest.raises(ValueError, match=re.escape("ablation two (widths [16, 56]) needs 2 classes but "
                                                   "split.thresholds [27.0, 35.0] define 3")):
        Plan(load_profile(ROOT / "configs" / "default.yaml", explicit))


def test_planning_the_workflow_never_imports_torch():
    """`snakemake -n` parses the workflow (profile, specs, plan, sources) with torch made unimportable."""
    code = ("import sys; sys.modules['torch'] = None; sys.argv = ['snakemake', '-n', '--cores', '1', '--forceall']\n"
            "from snakemake.cli import main; main()")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0 and "This was a dry-run" in result.stdout, result.stdout[-2000:] + result.stderr


LOCAL_RULES = {"all", "fetch", "summarize", "report", "latency"}  # no torch; fetch needs the login node's network


def test_slurm_profile_gives_every_torch_rule_resources(tmp_path, fake_div):
    """Issue 26: a rule without an entry falls back to the default resources (60 minutes, no GPU) and a training job
    would be killed, or sent to a GPU partition without a GPU. Every rule of the workflow is local or has its
    resources; every job of the paper DAG runs with them, every training job with a GPU."""
    profile = yaml.safe_load((ROOT / "workflow" / "profiles" / "slurm" / "config.yaml").read_text())
    resources, threads = profile["set-resources"], profile["set-threads"]
    declared = re.search(r"^localrules:\n((?:    \w+,\n)+)", (ROOT / "Snakefile").read_text(), re.M)
    assert declared and set(re.findall(r"(\w+),", declared.group(1))) == LOCAL_RULES
    rules = set(_snakemake("--list-rules").stdout.split())
    assert "train_arm" in rules and not rules - LOCAL_RULES - set(resources), rules - LOCAL_RULES - set(resources)
    assert set(threads) == set(resources)
    result = _snakemake("-n", "--profile", "workflow/profiles/slurm", "--configfile",
                        str(_paper_config(tmp_path, fake_div)), "--directory", str(ROOT))
    assert result.returncode == 0, result.stderr
    jobs = re.findall(r"^rule (\w+):\n(?:    .*\n)*?    resources: (.*)$", result.stdout, re.M)
    assert {rule for rule, _ in jobs} >= {"train_arm", "train_method", "arm_table", "evaluate_arm", "perf"}
    for rule, res in jobs:
        if rule in LOCAL_RULES:
            continue
        assert f"runtime={resources[rule]['runtime']}" in res, (rule, res)
        if rule.startswith("train_"):
            assert "gpu=1" in res, (rule, res)
