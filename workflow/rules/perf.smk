# Latency is a target of its own, scheduled last (priority): timing paper-depth networks on a CPU can take far
# longer than the evaluations, and Table 1 and the figures (rule report) never wait for it.


rule perf:
    output:
        report(out("perf"), caption="../report/perf.rst", category="Latency"),
    log:
        log_of("perf"),
    benchmark:
        benchmark_of("perf")
    threads: CORES  # timed alone
    priority: -1
    conda:
        "../envs/bench.yaml"
    params:
        **perf_params(),
    shell:
        "{params.py} -m bench perf {params.args} --out {output} > {log} 2>&1"


rule latency:
    input:
        out("perf"),
    output:
        csv=out("latency_csv"),
        md=report(out("latency_md"), caption="../report/perf.rst", category="Latency"),
        png=report(out("latency_png"), caption="../report/perf.rst", category="Latency"),
    log:
        log_of("latency_csv"),
    conda:
        "../envs/bench.yaml"
    params:
        py=PY,
        out=output_dir,
    shell:
        "{params.py} -m bench latency --perf {input} --out {params.out} > {log} 2>&1"
