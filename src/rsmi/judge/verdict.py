"""The run's verdict for people: the measured tables, the closing lines of a run, the snapshot.

Everything here reads the criteria table (``results/metrics.csv``, :mod:`rsmi.judge.tables`) and
changes nothing in it.  Values are shown with the digits their standard error justifies
(:func:`rsmi.utils.formatting.format_value_se`); rows are told apart by kind
(docs/method.md §6):

* a *claim* shows its verdict (``pass``, ``FAIL``, ``INCONCLUSIVE``);
* a *finding* shows ``finding, expected verdict met`` when its verdict is one of those its
  evidence decided, and ``FINDING CHANGED`` otherwise; it never reads as a failure;
* a compared row that is neither (``kind`` report: e.g. one estimator's Fig. 4 rows, whose claim
  is the count of estimators meeting them, or the paper's proxy on noisy dimers, README
  Findings 1) is ``<verdict> (recorded, not a claim)``.

Outputs: :func:`measured_markdown` / :func:`measured_html` (the tables of rule ``verdict``:
``results/verdict.md`` and the report's ``results/verdict.html``), :func:`verdict_caption` (that
report item's caption), :func:`closing_lines` (the last lines of a run, printed by the
Snakefile's ``onsuccess`` / ``onerror``), and the committed snapshot of a default run that the
README's numbers are checked against (:func:`write_snapshot`, :func:`readme_block`;
``python -m rsmi.judge.verdict --help``).
"""

from __future__ import annotations

import argparse
import csv
import html
import io
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from rsmi.judge.tables import changed_findings, failed_claims, read_metrics, truthy, unresolved_claims
from rsmi.utils.formatting import format_number, format_value_se, rst_literal, rst_table
from rsmi.utils.io import CorruptFileError, atomic_write_text

__all__ = ["status", "value_text", "needs_text", "tally", "headline", "closing_lines", "failed_rule_names",
           "run_end", "announce_at_exit",
           "measured_sections", "measured_markdown", "measured_html", "verdict_caption", "SNAPSHOT_COLUMNS",
           "HEADLINE_ROWS", "write_snapshot", "read_snapshot", "readme_block", "README_BEGIN", "README_END",
           "replace_readme_block", "main"]

#: Where the measured values of a run are, as the README and the closing lines name them.
MEASURED = "results/verdict.md"
METHOD = "docs/method.md"
_FIGURE_ORDER = ("2A", "2B", "2C-E", "4", "5", "6", "7", "null", "mi", "torus")


def _compared(r: Mapping[str, Any]) -> bool:
    return str(r["op"]) != ""


def status(r: Mapping[str, Any]) -> str:
    """How a row reads (module docstring): claim, finding, recorded or reported."""
    v = str(r["verdict"])
    if r["kind"] == "finding":
        if v in str(r["expected"]).split(" or "):
            return "finding, expected verdict met"
        return f"FINDING CHANGED: {v or 'no verdict'}, expected {r['expected']}"
    if truthy(r["gate"]):
        return {"pass": "pass", "fail": "FAIL", "inconclusive": "INCONCLUSIVE"}.get(v, v or "no verdict")
    if _compared(r):
        return f"{v or 'no verdict'} (recorded, not a claim)"
    return "reported"


def value_text(r: Mapping[str, Any]) -> str:
    """``value ± SE`` with the digits the SE justifies (a value of SE 0 is exact: no ±)."""
    return format_value_se(r["value"], r["se"])


def needs_text(r: Mapping[str, Any]) -> str:
    """The criterion's requirement, e.g. ``>= 0.7`` (empty for a reported number)."""
    return f"{r['op']} {format_number(r['threshold'])}" if _compared(r) else ""


def tally(rows: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Counts of the verdict: claims, passing, failed, inconclusive; findings, with their expected
    verdict, changed; compared rows recorded without a claim."""
    rows = list(rows)
    claims = [r for r in rows if truthy(r["gate"])]
    findings = [r for r in rows if r["kind"] == "finding"]
    failed, unresolved, changed = failed_claims(rows), unresolved_claims(rows), changed_findings(rows)
    return dict(claims=len(claims), passing=len(claims) - len(failed) - len(unresolved), failed=len(failed),
                inconclusive=len(unresolved), findings=len(findings), findings_expected=len(findings) - len(changed),
                changed=len(changed),
                recorded=sum(1 for r in rows if _compared(r) and r["kind"] == "report" and not truthy(r["gate"])))


def headline(rows: Iterable[Mapping[str, Any]]) -> str:
    """One line: ``N of N claims pass; M findings with their expected verdict.`` (or what did not)."""
    t = tally(rows)
    if t["failed"] or t["inconclusive"]:
        first = f"{t['passing']} of {t['claims']} claims pass, {t['failed']} fail, {t['inconclusive']} inconclusive"
    else:
        first = f"{t['passing']} of {t['claims']} claims pass"
    s = "" if t["findings_expected"] == 1 else "s"
    second = f"{t['findings_expected']} finding{s} with their expected verdict"
    if t["changed"]:
        second += f", {t['changed']} CHANGED"
    return f"{first}; {second}."


def _row_line(r: Mapping[str, Any]) -> str:
    return (f"  {status(r)}: {r['run']} [{r['figure']}] {r['criterion']} = {value_text(r)} "
            f"(needs {needs_text(r)})")


def closing_lines(rows: Sequence[Mapping[str, Any]], *, source: str = "results/metrics.csv",
                  max_listed: int = 10) -> list[str]:
    """The last lines of a run: the headline, every claim that did not pass and every changed
    finding (at most ``max_listed`` each, then a count), and where to look."""
    failed = list(failed_claims(rows)) + list(unresolved_claims(rows))
    changed = changed_findings(rows)
    lines = [f"Verdict ({source}): {headline(rows)}"]
    for group in (failed, changed):
        lines += [_row_line(r) for r in group[:max_listed]]
        if len(group) > max_listed:
            lines.append(f"  … and {len(group) - max_listed} more")
    if failed:
        lines.append(f"Every row with its value ± SE: {MEASURED}; the check's log: logs/check.log; "
                     f"the criteria and the 2·SE rule: {METHOD} §6.")
    else:
        lines.append(f"Measured values: {MEASURED}; report: snakemake --report results/report.html.")
    return lines


def failed_rule_names(log_text: str) -> list[str]:
    """Names of the rules Snakemake reports as failed (``Error in rule NAME:``), in order, once each."""
    return list(dict.fromkeys(re.findall(r"Error in rule (\w+):", log_text)))


def run_end(results: str | Path = "results", *, log: str | Path | Iterable[str | Path] | None = None,
            error: bool = False) -> list[str]:
    """The closing lines for the end of a Snakemake invocation (the Snakefile's ``onsuccess`` and
    ``onerror``).

    On success: the verdict of ``results/metrics.csv`` when the check is up to date with it
    (``results/summary.txt`` not older), else nothing (the invocation did not reach the verdict).
    On error: the verdict when the failed rule is ``check`` (a claim did not pass); otherwise the
    failed rules and that there is no verdict yet.  ``log``: Snakemake's log file(s) of the
    invocation (a path or a list of paths)."""
    results = Path(results)
    metrics, summary = results / "metrics.csv", results / "summary.txt"
    try:
        return _run_end(metrics, summary, log, error)
    except CorruptFileError as exc:  # a damaged table: say so, never hide the run's own error
        return [f"No verdict: {exc}"]


def _run_end(metrics: Path, summary: Path, log, error: bool) -> list[str]:
    if error:
        text = ""
        # Snakemake passes the invocation's log files as a list (one path in a plain run)
        for path in ([log] if isinstance(log, (str, Path)) else list(log or [])):
            try:
                text += Path(path).read_text(errors="replace")
            except OSError:
                pass
        rules = failed_rule_names(text)
        others = ", ".join(r for r in rules if r != "check")
        if "check" not in rules or not metrics.is_file():
            where = f" in rule(s) {others}" if others else ""
            return [f"No verdict: the run stopped{where} before the check (the error is above); fix it and run "
                    "the same command again."]
        lines = closing_lines(read_metrics(metrics), source=str(metrics))
        if others:
            lines.insert(1, f"  (rule(s) {others} failed too: the error is above)")
        return lines
    if metrics.is_file() and summary.is_file() and summary.stat().st_mtime >= metrics.stat().st_mtime:
        return closing_lines(read_metrics(metrics), source=str(metrics))
    return []


def announce_at_exit(lines: Sequence[str], stream=None) -> None:
    """Print ``lines`` when the process exits, so that they are the terminal's last lines.

    Snakemake logs the log file's path and the elapsed time after its ``onsuccess`` / ``onerror``
    hooks, and on error raises afterwards; a handler registered with :mod:`atexit` runs after
    all of that.  ``stream``: default ``sys.stderr`` at exit (where Snakemake logs)."""
    import atexit

    lines = list(lines)
    if not lines:
        return

    def _print() -> None:
        out = stream if stream is not None else sys.stderr
        out.write("\n".join(lines) + "\n")
        out.flush()

    atexit.register(_print)


# --------------------------------------------------------------------------------------------
# The measured tables: one structure, three renderings (Markdown, HTML, reStructuredText).

def _figure_key(fig: str) -> tuple[int, str]:
    return (_FIGURE_ORDER.index(fig) if fig in _FIGURE_ORDER else len(_FIGURE_ORDER), fig)


def _figure_name(fig: str) -> str:
    return {"null": "null tests", "mi": "I(H:E) estimates", "torus": "exact torus"}.get(fig, f"Fig. {fig}")


def measured_sections(rows: Sequence[Mapping[str, Any]]) -> list[tuple[str, list[str], list[list[str]]]]:
    """The measured tables as (heading, columns, cells): claims per figure, the findings, then every
    compared row of each figure (criterion, value ± SE, needs, verdict), then the recorded rows."""
    compared = [r for r in rows if _compared(r)]
    figures = sorted({str(r["figure"]) for r in compared}, key=_figure_key)
    per_figure = []
    for fig in figures:
        claims = [r for r in compared if str(r["figure"]) == fig and truthy(r["gate"])]
        t = tally(claims)
        findings = [r for r in compared if str(r["figure"]) == fig and r["kind"] == "finding"]
        per_figure.append([_figure_name(fig), str(t["claims"]), str(t["passing"]), str(t["failed"]),
                           str(t["inconclusive"]), str(len(findings))])
    sections = [("Claims per figure", ["figure", "claims", "pass", "fail", "inconclusive", "findings"], per_figure)]
    findings = [r for r in compared if r["kind"] == "finding"]
    sections.append(("Findings (decided deviations of the paper's method; README \"Findings\"; not gating)",
                     ["figure", "run", "criterion", "value ± SE", "needs", "verdict", "expected", "status"],
                     [[str(r["figure"]), r["run"], r["criterion"], value_text(r), needs_text(r), r["verdict"],
                       r["expected"], status(r)] for r in findings]))
    for fig in figures:
        claims = [r for r in compared if str(r["figure"]) == fig and truthy(r["gate"])]
        if claims:
            sections.append((f"{_figure_name(fig)}: claims", ["run", "criterion", "value ± SE", "needs", "verdict"],
                             [[r["run"], r["criterion"], value_text(r), needs_text(r), status(r)] for r in claims]))
    recorded = [r for r in compared if r["kind"] == "report" and not truthy(r["gate"])]
    if recorded:
        sections.append(("Recorded rows (compared, not claims: e.g. README Findings 1)",
                         ["figure", "run", "criterion", "value ± SE", "needs", "status"],
                         [[str(r["figure"]), r["run"], r["criterion"], value_text(r), needs_text(r), status(r)]
                          for r in recorded]))
    return sections


_INTRO = ("Every compared row of `results/metrics.csv`: value ± SE (rounded to the digits the SE justifies; "
          "a value without ± is exact), the criterion's requirement and the verdict by the 2·SE rule "
          f"(`{METHOD}` §6). Claims gate the run; findings are recorded with their expected verdict.")


def _md_cell(s: str) -> str:
    return str(s).replace("|", "\\|")


def measured_markdown(rows: Sequence[Mapping[str, Any]]) -> str:
    """``results/verdict.md``: the headline and the tables of :func:`measured_sections`."""
    out = ["# The run's verdict", "", f"**{headline(rows)}**", "", _INTRO, ""]
    for heading, cols, cells in measured_sections(rows):
        out += [f"## {heading}", ""]
        if not cells:
            out += ["(none)", ""]
            continue
        out.append("| " + " | ".join(cols) + " |")
        out.append("| " + " | ".join("---" for _ in cols) + " |")
        out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in cells]
        out.append("")
    return "\n".join(out)


def _css_class(text: str) -> str:
    if text.startswith(("FAIL", "INCONCLUSIVE", "FINDING CHANGED")):
        return "bad"
    if text.startswith("finding"):
        return "finding"
    if "(recorded, not a claim)" in text:
        return "recorded"
    return ""


def measured_html(rows: Sequence[Mapping[str, Any]]) -> str:
    """``results/verdict.html`` (the report's verdict item): the same tables as a self-contained
    page, no scripts; claims, findings and recorded rows styled apart."""
    esc = html.escape
    t = tally(rows)
    ok = not (t["failed"] or t["inconclusive"])
    parts = ["<!doctype html>", '<html lang="en"><head><meta charset="utf-8"><title>Verdict</title><style>',
             "body{font-family:sans-serif;margin:1.5em;color:#111}table{border-collapse:collapse;margin:0 0 1.5em}"
             "th,td{border:1px solid #bbb;padding:2px 6px;text-align:left;font-size:13px}th{background:#eee}"
             "td.bad{color:#b00;font-weight:bold}td.finding{color:#05a}td.recorded{color:#666}"
             "p.headline{font-size:1.3em;font-weight:bold}p.ok{color:#060}p.notok{color:#b00}",
             "</style></head><body>", "<h1>The run's verdict</h1>",
             f'<p id="verdict-headline" class="headline {"ok" if ok else "notok"}">{esc(headline(rows))}</p>',
             f"<p>{esc(_INTRO).replace('`', '')}</p>"]
    for i, (heading, cols, cells) in enumerate(measured_sections(rows)):
        table_id = {0: "claims-per-figure", 1: "findings"}.get(i, f"table-{i}")
        parts.append(f"<h2>{esc(heading)}</h2>")
        if not cells:
            parts.append("<p>(none)</p>")
            continue
        parts.append(f'<table id="{table_id}"><thead><tr>' + "".join(f"<th>{esc(c)}</th>" for c in cols)
                     + "</tr></thead><tbody>")
        for row in cells:
            tds = []
            for c in row:
                cls = _css_class(str(c))
                tds.append(f'<td class="{cls}">{esc(str(c))}</td>' if cls else f"<td>{esc(str(c))}</td>")
            parts.append("<tr>" + "".join(tds) + "</tr>")
        parts.append("</tbody></table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def verdict_caption(rows: Sequence[Mapping[str, Any]]) -> str:
    """The caption of the report's verdict item (RST): the headline, claims per figure, findings."""
    sections = measured_sections(rows)
    (_, cols0, cells0), (_, _, finding_cells) = sections[0], sections[1]
    out = [f"**Verdict: {headline(rows)}**", "",
           f"Claims gate the run; findings are decided deviations of the paper's method, recorded with "
           f"their expected verdict (README \"Findings\"). Verdicts by the 2·SE rule, {METHOD} §6. "
           f"Every row with its value ± SE: this item (``results/verdict.html``) and ``{MEASURED}``.", "",
           rst_table(cols0, cells0), ""]
    if finding_cells:
        out += ["Findings:", "", rst_table(["figure", "criterion", "value ± SE", "needs", "status"],
                                           [[f[0], rst_literal(f[2]), f[3], f[4], f[7]] for f in finding_cells]), ""]
    return "\n".join(out).replace("{", "(").replace("}", ")")  # braces are Jinja2 markup in the report


# --------------------------------------------------------------------------------------------
# The snapshot of a default run (committed) and the README's block of measured numbers.

#: Columns of the committed snapshot: the compared rows of a default run's metrics.csv.
SNAPSHOT_COLUMNS = ("run", "figure", "criterion", "value", "se", "op", "threshold", "verdict", "gate", "kind",
                    "expected")

#: The README's quoted numbers: (label, figure, criterion regex, run regex). Each matches one or
#: more compared rows of the snapshot; the README shows them as value ± SE (needs, verdict).
HEADLINE_ROWS: tuple[tuple[str, str, str, str], ...] = (
    ("2A: max|λ|/min|λ| (2×2, N_h 1)", "2A", r"^max_min_ratio$", r"L_V~2/N_h~1/"),
    ("2B: distinct codes of the 16 block states", "2B", r"^distinct_codes$", r"."),
    ("2C–E: boundary/bulk (4×4, N_h 1)", "2C-E", r"^boundary_bulk_ratio$", r"L_V~4/N_h~1/"),
    ("2C–E: boundary/bulk (4×4, N_h 4)", "2C-E", r"^boundary_bulk_ratio$", r"L_V~4/N_h~4/"),
    ("2C–E: boundary/bulk (6×6, N_h 1)", "2C-E", r"^boundary_bulk_ratio$", r"L_V~6/N_h~1/"),
    ("4: estimators meeting Fig. 4 (N_h 2; N_h 4)", "4", r".", r"^fig4/"),
    ("5: rise of A_Λ (nats)", "5", r"^rise$", r"."),
    ("5: spread of the last 10 % / rise", "5", r"^tail_spread_over_rise$", r"."),
    ("6A: noise share of the squared weight (N_h 8)", "6", r"^noise_weight_share$", r"n_hidden~8\b"),
    ("6B: max R²(E) of the CD filters (N_h 32)", "6", r"^max_field_r2$", r"n_hidden~32\b"),
    ("6, finding: noise share (N_h 4)", "6", r"^noise_weight_share$", r"n_hidden~4\b"),
    ("7: |y_t − 1| (majority; learned, symmetric bias)", "7", r"^y_t_best\[(majority|rsmi_symmetric)\]", r"^rg$"),
    ("7: |y_h − 15/8| (majority; learned, symmetric bias)", "7", r"^y_h_best\[(majority|rsmi_symmetric)\]", r"^rg$"),
    ("torus: χ² p of the estimates against exact", "torus", r"^mi_vs_exact_chi2_p$", r"."),
    ("torus: |Δ_σ − 1/8| from the estimates", "torus", r"^delta_sigma_estimate$", r"."),
)

README_BEGIN = "<!-- measured:begin (python -m rsmi.judge.verdict readme; do not edit by hand) -->"
README_END = "<!-- measured:end -->"


def write_snapshot(rows: Iterable[Mapping[str, Any]], path) -> int:
    """Write the compared rows of ``rows`` (columns :data:`SNAPSHOT_COLUMNS`) to ``path``
    atomically; return how many."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=SNAPSHOT_COLUMNS, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    n = 0
    for r in rows:
        if _compared(r):
            w.writerow({c: r[c] for c in SNAPSHOT_COLUMNS})
            n += 1
    atomic_write_text(path, buf.getvalue())
    return n


def read_snapshot(path) -> list[dict[str, str]]:
    """The snapshot's rows (strings), with the columns metrics rows have (``pass``, ``note`` empty)."""
    from rsmi.judge.tables import read_csv

    rows = read_csv(path, SNAPSHOT_COLUMNS, floats=("value", "se", "threshold"))
    for r in rows:
        r.setdefault("pass", str(r["verdict"] == "pass"))
        r.setdefault("note", "")
    return rows


def _headline_cells(rows: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    cells = []
    for label, fig, crit, run in HEADLINE_ROWS:
        hits = [r for r in rows if _compared(r) and str(r["figure"]) == fig and re.search(crit, r["criterion"])
                and re.search(run, r["run"])]
        if not hits:
            continue
        values = "; ".join(f"{value_text(r)}" for r in hits)
        needs = "; ".join(dict.fromkeys(needs_text(r) for r in hits))
        verdicts = "; ".join(dict.fromkeys(status(r) for r in hits))
        cells.append([label, values, needs, verdicts])
    return cells


def readme_block(rows: Sequence[Mapping[str, Any]], *, source: str) -> str:
    """The README's generated block: the headline and :data:`HEADLINE_ROWS` of the snapshot."""
    out = [README_BEGIN, "", f"Snapshot `{source}`: **{headline(rows)}**", "",
           "| quantity | value ± SE | needs | verdict |", "| --- | --- | --- | --- |"]
    out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in _headline_cells(rows)]
    out += ["", README_END]
    return "\n".join(out)


def replace_readme_block(readme_text: str, block: str) -> str:
    """``readme_text`` with the text between :data:`README_BEGIN` and :data:`README_END` (markers
    included) replaced by ``block``; a README without both markers is an error."""
    i, j = readme_text.find(README_BEGIN), readme_text.find(README_END)
    if i < 0 or j < i:
        raise ValueError("the README has no generated block (markers README_BEGIN … README_END)")
    return readme_text[:i] + block + readme_text[j + len(README_END):]


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``snapshot`` a run's metrics.csv into the committed snapshot and refresh the
    README's block from it; ``readme`` refreshes the block only; ``show`` prints the closing lines."""
    p = argparse.ArgumentParser(prog="python -m rsmi.judge.verdict", description=main.__doc__)
    p.add_argument("command", choices=("snapshot", "readme", "show"))
    p.add_argument("--metrics", default="results/metrics.csv", help="a run's criteria table (snapshot, show)")
    p.add_argument("--snapshot", default="docs/default_run_metrics.csv", help="the committed snapshot")
    p.add_argument("--readme", default="README.md")
    a = p.parse_args(argv)
    if a.command == "show":
        print("\n".join(closing_lines(read_metrics(a.metrics), source=a.metrics)))
        return 0
    if a.command == "snapshot":
        n = write_snapshot(read_metrics(a.metrics), a.snapshot)
        print(f"{a.snapshot}: {n} compared rows of {a.metrics}")
    rows = read_snapshot(a.snapshot)
    text = Path(a.readme).read_text(encoding="utf-8")
    atomic_write_text(a.readme, replace_readme_block(text, readme_block(rows, source=a.snapshot)))
    print(f"{a.readme}: measured block from {a.snapshot}: {headline(rows)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
