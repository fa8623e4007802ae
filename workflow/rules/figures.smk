# The paper's figures and the "beyond the paper" comparison, each with a caption that quotes
# its parameters and criteria values (results/figures/<name>.rst, used by `snakemake --report`).
# The report embeds the PNG of each figure: browsers show a PNG data URI as an image, whereas a
# PDF data URI in the report's frame needs a PDF viewer plugin (headless Chromium shows nothing).


localrules:
    fig2,
    fig3,
    fig4,
    fig5,
    fig6,
    mi_figures,
    fig_exact_torus,
    fig7,
    plot_run_filters,


rule fig2:
    """Ising filters at T_c: 2x2 and 4x4 blocks with N_h 1 and 4, and N_h 1 for 2x2, 4x4, 6x6."""
    input:
        runs=lambda wc: figure_files_of("fig2", "rsmi.npz"),
        metrics=f"{RESULTS}/metrics.csv",
    output:
        pdf=f"{RESULTS}/figures/fig2.pdf",
        png=report(f"{RESULTS}/figures/fig2.png", caption=caption_of("fig2"), category="2. Paper figures"),
        caption=f"{RESULTS}/figures/fig2.rst",
    params:
        runs=lambda wc: figure_runs("fig2"),
    log:
        "logs/figures/fig2.log",
    benchmark:
        "results/benchmarks/figures/fig2.tsv"
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=attempt_scaled(1000),
        runtime=attempt_scaled(10),
    script:
        "../scripts/fig2.py"


rule fig3:
    """Dimer configurations from the project's own sampler; staggered vs columnar fields."""
    input:
        samples=lambda wc: samples_of("dimer"),
    output:
        pdf=f"{RESULTS}/figures/fig3.pdf",
        png=report(f"{RESULTS}/figures/fig3.png", caption=caption_of("fig3"), category="2. Paper figures"),
        caption=f"{RESULTS}/figures/fig3.rst",
    log:
        "logs/figures/fig3.log",
    benchmark:
        "results/benchmarks/figures/fig3.tsv"
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=attempt_scaled(1000),
        runtime=attempt_scaled(10),
    script:
        "../scripts/fig3.py"


rule fig4:
    """Dimer filters (V 8x8 fat, N_h 2 and 4) on the lattice, per estimator."""
    input:
        runs=lambda wc: figure_files_of("fig4", "rsmi.npz"),
        metrics=f"{RESULTS}/metrics.csv",
    output:
        pdf=f"{RESULTS}/figures/fig4.pdf",
        png=report(f"{RESULTS}/figures/fig4.png", caption=caption_of("fig4"), category="2. Paper figures"),
        caption=f"{RESULTS}/figures/fig4.rst",
    params:
        runs=lambda wc: figure_runs("fig4"),
        panels=fig4_panels(),
    log:
        "logs/figures/fig4.log",
    benchmark:
        "results/benchmarks/figures/fig4.tsv"
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=attempt_scaled(1000),
        runtime=attempt_scaled(10),
    script:
        "../scripts/fig4.py"


rule fig5:
    """A_Λ against epochs for Ising 6x6, N_h 1, with the filter at epochs 0, 10, 100, 190."""
    input:
        run=lambda wc: figure_files_of("fig5", "rsmi.npz")[0],
        metrics=f"{RESULTS}/metrics.csv",
    output:
        pdf=f"{RESULTS}/figures/fig5.pdf",
        png=report(f"{RESULTS}/figures/fig5.png", caption=caption_of("fig5"), category="2. Paper figures"),
        caption=f"{RESULTS}/figures/fig5.rst",
    params:
        run=lambda wc: figure_runs("fig5")[0],
    log:
        "logs/figures/fig5.log",
    benchmark:
        "results/benchmarks/figures/fig5.tsv"
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=attempt_scaled(1000),
        runtime=attempt_scaled(10),
    script:
        "../scripts/fig5.py"


rule fig6:
    """CD-trained RBMs on dimer + noise blocks: few hidden units, and enough for every pair."""
    input:
        rbms=expand(f"{RESULTS}/cd_rbm/n_hidden~{{n}}/rbm.npz", n=CD_UNITS),
        metrics=f"{RESULTS}/metrics.csv",
    output:
        pdf=f"{RESULTS}/figures/fig6.pdf",
        png=report(f"{RESULTS}/figures/fig6.png", caption=caption_of("fig6"), category="2. Paper figures"),
        caption=f"{RESULTS}/figures/fig6.rst",
    log:
        "logs/figures/fig6.log",
    benchmark:
        "results/benchmarks/figures/fig6.tsv"
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=attempt_scaled(1000),
        runtime=attempt_scaled(10),
    script:
        "../scripts/fig6.py"


rule mi_figures:
    """Beyond the paper: I(H:E) kept by each coarse-graining, against L_B and side by side."""
    input:
        mi=f"{RESULTS}/mi.csv",
    output:
        buffer_pdf=f"{RESULTS}/figures/mi_vs_buffer.pdf",
        buffer_png=report(f"{RESULTS}/figures/mi_vs_buffer.png", caption=caption_of("mi_vs_buffer"), category="3. Beyond the paper"),
        buffer_caption=f"{RESULTS}/figures/mi_vs_buffer.rst",
        comparison_pdf=f"{RESULTS}/figures/mi_comparison.pdf",
        comparison_png=report(f"{RESULTS}/figures/mi_comparison.png", caption=caption_of("mi_comparison"), category="3. Beyond the paper"),
        comparison_caption=f"{RESULTS}/figures/mi_comparison.rst",
    log:
        "logs/figures/mi_figures.log",
    benchmark:
        "results/benchmarks/figures/mi_figures.tsv"
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=attempt_scaled(1000),
        runtime=attempt_scaled(10),
    script:
        "../scripts/mi_figures.py"


rule fig_exact_torus:
    """Beyond the paper: the MI estimator against the exact torus, and Δ_σ from the decay."""
    input:
        estimates=f"{RESULTS}/exact_torus/estimates.csv",
        multibit=f"{RESULTS}/exact_torus/multibit.csv",
        metrics=f"{RESULTS}/metrics.csv",
    output:
        pdf=f"{RESULTS}/figures/exact_torus.pdf",
        png=report(f"{RESULTS}/figures/exact_torus.png", caption=caption_of("exact_torus"), category="3. Beyond the paper"),
        caption=f"{RESULTS}/figures/exact_torus.rst",
    params:
        fit_from=lambda wc: config["exact_torus"]["fit_from"],
    log:
        "logs/figures/exact_torus.log",
    benchmark:
        "results/benchmarks/figures/exact_torus.tsv"
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=attempt_scaled(1000),
        runtime=attempt_scaled(10),
    script:
        "../scripts/fig_exact_torus.py"


rule fig7:
    """Beyond the paper: the RG flow and the Ising exponents of the learned and majority rules."""
    input:
        exponents=f"{RESULTS}/exponents.csv",
        flow=f"{RESULTS}/rg/flow.csv",
        metrics=f"{RESULTS}/metrics.csv",
    output:
        pdf=f"{RESULTS}/figures/fig7.pdf",
        png=report(f"{RESULTS}/figures/fig7.png", caption=caption_of("fig7"), category="3. Beyond the paper"),
        caption=f"{RESULTS}/figures/fig7.rst",
    log:
        "logs/figures/fig7.log",
    benchmark:
        "results/benchmarks/figures/fig7.tsv"
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=attempt_scaled(1000),
        runtime=attempt_scaled(10),
    script:
        "../scripts/fig7.py"


rule plot_run_filters:
    """Every run's own plot: its objective against epoch and its filters at the end of training
    (results/runs/<run>/filters.png; one job: the drawing is quick, the start-up is not)."""
    input:
        expand(f"{RESULTS}/runs/{{params}}/rsmi.npz", params=RUNS.instance_patterns),
    output:
        run_filter_plots(),
    params:
        runs=list(RUNS.instance_patterns),  # the run ids, in the order of input and output
    log:
        "logs/figures/run_filters.log",
    benchmark:
        "results/benchmarks/figures/run_filters.tsv"
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=attempt_scaled(1000),
        runtime=attempt_scaled(10),
    script:
        "../scripts/plot_run_filters.py"
