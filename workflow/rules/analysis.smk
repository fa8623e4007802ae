# Tables across runs: results/runs.csv (the interface users and later rules read).


localrules:
    runs_table,


rule runs_table:
    """results/runs.csv: every grid point with its parameters and result paths."""
    input:
        expand(f"{RESULTS}/runs/{{params}}/rsmi.npz", params=RUNS.instance_patterns),
    output:
        f"{RESULTS}/runs.csv",
    params:
        rows=runs_table_rows(),
    log:
        "logs/runs_table.log",
    benchmark:
        "benchmarks/runs_table.tsv"
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    script:
        "../scripts/runs_table.py"
