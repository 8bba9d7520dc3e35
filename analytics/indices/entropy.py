"""The generalised-entropy family: Theil (GE(1)), mean log deviation (GE(0)),
Atkinson, and the exact between/within decompositions of Theil and MLD."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from analytics.indices._core import (
    Decomposition,
    _group_table,
    _mld,
    _prepare,
    _relative,
    _theil,
)


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
