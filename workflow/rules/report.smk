rule report:
    input:
        summary=f"{ROOT}/eval/summary.csv",
        paper=paper_table(),
        curves=learning_curves(),
    output:
        tables=report(
            directory(f"{ROOT}/tables"),
            patterns=["{name}.md"],
            caption="../report/tables.rst",
            category="Tables",
        ),
        figures=report(
            directory(f"{ROOT}/figures"),
            patterns=["{name}.png"],
            caption="../report/figures.rst",
            category="Figures",
        ),
    log:
        f"{LOGS}/report.log",
    benchmark:
        f"{LOGS}/report.benchmark.tsv",
    conda:
        "../envs/bench.yaml"
    params:
        py=PY,
        out=output_root,
    shell:
        "{params.py} -m bench report --summary {input.summary} --paper {input.paper}"
        " --curves {input.curves} --out {params.out} > {log} 2>&1"


rule flops:
    output:
        report(f"{ROOT}/flops/flops.csv", caption="../report/flops.rst", category="FLOPs"),
    log:
        f"{LOGS}/flops/flops.log",
    benchmark:
        f"{LOGS}/flops/flops.benchmark.tsv",
    conda:
        "../envs/bench.yaml"
    params:
        py=PY,
        scale=PLAN.profile.data.scale,
    shell:
        "{params.py} -m bench flops --scale {params.scale} --out {output} > {log} 2>&1"
