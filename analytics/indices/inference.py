"""Uncertainty of an index: percentile bootstrap intervals and the
permutation test of a between-group share."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from analytics.indices._core import _gini, _mld, _prepare, _theil
from analytics.indices.entropy import mld_decomposition, theil_decomposition
from analytics.indices.gini import gini_decomposition


@dataclass(frozen=True)
class BootstrapCI:
    """A bootstrap confidence interval for an index.

    Attributes
    ----------
    estimate : float
        The index on the data as given.
    low, high : float
        Bounds of the interval; NaN when no interval is reliable (see
        ``reason``).
    std_error : float
        Standard deviation of the bootstrap distribution.
    ci : float
        Confidence level, e.g. 0.95.
    n_boot : int
        Number of bootstrap resamples.
    method : str
        ``"studentized"`` (see :mod:`analytics.intervals`) or
        ``"percentile"``.
    reliable : bool
        Whether the method was measured to cover the true value at least
        90 % of the time for this index, weighting and number of territories
        (always False for ``"percentile"``, which was not).
    reason : str
        Why there is no interval: a key of
        :data:`analytics.intervals.REASONS`; "" when there is one.
    loo_low, loo_high : float
        Smallest and largest index without one territory (the leave-one-out
        range: how much the index depends on any single territory).
    """

    estimate: float
    low: float
    high: float
    std_error: float
    ci: float
    n_boot: int
    method: str = "percentile"
    reliable: bool = False
    reason: str = ""
    loo_low: float = math.nan
    loo_high: float = math.nan


def bootstrap_ci(
    index_fn: Callable[..., float],
    x: ArrayLike,
    *,
    weights: ArrayLike | None = None,
    n_boot: int = 999,
    ci: float = 0.95,
    random_state: int | np.random.Generator | None = 0,
    method: Literal["studentized", "percentile"] = "studentized",
) -> BootstrapCI:
    """Bootstrap confidence interval of any index.

    Territories are resampled with replacement, each keeping its weight
    (population), and ``index_fn`` is recomputed on every resample.

    ``method="studentized"`` (the default) is the bootstrap-t of
    :mod:`analytics.intervals`: vectorised for the indices of this module,
    one call per resample and territory for any other function. The bounds
    are NaN, with ``reason`` saying why, where the method was not measured
    to cover at least 90 % (too few territories for this index, or an
    index it was not measured for); the leave-one-out range is always given.
    ``method="percentile"`` is the plain percentile interval
    :math:`[\\hat I^*_{(\\alpha/2)}, \\hat I^*_{(1-\\alpha/2)}]`, which
    covers far less than ``ci`` over few territories (``reliable`` False).

    Parameters
    ----------
    index_fn : callable
        ``index_fn(x, weights=...) -> float``, e.g. :func:`theil` or
        ``functools.partial(atkinson, epsilon=2)``; ``weights`` is passed only
        when given.
    x : array_like
        Values, one per territory; they must be valid for ``index_fn``
        (errors on the full sample are raised as they are).
    weights : array_like, optional
        Weights, e.g. population in persons, carried with their territory.
    n_boot : int
        Number of resamples.
    ci : float
        Confidence level, strictly between 0 and 1.
    random_state : int, numpy.random.Generator or None
        Seed for reproducible intervals.
    method : {"studentized", "percentile"}
        See above.

    Returns
    -------
    BootstrapCI
        In the unit of the index.

    Examples
    --------
    >>> from analytics.indices import gini
    >>> res = bootstrap_ci(gini, [1, 2, 3, 4, 10], n_boot=200)
    >>> res.reliable, round(res.low, 2), res.high  # 5 territories: wide
    (True, 0.08, 1.0)
    >>> round(res.loo_low, 3), round(res.loo_high, 3)  # without one territory
    (0.25, 0.438)
    >>> bootstrap_ci(gini, [1, 2, 3, 4, 10], n_boot=200) == res  # seeded
    True
    """
    check_bootstrap("bootstrap_ci", n_boot, ci)
    if method == "studentized":
        from analytics import intervals  # imports this module

        return intervals.bootstrap_interval(
            index_fn,
            x,
            weights=weights,
            n_boot=n_boot,
            ci=ci,
            random_state=random_state,
        )
    if method != "percentile":
        raise ValueError(
            f"bootstrap_ci: method must be 'studentized' or 'percentile'; "
            f"got {method!r}"
        )
    values = np.asarray(x, dtype=float)
    w = None if weights is None else np.asarray(weights, dtype=float)

    def call(v: np.ndarray, ww: np.ndarray | None) -> float:
        return float(index_fn(v) if ww is None else index_fn(v, weights=ww))

    estimate = call(values, w)  # raises the index's own error on bad input
    rng = np.random.default_rng(random_state)
    n = values.size
    stats = np.empty(n_boot)
    for b in range(n_boot):
        draw = rng.integers(0, n, size=n)
        stats[b] = call(values[draw], None if w is None else w[draw])
    return percentile_interval(estimate, stats, ci)


def check_bootstrap(fn: str, n_boot: int, ci: float) -> None:
    """``ValueError`` naming ``fn`` unless ``n_boot`` is a positive integer
    and ``ci`` lies strictly between 0 and 1."""
    if not (isinstance(n_boot, int | np.integer) and n_boot >= 1):
        raise ValueError(f"{fn}: n_boot must be a positive integer; got {n_boot}")
    if not 0 < ci < 1:
        raise ValueError(f"{fn}: ci must be strictly between 0 and 1; got {ci}")


def percentile_interval(estimate: float, stats: np.ndarray, ci: float) -> BootstrapCI:
    """The percentile bootstrap interval of ``stats`` (one statistic per
    resample) around ``estimate``."""
    low, high = np.quantile(stats, [(1 - ci) / 2, (1 + ci) / 2])
    return BootstrapCI(
        estimate=estimate,
        low=float(low),
        high=float(high),
        std_error=float(stats.std(ddof=1)) if stats.size > 1 else math.nan,
        ci=ci,
        n_boot=int(stats.size),
    )


@dataclass(frozen=True)
class PermutationTest:
    """Result of :func:`permutation_test_between_share`.

    Attributes
    ----------
    observed : float
        Between-group share of the index for the real grouping (0 to 1).
    p_value : float
        Share of the ``n_perm`` random groupings (plus the observed one) whose
        between-group share is at least the observed one.
    n_perm : int
        Number of random permutations.
    index : str
        The decomposed index.
    """

    observed: float
    p_value: float
    n_perm: int
    index: str


def _between(index: str, group_w: np.ndarray, group_x: np.ndarray) -> np.ndarray:
    """Between-group inequality from group weights and totals, row by row."""
    total_w = group_w.sum(axis=1, keepdims=True)
    total_x = group_x.sum(axis=1, keepdims=True)
    p_g, s_g = group_w / total_w, group_x / total_x
    with np.errstate(divide="ignore", invalid="ignore"):
        if index == "theil":
            return np.where(s_g > 0, s_g * np.log(s_g / p_g), 0.0).sum(axis=1)
        if index == "mld":
            return np.where(p_g > 0, p_g * np.log(p_g / s_g), 0.0).sum(axis=1)
        # gini of the group means, weighted by group weight
        means = np.where(group_w > 0, group_x / group_w, 0.0)
    order = np.argsort(means, axis=1, kind="stable")
    p = np.take_along_axis(p_g, order, axis=1)
    s = np.take_along_axis(s_g, order, axis=1)
    cum = np.cumsum(p, axis=1)
    return (s * (2.0 * cum / cum[:, -1:] - p)).sum(axis=1) - 1.0


def permutation_test_between_share(
    x: ArrayLike,
    groups: ArrayLike,
    *,
    weights: ArrayLike | None = None,
    n_perm: int = 999,
    random_state: int | np.random.Generator | None = 0,
    index: Literal["theil", "mld", "gini"] = "theil",
    name: str | None = None,
    dropna: bool = False,
) -> PermutationTest:
    """Permutation test: is the between-group share larger than by chance?

    Group labels are shuffled over territories (each territory keeps its value
    and weight) ``n_perm`` times, as in PySAL's ``TheilDSim``; the p-value is

    .. math::

        p = \\frac{1 + \\#\\{k : B_k / I \\ge B_{obs} / I\\}}{1 + n_{perm}}

    with :math:`B` the between-group part of index :math:`I` (which does not
    change under permutation).

    Parameters
    ----------
    x : array_like
        Values of one indicator, one per territory.
    groups : array_like
        Group label of each territory.
    weights : array_like, optional
        Non-negative weights, e.g. population in persons.
    n_perm : int
        Number of permutations.
    random_state : int, numpy.random.Generator or None
        Seed for a reproducible p-value.
    index : {"theil", "mld", "gini"}
        Which decomposition's between part to test.
    name : str, optional
        Indicator name quoted in error messages.
    dropna : bool
        Drop territories whose value, weight or group label is missing.

    Returns
    -------
    PermutationTest
        Observed share (unitless, 0 to 1) and p-value.

    Examples
    --------
    >>> res = permutation_test_between_share(
    ...     [1, 2, 3, 4, 11, 12, 13, 14], list("aaaabbbb"), n_perm=199)
    >>> round(res.observed, 3), res.p_value
    (0.92, 0.035)
    """
    decompose = {
        "theil": theil_decomposition,
        "mld": mld_decomposition,
        "gini": gini_decomposition,
    }
    if index not in decompose:
        raise ValueError(
            f"permutation_test_between_share: index must be one of "
            f"{sorted(decompose)}; got {index!r}"
        )
    if not (isinstance(n_perm, int | np.integer) and n_perm >= 1):
        raise ValueError(
            "permutation_test_between_share: n_perm must be a positive integer; "
            f"got {n_perm}"
        )
    fn = f"permutation_test_between_share({index})"
    values, w, codes, labels = _prepare(
        fn,
        x,
        weights,
        name=name,
        dropna=dropna,
        positive=index == "mld",
        groups=groups,
    )
    observed = decompose[index](values, codes, weights=w).between_share
    total = {"theil": _theil, "mld": _mld, "gini": _gini}[index](values, w)
    n, n_groups = values.size, len(labels)
    rng = np.random.default_rng(random_state)
    wx = w * values
    chunk = max(1, 2_000_000 // n)  # bounds memory to a few tens of MB
    at_least = 0
    for start in range(0, n_perm, chunk):
        k = min(chunk, n_perm - start)
        shuffled = rng.permuted(np.broadcast_to(codes, (k, n)), axis=1)
        flat = (shuffled + n_groups * np.arange(k)[:, None]).ravel()
        group_w = np.bincount(flat, np.tile(w, k), minlength=k * n_groups)
        group_x = np.bincount(flat, np.tile(wx, k), minlength=k * n_groups)
        shares = (
            _between(
                index,
                group_w.reshape(k, n_groups),
                group_x.reshape(k, n_groups),
            )
            / total
        )
        # tolerance: the same partition summed in another order may differ by ulps
        at_least += int(np.count_nonzero(shares >= observed - 1e-12))
    return PermutationTest(
        observed=float(observed),
        p_value=(at_least + 1) / (n_perm + 1),
        n_perm=n_perm,
        index=index,
    )
