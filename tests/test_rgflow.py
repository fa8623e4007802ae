"""Tests of rsmi.rg.rgflow: the block rules built from a learned filter, the exponent table, the
nearest-neighbour flow and the Fig. 7 rows."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rsmi.rg.rgflow import RULES, block_rules, criteria_rows, exponent_table, nn_flow
from rsmi.judge.tables import classify


def _spins(n, L, seed):
    return np.where(np.random.default_rng(seed).random((n, L, L)) < 0.5, 1, -1).astype(np.int8)


LEARNED = (np.array([[8.40, 8.15], [8.51, 8.41]]), np.array([-13.38]))  # the default run's 2×2 filter


def test_symmetric_bias_makes_the_rule_flip_equivariant_and_the_learned_one_is_not():
    rules = block_rules(*LEARNED)
    assert list(rules) == list(RULES)
    c = _spins(50, 8, 0)
    sym, learned = rules["rsmi_symmetric"], rules["rsmi"]
    assert np.array_equal(sym(-c, seed=1), -sym(c, seed=1))
    # every tie (two spins up) goes to +1 under the learned bias: not equivariant
    tie = np.array([[[1, 1], [-1, -1]]], dtype=np.int8)
    assert learned(tie, seed=1)[0, 0, 0] == 1 and learned(-tie, seed=1)[0, 0, 0] == 1
    # without ties the two agree with the majority of the block
    up3 = np.array([[[1, 1], [1, -1]]], dtype=np.int8)
    for name in ("majority", "rsmi", "rsmi_symmetric"):
        assert rules[name](up3, seed=2)[0, 0, 0] == 1 and rules[name](-up3, seed=2)[0, 0, 0] == -1


def test_exponent_table_has_every_rule_and_level_and_is_seeded():
    from rsmi.sampling.ising import T_C, sample_ising

    rules = block_rules(*LEARNED)
    c = sample_ising(32, T_C, 40, seed=3)
    tab = exponent_table(c, rules, 2, n_blocks=10, seed=5)
    assert [(r["rule"], r["level"], r["lattice"]) for r in tab] == [(n, lv, 32 >> (lv - 1)) for n in RULES for lv in (1, 2)]
    assert all(np.isfinite([r["y_t_se"], r["y_h_se"]]).all() for r in tab)
    again = exponent_table(c, rules, 2, n_blocks=10, seed=5)
    assert [r["y_t"] for r in again] == [r["y_t"] for r in tab]
    # the deterministic majority-like rules differ from their stochastic twins
    assert tab[2]["y_t"] != tab[0]["y_t"] or tab[4]["y_h"] != tab[2]["y_h"]


def test_nn_flow_reads_the_block_spins_correlation():
    rules = {"majority": block_rules(*LEARNED)["majority"]}
    up = np.ones((3, 16, 16), dtype=np.int8)
    c = _spins(30, 16, 4)
    rows = nn_flow({"critical": c, "below": up, "above": -up}, rules, 2, seed=1)
    f = {(r["temperature"], r["level"]): r for r in rows}
    assert f[("below", 2)]["nn"] == 1.0 and f[("above", 1)]["nn"] == 1.0 and f[("below", 2)]["lattice"] == 4
    direct = ((c * np.roll(c, -1, 1)).sum((1, 2)) + (c * np.roll(c, -1, 2)).sum((1, 2))) / (2 * 256)
    assert f[("critical", 0)]["nn"] == pytest.approx(direct.mean())
    assert f[("critical", 0)]["nn_se"] == pytest.approx(direct.std(ddof=1) / np.sqrt(30))


def _table(rule, y_t, y_h, se_t=0.005, se_h=0.0005):
    return [dict(rule=rule, level=k + 1, lattice=64 >> k, y_t=t, y_t_se=se_t, y_h=h, y_h_se=se_h)
            for k, (t, h) in enumerate(zip(y_t, y_h))]


def _flow(rule, below, above):
    rows = []
    for temp, vals in (("below", below), ("critical", [0.7] * len(below)), ("above", above)):
        rows += [dict(temperature=temp, rule=rule, level=k, nn=v, nn_se=0.002) for k, v in enumerate(vals)]
    return rows


def test_criteria_rows_pick_the_best_level_and_gate_the_claimed_rules():
    table = _table("majority", [0.96, 0.999, 0.98], [1.881, 1.876, 1.8751]) + \
        _table("rsmi", [0.64, 1.06, 1.31], [1.8797, 1.924, 1.945])
    flow = _flow("majority", [0.77, 0.80, 0.85, 0.92], [0.64, 0.58, 0.52, 0.43])
    rows = {r["criterion"]: r for r in classify(criteria_rows(table, flow))}
    maj = rows["y_t_best[majority]"]
    assert maj["value"] == pytest.approx(0.001) and "level 2" in maj["note"] and maj["verdict"] == "pass" and maj["gate"]
    assert rows["y_h_best[majority]"]["value"] == pytest.approx(0.0001) and "level 3" in rows["y_h_best[majority]"]["note"]
    learned = rows["y_t_best[rsmi]"]
    assert learned["value"] == pytest.approx(0.06) and learned["verdict"] == "fail"
    assert learned["kind"] == "finding" and learned["expected"] == "fail" and not learned["gate"]
    assert rows["flow_below_minus_above_L3[majority]"]["value"] == pytest.approx(0.49)
    assert rows["flow_runs_away[majority]"]["value"] == pytest.approx(0.49 - 0.22)
    assert rows["flow_runs_away[majority]"]["verdict"] == "pass"
    assert not any("[rsmi]" in k and k.startswith("flow") for k in rows)  # no flow rows for unclaimed rules


def test_a_flow_that_does_not_separate_is_not_a_pass():
    table = _table("majority", [1.0, 1.0], [1.875, 1.875])
    flat = {r["criterion"]: r for r in criteria_rows(table, _flow("majority", [0.70] * 3, [0.70] * 3))}
    assert flat["flow_below_minus_above_L1[majority]"]["verdict"] == "inconclusive"
    wrong = {r["criterion"]: r for r in criteria_rows(table, _flow("majority", [0.6, 0.6, 0.55], [0.6, 0.65, 0.7]))}
    assert wrong["flow_below_minus_above_L2[majority]"]["verdict"] == "fail"
    assert wrong["flow_runs_away[majority]"]["verdict"] == "fail"


# Mutation round 3 (docs/mutation_round3.md): the best level weighs the error bar; the run-away
# row's error and note; which rows say they do not gate.


def test_best_level_counts_the_error_bar():
    """min |y − exact| + 2·SE: a close but noisy level loses to a slightly farther precise one."""
    table = [dict(rule="majority", level=1, lattice=64, y_t=1.001, y_t_se=0.05, y_h=1.875, y_h_se=0.001),
             dict(rule="majority", level=2, lattice=32, y_t=0.98, y_t_se=0.001, y_h=1.875, y_h_se=0.001)]
    rows = {r["criterion"]: r for r in criteria_rows(table, [])}
    best = rows["y_t_best[majority]"]
    assert best["value"] == pytest.approx(0.02) and best["se"] == 0.001 and "at level 2" in best["note"]


def test_run_away_row_combines_the_first_and_last_levels():
    """flow_runs_away = sep(last) − sep(first) with SE √(se_first² + se_last²), each sep's SE from
    its two temperatures; the note names both levels."""
    se = {1: 0.003, 2: 0.001, 3: 0.004}
    flow = [dict(temperature=t, rule="majority", level=lv, nn=v, nn_se=se.get(lv, 0.002))
            for t, vals in (("below", [0.77, 0.80, 0.85, 0.92]), ("critical", [0.7] * 4), ("above", [0.64, 0.58, 0.52, 0.43]))
            for lv, v in enumerate(vals)]
    rows = {r["criterion"]: r for r in criteria_rows([], flow)}
    run = rows["flow_runs_away[majority]"]
    assert run["value"] == pytest.approx(0.49 - 0.22)
    assert run["se"] == pytest.approx(math.sqrt(2 * 0.003**2 + 2 * 0.004**2))
    assert "at level 3 minus at level 1" in run["note"]


def test_only_unclaimed_rules_say_they_do_not_gate():
    table = _table("majority", [1.0], [1.875]) + _table("rsmi", [1.0], [1.875])
    rows = {r["criterion"]: r for r in criteria_rows(table, [])}
    assert "not gating" not in rows["y_t_best[majority]"]["note"]
    assert rows["y_t_best[rsmi]"]["note"].endswith("; compared, not gating")
