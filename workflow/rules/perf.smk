rule perf:
    output:
        report(f"{ROOT}/perf/perf.csv", caption="../report/perf.rst", category="Latency"),
    log:
        f"{LOGS}/perf/perf.log",
    benchmark:
        f"{LOGS}/perf/perf.benchmark.tsv"
    threads: HEAVY
    conda:
        "../envs/bench.yaml"
    params:
        **perf_params(),
    shell:
        "{params.py} -m bench perf {params.args} --out {output} > {log} 2>&1"
