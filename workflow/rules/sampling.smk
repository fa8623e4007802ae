# Monte Carlo samples: critical Ising (Wolff) and fully packed dimers with noise (worm).


rule numba_warmup:
    """Compile every numba kernel once, so concurrent jobs read the on-disk cache instead of
    racing to write it."""
    output:
        touch(f"{RESULTS}/.cache/numba_warm.done"),
    log:
        "logs/numba_warmup.log",
    benchmark:
        "results/benchmarks/numba_warmup.tsv"
    conda:
        "../../envs/training.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=lambda wc, attempt: 15 * attempt,
    script:
        "../scripts/numba_warmup.py"


rule sample:
    """Stored configurations of one data set of `samples:` in config.yaml."""
    input:
        ancient(rules.numba_warmup.output),
    output:
        f"{RESULTS}/samples/{{dataset}}.npz",
    params:
        spec=lambda wc: canonical(config["samples"][wc.dataset]),
        seed=config["seed"],
    log:
        "logs/sample/{dataset}.log",
    benchmark:
        "results/benchmarks/sample/{dataset}.tsv"
    conda:
        "../../envs/sampling.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=lambda wc, attempt: 30 * attempt,
    script:
        "../scripts/sample.py"
