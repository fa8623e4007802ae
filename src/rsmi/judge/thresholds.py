"""Every number of the criteria (docs/method.md §6 and the issues that added criteria), in one place.

A criterion row (:func:`rsmi.judge.tables.row`) compares a value with one of these thresholds
by the 2·SE rule: pass when the value meets it by more than 2·SE, fail when it misses by more
than 2·SE, inconclusive otherwise. The modules that write the rows (``metrics``, ``nulltests``,
``torus``, :mod:`rsmi.rg.rgflow`) import their thresholds from here and define none of their own;
comparisons that are not tunable (a sign, a rise > 0, a count ≥ 1) stay in the rows.
"""

from __future__ import annotations

__all__ = ["TH_2A_RATIO", "TH_4_R2", "TH_4_NOISE_LINK", "TH_4_CANCORR", "TH_5_TAIL_FRACTION", "TH_5_SPREAD",
           "TH_6_NOISE_SHARE", "TH_MI_Z", "TH_MI_REL_SE", "NOISE_TOLERANCE", "TH_TORUS_REL", "TH_TORUS_DELTA",
           "TH_TORUS_CHI2_P", "TH_7_Y_T", "TH_7_Y_H"]

# Figures 2, 4, 5, 6 and the MI estimates (rsmi.judge.metrics)
TH_2A_RATIO = 1.1  # Fig. 2A: max|λ| / min|λ| ≤ 1.1
TH_4_R2 = 0.7  # Fig. 4: R²(E) of every filter ≥ 0.7
TH_4_NOISE_LINK = 0.1  # Fig. 4: weight² on noise sites / on link sites ≤ 0.1
TH_4_CANCORR = 0.9  # Fig. 4: canonical correlation with the field ≥ 0.9
TH_5_TAIL_FRACTION = 0.1  # Fig. 5: the last 10 % of epochs ...
TH_5_SPREAD = 0.05  # ... vary by < 5 % of the rise of A_Λ
TH_6_NOISE_SHARE = 0.5  # Fig. 6A: ≥ 50 % of the CD-RBM's weight² on noise sites
TH_MI_Z = -2.0  # a lower bound on I(H:E) below 0 by more than 2·SE is a defect of the estimate
TH_MI_REL_SE = 0.1  # every MI estimate's SE ≤ 10% of the largest value of its panel (model)

# Null tests (rsmi.judge.nulltests, docs/method.md §4b)
NOISE_TOLERANCE = 0.01  # nats: largest score of a noise-only filter, and of a paramagnet across a buffer

# Estimators against the exact torus (rsmi.judge.torus, issue 13)
TH_TORUS_REL = 0.05  # |Î − I| ≤ max(5 % of I, 2·SE) at every L_B; weighted mean deviation ≤ 5 %
TH_TORUS_DELTA = 0.01  # Δ_σ within 0.01 of 1/8
TH_TORUS_CHI2_P = 0.01  # joint χ² of (Î − I)/SE over the buffer widths: p ≥ 0.01

# Fig. 7 (rsmi.rg.rgflow): y_t = 1.00 ± 0.03 and y_h = 1.875 ± 0.01 (2·SE rule)
TH_7_Y_T = 0.03
TH_7_Y_H = 0.01
