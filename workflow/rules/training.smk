# Θ-RBMs trained by contrastive divergence on the windows of each geometry (docs/method.md §3).


rule train_theta:
    """Θ^V (part v, on v) or Θ^VE (part ve, on [v, e]) for one window geometry."""
    input:
        samples=f"{RESULTS}/samples/{{dataset}}.npz",
        warm=warmed("rbm"),
    output:
        model=f"{RESULTS}/theta/{THETA.wildcard_pattern}/theta_{{part}}.npz",
        curve=f"{RESULTS}/theta/{THETA.wildcard_pattern}/theta_{{part}}_curve.csv",
    params:
        rbm=lambda wc: canonical(config["theta_rbm"][model_of(wc.dataset)]),
        model=lambda wc: model_of(wc.dataset),
        stride=lambda wc: config["windows"][model_of(wc.dataset)]["stride"],
        validation_fraction=config["windows"]["validation_fraction"],
        seed=config["seed"],
    log:
        f"logs/theta/{THETA.wildcard_pattern}/theta_{{part}}.log",
    benchmark:
        f"results/benchmarks/theta/{THETA.wildcard_pattern}/theta_{{part}}.tsv"
    conda:
        "../../envs/training.yaml"
    # feeds train_rsmi (see its priority)
    priority: 1
    group: "pretrain"
    threads: 1
    resources:
        mem_mb=attempt_scaled(2000),
        runtime=attempt_scaled(10),
    script:
        "../scripts/train_theta.py"


rule plot_theta_curves:
    """The held-out log-likelihood per epoch of every Θ-RBM, one PNG each (one job: the drawing
    is milliseconds, the interpreter and matplotlib start-up are seconds)."""
    input:
        theta_curves("csv"),
    output:
        theta_curves("png"),
    log:
        "logs/theta/plot_theta_curves.log",
    benchmark:
        "results/benchmarks/theta/plot_theta_curves.tsv"
    conda:
        "../../envs/analysis.yaml"
    group: "score"
    threads: 1
    resources:
        mem_mb=attempt_scaled(500),
        runtime=attempt_scaled(5),
    script:
        "../scripts/plot_theta_curves.py"
