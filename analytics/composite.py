"""Composite theme indices (finance, staffing, competencies) and their robustness.

The construction follows the OECD/JRC *Handbook on Constructing Composite
Indicators* (2008) step by step, and every decision it takes is reported in
the result, so that a user can see why an indicator is not in the index:

1. **Selection.** The theme's indicators from the catalog (or the ones
   given). An indicator of direction 0 (neither higher nor lower is better)
   cannot enter a "better/worse" index and is excluded, as is one without
   variation across the territories, and (for a theme) an absolute amount
   that has a per-capita form: a total measures size, not performance.
2. **Coverage gate.** An indicator observed for fewer than ``min_coverage``
   (65 %) of the territories is excluded. The remaining gaps are *not*
   imputed: each territory's score is aggregated over the indicators it has,
   with their weights renormalised (its ``n_indicators`` says how many).
3. **Skewed indicators.** Where :math:`|\\text{skew}| > 2` and
   :math:`\\text{kurtosis} > 3.5` (sample skewness and excess kurtosis, as
   Excel's ``SKEW``/``KURT`` and the JRC's COIN tool compute them), the most
   extreme values are winsorised one at a time (each capped at the next
   value) up to ``max_winsorised`` points, until the rule no longer holds; if
   it still holds, the original values are log-transformed instead
   (:math:`\\ln x`, or :math:`\\ln(x - \\min x + 1)` when some value is not
   positive; mirrored for a negative skew). Both are monotone: ranks within
   the indicator do not change.
4. **Normalisation** of the direction-adjusted value :math:`v = d\\,x`
   (:math:`d` the catalog direction), so that higher is always better:

   =============  ==========================================================
   ``minmax``     :math:`100\\,(v - \\min v) / (\\max v - \\min v)`, in [0, 100]
   ``zscore``     :math:`(v - \\bar v) / s_v` (population SD, ``ddof=0``)
   ``rank``       percentile rank :math:`100\\,(r - 1)/(n - 1)`, ties averaged
   ``target``     distance to a target :math:`t` (default: the best value),
                  as COINr's ``n_dist2targ`` with ``cap_max``:
                  :math:`100\\,\\min(1, (x - x_w) / (t - x_w))`, where
                  :math:`x_w` is the worst value (the minimum for
                  :math:`d = +1`, the maximum for :math:`d = -1`): 0 for
                  the worst territory, 100 at or beyond the target, in
                  [0, 100]; the target must be better than the worst value
   =============  ==========================================================

5. **Weights**: equal, or user-given (renormalised to sum 1 over the
   included indicators).
6. **Aggregation**: arithmetic :math:`\\sum_j w_j y_{ij}` or geometric
   :math:`\\prod_j y_{ij}^{w_j}`. The geometric mean needs positive values,
   so before a geometric aggregation every normalised indicator is rescaled
   linearly onto [1, 100] (:math:`1 + 99\\,(y - \\min y)/(\\max y - \\min y)`):
   the worst territory gets 1, not 0, and keeps a finite logarithm.
7. **Sensitivity (uncertainty analysis).** The ranks are recomputed under
   every combination of normalisation × aggregation × weights (the base
   weights and ``n_weight_draws`` seeded random perturbations, each weight
   multiplied by a factor uniform in
   :math:`[1 - \\text{spread}, 1 + \\text{spread}]` and renormalised). Each
   territory gets its median rank and the 5th–95th percentile interval of
   its rank: a narrow interval is a robust ranking.

Scores are unweighted across territories: a composite index ranks
territories, it does not average people.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from itertools import product
from typing import Literal

import numpy as np
import pandas as pd

from analytics.scope import (  # noqa: F401 - part of this module's interface
    ABOVE_MUNICIPAL_LEVELS,
    GAP_THEMES,
    PER_CAPITA_DENOMINATORS,
    require_columns,
    scope_territories,
    select_indicators,
    size_dependent,
)
from analytics.store import (
    DIRECTION,
    INDICATOR_ID,
    TERRITORY_ID,
    VALUE,
    YEAR,
)

__all__ = [
    "AGGREGATIONS",
    "GAP_THEMES",
    "NORMALISATIONS",
    "CompositeIndex",
    "composite_index",
    "indicator_matrix",
    "select_indicators",
    "size_dependent",
    "theme_scores",
]

Normalisation = Literal["minmax", "zscore", "rank", "target"]
Aggregation = Literal["arithmetic", "geometric"]

#: Normalisation methods, in the order the sensitivity analysis uses them.
NORMALISATIONS: tuple[str, ...] = ("minmax", "zscore", "rank", "target")
#: Aggregation methods.
AGGREGATIONS: tuple[str, ...] = ("arithmetic", "geometric")


def latest_year(observations: pd.DataFrame, columns: Sequence[str]) -> int:
    """The latest year with values for the most of ``columns`` (indicators)."""
    seen = observations.dropna(subset=[VALUE])
    seen = seen[seen[INDICATOR_ID].isin(columns)]
    per_year = seen.groupby(YEAR, observed=True)[INDICATOR_ID].nunique()
    per_year = per_year[per_year == per_year.max()]
    return int(per_year.index.max())


def indicator_matrix(
    observations: pd.DataFrame,
    territories: pd.DataFrame | None,
    indicators: pd.DataFrame,
    agglomeration_id: str | None = None,
    year: int | None = None,
    *,
    indicator_ids: str | Sequence[str] | None = None,
    theme: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Wide table of one year: a row per territory, a column per indicator.

    Parameters
    ----------
    observations, territories, indicators : pandas.DataFrame
        The store's tables (not modified). ``territories`` may be None: every
        territory of the observations is then in scope.
    agglomeration_id : str, optional
        Only this agglomeration's members; None: every municipality (all
        levels below the region).
    year : int, optional
        Reference year; None: the latest year with values for the most of the
        chosen indicators.
    indicator_ids, theme : optional
        The indicators (in this order), or a theme (or themes) of the catalog;
        neither: finance, staffing and competencies. A theme brings its
        available indicators except absolute amounts that have a per-capita
        form (:func:`size_dependent`).

    Returns
    -------
    pandas.DataFrame
        Index ``territory_id`` (territories in scope with at least one value),
        one column per indicator in its canonical unit, NaN where not
        observed; ``attrs["year"]`` holds the year.

    Examples
    --------
    >>> obs = pd.DataFrame({"territory_id": ["a", "a", "b"], "year": 2022,
    ...                     "indicator_id": ["x", "y", "x"],
    ...                     "value": [1.0, 2.0, 3.0]})
    >>> cat = pd.DataFrame({"indicator_id": ["x", "y"], "theme": "finance",
    ...                     "direction": [1, -1]})
    >>> indicator_matrix(obs, None, cat)  # doctest: +NORMALIZE_WHITESPACE
    indicator_id    x    y
    territory_id
    a             1.0  2.0
    b             3.0  NaN
    """
    fn = "indicator_matrix"
    chosen = select_indicators(fn, indicators, indicator_ids=indicator_ids, theme=theme)
    ids = scope_territories(fn, observations, territories, agglomeration_id)
    columns = list(chosen.index)
    inside = observations[TERRITORY_ID].isin(ids) & observations[INDICATOR_ID].isin(
        columns
    )
    # only the columns used: a filter copies every column it keeps
    used = [TERRITORY_ID, INDICATOR_ID, YEAR, VALUE]
    rows = observations.loc[inside.to_numpy(), used]
    if rows[VALUE].notna().sum() == 0:
        raise ValueError(
            f"{fn}: no observation of {columns} for the territories in scope"
        )
    if year is None:
        year = latest_year(rows, columns)
    rows = rows[rows[YEAR] == year]
    if rows.empty:
        raise ValueError(f"{fn}: no observation of {columns} in {year}")
    wide = _pivot(rows, columns)
    wide.attrs["year"] = int(year)
    return wide


def _pivot(rows: pd.DataFrame, columns: list) -> pd.DataFrame:
    """Territories × ``columns`` of one year's rows: the first non-missing
    value of each pair, territories without any value left out, sorted by id.

    What ``pivot_table(aggfunc="first")`` gives, in numpy: on an
    agglomeration's few dozen rows pandas' pivot cost 9 ms a call, which the
    app paid on every change of year.
    """
    rows = rows[rows[VALUE].notna()]
    territory, names = pd.factorize(rows[TERRITORY_ID], sort=True)
    column = pd.Index(columns).get_indexer(rows[INDICATOR_ID].astype(object))
    values = rows[VALUE].to_numpy(dtype=float)
    inside = column >= 0
    territory, column, values = territory[inside], column[inside], values[inside]
    # the first value of each (territory, indicator) pair, in row order
    _, first = np.unique(territory * len(columns) + column, return_index=True)
    present = np.unique(territory)
    matrix = np.full((present.size, len(columns)), np.nan)
    matrix[np.searchsorted(present, territory[first]), column[first]] = values[first]
    index = pd.Index(np.asarray(names)[present], name=TERRITORY_ID)
    return pd.DataFrame(
        matrix, index=index, columns=pd.Index(columns, name=INDICATOR_ID)
    )


def _rank_columns(values: np.ndarray, method: str) -> np.ndarray:
    """Ranks down each column (1 = smallest), NaN kept: what
    ``scipy.stats.rankdata(values, axis=0, method=..., nan_policy="omit")``
    returns, through pandas, which the app has loaded already."""
    flat = values.reshape(values.shape[0], -1)
    ranks = pd.DataFrame(flat).rank(axis=0, method=method, na_option="keep")
    return ranks.to_numpy(dtype=float).reshape(values.shape)


# --------------------------------------------------------------------------
# the steps of the Handbook
# --------------------------------------------------------------------------


def _outlying(x: np.ndarray, skew_limit: float, kurtosis_limit: float):
    """(skew, kurtosis, is_outlying) of observed values; NaN when n < 4."""
    if x.size < 4 or np.ptp(x) == 0:
        return math.nan, math.nan, False
    s, k = _skew_kurtosis(x)
    return s, k, abs(s) > skew_limit and k > kurtosis_limit


def _skew_kurtosis(x: np.ndarray) -> tuple[float, float]:
    """Sample skewness and excess kurtosis, bias-corrected (G1, G2): what
    ``scipy.stats.skew(x, bias=False)`` and ``kurtosis(x, bias=False)``
    return, without their per-call overhead (a composite calls this a few
    hundred times)."""
    n = x.size
    d = x - x.mean()
    d2 = d * d
    m2 = d2.mean()
    m3 = (d2 * d).mean()
    m4 = (d2 * d2).mean()
    g1 = m3 / m2**1.5
    g2 = m4 / m2**2 - 3.0
    skew = g1 * math.sqrt(n * (n - 1)) / (n - 2)
    kurtosis = ((n + 1) * g2 + 6.0) * (n - 1) / ((n - 2) * (n - 3))
    return float(skew), float(kurtosis)


def _log_transform(x: np.ndarray, skew: float) -> np.ndarray:
    """Monotone increasing log transform, mirrored for a negative skew."""
    if skew > 0:
        return np.log(x) if (x > 0).all() else np.log(x - x.min() + 1.0)
    return -np.log(x.max() - x + 1.0)


def _treat_skew(
    x: np.ndarray,
    *,
    method: str,
    max_points: int,
    skew_limit: float,
    kurtosis_limit: float,
) -> tuple[np.ndarray, dict]:
    """Treat one indicator's observed values (no NaN); returns the record."""
    s0, k0, outlying = _outlying(x, skew_limit, kurtosis_limit)
    record = {
        "skew": s0,
        "kurtosis": k0,
        "treatment": "none",
        "points": 0,
        "skew_after": s0,
        "kurtosis_after": k0,
    }
    if not outlying or method == "none":
        return x, record
    y = x
    if method == "winsorise":
        ordered = np.sort(x)[::-1] if s0 > 0 else np.sort(x)
        for i in range(1, min(max_points, x.size - 2) + 1):
            cap = ordered[i]  # every value beyond the (i+1)-th is set to it
            y = np.minimum(x, cap) if s0 > 0 else np.maximum(x, cap)
            s, k, outlying = _outlying(y, skew_limit, kurtosis_limit)
            if not outlying:
                changed = int((y != x).sum())
                record.update(
                    treatment="winsorised",
                    points=changed,
                    skew_after=s,
                    kurtosis_after=k,
                )
                return y, record
    y = _log_transform(x, s0)
    s, k, _ = _outlying(y, skew_limit, kurtosis_limit)
    record.update(treatment="log", skew_after=s, kurtosis_after=k)
    return y, record


def _normalise(
    x: np.ndarray, direction: np.ndarray, method: str, targets: np.ndarray
) -> np.ndarray:
    """Normalise each column of ``x`` (NaN kept) so that higher is better."""
    v = x * direction
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "minmax":
            low, high = np.nanmin(v, axis=0), np.nanmax(v, axis=0)
            return 100.0 * (v - low) / (high - low)
        if method == "zscore":
            return (v - np.nanmean(v, axis=0)) / np.nanstd(v, axis=0)
        if method == "rank":
            ranks = _rank_columns(v, "average")
            n = (~np.isnan(v)).sum(axis=0)
            return 100.0 * (ranks - 1.0) / (n - 1.0)
        if method == "target":
            # COINr n_dist2targ, cap_max = TRUE: (x - min)/(t - min) when
            # higher is better, (max - x)/(max - t) when lower is; both are
            # (x - worst)/(t - worst)
            worst = np.where(direction > 0, np.nanmin(x, axis=0), np.nanmax(x, axis=0))
            return np.minimum(100.0 * (x - worst) / (targets - worst), 100.0)
    raise ValueError(
        f"composite_index: normalisation must be one of {list(NORMALISATIONS)}; "
        f"got {method!r}"
    )


def _aggregate(y: np.ndarray, weights: np.ndarray, method: str) -> np.ndarray:
    """Scores of ``y`` (n x m, NaN = missing) under each row of ``weights``
    (k x m), weights renormalised over a territory's observed indicators.
    Returns n x k."""
    observed = ~np.isnan(y)
    if method == "geometric":
        low, high = np.nanmin(y, axis=0), np.nanmax(y, axis=0)
        y = 1.0 + 99.0 * (y - low) / (high - low)
        y = np.log(y)
    elif method != "arithmetic":
        raise ValueError(
            f"composite_index: aggregation must be one of {list(AGGREGATIONS)}; "
            f"got {method!r}"
        )
    filled = np.where(observed, y, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        scores = (filled @ weights.T) / (observed.astype(float) @ weights.T)
    return np.exp(scores) if method == "geometric" else scores


#: Scores closer than this (relative to the largest absolute score of the
#: column, at least 1) are ties: equal scores summed in another order differ
#: in the last bits, and must not get different ranks.
TIE_TOLERANCE = 1e-9


def _ranks(scores: np.ndarray) -> np.ndarray:
    """Rank 1 = the highest score, per column; ties share the best rank
    (``min`` method), floating-point noise included (:data:`TIE_TOLERANCE`);
    NaN stays NaN."""
    scores = np.asarray(scores, dtype=float)
    if scores.size == 0:
        return scores.copy()
    key = np.where(np.isnan(scores), np.inf, -scores)  # NaN sorts last
    order = np.argsort(key, axis=0, kind="stable")
    ordered = np.take_along_axis(key, order, axis=0)
    with np.errstate(all="ignore"):
        scale = np.nanmax(np.where(np.isnan(scores), 0.0, np.abs(scores)), axis=0)
    tol = TIE_TOLERANCE * np.maximum(scale, 1.0)
    starts = np.ones(ordered.shape, dtype=bool)
    with np.errstate(invalid="ignore"):
        starts[1:] = ~(np.diff(ordered, axis=0) <= tol)
    position = np.arange(len(ordered))[:, None] * np.ones(ordered.shape[1:], int)
    first = np.maximum.accumulate(np.where(starts, position, 0), axis=0)
    ranks = np.empty(ordered.shape)
    np.put_along_axis(ranks, order, first + 1.0, axis=0)
    ranks[np.isnan(scores)] = np.nan
    return ranks


# --------------------------------------------------------------------------
# the result and the main function
# --------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class CompositeIndex:
    """A composite index with the record of how it was built.

    Attributes
    ----------
    theme : str
        The theme (or ``"custom"`` for a list of indicators).
    year : int
        Reference year.
    normalisation, aggregation : str
        The base settings.
    scores : pandas.DataFrame
        One row per territory, best first: ``territory_id``, ``score``
        (unitless; 0–100 for ``minmax``/``rank``, z units for ``zscore``,
        0–100 for ``target`` (100 = at the target), 1–100 for geometric
        aggregation),
        ``rank`` (1 = best), ``n_indicators`` (indicators it has).
    normalised : pandas.DataFrame
        Wide: territories × included indicators, the normalised values
        (higher is better) that entered the base score.
    included : pandas.DataFrame
        ``indicator_id``, ``direction``, ``weight`` (summing to 1),
        ``coverage`` (share of territories observed).
    excluded : pandas.DataFrame
        ``indicator_id``, ``reason`` (readable, English), ``coverage``,
        ``code`` (``size_dependent``, ``coverage``, ``no_variation``: what
        code tests instead of the words).
    treatments : pandas.DataFrame
        One row per included indicator: ``skew``, ``kurtosis`` (before),
        ``treatment`` (``none`` / ``winsorised`` / ``log``), ``points``
        (values winsorised), ``skew_after``, ``kurtosis_after``.
    sensitivity : pandas.DataFrame
        One row per territory: ``rank`` (base), ``median_rank``,
        ``rank_p05``, ``rank_p95``, ``rank_width`` (p95 − p05) over all
        scenarios; empty when the analysis was not asked for.
    scenarios : pandas.DataFrame
        One row per scenario: ``normalisation``, ``aggregation``, ``weights``
        (``"base"`` or ``"draw k"``).
    """

    theme: str
    year: int
    normalisation: str
    aggregation: str
    scores: pd.DataFrame
    normalised: pd.DataFrame
    included: pd.DataFrame
    excluded: pd.DataFrame
    treatments: pd.DataFrame
    sensitivity: pd.DataFrame
    scenarios: pd.DataFrame


def _base_weights(
    fn: str, ids: list, weights: Mapping[str, float] | None
) -> np.ndarray:
    if weights is None:
        return np.full(len(ids), 1.0 / len(ids))
    unknown = [k for k in weights if k not in ids]
    if unknown:
        raise ValueError(
            f"{fn}: weight given for {unknown[0]!r}, which is not among the "
            f"indicators {ids}"
        )
    w = np.array([float(weights.get(i, 0.0)) for i in ids])
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError(f"{fn}: weights must be finite and non-negative; got {w}")
    return w


def composite_index(
    observations: pd.DataFrame,
    territories: pd.DataFrame | None,
    indicators: pd.DataFrame,
    agglomeration_id: str | None = None,
    year: int | None = None,
    *,
    theme: str | None = "finance",
    indicator_ids: Sequence[str] | None = None,
    normalisation: Normalisation = "minmax",
    aggregation: Aggregation = "arithmetic",
    weights: Mapping[str, float] | None = None,
    targets: Mapping[str, float] | None = None,
    min_coverage: float = 0.65,
    skew_treatment: Literal["winsorise", "log", "none"] = "winsorise",
    max_winsorised: int = 5,
    skew_limit: float = 2.0,
    kurtosis_limit: float = 3.5,
    sensitivity: bool = True,
    n_weight_draws: int = 50,
    weight_spread: float = 0.25,
    random_state: int | None = 0,
) -> CompositeIndex:
    """Composite index of a theme for the territories in scope.

    See the module documentation for each step and its formula.

    Parameters
    ----------
    observations, territories, indicators : pandas.DataFrame
        The store's tables (not modified).
    agglomeration_id : str, optional
        Only this agglomeration's members; None: every municipality.
    year : int, optional
        Reference year; None: the latest year with the most indicators.
    theme : str, optional
        Catalog theme whose directed indicators enter the index.
    indicator_ids : sequence of str, optional
        Explicit indicators instead of the theme.
    normalisation : {"minmax", "zscore", "rank", "target"}
    aggregation : {"arithmetic", "geometric"}
    weights : mapping, optional
        Indicator id → non-negative weight; missing ids weigh 0; None: equal.
    targets : mapping, optional
        Indicator id → target value for ``target`` normalisation (in the
        indicator's unit); default: the best value observed.
    min_coverage : float
        Coverage gate: minimum share of territories observed.
    skew_treatment : {"winsorise", "log", "none"}
        ``winsorise`` (falls back to log when ``max_winsorised`` points are
        not enough), ``log`` directly, or no treatment.
    max_winsorised : int
        Most points winsorised per indicator.
    skew_limit, kurtosis_limit : float
        The rule for a skewed indicator (JRC: 2 and 3.5).
    sensitivity : bool
        Run the uncertainty analysis.
    n_weight_draws : int
        Random weight perturbations besides the base weights.
    weight_spread : float
        Relative half-width of the weight perturbation (0.25: ±25 %).
    random_state : int, optional
        Seed of the weight draws.

    Returns
    -------
    CompositeIndex

    Raises
    ------
    ValueError
        Empty input, unknown indicator, fewer than 2 territories, no
        indicator passing the gates, bad weights or methods.

    Examples
    --------
    Two indicators, three territories; ``b`` is lower-is-better:

    >>> obs = pd.DataFrame({
    ...     "territory_id": ["t1", "t2", "t3"] * 2, "year": 2022,
    ...     "indicator_id": ["a"] * 3 + ["b"] * 3,
    ...     "value": [10.0, 20.0, 30.0, 5.0, 1.0, 3.0]})
    >>> cat = pd.DataFrame({"indicator_id": ["a", "b"], "theme": "finance",
    ...                     "direction": [1, -1]})
    >>> res = composite_index(obs, None, cat, sensitivity=False)
    >>> res.scores[["territory_id", "score", "rank"]]
      territory_id  score  rank
    0           t2   75.0     1
    1           t3   75.0     1
    2           t1    0.0     3
    """
    fn = "composite_index"
    if normalisation not in NORMALISATIONS:
        raise ValueError(
            f"{fn}: normalisation must be one of {list(NORMALISATIONS)}; "
            f"got {normalisation!r}"
        )
    if aggregation not in AGGREGATIONS:
        raise ValueError(
            f"{fn}: aggregation must be one of {list(AGGREGATIONS)}; "
            f"got {aggregation!r}"
        )
    if skew_treatment not in ("winsorise", "log", "none"):
        raise ValueError(
            f"{fn}: skew_treatment must be 'winsorise', 'log' or 'none'; "
            f"got {skew_treatment!r}"
        )
    if not 0 <= min_coverage <= 1:
        raise ValueError(f"{fn}: min_coverage must be in [0, 1]; got {min_coverage}")
    chosen = select_indicators(
        fn,
        indicators,
        indicator_ids=indicator_ids,
        theme=theme,
        directed=True,
        absolute=True,
    )
    excluded = []
    if indicator_ids is None:
        twins = size_dependent(indicators)
        for ind in chosen.index.intersection(list(twins), sort=False):
            excluded.append(
                (
                    ind,
                    f"absolute amount, depends on size (per capita: {twins[ind]})",
                    math.nan,
                    "size_dependent",
                )
            )
        chosen = chosen.drop(index=[row[0] for row in excluded])
        if chosen.empty:
            raise ValueError(f"{fn}: theme {theme!r} has only absolute amounts")
    wide = indicator_matrix(
        observations,
        territories,
        indicators,
        agglomeration_id,
        year,
        indicator_ids=list(chosen.index),
    )
    n = len(wide)
    if n < 2:
        raise ValueError(
            f"{fn}: needs at least 2 territories with values; got {n} "
            f"({list(wide.index)})"
        )
    targets = dict(targets or {})
    unknown = [k for k in targets if k not in chosen.index]
    if unknown:
        raise ValueError(f"{fn}: target given for unknown indicator {unknown[0]!r}")

    keep, records = [], {}
    treated = wide.to_numpy(dtype=float, copy=True)  # columns of ``wide``
    for j, ind in enumerate(wide.columns):
        column = treated[:, j]
        observed = ~np.isnan(column)
        coverage = observed.mean()
        if coverage < min_coverage:
            excluded.append(
                (
                    ind,
                    f"coverage {coverage:.0%} below {min_coverage:.0%}",
                    coverage,
                    "coverage",
                )
            )
            continue
        if np.ptp(column[observed]) == 0:
            excluded.append(
                (ind, "no variation across territories", coverage, "no_variation")
            )
            continue
        values, record = _treat_skew(
            column[observed],
            method=skew_treatment,
            max_points=max_winsorised,
            skew_limit=skew_limit,
            kurtosis_limit=kurtosis_limit,
        )
        column[observed] = values
        records[ind] = record | {"coverage": coverage}
        keep.append(ind)
    if not keep:
        reasons = "; ".join(f"{i}: {r}" for i, r, _, _ in excluded)
        raise ValueError(f"{fn}: no indicator passes the gates ({reasons})")

    x = treated[:, wide.columns.get_indexer(keep)]
    direction = chosen.loc[keep, DIRECTION].to_numpy(dtype=float)
    best = np.where(direction > 0, np.nanmax(x, axis=0), np.nanmin(x, axis=0))
    target = np.array(
        [targets.get(ind, b) for ind, b in zip(keep, best, strict=True)], dtype=float
    )
    worst = np.where(direction > 0, np.nanmin(x, axis=0), np.nanmax(x, axis=0))
    beyond_worst = direction * (target - worst) <= 0
    if normalisation == "target" and beyond_worst.any():
        at = int(np.flatnonzero(beyond_worst)[0])
        raise ValueError(
            f"{fn}: the target of {keep[at]!r} ({target[at]:g}) is not better than "
            f"its worst value ({worst[at]:g}); distance to target is undefined "
            "(give a better target or another normalisation)"
        )
    w = _base_weights(fn, keep, weights)
    if not w.sum() > 0:
        raise ValueError(f"{fn}: the weights of the included indicators sum to 0")
    w = w / w.sum()

    y = _normalise(x, direction, normalisation, target)
    score = _aggregate(y, w[None, :], aggregation)[:, 0]
    rank = _ranks(score[:, None])[:, 0]
    n_ind = (~np.isnan(x)).sum(axis=1)
    scores = pd.DataFrame(
        {TERRITORY_ID: wide.index, "score": score, "rank": rank, "n_indicators": n_ind}
    )
    scores = scores.sort_values(
        ["rank", TERRITORY_ID], kind="stable", na_position="last"
    ).reset_index(drop=True)
    scores["rank"] = scores["rank"].astype("Int64")

    sens, scen = _sensitivity(
        x,
        direction,
        target,
        w,
        rank,
        wide.index,
        run=sensitivity,
        n_draws=n_weight_draws,
        spread=weight_spread,
        random_state=random_state,
    )
    included = pd.DataFrame(
        {
            INDICATOR_ID: keep,
            DIRECTION: direction.astype(int),
            "weight": w,
            "coverage": [records[i]["coverage"] for i in keep],
        }
    )
    treatments = pd.DataFrame(
        [
            {INDICATOR_ID: i} | {k: v for k, v in records[i].items() if k != "coverage"}
            for i in keep
        ]
    )
    return CompositeIndex(
        theme="custom" if indicator_ids is not None else str(theme),
        year=int(wide.attrs["year"]),
        normalisation=normalisation,
        aggregation=aggregation,
        scores=scores,
        normalised=pd.DataFrame(y, index=wide.index, columns=pd.Index(keep)),
        included=included,
        excluded=pd.DataFrame(
            excluded, columns=[INDICATOR_ID, "reason", "coverage", "code"]
        ),
        treatments=treatments,
        sensitivity=sens,
        scenarios=scen,
    )


def _sensitivity(
    x: np.ndarray,
    direction: np.ndarray,
    target: np.ndarray,
    w: np.ndarray,
    base_rank: np.ndarray,
    index: pd.Index,
    *,
    run: bool,
    n_draws: int,
    spread: float,
    random_state: int | None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rank statistics over normalisation × aggregation × weight scenarios."""
    columns = ["rank", "median_rank", "rank_p05", "rank_p95", "rank_width"]
    if not run:
        return (
            pd.DataFrame(columns=[TERRITORY_ID, *columns]),
            pd.DataFrame(columns=["normalisation", "aggregation", "weights"]),
        )
    if n_draws < 0 or not 0 <= spread < 1:
        raise ValueError(
            "composite_index: n_weight_draws must be >= 0 and weight_spread in "
            f"[0, 1); got {n_draws} and {spread}"
        )
    rng = np.random.default_rng(random_state)
    factors = rng.uniform(1 - spread, 1 + spread, size=(n_draws, w.size))
    draws = np.vstack([w, w * factors])
    draws /= draws.sum(axis=1, keepdims=True)
    labels = ["base"] + [f"draw {k}" for k in range(1, n_draws + 1)]
    worst = np.where(direction > 0, np.nanmin(x, axis=0), np.nanmax(x, axis=0))
    target_ok = (direction * (target - worst) > 0).all()
    norms = [m for m in NORMALISATIONS if m != "target" or target_ok]
    ranks, rows = [], []
    for norm, agg in product(norms, AGGREGATIONS):  # 8 cases; draws vectorised
        y = _normalise(x, direction, norm, target)
        ranks.append(_ranks(_aggregate(y, draws, agg)))
        rows += [(norm, agg, label) for label in labels]
    all_ranks = np.hstack(ranks)
    p05, median, p95 = np.nanpercentile(all_ranks, [5, 50, 95], axis=1)
    table = pd.DataFrame(
        {
            TERRITORY_ID: index,
            "rank": base_rank,
            "median_rank": median,
            "rank_p05": p05,
            "rank_p95": p95,
            "rank_width": p95 - p05,
        }
    ).sort_values(["median_rank", TERRITORY_ID], kind="stable")
    return table.reset_index(drop=True), pd.DataFrame(
        rows, columns=["normalisation", "aggregation", "weights"]
    )


def theme_scores(
    observations: pd.DataFrame,
    territories: pd.DataFrame | None,
    indicators: pd.DataFrame,
    agglomeration_id: str | None = None,
    year: int | None = None,
    *,
    themes: Sequence[str] = GAP_THEMES,
    **options: Hashable,
) -> pd.DataFrame:
    """Wide table of composite scores: a row per territory, a column per theme.

    Themes without any indicator passing the gates are left out (no column).
    ``options`` go to :func:`composite_index` (sensitivity is off here).

    Examples
    --------
    >>> obs = pd.DataFrame({"territory_id": ["t1", "t2"] * 2, "year": 2022,
    ...                     "indicator_id": ["a", "a", "b", "b"],
    ...                     "value": [1.0, 3.0, 4.0, 2.0]})
    >>> cat = pd.DataFrame({"indicator_id": ["a", "b"], "direction": 1,
    ...                     "theme": ["finance", "staffing"]})
    >>> theme_scores(obs, None, cat)  # doctest: +NORMALIZE_WHITESPACE
                  finance  staffing
    territory_id
    t1                0.0     100.0
    t2              100.0       0.0
    """
    columns = {}
    for theme in themes:
        try:
            res = composite_index(
                observations,
                territories,
                indicators,
                agglomeration_id,
                year,
                theme=theme,
                sensitivity=False,
                **options,
            )
        except ValueError as error:
            if "no indicator" in str(error) or "no observation" in str(error):
                continue
            raise
        columns[theme] = res.scores.set_index(TERRITORY_ID)["score"]
    if not columns:
        raise ValueError(f"theme_scores: no theme of {list(themes)} has an index")
    table = pd.DataFrame(columns).sort_index()
    table.index.name = TERRITORY_ID
    return table
