"""End to end: the small config through the whole DAG, determinism, resume after SIGKILL,
adding a grid point, the loud failure of the check rule, and damaged .npz files on disk.
Slow: CI runs them."""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from conftest import REPO, run_snakemake
from rsmi.coarse.results import FilterResult

pytestmark = pytest.mark.slow

SMALL = REPO / "tests" / "config" / "small.yaml"
FIGURES = ["fig2", "fig3", "fig4", "fig5", "fig6", "fig7", "mi_vs_buffer", "mi_comparison", "exact_torus"]
TABLES = ["results/runs.csv", "results/metrics.csv", "results/mi.csv", "results/exponents.csv"]
VERDICT = [f"results/verdict.{ext}" for ext in ("md", "html", "rst")]
TARGETS = TABLES + VERDICT + [f"results/figures/{f}.{ext}" for f in FIGURES for ext in ("pdf", "png", "rst")]


def _run(cwd, *targets, options=(), config=SMALL, timeout=1800):
    # Targets first: --configfile takes several values and would swallow them.
    return run_snakemake([*targets, "--cores", "2", *options, "--configfile", str(config)], cwd=cwd, timeout=timeout)


def _products(root: Path) -> dict[str, bytes]:
    """Every data product of a run: samples, weights, tables, figures (not logs/benchmarks)."""
    out = {}
    for p in sorted((root / "results").rglob("*")):
        if p.is_file() and ".cache" not in p.parts and p.suffix in {".npz", ".csv", ".pdf", ".png", ".rst"}:
            out[str(p.relative_to(root))] = p.read_bytes()
    return out


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    res = _run(root, *TARGETS)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    (root / "run-output.txt").write_text(res.stdout + res.stderr)  # what the terminal showed
    return root


def _last_lines(res, n):
    return [ln for ln in (res.stdout + res.stderr).splitlines() if ln.strip()][-n:]


def test_the_terminal_shows_no_shell_command_noise(finished):
    """Every rule is a script rule: no "Shell command: None" per job (the profiles leave
    printshellcmds off)."""
    text = (finished / "run-output.txt").read_text()
    assert "Finished job" in text and "Shell command" not in text


def test_every_figure_and_table_appears(finished):
    for t in TARGETS:
        p = finished / t
        assert p.is_file() and p.stat().st_size > 0, t
    import pandas as pd

    runs = pd.read_csv(finished / "results/runs.csv")
    assert len(runs) == 11 and {"run", "model", "L_V", "N_h", "L_B", "L_E", "estimator", "rsmi"} <= set(runs.columns)
    for path in runs.rsmi:
        assert (finished / path).is_file()
    metrics = pd.read_csv(finished / "results/metrics.csv", keep_default_na=False)
    assert {"run", "figure", "criterion", "value", "threshold", "pass"} <= set(metrics.columns)
    assert {"2A", "2B", "2C-E", "4", "5", "6", "null"} <= set(metrics.figure.astype(str))
    mi = pd.read_csv(finished / "results/mi.csv")
    assert {"rsmi", "kadanoff", "random", "cd-rbm"} <= set(mi["filter"])
    # Every job left a benchmark record (max_rss is the memory budget's evidence).
    assert len(list((finished / "results" / "benchmarks").rglob("*.tsv"))) >= 40


def test_check_rule_fails_loudly_on_the_small_config(finished):
    # Far too little data for the criteria: the check must say which ones fail and exit non-zero.
    res = _run(finished, "results/summary.txt")
    assert res.returncode != 0
    text = res.stdout + res.stderr
    assert "claims failed" in text and "FAILED" in text
    # The terminal ends with the verdict: the count, the claims that did not pass, where to look.
    metrics = (finished / "results/metrics.csv").read_text()
    last = _last_lines(res, 40)
    verdict = max(i for i, ln in enumerate(last) if ln.startswith("Verdict (results/metrics.csv): "))
    # after it only its own lines: the claims that did not pass, changed findings, where to look
    assert all(ln.startswith("  ") for ln in last[verdict + 1:-1]), last[verdict:]
    assert re.search(r"\d+ of \d+ claims pass, [1-9]\d* fail, \d+ inconclusive; \d+ findings? with their expected "
                     r"verdict", last[verdict]), last
    assert last[verdict + 1].startswith(("  FAIL: ", "  INCONCLUSIVE: ")) and " ± " in "".join(last)
    assert last[-1].startswith("Every row with its value ± SE: results/verdict.md; the check's log: logs/check.log")
    assert metrics  # the table the lines were read from is still there
    assert not (finished / "results/summary.txt").exists()
    # The figures are still there (a failed criterion never hides a figure).
    assert all((finished / f"results/figures/{f}.pdf").is_file() for f in FIGURES)


def _check_with(finished, tmp_path, edit):
    """Run only the check rule on a copy of the finished run whose metrics.csv ``edit`` rewrote."""
    import pandas as pd

    work = tmp_path / "work"
    shutil.copytree(finished, work, symlinks=True)
    path = work / "results/metrics.csv"
    df = pd.read_csv(path, keep_default_na=False, dtype=str)
    edit(df).to_csv(path, index=False)
    return work, _run(work, "results/summary.txt", options=("--allowed-rules", "check", "verdict"))


def test_check_rule_passes_when_every_claim_holds_and_still_reports_a_changed_finding(finished, tmp_path):
    def only_passing_claims(df):
        # every claim passing (a claim dropped instead would be named missing by the check)
        df.loc[(df.gate == "True") & (df.verdict != "pass"), ["verdict", "pass"]] = ["pass", "True"]
        finding = df.index[df.kind == "finding"][0]
        df.loc[finding, "expected"] = "no such verdict"  # verdict != expected
        return df

    work, res = _check_with(finished, tmp_path, only_passing_claims)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    summary = (work / "results/summary.txt").read_text()
    n = summary.split("Claims: ")[1].split(" of ")[0]
    assert f"Claims: {n} of {n} pass, 0 fail, 0 inconclusive." in summary and int(n) > 20
    assert "FINDING CHANGED" in summary and "FINDING CHANGED" in res.stdout + res.stderr
    # The terminal's last lines: the verdict, the changed finding, where the values are.
    last = _last_lines(res, 30)
    verdict = max(i for i, ln in enumerate(last) if ln.startswith("Verdict (results/metrics.csv): "))
    changed = re.fullmatch(rf"Verdict \(results/metrics.csv\): {n} of {n} claims pass; \d+ findings? with their "
                           r"expected verdict, (\d+) CHANGED\.", last[verdict])
    assert changed, last[verdict:]
    listed = last[verdict + 1:-1]
    assert len(listed) == int(changed.group(1)) and all(ln.startswith("  FINDING CHANGED: ") for ln in listed)
    assert any("expected no such verdict" in ln for ln in listed)  # the finding this test changed
    assert last[-1].startswith("Measured values: results/verdict.md")


def test_check_rule_fails_on_an_inconclusive_claim(finished, tmp_path):
    def one_inconclusive(df):
        df.loc[(df.gate == "True") & (df.verdict != "pass"), ["verdict", "pass"]] = ["pass", "True"]
        claim = df.index[df.gate == "True"][0]
        df.loc[claim, "verdict"] = "inconclusive"
        return df

    work, res = _check_with(finished, tmp_path, one_inconclusive)
    assert res.returncode != 0
    assert "INCONCLUSIVE" in res.stderr and "1 are inconclusive" in res.stderr + res.stdout


def test_rule_all_builds_the_theta_curves_and_the_report_renders(finished, tmp_path):
    """`rule all` (the default target) on the finished small run: what remains is the Θ-RBM
    curve plots and the check (which fails on this config by design); then `--report`."""
    work = tmp_path / "work"
    shutil.copytree(finished, work, symlinks=True)
    res = _run(work, options=("--keep-going",))
    assert res.returncode != 0 and "Error in rule check" in res.stdout + res.stderr
    curves = sorted((work / "results/theta").rglob("theta_*_curve.png"))
    assert len(curves) == 2 * len(list((work / "results/theta").rglob("theta_v.npz"))) > 0
    assert all(p.stat().st_size > 1000 for p in curves)
    res = _run(work, options=("--report", str(work / "report.html")))
    assert res.returncode == 0, res.stderr[-3000:]
    html = (work / "report.html").read_text(errors="replace")
    assert len(html) > 100_000 and "Fig. 4" in html


def test_the_report_shows_every_figure_and_the_verdict_in_chromium(finished, tmp_path):
    """`snakemake --report` opened in headless Chromium (Debian's chromium; .ci/run installs it):
    every figure, shown the way the report's buttons show it, is an image that loaded with a
    non-zero natural size; the verdict item holds the claims and findings tables; every figure
    has a caption with its criteria and the verdict's table is in its caption too."""
    from chromium import find_chromium, inspect_report

    exe = find_chromium()
    if exe is None:
        pytest.fail("chromium is not installed (apt-get install -y chromium; .ci/run does it)")
    work = tmp_path / "work"
    shutil.copytree(finished, work, symlinks=True)
    res = _run(work, *TARGETS, options=("--report", str(work / "report.html")))
    assert res.returncode == 0, res.stderr[-3000:]
    seen = inspect_report(work / "report.html", exe)
    assert "error" not in seen, seen
    results = seen["results"]
    images = {p: r for p, r in results.items() if r["mime"] == "image/png"}
    assert sorted(images) == sorted(f"results/figures/{f}.png" for f in FIGURES)
    for path, r in images.items():
        img = r["img"]
        assert img is not None and img["complete"] and img["width"] > 0 and img["height"] > 0, (path, img)
        assert img["shownWidth"] > 0, (path, img)
        assert r["caption"].strip(), path
    assert not [p for p in results if p.endswith(".pdf")]  # PDFs in a data-URI frame show nothing
    verdict = results["results/verdict.html"]
    assert verdict["iframe"] and verdict["iframe"]["width"] > 0 and verdict["iframe"]["height"] > 0
    assert {"claims-per-figure", "findings"} <= set(verdict["tables"])
    assert re.match(r"\d+ of \d+ claims pass", verdict["headline"])
    assert verdict["captionTables"] >= 1 and verdict["caption"].startswith("Verdict: ")
    # Fig. 4's caption: every estimator's rows in one table, those that are not claims (the
    # paper's proxy's among them) marked so, never as failures of the reproduction.
    fig4 = results["results/figures/fig4.png"]
    assert fig4["captionTables"] == 1 and "(recorded, not a claim)" in fig4["caption"]
    assert "jensen" in fig4["caption"] and "field_r2_h0" in fig4["caption"]
    assert sorted(seen["categories"])[0] == "1. Verdict"


def test_same_config_and_seed_give_identical_bytes(finished, tmp_path):
    res = _run(tmp_path, *TARGETS)
    assert res.returncode == 0, res.stderr[-3000:]
    a, b = _products(finished), _products(tmp_path)
    assert a.keys() == b.keys()
    differ = [k for k in a if a[k] != b[k]]
    assert not differ, differ


def test_a_different_seed_gives_different_samples(finished, tmp_path):
    res = _run(tmp_path, "results/samples/ising.npz", options=("--config", "seed=8"))
    assert res.returncode == 0, res.stderr[-3000:]
    assert (tmp_path / "results/samples/ising.npz").read_bytes() != (finished / "results/samples/ising.npz").read_bytes()


def test_sigkill_then_rerun_completes_with_identical_results(finished, tmp_path):
    exe = [sys.executable, "-m", "snakemake"]
    cmd = exe + ["-s", str(REPO / "Snakefile"), "-d", str(tmp_path), *TARGETS, "--cores", "2", "--configfile", str(SMALL)]
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    # Kill the whole process group once some Θ-RBMs exist, i.e. in the middle of training.
    deadline = time.time() + 900
    while time.time() < deadline and proc.poll() is None:
        if len(list((tmp_path / "results").rglob("theta_*.npz"))) >= 3:
            break
        time.sleep(0.5)
    assert proc.poll() is None, "the run finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (tmp_path / "results/metrics.csv").exists()
    # A hard kill leaves Snakemake's lock behind; releasing it is the documented first step.
    assert _run(tmp_path, options=("--unlock",)).returncode == 0
    res = _run(tmp_path, *TARGETS)
    assert res.returncode == 0, res.stderr[-3000:]
    a, b = _products(finished), _products(tmp_path)
    assert a.keys() == b.keys()
    assert not [k for k in a if a[k] != b[k]]


def test_adding_a_grid_point_reruns_only_what_it_needs(finished, tmp_path):
    config = yaml.safe_load(SMALL.read_text())
    config["grid"].append({"model": "ising", "L_V": [4], "N_h": [2], "L_B": [2], "L_E": 2, "estimator": ["jensen"]})
    cfg = tmp_path / "more.yaml"
    cfg.write_text(yaml.safe_dump(config))
    res = run_snakemake([*TARGETS, "-n", "--quiet", "rules", "--cores", "2", "--configfile", str(cfg)], cwd=finished)
    assert res.returncode == 0, res.stderr
    text = res.stdout + res.stderr
    jobs = {line.split()[0]: int(line.split()[1]) for line in text.splitlines()
            if len(line.split()) == 2 and line.split()[1].isdigit()}
    # The new point: one filter, its evaluation; the shared Θ-RBMs and samples are reused.
    assert jobs.get("train_rsmi") == 1 and jobs.get("evaluate_run") == 1, text
    for rule in ("sample", "train_theta", "train_cd_rbm", "baselines", "numba_warmup"):
        assert rule not in jobs, (rule, text)


# --- Bad input: a damaged .npz on disk (bit rot, a full disk, a file from elsewhere) ----------
#
# Each case damages one file of a finished run, keeping its modification time so Snakemake has
# no reason to redo it (the damage is silent), deletes the outputs of the rule that reads it,
# and asks for them and every product again. The consuming rule must fail with a message naming the
# file and what is wrong, and nothing else in results/ may be written or changed.

ISING_THETA = "results/theta/dataset~ising/L_V~2/L_B~1/L_E~1"
DIMER_THETA = "results/theta/dataset~dimer/L_V~8/L_B~4/L_E~4"
ISING_RUN = "results/runs/model~ising/L_V~2/N_h~1/L_B~1/L_E~1/estimator~jensen"
DIMER_RUN = "results/runs/model~dimer/L_V~8/N_h~2/L_B~4/L_E~4/estimator~variational"


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _garble(path: Path) -> None:
    data = bytearray(path.read_bytes())
    i = len(data) // 3
    data[i:i + 16] = bytes(16)
    path.write_bytes(bytes(data))


def _replace_with_samples(path: Path) -> None:
    # A valid .npz of the wrong kind, e.g. a file copied to the wrong place.
    results = next(p for p in path.parents if p.name == "results")
    shutil.copyfile(results / "samples" / "ising.npz", path)


def _nan_weights(path: Path) -> None:
    # A well-formed archive whose filter diverged to NaN (save does not validate; load does).
    r = FilterResult.load(path)
    r.weights[:] = np.nan
    r.save(path)


BAD_INPUTS = {
    # id: (damaged file, damage, consuming rule, its outputs to delete, expected message)
    "samples-truncated": ("results/samples/ising.npz", _truncate, "train_theta",
                          [f"{ISING_THETA}/theta_ve.npz", f"{ISING_THETA}/theta_ve_curve.csv"],
                          "not a readable .npz archive (BadZipFile: File is not a zip file)"),
    "samples-garbled": ("results/samples/dimer.npz", _garble, "train_theta",
                        [f"{DIMER_THETA}/theta_v.npz", f"{DIMER_THETA}/theta_v_curve.csv"],
                        "not a readable .npz archive (BadZipFile: Bad CRC-32"),
    "theta-truncated": (f"{ISING_THETA}/theta_ve.npz", _truncate, "train_rsmi",
                        [f"{ISING_RUN}/rsmi.npz"], "not a readable .npz archive"),
    "theta-wrong-kind": (f"{ISING_THETA}/theta_v.npz", _replace_with_samples, "train_rsmi",
                         [f"{ISING_RUN}/rsmi.npz"], "missing array(s) weights, visible_bias"),
    "rsmi-garbled": (f"{DIMER_RUN}/rsmi.npz", _garble, "evaluate_run",
                     [f"{DIMER_RUN}/metrics.csv", f"{DIMER_RUN}/mi.csv"], "Bad CRC-32"),
    "rsmi-nan": (f"{ISING_RUN}/rsmi.npz", _nan_weights, "evaluate_run",
                 [f"{ISING_RUN}/metrics.csv", f"{ISING_RUN}/mi.csv"],
                 "inconsistent filter result (weights contain non-finite values)"),
    "cd-rbm-truncated": ("results/cd_rbm/n_hidden~4/rbm.npz", _truncate, "evaluate_cd_rbm",
                         ["results/cd_rbm/n_hidden~4/metrics.csv", "results/cd_rbm/n_hidden~4/mi.csv"],
                         "not a readable .npz archive"),
}


def _state(root: Path) -> dict[str, tuple[int, int]]:
    """(mtime, size) of every product under results/ (benchmark records and caches aside)."""
    skip = {"benchmarks", ".cache"}
    return {str(p.relative_to(root)): (p.stat().st_mtime_ns, p.stat().st_size)
            for p in (root / "results").rglob("*") if p.is_file() and not skip & set(p.relative_to(root).parts)}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_a_damaged_npz_stops_its_consumer_and_nothing_downstream(finished, tmp_path, case):
    victim, damage, rule, outputs, message = BAD_INPUTS[case]
    root = tmp_path / "copy"
    shutil.copytree(finished, root, symlinks=True)
    path = root / victim
    stat = path.stat()
    damage(path)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    for out in outputs:
        (root / out).unlink()
    before = _state(root)
    res = _run(root, *outputs, *TARGETS)
    text = res.stdout + res.stderr
    assert res.returncode != 0, text[-3000:]
    assert f"Error in rule {rule}" in text, text[-3000:]
    # The message names the file (as the rule's input) and what is wrong with it.
    assert f"CorruptFileError: {victim}: " in text and message in text, text[-3000:]
    assert "to remake it, delete it and run the same snakemake command again" in text
    after = _state(root)
    assert after == before, sorted(set(after.items()) ^ set(before.items()))
    assert not any((root / out).exists() for out in outputs)


# --- issue 28: nothing lost, nothing silently dropped ------------------------------------------


def _identical_to(finished, root):
    """Every product of the finished run is in ``root`` with the same bytes (``root`` may also hold
    the Θ-RBM curve plots, which `rule all` draws and the finished run's targets leave out)."""
    a, b = _products(finished), _products(root)
    assert a.keys() <= b.keys(), sorted(set(a) - set(b))
    assert all(k.endswith("_curve.png") for k in set(b) - set(a)), sorted(set(b) - set(a))
    differ = [k for k in a if a[k] != b[k]]
    assert not differ, differ


def _run_all(root):
    """The README's command (`rule all`, the default target); on the small config its check
    fails by design, so --keep-going and the check must be the only failing job."""
    res = _run(root, options=("--keep-going",))
    text = res.stdout + res.stderr
    assert res.returncode != 0 and "Error in rule check" in text, text[-3000:]
    assert text.count("Error in rule ") == 1, text[-3000:]
    return text


def test_deleted_intermediate_files_are_remade_by_the_same_command(finished, tmp_path):
    """After a clean run, the samples, a Θ-RBM, a filter, a CD-RBM and a run's table deleted: the
    same command remakes them and everything made from them, byte-identically (before, the dry
    run planned only `check` and `all`: Snakemake does not remake a missing intermediate file
    whose consumers look up to date unless it is a target)."""
    root = tmp_path / "copy"
    shutil.copytree(finished, root, symlinks=True)
    assert _run(root, options=("--keep-going",)).returncode != 0  # the curve plots; the check fails by design
    for victim in ("results/samples/ising.npz", f"{ISING_RUN}/rsmi.npz", f"{ISING_THETA}/theta_v.npz",
                   "results/cd_rbm/n_hidden~4/rbm.npz", f"{DIMER_RUN}/metrics.csv"):
        (root / victim).unlink()
    res = _run(root, options=("-n", "--quiet", "rules"))
    plan = res.stdout + res.stderr
    for rule in ("sample", "train_theta", "train_rsmi", "evaluate_run", "train_cd_rbm", "metrics_table"):
        assert f"\n{rule} " in plan, (rule, plan[-3000:])
    _run_all(root)
    _identical_to(finished, root)


def test_a_damaged_samples_file_is_refused_and_the_advice_remakes_everything(finished, tmp_path):
    """The README's recovery advice, followed: the damaged file (modified now, as a real damage
    would be) stops its consumers naming the file and the command; the failed run deletes the
    outputs of the jobs it started, and the advised command remakes all of it byte-identically."""
    root = tmp_path / "copy"
    shutil.copytree(finished, root, symlinks=True)
    _truncate(root / "results/samples/ising.npz")
    res = _run(root)
    text = res.stdout + res.stderr
    assert res.returncode != 0
    assert "CorruptFileError: results/samples/ising.npz: not a readable .npz archive" in text, text[-3000:]
    assert "to remake it, delete it and run the same snakemake command again" in text
    (root / "results/samples/ising.npz").unlink()
    _run_all(root)
    _identical_to(finished, root)


def _cut_lines(path, n):
    path.write_text("".join(path.read_text().splitlines(keepends=True)[:n]))


# issue 28's reproductions: (table, damage, words of the error). Before, each gave no error (the
# run's rows were dropped: claims 163 -> 161, -> 158) or a late error naming no file.
BAD_TABLES = {
    "mi-emptied": (f"{ISING_RUN}/mi.csv", lambda p: p.write_text(""), "mi_table", "empty file"),
    "metrics-5-lines": (f"{DIMER_RUN}/metrics.csv", lambda p: _cut_lines(p, 5), "metrics_table",
                        "claim(s) its run must have"),
    "mi-half": (f"{DIMER_RUN}/mi.csv", _truncate, "mi_table", "the file is cut short"),
    "metrics-half": (f"{ISING_RUN}/metrics.csv", _truncate, "metrics_table", "the file is cut short"),
}


@pytest.mark.parametrize("case", list(BAD_TABLES))
def test_a_damaged_table_is_refused_naming_the_file_and_remade(finished, tmp_path, case):
    victim, damage, rule, words = BAD_TABLES[case]
    root = tmp_path / "copy"
    shutil.copytree(finished, root, symlinks=True)
    damage(root / victim)
    res = _run(root)
    text = res.stdout + res.stderr
    assert res.returncode != 0
    assert f"Error in rule {rule}" in text, text[-3000:]
    assert f"TableError: {victim}: " in text and words in text, text[-3000:]
    assert "to remake it, delete it and run the same snakemake command again" in text
    (root / victim).unlink()
    _run_all(root)
    _identical_to(finished, root)


def test_the_claims_in_the_small_run_are_exactly_the_expected_ones(finished):
    """rsmi.judge.claims (what the check rule expects) against the rows the producers wrote."""
    import pandas as pd
    from snakemake.utils import validate

    from rsmi.judge.claims import expected_claims, source_claims
    from rsmi.config import expand_grid

    # Snakemake reads the --configfile alone (not the Snakefile's configfile) and fills the
    # schema's defaults
    config = yaml.safe_load(SMALL.read_text())
    validate(config, str(REPO / "workflow/schemas/config.schema.yaml"))
    grid = expand_grid(config)
    table = pd.read_csv(finished / "results/metrics.csv", keep_default_na=False, dtype=str)
    gated = table[table.gate == "True"]
    assert sorted(map(tuple, gated[["run", "figure", "criterion"]].values.tolist())) == sorted(
        expected_claims(config, grid))
    for path, (run, claims) in source_claims(config, grid).items():
        rows = pd.read_csv(finished / "results" / path, keep_default_na=False, dtype=str)
        assert set(rows.run) == {run}
        assert sorted(map(tuple, rows[rows.gate == "True"][["figure", "criterion"]].values.tolist())) == sorted(claims)


def test_check_rule_names_a_missing_or_an_unexpected_claim(finished, tmp_path):
    def one_claim_lost(df):
        lost = df.index[df.gate == "True"][3]
        return df.drop(index=lost)

    import pandas as pd

    table = pd.read_csv(finished / "results/metrics.csv", keep_default_na=False, dtype=str)
    lost = table[table.gate == "True"].iloc[3]
    work, res = _check_with(finished, tmp_path, one_claim_lost)
    text = res.stdout + res.stderr
    assert res.returncode != 0
    assert "1 of the 233 claims the configuration must produce are missing" in text, text[-3000:]
    assert f"missing claim: {lost.run} [{lost.figure}] {lost.criterion}" in text

    def one_claim_more(df):
        extra = df.index[(df.gate == "False") & (df.op != "") & (df.kind == "report")][0]
        df.loc[extra, ["gate", "kind"]] = ["True", "claim"]
        return df

    work, res = _check_with(finished, tmp_path / "more", one_claim_more)
    text = res.stdout + res.stderr
    assert res.returncode != 0 and "0 of the 233 claims" in text and "1 are not expected" in text, text[-3000:]
    assert "unexpected claim: " in text
