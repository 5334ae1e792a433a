# classsr-bench workflow: `snakemake --cores 8` (default profile: configs/default.yaml).
# `rule all` must stay in this top-level file (Snakemake 9 ignores default targets in included files).


configfile: "configs/default.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/flops.smk"


rule all:
    input:
        "results/flops/flops.csv",
    default_target: True
