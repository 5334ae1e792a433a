rule report:
    input:
        **report_inputs(),
    output:
        tables=report(
            directory(out("tables")),
            patterns=["{name}.md"],
            caption="../report/tables.rst",
            category="Tables",
        ),
        figures=report(
            directory(out("figures")),
            patterns=["{name}.png"],
            caption="../report/figures.rst",
            category="Figures",
        ),
    log:
        log_of("tables"),
    benchmark:
        benchmark_of("tables")
    conda:
        "../envs/bench.yaml"
    params:
        **report_params(),
    shell:
        "{params.py} -m bench report --summary {input.summary} --missing {input.missing} --scale {input.scale}"
        " --paper {input.paper}"
        " --arm-paper {input.arm_paper} --curves {input.curves} --stage2-curves {input.stage2}"
        " --train-logs {params.train_logs} {params.maps} {params.caches} --out {params.out} > {log} 2>&1"


rule flops:
    output:
        report(out("flops"), caption="../report/flops.rst", category="FLOPs"),
    log:
        log_of("flops"),
    benchmark:
        benchmark_of("flops")
    conda:
        "../envs/bench.yaml"
    params:
        py=PY,
        scale=PLAN.profile.data.scale,
    shell:
        "{params.py} -m bench flops --scale {params.scale} --out {output} > {log} 2>&1"
