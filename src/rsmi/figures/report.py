"""Figure captions for ``snakemake --report``: the parameters and the criteria values.

Each figure rule writes ``results/figures/<name>.rst`` next to the figure; the report reads it
as the figure's caption, so the numbers shown are the ones the run produced.
"""

from __future__ import annotations

from typing import Iterable, Mapping

import pandas as pd

from rsmi.registry import run_wildcards
from rsmi.judge.tables import recorded_entry
from rsmi.judge.verdict import METHOD, needs_text, status, value_text
from rsmi.utils.formatting import rst_literal, rst_table

__all__ = ["caption", "criteria_table", "null_failures", "null_summary", "short_run"]


def short_run(run: str) -> str:
    """A run id as a short label: ``model~dimer/L_V~8/N_h~2/…/estimator~exact`` → ``dimer 8×8 N_h 2
    L_B 4 exact`` (ids of another form, e.g. ``rg`` or ``fig4/N_h~2``, are kept)."""
    parts = run_wildcards(run) or {}
    if not {"model", "L_V", "N_h", "L_B", "estimator"} <= parts.keys():
        return str(run)
    return (f"{parts['model']} {parts['L_V']}×{parts['L_V']} N_h {parts['N_h']} L_B {parts['L_B']} "
            f"{parts['estimator']}")


def criteria_table(metrics: pd.DataFrame, runs: Iterable[str], figures: Iterable[str] | None = None) -> str:
    """The criteria of ``runs`` (restricted to ``figures`` if given) as RST: a table of the compared
    rows (run, criterion, value ± SE with the digits the SE justifies, requirement, verdict; a
    finding reads "finding, expected verdict met" and a row that is not a claim "… (recorded, not a
    claim)", never FAIL), one line per run for the rows :data:`rsmi.judge.tables.RECORDED` records
    wholesale (the paper's proxy on noisy dimers), and the count of reported-only numbers."""
    runs = list(runs)
    df = metrics[metrics["run"].isin(runs)]
    if figures is not None:
        df = df[df["figure"].astype(str).isin([str(f) for f in figures])]
    if df.empty:
        return "No criteria rows for these runs.\n"
    rows = df.to_dict("records")
    compared = [r for r in rows if str(r.get("op", "")) != ""]
    wholesale = [r for r in compared if r.get("kind") == "report" and recorded_entry(r) is not None]
    shown = [r for r in compared if r not in wholesale]
    out = []
    if shown:
        out.append(rst_table(["run", "criterion", "value ± SE", "needs", "verdict"],
                             [[short_run(r["run"]), rst_literal(r["criterion"]), value_text(r), needs_text(r),
                               _strong(status(r))] for r in shown]))
    for run in dict.fromkeys(r["run"] for r in wholesale):
        rs = [r for r in wholesale if r["run"] == run]
        counts = ", ".join(f"{n} {v}" for v, n in sorted(pd.Series([str(r["verdict"]) for r in rs]).value_counts().items()))
        why = recorded_entry(rs[0])["finding"].split(":")[0]
        out.append(f"- ``{run}``: {len(rs)} compared rows recorded, not claims ({counts}; {why})")
    reported = len(rows) - len(compared)
    if reported:
        out.append(f"- {reported} reported numbers without a criterion: ``results/verdict.md``, "
                   "``results/metrics.csv``")
    return "\n".join(out) + "\n"


def _strong(text: str) -> str:
    """A verdict that needs attention in bold (FAIL, INCONCLUSIVE, FINDING CHANGED)."""
    return f"**{text}**" if text.startswith(("FAIL", "INCONCLUSIVE", "FINDING CHANGED")) else text


def _null_rows(metrics: pd.DataFrame, run: str) -> pd.DataFrame:
    """The compared null-test rows (``null_*``) of ``run``; other rows of figure "null", such as
    the exact runs' ``jensen_step_incompatible_pairs`` finding, are not tests of the run's estimator."""
    return metrics[(metrics["run"] == run) & (metrics["figure"].astype(str) == "null")
                   & metrics["criterion"].astype(str).str.startswith("null_") & (metrics["op"].astype(str) != "")]


def null_failures(metrics: pd.DataFrame, run: str) -> tuple[int, int]:
    """(failing, total) gated null-test rows of ``run`` (docs/method.md §4b), every estimator."""
    df = _null_rows(metrics, run)
    return int((df["verdict"].astype(str) != "pass").sum()), int(len(df))


def null_summary(metrics: pd.DataFrame, runs: Iterable[str]) -> str:
    """One RST line per run: do its null tests pass? A filter whose estimator fails them is not
    evidence of anything, so every figure of RSMI filters says so next to its criteria."""
    lines = []
    for run in runs:
        df = _null_rows(metrics, run)
        if df.empty:
            continue
        failed = df[df["verdict"].astype(str) != "pass"]
        if len(failed):
            lines.append(f"- ``{run}`` null tests: **{len(failed)} of {len(df)} do not pass** "
                         f"({', '.join(f'{c} {v}' for c, v in zip(failed['criterion'], failed['verdict']))})")
        else:
            lines.append(f"- ``{run}`` null tests: all {len(df)} pass")
    return ("\n".join(lines) + "\n") if lines else ""


def caption(title: str, description: str, parameters: Mapping[str, object], criteria: str = "") -> str:
    """The caption document: title line, description, parameters, criteria list."""
    params = "\n".join(f"- {k}: ``{v}``" for k, v in parameters.items())
    out = f"**{title}.** {description}\n\nParameters:\n\n{params}\n"
    if criteria:
        out += (f"\nCriteria (value ± SE; verdict by the 2·SE rule, {METHOD} §6; claims gate the run, findings "
                f"are recorded with their expected verdict):\n\n{criteria}")
    # Braces would be read as Jinja2 markup by the report.
    return out.replace("{", "(").replace("}", ")")
