# classsr-bench workflow: `snakemake --cores 8` runs the default profile (configs/default.yaml, the embedded
# demo); `--configfile configs/<profile>.yaml` selects another. `rule all` must stay in this top-level file
# (Snakemake 9 ignores default targets in included files).


if not workflow.overwrite_configfiles:  # a --configfile replaces the default profile instead of merging into it

    configfile: "configs/default.yaml"


# Jobs that stay on the submitting machine under a cluster executor: fetch needs the network, the others only pandas.
localrules:
    all,
    fetch,
    summarize,
    report,
    latency,


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/arm.smk"
include: "workflow/rules/methods.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/perf.smk"
include: "workflow/rules/fetch.smk"


rule all:
    input:
        report_outputs(),
    default_target: True
