rule train_reference:
    input:
        manifest(),
    output:
        f"{ROOT}/runs/reference/model.pth",
    log:
        f"{LOGS}/runs/reference/train.log",
    benchmark:
        f"{LOGS}/runs/reference/train.benchmark.tsv"
    threads: HEAVY
    conda:
        "../envs/bench.yaml"
    params:
        **reference_params(),
        dir=output_dir,
    shell:
        "{params.py} -m bench train --run-json {params.run:q} --run-dir {params.dir} > {log} 2>&1"


rule split:
    input:
        manifest(),
        reference=str(PLAN.reference_model()),
    output:
        f"{ROOT}/runs/split_m{{m}}/classes.csv",
    log:
        f"{LOGS}/runs/split_m{{m}}/split.log",
    benchmark:
        f"{LOGS}/runs/split_m{{m}}/split.benchmark.tsv"
    threads: HEAVY
    conda:
        "../envs/bench.yaml"
    params:
        **split_params(),
        data=input_dir,
    shell:
        "{params.py} -m bench split --profile-json {params.profile:q} --data {params.data}"
        " --reference {input.reference} --num-classes {wildcards.m} --out {output} > {log} 2>&1"


rule train_branch:
    input:
        manifest(),
        branch_classes,
    output:
        f"{ROOT}/runs/{{backbone}}/branches_{{tag}}/branch{{k}}/model.pth",
    log:
        f"{LOGS}/runs/{{backbone}}/branches_{{tag}}/branch{{k}}/train.log",
    benchmark:
        f"{LOGS}/runs/{{backbone}}/branches_{{tag}}/branch{{k}}/train.benchmark.tsv"
    threads: HEAVY
    conda:
        "../envs/bench.yaml"
    params:
        py=PY,
        run=branch_run,
        dir=output_dir,
    shell:
        "{params.py} -m bench train --run-json {params.run:q} --run-dir {params.dir} > {log} 2>&1"


rule train_baseline:
    input:
        manifest(),
    output:
        f"{ROOT}/runs/{{backbone}}/baseline_w{{width}}/model.pth",
    log:
        f"{LOGS}/runs/{{backbone}}/baseline_w{{width}}/train.log",
    benchmark:
        f"{LOGS}/runs/{{backbone}}/baseline_w{{width}}/train.benchmark.tsv"
    threads: HEAVY
    conda:
        "../envs/bench.yaml"
    params:
        py=PY,
        run=baseline_run,
        dir=output_dir,
    shell:
        "{params.py} -m bench train --run-json {params.run:q} --run-dir {params.dir} > {log} 2>&1"


rule train_classsr:
    input:
        classsr_branches,
    output:
        f"{ROOT}/runs/{{backbone}}/{{variant}}/classsr/model.pth",
    log:
        f"{LOGS}/runs/{{backbone}}/{{variant}}/classsr/train.log",
    benchmark:
        f"{LOGS}/runs/{{backbone}}/{{variant}}/classsr/train.benchmark.tsv"
    threads: HEAVY
    conda:
        "../envs/bench.yaml"
    params:
        py=PY,
        run=classsr_run,
        dir=output_dir,
    shell:
        "{params.py} -m bench train --run-json {params.run:q} --run-dir {params.dir} > {log} 2>&1"


rule train_joint:
    input:
        f"{ROOT}/runs/{{backbone}}/{{variant}}/classsr/model.pth",
    output:
        f"{ROOT}/runs/{{backbone}}/{{variant}}/joint/model.pth",
    log:
        f"{LOGS}/runs/{{backbone}}/{{variant}}/joint/train.log",
    benchmark:
        f"{LOGS}/runs/{{backbone}}/{{variant}}/joint/train.benchmark.tsv"
    threads: HEAVY
    conda:
        "../envs/bench.yaml"
    params:
        py=PY,
        run=joint_run,
        dir=output_dir,
    shell:
        "{params.py} -m bench train --run-json {params.run:q} --run-dir {params.dir} > {log} 2>&1"
