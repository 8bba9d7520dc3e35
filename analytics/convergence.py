"""Convergence of territories: is the gap between them closing?

Three complementary views, each a pure function of a long table with one row
per territory and year (column names default to the store's):

* :func:`sigma_convergence` -- does the *dispersion* (CV, Theil, SD of logs)
  fall over the years?
* :func:`beta_convergence` -- do territories that started lower *grow
  faster*? (regression of annualised growth on the initial log level, with
  the implied speed and half-life of convergence).
* :func:`rank_mobility` -- do laggards stay laggards? (Spearman and Kendall
  rank correlation between two years, and each territory's rank change).

Missing values (NaN) are dropped, and the tables report how many territories
remain; duplicated (territory, year) rows raise ``ValueError``.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from analytics import indices
from analytics.store import TERRITORY_ID, VALUE, YEAR

__all__ = [
    "LOG_MEASURES",
    "BetaConvergence",
    "ConvergencePanel",
    "RankMobility",
    "SigmaConvergence",
    "beta_convergence",
    "convergence_panel",
    "rank_mobility",
    "sigma_convergence",
]

SigmaMeasure = Literal["cv", "theil", "sd_log", "gini", "mld"]

#: Measures built on logarithms: they need positive values (the CV, the Gini
#: and the Theil index accept zeros). Beta convergence is log growth: "beta".
LOG_MEASURES: frozenset[str] = frozenset({"sd_log", "mld", "beta"})


def _stats():
    """scipy.stats, imported on first use: it takes 0.5 s to import and the
    app's first page should not wait for it (convergence pages need it)."""
    from scipy import stats

    return stats


def _clean_panel(
    fn: str,
    df: pd.DataFrame,
    *,
    territory: Hashable,
    year: Hashable,
    value: Hashable,
    weight: Hashable | None,
) -> pd.DataFrame:
    """Columns territory, year, value[, weight] without NaN; no duplicates."""
    columns = [territory, year, value] + ([] if weight is None else [weight])
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise KeyError(f"{fn}: no column {missing[0]!r} in the table")
    panel = df[columns].dropna()
    duplicated = panel.duplicated([territory, year])
    if duplicated.any():
        raise ValueError(
            f"{fn}: {int(duplicated.sum())} duplicated ({territory}, {year}) rows; "
            "keep one value per territory and year"
        )
    return panel


@dataclass(frozen=True, eq=False)
class ConvergencePanel:
    """The panel a convergence view uses, and what was left out of it.

    Attributes
    ----------
    data : pandas.DataFrame
        The rows kept (the input's columns).
    dropped_zero : int
        Values of 0 left out (only for :data:`LOG_MEASURES`).
    dropped_negative : int
        Negative values left out (no index here accepts them).
    balanced : bool
        Whether every territory kept has a value in every year kept.
    dropped_territories : int
        Territories left out to balance the panel.
    per_year : pandas.Series
        Territories per year in ``data`` (index: year).
    """

    data: pd.DataFrame
    dropped_zero: int
    dropped_negative: int
    balanced: bool
    dropped_territories: int
    per_year: pd.Series


def convergence_panel(
    df: pd.DataFrame,
    *,
    measure: str,
    territory: Hashable = TERRITORY_ID,
    year: Hashable = YEAR,
    value: Hashable = VALUE,
    min_territories: int = 3,
) -> ConvergencePanel:
    """Rows for a convergence measure, and a count of everything left out.

    Missing values are dropped; negative values always (no index accepts
    them); zeros only for :data:`LOG_MEASURES` (``"beta"`` included). The
    panel is then balanced -- only territories with a value in every year --
    when that keeps at least ``min_territories``; otherwise it stays
    unbalanced and ``balanced`` is False, so that a change of the set of
    territories is said, not mistaken for convergence.

    >>> panel = pd.DataFrame({
    ...     "territory_id": ["a", "b", "c", "d"] * 3,
    ...     "year": np.repeat([2020, 2021, 2022], 4),
    ...     "value": [1, 0, 3, 4, 2, 0, 4, 5, 3, 1, 5, np.nan]})
    >>> res = convergence_panel(panel, measure="cv")
    >>> res.dropped_zero, res.balanced, res.dropped_territories
    (0, True, 1)
    >>> res.per_year.tolist()
    [3, 3, 3]
    >>> convergence_panel(panel, measure="sd_log").dropped_zero
    2
    """
    data = df.dropna(subset=[value])
    values = data[value].to_numpy(dtype=float)
    negative = values < 0
    zero = (values == 0) & (measure in LOG_MEASURES)
    data = data[~(negative | zero)]
    n_years = data[year].nunique()
    per_territory = data.groupby(territory, observed=True)[year].nunique()
    complete = per_territory.index[per_territory == n_years]
    balanced = len(complete) >= min_territories
    dropped_territories = 0
    if balanced:
        dropped_territories = int(len(per_territory) - len(complete))
        data = data[data[territory].isin(complete)]
    per_year = data.groupby(year, observed=True)[territory].nunique().sort_index()
    return ConvergencePanel(
        data=data,
        dropped_zero=int(zero.sum()),
        dropped_negative=int(negative.sum()),
        balanced=bool(balanced and per_year.nunique() <= 1),
        dropped_territories=dropped_territories,
        per_year=per_year,
    )


def _sd_log(values: np.ndarray, weights: np.ndarray | None, *, name: str) -> float:
    """Weighted standard deviation (ddof=0) of the natural log of the values."""
    x = np.asarray(values, dtype=float)
    if (x <= 0).any():
        raise ValueError(
            f"sd_log: values must be positive; got {int((x <= 0).sum())} zero or "
            f"negative values in {name!r}"
        )
    if x.size < 2:
        raise ValueError(f"sd_log: needs at least 2 values; got {x.size} in {name!r}")
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    logs = np.log(x)
    mean = np.average(logs, weights=w)
    return float(math.sqrt(np.average((logs - mean) ** 2, weights=w)))


# --------------------------------------------------------------------------
# sigma convergence
# --------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SigmaConvergence:
    """Trend of the dispersion between territories over the years.

    Attributes
    ----------
    measure : str
        ``"cv"``, ``"theil"``, ``"sd_log"``, ``"gini"`` or ``"mld"``.
    dispersion : pandas.DataFrame
        One row per year: ``year``, ``n`` (territories), ``dispersion``.
    slope : float
        OLS slope of the dispersion on the year, in units of the measure per
        year (negative: the gap closes).
    intercept : float
        OLS intercept (dispersion at year 0, not meaningful by itself).
    stderr : float
        Standard error of the slope.
    pvalue : float
        Two-sided p-value of the slope (t test, n_years - 2 degrees of freedom).
    trend : str
        ``"converging"`` (slope < 0 and p < alpha), ``"diverging"`` (slope > 0
        and p < alpha) or ``"no significant trend"``.
    alpha : float
        Significance level used for ``trend``.
    """

    measure: str
    dispersion: pd.DataFrame
    slope: float
    intercept: float
    stderr: float
    pvalue: float
    trend: str
    alpha: float


def _trend(slope: float, pvalue: float, alpha: float) -> str:
    """The claim a slope supports: its sign only when p < alpha (shared by
    sigma and beta convergence, so the same evidence reads the same)."""
    if pvalue < alpha and slope < 0:
        return "converging"
    if pvalue < alpha and slope > 0:
        return "diverging"
    return "no significant trend"


def sigma_convergence(
    df: pd.DataFrame,
    *,
    measure: SigmaMeasure = "cv",
    territory: Hashable = TERRITORY_ID,
    year: Hashable = YEAR,
    value: Hashable = VALUE,
    weight: Hashable | None = None,
    balanced: bool = True,
    alpha: float = 0.05,
) -> SigmaConvergence:
    """Sigma convergence: the trend of the dispersion across territories.

    The dispersion :math:`D_t` (``measure``) of the values over territories is
    computed for each year :math:`t`, and its trend estimated by OLS:

    .. math::

        D_t = a + b \\, t + e_t, \\qquad
        \\text{SD of logs: } D_t = \\sqrt{\\textstyle\\sum_i p_i
        (\\ln x_{it} - \\overline{\\ln x_t})^2}

    :math:`b < 0` significant at ``alpha`` means sigma convergence.

    Parameters
    ----------
    df : pandas.DataFrame
        Long table, one row per territory and year (one indicator); not
        modified.
    measure : {"cv", "theil", "sd_log", "gini", "mld"}
        Dispersion measure (see :mod:`analytics.indices`; ``sd_log`` is the
        standard deviation of natural logs, ``ddof=0``). CV weighted by
        population is the Williamson index.
    territory, year, value : hashable
        Column names (default: the store's).
    weight : hashable, optional
        Column of weights, e.g. population in persons (each year's own).
    balanced : bool
        Keep only territories with a value in every year, so that a change of
        the set of territories is not mistaken for convergence.
    alpha : float
        Significance level for ``trend``.

    Returns
    -------
    SigmaConvergence
        Dispersion by year (unitless) and its trend (per year).

    Examples
    --------
    >>> panel = pd.DataFrame({
    ...     "territory_id": ["a", "b", "c"] * 4,
    ...     "year": np.repeat([2020, 2021, 2022, 2023], 3),
    ...     "value": [1, 2, 9, 2, 3, 8, 3, 4, 7, 4, 5, 6.5]})
    >>> res = sigma_convergence(panel, measure="cv")
    >>> res.trend, round(res.slope, 3)
    ('converging', -0.231)
    """
    functions = {
        "cv": indices.cv,
        "theil": indices.theil,
        "gini": indices.gini,
        "mld": indices.mld,
    }
    if measure not in (*functions, "sd_log"):
        raise ValueError(
            f"sigma_convergence: measure must be one of "
            f"{sorted([*functions, 'sd_log'])}; got {measure!r}"
        )
    panel = _clean_panel(
        "sigma_convergence",
        df,
        territory=territory,
        year=year,
        value=value,
        weight=weight,
    )
    if balanced:
        n_years = panel[year].nunique()
        years_per_territory = panel.groupby(territory, observed=True)[year].nunique()
        complete = years_per_territory.index[years_per_territory == n_years]
        panel = panel[panel[territory].isin(complete)]
    rows = []
    for t, group in panel.groupby(year, sort=True):  # a few years: loop is fine
        x = group[value].to_numpy(dtype=float)
        w = None if weight is None else group[weight].to_numpy(dtype=float)
        label = f"{value} in {t}"
        if measure == "sd_log":
            d = _sd_log(x, w, name=label)
        else:
            d = functions[measure](x, weights=w, name=label)
        rows.append({"year": t, "n": len(group), "dispersion": d})
    dispersion = pd.DataFrame(rows, columns=["year", "n", "dispersion"])
    if len(dispersion) < 3:
        raise ValueError(
            f"sigma_convergence: needs at least 3 years for a trend with a "
            f"standard error; got {len(dispersion)}"
        )
    fit = _stats().linregress(
        dispersion["year"].to_numpy(dtype=float),
        dispersion["dispersion"].to_numpy(dtype=float),
    )
    return SigmaConvergence(
        measure=measure,
        dispersion=dispersion,
        slope=float(fit.slope),
        intercept=float(fit.intercept),
        stderr=float(fit.stderr),
        pvalue=float(fit.pvalue),
        trend=_trend(fit.slope, fit.pvalue, alpha),
        alpha=alpha,
    )


# --------------------------------------------------------------------------
# beta convergence
# --------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class BetaConvergence:
    """Regression of annualised growth on the initial log level.

    Attributes
    ----------
    beta : float
        Slope: change in annual log growth per unit of initial log level
        (negative: the lower started, the faster grew).
    intercept : float
        Regression intercept (annual log growth at a level of 1).
    stderr : float
        Standard error of ``beta``.
    pvalue : float
        Two-sided p-value of ``beta`` (t test, n - 2 degrees of freedom).
    r_squared : float
        Share of the (weighted) variance of growth explained.
    speed : float
        Implied speed of convergence per year,
        :math:`\\lambda = -\\ln(1 + \\beta T)/T` (NaN when
        :math:`1 + \\beta T \\le 0`).
    half_life : float
        Years to close half the gap, :math:`\\ln 2 / \\lambda`; ``inf`` when
        not converging (:math:`\\lambda \\le 0`), NaN when ``speed`` is NaN.
    n : int
        Territories in the regression.
    start, end : int
        Initial and final years; :math:`T` = end - start.
    weighted : bool
        Whether the regression was weighted.
    data : pandas.DataFrame
        The regression's input: territory, ``initial_log``, ``growth``
        (annual log growth), ``weight``.
    trend : str
        The claim the evidence supports, as for :class:`SigmaConvergence`:
        ``"converging"`` (beta < 0 and p < alpha: the territories that
        started lower grew faster), ``"diverging"`` (beta > 0 and p < alpha)
        or ``"no significant trend"``.
    alpha : float
        Significance level used for ``trend``.
    """

    beta: float
    intercept: float
    stderr: float
    pvalue: float
    r_squared: float
    speed: float
    half_life: float
    n: int
    start: int
    end: int
    weighted: bool
    data: pd.DataFrame
    trend: str = "no significant trend"
    alpha: float = 0.05


def _two_years(
    fn: str,
    df: pd.DataFrame,
    *,
    start: int,
    end: int,
    territory: Hashable,
    year: Hashable,
    value: Hashable,
    weight: Hashable | None,
) -> pd.DataFrame:
    """One row per territory present in both years: value_start, value_end[, w]."""
    if not end > start:
        raise ValueError(f"{fn}: end must be after start; got {start} and {end}")
    panel = _clean_panel(
        fn, df, territory=territory, year=year, value=value, weight=weight
    )
    first = panel[panel[year] == start].set_index(territory)
    last = panel[panel[year] == end].set_index(territory)
    for label, part, when in (("start", first, start), ("end", last, end)):
        if part.empty:
            raise ValueError(f"{fn}: no values in the {label} year {when}")
    both = pd.DataFrame(
        {"value_start": first[value], "value_end": last[value]}
    ).dropna()
    if weight is not None:
        both["weight"] = first[weight].reindex(both.index)
    both.index.name = territory
    return both


def beta_convergence(
    df: pd.DataFrame,
    *,
    start: int,
    end: int,
    territory: Hashable = TERRITORY_ID,
    year: Hashable = YEAR,
    value: Hashable = VALUE,
    weight: Hashable | None = None,
    alpha: float = 0.05,
) -> BetaConvergence:
    """Absolute beta convergence between two years.

    .. math::

        g_i = \\frac{1}{T} \\ln \\frac{y_{i,\\text{end}}}{y_{i,\\text{start}}}
            = \\alpha + \\beta \\ln y_{i,\\text{start}} + e_i,
        \\qquad T = \\text{end} - \\text{start}

    estimated by OLS, or by weighted least squares with the initial-year
    weights (analytic weights: the standard error is invariant to their
    scale). :math:`\\beta < 0` means the territories that started lower grew
    faster; the implied speed is :math:`\\lambda = -\\ln(1 + \\beta T)/T` and
    the half-life :math:`\\ln 2 / \\lambda` years.

    Territories with a value in only one of the two years are left out.
    Values must be positive (logs).

    Parameters
    ----------
    df : pandas.DataFrame
        Long table, one row per territory and year (one indicator); not
        modified.
    start, end : int
        Initial and final years.
    territory, year, value : hashable
        Column names (default: the store's).
    weight : hashable, optional
        Column of weights, e.g. population in persons; the start year's is
        used.
    alpha : float
        Significance level for ``trend``: a negative beta is a claim of
        convergence only when its p-value is below it.

    Returns
    -------
    BetaConvergence
        ``beta`` in annual log growth per log level; ``speed`` per year;
        ``half_life`` in years.

    Examples
    --------
    >>> panel = pd.DataFrame({
    ...     "territory_id": ["a", "b", "c", "a", "b", "c"],
    ...     "year": [2010, 2010, 2010, 2020, 2020, 2020],
    ...     "value": [100.0, 200.0, 400.0, 200.0, 300.0, 480.0]})
    >>> res = beta_convergence(panel, start=2010, end=2020)
    >>> round(res.beta, 4), round(res.half_life, 1), res.trend
    (-0.0368, 15.1, 'converging')
    """
    both = _two_years(
        "beta_convergence",
        df,
        start=start,
        end=end,
        territory=territory,
        year=year,
        value=value,
        weight=weight,
    )
    values = both[["value_start", "value_end"]].to_numpy(dtype=float)
    n_bad = int((values <= 0).sum())
    if n_bad:
        raise ValueError(
            f"beta_convergence: values must be positive (logs); got {n_bad} zero "
            f"or negative values in {value!r} in {start} and {end}"
        )
    n = len(both)
    if n < 3:
        raise ValueError(
            f"beta_convergence: needs at least 3 territories with values in both "
            f"years; got {n}"
        )
    period = end - start
    initial = np.log(values[:, 0])
    growth = np.log(values[:, 1] / values[:, 0]) / period
    if weight is None:
        w = np.ones(n)
    else:
        w = both["weight"].to_numpy(dtype=float)
        if not (np.isfinite(w).all() and (w >= 0).all() and w.sum() > 0):
            raise ValueError(
                "beta_convergence: weights must be finite and non-negative with a "
                f"positive sum in {weight!r} in {start}"
            )
        w = w * n / w.sum()  # analytic weights, summing to n
    x_mean = np.dot(w, initial) / w.sum()
    g_mean = np.dot(w, growth) / w.sum()
    sxx = np.dot(w, (initial - x_mean) ** 2)
    if not sxx > 0:
        raise ValueError(
            "beta_convergence: every territory starts at the same level; "
            "beta is undefined"
        )
    beta = float(np.dot(w, (initial - x_mean) * (growth - g_mean)) / sxx)
    intercept = float(g_mean - beta * x_mean)
    residuals = growth - intercept - beta * initial
    ssr = float(np.dot(w, residuals**2))
    sst = float(np.dot(w, (growth - g_mean) ** 2))
    stderr = math.sqrt(ssr / (n - 2) / sxx)
    if stderr > 0:
        pvalue = float(2 * _stats().t.sf(abs(beta / stderr), n - 2))
    else:
        pvalue = 0.0 if beta != 0 else 1.0
    base = 1.0 + beta * period
    speed = -math.log(base) / period if base > 0 else math.nan
    if math.isnan(speed):
        half_life = math.nan
    elif speed > 0:
        half_life = math.log(2) / speed
    else:
        half_life = math.inf
    data = pd.DataFrame(
        {"initial_log": initial, "growth": growth, "weight": w},
        index=both.index,
    ).reset_index()
    return BetaConvergence(
        beta=beta,
        intercept=intercept,
        stderr=stderr,
        pvalue=pvalue,
        r_squared=1.0 - ssr / sst if sst > 0 else math.nan,
        speed=speed,
        half_life=half_life,
        n=n,
        start=start,
        end=end,
        weighted=weight is not None,
        data=data,
        trend=_trend(beta, pvalue, alpha),
        alpha=alpha,
    )


# --------------------------------------------------------------------------
# rank mobility
# --------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class RankMobility:
    """Rank correlation of territories between two years.

    Attributes
    ----------
    spearman, spearman_pvalue : float
        Spearman's rho (1: the order is kept) and its two-sided p-value.
    kendall, kendall_pvalue : float
        Kendall's tau-b and its two-sided p-value.
    n : int
        Territories with a value in both years.
    start, end : int
        The two years.
    ranks : pandas.DataFrame
        One row per territory, by ``rank_start``: territory, ``value_start``,
        ``value_end``, ``rank_start``, ``rank_end`` (1 = best; ties share the
        lowest rank) and ``rank_change`` = rank_start - rank_end (positive:
        moved up).
    """

    spearman: float
    spearman_pvalue: float
    kendall: float
    kendall_pvalue: float
    n: int
    start: int
    end: int
    ranks: pd.DataFrame


def rank_mobility(
    df: pd.DataFrame,
    *,
    start: int,
    end: int,
    territory: Hashable = TERRITORY_ID,
    year: Hashable = YEAR,
    value: Hashable = VALUE,
    higher_is_better: bool = True,
) -> RankMobility:
    """Rank mobility: do the laggards of ``start`` stay laggards in ``end``?

    .. math::

        \\rho_S = \\operatorname{corr}\\bigl(\\operatorname{rank}(x_{\\text{start}}),
        \\operatorname{rank}(x_{\\text{end}})\\bigr), \\qquad
        \\tau_b = \\frac{n_c - n_d}{\\sqrt{(n_0 - n_1)(n_0 - n_2)}}

    (``scipy.stats.spearmanr`` and ``kendalltau``). Values near 1 mean the
    ranking is frozen; near 0, territories reshuffle. Territories with a value
    in only one of the years are left out.

    Parameters
    ----------
    df : pandas.DataFrame
        Long table, one row per territory and year (one indicator); not
        modified.
    start, end : int
        The two years.
    territory, year, value : hashable
        Column names (default: the store's).
    higher_is_better : bool
        Rank 1 is the highest value (the indicator's direction +1) or, if
        False, the lowest (direction -1).

    Returns
    -------
    RankMobility
        Unitless correlations and the per-territory rank table.

    Examples
    --------
    >>> panel = pd.DataFrame({
    ...     "territory_id": ["a", "b", "c", "a", "b", "c"],
    ...     "year": [2010, 2010, 2010, 2020, 2020, 2020],
    ...     "value": [1.0, 2.0, 3.0, 1.5, 3.5, 3.0]})
    >>> res = rank_mobility(panel, start=2010, end=2020)
    >>> res.spearman
    0.5
    >>> res.ranks[["territory_id", "rank_start", "rank_end", "rank_change"]]
      territory_id  rank_start  rank_end  rank_change
    0            c           1         2           -1
    1            b           2         1            1
    2            a           3         3            0
    """
    both = _two_years(
        "rank_mobility",
        df,
        start=start,
        end=end,
        territory=territory,
        year=year,
        value=value,
        weight=None,
    )
    n = len(both)
    if n < 3:
        raise ValueError(
            f"rank_mobility: needs at least 3 territories with values in both "
            f"years; got {n}"
        )
    rho, rho_p = _stats().spearmanr(both["value_start"], both["value_end"])
    tau, tau_p = _stats().kendalltau(both["value_start"], both["value_end"])
    ascending = not higher_is_better
    ranks = both.assign(
        rank_start=both["value_start"]
        .rank(method="min", ascending=ascending)
        .astype(np.int64),
        rank_end=both["value_end"]
        .rank(method="min", ascending=ascending)
        .astype(np.int64),
    )
    ranks = (
        ranks.assign(rank_change=ranks["rank_start"] - ranks["rank_end"])
        .reset_index()
        .sort_values(["rank_start", territory], kind="stable")
        .reset_index(drop=True)
    )
    return RankMobility(
        spearman=float(rho),
        spearman_pvalue=float(rho_p),
        kendall=float(tau),
        kendall_pvalue=float(tau_p),
        n=n,
        start=start,
        end=end,
        ranks=ranks,
    )
