"""Management models compared: an index of outcomes per model with a
bootstrap interval and the between-model share of Theil inequality."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics import indices
from analytics.gaps._common import (
    MANAGEMENT_MODEL,
    POPULATION,
    _long,
    _members,
    _population,
)
from analytics.gaps.deviants import _management_models
from analytics.scope import select_indicators
from analytics.store import (
    AGGLOMERATION_ID,
    DIRECTION,
    TERRITORY_ID,
    VALUE,
    YEAR,
)


@dataclass(frozen=True, eq=False)
class ModelComparison:
    """Outcomes of one indicator by management model.

    Attributes
    ----------
    indicator_id : str
    year : int
    table : pandas.DataFrame
        One row per model: ``management_model``, ``n_agglomerations``,
        ``n_territories``, ``population`` (persons), ``mean`` (weighted mean,
        unit of the indicator), ``ci_low``, ``ci_high`` (bootstrap interval
        of the mean), ``index`` (100 = the mean of all models' territories;
        above 100 = better, direction-aware), ``index_low``, ``index_high``.
    decomposition : analytics.indices.Decomposition
        Theil decomposition of the territories' values by model.
    between_share : float
        Share of the inequality that lies between models (0–1).
    """

    indicator_id: str
    year: int
    table: pd.DataFrame
    decomposition: indices.Decomposition
    between_share: float


def _weighted_average(x: np.ndarray, weights: np.ndarray | None = None) -> float:
    return float(np.average(x, weights=weights))


def _bootstrap_mean(
    x: np.ndarray,
    weights: np.ndarray | None,
    *,
    n_boot: int,
    ci: float,
    random_state: int | np.random.Generator | None,
) -> indices.BootstrapCI:
    """:func:`analytics.indices.bootstrap_ci` of the (weighted) mean, with all
    resamples drawn and averaged at once: the same draws from the same seed,
    bounds equal to the loop's up to summation order (1e-12 relative)."""
    indices.check_bootstrap("compare_management_models", n_boot, ci)
    estimate = _weighted_average(x, weights)
    rng = np.random.default_rng(random_state)
    draws = rng.integers(0, x.size, size=(n_boot, x.size))
    if weights is None:
        stats = x[draws].mean(axis=1)
    else:
        drawn = weights[draws]
        stats = (x[draws] * drawn).sum(axis=1) / drawn.sum(axis=1)
    return indices.percentile_interval(estimate, stats, ci)


def compare_management_models(
    observations: pd.DataFrame,
    territories: pd.DataFrame,
    indicators: pd.DataFrame,
    agglomerations: pd.DataFrame,
    indicator_id: str,
    year: int | None = None,
    *,
    weighted: bool = True,
    n_boot: int = 999,
    ci: float = 0.95,
    random_state: int | None = 0,
    population: str = POPULATION,
) -> ModelComparison:
    """An index of outcomes by management model, with its uncertainty.

    Over the member territories of all agglomerations (those with a value,
    and a population when ``weighted``):

    .. math::

        \\bar x_m = \\frac{\\sum_{i \\in m} P_i x_i}{\\sum_{i \\in m} P_i},
        \\qquad I_m = 100 \\,(\\bar x_m / \\bar x)^{d}

    with :math:`\\bar x` the mean over every model's territories and
    :math:`d` the direction (:math:`d = 0` counts as +1), so :math:`I_m >
    100` is better than average. The interval of :math:`\\bar x_m` is the
    percentile bootstrap of :func:`analytics.indices.bootstrap_ci`
    (territories resampled within the model, each with its population); the
    index interval maps its ends. Territories of one agglomeration are not
    independent, so with few agglomerations per model read the interval as a
    lower bound of the uncertainty. The between-model share is
    :func:`analytics.indices.theil_decomposition` of the values by model
    (population-weighted when ``weighted``; the values must be non-negative).

    Examples
    --------
    >>> terr = pd.DataFrame({"territory_id": list("abcd"),
    ...                      "agglomeration_id": ["A", "A", "B", "B"]})
    >>> agg = pd.DataFrame({"agglomeration_id": ["A", "B"],
    ...                     "management_model": ["council", "none"]})
    >>> cat = pd.DataFrame({"indicator_id": ["rev"], "theme": "finance",
    ...                     "direction": [1]})
    >>> obs = pd.DataFrame({"territory_id": list("abcd"), "year": 2022,
    ...                     "indicator_id": "rev", "value": [2.0, 2.0, 1.0, 1.0]})
    >>> res = compare_management_models(obs, terr, cat, agg, "rev",
    ...                                 weighted=False, n_boot=50)
    >>> res.table[["management_model", "mean", "index"]].round(2)
      management_model  mean   index
    0          council   2.0  133.33
    1             none   1.0   66.67
    >>> round(res.between_share, 6)
    1.0
    """
    fn = "compare_management_models"
    catalog = select_indicators(fn, indicators, indicator_ids=[indicator_id])
    members = _members(fn, territories, None)
    models = _management_models(fn, territories, agglomerations)
    obs = _long(fn, observations, [indicator_id], year)
    obs = obs.merge(members[[TERRITORY_ID, AGGLOMERATION_ID]], on=TERRITORY_ID)
    if obs.empty:
        raise ValueError(f"{fn}: no value of {indicator_id!r} for any agglomeration")
    if year is None:
        year = int(obs[YEAR].max())
        obs = obs[obs[YEAR] == year]
    obs = obs.merge(_population(observations, population), how="left")
    obs[MANAGEMENT_MODEL] = obs[TERRITORY_ID].map(models).fillna("unknown")
    if weighted:
        obs = obs[obs[POPULATION].notna() & (obs[POPULATION] > 0)]
        if obs.empty:
            raise ValueError(
                f"{fn}: no territory has both {indicator_id!r} and {population!r} "
                f"in {year}; pass weighted=False"
            )
    if len(obs) < 2:
        raise ValueError(f"{fn}: needs at least 2 territories; got {len(obs)}")
    x = obs[VALUE].to_numpy(dtype=float)
    w = obs[POPULATION].to_numpy(dtype=float) if weighted else None
    overall = _weighted_average(x, w)
    d = float(catalog[DIRECTION].iloc[0]) or 1.0
    rows = []
    for model, part in obs.groupby(MANAGEMENT_MODEL, sort=True):  # a few models
        xm = part[VALUE].to_numpy(dtype=float)
        wm = part[POPULATION].to_numpy(dtype=float) if weighted else None
        boot = _bootstrap_mean(xm, wm, n_boot=n_boot, ci=ci, random_state=random_state)
        ends = sorted(100.0 * (np.array([boot.low, boot.high]) / overall) ** d)
        rows.append(
            {
                MANAGEMENT_MODEL: model,
                "n_agglomerations": part[AGGLOMERATION_ID].nunique(),
                "n_territories": len(part),
                POPULATION: float(part[POPULATION].sum(min_count=1)),
                "mean": boot.estimate,
                "ci_low": boot.low,
                "ci_high": boot.high,
                "index": 100.0 * (boot.estimate / overall) ** d,
                "index_low": ends[0],
                "index_high": ends[1],
            }
        )
    decomposition = indices.theil_decomposition(
        x, obs[MANAGEMENT_MODEL].to_numpy(), weights=w, name=indicator_id
    )
    return ModelComparison(
        indicator_id=indicator_id,
        year=int(year),
        table=pd.DataFrame(rows),
        decomposition=decomposition,
        between_share=float(decomposition.between_share),
    )
