"""Input checks and kernels shared by every index (no validation in the
kernels: they take checked arrays), and the result of a decomposition."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike


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
