"""Dispersion and ratio indices: coefficient of variation, Hoover index,
max/min and p90/p10 ratios."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from analytics.indices._core import _prepare, _quantile, _relative


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
