# The RSMI network (Λ-RBM): one filter per grid point (docs/method.md §4, §4b).


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
    group: "run"
    threads: 1
    resources:
        mem_mb=attempt_scaled(3000),
        runtime=attempt_scaled(10),
    script:
        "../scripts/train_rsmi.py"


rule exact_pairs:
    """Windows of one geometry paired with blocks of independent configurations, and the exact
    g = log P(e | v) − log P(e) of every pair (docs/method.md §4c; rsmi.exact_proxy)."""
    input:
        samples=lambda wc: f"{RESULTS}/samples/{wc.dataset}.npz",
        pool=f"{RESULTS}/samples/{DIMER_NULL}.npz" if DIMER_NULL else [],
        warm=warmed("samplers"),
    output:
        f"{RESULTS}/exact/{THETA.wildcard_pattern}/pairs.npz",
    params:
        pairs=lambda wc: canonical(config["exact_pairs"]),
        windows=lambda wc: canonical(config["windows"][model_of(wc.dataset)]),
        validation_fraction=config["windows"]["validation_fraction"],
        seed=config["seed"],
    log:
        f"logs/exact/{THETA.wildcard_pattern}/pairs.log",
    benchmark:
        f"results/benchmarks/exact/{THETA.wildcard_pattern}/pairs.tsv"
    conda:
        "../../envs/training.yaml"
    # feeds two trainings and their evaluations (see train_rsmi's priority)
    priority: 2
    group: "pretrain"
    threads: 1
    resources:
        mem_mb=attempt_scaled(2500),
        runtime=attempt_scaled(10),
    script:
        "../scripts/exact_pairs.py"
