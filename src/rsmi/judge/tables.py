"""The tidy criteria tables (``results/metrics.csv``): schema, rows, statistical verdicts, claims
and findings, writing.  One owner for what every producer of rows (figure criteria, null tests,
Fig. 4's per-panel verdict, the check rule, the report) shares.

Columns
-------
==========  ======================================================================================
run         the run id (e.g. ``model~ising/L_V~2/N_h~1/L_B~1/L_E~1/estimator~jensen``)
figure      ``2A``, ``2B``, ``2C-E``, ``4``, ``5``, ``6``, ``7``, ``null``, ``mi`` (claims on results/mi.csv),
            ``torus`` (the exact-torus comparison)
criterion   name of the number (``_h<j>`` = hidden unit j; ``[estimator]`` = the scoring estimator)
value       the measured number (NaN where undefined)
se          its standard error (0 for numbers that are exact functions of a run's weights)
op          ``<=``, ``<``, ``>=``, ``>``; empty for reported-only numbers
threshold   docs/method.md §6's threshold (NaN if reported only)
verdict     ``pass`` / ``fail`` / ``inconclusive`` by the 2·SE rule (:func:`verdict`); empty if reported
pass        True iff verdict is ``pass``; None (empty) for reported rows
gate        True for claims: a claim that does not pass fails the workflow's check
kind        ``claim``, ``finding`` (a decided deviation of the paper's method, README "Findings") or
            ``report`` (compared, but not gating: e.g. one estimator's Fig. 4 rows)
expected    for findings, the verdict(s) the evidence decided ("fail", or "fail or inconclusive"); a
            verdict outside them is reported loudly
note        parameters of the number, and why a row is what it is
==========  ======================================================================================

The 2·SE rule (docs/method.md §6): "value ≤ t" passes when value + 2·SE ≤ t, fails when
value − 2·SE > t, and is inconclusive otherwise; likewise for <, ≥, >.  A NaN value fails (the
number the criterion needs does not exist); a NaN SE makes a row inconclusive.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from rsmi.utils.io import REMAKE_HINT, CorruptFileError

__all__ = ["COLUMNS", "FINDINGS", "RECORDED", "record_only", "recorded_entry", "MI_COLUMNS", "TableError", "verdict", "row", "classify",
           "failed_claims", "unresolved_claims", "changed_findings", "write_table", "truthy", "read_metrics", "read_mi",
           "read_csv", "read_other", "missing_claims", "OTHER_TABLES", "REMAKE_HINT"]

COLUMNS = ("run", "figure", "criterion", "value", "se", "op", "threshold", "verdict", "pass", "gate", "kind",
           "expected", "note")

#: Decided findings (README "Findings"): rows they cover are recorded with their expected verdict
#: and do not gate.  Each entry: figure, a regular expression on the criterion, one on the run,
#: the expected verdict and the finding it documents.
FINDINGS: tuple[dict[str, str], ...] = (
    dict(figure="null", criterion=r"^null_noise_only_own_noise_part\[jensen\]$", run=r"model~dimer/.*estimator~jensen",
         expected="fail or inconclusive",
         finding="Findings 1: trained on the 8x8 noisy dimer block, the paper's proxy couples to noise "
                 "(its filter's noise sites alone score > 0 in 10 of 10 runs, > 0.01 nats by 2·SE in 5, "
                 "≤ 0.01 in none; docs/jensen_decision.md)"),
    dict(figure="null", criterion=r"^jensen_step_incompatible_pairs$", run=r"model~dimer/.*estimator~exact",
         expected="fail",
         finding="Findings 1: with the exact dimer measure the paper's Jensen step is undefined: a quarter of "
                 "(block, environment) pairs have P(e|v) = 0, so A_Λ = −∞ for every filter; the objective before "
                 "the step (I_Λ(H:E)) gives Fig. 4's field filters (docs/exact_dimer_proxy.md)"),
    dict(figure="7", criterion=r"^y_t_best\[rsmi(_stochastic)?\]$", run=r"^rg$", expected="fail",
         finding="Findings 7: the learned 2x2 rule sends ties to +1 (the proxy leaves its bias free), so "
                 "its even-sector MCRG exponent is not y_t (0.64, 1.06, 1.31 at levels 1-3)"),
    dict(figure="6", criterion=r"^noise_weight_share$", run=r"n_hidden~4\b", expected="fail",
         finding="Findings 3: with 4 hidden units a CD-trained RBM puts 0.16 of its weight on noise"),
)


#: Rows that are recorded and never gated, for a decided finding whose rows all carry no claim:
#: the null tests of the paper's proxy (jensen) on noisy dimers, under its own estimator (README
#: Findings 1). The finding's own row among them is then marked by :data:`FINDINGS`. Each entry:
#: figure, a regular expression on the criterion (with its ``[estimator]`` suffix), one on the run.
RECORDED: tuple[dict[str, str], ...] = (
    dict(figure="null", criterion=r"\[jensen\]$", run=r"model~dimer/.*estimator~jensen",
         finding="Findings 1: the paper's proxy on the noisy dimer block couples to noise"),
)


def recorded_entry(r: Mapping[str, Any], recorded: Iterable[Mapping[str, str]] = RECORDED) -> Mapping[str, str] | None:
    """The entry of ``recorded`` that covers row ``r`` (figure, criterion and run match), or None."""
    for f in recorded:
        if str(r["figure"]) == f["figure"] and re.search(f["criterion"], r["criterion"]) and re.search(f["run"], r["run"]):
            return f
    return None


def record_only(rows: Iterable[dict[str, Any]], recorded: Iterable[Mapping[str, str]] = RECORDED) -> list[dict[str, Any]]:
    """The rows, with those that an entry of ``recorded`` covers set to gate False, kind ``report``."""
    recorded = list(recorded)
    out = []
    for r in rows:
        if recorded_entry(r, recorded) is not None:
            r.update(gate=False, kind="report")
        out.append(r)
    return out


def truthy(value: Any) -> bool:
    """True for True and for the strings a CSV gives back for it."""
    return str(value).strip().lower() == "true"


def verdict(value: float, se: float, op: str, threshold: float) -> str:
    """``pass``/``fail``/``inconclusive`` of "value op threshold" by the 2·SE rule; '' if op is ''."""
    if op == "":
        return ""
    value, se, t = float(value), float(se), float(threshold)
    if math.isnan(value):
        return "fail"
    if math.isnan(se) or se < 0:
        return "inconclusive"
    lo, hi = value - 2 * se, value + 2 * se
    if op == "<=":
        return "pass" if hi <= t else "fail" if lo > t else "inconclusive"
    if op == "<":
        return "pass" if hi < t else "fail" if lo >= t else "inconclusive"
    if op == ">=":
        return "pass" if lo >= t else "fail" if hi < t else "inconclusive"
    if op == ">":
        return "pass" if lo > t else "fail" if hi <= t else "inconclusive"
    raise ValueError(f"op must be one of <=, <, >=, > or '', got {op!r}")


def row(run, figure, criterion, value, op, threshold, *, se: float = 0.0, gate: bool = True, note: str = "",
        verdict_override: str | None = None) -> dict[str, Any]:
    """One tidy row.  ``gate`` (claims) applies to compared rows only; ``verdict_override`` is for
    rows whose verdict is a combination of other rows' verdicts (e.g. Fig. 4's per panel)."""
    value = float(value)
    v = verdict(value, se, op, threshold) if verdict_override is None else verdict_override
    gated = bool(gate) and op != ""
    return {
        "run": str(run), "figure": figure, "criterion": criterion, "value": value, "se": float(se), "op": op,
        "threshold": float(threshold) if op else math.nan, "verdict": v, "pass": (v == "pass") if op else None,
        "gate": gated, "kind": "claim" if gated else "report", "expected": "", "note": note,
    }


def classify(rows: Iterable[dict[str, Any]], findings: Iterable[Mapping[str, str]] = FINDINGS) -> list[dict[str, Any]]:
    """Mark the compared rows that a decided finding covers: kind ``finding``, gate False, expected set."""
    findings = list(findings)
    out = []
    for r in rows:
        r = dict(r)
        for f in findings:
            if (r["op"] and r["figure"] == f["figure"] and re.search(f["criterion"], r["criterion"])
                    and re.search(f["run"], r["run"])):
                r.update(kind="finding", gate=False, expected=f["expected"],
                         note=f"{r['note']}; {f['finding']}" if r["note"] else f["finding"])
                break
        out.append(r)
    return out


def failed_claims(rows: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Claims whose verdict is ``fail``."""
    return [r for r in rows if truthy(r["gate"]) and r["verdict"] == "fail"]


def unresolved_claims(rows: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Claims whose verdict is ``inconclusive`` (they fail the check too: docs/method.md §6)."""
    return [r for r in rows if truthy(r["gate"]) and r["verdict"] == "inconclusive"]


def changed_findings(rows: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Findings whose verdict is no longer one their evidence decided (``expected`` may list several,
    joined by " or ", where a single run's verdict varies between them but never leaves them)."""
    return [r for r in rows if r["kind"] == "finding" and r["verdict"] not in str(r["expected"]).split(" or ")]


def write_table(rows: Iterable[Mapping[str, Any]], path) -> None:
    """Write rows as a CSV with the columns :data:`COLUMNS`, atomically; None is an empty field."""
    from rsmi.utils.io import atomic_write_text

    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, extrasaction="raise", lineterminator="\n")
    w.writeheader()
    for r in rows:
        missing = [c for c in COLUMNS if c not in r]
        if missing:
            raise ValueError(f"row {dict(r)} lacks column(s) {missing}")
        w.writerow({c: ("" if r[c] is None else r[c]) for c in COLUMNS})
    atomic_write_text(path, buf.getvalue())


# --------------------------------------------------------------------------------------------
# Reading tables back: every table the workflow reads is checked here (columns, types, rows, the
# run it claims to be) and a damaged one stops the reading job with an error naming the file.

#: Columns of every ``mi.csv`` (rsmi.coarse.mi.estimate_mi's keys, the sub-code columns of
#: rsmi.coarse.mi.subcode_summary and the run's parameters), any order.
MI_COLUMNS = ("run", "model", "L_V", "N_h", "L_B", "L_E", "estimator", "filter", "method", "mi", "stderr", "H", "CE",
              "n_train", "n_test", "l2", "n_classes", "n_subcodes", "sub_min_z", "sub_worst", "sub_worst_mi",
              "sub_worst_se")
_MI_INTS = ("L_V", "N_h", "L_B", "L_E", "n_train", "n_test", "n_classes", "n_subcodes")
_MI_FINITE = ("mi", "stderr")
_OPS = ("", "<=", "<", ">=", ">")
_VERDICTS = ("", "pass", "fail", "inconclusive")
_KINDS = ("claim", "finding", "report")


#: Other tables the workflow reads back: kind -> (columns, the columns that must be numbers).
OTHER_TABLES = {
    "torus_estimates": (("L", "M", "L_B", "exact", "mi", "stderr", "n_configs", "n_windows"),
                        ("L", "M", "L_B", "exact", "mi", "stderr", "n_configs", "n_windows")),
    "torus_multibit": (("L", "M", "L_B", "bits", "code", "exact", "mi", "stderr", "H", "n_configs", "n_windows"),
                       ("L", "M", "L_B", "bits", "exact", "mi", "stderr", "H", "n_configs", "n_windows")),
    "exponents": (("rule", "lattice", "level", "y_t", "y_t_se", "y_h", "y_h_se", "lambda_t", "lambda_t_se", "lambda_h",
                   "lambda_h_se", "n_samples", "n_blocks"),
                  ("lattice", "level", "y_t", "y_t_se", "y_h", "y_h_se", "lambda_t", "lambda_t_se", "lambda_h",
                   "lambda_h_se", "n_samples", "n_blocks")),
    "flow": (("temperature", "rule", "level", "lattice", "nn", "nn_se", "n_samples"),
             ("level", "lattice", "nn", "nn_se", "n_samples")),
    "theta_curve": (("epoch", "val_loglik", "val_loglik_err", "train_pseudo_loglik", "weight_rms", "lr"),
                    ("epoch", "val_loglik", "val_loglik_err", "train_pseudo_loglik", "weight_rms", "lr")),
}


class TableError(CorruptFileError, ValueError):
    """A table is missing, damaged, or not the one it claims to be; the message names the file
    (and ``str()`` how to remake it, :data:`rsmi.utils.io.REMAKE_HINT`)."""


def _fail(path, msg: str):
    raise TableError(f"{path}: {msg}") from None


def read_csv(path, columns: Iterable[str], *, floats: Iterable[str] = (), ints: Iterable[str] = (),
             finite: Iterable[str] = (), allow_empty: bool = False) -> list[dict[str, str]]:
    """Rows of the CSV file ``path`` as dicts of strings, after checking that it ends with a line
    break (a cut file does not), that its header has exactly ``columns`` (any order), that every
    line has as many fields as the header, and that ``floats`` parse (an empty field is NaN),
    ``ints`` are integers and ``finite`` finite numbers.  ``allow_empty``: a file with no rows at all (not even a header) gives [].
    Raises :class:`TableError` naming the file."""
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            text = fh.read()
    except FileNotFoundError:
        _fail(path, "file does not exist")
    except (OSError, UnicodeDecodeError) as exc:
        _fail(path, f"not a readable text file ({type(exc).__name__}: {exc})")
    if not text.strip():
        if allow_empty:
            return []
        _fail(path, "empty file (no header, no rows)")
    if not text.endswith("\n"):
        _fail(path, "does not end with a line break: the file is cut short")
    reader = csv.reader(io.StringIO(text))
    try:
        lines = [(reader.line_num, r) for r in reader]
    except csv.Error as exc:
        _fail(path, f"not a valid CSV file ({exc})")
    header = lines[0][1]
    columns = tuple(columns)
    if sorted(header) != sorted(columns) or len(set(header)) != len(header):
        _fail(path, f"columns {header} are not the expected {list(columns)}")
    out = []
    for num, fields in lines[1:]:
        if len(fields) != len(header):
            _fail(path, f"line {num} has {len(fields)} fields, the header {len(header)}")
        r = dict(zip(header, fields))
        for c in (*floats, *finite):
            if r[c] == "" and c not in finite:
                continue  # pandas writes NaN as an empty field
            try:
                x = float(r[c])
            except ValueError:
                _fail(path, f"line {num}: column {c} is {r[c]!r}, not a number")
            if c in finite and not math.isfinite(x):
                _fail(path, f"line {num}: column {c} is {r[c]!r}, not a finite number")
        for c in ints:
            if not re.fullmatch(r"-?\d+", r[c]):
                _fail(path, f"line {num}: column {c} is {r[c]!r}, not an integer")
        out.append(r)
    return out


def read_other(path, kind: str, *, min_rows: int = 1) -> list[dict[str, str]]:
    """Rows of a table of :data:`OTHER_TABLES` ``kind``, checked like :func:`read_csv`, with at
    least ``min_rows`` rows."""
    columns, numbers = OTHER_TABLES[kind]
    rows = read_csv(path, columns, floats=numbers)
    if len(rows) < min_rows:
        _fail(path, f"{len(rows)} rows, expected at least {min_rows}")
    return rows


def read_metrics(path, *, run: str | None = None, claims: Iterable[tuple[str, str]] = (),
                 min_rows: int = 1) -> list[dict[str, str]]:
    """Rows of a criteria table (columns :data:`COLUMNS`; per run, per CD-RBM, the exact torus,
    Fig. 7 or ``results/metrics.csv``) as dicts of strings, checked: columns, types and allowed
    values, at least ``min_rows`` rows, no (run, figure, criterion) twice, every row of ``run``
    (if given), and a gated row for each (figure, criterion) of ``claims``."""
    rows = read_csv(path, COLUMNS, floats=("value", "se", "threshold"))
    if len(rows) < min_rows:
        _fail(path, f"{len(rows)} rows, expected at least {min_rows}")
    seen = set()
    for i, r in enumerate(rows, start=2):
        for col, allowed in (("op", _OPS), ("verdict", _VERDICTS), ("pass", ("", "True", "False")),
                             ("gate", ("True", "False")), ("kind", _KINDS)):
            if r[col] not in allowed:
                _fail(path, f"row {i - 1}: column {col} is {r[col]!r}, expected one of {list(allowed)}")
        if run is not None and r["run"] != run:
            _fail(path, f"row {i - 1} is of run {r['run']!r}, but the file is run {run!r}'s")
        key = (r["run"], r["figure"], r["criterion"])
        if key in seen:
            _fail(path, f"criterion {key[2]!r} of run {key[0]!r} (figure {key[1]}) appears twice")
        seen.add(key)
    lost = missing_claims(rows, [(run if run is not None else "", f, c) for f, c in claims], runs=run is not None)
    if lost:
        _fail(path, f"lacks {len(lost)} claim(s) its run must have: " + ", ".join(f"[{f}] {c}" for _, f, c in lost))
    return rows


def missing_claims(rows: Iterable[Mapping[str, Any]], expected: Iterable[tuple[str, str, str]], *,
                   runs: bool = True) -> list[tuple[str, str, str]]:
    """The (run, figure, criterion) of ``expected`` that ``rows`` do not hold as a gated row
    (``runs`` False: the run is not compared)."""
    have = {((r["run"] if runs else ""), str(r["figure"]), r["criterion"]) for r in rows if truthy(r["gate"])}
    return [k for k in expected if (k[0] if runs else "", k[1], k[2]) not in have]


def read_mi(path, runs: Iterable[str]) -> list[dict[str, str]]:
    """Rows of an ``mi.csv`` (columns :data:`MI_COLUMNS`), checked: types, finite estimate and
    SE, and exactly the runs ``runs`` in that order (one row each); a file expected to hold no
    estimate may be empty."""
    runs = list(runs)
    rows = read_csv(path, MI_COLUMNS, floats=("H", "CE", "l2", "sub_min_z", "sub_worst_mi", "sub_worst_se"), ints=_MI_INTS, finite=_MI_FINITE,
                    allow_empty=not runs)
    got = [r["run"] for r in rows]
    if got != runs:
        _fail(path, f"holds the estimates of {got or 'no run'}, expected {runs or 'none'}")
    return rows
