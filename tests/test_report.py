"""Figure captions: the criteria rows and the null-test verdict of every run they show."""

import pandas as pd

from rsmi.figures.report import caption, criteria_table, null_failures, null_summary


def _metrics():
    rows = [
        ("a", "4", "r2_E_h1", "0.9", "0.0", ">=", "0.7", "True", "True", "pass", "claim", ""),
        ("a", "null", "null_noise_only_noise_pair[jensen]", "0.19", "0.01", "<=", "0.01", "False", "True", "fail", "claim", ""),
        ("a", "null", "null_noise_only_noise_all[jensen]", "0.001", "0.002", "<=", "0.01", "True", "True", "pass", "claim", ""),
        ("a", "null", "null_noise_only_noise_all[classifier]", "0.0", "0.001", "<=", "0.01", "True", "True", "pass", "claim", ""),
        ("b", "null", "null_noise_only_noise_pair[variational]", "0.0", "0.001", "<=", "0.01", "True", "True", "pass", "claim", ""),
        ("b", "null", "ungated_note", "1", "0.0", "", "", "", "False", "", "report", ""),
    ]
    cols = ["run", "figure", "criterion", "value", "se", "op", "threshold", "pass", "gate", "verdict", "kind", "expected"]
    return pd.DataFrame(rows, columns=cols, dtype=str)


def test_null_failures_counts_gated_rows_only():
    m = _metrics()
    assert null_failures(m, "a") == (1, 3)
    assert null_failures(m, "b") == (0, 1)
    assert null_failures(m, "c") == (0, 0)


def test_null_summary_names_the_failing_tests_loudly():
    text = null_summary(_metrics(), ["a", "b", "c"])
    lines = text.strip().splitlines()
    assert len(lines) == 2  # run c has no null rows
    assert "**1 of 3 do not pass**" in lines[0] and "null_noise_only_noise_pair[jensen] fail" in lines[0]
    assert "noise_all" not in lines[0]
    assert lines[1] == "- ``b`` null tests: all 1 pass"
    assert null_summary(_metrics(), ["c"]) == ""


def test_criteria_table_and_caption():
    m = _metrics()
    table = criteria_table(m, ["a"], figures=["4"])
    assert table == (".. list-table::\n   :header-rows: 1\n\n   * - run\n     - criterion\n     - value ± SE\n"
                     "     - needs\n     - verdict\n   * - a\n     - ``r2_E_h1``\n     - 0.9\n     - >= 0.7\n"
                     "     - pass\n\n")
    assert "No criteria rows" in criteria_table(m, ["zzz"])
    text = caption("Fig. X", "Weights {λ}.", {"runs": "a"}, table)
    assert text.startswith("**Fig. X.** Weights (λ).") and "- runs: ``a``" in text and "Criteria" in text
    assert "docs/method.md §6" in text


def _rendered(text):
    from docutils.core import publish_parts

    return publish_parts(text, writer="html")["body"]


def test_caption_tells_claims_findings_and_recorded_rows_apart():
    """A finding reads "finding, expected verdict met" (never FAIL), a failing claim is bold, a
    compared row that is not a claim says so, the rows RECORDED covers (the paper's proxy on noisy
    dimers) are one line per run, and values carry the digits their SE justifies; the caption
    renders as an HTML table."""
    jensen = "model~dimer/L_V~8/N_h~2/L_B~4/L_E~4/estimator~jensen"
    m = _metrics()
    more = pd.DataFrame([
        dict(run="c", figure="6", criterion="noise_weight_share", value="0.157", se="0.0", op=">=", threshold="0.5",
             **{"pass": "False"}, gate="False", verdict="fail", kind="finding", expected="fail"),
        dict(run="c", figure="6", criterion="max_field_r2", value="0.18123", se="0.00812", op="<", threshold="0.78",
             **{"pass": "False"}, gate="True", verdict="fail", kind="claim", expected=""),
        dict(run="d", figure="6", criterion="field_r2_h1", value="0.7", se="0.01", op=">=", threshold="0.7",
             **{"pass": "False"}, gate="False", verdict="fail", kind="report", expected=""),
        dict(run=jensen, figure="null", criterion="null_noise_only_noise_all[jensen]", value="0.3", se="0.01",
             op="<=", threshold="0.01", **{"pass": "False"}, gate="False", verdict="fail", kind="report", expected=""),
        dict(run=jensen, figure="null", criterion="null_noise_only_noise_pair[jensen]", value="0.0", se="0.001",
             op="<=", threshold="0.01", **{"pass": "True"}, gate="False", verdict="pass", kind="report", expected=""),
    ])
    table = criteria_table(pd.concat([m, more], ignore_index=True), ["c", "d", jensen], figures=["6", "null"])
    assert "finding, expected verdict met" in table and "**FAIL**" in table and "0.181 ± 0.008" in table
    assert "fail (recorded, not a claim)" in table and "0.700 ± 0.010" in table
    assert table.count("FAIL") == 1  # the finding and the recorded rows never read as a failure
    assert f"- ``{jensen}``: 2 compared rows recorded, not claims (1 fail, 1 pass; Findings 1)" in table
    assert "noise_all[jensen]" not in table
    html = _rendered(caption("Fig. 6", "CD filters.", {"n": 1}, table))
    assert html.count("<table") == 1 and "System Message" not in html and "<strong>FAIL</strong>" in html


def test_short_run_labels():
    from rsmi.figures.report import short_run

    assert short_run("model~dimer/L_V~8/N_h~2/L_B~4/L_E~4/estimator~exact") == "dimer 8×8 N_h 2 L_B 4 exact"
    assert short_run("rg") == "rg" and short_run("fig4/N_h~2") == "fig4/N_h~2"


def test_null_failures_count_only_null_tests():
    """A finding row of figure "null" that is not a null test of the run's estimator (the exact
    runs' jensen_step_incompatible_pairs) does not mark the run's filters as failing its null tests."""
    import pandas as pd

    from rsmi.figures.report import null_failures

    m = pd.DataFrame([dict(run="r", figure="null", criterion="null_noise_only_noise_all[exact]", op="<=", verdict="pass"),
                      dict(run="r", figure="null", criterion="jensen_step_incompatible_pairs", op="<=", verdict="fail")])
    assert null_failures(m, "r") == (0, 1)
