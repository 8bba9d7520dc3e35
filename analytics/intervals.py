"""Confidence intervals for inequality indices over few territories.

An agglomeration has 5-30 territories. At such sizes the percentile bootstrap
of an inequality index covers the true value far less often than it says
(45-74 % for a "95 %" Gini interval, every miss on the same side: the index
is biased low and the bootstrap does not know it). This module gives the
interval the product shows instead, and says where none can be trusted.

Reading of the interval. The territories of an agglomeration are usually the
whole population, not a sample of it. The interval reads the values as one
draw from the process that generates territorial outcomes (a superpopulation,
or model-based, reading): it bounds the inequality that process produces, of
which this year's territories are one realisation.

Method: the studentized bootstrap (bootstrap-t) on a transformed scale. Each
resample of territories (each keeping its weight) gives the index and, by a
jackknife inside the resample, its standard error; the distribution of
``(I* - I) / se*`` replaces the normal quantiles. The index is first mapped
to the real line (logit for indices in [0, 1], log for the others), where
the studentized statistic is closer to pivotal. The jackknife needs the
index without each territory in turn: that is the index with the
territory's weight set to 0, so every index, weighted or not, is computed
for a whole ``(..., n)`` stack of samples at once by :func:`index_rows`.

Where the method was measured to cover the true value at least 90 % of the
time (``bench/bench_intervals.py``: lognormal values with sigma 0.5 and 1,
lognormal populations with sigma 1 as in the real agglomerations, n = 5-30)
the interval is returned; elsewhere its bounds are NaN, ``reliable`` is
False, and the leave-one-out range (the index without each territory in
turn: how much it depends on any single territory) is what to show. The
leave-one-out range is returned in every case.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from analytics import indices

__all__ = [
    "INTERVAL_INDICES",
    "REASONS",
    "RELIABLE_FROM",
    "IntervalResult",
    "bootstrap_interval",
    "grouped_intervals",
    "index_rows",
    "interval_reliable",
    "studentized_interval",
    "unreliable_reason",
]

#: Scale on which each index is studentized (the logit of the indices in
#: [0, 1] was measured too, and covered less; see BENCHMARKS.md).
_SCALE = {
    "gini": "log",
    "theil": "log",
    "mld": "log",
    "cv": "log",
    "atkinson_0_5": "log",
    "atkinson_1": "log",
    "atkinson_2": "log",
    "hoover": "log",
    "ratio_p90_p10": "log",
    "ratio_max_min": "log",
}
INTERVAL_INDICES: tuple[str, ...] = tuple(_SCALE)

#: Ratios are at least 1: an interval on the log scale is cut there.
_AT_LEAST_ONE = frozenset({"ratio_p90_p10", "ratio_max_min"})

#: Indices bounded above by 1: an interval on the log scale is cut there.
_AT_MOST_ONE = frozenset({"gini", "hoover", "atkinson_0_5", "atkinson_1", "atkinson_2"})

#: Smallest number of territories from which the interval covered the true
#: value at least 90 % of the time in every simulated case of that size and
#: above (lognormal sigma 0.5 and 1; n = 5, 7, 10, 15, 20, 30; 400 samples
#: each, so +-1.5 points of Monte Carlo error), by index and weighting. An
#: index absent here missed somewhere up to n = 30 (Theil T and the CV at
#: sigma 1: 0.80-0.89 and 0.67-0.81) and gets no interval. The maximum to
#: minimum ratio has no population value (it grows with n): never an
#: interval. Measured by ``bench/bench_intervals.py`` (BENCHMARKS.md).
RELIABLE_FROM: dict[tuple[str, bool], int] = {
    ("gini", False): 5,
    ("gini", True): 5,
    ("mld", False): 5,
    ("mld", True): 5,
    ("atkinson_0_5", False): 5,
    ("atkinson_1", False): 5,
    ("atkinson_1", True): 5,
    ("atkinson_2", False): 5,
    ("atkinson_2", True): 5,
    ("hoover", False): 20,
    ("hoover", True): 5,
}

#: Indices whose interval passes the coverage rule only by being huge: the
#: jackknife error of a quantile is not consistent, the P90/P10 interval
#: covered 0.99-1.00 from n = 15 with bounds up to 100 times the estimate
#: (1.0-181 for a ratio of 2.2 over 17 demo territories). Not shown.
UNSTABLE: frozenset[str] = frozenset({"ratio_p90_p10"})


#: Why an interval is not given (the value of ``reason``; "" when it is).
REASONS: dict[str, str] = {
    "few_territories": "fewer territories than the method needs to cover 90 %",
    "no_method": "no method covered 90 % for this index at n <= 30",
    "no_population_value": "the index has no population value to cover",
    "unmeasured": "the coverage of this index was not measured",
    "unstable": "the interval covers only by being huge (a quantile's jackknife)",
    "undefined": "the index is undefined or at its bound for these values",
}


def interval_reliable(index: str, n: int, weighted: bool) -> bool:
    """Whether the interval of ``index`` over ``n`` territories was measured
    to cover at least 90 % of the time (see :data:`RELIABLE_FROM`); beyond
    the largest simulated n (30) the measurement at 30 is taken to hold."""
    return unreliable_reason(index, n, weighted) == ""


def unreliable_reason(index: str | None, n: int, weighted: bool) -> str:
    """A key of :data:`REASONS`, or "" when the interval is reliable."""
    if index == "ratio_max_min":
        return "no_population_value"
    if index not in _SCALE:
        return "unmeasured"
    if index in UNSTABLE:
        return "unstable"
    start = RELIABLE_FROM.get((index, bool(weighted)))
    if start is None:
        return "no_method"
    return "" if n >= start else "few_territories"


def reliable_from(index: str, weighted: bool) -> int | None:
    """The smallest n with a reliable interval, None when there is none."""
    return RELIABLE_FROM.get((index, bool(weighted)))


# --------------------------------------------------------------------------
# every index on a stack of samples (last axis: territories; weights may be 0)
# --------------------------------------------------------------------------


def _sorted(x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row in ascending order of x (rows already sorted are left as they
    are: a sample without one territory is sorted when the sample is)."""
    if x.shape[-1] < 2 or (x[..., 1:] >= x[..., :-1]).all():
        return x, w
    order = np.argsort(x, axis=-1, kind="stable")
    return np.take_along_axis(x, order, -1), np.take_along_axis(w, order, -1)


def _quantile_rows(xs: np.ndarray, cdf: np.ndarray, q: float) -> np.ndarray:
    """Weighted inverted-CDF quantile of sorted rows: smallest x with F >= q."""
    k = np.minimum((cdf < q).sum(-1), xs.shape[-1] - 1)
    return np.take_along_axis(xs, k[..., None], -1)[..., 0]


def index_rows(index: str, x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``index`` of every sample in a stack: ``x`` and ``w`` of shape
    ``(..., n)``, one sample per row; a territory of weight 0 takes no part.

    The same definitions as :mod:`analytics.indices` (``atkinson_0_5`` is
    ``atkinson(epsilon=0.5)``), NaN where the scalar function would raise
    (zeros for MLD and Atkinson, a zero minimum or 10th percentile for the
    ratios, a zero mean).

    >>> x = np.array([[1.0, 2.0, 3.0, 4.0, 10.0], [1.0, 1.0, 1.0, 1.0, 1.0]])
    >>> index_rows("gini", x, np.ones_like(x)).round(2).tolist()
    [0.4, 0.0]
    """
    x = np.asarray(x, dtype=float)
    w = np.broadcast_to(np.asarray(w, dtype=float), x.shape)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        total = w.sum(-1, keepdims=True)
        p = w / total
        mean = (p * x).sum(-1, keepdims=True)
        r = x / mean
        present = p > 0
        positive = np.where(present, x > 0, True).all(-1)
        if index in ("gini", "ratio_p90_p10", "ratio_max_min"):
            xs, ws = _sorted(x, w)
            cum = np.cumsum(ws, -1)
            cdf = cum / cum[..., -1:]
            if index == "gini":
                ps = ws / total
                out = (ps * xs / mean * (2.0 * cdf - ps)).sum(-1) - 1.0
            elif index == "ratio_p90_p10":
                low = _quantile_rows(xs, cdf, 0.1)
                out = np.where(low > 0, _quantile_rows(xs, cdf, 0.9) / low, np.nan)
            else:
                low = np.where(ws > 0, xs, np.inf).min(-1)
                high = np.where(ws > 0, xs, -np.inf).max(-1)
                out = np.where(low > 0, high / low, np.nan)
        elif index == "theil":
            out = (p * np.where(r > 0, r * np.log(np.where(r > 0, r, 1.0)), 0.0)).sum(
                -1
            )
        elif index in ("mld", "atkinson_1"):
            mld = -(p * np.log(np.where(present, r, 1.0))).sum(-1)
            mld = np.where(positive, mld, np.nan)
            out = mld if index == "mld" else 1.0 - np.exp(-mld)
        elif index == "cv":
            out = np.sqrt((p * (r - 1.0) ** 2).sum(-1))
        elif index == "hoover":
            out = 0.5 * (p * np.abs(r - 1.0)).sum(-1)
        elif index == "atkinson_0_5":
            out = 1.0 - (p * np.sqrt(np.abs(r))).sum(-1) ** 2
            out = np.where(positive, out, np.nan)
        elif index == "atkinson_2":
            out = 1.0 - 1.0 / (p * np.where(present, 1.0 / r, 0.0)).sum(-1)
            out = np.where(positive, out, np.nan)
        else:
            raise ValueError(f"index_rows: unknown index {index!r}")
        bad = ~(mean[..., 0] > 0) | np.where(present, x < 0, False).any(-1)
    return np.where(bad, np.nan, out)


# --------------------------------------------------------------------------
# the studentized bootstrap
# --------------------------------------------------------------------------


def _to_scale(scale: str, v: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(v / (1.0 - v)) if scale == "logit" else np.log(v)


def _from_scale(scale: str, z: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z)) if scale == "logit" else np.exp(z)


def _jackknife_se(loo: np.ndarray) -> np.ndarray:
    """Jackknife standard error from leave-one-out values (last axis)."""
    n = loo.shape[-1]
    centred = loo - loo.mean(-1, keepdims=True)
    return np.sqrt((n - 1) / n * (centred**2).sum(-1))


def _gini_without_each(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The Gini without each territory in turn, in O(n) per sample: rows of
    ``x`` sorted ascending. With :math:`D = \\sum_{ij} w_i w_j |x_i - x_j|`,
    the Gini is :math:`D / (2 W T)` (:math:`W = \\sum w`,
    :math:`T = \\sum w x`), and leaving :math:`k` out removes
    :math:`2 w_k \\sum_j w_j |x_k - x_j|`, which cumulative sums give."""
    cw = np.cumsum(w, -1)  # weight up to and including each territory
    cs = np.cumsum(w * x, -1)
    total_w, total = cw[..., -1:], cs[..., -1:]
    # sum_j w_j |x_k - x_j| = x_k C_{k-1} - S_{k-1} + (T - S_k) - x_k (W - C_k)
    spread = x * (cw - w) - (cs - w * x) + (total - cs) - x * (total_w - cw)
    pairs = 2.0 * (w * x * (2.0 * cw - w - total_w)).sum(-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (pairs - 2.0 * w * spread) / (2.0 * (total_w - w) * (total - w * x))
    return np.where((total - w * x) > 0, out, np.nan)


def _leave_one_out(
    fn: Callable[[np.ndarray, np.ndarray], np.ndarray], x: np.ndarray, w: np.ndarray
) -> np.ndarray:
    """``fn`` without each territory in turn: shape ``(..., n)``."""
    if (
        isinstance(fn, functools.partial)
        and fn.func is index_rows
        and fn.args == ("gini",)
        and (x[..., 1:] >= x[..., :-1]).all()
    ):
        return _gini_without_each(x, w)
    n = x.shape[-1]
    keep = 1.0 - np.eye(n)
    return fn(np.broadcast_to(x[..., None, :], (*x.shape, n)), w[..., None, :] * keep)


@dataclass(frozen=True)
class IntervalResult:
    """Arrays over groups (any leading shape) from :func:`studentized_interval`."""

    estimate: np.ndarray
    low: np.ndarray
    high: np.ndarray
    std_error: np.ndarray
    loo_low: np.ndarray
    loo_high: np.ndarray


def studentized_interval(
    fn: Callable[[np.ndarray, np.ndarray], np.ndarray],
    x: np.ndarray,
    w: np.ndarray,
    draws: np.ndarray,
    *,
    ci: float,
    scale: str = "log",
    symmetric: bool = True,
    bias_correct: bool = True,
) -> IntervalResult:
    """Bootstrap-t interval of ``fn`` for a stack of samples of equal size.

    ``x`` and ``w`` have shape ``(G, n)`` (G samples of n territories);
    ``draws`` has shape ``(G, B, n)``: positions drawn with replacement.
    ``fn(x, w)`` maps ``(..., n)`` stacks to ``(...)`` values.

    On the scale ``z = g(I)`` ("log", "logit" or "identity"), with the
    jackknife (leave-one-out values :math:`z_{(i)}`, standard error
    :math:`s`), the default interval is

    .. math::

        \\tilde z \\pm q \\, s, \\qquad
        \\tilde z = n z - (n - 1) \\bar z_{(\\cdot)}, \\qquad
        q = \\text{quantile}_{ci} \\, |z^*_b - z| / s^*_b

    mapped back by :math:`g^{-1}`: the jackknife's bias correction (the
    Gini, the Theil index and the others are biased low over few
    territories), and the symmetric bootstrap-t for the width (its
    quantile of the absolute studentized resamples replaces the normal
    one). ``symmetric=False`` gives the equal-tailed bootstrap-t,
    ``bias_correct=False`` centres on z. Resamples whose studentized value
    is not finite (every drawn territory equal, for instance) are left out.
    """
    return interval_from(
        bootstrap_pieces(fn, x, w, draws),
        ci=ci,
        scale=scale,
        symmetric=symmetric,
        bias_correct=bias_correct,
    )


def bootstrap_pieces(
    fn: Callable[[np.ndarray, np.ndarray], np.ndarray],
    x: np.ndarray,
    w: np.ndarray,
    draws: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(estimate, leave-one-out values, resample values, their leave-one-out
    values): what every interval of :func:`interval_from` is made of."""
    # every index is symmetric in the territories: sorted samples (and
    # resamples) make the n leave-one-out copies sorted too, so the indices
    # that need an order sort each resample once, not n times
    x, w = _sorted(np.asarray(x, dtype=float), np.asarray(w, dtype=float))
    xb = np.take_along_axis(x[:, None, :], draws, -1)
    wb = np.take_along_axis(w[:, None, :], draws, -1)
    xb, wb = _sorted(xb, wb)
    return fn(x, w), _leave_one_out(fn, x, w), fn(xb, wb), _leave_one_out(fn, xb, wb)


def interval_from(
    pieces: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    *,
    ci: float,
    scale: str,
    symmetric: bool,
    bias_correct: bool,
) -> IntervalResult:
    """The interval of :func:`studentized_interval` from its pieces
    (undefined resamples and groups give NaN, silently)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return _interval_from(
            pieces, ci=ci, scale=scale, symmetric=symmetric, bias_correct=bias_correct
        )


def _interval_from(
    pieces: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    *,
    ci: float,
    scale: str,
    symmetric: bool,
    bias_correct: bool,
) -> IntervalResult:
    scale = scale if scale in ("log", "logit") else "identity"
    estimate, loo, boot, boot_loo = pieces
    if scale == "identity":
        z, z_loo, zb, zb_loo = estimate, loo, boot, boot_loo
    else:
        z, z_loo, zb, zb_loo = (
            _to_scale(scale, v) for v in (estimate, loo, boot, boot_loo)
        )
    n = loo.shape[-1]
    se = _jackknife_se(z_loo)
    centre = n * z - (n - 1) * z_loo.mean(-1) if bias_correct else z
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (zb - z[..., None]) / _jackknife_se(zb_loo)
    t = np.where(np.isfinite(t), t, np.nan)
    with np.errstate(all="ignore"):
        if symmetric:
            q = np.nanquantile(np.abs(t), ci, axis=-1)
            low_z, high_z = centre - q * se, centre + q * se
        else:
            alpha = (1 - ci) / 2
            t_low, t_high = np.nanquantile(t, [alpha, 1 - alpha], axis=-1)
            low_z, high_z = centre - t_high * se, centre - t_low * se
    if scale == "identity":
        low, high = low_z, high_z
    else:
        low, high = _from_scale(scale, low_z), _from_scale(scale, high_z)
    with np.errstate(invalid="ignore"):
        boot_se = np.nanstd(np.where(np.isfinite(boot), boot, np.nan), -1, ddof=1)
    finite_loo = np.where(np.isfinite(loo), loo, np.nan)
    with np.errstate(all="ignore"):
        return IntervalResult(
            estimate=estimate,
            low=low,
            high=high,
            std_error=boot_se,
            loo_low=np.nanmin(finite_loo, -1),
            loo_high=np.nanmax(finite_loo, -1),
        )


def scale_of(index: str | None) -> str:
    """Studentization scale of a named index ("identity" when unknown)."""
    return _SCALE.get(index or "", "identity")


# --------------------------------------------------------------------------
# the public entry points (called by analytics.indices)
# --------------------------------------------------------------------------

_NAMED: dict[Callable[..., float], str] = {
    indices.gini: "gini",
    indices.theil: "theil",
    indices.mld: "mld",
    indices.cv: "cv",
    indices.hoover: "hoover",
    indices.ratio_max_min: "ratio_max_min",
    indices.ratio_p90_p10: "ratio_p90_p10",
}
_ATKINSON = {0.5: "atkinson_0_5", 1.0: "atkinson_1", 2.0: "atkinson_2"}


def index_name(index_fn: Callable[..., float]) -> str | None:
    """The :data:`INTERVAL_INDICES` name of one of :mod:`analytics.indices`'
    functions (``functools.partial(atkinson, epsilon=e)`` included), else None."""
    if index_fn in _NAMED:
        return _NAMED[index_fn]
    if (
        isinstance(index_fn, functools.partial)
        and index_fn.func is indices.atkinson
        and not index_fn.args
        and set(index_fn.keywords) == {"epsilon"}
    ):
        return _ATKINSON.get(float(index_fn.keywords["epsilon"]))
    return None


def _rows_of(
    index_fn: Callable[..., float], weighted: bool
) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """``index_fn`` on a stack of samples, one call per sample (territories
    of weight 0 left out): the slow path for a function not known here."""

    def fn(x: np.ndarray, w: np.ndarray) -> np.ndarray:
        flat_x = x.reshape(-1, x.shape[-1])
        flat_w = np.broadcast_to(w, x.shape).reshape(-1, x.shape[-1])
        out = np.empty(len(flat_x))
        for i, (xi, wi) in enumerate(zip(flat_x, flat_w, strict=True)):
            keep = wi > 0
            try:
                out[i] = (
                    index_fn(xi[keep], weights=wi[keep])
                    if weighted
                    else index_fn(xi[keep])
                )
            except ValueError:
                out[i] = np.nan
        return out.reshape(x.shape[:-1])

    return fn


def bootstrap_interval(
    index_fn: Callable[..., float],
    x: ArrayLike,
    *,
    weights: ArrayLike | None,
    n_boot: int,
    ci: float,
    random_state: int | np.random.Generator | None,
) -> indices.BootstrapCI:
    """The studentized interval of :func:`analytics.indices.bootstrap_ci`."""
    values = np.asarray(x, dtype=float)
    w_given = None if weights is None else np.asarray(weights, dtype=float)
    estimate = float(
        index_fn(values) if w_given is None else index_fn(values, weights=w_given)
    )  # raises the index's own error on bad input
    name = index_name(index_fn)
    weighted = w_given is not None
    w = np.ones_like(values) if w_given is None else w_given
    fn = (
        functools.partial(index_rows, name)
        if name is not None
        else _rows_of(index_fn, weighted)
    )
    rng = np.random.default_rng(random_state)
    n = values.size
    draws = rng.integers(0, n, size=(1, n_boot, n))
    res = studentized_interval(
        fn, values[None, :], w[None, :], draws, ci=ci, scale=scale_of(name)
    )
    reason = unreliable_reason(name, n, weighted)
    low, high = float(res.low[0]), float(res.high[0])
    if name in _AT_MOST_ONE:
        high = min(high, 1.0)
    if name in _AT_LEAST_ONE:
        low = max(low, 1.0)
    if not reason and not (np.isfinite(low) and np.isfinite(high)):
        reason = "undefined"
    if reason:
        low = high = np.nan
    return indices.BootstrapCI(
        estimate=estimate,
        low=low,
        high=high,
        std_error=float(res.std_error[0]),
        ci=ci,
        n_boot=int(n_boot),
        method="studentized",
        reliable=not reason,
        reason=reason,
        loo_low=float(res.loo_low[0]),
        loo_high=float(res.loo_high[0]),
    )


def grouped_intervals(
    df: pd.DataFrame,
    *,
    value: Hashable,
    weight: Hashable | None,
    by: list[Hashable],
    n_boot: int,
    ci: float,
    random_state: int | np.random.Generator | None,
    which: Sequence[str],
) -> pd.DataFrame:
    """:func:`analytics.indices.bootstrap_summary`: groups of equal size are
    stacked and computed together (a loop over sizes, not over groups)."""
    unknown = [i for i in which if i not in indices.INDEX_COLUMNS]
    if unknown:
        raise ValueError(
            f"bootstrap_summary: unknown index {unknown[0]!r}; choose from "
            f"{list(indices.INDEX_COLUMNS)}"
        )
    data = df.reset_index(drop=True)
    point = indices.summarize(data, value=value, weight=weight, by=by)
    values = data[value].to_numpy(dtype=float, na_value=np.nan)
    valid = ~np.isnan(values)
    if weight is not None:
        w_all = data[weight].to_numpy(dtype=float, na_value=np.nan)
        valid &= ~np.isnan(w_all)
    else:
        w_all = np.ones_like(values)
    if by:
        codes, n_groups = indices._group_codes(data, by)  # summarize's order
    else:
        codes, n_groups = np.zeros(len(data), dtype=np.int64), 1
    codes = np.where(valid, codes, -1)
    order = np.argsort(codes, kind="stable")
    order = order[codes[order] >= 0]
    sizes = np.bincount(codes[order], minlength=n_groups)
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    k = len(which)
    shape = (n_groups, k)
    low, high = np.full(shape, np.nan), np.full(shape, np.nan)
    loo_low, loo_high = np.full(shape, np.nan), np.full(shape, np.nan)
    rng = np.random.default_rng(random_state)
    for size in np.unique(sizes[sizes >= 2]):
        groups = np.flatnonzero(sizes == size)
        rows = order[(starts[groups][:, None] + np.arange(size)).ravel()]
        x = values[rows].reshape(len(groups), size)
        w = w_all[rows].reshape(len(groups), size)
        draws = rng.integers(0, size, size=(len(groups), n_boot, size))
        chunk = max(1, 2_000_000 // (n_boot * size * size))
        for j, name in enumerate(which):
            fn = functools.partial(index_rows, name)
            for first in range(0, len(groups), chunk):
                part = slice(first, first + chunk)
                res = studentized_interval(
                    fn, x[part], w[part], draws[part], ci=ci, scale=scale_of(name)
                )
                where = groups[part]
                top = np.minimum(res.high, 1.0) if name in _AT_MOST_ONE else res.high
                bottom = np.maximum(res.low, 1.0) if name in _AT_LEAST_ONE else res.low
                low[where, j], high[where, j] = bottom, top
                loo_low[where, j], loo_high[where, j] = res.loo_low, res.loo_high
    n = point["n"].to_numpy().astype(int)
    estimates = np.column_stack([point[c].to_numpy(dtype=float) for c in which])
    weighted = weight is not None
    reasons = np.array(
        [[unreliable_reason(name, int(m), weighted) for name in which] for m in n],
        dtype=object,
    ).reshape(shape)
    broken = (reasons == "") & ~(np.isfinite(low) & np.isfinite(high))
    reasons[broken] = "undefined"
    keep = reasons == ""
    low, high = np.where(keep, low, np.nan), np.where(keep, high, np.nan)
    table = point[by].iloc[np.repeat(np.arange(n_groups), k)].reset_index(drop=True)
    table["index"] = pd.array(list(which) * n_groups, dtype="str")
    table["estimate"] = estimates.ravel()
    table["low"] = low.ravel()
    table["high"] = high.ravel()
    table["n"] = np.repeat(n, k)
    table["loo_low"] = loo_low.ravel()
    table["loo_high"] = loo_high.ravel()
    table["reliable"] = keep.ravel()
    table["reason"] = pd.array(reasons.ravel().tolist(), dtype="str")
    return table
