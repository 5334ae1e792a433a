# Training stages of registered methods (bench.methods: a Method's runs), e.g. PCSR's two phases: one generic job per
# (backbone, method, stage), its run configuration and inputs from the plan. A new method adds no rule.


use rule train_reference as train_method with:
    input:
        manifest(),
        method_run_inputs,
    output:
        out("method_model"),
    log:
        log_of("method_model"),
    benchmark:
        benchmark_of("method_model")
    priority: 2  # training after the split, not train_reference's 3 (workflow/rules/train.smk)
    wildcard_constraints:
        method="[a-z]+",
        stage="[a-z]+[0-9]*",
    params:
        py=PY,
        run=method_run,
        dir=output_dir,
