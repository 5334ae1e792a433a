# Released files named by key in the profile (arm.folder: arm-net, methods.pcsr.folder: pcsr-save, data.root: div2k)
# and missing from the cache are downloaded here when the profile says fetch.download: true (opt-in), each verified
# against its pinned SHA-256 (bench/fetch/registry.py). Their consumers list them as inputs, so this rule runs first.


rule fetch:
    output:
        fetch_pattern(),
    log:
        log_of_fetch(),
    conda:
        "../envs/bench.yaml"
    params:
        **fetch_params(),
    shell:
        "{params.py} -m bench fetch {params.key} --cache {params.cache:q} {params.mirror} > {log} 2>&1"
