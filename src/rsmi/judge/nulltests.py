"""Null tests every estimator must pass (docs/method.md §4b), as tidy rows for ``results/metrics.csv``.

An *estimator* scores a fixed filter Λ = (λ, b) on windows (V, E). Scores are reported as
differences from the trivial filter λ = 0, b = 0 (which carries no information), so estimators
with an arbitrary additive constant, like A_Λ, are tested the same way as the bounds:

* ``"jensen"`` / ``"logmeanexp"`` — the paper's proxy A_Λ (or its log-mean-exp variant) from
  :func:`rsmi.coarse.network.evaluate_proxy` with the run's Θ-RBMs, evaluated on the test split;
* ``"variational"`` — :func:`rsmi.coarse.variational.score_filter`: critic fitted on the training
  split for the fixed filter, Barber–Agakov bound on the test split (soft code q_Λ);
* ``"exact"`` — I_Λ(H:E) with the exact dimer measure (:mod:`rsmi.coarse.exact_proxy`, dimers only),
  on the windows and pool pairs it is given (``pairs``); nothing is fitted, no split;
* ``"classifier"`` — :func:`rsmi.coarse.mi.estimate_mi` (hard code, docs/method.md §5);
* or any callable ``f(weights, biases, V_train, E_train, V_test, E_test, *, seed) -> (value, stderr)``.

Tests (all filters have one hidden unit):

==================  =========================  ==================================================
test                data                       passes when
==================  =========================  ==================================================
noise_only          dimer blocks with noise    score ≤ 0.01 nats, for every noise-only filter:
                                               all noise sites (equal weights), the single noise
                                               pair at the block's corner (the one nearest E),
                                               and ``n_random`` random noise-only filters
paramagnet          Ising at T = 10            score ≤ 0.01 nats for Kadanoff's majority
                                               filter and ``n_random`` random filters
shuffled            any spin data, each        score ≤ 0.01 nats for Kadanoff's majority
                    window's E taken from      filter and ``n_random`` random filters
                    another configuration
                    (:func:`shuffle_environments`)
field_beats_noise   dimer blocks with noise    score(field filter, axis a) − max over the noise
                                               filters > 0, for a = 0 and 1
==================  =========================  ==================================================

The true I(H:E) of a noise-only filter is exactly 0 (the noise pairs are independent of
everything else), a block and the environment of another configuration are independent
(the shuffled test: the null of data whose physics is unknown, e.g. a user's own samples), and
at T = 10 the correlation length is well below one lattice spacing
(tanh(1/10) ≈ 0.1 per bond), so every I(H:E) across a buffer is ≈ 0. Every row carries the
estimator's standard error and its verdict follows docs/method.md §6's 2·SE rule (rsmi.judge.tables):
"≤ 0.01" passes when value + 2·SE ≤ 0.01 and is inconclusive when the error bar straddles it.

Both tests are one-sided ("≤ 0.01", docs/method.md §6): they guard against information that is not
there. A lower bound (classifier, variational) that comes out negative is a conservative bias
of that estimate, checked where the estimates are reported (results/mi.csv), not here.

The paper's proxy (``jensen``) is scored with the pooled estimator (rsmi.coarse.pooled) on every
window given (nothing is fitted, so no split), one pool for all filters: every score and margin
has the jackknife SE of its per-window terms, so differences from λ = 0 are not drowned by the
spread of A_Λ's arbitrary e-dependent offset.

Scale. A filter's score depends on the scale of λ (λ → 0 is the trivial filter). Every test
filter is *standardised* on the data it is scored on: b = −mean(v·λ) and λ scaled so that
s = v·λ + b has standard deviation ``filter_scale`` (default 8). For a single noise pair,
s = w(x_vertex + x_face) − w has std w, so the default reproduces the "weights 8" of
docs/method.md §4b; for every filter it makes the code nearly deterministic (σ(±8) is within 3.4e-4
of 0/1 for a sample one std from the mean), i.e. the most informative version of that code,
which is where a biased estimator gains the most. The classifier is scale-free (it uses
1[s > 0] only); the centring puts its threshold at the mean of s.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable

import numpy as np

from rsmi.judge.tables import row
from rsmi.judge.thresholds import NOISE_TOLERANCE
from rsmi.utils.validation import as_samples, check_int, square_block

__all__ = [
    "ESTIMATORS",
    "DEFAULT_FILTER_SCALE",
    "standardise_filter",
    "dimer_null_filters",
    "ising_null_filters",
    "make_scorer",
    "run_null_tests",
    "shuffle_environments",
    "ISING_NULLS",
]

#: The null data of an Ising-type run: a paramagnet data set, or the run's own windows with shuffled E.
ISING_NULLS = ("paramagnet", "shuffled")

ESTIMATORS = ("jensen", "logmeanexp", "variational", "exact", "classifier")
#: Standard deviation of s = v·λ + b of every test filter over the data it is scored on.
DEFAULT_FILTER_SCALE = 8.0

#: Pool settings of the null tests: 16384 draws of Θ^V, 64 per window, 16 jackknife blocks.
POOLED_SETTINGS = dict(n_pool=16384, pairs=64, n_blocks=16, chains_per_block=64, burn_in=200, thin=10)


def standardise_filter(direction, V, scale: float = DEFAULT_FILTER_SCALE):
    """(λ, b) with λ = a·direction, b = −mean_n(v_n·λ), a > 0 such that std_n(v_n·λ + b) = scale.

    ``direction``: (L_V, L_V) or (L_V, L_V, 1); ``V``: (n, L_V²). A direction whose output is
    constant on V has nothing to standardise: ValueError.
    Returns (weights (L_V, L_V, 1), biases (1,)).
    """
    d = np.asarray(direction, dtype=np.float64)
    if d.ndim == 2:
        d = d[:, :, None]
    if d.ndim != 3 or d.shape[0] != d.shape[1] or d.shape[2] != 1:
        raise ValueError(f"direction must have shape (L_V, L_V) or (L_V, L_V, 1), got {np.shape(direction)}")
    V = np.asarray(V)
    if V.ndim != 2 or V.shape[1] != d.shape[0] ** 2:
        raise ValueError(f"V must have shape (n, {d.shape[0] ** 2}), got {V.shape}")
    if not isinstance(scale, numbers.Real) or not scale > 0:
        raise ValueError(f"scale must be a positive number, got {scale!r}")
    x = V.astype(np.float64) @ d.reshape(-1)
    sd = x.std()
    if not sd > 1e-12 * max(1.0, float(np.abs(x).max())):
        raise ValueError("the filter's output is constant on V; it cannot be standardised")
    a = scale / sd
    return d * a, np.array([-a * x.mean()])


def _check_side(L_V, even):
    L_V = check_int("L_V", L_V, 2)
    if even and L_V % 2:
        raise ValueError(f"L_V must be an even integer >= 2, got {L_V!r}")
    return L_V


def dimer_null_filters(L_V: int, *, n_random: int = 3, seed=0) -> dict[str, np.ndarray]:
    """Unscaled test directions (L_V, L_V) on a fat dimer block, by name.

    ``noise_all`` (1 on every vertex and face bit), ``noise_pair`` (1 on vertex (0,0) and its
    face (1,1)), ``noise_random<k>`` (N(0,1) on the noise bits, 0 on links), and the ideal field
    filters ``field_axis0``, ``field_axis1`` (η on the links of one axis, rsmi.sampling.dimers.field_filters).
    """
    from rsmi.sampling.dimers import fat_site_kinds, field_filters

    L_V = _check_side(L_V, even=True)
    kinds = fat_site_kinds(L_V)
    noise = np.isin(kinds, (0, 1))
    out = {"noise_all": noise.astype(np.float64)}
    pair = np.zeros((L_V, L_V))
    pair[0, 0] = pair[1, 1] = 1.0
    out["noise_pair"] = pair
    rng = np.random.default_rng(seed)
    for k in range(int(n_random)):
        w = np.zeros((L_V, L_V))
        w[noise] = rng.standard_normal(int(noise.sum()))
        out[f"noise_random{k}"] = w
    ff = field_filters(L_V)
    out["field_axis0"] = ff[:, :, 0]
    out["field_axis1"] = ff[:, :, 1]
    return out


def ising_null_filters(L_V: int, *, n_random: int = 3, seed=0) -> dict[str, np.ndarray]:
    """Unscaled test directions (L_V, L_V) on an Ising block: ``kadanoff`` (all 1) and ``random<k>``."""
    from rsmi.coarse.mi import kadanoff_filter, random_filters

    L_V = _check_side(L_V, even=False)
    out = {"kadanoff": kadanoff_filter(L_V)[0][:, :, 0]}
    rng = np.random.default_rng(seed)
    for k in range(int(n_random)):
        out[f"random{k}"] = random_filters(L_V, 1, rng)[0][:, :, 0]
    return out


def make_scorer(estimator, *, theta_v=None, theta_ve=None, proxy_kwargs=None) -> Callable:
    """The scoring function of an estimator name (see the module docstring) or a callable."""
    if callable(estimator):
        return estimator
    if estimator not in ESTIMATORS:
        raise ValueError(f"estimator must be one of {ESTIMATORS} or a callable, got {estimator!r}")
    if estimator in ("jensen", "logmeanexp"):
        if theta_v is None or theta_ve is None:
            raise ValueError(f"the {estimator!r} estimator needs the run's Θ-RBMs: pass theta_v and theta_ve")
        kw = dict(proxy_kwargs or {})

        def proxy(weights, biases, V_train, E_train, V_test, E_test, *, seed=None):
            from rsmi.coarse.network import evaluate_proxy

            # The Θ-RBMs were fitted elsewhere: nothing is fitted here, so only the test split is used.
            return evaluate_proxy(weights, biases, V_test, E_test, theta_v, theta_ve,
                                  objective=estimator, seed=seed, **kw)

        return proxy
    if estimator == "variational":
        from rsmi.coarse.variational import score_filter

        return score_filter
    if estimator == "exact":
        raise ValueError("the 'exact' estimator scores the windows of its PairedWindows: pass pairs= to run_null_tests")

    from rsmi.coarse.mi import classifier_bound

    def classifier(weights, biases, V_train, E_train, V_test, E_test, *, seed=None):
        r = classifier_bound(weights, biases, V_train, E_train, V_test, E_test, seed=seed)
        return r["mi"], r["stderr"]

    return classifier


def shuffle_environments(E, groups, seed) -> np.ndarray:
    """Environments re-paired across configurations: window i (configuration ``groups[i]``) gets the
    environment of a random window of configuration π(groups[i]), where π is a random cyclic
    permutation of the configurations (no configuration is paired with itself).

    Configurations are independent draws, so the returned E is independent of V window by window:
    I(H:E) = 0 exactly for every filter (the shuffled null test). Needs windows of at least two
    configurations.
    """
    E = np.asarray(E)
    groups = np.asarray(groups)
    if groups.shape != (E.shape[0],):
        raise ValueError(f"groups must have one entry per window ({E.shape[0]}), got shape {groups.shape}")
    ids = np.unique(groups)
    if ids.size < 2:
        raise ValueError("shuffling environments across configurations needs windows of at least 2 configurations")
    rng = np.random.default_rng(seed)
    order = rng.permutation(ids)
    partner = dict(zip(order.tolist(), np.roll(order, -1).tolist()))
    members = {g: np.flatnonzero(groups == g) for g in ids.tolist()}
    src = np.empty(E.shape[0], dtype=np.int64)
    for g in ids.tolist():
        mine, theirs = members[g], members[partner[g]]
        src[mine] = rng.choice(theirs, size=mine.size)
    return E[src]


def _pooled_scores(directions, V, E, Vall, groups, theta_v, theta_ve, filter_scale, seed):
    """ΔA_Λ of every standardised direction with one pool (rsmi.coarse.pooled), and the per-window terms."""
    from rsmi.coarse.pooled import PooledProxy

    n_groups = len(np.unique(groups)) if groups is not None else V.shape[0]
    nb = min(POOLED_SETTINGS["n_blocks"], n_groups)  # small data sets: fewer jackknife blocks, same pool per block
    kw = dict(POOLED_SETTINGS, n_blocks=nb, n_pool=POOLED_SETTINGS["n_pool"] // POOLED_SETTINGS["n_blocks"] * nb)
    pp = PooledProxy(theta_v, theta_ve, V, E, groups=groups, seed=seed, **kw)
    terms = {name: pp.terms(*standardise_filter(d, Vall, filter_scale)) for name, d in directions.items()}
    return {k: pp.summarise(t) for k, t in terms.items()}, terms, pp


def _exact_scores(directions, pairs, own_filter, L_V, filter_scale):
    """I_Λ (exact measure) of every standardised direction on the pairs' windows, its per-window
    terms (for paired margins) and, with ``own_filter``, the score of its noise sites alone."""
    from rsmi.sampling.dimers import fat_site_kinds
    from rsmi.coarse.exact_proxy import mi_terms

    def terms_of(w, b):
        return mi_terms(pairs.V, pairs.pool, pairs.idx, pairs.g, np.asarray(w, dtype=np.float64).reshape(L_V * L_V, -1),
                        np.asarray(b, dtype=np.float64))

    terms = {name: terms_of(*standardise_filter(d, pairs.V, filter_scale)) for name, d in directions.items()}
    if own_filter is not None:
        noise = np.isin(fat_site_kinds(L_V), (0, 1))[:, :, None]
        terms["own_noise_part"] = terms_of(np.asarray(own_filter[0]).reshape(L_V, L_V, -1) * noise, own_filter[1])
    return {k: pairs.estimate_terms(t) for k, t in terms.items()}, terms


def run_null_tests(V, E, *, model: str, estimator, theta_v=None, theta_ve=None,
                   filter_scale: float = DEFAULT_FILTER_SCALE, n_random: int = 3,
                   test_fraction: float = 0.3, groups=None, seed=0, run: str = "",
                   proxy_kwargs=None, own_filter=None, L_B: int | None = None, pairs=None,
                   ising_null: str = "paramagnet") -> list[dict]:
    """Run the null tests that apply to ``model`` and return rows for ``results/metrics.csv``.

    Parameters
    ----------
    V, E : windows from :func:`rsmi.windows.regions.cut_regions` — dimer blocks with noise
        (``model="dimer"``: tests noise_only and field_beats_noise) or Ising blocks sampled at
        T = 10 (``model="ising"``: test paramagnet; the temperature is the caller's promise).
    estimator : a name in :data:`ESTIMATORS` or a scorer callable (module docstring).
    theta_v, theta_ve : the run's fitted Θ-RBMs (needed by "jensen" and "logmeanexp").
    filter_scale : std of s over the data for every test filter (module docstring).
    n_random : number of random filters per family.
    test_fraction, groups : the train/test split (whole groups, e.g. configurations, if given).
    seed : the split, the random filters and the estimators' own randomness (the same seed is
        used for every filter, so proxy differences share their Monte Carlo noise).
    run : the run id written into each row.
    L_B : the buffer width of the windows, if known. The tests are nulls across a buffer: with
        L_B = 0 the paramagnet's nearest-neighbour correlation tanh(1/10) ≈ 0.1 crosses into E,
        so those rows are recorded, not gated; and the field's information decays with the
        buffer, so field_beats_noise gates only for L_B ≤ L_V/2 (the figures' window), where it
        is resolvable.
    pairs : the :class:`rsmi.coarse.exact_proxy.PairedWindows` the "exact" estimator scores on (V, E
        are then not used for it).
    ising_null : what the Ising windows are (:data:`ISING_NULLS`): ``"paramagnet"`` (sampled at
        T = 10; rows ``null_paramagnet_*``, gated across a buffer only) or ``"shuffled"`` (E from
        :func:`shuffle_environments`; rows ``null_shuffled_*``, gated for every L_B: the
        independence is exact, whatever the buffer).
    own_filter : (weights (L_V, L_V, N_h), biases) of the run's trained filter. With the pooled
        proxy or the exact estimator on dimers, its noise sites alone (links zeroed) are scored too
        (``null_noise_only_own_noise_part``): the proxy's own choice, restricted to what carries
        no information, must score ≤ 0.01 nats like every noise-only filter.

    Returns
    -------
    list of dicts with the columns of ``results/metrics.csv``
    (run, figure="null", criterion, value, op, threshold, pass, gate=True, note); value is the
    score minus the trivial filter's score (nats) or, for field_beats_noise, the margin.
    """
    from rsmi.coarse.mi import grouped_split

    if model not in ("dimer", "ising"):
        raise ValueError(f"model must be 'dimer' or 'ising', got {model!r}")
    if ising_null not in ISING_NULLS:
        raise ValueError(f"ising_null must be one of {ISING_NULLS}, got {ising_null!r}")
    n_random = check_int("n_random", n_random, 0)
    est_name = estimator if isinstance(estimator, str) else getattr(estimator, "__name__", "custom")
    if est_name == "exact" and (pairs is None or model != "dimer"):
        raise ValueError("the 'exact' estimator needs model='dimer' and pairs (rsmi.coarse.exact_proxy.PairedWindows)")
    score = None if est_name == "exact" else make_scorer(estimator, theta_v=theta_v, theta_ve=theta_ve,
                                                          proxy_kwargs=proxy_kwargs)
    V, E = as_samples(V, E)
    L_V = square_block(V.shape[1])[0]
    # one stream, in this order: the split, the random filters' seed, the estimators' seed
    ss = np.random.SeedSequence(seed) if isinstance(seed, numbers.Integral) else seed
    rng = np.random.default_rng(ss)
    itr, ite = grouped_split(V.shape[0], test_fraction, rng, groups)
    filt_seed = int(rng.integers(2**31))
    est_seed = int(rng.integers(2**31))
    make_filters = dimer_null_filters if model == "dimer" else ising_null_filters
    directions = make_filters(L_V, n_random=n_random, seed=filt_seed)

    if est_name == "jensen":
        # nothing is fitted: every window is scored, with one pool for all filters (differences
        # between filters share its randomness; their SE comes from the per-window terms)
        scores, terms, pp = _pooled_scores(directions, V, E, V, groups, theta_v, theta_ve, filter_scale, est_seed)
        if model == "dimer" and own_filter is not None:
            scores["own_noise_part"] = _own_noise_part(pp, own_filter, L_V)
        base = f"estimator={est_name} (pooled, {V.shape[0]} windows); filter_scale={filter_scale}"

        def margin(a, b):  # its own error: the per-window terms of a and b share the pool
            return pp.summarise(terms[a] - terms[b])
    elif est_name == "exact":
        scores, terms = _exact_scores(directions, pairs, own_filter, L_V, filter_scale)
        base = (f"estimator=exact (I_Λ with the exact dimer measure, {pairs.n_windows} windows, "
                f"{pairs.idx.shape[1]} pool pairs each); filter_scale={filter_scale}")

        def margin(a, b):
            return pairs.estimate_terms(terms[a] - terms[b])
    else:
        scores = _split_scores(score, directions, V, E, itr, ite, L_V, filter_scale, est_seed)
        base = f"estimator={est_name}; filter_scale={filter_scale}; n_train={itr.size}, n_test={ite.size}"

        def margin(a, b):
            return scores[a][0] - scores[b][0], math.hypot(scores[a][1], scores[b][1])
    if model == "dimer":
        return _dimer_rows(run, scores, margin, base, L_B is None or L_B <= L_V // 2, L_B)
    return _paramagnet_rows(run, scores, base, L_B != 0 or ising_null == "shuffled", ising_null)


def _split_scores(score, directions, V, E, itr, ite, L_V, filter_scale, seed) -> dict:
    """score(Λ) − score(λ = 0) of every standardised direction, fitted on the training split and scored
    on the test split, with SE √(SE² + SE_0²) (NaN if SE is)."""
    Vtr, Etr, Vte, Ete = V[itr], E[itr], V[ite], E[ite]

    def scored(w, b):
        val, se = score(w, b, Vtr, Etr, Vte, Ete, seed=seed)
        return float(val), float(se)

    zero_val, zero_se = scored(np.zeros((L_V, L_V, 1)), np.zeros(1))
    scores = {}
    for name, d in directions.items():
        w, b = standardise_filter(d, V, filter_scale)
        val, se = scored(w, b)
        scores[name] = (val - zero_val, math.sqrt(se**2 + zero_se**2) if np.isfinite(se) else math.nan)
    return scores


def _own_noise_part(pp, own_filter, L_V: int):
    """The pooled ΔA_Λ of the run's own filter with its link sites zeroed (its noise sites only)."""
    from rsmi.sampling.dimers import fat_site_kinds

    noise = np.isin(fat_site_kinds(L_V), (0, 1))[:, :, None]
    w_own = np.asarray(own_filter[0], dtype=np.float64).reshape(L_V, L_V, -1) * noise
    return pp.estimate(w_own, np.asarray(own_filter[1], dtype=np.float64))


def _dimer_rows(run, scores, margin, base, resolvable, L_B) -> list[dict]:
    """noise_only rows (≤ NOISE_TOLERANCE) and field_beats_noise rows: margin(field, worst noise) > 0."""
    rows = []
    noise_names = [k for k in scores if k.startswith("noise")]
    for name in noise_names:
        val, se = scores[name]
        rows.append(row(run, "null", f"null_noise_only_{name}", val, "<=", NOISE_TOLERANCE, se=se,
                        note=f"{base}; score − score(λ=0) = {val:.4g} ± {se:.2g} nats"))
    if "own_noise_part" in scores:
        val, se = scores["own_noise_part"]
        rows.append(row(run, "null", "null_noise_only_own_noise_part", val, "<=", NOISE_TOLERANCE, se=se,
                        note=f"{base}; the run's own filter on noise sites only (links zeroed): "
                             f"{val:.4g} ± {se:.2g} nats"))
    worst = max(noise_names, key=lambda k: scores[k][0])
    for axis in (0, 1):
        fv, fse = scores[f"field_axis{axis}"]
        nv, nse = scores[worst]
        m, mse = margin(f"field_axis{axis}", worst)
        rows.append(row(run, "null", f"null_field_beats_noise_axis{axis}", m, ">", 0.0, se=mse, gate=resolvable,
                        note=f"{base}; field {fv:.4g} ± {fse:.2g} vs best noise filter {worst} "
                             f"{nv:.4g} ± {nse:.2g} nats"
                             + ("" if resolvable else f"; recorded, not gated: L_B = {L_B} > L_V/2")))
    return rows


def _paramagnet_rows(run, scores, base, across, kind="paramagnet") -> list[dict]:
    """paramagnet (or shuffled) rows (≤ NOISE_TOLERANCE); gated only across a buffer (``across``)."""
    return [row(run, "null", f"null_{kind}_{name}", val, "<=", NOISE_TOLERANCE, se=se, gate=across,
                note=f"{base}; score − score(λ=0) = {val:.4g} ± {se:.2g} nats"
                     + ("" if across else "; recorded, not gated: no buffer (L_B = 0)"))
            for name, (val, se) in scores.items()]
