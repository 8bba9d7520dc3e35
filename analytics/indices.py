"""Inequality indices across territories, their decompositions and uncertainty.

Every index is a pure function ``index(x, *, weights=None, name=None,
dropna=False) -> float`` of the values of one indicator over a set of
territories (``x``, in the indicator's unit, e.g. roubles per capita) and,
optionally, their weights (usually population, in persons). With
``weights=None`` each territory counts once and the functions reproduce the
textbook formulas (and PySAL's ``inequality`` package); with population
weights they are the population-weighted versions of regional economics, in
which a city of a million weighs 200 times a district of 5,000.

Notation used in the formulas: territory :math:`i` has value :math:`x_i` and
weight :math:`w_i` (1 when unweighted), :math:`p_i = w_i / \\sum_j w_j` is its
population share, :math:`\\mu = \\sum_i p_i x_i` the weighted mean and
:math:`r_i = x_i / \\mu` its relative level.

Policy for awkward values
-------------------------
The scalar functions check their input where it enters and raise
``ValueError`` naming the function, the problem, how many values are affected
and, if given, the indicator ``name``.

=================  ========================================  =========
index              zeros                                     negatives
=================  ========================================  =========
``gini``           accepted                                  rejected
``theil``          accepted (:math:`0 \\ln 0 = 0`, a limit)   rejected
``mld``            rejected (:math:`\\ln 0`)                  rejected
``cv``             accepted                                  rejected
``atkinson``       rejected (for every epsilon)              rejected
``hoover``         accepted                                  rejected
``ratio_max_min``  accepted, except as the minimum           rejected
``ratio_p90_p10``  accepted, except as the 10th percentile   rejected
=================  ========================================  =========

* Missing values (NaN in values or weights) raise, saying how many, unless
  ``dropna=True``, which drops every territory whose value or weight is NaN.
  Infinite values always raise.
* Weights must be finite and non-negative with a positive sum, and as many as
  the values. A territory of weight zero takes no part in the index (it is
  still checked for NaN, zeros and negatives).
* At least 2 territories are needed, and the weighted mean must be positive.

:func:`summarize` applies the same rules group by group but never raises for a
group: where a scalar function would raise, the group gets NaN for that index.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

__all__ = [
    "INDEX_COLUMNS",
    "BootstrapCI",
    "Decomposition",
    "PermutationTest",
    "atkinson",
    "bootstrap_ci",
    "cv",
    "gini",
    "gini_decomposition",
    "hoover",
    "mld",
    "mld_decomposition",
    "permutation_test_between_share",
    "ratio_max_min",
    "ratio_p90_p10",
    "summarize",
    "theil",
    "theil_decomposition",
]

#: Index columns of :func:`summarize`, in order.
INDEX_COLUMNS: tuple[str, ...] = (
    "gini",
    "theil",
    "mld",
    "cv",
    "atkinson_0_5",
    "atkinson_1",
    "atkinson_2",
    "hoover",
    "ratio_max_min",
    "ratio_p90_p10",
)


# --------------------------------------------------------------------------
# input checks
# --------------------------------------------------------------------------


class _Prepared(NamedTuple):
    values: np.ndarray
    weights: np.ndarray
    codes: np.ndarray | None = None
    labels: pd.Index | None = None


def _plural(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (plural or singular + 's')}"


def _prepare(
    fn: str,
    x: ArrayLike,
    weights: ArrayLike | None,
    *,
    name: str | None,
    dropna: bool,
    positive: bool = False,
    groups: ArrayLike | None = None,
) -> _Prepared:
    """Check the values (and weights, groups) of one index call; see module doc."""
    where = f" in {name!r}" if name else ""
    values = np.asarray(x, dtype=float)
    if values.ndim != 1:
        raise ValueError(
            f"{fn}: values must be one-dimensional; got shape {values.shape}{where}"
        )
    if weights is None:
        w = np.ones_like(values)
    else:
        w = np.asarray(weights, dtype=float)
        if w.shape != values.shape:
            raise ValueError(
                f"{fn}: weights must match the values in length; got "
                f"{w.size} weights for {values.size} values{where}"
            )
    codes = labels = None
    if groups is not None:
        if np.ndim(groups) != 1 or len(groups) != values.size:
            raise ValueError(
                f"{fn}: groups must match the values in length; got "
                f"{np.size(groups)} labels for {values.size} values{where}"
            )
        codes, labels = pd.factorize(np.asarray(groups), sort=True)
    if dropna:
        keep = ~(np.isnan(values) | np.isnan(w))
        if codes is not None:
            keep &= codes >= 0
            codes = codes[keep]
        values, w = values[keep], w[keep]
    n_nan = int(np.isnan(values).sum())
    if n_nan:
        raise ValueError(
            f"{fn}: got {_plural(n_nan, 'NaN value')}{where}; "
            "drop them or pass dropna=True"
        )
    n_nan = int(np.isnan(w).sum())
    if n_nan:
        raise ValueError(
            f"{fn}: got {_plural(n_nan, 'NaN weight')}{where}; "
            "drop them or pass dropna=True"
        )
    if codes is not None and (codes < 0).any():
        n_missing = int((codes < 0).sum())
        raise ValueError(
            f"{fn}: got {_plural(n_missing, 'missing group label')}{where}; "
            "drop them or pass dropna=True"
        )
    n_inf = int(np.isinf(values).sum())
    if n_inf:
        raise ValueError(
            f"{fn}: values must be finite; got {_plural(n_inf, 'infinite value')}"
            f"{where}"
        )
    n_inf = int(np.isinf(w).sum())
    if n_inf:
        raise ValueError(
            f"{fn}: weights must be finite; got {_plural(n_inf, 'infinite weight')}"
            f"{where}"
        )
    n_neg = int((w < 0).sum())
    if n_neg:
        raise ValueError(
            f"{fn}: weights must be non-negative; got "
            f"{_plural(n_neg, 'negative weight')}{where}"
        )
    if values.size < 2:
        raise ValueError(f"{fn}: needs at least 2 values; got {values.size}{where}")
    if not w.sum() > 0:
        raise ValueError(f"{fn}: weights must have a positive sum{where}")
    n_neg = int((values < 0).sum())
    n_zero = int((values == 0).sum())
    if positive and (n_neg or n_zero):
        found = " and ".join(
            part
            for part in (
                _plural(n_neg, "negative value") if n_neg else "",
                _plural(n_zero, "zero") if n_zero else "",
            )
            if part
        )
        raise ValueError(f"{fn}: values must be positive; got {found}{where}")
    if n_neg:
        raise ValueError(
            f"{fn}: values must be non-negative; got "
            f"{_plural(n_neg, 'negative value')}{where}"
        )
    if not np.dot(w, values) > 0:
        raise ValueError(
            f"{fn}: the weighted mean is zero (every weighted value is 0); "
            f"the index is undefined{where}"
        )
    return _Prepared(values, w, codes, labels)


# --------------------------------------------------------------------------
# kernels on checked arrays (no validation; shared by the public functions)
# --------------------------------------------------------------------------


def _relative(values: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Population shares p_i and relative levels r_i = x_i / mu."""
    p = w / w.sum()
    return p, values / np.dot(p, values)


def _theil(values: np.ndarray, w: np.ndarray) -> float:
    p, r = _relative(values, w)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(r > 0, r * np.log(r), 0.0)
    return float(np.dot(p, terms))


def _mld(values: np.ndarray, w: np.ndarray) -> float:
    p, r = _relative(values, w)
    return float(-np.dot(p, np.log(r)))


def _gini(values: np.ndarray, w: np.ndarray) -> float:
    order = np.argsort(values, kind="stable")
    xs, ws = values[order], w[order]
    cum = np.cumsum(ws)
    total = cum[-1]
    p = ws / total
    r = xs / np.dot(p, xs)
    return float(np.dot(p * r, 2.0 * cum / total - p) - 1.0)


def _quantile(values: np.ndarray, w: np.ndarray, q: float) -> float:
    """Weighted inverted-CDF quantile: the smallest x with F(x) >= q."""
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(w[order])
    # F is cum / cum[-1] (not / w.sum()) so that the last step is exactly 1
    k = int(np.count_nonzero(cum / cum[-1] < q))
    return float(values[order][k])


# --------------------------------------------------------------------------
# scalar indices
# --------------------------------------------------------------------------


def gini(
    x: ArrayLike,
    *,
    weights: ArrayLike | None = None,
    name: str | None = None,
    dropna: bool = False,
) -> float:
    """Gini coefficient: half the relative mean absolute difference.

    .. math::

        G = \\frac{\\sum_i \\sum_j w_i w_j \\lvert x_i - x_j \\rvert}
                  {2 \\left(\\sum_i w_i\\right)^2 \\mu}

    Unweighted this is :math:`\\sum_i\\sum_j |x_i - x_j| / (2 n^2 \\mu)`, without
    the :math:`n/(n-1)` small-sample correction, as in PySAL. Computed in
    :math:`O(n \\log n)` from the sorted values and cumulative weights.

    Parameters
    ----------
    x : array_like
        Values of one indicator, one per territory (any unit; non-negative,
        zeros accepted).
    weights : array_like, optional
        Non-negative weights, e.g. population in persons. None: each territory
        counts once.
    name : str, optional
        Indicator name quoted in error messages.
    dropna : bool
        Drop territories whose value or weight is NaN instead of raising.

    Returns
    -------
    float
        Unitless, 0 (equality) to :math:`1 - \\min_i p_i` (all in one territory).

    Examples
    --------
    >>> gini([1, 1, 1, 1])
    0.0
    >>> gini([0, 0, 0, 10])
    0.75
    >>> round(gini([100, 200], weights=[3, 1]), 10)  # 3*1*100 / (4**2 * 125)
    0.15
    """
    values, w, _, _ = _prepare("gini", x, weights, name=name, dropna=dropna)
    return _gini(values, w)


def theil(
    x: ArrayLike,
    *,
    weights: ArrayLike | None = None,
    name: str | None = None,
    dropna: bool = False,
) -> float:
    """Theil T index (generalised entropy GE(1)).

    .. math::

        T = \\sum_i p_i \\, r_i \\ln r_i
          = \\sum_i s_i \\ln \\frac{s_i}{p_i},
        \\qquad s_i = \\frac{w_i x_i}{\\sum_j w_j x_j}

    Unweighted this is PySAL's :math:`T = \\sum_i s_i \\ln(n s_i)`. Zeros are
    accepted with :math:`0 \\ln 0 = 0` (the limit; PySAL adds a tiny constant to
    the same effect); negatives raise.

    Parameters
    ----------
    x : array_like
        Values of one indicator, one per territory (non-negative).
    weights : array_like, optional
        Non-negative weights, e.g. population in persons.
    name : str, optional
        Indicator name quoted in error messages.
    dropna : bool
        Drop territories whose value or weight is NaN instead of raising.

    Returns
    -------
    float
        Unitless (nats), 0 at equality, at most :math:`\\ln(1/\\min_i p_i)`.

    Examples
    --------
    >>> round(theil([0, 0, 0, 10, 10, 10]), 6)  # ln 2
    0.693147
    >>> theil([5, 5, 5])
    0.0
    """
    values, w, _, _ = _prepare("theil", x, weights, name=name, dropna=dropna)
    return _theil(values, w)


def mld(
    x: ArrayLike,
    *,
    weights: ArrayLike | None = None,
    name: str | None = None,
    dropna: bool = False,
) -> float:
    """Mean log deviation (Theil L index, generalised entropy GE(0)).

    .. math::

        L = \\sum_i p_i \\ln \\frac{\\mu}{x_i} = -\\sum_i p_i \\ln r_i

    More sensitive than Theil T to the bottom of the distribution. Values must
    be positive: a zero makes :math:`\\ln(\\mu / 0)` infinite.

    Parameters
    ----------
    x : array_like
        Values of one indicator, one per territory (positive).
    weights : array_like, optional
        Non-negative weights, e.g. population in persons.
    name : str, optional
        Indicator name quoted in error messages.
    dropna : bool
        Drop territories whose value or weight is NaN instead of raising.

    Returns
    -------
    float
        Unitless (nats), 0 at equality, unbounded above.

    Examples
    --------
    >>> round(mld([1, 2, 4]), 4)
    0.1542
    >>> mld([0, 1], name="budget_revenue_per_capita")
    Traceback (most recent call last):
    ...
    ValueError: mld: values must be positive; got 1 zero in 'budget_revenue_per_capita'
    """
    values, w, _, _ = _prepare(
        "mld", x, weights, name=name, dropna=dropna, positive=True
    )
    return _mld(values, w)


def cv(
    x: ArrayLike,
    *,
    weights: ArrayLike | None = None,
    name: str | None = None,
    dropna: bool = False,
) -> float:
    """Coefficient of variation; population-weighted, the Williamson index.

    .. math::

        CV = \\frac{1}{\\mu} \\sqrt{\\sum_i p_i (x_i - \\mu)^2}

    The standard deviation is the population one (``ddof=0``), not the sample
    one.

    Parameters
    ----------
    x : array_like
        Values of one indicator, one per territory (non-negative).
    weights : array_like, optional
        Non-negative weights, e.g. population in persons (Williamson 1965).
    name : str, optional
        Indicator name quoted in error messages.
    dropna : bool
        Drop territories whose value or weight is NaN instead of raising.

    Returns
    -------
    float
        Unitless (a share of the mean), 0 at equality.

    Examples
    --------
    >>> cv([1, 3])
    0.5
    >>> round(cv([1, 3], weights=[3, 1]), 4)
    0.5774
    """
    values, w, _, _ = _prepare("cv", x, weights, name=name, dropna=dropna)
    p, r = _relative(values, w)
    return float(math.sqrt(np.dot(p, (r - 1.0) ** 2)))


def atkinson(
    x: ArrayLike,
    *,
    epsilon: float = 1.0,
    weights: ArrayLike | None = None,
    name: str | None = None,
    dropna: bool = False,
) -> float:
    """Atkinson index with inequality aversion ``epsilon``.

    .. math::

        A_\\varepsilon = 1 - \\left(\\sum_i p_i \\, r_i^{1-\\varepsilon}
        \\right)^{1/(1-\\varepsilon)} \\quad (\\varepsilon \\ne 1),
        \\qquad
        A_1 = 1 - \\exp\\Bigl(\\sum_i p_i \\ln r_i\\Bigr)

    The share of the total that could be given up, with perfect equality, at
    the same social welfare. Higher ``epsilon`` weighs the bottom more
    (0.5, 1 and 2 are usual). Values must be positive (for every epsilon, as
    in PySAL).

    Parameters
    ----------
    x : array_like
        Values of one indicator, one per territory (positive).
    epsilon : float
        Inequality aversion, finite and >= 0 (0 gives 0).
    weights : array_like, optional
        Non-negative weights, e.g. population in persons.
    name : str, optional
        Indicator name quoted in error messages.
    dropna : bool
        Drop territories whose value or weight is NaN instead of raising.

    Returns
    -------
    float
        Unitless, 0 (equality) to 1.

    Examples
    --------
    >>> round(atkinson([10, 20, 30, 40, 50], epsilon=0.5), 5)
    0.06315
    >>> round(atkinson([10, 20, 30, 40, 50], epsilon=1), 5)
    0.13161
    """
    if not (math.isfinite(epsilon) and epsilon >= 0):
        raise ValueError(f"atkinson: epsilon must be finite and >= 0; got {epsilon}")
    values, w, _, _ = _prepare(
        "atkinson", x, weights, name=name, dropna=dropna, positive=True
    )
    p, r = _relative(values, w)
    if epsilon == 1:
        return float(1.0 - math.exp(np.dot(p, np.log(r))))
    power = 1.0 - epsilon
    return float(1.0 - np.dot(p, r**power) ** (1.0 / power))


def hoover(
    x: ArrayLike,
    *,
    weights: ArrayLike | None = None,
    name: str | None = None,
    dropna: bool = False,
) -> float:
    """Hoover (Robin Hood) index: the share of the total to move for equality.

    .. math::

        H = \\frac{1}{2} \\sum_i \\lvert s_i - p_i \\rvert
          = \\frac{1}{2} \\sum_i p_i \\lvert r_i - 1 \\rvert,
        \\qquad s_i = \\frac{w_i x_i}{\\sum_j w_j x_j}

    Parameters
    ----------
    x : array_like
        Values of one indicator, one per territory (non-negative).
    weights : array_like, optional
        Non-negative weights, e.g. population in persons.
    name : str, optional
        Indicator name quoted in error messages.
    dropna : bool
        Drop territories whose value or weight is NaN instead of raising.

    Returns
    -------
    float
        Unitless share of the total, 0 to :math:`1 - \\min_i p_i`.

    Examples
    --------
    >>> hoover([0, 0, 0, 10])
    0.75
    >>> hoover([1, 3])
    0.25
    """
    values, w, _, _ = _prepare("hoover", x, weights, name=name, dropna=dropna)
    p, r = _relative(values, w)
    return float(0.5 * np.dot(p, np.abs(r - 1.0)))


def ratio_max_min(
    x: ArrayLike,
    *,
    weights: ArrayLike | None = None,
    name: str | None = None,
    dropna: bool = False,
) -> float:
    """Ratio of the largest to the smallest value (territories of weight > 0).

    .. math::

        R = \\frac{\\max_{i: w_i > 0} x_i}{\\min_{i: w_i > 0} x_i}

    Weights only decide which territories count (a territory of weight 0 has
    no population). A zero minimum makes the ratio undefined and raises.

    Parameters
    ----------
    x : array_like
        Values of one indicator, one per territory (non-negative).
    weights : array_like, optional
        Non-negative weights, e.g. population in persons.
    name : str, optional
        Indicator name quoted in error messages.
    dropna : bool
        Drop territories whose value or weight is NaN instead of raising.

    Returns
    -------
    float
        Unitless, >= 1 (1 at equality).

    Examples
    --------
    >>> ratio_max_min([2, 5, 10])
    5.0
    >>> ratio_max_min([2, 5, 10], weights=[0, 1, 1])
    2.0
    """
    values, w, _, _ = _prepare("ratio_max_min", x, weights, name=name, dropna=dropna)
    counted = values[w > 0]
    low = counted.min()
    if low == 0:
        where = f" in {name!r}" if name else ""
        raise ValueError(
            f"ratio_max_min: the smallest value is zero; the ratio is undefined{where}"
        )
    return float(counted.max() / low)


def ratio_p90_p10(
    x: ArrayLike,
    *,
    weights: ArrayLike | None = None,
    name: str | None = None,
    dropna: bool = False,
) -> float:
    """Decile ratio: the 90th over the 10th (weighted) percentile.

    .. math::

        R_{90/10} = \\frac{Q(0.9)}{Q(0.1)}, \\qquad
        Q(q) = \\min \\Bigl\\{ x_k : \\sum_{i: x_i \\le x_k} p_i \\ge q \\Bigr\\}

    :math:`Q` is the inverted empirical CDF (Hyndman and Fan's type 1,
    ``numpy.quantile(..., method="inverted_cdf")``): the smallest value such
    that at least a share :math:`q` of the population lives in territories at
    or below it. Unlike numpy's default linear interpolation it depends only on
    the population distribution, so it extends to weights and a territory of
    weight 2 equals two territories of weight 1. A zero 10th percentile makes
    the ratio undefined and raises.

    Parameters
    ----------
    x : array_like
        Values of one indicator, one per territory (non-negative).
    weights : array_like, optional
        Non-negative weights, e.g. population in persons.
    name : str, optional
        Indicator name quoted in error messages.
    dropna : bool
        Drop territories whose value or weight is NaN instead of raising.

    Returns
    -------
    float
        Unitless, >= 1 (1 at equality).

    Examples
    --------
    >>> ratio_p90_p10(list(range(1, 11)))
    9.0
    >>> ratio_p90_p10([1, 2, 3], weights=[1, 8, 1])  # shares 0.1, 0.8, 0.1
    2.0
    >>> ratio_p90_p10([1, 2, 3], weights=[1, 18, 1])
    1.0
    """
    values, w, _, _ = _prepare("ratio_p90_p10", x, weights, name=name, dropna=dropna)
    low = _quantile(values, w, 0.1)
    if low == 0:
        where = f" in {name!r}" if name else ""
        raise ValueError(
            f"ratio_p90_p10: the 10th percentile is zero; the ratio is undefined{where}"
        )
    return _quantile(values, w, 0.9) / low


# --------------------------------------------------------------------------
# decompositions by groups
# --------------------------------------------------------------------------


def lorenz_curve(
    x: ArrayLike,
    weights: ArrayLike | None = None,
    *,
    name: str | None = None,
    dropna: bool = False,
) -> pd.DataFrame:
    """Points of the (population-weighted) Lorenz curve.

    Territories are sorted by value; point :math:`k` is the cumulative
    population share :math:`P_k = \\sum_{i \\le k} p_i` against the cumulative
    share of the total :math:`L_k = \\sum_{i \\le k} p_i x_i / \\mu`. Twice the
    area between the diagonal and the curve is :func:`gini` (the same
    weights), which the tests check.

    Parameters
    ----------
    x : array_like
        Non-negative values, one per territory, in the indicator's unit.
    weights : array_like, optional
        Population (persons); ``None`` counts every territory once.
    name, dropna
        As for :func:`gini`.

    Returns
    -------
    pandas.DataFrame
        ``position`` (index of the territory in ``x``, -1 for the origin),
        ``population_share`` and ``value_share``, starting at (0, 0) and
        ending at (1, 1).

    Examples
    --------
    >>> lorenz_curve([1, 3])[["population_share", "value_share"]].to_numpy().tolist()
    [[0.0, 0.0], [0.5, 0.25], [1.0, 1.0]]
    """
    prepared = _prepare("lorenz_curve", x, weights, name=name, dropna=dropna)
    values, w = prepared.values, prepared.weights
    positions = np.arange(len(np.asarray(x, dtype=float).reshape(-1)))
    if dropna:
        raw_x = np.asarray(x, dtype=float).reshape(-1)
        keep = ~np.isnan(raw_x)
        if weights is not None:
            keep &= ~np.isnan(np.asarray(weights, dtype=float).reshape(-1))
        positions = positions[keep]
    if len(positions) != len(values):  # zero-weight territories were dropped
        positions = np.arange(len(values))
    order = np.argsort(values, kind="stable")
    xs, ws = values[order], w[order]
    total_w = ws.sum()
    total_v = float(np.dot(ws, xs))
    pop = np.concatenate([[0.0], np.cumsum(ws) / total_w])
    share = np.concatenate(
        [[0.0], np.cumsum(ws * xs) / total_v if total_v else np.zeros(len(xs))]
    )
    return pd.DataFrame(
        {
            "position": np.concatenate([[-1], positions[order]]),
            "population_share": pop,
            "value_share": share,
        }
    )


@dataclass(frozen=True, eq=False)
class Decomposition:
    """An index split into a between-group and a within-group part.

    Attributes
    ----------
    index : str
        ``"theil"``, ``"mld"`` or ``"gini"``.
    total : float
        The index over all territories.
    between : float
        Inequality between the group means.
    within : float
        Sum of the groups' ``contribution``.
    groups : pandas.DataFrame
        One row per group (indexed by the group label, sorted), with columns
        ``n`` (territories), ``weight_share`` (share of the total weight,
        i.e. of the population when weighted), ``value_share`` (share of the
        weighted total, e.g. of all revenue), ``mean`` (weighted mean, in the
        values' unit), ``index`` (the index within the group; NaN for a
        group whose mean is zero) and ``contribution`` (its part of
        ``within``).
    overlap : float
        Gini only: the residual ``total - between - within`` due to groups
        whose ranges overlap (0 when they do not). Always 0 for Theil and MLD,
        which decompose exactly.
    """

    index: str
    total: float
    between: float
    within: float
    groups: pd.DataFrame
    overlap: float = 0.0

    @property
    def between_share(self) -> float:
        """``between / total`` (NaN when the total is 0)."""
        return self.between / self.total if self.total else math.nan


def _group_table(
    index: str,
    codes: np.ndarray,
    labels: pd.Index,
    values: np.ndarray,
    w: np.ndarray,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Per-group n, weight share P_g, value share S_g and mean (no index yet)."""
    n_groups = len(labels)
    group_w = np.bincount(codes, weights=w, minlength=n_groups)
    group_x = np.bincount(codes, weights=w * values, minlength=n_groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        means = group_x / group_w
    table = pd.DataFrame(
        {
            "n": np.bincount(codes, minlength=n_groups),
            "weight_share": group_w / group_w.sum(),
            "value_share": group_x / group_x.sum(),
            "mean": means,
        },
        index=pd.Index(labels, name="group"),
    )
    return table, group_w, group_x


def theil_decomposition(
    x: ArrayLike,
    groups: ArrayLike,
    *,
    weights: ArrayLike | None = None,
    name: str | None = None,
    dropna: bool = False,
) -> Decomposition:
    """Split Theil T into between-group and within-group inequality.

    .. math::

        T = \\underbrace{\\sum_g S_g \\ln \\frac{S_g}{P_g}}_{\\text{between}}
          + \\underbrace{\\sum_g S_g T_g}_{\\text{within}}

    where :math:`P_g` is group :math:`g`'s share of the weight (population),
    :math:`S_g` its share of the weighted total and :math:`T_g` the Theil
    index inside it. Groups: core / ring / periphery, agglomerations,
    management models, municipality types. Zeros are accepted as in
    :func:`theil`; a group whose values are all zero has ``index`` NaN and
    contributes 0.

    Parameters
    ----------
    x : array_like
        Values of one indicator, one per territory (non-negative).
    groups : array_like
        Group label of each territory (exhaustive, mutually exclusive).
    weights : array_like, optional
        Non-negative weights, e.g. population in persons.
    name : str, optional
        Indicator name quoted in error messages.
    dropna : bool
        Drop territories whose value, weight or group label is missing.

    Returns
    -------
    Decomposition
        Unitless (nats) parts; ``contribution`` is :math:`S_g T_g`.

    Examples
    --------
    >>> d = theil_decomposition([0, 0, 0, 10, 10, 10], [0, 0, 0, 1, 1, 1])
    >>> round(d.between, 6), round(d.within, 6), round(d.between_share, 6)
    (0.693147, 0.0, 1.0)
    """
    values, w, codes, labels = _prepare(
        "theil_decomposition", x, weights, name=name, dropna=dropna, groups=groups
    )
    table, group_w, group_x = _group_table("theil", codes, labels, values, w)
    total_x = group_x.sum()
    p_g, s_g = group_w / group_w.sum(), group_x / total_x
    with np.errstate(divide="ignore", invalid="ignore"):
        between_terms = np.where(s_g > 0, s_g * np.log(s_g / p_g), 0.0)
        own_mean = table["mean"].to_numpy()[codes]
        terms = np.where(
            (values > 0) & (w > 0), w * values * np.log(values / own_mean), 0.0
        )
        contribution = np.bincount(codes, weights=terms, minlength=len(labels))
        contribution /= total_x
        index = np.where(s_g > 0, contribution / s_g, np.nan)
    groups_table = table.assign(index=index, contribution=contribution)
    return Decomposition(
        index="theil",
        total=_theil(values, w),
        between=float(between_terms.sum()),
        within=float(contribution.sum()),
        groups=groups_table,
    )


def mld_decomposition(
    x: ArrayLike,
    groups: ArrayLike,
    *,
    weights: ArrayLike | None = None,
    name: str | None = None,
    dropna: bool = False,
) -> Decomposition:
    """Split the mean log deviation into between- and within-group parts.

    .. math::

        L = \\underbrace{\\sum_g P_g \\ln \\frac{\\mu}{\\mu_g}}_{\\text{between}}
          + \\underbrace{\\sum_g P_g L_g}_{\\text{within}}

    Unlike Theil T, the within part weighs groups by population share
    :math:`P_g`, so the decomposition is path-independent. Values must be
    positive.

    Parameters
    ----------
    x : array_like
        Values of one indicator, one per territory (positive).
    groups : array_like
        Group label of each territory (exhaustive, mutually exclusive).
    weights : array_like, optional
        Non-negative weights, e.g. population in persons.
    name : str, optional
        Indicator name quoted in error messages.
    dropna : bool
        Drop territories whose value, weight or group label is missing.

    Returns
    -------
    Decomposition
        Unitless (nats) parts; ``contribution`` is :math:`P_g L_g`.

    Examples
    --------
    >>> d = mld_decomposition([1, 1, 4, 4], ["ring", "ring", "core", "core"])
    >>> round(d.total, 4), round(d.between, 4), d.within
    (0.2231, 0.2231, 0.0)
    """
    values, w, codes, labels = _prepare(
        "mld_decomposition",
        x,
        weights,
        name=name,
        dropna=dropna,
        positive=True,
        groups=groups,
    )
    table, group_w, group_x = _group_table("mld", codes, labels, values, w)
    total_w = group_w.sum()
    p_g = group_w / total_w
    mean = group_x.sum() / total_w
    with np.errstate(divide="ignore", invalid="ignore"):
        group_mean = table["mean"].to_numpy()
        between_terms = np.where(p_g > 0, p_g * np.log(mean / group_mean), 0.0)
        # a group of zero weight has no mean: its members contribute nothing
        terms = np.where(w > 0, w * np.log(group_mean[codes] / values), 0.0)
        contribution = np.bincount(codes, weights=terms, minlength=len(labels))
        contribution /= total_w
        index = np.where(p_g > 0, contribution / p_g, np.nan)
    return Decomposition(
        index="mld",
        total=_mld(values, w),
        between=float(between_terms.sum()),
        within=float(contribution.sum()),
        groups=table.assign(index=index, contribution=contribution),
    )


def gini_decomposition(
    x: ArrayLike,
    groups: ArrayLike,
    *,
    weights: ArrayLike | None = None,
    name: str | None = None,
    dropna: bool = False,
) -> Decomposition:
    """Split the Gini coefficient into between, within and overlap.

    .. math::

        G = \\underbrace{G_B}_{\\text{between}}
          + \\underbrace{\\sum_g P_g S_g G_g}_{\\text{within}}
          + \\underbrace{R}_{\\text{overlap}}

    (Lambert and Aronson 1993, after Pyatt 1976): :math:`G_B` is the Gini of
    the group means weighted by group weight (every territory given its
    group's mean), :math:`G_g` the Gini inside group :math:`g`, and
    :math:`R \\ge 0` the residual due to territories of a poorer group being
    richer than some of a richer group; it is 0 when group ranges do not
    overlap. The within part is exactly the pairs of territories in the same
    group; between plus overlap are the pairs across groups.

    Parameters
    ----------
    x : array_like
        Values of one indicator, one per territory (non-negative).
    groups : array_like
        Group label of each territory (exhaustive, mutually exclusive).
    weights : array_like, optional
        Non-negative weights, e.g. population in persons.
    name : str, optional
        Indicator name quoted in error messages.
    dropna : bool
        Drop territories whose value, weight or group label is missing.

    Returns
    -------
    Decomposition
        Unitless parts; ``contribution`` is :math:`P_g S_g G_g` and
        ``overlap`` is :math:`R`.

    Examples
    --------
    >>> d = gini_decomposition([0, 0, 0, 10, 10, 10], [0, 0, 0, 1, 1, 1])
    >>> d.total, d.between, d.within, d.overlap
    (0.5, 0.5, 0.0, 0.0)
    """
    values, w, codes, labels = _prepare(
        "gini_decomposition", x, weights, name=name, dropna=dropna, groups=groups
    )
    table, group_w, group_x = _group_table("gini", codes, labels, values, w)
    order = np.argsort(codes, kind="stable")
    bounds = np.cumsum(np.bincount(codes, minlength=len(labels)))[:-1]
    index = np.full(len(labels), np.nan)
    # a handful of groups: a loop over them is clearer than a grouped kernel
    for g, (xs, ws) in enumerate(
        zip(
            np.split(values[order], bounds),
            np.split(w[order], bounds),
            strict=True,
        )
    ):
        if ws.sum() > 0 and np.dot(ws, xs) > 0:
            index[g] = _gini(xs, ws)
    p_g = group_w / group_w.sum()
    s_g = group_x / group_x.sum()
    contribution = np.where(s_g > 0, p_g * s_g * np.nan_to_num(index), 0.0)
    present = group_w > 0
    between = _gini(table["mean"].to_numpy()[present], group_w[present])
    total = _gini(values, w)
    within = float(contribution.sum())
    return Decomposition(
        index="gini",
        total=total,
        between=between,
        within=within,
        groups=table.assign(index=index, contribution=contribution),
        overlap=total - between - within,
    )


# --------------------------------------------------------------------------
# bootstrap and permutation inference
# --------------------------------------------------------------------------


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
    >>> res = bootstrap_ci(gini, [1, 2, 3, 4, 10], n_boot=200)
    >>> res.reliable, res.reason, round(res.loo_low, 3), round(res.loo_high, 3)
    (False, 'few_territories', 0.25, 0.438)
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


# --------------------------------------------------------------------------
# summarize: every index for every group of a long table, vectorised
# --------------------------------------------------------------------------


def _key_codes(column: pd.Series) -> tuple[np.ndarray, int]:
    """Codes of one key in its sorted order, missing last (holes allowed)."""
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        # category order, as groupby sorts; no hashing needed
        codes = column.cat.codes.to_numpy().astype(np.int64)
        size = len(dtype.categories)
        codes[codes < 0] = size
        return codes, size + 1
    if dtype.kind in "iub" and len(column):
        raw = column.to_numpy()
        low, high = int(raw.min()), int(raw.max())
        if high - low <= 4 * len(column) + 1_000_000:
            return raw.astype(np.int64) - low, high - low + 1
    codes, uniques = pd.factorize(column, sort=True, use_na_sentinel=False)
    return codes.astype(np.int64, copy=False), max(len(uniques), 1)


def _group_codes(df: pd.DataFrame, by: list[Hashable]) -> tuple[np.ndarray, int]:
    """Dense int64 group codes in the sorted order of the keys (missing last)."""
    code = np.zeros(len(df), dtype=np.int64)
    cardinality = 1
    for key in by:
        key_codes, size = _key_codes(df[key])
        if cardinality * size >= 2**62:  # re-densify before the code overflows
            uniq, code = np.unique(code, return_inverse=True)
            cardinality = len(uniq)
        code *= size
        code += key_codes
        cardinality *= size
    if cardinality <= 4 * len(df) + 1_000_000:
        present = np.flatnonzero(np.bincount(code, minlength=cardinality))
        lookup = np.empty(cardinality, dtype=np.int64)
        lookup[present] = np.arange(present.size)
        return lookup[code], present.size
    present, inverse = np.unique(code, return_inverse=True)
    return inverse.astype(np.int64), present.size


_SIGN = np.uint64(1 << 63)


def _sortable_bits(values: np.ndarray) -> tuple[np.ndarray, bool]:
    """uint64 keys ordered as the floats are (no NaN), and whether flipped."""
    bits = values.view(np.uint64)
    if not np.signbit(values).any():
        return bits, False  # non-negative floats already order as their bits
    return np.where(bits & _SIGN, ~bits, bits | _SIGN), True


def _floats_from_sortable(keys: np.ndarray, flipped: bool) -> np.ndarray:
    if not flipped:
        return keys.view(np.float64)
    return np.where(keys & _SIGN, keys ^ _SIGN, ~keys).view(np.float64)


def _sort_by_group_then_value(
    gid: np.ndarray, values: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Order rows by group, then by value within the group; and sorted values.

    ``np.lexsort`` takes about 7 s on 11 M rows and two argsorts 4 s; most of
    that is random memory access. Here one ``np.sort`` (SIMD) of packed
    uint64 keys does the work: (group, value code, position), where the code
    is the value's sortable bits relative to its group's minimum, shifted so
    that the group's range fits the bits left over. The groups' minimum and
    maximum come from ``np.minimum.at`` / ``np.maximum.at`` in row order (no
    sort by group first). Rows whose codes tie are re-sorted exactly by value
    (usually a handful).
    """
    n = values.size
    if n == 0:
        return np.empty(0, dtype=np.intp), values[:0]
    idx_bits = max(int(n - 1).bit_length(), 1)
    n_groups = int(gid.max()) + 1
    gid_bits = max(int(n_groups - 1).bit_length(), 1)
    value_bits = 64 - gid_bits - idx_bits
    if value_bits < 8:
        order = np.lexsort((values, gid))
        return order, values[order]
    shift = np.uint64(idx_bits)
    low_mask = np.uint64((1 << idx_bits) - 1)

    bits, flipped = _sortable_bits(values)
    lowest = np.full(n_groups, np.iinfo(np.uint64).max, dtype=np.uint64)
    np.minimum.at(lowest, gid, bits)
    highest = np.zeros(n_groups, dtype=np.uint64)
    np.maximum.at(highest, gid, bits)
    span = np.where(highest >= lowest, highest - lowest, np.uint64(0))
    # bit length of span via the float exponent (rounding can only overestimate)
    span_bits = np.frexp(span.astype(np.float64))[1]
    code_shift = np.maximum(span_bits - value_bits, 0).astype(np.uint64)
    del highest, span, span_bits
    keys = bits - lowest[gid]
    keys >>= code_shift[gid]
    keys <<= shift
    keys |= gid.astype(np.int64, copy=False).view(np.uint64) << np.uint64(
        idx_bits + value_bits
    )
    keys |= np.arange(n, dtype=np.uint64)
    keys.sort()
    order = (keys & low_mask).view(np.int64)  # < 2**48: the view is exact
    keys >>= shift
    ordered = bits[order]  # the one random gather
    del bits
    tied = np.flatnonzero(keys[1:] == keys[:-1])
    # codes equal: the values may still differ in low bits (equal values,
    # zeros for instance, tie too and need nothing)
    inverted = tied[ordered[tied + 1] < ordered[tied]]
    if inverted.size:
        # every row of a run of equal codes that holds an inversion; keys
        # are sorted, so membership is a binary search (np.isin hashes)
        in_run = np.zeros(n, dtype=bool)
        in_run[tied] = True
        in_run[tied + 1] = True
        pairs = np.flatnonzero(in_run)
        del in_run
        run_of = keys[pairs]
        bad_runs = keys[inverted]  # sorted: drop repeats without hashing
        bad_runs = bad_runs[np.r_[True, bad_runs[1:] != bad_runs[:-1]]]
        at = np.minimum(np.searchsorted(bad_runs, run_of), bad_runs.size - 1)
        bad = bad_runs[at] == run_of
        rows = pairs[bad]
        fix = np.lexsort((ordered[rows], run_of[bad]))
        order[rows] = order[rows][fix]
        ordered[rows] = ordered[rows][fix]
    del keys
    return order, _floats_from_sortable(ordered, flipped)


def _grouped_indices_unweighted(
    values: np.ndarray, counts: np.ndarray
) -> dict[str, np.ndarray]:
    """:func:`_grouped_indices` with every weight 1, in fewer passes.

    With p_i = 1/n and r_i = x_i / mean: Theil = Σ r ln r / n, MLD =
    −Σ ln r / n, CV² = Σ (r − 1)² / n, Hoover = Σ |r − 1| / 2n, Atkinson(½)
    = 1 − (Σ √r / n)², Atkinson(2) = 1 − n / Σ 1/r, and with ranks i = 0 …
    n−1 in ascending order, Gini = Σ (2i + 1) r_i / n² − 1.
    """
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    ends = starts + counts - 1
    n = counts.astype(np.float64)

    def per_group(a: np.ndarray) -> np.ndarray:
        return np.add.reduceat(a, starts)

    def broadcast(a: np.ndarray) -> np.ndarray:
        return np.repeat(a, counts)

    out: dict[str, np.ndarray] = {}
    r, tmp, scratch = (
        np.empty_like(values),
        np.empty_like(values),
        np.empty_like(values),
    )
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        mean = per_group(values) / n
        np.divide(values, broadcast(mean), out=r)
        tmp.fill(0.0)
        log_r = np.log(r, out=tmp, where=r > 0)
        out["theil"] = per_group(np.multiply(r, log_r, out=scratch)) / n
        out["mld"] = -per_group(log_r) / n
        deviation = np.subtract(r, 1.0, out=tmp)
        out["cv"] = np.sqrt(per_group(np.square(deviation, out=scratch)) / n)
        out["hoover"] = 0.5 * per_group(np.abs(deviation, out=scratch)) / n
        out["atkinson_0_5"] = 1.0 - (per_group(np.sqrt(r, out=tmp)) / n) ** 2
        out["atkinson_1"] = 1.0 - np.exp(-out["mld"])
        out["atkinson_2"] = 1.0 - n / per_group(np.divide(1.0, r, out=tmp))

        # rank + 1 within the group, as a float: the cumulative count
        rank1 = np.ones_like(values)
        rank1[starts[1:]] -= counts[:-1]
        np.cumsum(rank1, out=rank1)
        terms = np.multiply(rank1, 2.0, out=scratch)
        terms -= 1.0
        terms *= r
        out["gini"] = per_group(terms) / (n * n) - 1.0
        del r, scratch, terms
        cdf = np.divide(rank1, broadcast(n), out=rank1)

        below = np.empty(values.size, dtype=bool)

        def at_cdf(q: float) -> np.ndarray:
            np.less(cdf, q, out=below)
            return values[starts + np.add.reduceat(below, starts, dtype=np.int64)]

        smallest, largest = values[starts], values[ends]
        p10, p90 = at_cdf(0.1), at_cdf(0.9)
        out["ratio_max_min"] = np.where(smallest > 0, largest / smallest, np.nan)
        out["ratio_p90_p10"] = np.where(p10 > 0, p90 / p10, np.nan)

    undefined = (smallest < 0) | ~(mean > 0)
    not_positive = undefined | (smallest <= 0)
    for column, result in out.items():
        bad = not_positive if column == "mld" or column.startswith("atk") else undefined
        result[bad] = np.nan
    return out


def _grouped_indices(
    values: np.ndarray, w: np.ndarray, counts: np.ndarray
) -> dict[str, np.ndarray]:
    """Every index for consecutive groups of rows sorted by value within group.

    Every group has at least 2 rows. Where an index is undefined for a group
    the result is NaN, following the scalar functions' rules. Row-sized work
    goes through a few reused buffers to keep the peak memory down.
    """
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    ends = starts + counts - 1

    def per_group(a: np.ndarray) -> np.ndarray:
        return np.add.reduceat(a, starts)

    def broadcast(a: np.ndarray) -> np.ndarray:
        return np.repeat(a, counts)  # much faster than np.take with an index

    out: dict[str, np.ndarray] = {}
    tmp, scratch = np.empty_like(values), np.empty_like(values)
    p, r, share = np.empty_like(values), np.empty_like(values), np.empty_like(values)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        total_w = per_group(w)
        mean = per_group(np.multiply(w, values, out=tmp)) / total_w
        np.divide(w, broadcast(total_w), out=p)
        np.divide(values, broadcast(mean), out=r)
        np.multiply(p, r, out=share)  # p_i r_i, the share of the group total
        # log r is 0 where r <= 0: Theil T's 0 ln 0 = 0; MLD and Atkinson
        # are set to NaN below for groups with zeros or negatives
        tmp.fill(0.0)
        log_r = np.log(r, out=tmp, where=r > 0)
        out["theil"] = per_group(np.multiply(share, log_r, out=scratch))
        out["mld"] = -per_group(np.multiply(p, log_r, out=scratch))
        deviation = np.subtract(r, 1.0, out=tmp)
        p_deviation = np.multiply(p, deviation, out=scratch)
        out["cv"] = np.sqrt(per_group(np.multiply(p_deviation, deviation, out=tmp)))
        out["hoover"] = 0.5 * per_group(np.abs(p_deviation, out=scratch))
        root = np.sqrt(r, out=tmp)
        out["atkinson_0_5"] = 1.0 - per_group(np.multiply(p, root, out=tmp)) ** 2
        out["atkinson_1"] = 1.0 - np.exp(-out["mld"])
        out["atkinson_2"] = 1.0 - 1.0 / per_group(np.divide(p, r, out=tmp))
        del r

        cum = np.cumsum(w, out=tmp)
        before = np.zeros(starts.size)  # cumulated weight of earlier groups
        before[1:] = cum[starts[1:] - 1]
        group_cum = cum[ends] - before
        cum -= broadcast(before)
        cdf = np.divide(cum, broadcast(group_cum), out=tmp)
        gini_terms = np.multiply(cdf, 2.0, out=scratch)
        gini_terms -= p
        gini_terms *= share
        out["gini"] = per_group(gini_terms) - 1.0
        del p, share, scratch, gini_terms

        below = np.empty(values.size, dtype=bool)

        def at_cdf(compare: np.ufunc, q: float) -> np.ndarray:
            # first row of each group whose cumulative share passes q
            compare(cdf, q, out=below)
            return values[starts + np.add.reduceat(below, starts, dtype=np.int64)]

        smallest = at_cdf(np.less_equal, 0.0)  # first row of positive weight
        largest = at_cdf(np.less, 1.0)  # last row of positive weight
        p10, p90 = at_cdf(np.less, 0.1), at_cdf(np.less, 0.9)
        out["ratio_max_min"] = np.where(smallest > 0, largest / smallest, np.nan)
        out["ratio_p90_p10"] = np.where(p10 > 0, p90 / p10, np.nan)

    first = values[starts]  # the group's minimum, weight-0 rows included
    undefined = (first < 0) | ~(total_w > 0) | ~(mean > 0)
    not_positive = undefined | (first <= 0)
    for column, result in out.items():
        bad = not_positive if column == "mld" or column.startswith("atk") else undefined
        result[bad] = np.nan
    return out


def summarize(
    df: pd.DataFrame,
    *,
    value: Hashable,
    weight: Hashable | None = None,
    by: Hashable | Sequence[Hashable] = (),
) -> pd.DataFrame:
    """Every inequality index for every group of a long table, in one pass.

    For each group of rows sharing the ``by`` keys (e.g. indicator x year x
    agglomeration) the indices are computed over the group's rows
    (territories) exactly as the scalar functions would, with
    ``atkinson(epsilon=0.5 | 1 | 2)``:

    .. math::

        \\text{gini}_g, \\ \\text{theil}_g, \\ \\dots \\ = f\\bigl(
        \\{x_i, w_i : i \\in g\\}\\bigr)

    The work is vectorised over groups: one sort by (group, value), then
    group sums with ``np.add.reduceat`` and cumulative sums for the Gini and
    the weighted quantiles; there is no Python loop over groups.

    Rows whose value or weight is NaN are left out (``n`` counts the rest).
    Never raises for a group: where the scalar function would raise (fewer than
    2 values, zero total weight, a negative value, a zero mean; zeros for
    MLD and Atkinson; a zero minimum or 10th percentile for the ratios) the
    group gets NaN for that index only. Infinite values, and negative or
    infinite weights, are errors in the data and raise ``ValueError``.

    Parameters
    ----------
    df : pandas.DataFrame
        Long table, one row per territory and group; not modified.
    value : hashable
        Column of values (any unit).
    weight : hashable, optional
        Column of non-negative weights, e.g. population in persons. None:
        unweighted.
    by : hashable or sequence of hashable
        Grouping columns; empty for a single group of all rows. Missing keys
        (e.g. territories outside any agglomeration) form their own group,
        sorted last.

    Returns
    -------
    pandas.DataFrame
        One row per group, sorted by the keys: the ``by`` columns, ``n``, then
        :data:`INDEX_COLUMNS` (unitless) and ``weighted`` (bool).

    Examples
    --------
    >>> table = pd.DataFrame({"year": [2020, 2020, 2021, 2021, 2021],
    ...                       "revenue": [1.0, 3.0, 2.0, 2.0, 2.0]})
    >>> summarize(table, value="revenue", by="year")[["year", "n", "gini", "cv"]]
       year  n  gini   cv
    0  2020  2  0.25  0.5
    1  2021  3  0.00  0.0
    """
    keys = [by] if isinstance(by, str) or not isinstance(by, Sequence) else list(by)
    for column in [value, *keys] + ([] if weight is None else [weight]):
        if column not in df.columns:
            raise KeyError(f"summarize: no column {column!r} in the table")
    values = df[value].to_numpy(dtype=float, na_value=np.nan)
    n_inf = int(np.isinf(values).sum())
    if n_inf:
        raise ValueError(
            f"summarize: values must be finite; got "
            f"{_plural(n_inf, 'infinite value')} in {value!r}"
        )
    if weight is None:
        w = None
        valid = ~np.isnan(values)
    else:
        w = df[weight].to_numpy(dtype=float, na_value=np.nan)
        n_bad = int(np.isinf(w).sum() + (w < 0).sum())
        if n_bad:
            raise ValueError(
                f"summarize: weights must be finite and non-negative; got "
                f"{_plural(n_bad, 'bad weight')} in {weight!r}"
            )
        valid = ~(np.isnan(values) | np.isnan(w))

    gid, n_groups = _group_codes(df, keys)
    representative = np.zeros(n_groups, dtype=np.int64)
    representative[gid] = np.arange(len(df))  # any row of the group holds its keys
    n_valid = np.bincount(gid[valid], minlength=n_groups)

    keep = valid & (n_valid >= 2)[gid]
    values = values[keep]
    gid = gid[keep]
    order, values = _sort_by_group_then_value(gid, values)
    computed = np.flatnonzero(n_valid >= 2)
    if computed.size and w is None:
        results = _grouped_indices_unweighted(values, n_valid[computed])
    elif computed.size:
        results = _grouped_indices(values, w[keep][order], n_valid[computed])
    else:
        results = {column: np.empty(0) for column in INDEX_COLUMNS}

    out = df.iloc[representative][keys].reset_index(drop=True)
    out["n"] = n_valid.astype(np.int64)
    for column in INDEX_COLUMNS:
        full = np.full(n_groups, np.nan)
        full[computed] = results[column]
        out[column] = full
    out["weighted"] = weight is not None
    return out


def bootstrap_summary(
    df: pd.DataFrame,
    *,
    value: Hashable,
    weight: Hashable | None = None,
    by: Hashable | Sequence[Hashable] = (),
    n_boot: int = 499,
    ci: float = 0.95,
    random_state: int | np.random.Generator | None = 0,
    which: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Every index with its bootstrap interval and leave-one-out range, for
    every group, vectorised.

    The studentized bootstrap of :func:`bootstrap_ci` (territories resampled
    with replacement within their group, each keeping its weight), computed
    by :func:`analytics.intervals.grouped_intervals` for all groups of one
    size at once. A resample where an index is undefined (e.g. a zero drawn
    for MLD) is left out of that index's interval. The bounds are NaN where
    the interval was not measured to cover at least 90 % (``reason`` says
    why); the leave-one-out range is given for every group.

    Parameters
    ----------
    df, value, weight, by
        As for :func:`summarize`.
    n_boot : int
        Resamples per group.
    ci : float
        Confidence level.
    random_state : int, Generator or None
        Seed.
    which : sequence of str, optional
        Indices to compute (names from :data:`INDEX_COLUMNS`); all by default.

    Returns
    -------
    pandas.DataFrame
        One row per group and index: the ``by`` columns, ``index``,
        ``estimate`` (on the data as given), ``low`` and ``high`` (bounds of
        the interval), ``n``, ``loo_low`` and ``loo_high`` (the index without
        one territory: smallest and largest), ``reliable`` (bool) and
        ``reason`` (a key of :data:`analytics.intervals.REASONS`, "" when
        reliable).

    Examples
    --------
    >>> table = pd.DataFrame({"v": [1.0, 2.0, 3.0, 4.0, 10.0]})
    >>> res = bootstrap_summary(table, value="v", n_boot=200).set_index("index")
    >>> round(float(res.loc["gini", "estimate"]), 2)
    0.4
    >>> res.loc["gini", ["loo_low", "loo_high"]].astype(float).round(3).tolist()
    [0.25, 0.438]
    """
    from analytics import intervals  # imports this module

    check_bootstrap("bootstrap_summary", n_boot, ci)
    keys = [by] if isinstance(by, str) or not isinstance(by, Sequence) else list(by)
    return intervals.grouped_intervals(
        df,
        value=value,
        weight=weight,
        by=keys,
        n_boot=n_boot,
        ci=ci,
        random_state=random_state,
        which=list(INDEX_COLUMNS) if which is None else list(which),
    )


def _row_quantiles(matrix: np.ndarray, quantiles: Sequence[float]) -> list[np.ndarray]:
    """``np.quantile`` (linear) of the finite values of each row, NaN for a
    row without any: what a loop of ``np.quantile`` calls gives, in one pass."""
    matrix = np.where(np.isfinite(matrix), matrix, np.nan)
    ordered = np.sort(matrix, axis=1)  # NaN last
    n = (~np.isnan(matrix)).sum(axis=1)
    rows = np.arange(len(matrix))
    out = []
    for q in quantiles:
        # numpy's linear method step by step, so that the rounding is the same
        virtual = (n - 1) * q
        previous = np.floor(virtual)
        gamma = virtual - previous
        last = np.maximum(n - 1, 0)
        lower = np.minimum(previous.astype(np.int64), last)
        upper = np.minimum(lower + 1, last)
        a, b = ordered[rows, lower], ordered[rows, upper]
        diff = b - a
        value = np.where(gamma >= 0.5, b - diff * (1 - gamma), a + diff * gamma)
        out.append(np.where(n > 0, value, np.nan))
    return out
