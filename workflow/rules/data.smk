rule prepare:
    output:
        manifest(),
    log:
        f"{LOGS}/data/prepare.log",
    benchmark:
        f"{LOGS}/data/prepare.benchmark.tsv"
    conda:
        "../envs/bench.yaml"
    params:
        **prepare_params(),
        data=output_dir,
    shell:
        "{params.py} -m bench prepare --profile-json {params.profile:q} --data {params.data} --force > {log} 2>&1"
