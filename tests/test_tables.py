"""The 2·SE verdict rule, claims and findings (rsmi.judge.tables, method.md §6)."""

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
