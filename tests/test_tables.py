"""The 2·SE verdict rule, claims and findings (rsmi.judge.tables, docs/method.md §6)."""

import math

import pytest

from rsmi.judge.tables import changed_findings, classify, failed_claims, row, unresolved_claims, verdict


@pytest.mark.parametrize("value, se, op, t, expected", [
    (0.005, 0.002, "<=", 0.01, "pass"),          # 0.009 <= 0.01
    (0.005, 0.003, "<=", 0.01, "inconclusive"),  # 0.011 straddles
    (0.02, 0.004, "<=", 0.01, "fail"),           # 0.012 > 0.01
    (0.02, 0.006, "<=", 0.01, "inconclusive"),
    (0.01, 0.0, "<", 0.01, "fail"),
    (0.01, 0.0, "<=", 0.01, "pass"),
    (0.8, 0.04, ">=", 0.7, "pass"),
    (0.8, 0.06, ">=", 0.7, "inconclusive"),
    (0.6, 0.04, ">=", 0.7, "fail"),
    (0.0, 0.0, ">", 0.0, "fail"),
    (0.1, 0.04, ">", 0.0, "pass"),
    (0.1, 0.05, ">", 0.0, "inconclusive"),
    (math.nan, 0.0, ">", 0.0, "fail"),
    (1.0, math.nan, ">", 0.0, "inconclusive"),
    (1.0, 0.0, "", math.nan, ""),
])
def test_two_se_rule(value, se, op, t, expected):
    assert verdict(value, se, op, t) == expected


def test_bad_op():
    with pytest.raises(ValueError, match="op"):
        verdict(1.0, 0.0, "==", 1.0)


def test_claims_findings_and_changes():
    rows = [
        row("r1", "2A", "max_min_ratio", 1.05, "<=", 1.1),
        row("r2", "null", "x", 0.02, "<=", 0.01, se=0.001),
        row("r3", "null", "y", 0.011, "<=", 0.01, se=0.01),
        row("cd_rbm/n_hidden~4", "6", "noise_weight_share", 0.16, ">=", 0.5),
        row("cd_rbm/n_hidden~8", "6", "noise_weight_share", 0.54, ">=", 0.5),
        row("r4", "4", "field_r2_h0", 0.1, ">=", 0.7, gate=False),
    ]
    out = classify(rows)
    assert [r["kind"] for r in out] == ["claim", "claim", "claim", "finding", "claim", "report"]
    assert [r["criterion"] for r in failed_claims(out)] == ["x"]
    assert [r["criterion"] for r in unresolved_claims(out)] == ["y"]
    assert changed_findings(out) == []
    flipped = classify([row("cd_rbm/n_hidden~4", "6", "noise_weight_share", 0.6, ">=", 0.5)])
    assert [r["expected"] for r in changed_findings(flipped)] == ["fail"]
    assert flipped[0]["gate"] is False and "Findings 3" in flipped[0]["note"]


def test_a_finding_may_expect_several_verdicts():
    rows = classify([row("model~dimer/L_V~8/N_h~2/L_B~4/L_E~4/estimator~jensen", "null",
                         "null_noise_only_own_noise_part[jensen]", v, "<=", 0.01, se=0.01) for v in (0.05, 0.02, 0.0)])
    assert [r["kind"] for r in rows] == ["finding"] * 3
    assert [r["verdict"] for r in rows] == ["fail", "inconclusive", "inconclusive"]
    assert changed_findings(rows) == []
    passed = classify([row("model~dimer/L_V~8/N_h~2/L_B~4/L_E~4/estimator~jensen", "null",
                           "null_noise_only_own_noise_part[jensen]", -0.05, "<=", 0.01, se=0.01)])
    assert len(changed_findings(passed)) == 1


def test_verdict_at_the_threshold_is_inconclusive():
    """value − 2·SE exactly at the threshold of a "<=" criterion is not a failure (lo > t fails)."""
    assert verdict(1.5, 0.25, "<=", 1.0) == "inconclusive"
    assert verdict(0.5, 0.25, ">=", 1.0) == "inconclusive"


def test_classify_appends_the_finding_to_the_note():
    from rsmi.judge.tables import FINDINGS

    finding = next(f for f in FINDINGS if f["figure"] == "6")["finding"]
    bare, noted = classify([row("cd_rbm/n_hidden~4", "6", "noise_weight_share", 0.16, ">=", 0.5, note=n)
                            for n in ("", "x")])
    assert bare["note"] == finding
    assert noted["note"] == f"x; {finding}"


# --- issue 28: every table is checked on read ---------------------------------------------------

RUN = "model~ising/L_V~4/N_h~1/L_B~2/L_E~2/estimator~jensen"


def _run_files(tmp_path):
    """A run's metrics.csv and mi.csv as evaluate_run writes them (values made up)."""
    import pandas as pd

    from rsmi.judge.claims import run_claims
    from rsmi.utils.io import atomic_write_text
    from rsmi.judge.tables import MI_COLUMNS, write_table

    claims = run_claims(dict(model="ising", L_V=4, N_h=1, L_B=2, L_E=2, estimator="jensen"))
    rows = [row(RUN, fig, crit, 0.5, ">", 0.0, se=0.1, note="a, b; c") for fig, crit in claims]
    rows.append(row(RUN, "null", "reported_only", math.nan, "", math.nan, gate=False))
    metrics = tmp_path / "metrics.csv"
    write_table(rows, metrics)
    mi = tmp_path / "mi.csv"
    values = dict(run=RUN, model="ising", L_V=4, N_h=1, L_B=2, L_E=2, estimator="jensen", filter="rsmi",
                  method="classifier", mi=0.1234567890123, stderr=0.01, H=0.5, CE=0.4, n_train=100, n_test=50, l2=1.0,
                  n_classes=2, n_subcodes=0, sub_min_z=math.nan, sub_worst="", sub_worst_mi=math.nan,
                  sub_worst_se=math.nan)
    atomic_write_text(mi, pd.DataFrame([{c: values[c] for c in MI_COLUMNS}]).to_csv(index=False))
    return metrics, mi, claims


def test_tables_as_written_are_read_back(tmp_path):
    from rsmi.judge.tables import read_metrics, read_mi

    metrics, mi, claims = _run_files(tmp_path)
    assert len(read_metrics(metrics, run=RUN, claims=claims)) == len(claims) + 1
    assert [r["run"] for r in read_mi(mi, [RUN])] == [RUN]
    (tmp_path / "none.csv").write_text("\n")  # a CD-RBM without an estimate
    assert read_mi(tmp_path / "none.csv", []) == []


def _cut_lines(n):
    def cut(path):
        path.write_text("".join(path.read_text().splitlines(keepends=True)[:n]))
    return cut


def _cut_half(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _replace(old, new):
    def edit(path):
        text = path.read_text()
        assert old in text
        path.write_text(text.replace(old, new, 1))
    return edit


def _duplicate_last_line(path):
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines + lines[-1:]))


# (file, damage, words of the error) — the first four are issue 28's reproductions
DAMAGED_TABLES = {
    "mi-emptied": ("mi", lambda p: p.write_text(""), "empty file"),
    "mi-half": ("mi", _cut_half, "the file is cut short"),
    "metrics-5-lines": ("metrics", _cut_lines(5), "lacks 5 claim(s) its run must have"),
    "metrics-half": ("metrics", _cut_half, "the file is cut short"),
    "mi-header-only": ("mi", _cut_lines(1), "holds the estimates of no run"),
    "mi-other-run": ("mi", _replace("estimator~jensen,", "estimator~variational,"), "holds the estimates of"),
    "mi-not-a-number": ("mi", _replace("0.1234567890123", "0.12x"), "column mi is '0.12x', not a number"),
    "mi-infinite": ("mi", _replace("0.1234567890123", "-inf"), "column mi is '-inf', not a finite number"),
    "mi-int": ("mi", _replace(",100,", ",1e2,"), "column n_train is '1e2', not an integer"),
    "mi-columns": ("mi", _replace("stderr", "sterr"), "columns"),
    "mi-fields": ("mi", _replace(",rsmi,", ",rsmi,extra,"), "line 2 has 23 fields, the header 22"),
    "metrics-other-run": ("metrics", _replace("estimator~jensen,", "estimator~jensen2,"), "but the file is run"),
    "metrics-verdict": ("metrics", _replace(",0.0,pass,True,", ",0.0,passed,True,"), "column verdict is 'passed'"),
    "metrics-gate": ("metrics", _replace(",True,claim,", ",yes,claim,"), "column gate is 'yes'"),
    "metrics-value": ("metrics", _replace("0.5,", "half,"), "column value is 'half', not a number"),
    "metrics-twice": ("metrics", _duplicate_last_line, "appears twice"),
    "metrics-claim-ungated": ("metrics", _replace(",True,claim,", ",False,report,"), "lacks 1 claim(s)"),
    "metrics-missing": ("metrics", lambda p: p.unlink(), "file does not exist"),
    "metrics-binary": ("metrics", lambda p: p.write_bytes(b"\xff\xfe\x00garbage\n"), "not a readable text file"),
}


@pytest.mark.parametrize("case", list(DAMAGED_TABLES))
def test_a_damaged_table_is_refused_naming_the_file(tmp_path, case):
    from rsmi.utils.io import CorruptFileError
    from rsmi.judge.tables import TableError, read_metrics, read_mi

    metrics, mi, claims = _run_files(tmp_path)
    which, damage, words = DAMAGED_TABLES[case]
    path = metrics if which == "metrics" else mi
    damage(path)
    with pytest.raises(TableError) as exc:
        read_metrics(metrics, run=RUN, claims=claims) if which == "metrics" else read_mi(mi, [RUN])
    text = str(exc.value)
    assert text.startswith(f"{path}: ") and words in text, text
    assert "delete it and run the same snakemake command again" in text
    assert isinstance(exc.value, CorruptFileError)


def test_missing_claims_are_named():
    from rsmi.judge.tables import missing_claims

    rows = [dict(run="a", figure="2A", criterion="x", gate="True"), dict(run="a", figure="2A", criterion="y", gate="False")]
    assert missing_claims(rows, [("a", "2A", "x"), ("a", "2A", "y"), ("b", "2A", "x")]) == [("a", "2A", "y"),
                                                                                            ("b", "2A", "x")]
def test_recorded_rows_are_the_proxy_null_tests_on_dimers():
    """The one rule of rows recorded without a claim (rsmi.judge.tables.RECORDED): the null tests
    of the jensen proxy on dimer runs under its own estimator, and nothing else."""
    from rsmi.judge.tables import record_only, row

    dimer = "model~dimer/L_V~8/N_h~2/L_B~4/L_E~4/estimator~jensen"
    ising = "model~ising/L_V~6/N_h~1/L_B~3/L_E~3/estimator~jensen"
    rows = [row(dimer, "null", "null_noise_only_a[jensen]", 0.0, "<=", 0.01, se=0.001),
            row(dimer, "null", "null_noise_only_a[classifier]", 0.0, "<=", 0.01, se=0.001),
            row(ising, "null", "null_paramagnet_a[jensen]", 0.0, "<=", 0.01, se=0.001),
            row(dimer, "4", "r2_min[jensen]", 0.9, ">=", 0.7, se=0.01)]
    out = record_only([dict(r) for r in rows])
    assert [(r["gate"], r["kind"]) for r in out] == [(False, "report")] + [(r["gate"], r["kind"]) for r in rows[1:]]
