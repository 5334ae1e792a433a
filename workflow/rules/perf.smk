# Latency is a target of its own, scheduled last (priority): timing paper-depth networks on a CPU can take far
# longer than the evaluations, and Table 1 and the figures (rule report) never wait for it.


rule perf:
    output:
        report(f"{ROOT}/perf/perf.csv", caption="../report/perf.rst", category="Latency"),
    log:
        f"{LOGS}/perf/perf.log",
    benchmark:
        f"{LOGS}/perf/perf.benchmark.tsv"
    threads: HEAVY
    priority: -1
    conda:
        "../envs/bench.yaml"
    params:
        **perf_params(),
    shell:
        "{params.py} -m bench perf {params.args} --out {output} > {log} 2>&1"


rule latency:
    input:
        f"{ROOT}/perf/perf.csv",
    output:
        csv=latency_outputs()["csv"],
        md=report(latency_outputs()["md"], caption="../report/perf.rst", category="Latency"),
        png=report(latency_outputs()["png"], caption="../report/perf.rst", category="Latency"),
    log:
        f"{LOGS}/perf/latency.log",
    conda:
        "../envs/bench.yaml"
    params:
        py=PY,
        out=output_dir,
    shell:
        "{params.py} -m bench latency --perf {input} --out {params.out} > {log} 2>&1"
