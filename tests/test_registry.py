"""rsmi.registry: which run feeds which figure, and which criteria apply to which run."""

from pathlib import Path

import pandas as pd
import pytest

from rsmi.config import expand_grid, load_config
from rsmi.registry import (
    FIG2_RUNS,
    FIG5_RUN,
    REQUIRED_RUNS,
    criteria_groups,
    figure_rows,
    is_figure_run,
    is_paper_window,
    paper_window,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def grid():
    return expand_grid(load_config(ROOT / "config.yaml"))


def test_paper_window():
    assert paper_window(6) == {"L_B": 3, "L_E": 3}
    assert is_paper_window(dict(L_V=4, L_B=2, L_E=2))
    assert not is_paper_window(dict(L_V=4, L_B=2, L_E=1))
    assert not is_paper_window(dict(L_V=4, L_B=0, L_E=2))
    assert not is_paper_window(dict(L_V=3, L_B=1, L_E=1))  # odd blocks have no half-width window


def test_fig2_rows_are_the_five_panels_in_order(grid):
    rows = figure_rows(grid, "fig2")
    assert list(zip(rows.L_V, rows.N_h)) == list(FIG2_RUNS)
    assert set(rows.model) == {"ising"} and set(rows.estimator) == {"jensen"}
    assert all(is_paper_window(r) for r in rows.to_dict("records"))


def test_fig5_is_one_run(grid):
    rows = figure_rows(grid, "fig5")
    assert len(rows) == 1 and (int(rows.L_V.iloc[0]), int(rows.N_h.iloc[0])) == FIG5_RUN


def test_fig4_rows_are_every_dimer_run_of_the_block_at_the_paper_window(grid):
    rows = figure_rows(grid, "fig4")
    want = grid[(grid.model == "dimer") & (grid.L_V == 8) & (grid.L_B == 4) & (grid.L_E == 4)]
    pd.testing.assert_frame_equal(rows, want)
    assert set(rows.N_h) == {2, 4} and set(rows.estimator) == {"jensen", "variational", "exact"}


def test_figure_rows_names_what_is_missing(grid):
    with pytest.raises(ValueError, match=r"\(6, 1\)"):
        figure_rows(grid[~((grid.L_V == 6) & (grid.model == "ising"))], "fig5")
    with pytest.raises(ValueError, match="fig2"):
        figure_rows(grid, "fig3")


def test_figure_runs_are_the_rows_figures_read(grid):
    drawn = pd.concat([figure_rows(grid, f) for f in ("fig2", "fig4", "fig5")]).drop_duplicates()
    flagged = grid[grid.apply(is_figure_run, axis=1)]
    assert sorted(map(tuple, drawn.values.tolist())) == sorted(map(tuple, flagged.values.tolist()))


def test_required_runs_are_figure_runs():
    for _, model, L_V, N_h, est in REQUIRED_RUNS:
        row = dict(model=model, L_V=L_V, N_h=N_h, **paper_window(L_V), estimator=est or "variational")
        assert is_figure_run(row), row
    assert [r[0] for r in REQUIRED_RUNS] == ["Fig. 2A", "Fig. 2B", "Fig. 2C", "Fig. 2D", "Fig. 2E/5", "Fig. 4", "Fig. 4"]


@pytest.mark.parametrize(
    "kind, L_V, n_h, groups",
    [
        ("ising", 2, 1, ("2A",)),
        ("ising", 2, 4, ("2B",)),
        ("ising", 2, 2, ()),
        ("ising", 3, 1, ("2C-E",)),
        ("ising", 4, 4, ("2C-E",)),
        ("ising", 6, 1, ("2C-E", "5")),
        ("ising", 6, 2, ("2C-E",)),
        ("dimer", 8, 2, ("4",)),
        ("cd", 8, 32, ("6",)),
    ],
)
def test_criteria_groups(kind, L_V, n_h, groups):
    assert criteria_groups(kind, L_V, n_h) == groups


def test_criteria_groups_rejects_unknown_kinds():
    with pytest.raises(ValueError, match="kind"):
        criteria_groups("potts", 2, 1)


def test_fig5_snapshot_epochs_have_one_home(grid):
    """Fig. 5's snapshot epochs are set in rsmi.registry; the default config's Fig. 5 run records
    λ at every one of them, the trainer's default is that tuple, and the figure and its criterion
    read it from there."""
    import inspect

    from rsmi.coarse.network import train_rsmi
    from rsmi.config import run_settings
    from rsmi.figures.plotting import plot_history_with_snapshots
    from rsmi.judge.metrics import snapshots_present
    from rsmi.registry import FIG5_SNAPSHOT_EPOCHS

    config = load_config(ROOT / "config.yaml")
    L_V, N_h = FIG5_RUN
    rows = grid[(grid.model == "ising") & (grid.estimator == "jensen") & (grid.L_V == L_V) & (grid.N_h == N_h)
                & (grid.L_B == L_V // 2) & (grid.L_E == L_V // 2)]
    assert len(rows) == 1
    spec = run_settings(config, rows.iloc[0])
    assert set(FIG5_SNAPSHOT_EPOCHS) <= set(spec["snapshot_epochs"])
    assert spec["n_epochs"] >= max(FIG5_SNAPSHOT_EPOCHS)
    for fn, arg in ((train_rsmi, "snapshot_epochs"), (plot_history_with_snapshots, "epochs"),
                    (snapshots_present, "required")):
        assert inspect.signature(fn).parameters[arg].default is FIG5_SNAPSHOT_EPOCHS, fn.__name__
