rule prepare:
    input:
        FETCHED_DATA,
    output:
        manifest(),
    log:
        log_of("manifest"),
    benchmark:
        benchmark_of("manifest")
    conda:
        "../envs/bench.yaml"
    params:
        **prepare_params(),
        data=output_dir,
    shell:
        "{params.py} -m bench prepare --profile-json {params.profile:q} --data {params.data} --force > {log} 2>&1"
