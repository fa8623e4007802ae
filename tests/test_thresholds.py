"""Every number of the criteria lives in rsmi.judge.thresholds.

The modules that write criterion rows define no threshold of their own: no module-level
``TH_*`` / ``TOL_*`` / ``*_TOLERANCE`` name outside ``thresholds``, and no float literal as the
threshold argument of a ``row(...)`` call other than the structural 0 and 1 (a sign, a rise,
a ratio to a tolerance)."""

from __future__ import annotations

import ast
import re

from conftest import REPO

PACKAGE = REPO / "src" / "rsmi"
NAME = re.compile(r"^(TH_|TOL_)|_TOLERANCE$")


def _criterion_modules():
    return [p for p in sorted(PACKAGE.rglob("*.py")) if p.name != "thresholds.py"]


def test_no_threshold_constant_outside_thresholds():
    bad = []
    for path in _criterion_modules():
        for node in ast.parse(path.read_text()).body:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
            for t in targets:
                if isinstance(t, ast.Name) and NAME.search(t.id):
                    bad.append(f"{path.relative_to(REPO)}:{node.lineno}: {t.id}")
    assert not bad, bad


def test_no_literal_threshold_in_criterion_rows():
    """row(run, figure, name, value, op, threshold, ...): the threshold is a name, or 0 / 1."""
    bad = []
    for path in _criterion_modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "row" and len(node.args) >= 6:
                th = node.args[5]
                if isinstance(th, ast.Constant) and isinstance(th.value, (int, float)) and th.value not in (0, 1):
                    bad.append(f"{path.relative_to(REPO)}:{node.lineno}: {th.value!r}")
    assert not bad, bad


def test_the_criteria_read_their_thresholds_from_one_module():
    from rsmi.judge import metrics, nulltests, thresholds, torus
    from rsmi.rg import rgflow

    assert metrics.TH_4_R2 is thresholds.TH_4_R2
    assert nulltests.NOISE_TOLERANCE is thresholds.NOISE_TOLERANCE
    assert torus.TH_TORUS_CHI2_P is thresholds.TH_TORUS_CHI2_P
    assert rgflow.TH_7_Y_T is thresholds.TH_7_Y_T
