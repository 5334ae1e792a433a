rule flops:
    output:
        "results/flops/flops.csv",
    log:
        "logs/flops/flops.log",
    conda:
        "../envs/bench.yaml"
    params:
        **flops_params(),
    shell:
        "{params.py} -m bench flops --scale {params.scale} --out {output} > {log} 2>&1"
