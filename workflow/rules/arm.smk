# ARM (Chen et al., ECCV 2022) next to ClassSR: its supernet trained with ARM's recipe (or ARM's released file,
# arm.folder), its lookup table built from training sub-images (or ARM's), and its η sweep evaluated by the same
# engine and protocol as every other model; the sweep's rows join the summary like any evaluation.


use rule train_reference as train_arm with:
    output:
        out("arm_model"),
    log:
        log_of("arm_model"),
    benchmark:
        benchmark_of("arm_model")
    priority: 2  # training after the split, not train_reference's 3 (workflow/rules/train.smk)
    params:
        py=PY,
        run=arm_run,
        dir=output_dir,


rule arm_table:
    input:
        manifest(),
        model=arm_checkpoint,  # the trained supernet, or ARM's released one (arm.table: calibrate)
    output:
        out("arm_table"),
    log:
        log_of("arm_table"),
    benchmark:
        benchmark_of("arm_table")
    threads: JOB_THREADS
    conda:
        "../envs/bench.yaml"
    params:
        **arm_table_params(),
        data=input_dir,
    shell:
        "{params.py} -m bench arm-table --model {input.model} --backbone {wildcards.backbone} --data {params.data}"
        " --patches {params.patches} --seed {params.seed} --scale {params.scale} --device {params.device}"
        " --out {output} > {log} 2>&1"


rule evaluate_arm:
    input:
        manifest(),
        arm_table_input,
        model=arm_checkpoint,
    output:
        out("arm_evaluation"),
    log:
        log_of("arm_evaluation"),
    benchmark:
        benchmark_of("arm_evaluation")
    threads: JOB_THREADS
    conda:
        "../envs/bench.yaml"
    params:
        **evaluate_params(),
        lut=arm_lut,
        knobs=arm_knobs(),
    shell:
        "{params.py} -m bench evaluate --arch arm_{wildcards.backbone} --model {input.model} --lut {params.lut}"
        " --knobs {params.knobs} --id arm --testset {params.testset} --out {output} --batch-size {params.batch}"
        " --coverage {params.coverage} --scale {params.scale} --device {params.device} > {log} 2>&1"


rule arm_slice:
    input:
        model=arm_checkpoint,  # ARM's released supernet (arm.folder) or the one stage arm trained
    output:
        out("arm_branch"),
    log:
        log_of("arm_branch"),
    conda:
        "../envs/bench.yaml"
    params:
        py=PY,
        scale=PLAN.profile.data.scale,
    shell:
        "{params.py} -m bench arm-slice --model {input.model} --backbone {wildcards.backbone} --width {wildcards.width}"
        " --scale {params.scale} --out {output} > {log} 2>&1"
