"""Which run feeds which figure, and which criteria apply to which run: one place for both.

Every consumer reads this module and nothing else for these decisions:

* :func:`rsmi.config.check_config` — the grid must hold every run of :data:`REQUIRED_RUNS` when the
  paper's figures are requested (:func:`paper_figures`; a grid of the user's own data has none);
* the Snakemake input functions (``workflow/rules/common.smk``) — :func:`figure_rows` gives
  the runs a figure rule reads, and the run ids reach the figure scripts as rule params;
* :func:`rsmi.judge.metrics.criteria_rows` — :func:`criteria_groups` says which figure's criteria
  apply to a run, and only figure runs (:func:`is_figure_run`) are judged by them;
* the plots and criteria of Fig. 5 — :data:`FIG5_SNAPSHOT_EPOCHS`.

The paper draws its filters on the *paper window*: buffer and environment as wide as half the
block, ``L_B = L_E = L_V / 2`` (the window is three times the block).
"""

from __future__ import annotations

from typing import Any, Mapping

import pandas as pd

__all__ = [
    "run_wildcards",
    "CRITERIA_GROUPS",
    "FIG2_RUNS",
    "FIG4_BLOCK",
    "FIG4_REQUIRED_N_H",
    "FIG5_RUN",
    "FIG5_SNAPSHOT_EPOCHS",
    "REQUIRED_RUNS",
    "cd_rbm_units",
    "criteria_groups",
    "figure_rows",
    "is_figure_run",
    "is_paper_window",
    "paper_figures",
    "paper_window",
]

#: Fig. 2's Ising runs (estimator jensen), in the order of its rows A–E: (L_V, N_h).
FIG2_RUNS: tuple[tuple[int, int], ...] = ((2, 1), (2, 4), (4, 1), (4, 4), (6, 1))
#: Fig. 4's dimer block (fat units): every N_h and estimator of the grid at the paper window is
#: drawn, one panel per N_h; N_h 2 and 4 are required.
FIG4_BLOCK = 8
FIG4_REQUIRED_N_H = (2, 4)
#: Fig. 5's Ising run (estimator jensen): (L_V, N_h), and the epochs whose filters it shows.
FIG5_RUN = (6, 1)
FIG5_SNAPSHOT_EPOCHS = (0, 10, 100, 190)

#: Runs the grid must contain: (figure, model, L_V, N_h, estimator or None for any), each at
#: the paper window.
REQUIRED_RUNS: tuple[tuple[str, str, int, int, str | None], ...] = (
    *((f"Fig. 2{p}" + ("/5" if (L, n) == FIG5_RUN else ""), "ising", L, n, "jensen")
      for p, (L, n) in zip("ABCDE", FIG2_RUNS)),
    *(("Fig. 4", "dimer", FIG4_BLOCK, n, None) for n in FIG4_REQUIRED_N_H),
)

#: Criteria groups of :func:`rsmi.judge.metrics.criteria_rows`, one per figure (panel).
CRITERIA_GROUPS = ("2A", "2B", "2C-E", "4", "5", "6")


def run_wildcards(run: str) -> dict[str, str] | None:
    """A run id ``model~ising/L_V~2/…/estimator~jensen`` (the grid's Paramspace pattern) as its
    wildcards in order, ``{"model": "ising", "L_V": "2", …}``; None for an id of another form
    (``rg``, ``cd_rbm/n_hidden~4``, …: a part without ``~``)."""
    parts = [p.split("~", 1) for p in str(run).split("/")]
    return dict(parts) if all(len(kv) == 2 for kv in parts) else None


def paper_figures(config: Mapping[str, Any]) -> bool:
    """Whether the paper's figures are requested: config key ``paper`` (default true).

    With ``paper: false`` ("my data only", README "Your own data") the grid need not hold
    :data:`REQUIRED_RUNS`, no run is a figure run (no figure's criteria are applied to it), the
    CD-RBMs of Fig. 6 are not trained and the paper's figures are not drawn; every run still gets its
    null tests, its MI estimate, its tables and its own filter plot."""
    return bool(config.get("paper", True))


def cd_rbm_units(config: Mapping[str, Any]) -> list[int]:
    """Hidden units of the CD-trained RBMs of Fig. 6 (``cd_rbm.n_hidden``): none unless the paper's
    figures are requested."""
    cd = config.get("cd_rbm")
    return [int(n) for n in cd["n_hidden"]] if cd and paper_figures(config) else []


def paper_window(L_V: int) -> dict[str, int]:
    """``{"L_B": L_V // 2, "L_E": L_V // 2}``: the buffer and environment of the paper's figures."""
    return {"L_B": int(L_V) // 2, "L_E": int(L_V) // 2}


def is_paper_window(row: Mapping[str, Any]) -> bool:
    """Whether a grid row has an even block and ``L_B = L_E = L_V / 2``."""
    return row["L_V"] % 2 == 0 and row["L_B"] == row["L_E"] == row["L_V"] // 2


def is_figure_run(row: Mapping[str, Any]) -> bool:
    """Whether a grid row is one the paper's figures are drawn from: a Fig. 2/5 Ising run
    (estimator jensen) or a Fig. 4 dimer run (any N_h and estimator), at the paper window."""
    if not is_paper_window(row):
        return False
    if row["model"] == "dimer":
        return row["L_V"] == FIG4_BLOCK
    return row["estimator"] == "jensen" and (row["L_V"], row["N_h"]) in FIG2_RUNS


def figure_rows(grid: pd.DataFrame, figure: str) -> pd.DataFrame:
    """The grid rows (columns model, L_V, N_h, L_B, L_E, estimator) figure rule ``figure``
    reads, in its panel order: ``"fig2"`` (rows A–E), ``"fig4"`` (every dimer run of the
    block at the paper window, grid order) or ``"fig5"``."""
    at_window = grid[grid.apply(is_paper_window, axis=1)] if len(grid) else grid
    if figure == "fig4":
        return at_window[(at_window.model == "dimer") & (at_window.L_V == FIG4_BLOCK)]
    wanted = {"fig2": FIG2_RUNS, "fig5": (FIG5_RUN,)}.get(figure)
    if wanted is None:
        raise ValueError(f"figure must be 'fig2', 'fig4' or 'fig5', got {figure!r}")
    ising = at_window[(at_window.model == "ising") & (at_window.estimator == "jensen")]
    picked = [ising[(ising.L_V == L) & (ising.N_h == n)] for L, n in wanted]
    missing = [w for w, p in zip(wanted, picked) if len(p) != 1]
    if missing:
        raise ValueError(f"{figure} needs exactly one Ising jensen run at the paper window for (L_V, N_h) {missing}")
    return pd.concat(picked)


def criteria_groups(kind: str, L_V: int, n_h: int) -> tuple[str, ...]:
    """The criteria groups that apply to a run of ``kind`` (``"ising"``, ``"dimer"`` or ``"cd"``)
    with block ``L_V`` and ``n_h`` hidden units: ising 2A (2×2, N_h 1), 2B (2×2, N_h 4), 2C-E
    (L_V ≥ 3), 5 (6×6, N_h 1); dimer 4; cd (the CD-trained RBMs) 6."""
    if kind == "ising":
        figs = []
        if (L_V, n_h) == FIG2_RUNS[0]:
            figs.append("2A")
        if (L_V, n_h) == FIG2_RUNS[1]:
            figs.append("2B")
        if L_V >= 3:
            figs.append("2C-E")
        if (L_V, n_h) == FIG5_RUN:
            figs.append("5")
        return tuple(figs)
    if kind == "dimer":
        return ("4",)
    if kind == "cd":
        return ("6",)
    raise ValueError(f"kind must be 'ising', 'dimer' or 'cd', got {kind!r}")
