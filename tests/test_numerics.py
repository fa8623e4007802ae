"""rsmi.utils.numerics against SciPy's logsumexp (the slow, obviously correct twin)."""

import numpy as np
import pytest
from scipy.special import logsumexp as scipy_logsumexp

from rsmi.utils.numerics import _LONG_REST, _SHORT_AXIS, log_softmax, logsumexp, softplus


@pytest.mark.parametrize(
    "shape, axis",
    [
        ((7,), None), ((7,), 0), ((5, 7), None), ((5, 7), 0), ((5, 7), 1), ((5, 7), -1),
        ((2, 3, 4), 1), ((2, 3, 4), (1, 2)),
        # the column-by-column path: a short reduced axis of a long array, both orientations
        ((_LONG_REST + 3, 2), 1), ((_LONG_REST, _SHORT_AXIS), -1), ((3, _LONG_REST * 2), 0),
        # just past the short-axis limit: NumPy's own reduction
        ((_LONG_REST, _SHORT_AXIS + 1), 1),
    ],
)
@pytest.mark.parametrize("keepdims", [False, True])
def test_logsumexp_matches_scipy(shape, axis, keepdims):
    a = np.random.default_rng(sum(shape)).normal(scale=30.0, size=shape)
    got = logsumexp(a, axis=axis, keepdims=keepdims)
    want = scipy_logsumexp(a, axis=axis, keepdims=keepdims)
    assert np.shape(got) == np.shape(want)
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-12)


def test_logsumexp_scalar_results_are_floats():
    assert isinstance(logsumexp(np.arange(3.0)), float)
    assert isinstance(logsumexp(np.arange(3.0), axis=0), float)


@pytest.mark.parametrize("n_rows", [4, _LONG_REST])
def test_logsumexp_non_finite_rows(n_rows):
    """An all −∞ row gives −∞, a +∞ entry +∞, NaN propagates; no warnings (both paths)."""
    special = np.array([[-np.inf, -np.inf], [0.0, np.inf], [1.0, np.nan], [-np.inf, 3.0]])
    a = np.zeros((n_rows, 2))
    a[:4] = special
    with np.errstate(all="raise"):
        got = logsumexp(a, axis=1)
    np.testing.assert_array_equal(got[:4], [-np.inf, np.inf, np.nan, 3.0])
    np.testing.assert_allclose(got[4:], np.log(2.0))


def test_logsumexp_large_values_do_not_overflow():
    a = np.array([[1000.0, 1000.0], [-1000.0, -1000.0]])
    np.testing.assert_allclose(logsumexp(a, axis=1), [1000.0 + np.log(2), -1000.0 + np.log(2)])


@pytest.mark.parametrize("shape", [(6, 4), (_LONG_REST, 4)])
def test_log_softmax_normalises(shape):
    u = np.random.default_rng(3).normal(scale=10.0, size=shape)
    logr = log_softmax(u, axis=1)
    np.testing.assert_allclose(np.exp(logr).sum(axis=1), 1.0, rtol=1e-13)
    np.testing.assert_allclose(logr, u - scipy_logsumexp(u, axis=1, keepdims=True), atol=1e-12)


def test_softplus_against_scalar_closed_form():
    """softplus(z) = log(1 + e^z): the scalar math.log1p(math.exp(z)) where it cannot overflow,
    z + e^{−z} above and e^{z} below (first terms of the expansions, exact in float64 there)."""
    import math

    z = np.concatenate([np.linspace(-30.0, 30.0, 601), [-745.0, -60.0, 60.0, 700.0, 1e4]])
    got = softplus(z)
    want = np.array([math.log1p(math.exp(x)) if abs(x) <= 30 else (x + math.exp(-x) if x > 0 else math.exp(x))
                     for x in z])
    np.testing.assert_allclose(got, want, rtol=2e-16 * 4, atol=0.0)
    assert np.all(np.isfinite(softplus(np.array([-1e308, 1e308]))))


def test_one_softplus_and_one_free_energy_in_the_package():
    """Every NumPy softplus and every RBM free energy F(x) is the one in utils.numerics and
    theta.partition (the numba kernels' inline ``_softplus`` is the kernels' own)."""
    import re

    from conftest import REPO

    defs = {}
    for path in sorted((REPO / "src" / "rsmi").rglob("*.py")):
        for m in re.finditer(r"^\s*def (softplus\w*|free_energy\w*)\(", path.read_text(), re.M):
            defs.setdefault(m.group(1), []).append(path.relative_to(REPO / "src").as_posix())
    assert defs.pop("softplus") == ["rsmi/utils/numerics.py"]
    assert defs.pop("free_energy") == ["rsmi/theta/partition.py", "rsmi/theta/rbm.py"]  # RBM's method delegates
    assert set(defs) <= {"free_energy_v"}, defs
    inline = [path.relative_to(REPO / "src").as_posix() for path in sorted((REPO / "src" / "rsmi").rglob("*.py"))
              if re.search(r"logaddexp\(\s*0", path.read_text()) or re.search(r"log1p\(\s*np\.exp", path.read_text())]
    assert inline == ["rsmi/utils/numerics.py"], inline  # no private softplus written inline either
