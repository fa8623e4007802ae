"""rsmi.utils.validation: the shared input checks name the argument and the expected shape, and accept
exactly the inputs the estimators are documented to take (killing the survivors of docs/mutation.md)."""

import math
from types import SimpleNamespace

import numpy as np
import pytest

from rsmi.theta.parts import theta_arrays
from rsmi.utils.validation import as_filter, check_filter, check_real, check_windows, is_real, square_block


def _theta(n_v, n_h, a=None, c=None):
    return SimpleNamespace(weights_=np.zeros((n_v, n_h)), visible_bias_=np.zeros(n_v) if a is None else a,
                           hidden_bias_=np.zeros(n_h) if c is None else c)


def test_theta_with_one_hidden_unit_is_accepted():
    W, a, c = theta_arrays(_theta(4, 1), 4, "theta_v")
    assert W.shape == (4, 1) and a.shape == (4,) and c.shape == (1,)


def test_theta_bias_shapes_are_checked_by_name():
    with pytest.raises(ValueError, match=r"theta_v\.visible_bias_ must have shape \(4,\)"):
        theta_arrays(_theta(4, 3, a=np.zeros(5)), 4, "theta_v")
    with pytest.raises(ValueError, match=r"theta_v\.hidden_bias_ must have shape \(3,\)"):
        theta_arrays(_theta(4, 3, c=np.zeros(2)), 4, "theta_v")


@pytest.mark.parametrize("V", [np.zeros(4), np.zeros((0, 4)), np.zeros((3, 0))], ids=["1-d", "no rows", "no columns"])
def test_windows_V_must_be_non_empty_2d(V):
    with pytest.raises(ValueError, match="V must be a non-empty 2-D array"):
        check_windows(V, np.zeros((max(V.shape[0], 1) if V.ndim == 2 else 4, 2)))


@pytest.mark.parametrize("E", [np.zeros(3), np.zeros((3, 0))], ids=["1-d", "no columns"])
def test_windows_E_must_be_2d_with_columns(E):
    with pytest.raises(ValueError, match="E must be a 2-D array"):
        check_windows(np.zeros((3, 2)), E)


def test_windows_single_columns_are_accepted():
    V, E = check_windows(np.ones((3, 1), dtype=np.int8), np.zeros((3, 1), dtype=bool))
    assert V.shape == (3, 1) and E.shape == (3, 1) and V.dtype == E.dtype == np.float64


@pytest.mark.parametrize("dtype", [complex, object])
def test_windows_must_hold_real_binary_numbers(dtype):
    with pytest.raises(TypeError, match="binary numbers"):
        check_windows(np.ones((2, 2), dtype=dtype), np.ones((2, 2)))


@pytest.mark.parametrize("x,expected", [(1, True), (0.5, True), (True, False), (float("nan"), False),
                                        (math.inf, False), ("1", False), (None, False)])
def test_is_real(x, expected):
    assert is_real(x) is expected


def test_filter_shapes():
    w, b = check_filter(np.ones((2, 2, 3)), np.zeros(3), 4)
    assert w.shape == (4, 3)
    with pytest.raises(ValueError, match=r"with N_v = 4 sites"):
        check_filter(np.ones((2, 3, 1)), np.zeros(1), 4)
    with pytest.raises(ValueError, match=r"biases must have shape \(3,\)"):
        check_filter(np.ones((4, 3)), np.zeros(4), 4)


def test_as_filter_infers_the_block_and_check_filter_pins_it():
    w, b = as_filter(np.arange(12.0).reshape(2, 2, 3), np.zeros(3))
    assert w.shape == (4, 3) and w[1, 0] == 3.0  # row-major: weights[0, 1] is site 1
    with pytest.raises(ValueError, match=r"weights must have shape \(L_V, L_V, N_h\) or \(N_v, N_h\), got"):
        as_filter(np.ones(4), np.zeros(1))
    with pytest.raises(ValueError, match="finite"):
        as_filter(np.full((4, 1), np.nan), np.zeros(1))


def test_square_block():
    assert square_block(16) == (4, 4) and square_block(16, (4, 4)) == (4, 4)
    with pytest.raises(ValueError, match="not a square block"):
        square_block(15)
    for bad in ((2, 8), (4.0, 4.0), (4, 4, 1)):
        with pytest.raises(ValueError, match="block_shape must be a square"):
            square_block(16, bad)


@pytest.mark.parametrize("x, allow_zero, ok", [(1, False, True), (0.0, False, False), (0.0, True, True),
                                               (-1e-9, True, False), (float("inf"), True, False), (True, True, False)])
def test_check_real(x, allow_zero, ok):
    if ok:
        assert check_real("x", x, allow_zero=allow_zero) == float(x)
    else:
        with pytest.raises(ValueError, match="x must be a"):
            check_real("x", x, allow_zero=allow_zero)


def test_block_filters_reads_every_filter_layout():
    from rsmi.utils.validation import block_filters

    lam = np.arange(8.0).reshape(2, 2, 2)
    assert block_filters(lam).shape == (2, 2, 2)
    np.testing.assert_array_equal(block_filters(lam[:, :, 0])[:, :, 0], lam[:, :, 0])  # one (L, L) filter
    # an RBM's (L², N_h) matrix acts on row-major blocks: λ[a, b, j] = W[a·L + b, j]
    W = lam.reshape(4, 2)
    np.testing.assert_array_equal(block_filters(W, rbm=True), lam)
    # (4, 4) is one 4×4 filter, or an RBM's 4 units on a 2×2 block: the caller says which
    sq = np.arange(16.0).reshape(4, 4)
    assert block_filters(sq).shape == (4, 4, 1)
    assert block_filters(sq, rbm=True).shape == (2, 2, 4)
    with pytest.raises(ValueError, match="do not form a square block"):
        block_filters(np.ones((5, 2)), rbm=True)
    with pytest.raises(ValueError, match=r"\(L_V, L_V\) or"):
        block_filters(np.ones((2, 3)))
    with pytest.raises(ValueError, match="non-finite"):
        block_filters(np.full((2, 2), np.nan))
