# The RSMI network (Λ-RBM): one filter per grid point (method.md §4, §4b).


rule train_rsmi:
    """Train Λ = (λ, b) of one grid point; write weights, biases, objective history, snapshots."""
    input:
        unpack(theta_inputs),
        samples=lambda wc: samples_of(wc.model),
        warm=warmed(*WARMUP_GROUPS),
    output:
        f"{RESULTS}/runs/{RUNS.wildcard_pattern}/rsmi.npz",
    params:
        settings=lambda wc: canonical(run_settings(config, wc_row(wc))),
        windows=lambda wc: canonical(config["windows"][wc.model]),
        validation_fraction=config["windows"]["validation_fraction"],
        seed=config["seed"],
    log:
        f"logs/runs/{RUNS.wildcard_pattern}/rsmi.log",
    benchmark:
        f"results/benchmarks/runs/{RUNS.wildcard_pattern}/rsmi.tsv"
    conda:
        "../../envs/training.yaml"
    # the long chains (Θ → Λ → evaluation) first: on few cores the short jobs then fill the gaps,
    # instead of one long training job running alone at the end
    priority: 2
    threads: 1
    resources:
        mem_mb=3000,
        runtime=lambda wc, attempt: 60 * attempt,
    script:
        "../scripts/train_rsmi.py"
