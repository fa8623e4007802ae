"""rsmi.utils.schedules: the one learning-rate function gives the same floats as the three
trainers' former inline formulas (network per epoch, RBM per update, variational per step)."""

import numpy as np
import pytest

from rsmi.utils.schedules import learning_rate_at


def test_network_schedules_per_epoch():
    for epoch in range(1, 30):
        assert learning_rate_at("constant", 0.3, epoch - 1, decay=0.1) == 0.3
        assert learning_rate_at("inverse_time", 0.3, epoch - 1, decay=0.1) == 0.3 / (1.0 + 0.1 * (epoch - 1))
        assert learning_rate_at("exponential", 0.3, epoch - 1, decay=0.9) == 0.3 * 0.9 ** (epoch - 1)


def test_rbm_linear_schedule_per_update():
    T = 37
    t = np.arange(T, dtype=np.float64)
    got = learning_rate_at("linear", 0.05, t, T, final_fraction=0.1)
    np.testing.assert_array_equal(got, 0.05 * (1.0 - (1.0 - 0.1) * t / T))
    np.testing.assert_array_equal(learning_rate_at("constant", 0.05, t, T), np.full(T, 0.05))
    assert learning_rate_at("constant", 0.05, np.arange(0, dtype=np.float64), 0).shape == (0,)


def test_variational_cosine_schedule_per_step():
    total = 50
    for step in range(total):
        assert learning_rate_at("cosine", 0.01, step, total) == 0.01 * 0.5 * (1.0 + np.cos(np.pi * step / total))
    assert learning_rate_at("constant", 0.01, 7, total) == 0.01


def test_unknown_schedule_is_named():
    with pytest.raises(ValueError, match="'warm'"):
        learning_rate_at("warm", 0.1, 0, 1)
