rule evaluate:
    input:
        manifest(),
        model=evaluated_checkpoint,
    output:
        csv=f"{ROOT}/eval/{{testset}}/{{backbone}}/{{model}}.csv",
        routing=f"{ROOT}/eval/{{testset}}/{{backbone}}/{{model}}.routing.csv",
        sample=f"{ROOT}/eval/{{testset}}/{{backbone}}/{{model}}.sample.png",
    log:
        f"{LOGS}/eval/{{testset}}/{{backbone}}/{{model}}.log",
    benchmark:
        f"{LOGS}/eval/{{testset}}/{{backbone}}/{{model}}.benchmark.tsv"
    threads: HEAVY
    conda:
        "../envs/bench.yaml"
    params:
        **evaluate_params(),
        arch=evaluated_arch,
        classifier=evaluated_classifier,
        testset=f"{PLAN.data_dir}/test/{{testset}}",
    shell:
        "{params.py} -m bench evaluate --model {input.model} --arch {params.arch} --classifier {params.classifier}"
        " --backbone {wildcards.backbone}"
        " --id {wildcards.model} --testset {params.testset} --out {output.csv} --routing {output.routing}"
        " --sample {output.sample} --batch-size {params.batch} --coverage {params.coverage}"
        " --scale {params.scale} --device {params.device}"
        " > {log} 2>&1"


rule evaluate_bicubic:
    input:
        manifest(),
    output:
        f"{ROOT}/eval/{{testset}}/bicubic.csv",
    log:
        f"{LOGS}/eval/{{testset}}/bicubic.log",
    benchmark:
        f"{LOGS}/eval/{{testset}}/bicubic.benchmark.tsv"
    conda:
        "../envs/bench.yaml"
    params:
        **evaluate_params(),
        testset=f"{PLAN.data_dir}/test/{{testset}}",
    shell:
        "{params.py} -m bench evaluate --arch bicubic --testset {params.testset} --out {output}"
        " --coverage {params.coverage} --scale {params.scale} > {log} 2>&1"


rule learning_curve:
    input:
        manifest(),
        model=curve_checkpoint,
    output:
        f"{ROOT}/eval/{{testset}}/{{backbone}}/original.curve.csv",
    log:
        f"{LOGS}/eval/{{testset}}/{{backbone}}/original.curve.log",
    benchmark:
        f"{LOGS}/eval/{{testset}}/{{backbone}}/original.curve.benchmark.tsv"
    threads: HEAVY
    conda:
        "../envs/bench.yaml"
    params:
        **evaluate_params(),
        run=input_dir_of_model,
        testset=f"{PLAN.data_dir}/test/{{testset}}",
    shell:
        "{params.py} -m bench curve --run {params.run} --arch {wildcards.backbone} --testset {params.testset}"
        " --out {output} --batch-size {params.batch} --coverage {params.coverage} --scale {params.scale}"
        " --device {params.device} > {log} 2>&1"


rule summarize:
    input:
        evaluations(),
    output:
        summary=f"{ROOT}/eval/summary.csv",
        missing=f"{ROOT}/eval/missing.csv",
    log:
        f"{LOGS}/eval/summarize.log",
    benchmark:
        f"{LOGS}/eval/summarize.benchmark.tsv",
    conda:
        "../envs/bench.yaml"
    params:
        **summarize_params(),
    shell:
        "{params.py} -m bench summarize --profile-json {params.profile:q} --out {output.summary} > {log} 2>&1"
