"""Figure captions for ``snakemake --report``: the parameters and the criteria values.

Each figure rule writes ``results/figures/<name>.rst`` next to the figure; the report reads it
as the figure's caption, so the numbers shown are the ones the run produced.
"""

from __future__ import annotations

from typing import Iterable, Mapping

import pandas as pd

__all__ = ["caption", "criteria_table"]


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
        verdict = {"True": "pass", "False": "**FAIL**"}.get(str(r["pass"]), "reported")
        need = f" (needs {r['op']} {_fmt(r['threshold'])})" if r.get("op") else ""
        lines.append(f"- ``{r['run']}`` [{r['figure']}] {r['criterion']} = {_fmt(r['value'])}{need}: {verdict}")
    return "\n".join(lines) + "\n"


def caption(title: str, description: str, parameters: Mapping[str, object], criteria: str = "") -> str:
    """The caption document: title line, description, parameters, criteria list."""
    params = "\n".join(f"- {k}: ``{v}``" for k, v in parameters.items())
    out = f"**{title}.** {description}\n\nParameters:\n\n{params}\n"
    if criteria:
        out += f"\nCriteria (results/metrics.csv):\n\n{criteria}"
    # Braces would be read as Jinja2 markup by the report.
    return out.replace("{", "(").replace("}", ")")
