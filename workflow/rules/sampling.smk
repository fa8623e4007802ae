# Monte Carlo samples: critical Ising (Wolff) and fully packed dimers with noise (worm), or a
# user's own configurations read from a file (import_samples).


rule numba_warmup:
    """Compile one group of numba kernels (rsmi.warmup.GROUPS) once, so concurrent jobs read the
    on-disk cache instead of racing to write it. The groups share no kernel and run in parallel;
    the sampling jobs wait for "samplers" only."""
    output:
        touch(f"{RESULTS}/.cache/numba_warm.{{group}}.done"),
    wildcard_constraints:
        group="|".join(WARMUP_GROUPS),
    log:
        "logs/numba_warmup/{group}.log",
    benchmark:
        "results/benchmarks/numba_warmup/{group}.tsv"
    conda:
        "../../envs/training.yaml"
    group: "warmup"
    threads: 1
    resources:
        mem_mb=attempt_scaled(1000),
        runtime=attempt_scaled(5),
    script:
        "../scripts/numba_warmup.py"


rule sample:
    """Stored configurations of one data set of `samples:` in config.yaml."""
    input:
        warmed("samplers"),
    output:
        f"{RESULTS}/samples/{{dataset}}.npz",
    wildcard_constraints:
        dataset=names_regex(SAMPLED),
    params:
        spec=lambda wc: canonical(config["samples"][wc.dataset]),
        seed=config["seed"],
    log:
        "logs/sample/{dataset}.log",
    benchmark:
        "results/benchmarks/sample/{dataset}.tsv"
    conda:
        "../../envs/sampling.yaml"
    group: "prepare"
    threads: 1
    resources:
        mem_mb=attempt_scaled(1000),
        runtime=attempt_scaled(10),
    script:
        "../scripts/sample.py"


rule import_samples:
    """An external data set of `samples:` (key `file:`): the file is checked (rsmi.sampling.external)
    and stored as results/samples/<name>.npz like a sampled one. The file is this rule's input and
    never an output, so no Snakemake command (-F included) writes or deletes it; a changed file
    reruns everything made from it."""
    input:
        external_file,
    output:
        f"{RESULTS}/samples/{{dataset}}.npz",
    wildcard_constraints:
        dataset=names_regex(EXTERNAL),
    params:
        spec=lambda wc: canonical(config["samples"][wc.dataset]),
    log:
        "logs/sample/{dataset}.log",
    benchmark:
        "results/benchmarks/sample/{dataset}.tsv"
    conda:
        "../../envs/sampling.yaml"
    group: "prepare"
    threads: 1
    resources:
        mem_mb=attempt_scaled(1000),
        runtime=attempt_scaled(10),
    script:
        "../scripts/import_samples.py"
