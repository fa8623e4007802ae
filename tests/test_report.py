"""Figure captions: the criteria rows and the null-test verdict of every run they show."""

import pandas as pd

from rsmi.figures.report import caption, criteria_table, null_failures, null_summary


def _metrics():
    rows = [
        ("a", "4", "r2_E_h1", "0.9", ">=", "0.7", "True", "True", "pass"),
        ("a", "null", "null_noise_only_noise_pair[jensen]", "0.19", "<=", "0.01", "False", "True", "fail"),
        ("a", "null", "null_noise_only_noise_all[jensen]", "0.001", "<=", "0.01", "True", "True", "pass"),
        ("a", "null", "null_noise_only_noise_all[classifier]", "0.0", "<=", "0.01", "True", "True", "pass"),
        ("b", "null", "null_noise_only_noise_pair[variational]", "0.0", "<=", "0.01", "True", "True", "pass"),
        ("b", "null", "ungated_note", "1", "", "", "False", "False", ""),
    ]
    cols = ["run", "figure", "criterion", "value", "op", "threshold", "pass", "gate", "verdict"]
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
    assert table == "- ``a`` [4] r2_E_h1 = 0.9 (needs >= 0.7): pass\n"
    assert "No criteria rows" in criteria_table(m, ["zzz"])
    text = caption("Fig. X", "Weights {λ}.", {"runs": "a"}, table)
    assert text.startswith("**Fig. X.** Weights (λ).") and "- runs: ``a``" in text and "Criteria" in text


def test_null_failures_count_only_null_tests():
    """A finding row of figure "null" that is not a null test of the run's estimator (the exact
    runs' jensen_step_incompatible_pairs) does not mark the run's filters as failing its null tests."""
    import pandas as pd

    from rsmi.figures.report import null_failures

    m = pd.DataFrame([dict(run="r", figure="null", criterion="null_noise_only_noise_all[exact]", op="<=", verdict="pass"),
                      dict(run="r", figure="null", criterion="jensen_step_incompatible_pairs", op="<=", verdict="fail")])
    assert null_failures(m, "r") == (0, 1)
