"""The run's verdict for people: value ± SE with the digits the SE justifies, the closing lines of a
run, the measured tables, and the README's numbers against the committed snapshot of a default run."""

import math
import os
import re
import time

import pytest

from conftest import REPO
from rsmi.judge.tables import COLUMNS, classify, read_metrics, row, write_table
from rsmi.judge.verdict import (HEADLINE_ROWS, README_BEGIN, README_END, closing_lines, failed_rule_names, headline,
                                measured_html, measured_markdown, read_snapshot, readme_block,
                                replace_readme_block, run_end, status, tally, verdict_caption, write_snapshot)
from rsmi.utils.formatting import format_number, format_value_se, se_decimals

SNAPSHOT = REPO / "docs" / "default_run_metrics.csv"


# --- formatting -----------------------------------------------------------------------------

@pytest.mark.parametrize("value, se, text", [
    (0.05011413014027016, 0.006375307719873743, "0.050 ± 0.006"),  # the 16-digit example
    (2.839, 0.036, "2.84 ± 0.04"),        # leading digits 360: one significant digit
    (0.1204, 0.0014, "0.1204 ± 0.0014"),  # 140: two
    (0.181, 0.00354, "0.1810 ± 0.0035"),  # 354: still two
    (0.181, 0.00355, "0.181 ± 0.004"),    # 355: one
    (5.0, 0.0955, "5.00 ± 0.10"),         # 955: up to 0.10, two digits
    (5.0, 0.0996, "5.00 ± 0.10"),
    (123.456, 12.3, "123 ± 12"),
    (1234.5, 456.0, "1200 ± 500"),        # the decimal place may lie left of the point
    (-0.0001, 0.01, "0.000 ± 0.010"),     # no "-0.000"
    (1.0431, 0.0, "1.043"),               # SE 0: exact, no ±
    (math.nan, 0.1, "n/a"),
    (0.3, math.nan, "0.3 ± n/a"),
])
def test_value_with_the_digits_its_se_justifies(value, se, text):
    assert format_value_se(value, se) == text


def test_se_decimals_and_bad_input():
    assert se_decimals(0.0014) == 4 and se_decimals(0.036) == 2 and se_decimals(12.3) == 0 and se_decimals(456) == -2
    for bad in (0.0, -1.0, math.nan, math.inf):
        with pytest.raises(ValueError):
            se_decimals(bad)
    assert format_number(0.012345) == "0.01235" and format_number(math.nan) == "n/a"
    assert format_value_se("0.5", "0.01") == "0.500 ± 0.010"  # strings, as the CSV gives them


# --- the verdict of a table -----------------------------------------------------------------

def _rows():
    rows = [
        row("model~ising/L_V~2/N_h~1/L_B~1/L_E~1/estimator~jensen", "2A", "max_min_ratio", 1.0431, "<=", 1.1),
        row("model~ising/L_V~6/N_h~1/L_B~3/L_E~3/estimator~jensen", "5", "rise", 2.839, ">", 0.0, se=0.036),
        row("cd_rbm/n_hidden~4", "6", "noise_weight_share", 0.157, ">=", 0.5),  # a finding (expected fail)
        row("model~dimer/L_V~8/N_h~2/L_B~4/L_E~4/estimator~jensen", "null",
            "null_noise_only_noise_all[jensen]", 0.3, "<=", 0.01, se=0.01, gate=False),  # recorded
        row("model~ising/L_V~6/N_h~1/L_B~3/L_E~3/estimator~jensen", "5", "epochs", 200, "", math.nan),  # reported
    ]
    return [{k: ("" if v is None else str(v)) for k, v in r.items()} for r in classify(rows)]


def test_status_tells_claims_findings_and_recorded_rows_apart():
    rows = _rows()
    assert [status(r) for r in rows] == ["pass", "pass", "finding, expected verdict met", "fail (recorded, not a claim)",
                                         "reported"]
    failing = dict(rows[0], verdict="fail")
    assert status(failing) == "FAIL" and status(dict(rows[0], verdict="inconclusive")) == "INCONCLUSIVE"
    assert status(dict(rows[2], verdict="pass")) == "FINDING CHANGED: pass, expected fail"


def test_headline_and_closing_lines():
    rows = _rows()
    assert tally(rows)["claims"] == 2
    assert headline(rows) == "2 of 2 claims pass; 1 finding with their expected verdict."
    lines = closing_lines(rows)
    assert lines[0] == "Verdict (results/metrics.csv): 2 of 2 claims pass; 1 finding with their expected verdict."
    assert "results/verdict.md" in lines[-1]
    bad = [dict(rows[0], verdict="fail", **{"pass": "False"}), dict(rows[1], verdict="inconclusive"), *rows[2:]]
    lines = closing_lines(bad)
    assert lines[0].endswith("0 of 2 claims pass, 1 fail, 1 inconclusive; 1 finding with their expected verdict.")
    assert lines[1].startswith("  FAIL: model~ising/L_V~2") and "max_min_ratio = 1.043 (needs <= 1.1)" in lines[1]
    assert lines[2].startswith("  INCONCLUSIVE:") and "rise = 2.84 ± 0.04" in lines[2]
    assert "logs/check.log" in lines[-1] and "docs/method.md §6" in lines[-1]
    many = [dict(rows[0], criterion=f"c{i}", verdict="fail") for i in range(15)]
    assert closing_lines(many, max_listed=10)[-2] == "  … and 5 more"


def test_run_end_on_success_error_and_a_damaged_table(tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    assert run_end(results) == []  # no table: the invocation did not reach the verdict
    write_table(_rows(), results / "metrics.csv")
    assert run_end(results) == []  # the check has not run on this table
    (results / "summary.txt").write_text("x\n")
    assert run_end(results)[0].endswith("2 of 2 claims pass; 1 finding with their expected verdict.")
    old = time.time() - 100  # a summary older than the table is not its verdict
    os.utime(results / "summary.txt", (old, old))
    assert run_end(results) == []
    log = tmp_path / "snakemake.log"
    log.write_text("Error in rule check:\n    jobid: 1\n")
    assert run_end(results, log=log, error=True)[0].startswith("Verdict (")
    assert run_end(results, log=[str(log)], error=True)[0].startswith("Verdict (")  # as Snakemake passes it
    log.write_text("Error in rule train_rsmi:\nError in rule train_rsmi:\nError in rule fig2:\n")
    (line,) = run_end(results, log=log, error=True)
    assert line.startswith("No verdict: the run stopped in rule(s) train_rsmi, fig2 before the check")
    log.write_text("Error in rule plot_theta_curves:\nError in rule check:\n")  # --keep-going
    lines = run_end(results, log=log, error=True)
    assert lines[0].startswith("Verdict (") and lines[1] == "  (rule(s) plot_theta_curves failed too: the error is above)"
    assert failed_rule_names("Error in rule a:\nError in rule b:\nError in rule a:") == ["a", "b"]
    (line,) = run_end(results, log=tmp_path / "none.log", error=True)  # no log: nothing named
    assert line.startswith("No verdict: the run stopped before the check (the error is above)")
    (results / "metrics.csv").write_text("run,figure\n")
    log.write_text("Error in rule check:\n")
    (line,) = run_end(results, log=log, error=True)
    assert line.startswith("No verdict: ") and "metrics.csv" in line and "columns" in line


def test_measured_tables_show_every_compared_row():
    rows = _rows()
    md = measured_markdown(rows)
    assert "**2 of 2 claims pass; 1 finding with their expected verdict.**" in md
    assert "| Fig. 5 | 1 | 1 | 0 | 0 | 0 |" in md  # claims per figure
    assert "| 6 | cd_rbm/n_hidden~4 | noise_weight_share | 0.157 | >= 0.5 | fail | fail | finding, expected verdict met |" in md
    assert "| model~ising/L_V~6/N_h~1/L_B~3/L_E~3/estimator~jensen | rise | 2.84 ± 0.04 | > 0 | pass |" in md
    assert "fail (recorded, not a claim)" in md and "epochs" not in md  # reported-only rows are not criteria
    page = measured_html(rows)
    assert 'id="verdict-headline"' in page and 'id="claims-per-figure"' in page and 'id="findings"' in page
    assert '<td class="finding">finding, expected verdict met</td>' in page and "<script" not in page
    cap = verdict_caption(rows)
    assert cap.startswith("**Verdict: 2 of 2 claims pass") and ".. list-table::" in cap and "FAIL" not in cap


def test_the_report_caption_renders_as_html_tables():
    from docutils.core import publish_parts

    body = publish_parts(verdict_caption(_rows()), writer="html")["body"]
    assert body.count("<table") == 2 and "System Message" not in body


def test_snapshot_round_trip_and_readme_block(tmp_path):
    rows = _rows()
    path = tmp_path / "snap.csv"
    assert write_snapshot(rows, path) == 4  # the compared rows
    back = read_snapshot(path)
    assert headline(back) == headline(rows)
    block = readme_block(back, source="snap.csv")
    assert block.startswith(README_BEGIN) and block.endswith(README_END)
    assert "| 2A: max\\|λ\\|/min\\|λ\\| (2×2, N_h 1) | 1.043 | <= 1.1 | pass |" in block
    assert "| 5: rise of A_Λ (nats) | 2.84 ± 0.04 | > 0 | pass |" in block
    text = f"intro\n{README_BEGIN}\nstale 9.99\n{README_END}\nrest\n"
    assert replace_readme_block(text, block) == f"intro\n{block}\nrest\n"
    with pytest.raises(ValueError, match="no generated block"):
        replace_readme_block("no markers", block)


# --- the README against the committed snapshot of a default run -------------------------------

def _readme_block():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    i, j = text.index(README_BEGIN), text.index(README_END) + len(README_END)
    return text, text[i:j]


def test_readme_numbers_are_the_snapshots():
    """The README's measured block is exactly what the committed snapshot gives; a number edited by
    hand or left from an older run fails here (regenerate: README, "What is computed")."""
    _, block = _readme_block()
    rows = read_snapshot(SNAPSHOT)
    assert block == readme_block(rows, source="docs/default_run_metrics.csv")
    for label, *_ in HEADLINE_ROWS:  # every quantity the README names is in the snapshot
        assert f"| {label.replace('|', chr(92) + '|')} |" in block, label


def test_snapshot_is_a_default_run_with_every_claim():
    """The snapshot holds the compared rows of a run of config.yaml: every claim the default
    configuration must produce (rsmi.judge.claims), and nothing else gated."""
    from rsmi.config import expand_grid, load_config
    from rsmi.judge.claims import expected_claims

    config = load_config(REPO / "config.yaml")
    expected = {tuple(k) for k in expected_claims(config, expand_grid(config))}
    rows = read_snapshot(SNAPSHOT)
    gated = {(r["run"], r["figure"], r["criterion"]) for r in rows if r["gate"] == "True"}
    assert gated == expected


def test_readme_quotes_no_run_number_outside_the_block():
    """Outside the generated block, the "What is computed" section states criteria, not measured
    values: every decimal number there is a threshold of the criteria."""
    text, block = _readme_block()
    start = text.index("## What is computed")
    section = text[start:text.index("\n### ", start)].replace(block, "")
    rows = read_snapshot(SNAPSHOT)
    thresholds = {format_number(r["threshold"]) for r in rows if r["op"]} | {"15/8"}
    decimals = set(re.findall(r"(?<![\w.])\d+\.\d+", section))
    assert decimals <= thresholds, sorted(decimals - thresholds)


def test_snapshot_columns_are_metrics_columns():
    from rsmi.judge.verdict import SNAPSHOT_COLUMNS

    assert set(SNAPSHOT_COLUMNS) <= set(COLUMNS)


def test_load_checks_the_table(tmp_path):
    from rsmi.judge.tables import TableError

    p = tmp_path / "metrics.csv"
    p.write_text("run,figure\n")
    with pytest.raises(TableError):
        read_metrics(p)


def test_the_method_is_documented_in_the_repository():
    """README, captions and closing lines cite docs/method.md, which is in the repository and
    defines every section they cite and the 2·SE rule; no citation points outside it."""
    method = (REPO / "docs" / "method.md").read_text(encoding="utf-8")
    for section in ("## 1.", "## 2.", "## 3.", "## 4.", "## 4b.", "## 4c.", "## 5.", "## 5b.", "## 6.", "## 7."):
        assert f"\n{section} " in method, section
    assert "value + 2·SE ≤ t" in method and "inconclusive" in method
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "docs/method.md" in readme
    assert not re.findall(r"(?<!docs/)method\.md", readme)
    scripts = "".join(p.read_text(encoding="utf-8") for p in (REPO / "workflow" / "scripts").glob("fig*.py"))
    assert not re.findall(r"(?<!docs/)method\.md", scripts)
