"""The Gini coefficient, the Lorenz curve and the Gini decomposition by groups."""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from analytics.indices._core import Decomposition, _gini, _group_table, _prepare


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
