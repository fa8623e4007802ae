"""Figure captions for ``snakemake --report``: the parameters and the criteria values.

Each figure rule writes ``results/figures/<name>.rst`` next to the figure; the report reads it
as the figure's caption, so the numbers shown are the ones the run produced.
"""

from __future__ import annotations

from typing import Iterable, Mapping

import pandas as pd

__all__ = ["caption", "criteria_table", "null_failures", "null_summary"]


def _fmt(value) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if v != v:  # NaN
        return "n/a"
    return f"{v:.4g}"


def criteria_table(metrics: pd.DataFrame, runs: Iterable[str], figures: Iterable[str] | None = None) -> str:
    """An RST list of the criteria rows of ``runs`` (restricted to ``figures`` if given)."""
    runs = list(runs)
    df = metrics[metrics["run"].isin(runs)]
    if figures is not None:
        df = df[df["figure"].astype(str).isin([str(f) for f in figures])]
    if df.empty:
        return "No criteria rows for these runs.\n"
    lines = []
    for r in df.to_dict("records"):
        verdict = {"pass": "pass", "fail": "**FAIL**", "inconclusive": "**INCONCLUSIVE**"}.get(str(r["verdict"]), "reported")
        if r.get("kind") == "finding":
            verdict += f" (finding, expected {r['expected']})"
        need = f" (needs {r['op']} {_fmt(r['threshold'])})" if r.get("op") else ""
        se = f" ± {_fmt(r['se'])}" if r.get("op") and str(r.get("se", "")) not in ("", "0.0", "0") else ""
        lines.append(f"- ``{r['run']}`` [{r['figure']}] {r['criterion']} = {_fmt(r['value'])}{se}{need}: {verdict}")
    return "\n".join(lines) + "\n"


def _null_rows(metrics: pd.DataFrame, run: str) -> pd.DataFrame:
    """The compared null-test rows (``null_*``) of ``run``; other rows of figure "null", such as
    the exact runs' ``jensen_step_incompatible_pairs`` finding, are not tests of the run's estimator."""
    return metrics[(metrics["run"] == run) & (metrics["figure"].astype(str) == "null")
                   & metrics["criterion"].astype(str).str.startswith("null_") & (metrics["op"].astype(str) != "")]


def null_failures(metrics: pd.DataFrame, run: str) -> tuple[int, int]:
    """(failing, total) gated null-test rows of ``run`` (method.md §4b), every estimator."""
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
        out += f"\nCriteria (results/metrics.csv):\n\n{criteria}"
    # Braces would be read as Jinja2 markup by the report.
    return out.replace("{", "(").replace("}", ")")
