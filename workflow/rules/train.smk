# Every training job is one `python -m bench train` of a resolved run (bench.plan.dag); the four stages of a backbone
# differ only in their output, inputs and run configuration.
#
# Priorities order the ready jobs (Snakemake runs the highest first): the reference and the class split gate every
# branch and every ClassSR stage, the DAG's longest chain (reference → split → SRResNet's widest branch → its stage 2),
# so they go first; every other training next; evaluations fill the gaps; latency last. On this session's AVX2 CPU
# the demo without them started the reference at 363 s and ran one job alone for its last 408 s of 2,115; with the
# split first and the -O baselines after the branches, 201 s of 2,088, the SRResNet -O (282 s) last; a replay of
# the measured job times puts the -O baselines and ARM beside the branches (p90 over tie orders 2,010 s vs 2,078).


rule train_reference:
    input:
        manifest(),
    output:
        out("reference_model"),
    log:
        log_of("reference_model"),
    benchmark:
        benchmark_of("reference_model")
    threads: JOB_THREADS
    priority: 3
    conda:
        "../envs/bench.yaml"
    params:
        **reference_params(),
        dir=output_dir,
    shell:
        "{params.py} -m bench train --run-json {params.run:q} --run-dir {params.dir} > {log} 2>&1"


rule split:
    input:
        manifest(),
        reference=str(PLAN.reference_model()),
    output:
        out("classes"),
    log:
        log_of("classes"),
    benchmark:
        benchmark_of("classes")
    threads: JOB_THREADS
    priority: 3
    conda:
        "../envs/bench.yaml"
    params:
        **split_params(),
        data=input_dir,
    shell:
        "{params.py} -m bench split --profile-json {params.profile:q} --data {params.data}"
        " --reference {input.reference} --num-classes {wildcards.m} --out {output} > {log} 2>&1"


use rule train_reference as train_branch with:
    input:
        manifest(),
        branch_classes,
    output:
        out("branch_model"),
    log:
        log_of("branch_model"),
    benchmark:
        benchmark_of("branch_model")
    priority: 2
    params:
        py=PY,
        run=branch_run,
        dir=output_dir,


use rule train_reference as train_baseline with:
    output:
        out("baseline_model"),
    log:
        log_of("baseline_model"),
    benchmark:
        benchmark_of("baseline_model")
    priority: 2
    params:
        py=PY,
        run=baseline_run,
        dir=output_dir,


use rule train_reference as train_classsr with:
    input:
        classsr_branches,
    output:
        out("variant_model", stage="classsr"),
    log:
        log_of("variant_model", stage="classsr"),
    benchmark:
        benchmark_of("variant_model", stage="classsr")
    priority: 2
    params:
        py=PY,
        run=classsr_run,
        dir=output_dir,


use rule train_reference as train_joint with:
    input:
        out("variant_model", stage="classsr"),
    output:
        out("variant_model", stage="joint"),
    log:
        log_of("variant_model", stage="joint"),
    benchmark:
        benchmark_of("variant_model", stage="joint")
    priority: 2
    params:
        py=PY,
        run=joint_run,
        dir=output_dir,
