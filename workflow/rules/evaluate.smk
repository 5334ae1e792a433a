rule evaluate:
    input:
        manifest(),
        model=evaluated_inputs,
    output:
        csv=out("evaluation"),
        routing=out("routing"),
        sample=out("sample"),
    log:
        log_of("evaluation"),
    benchmark:
        benchmark_of("evaluation")
    threads: JOB_THREADS
    conda:
        "../envs/bench.yaml"
    params:
        **evaluate_params(),
        load=load_args,
    shell:
        "{params.py} -m bench evaluate --model {input.model} {params.load} --backbone {wildcards.backbone}"
        " --id {wildcards.model} --testset {params.testset} --out {output.csv} --routing {output.routing}"
        " --sample {output.sample} --batch-size {params.batch} --coverage {params.coverage}"
        " --scale {params.scale} --device {params.device} {params.other}"
        " > {log} 2>&1"


rule routing_cache:
    input:
        manifest(),
        model=evaluated_inputs,
    output:
        cache=out("patch_cache"),
        costs=out("patch_costs"),
    log:
        log_of("patch_cache"),
    benchmark:
        benchmark_of("patch_cache")
    threads: JOB_THREADS
    conda:
        "../envs/bench.yaml"
    params:
        **evaluate_params(),
        load=load_args,
    shell:
        "{params.py} -m bench routing --model {input.model} {params.load} --backbone {wildcards.backbone}"
        " --testset {params.testset} --out {output.cache} --costs {output.costs} --batch-size {params.batch}"
        " --coverage {params.coverage} --scale {params.scale} --device {params.device} > {log} 2>&1"


rule evaluate_bicubic:
    input:
        manifest(),
    output:
        out("bicubic"),
    log:
        log_of("bicubic"),
    benchmark:
        benchmark_of("bicubic")
    conda:
        "../envs/bench.yaml"
    params:
        **evaluate_params(),
    shell:
        "{params.py} -m bench evaluate --arch bicubic --testset {params.testset} --out {output}"
        " --coverage {params.coverage} --scale {params.scale} > {log} 2>&1"


rule learning_curve:
    input:
        manifest(),
        model=curve_checkpoint,
    output:
        out("curve"),
    log:
        log_of("curve"),
    benchmark:
        benchmark_of("curve")
    threads: JOB_THREADS
    conda:
        "../envs/bench.yaml"
    params:
        **evaluate_params(),
        run=input_dir_of_model,
    shell:
        "{params.py} -m bench curve --run {params.run} --arch {wildcards.backbone} --testset {params.testset}"
        " --out {output} --batch-size {params.batch} --coverage {params.coverage} --scale {params.scale}"
        " --device {params.device} > {log} 2>&1"


rule stage2_curve:
    input:
        manifest(),
        model=stage2_model,
    output:
        out("stage2_curve"),
    log:
        log_of("stage2_curve"),
    benchmark:
        benchmark_of("stage2_curve")
    threads: JOB_THREADS
    conda:
        "../envs/bench.yaml"
    params:
        **evaluate_params(),
        run=input_dir_of_model,
        classifier=evaluated_classifier,
        data=lambda wildcards, input: str(Path(input[0]).parent),
    shell:
        "{params.py} -m bench curve --run {params.run} --arch classsr_{wildcards.backbone} --id {wildcards.model}"
        " --classifier {params.classifier} --data {params.data} --testset {params.testset} --out {output}"
        " --batch-size {params.batch} --coverage {params.coverage} --scale {params.scale}"
        " --device {params.device} > {log} 2>&1"


rule summarize:
    input:
        evaluations(),
    output:
        summary=out("summary"),
        missing=out("missing"),
        scale=out("scale"),
    log:
        log_of("summary"),
    benchmark:
        benchmark_of("summary")
    conda:
        "../envs/bench.yaml"
    params:
        **summarize_params(),
    shell:
        "{params.py} -m bench summarize --profile-json {params.profile:q} --out {output.summary}"
        " --missing {output.missing} --scale-out {output.scale} > {log} 2>&1"
