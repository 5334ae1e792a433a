# Helpers of the rules: every path, parameter and job configuration comes from bench.plan.dag (tested Python), so the
# rules stay declarative. The profile is validated here, at the boundary, by the JSON schema and bench.profile.
import json
import re
import shlex
import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from bench.fetch import FILES, cache_dir
from bench.plan.dag import Plan, run_json
from bench.data.prepare import check_prepared, check_sources
from bench.profile import workflow_profile


# The one validation of bench's verbs (empty files, repeated keys, 1e-4 as a number, bounds), one line naming the
# key; Snakemake's validate() would print the whole schema after its message.
PLAN = Plan(workflow_profile(config, workflow.configfiles))
validate(config, schema="../schemas/config.schema.yaml")  # passes now; kept for its defaults
FETCH_CACHE, FETCH_FILES = cache_dir(), {f.path: f for f in FILES.values()}  # bench fetch's cache (rule fetch)
FETCHED_DATA = [str(p) for p in PLAN.fetched_archives()]  # DIV2K named by key: the prepare job's inputs
# missing DIV2K/DIV8K/processed sets stop the run before any job (a DIV2K the fetch rule will bring is not checked)
check_sources(PLAN.profile.data, pending=tuple(str(Path(p).parent) for p in FETCHED_DATA if not Path(p).exists()))
check_prepared(PLAN.profile.data, PLAN.data_dir)  # and so do sources changed since the data were prepared
for _backbone, _model in PLAN.variants:  # and so do missing official checkpoints (paper_eval)
    PLAN.evaluated_model(_backbone, "original"), PLAN.evaluated_model(_backbone, _model)
for _backbone in PLAN.profile.arm.backbones:  # and missing ARM checkpoints or tables (arm.folder)
    PLAN.arm_model(_backbone), PLAN.arm_table(_backbone)
LAYOUT = PLAN.layout  # every path pattern, spelled once in bench/plan/layout.py
# train.seeds: one plan per seed, told apart by the seed wildcards of its folders (runs_s<seed>, eval_s<seed>)
PLANS = {p.layout.seed_suffix: p for p in PLAN.seed_plans()}
PY = sys.executable
# Torch threads per job: the profile's `threads` (default 1), capped at --cores, so that --cores N runs up to
# N / threads torch jobs at once. Measured on 2 cores (docs/thread_efficiency.py): two 1-thread training jobs together
# take 0.78-0.85 of the time of the same two in sequence at 2 threads, two evaluations 0.58. The count changes trained
# weights (~1e-6; results/reference/fsrcnn_cpu/README.md), so it belongs to the profile, not to --cores: with the
# default a run gives the same numbers at any --cores. perf takes every core: latency is timed with nothing beside
# it. On a cluster, set-threads in the executor profile decides.
try:
    CORES = max(1, workflow.cores or 1)
except WorkflowError:  # --report and --lint define no cores
    CORES = 1
JOB_THREADS = min(PLAN.profile.threads, CORES)


wildcard_constraints:
    backbone="[a-z]+",
    variant="[A-Za-z0-9_]+",
    tag="[0-9-]+_(class|all)(_[0-9a-f]{8})?",
    k="[0-9]+",
    m="[0-9]+",
    width="[0-9]+",
    testset="[A-Za-z0-9_]+",
    model="[A-Za-z0-9_]+",
    **LAYOUT.seed_constraints(),
    fetched="|".join(re.escape(p) for p in FETCH_FILES),


def plan_of(wildcards):
    """The plan of the seed whose folders a job's wildcards name (the first seed's for shared jobs)."""
    for key in ("runsname", "evalname"):
        name = wildcards.get(key)
        if name:
            match = re.search(r"_s[0-9]+$", name)
            return PLANS[match.group(0) if match else ""]
    return PLAN


def out(name, **fixed):
    """Output pattern of ``name`` (bench.plan.layout), job wildcards left as {wildcards}."""
    return LAYOUT.pattern(name, **fixed)


def log_of(name, **fixed):
    return LAYOUT.log(name, ".log", **fixed)


def benchmark_of(name, **fixed):
    return LAYOUT.log(name, ".benchmark.tsv", **fixed)


def profile_json(*sections):
    return json.dumps({k: config[k] for k in ("name",) + sections if k in config}, sort_keys=True)


def output_dir(wildcards, output):
    """Folder of a job's first output (run folders, the prepared data folder)."""
    return str(Path(output[0]).parent)


def input_dir(wildcards, input):
    return str(Path(input[0]).parent)


def summary_profile(wildcards):
    # a function: the official file-name templates ("{name}") must not be read as wildcards
    return profile_json("data", "split", "train", "ablations", "evaluate", "official", "arm", "methods")


def summarize_params():
    return {"py": PY, "profile": summary_profile}


def prepare_params():
    return {"py": PY, "profile": profile_json("data")}


def manifest():
    return str(LAYOUT.path("manifest"))


def reference_params():
    return {"py": PY, "run": run_json(PLAN.reference_run())}


def split_params():
    return {"py": PY, "profile": profile_json("data", "split", "train")}


def branch_classes(wildcards):
    return str(plan_of(wildcards).branch_classes(wildcards.backbone, wildcards.tag))


def branch_run(wildcards):
    return run_json(plan_of(wildcards).branch_run(wildcards.backbone, wildcards.tag, int(wildcards.k)))


def baseline_run(wildcards):
    return run_json(plan_of(wildcards).baseline_run(wildcards.backbone, int(wildcards.width)))


def classsr_branches(wildcards):
    # stage 2 reads the training sub-images itself: with released branches (no branch run before it) the data
    # preparation is its only path to them
    return [str(p) for p in plan_of(wildcards).branch_models(wildcards.backbone, wildcards.variant)] + [manifest()]


def classsr_run(wildcards):
    return run_json(plan_of(wildcards).variant_run(wildcards.backbone, wildcards.variant, "classsr"))


def joint_run(wildcards):
    return run_json(plan_of(wildcards).variant_run(wildcards.backbone, wildcards.variant, "joint"))


def evaluated_inputs(wildcards):
    """The checkpoint(s) of an evaluated model: -O, a ClassSR variant or a registered method's model."""
    return [str(p) for p in plan_of(wildcards).evaluated_inputs(wildcards.backbone, wildcards.model)]


def load_args(wildcards):
    """How the verb loads it: --arch/--classifier, or --method with its options (bench.methods)."""
    return shlex.join(plan_of(wildcards).load_args(wildcards.backbone, wildcards.model))


def evaluated_classifier(wildcards):
    return plan_of(wildcards).evaluated_classifier(wildcards.backbone, wildcards.model)


def evaluate_params():
    return {"py": PY, "scale": PLAN.profile.data.scale, "batch": PLAN.profile.evaluate.batch_size,
            "coverage": PLAN.profile.evaluate.coverage, "device": PLAN.profile.train.device,
            "testset": out("testset"),
            "other": "" if PLAN.profile.evaluate.other_inference else "--no-other-inference"}


def evaluations():
    return [str(p) for plan in PLANS.values() for p in plan.evaluations()]


def learning_curves():
    return [str(p) for p in PLAN.curves()]


def method_run(wildcards):
    return run_json(plan_of(wildcards).method_run(wildcards.backbone, wildcards.method, wildcards.stage).run)


def method_run_inputs(wildcards):
    """The files a method's training stage starts from (e.g. PCSR's phase 0 for phase 1)."""
    return list(plan_of(wildcards).method_run(wildcards.backbone, wildcards.method, wildcards.stage).run.init)


def arm_run(wildcards):
    return run_json(plan_of(wildcards).arm_run(wildcards.backbone))


def arm_table_params():
    return {"py": PY, "scale": PLAN.profile.data.scale, "device": PLAN.profile.train.device,
            "patches": PLAN.profile.arm.calibration_patches, "seed": lambda wildcards: plan_of(wildcards).seed}


def arm_checkpoint(wildcards):
    return str(plan_of(wildcards).arm_model(wildcards.backbone))


def arm_table_input(wildcards):
    """The table file ARM's evaluation reads ([] for ARM's released table, which is embedded)."""
    table = plan_of(wildcards).arm_table(wildcards.backbone)
    return [] if table is None else [str(table)]


def arm_lut(wildcards):
    table = plan_of(wildcards).arm_table(wildcards.backbone)
    return "released" if table is None else str(table)


def arm_knobs():
    return shlex.join(str(k) for k in PLAN.profile.arm.knobs)


def stage2_curves():
    return [str(p) for p in PLAN.stage2_curves()]


def stage2_model(wildcards):
    """The stage-2 model of a variant; its run folder holds the kept weights of the curve."""
    return str(plan_of(wildcards).variant_model(wildcards.backbone, wildcards.model, "classsr"))


def curve_checkpoint(wildcards):
    """The -O network's final weights; its run folder also holds the snapshots of the learning curve."""
    return str(plan_of(wildcards).evaluated_model(wildcards.backbone, "original")[1])


def input_dir_of_model(wildcards, input):
    return str(Path(input.model).parent)


def perf_params():
    return {"py": PY, "args": shlex.join(PLAN.perf_args())}


def paper_table(name="table1.csv"):
    """The paper's Table 1 (or ARM's published points, arm.csv) shipped with the workflow (found from any
    --directory)."""
    return str(Path(workflow.basedir) / "results" / "paper" / name)


def report_inputs():
    """Everything the report reads, declared as its inputs: the summary, the paper's table, learning curves,
    training logs and the routing/sample files of the class-map figures."""
    maps = PLAN.class_maps()
    return {"summary": out("summary"), "missing": out("missing"), "scale": out("scale"), "paper": paper_table(),
            "arm_paper": paper_table("arm.csv"), "curves": learning_curves(), "stage2": stage2_curves(),
            "trained": [str(model) for model, _ in PLAN.train_logs()],  # their run folders hold the train logs
            "maps": [str(p) for _, routing, sample in maps for p in (routing, sample)],
            "caches": [str(p) for *_, cache, costs in PLAN.routing_caches() for p in (cache, costs)]}


def report_params():
    maps = [a for testset, routing, sample in PLAN.class_maps() for a in ("--class-map", testset, routing, sample)]
    caches = [a for entry in PLAN.routing_caches() for a in ("--routing-cache", *entry)]
    return {"py": PY, "out": results_root, "maps": shlex.join(map(str, maps)), "caches": shlex.join(map(str, caches)),
            "train_logs": shlex.join(str(log) for _, log in PLAN.train_logs())}


def results_root(wildcards, output):
    """results/<profile>: the parent of the report's tables/ output."""
    return str(Path(output.tables).parent)


def report_outputs():
    return [out(n) for n in ("tables", "figures", "flops", "latency_csv", "latency_md", "latency_png")]


def fetch_pattern():
    """The cache paths of bench.fetch's registry files (their only wildcard, constrained to the registry)."""
    return str(FETCH_CACHE / "{fetched}")


def log_of_fetch():
    return str(LAYOUT.logs / "fetch" / "{fetched}.log")


def fetch_params():
    mirror = PLAN.profile.fetch.mirror
    return {"py": PY, "cache": lambda wildcards, output: output[0][: -len(wildcards.fetched) - 1],
            "mirror": f"--mirror {shlex.quote(mirror)}" if mirror else "",
            "key": lambda wildcards: FETCH_FILES[wildcards.fetched].key}
