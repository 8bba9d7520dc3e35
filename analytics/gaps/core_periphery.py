"""Core and periphery over time: population-weighted means of the roles, the
ratios core/ring and core/periphery and their trend."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.gaps._common import (
    POPULATION,
    ROLES,
    Years,
    _member_panel,
    _weighted_mean_by,
)
from analytics.store import (
    AGGLOMERATION_ID,
    INDICATOR_ID,
    ROLE,
    VALUE,
    YEAR,
)


@dataclass(frozen=True, eq=False)
class CorePeripheryGap:
    """Core, ring and periphery over the years.

    Attributes
    ----------
    by_year : pandas.DataFrame
        ``agglomeration_id``, ``indicator_id``, ``year``, ``core``, ``ring``,
        ``periphery`` (means in the indicator's unit), ``n_core``,
        ``n_ring``, ``n_periphery`` (territories averaged), ``core_ring``,
        ``core_periphery`` (ratios of the means, unitless).
    trend : pandas.DataFrame
        One row per agglomeration, indicator and ratio (``core_ring`` or
        ``core_periphery``): ``first_year``, ``last_year``, ``first``,
        ``last``, ``change`` (last − first), ``n_years``, ``log_slope``
        (OLS slope of :math:`\\ln` ratio on the year, per year; NaN with
        fewer than 2 years), ``annual_change`` (:math:`e^{\\text{slope}} -
        1`, a share per year) and ``closing`` (the ratio ended nearer to 1
        than it started: :math:`|\\ln r_\\text{last}| < |\\ln r_\\text{first}|`).
    weighted : bool
        Whether the means are population-weighted.
    """

    by_year: pd.DataFrame
    trend: pd.DataFrame
    weighted: bool


def core_periphery_gap(
    observations: pd.DataFrame,
    territories: pd.DataFrame,
    indicators: pd.DataFrame,
    agglomeration_id: str | None = None,
    year: Years = None,
    *,
    indicator_ids: str | Sequence[str] | None = None,
    theme: str | Sequence[str] | None = None,
    weighted: bool = True,
    population: str = POPULATION,
) -> CorePeripheryGap:
    """Core vs ring vs periphery per year, their ratios and the trend.

    .. math::

        \\bar x_{\\text{role},t} = \\frac{\\sum_{i \\in \\text{role}} P_{it}
        x_{it}}{\\sum_{i \\in \\text{role}} P_{it}}, \\qquad
        r_t = \\bar x_{\\text{core},t} / \\bar x_{\\text{ring},t}, \\qquad
        \\ln r_t = a + b\\,t

    With ``weighted=True`` a territory without a population that year is left
    out of its role's mean (``n_*`` count the territories used); with
    ``weighted=False`` every territory counts once. The ratios are not
    direction-adjusted: a ratio above 1 means the core has more.

    Examples
    --------
    >>> terr = pd.DataFrame({"territory_id": ["c", "r", "p"],
    ...                      "agglomeration_id": "A",
    ...                      "role": ["core", "ring", "periphery"]})
    >>> cat = pd.DataFrame({"indicator_id": ["rev"], "theme": "finance",
    ...                     "direction": [1]})
    >>> obs = pd.DataFrame({"territory_id": ["c", "r", "p"] * 2,
    ...                     "year": [2020] * 3 + [2021] * 3, "indicator_id": "rev",
    ...                     "value": [400.0, 100.0, 50.0, 400.0, 200.0, 100.0]})
    >>> res = core_periphery_gap(obs, terr, cat, weighted=False)
    >>> res.by_year[["year", "core_ring", "core_periphery"]]
       year  core_ring  core_periphery
    0  2020        4.0             8.0
    1  2021        2.0             4.0
    >>> res.trend[["ratio", "first", "last", "closing"]]
                ratio  first  last  closing
    0       core_ring    4.0   2.0     True
    1  core_periphery    8.0   4.0     True
    """
    fn = "core_periphery_gap"
    panel, _ = _member_panel(
        fn,
        observations,
        territories,
        indicators,
        agglomeration_id,
        year,
        indicator_ids,
        theme,
        population,
    )
    panel = panel[panel[ROLE].isin(ROLES)]
    if panel.empty:
        raise ValueError(f"{fn}: no territory has a core, ring or periphery role")
    keys = [AGGLOMERATION_ID, INDICATOR_ID, YEAR, ROLE]
    if weighted:
        used = panel[panel[POPULATION].notna() & (panel[POPULATION] > 0)]
        means = _weighted_mean_by(used, keys, VALUE)
    else:
        used = panel
        means = used.groupby(keys)[VALUE].mean()
    counts = used.groupby(keys).size()
    table = means.unstack(ROLE).reindex(columns=list(ROLES))
    n = counts.unstack(ROLE).reindex(columns=list(ROLES)).fillna(0).astype(int)
    table = table.join(n.add_prefix("n_")).reset_index()
    table.columns.name = None
    with np.errstate(divide="ignore", invalid="ignore"):
        table["core_ring"] = table["core"] / table["ring"].where(table["ring"] != 0)
        table["core_periphery"] = table["core"] / table["periphery"].where(
            table["periphery"] != 0
        )
    table = table.sort_values([AGGLOMERATION_ID, INDICATOR_ID, YEAR], ignore_index=True)
    return CorePeripheryGap(by_year=table, trend=_ratio_trend(table), weighted=weighted)


def _ratio_trend(table: pd.DataFrame) -> pd.DataFrame:
    """First/last values and the OLS slope of the log ratios, per group."""
    long = table.melt(
        id_vars=[AGGLOMERATION_ID, INDICATOR_ID, YEAR],
        value_vars=["core_ring", "core_periphery"],
        var_name="ratio",
        value_name="value",
    )
    long = long[np.isfinite(long["value"]) & (long["value"] > 0)]
    keys = [AGGLOMERATION_ID, INDICATOR_ID, "ratio"]
    long = long.sort_values([*keys, YEAR]).assign(
        t=lambda d: d[YEAR].astype(float), y=lambda d: np.log(d["value"])
    )
    grouped = long.groupby(keys, sort=False)
    out = grouped.agg(
        first_year=(YEAR, "first"),
        last_year=(YEAR, "last"),
        first=("value", "first"),
        last=("value", "last"),
        n_years=(YEAR, "size"),
        t_mean=("t", "mean"),
        y_mean=("y", "mean"),
    )
    # slope = sum (t - t̄)(y - ȳ) / sum (t - t̄)², vectorised over groups
    centred = long.join(out[["t_mean", "y_mean"]], on=keys)
    dt = centred["t"] - centred["t_mean"]
    sxy = (
        (dt * (centred["y"] - centred["y_mean"]))
        .groupby([centred[k] for k in keys], sort=False)
        .sum()
    )
    sxx = (dt**2).groupby([centred[k] for k in keys], sort=False).sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        out["log_slope"] = (sxy / sxx.where(sxx > 0)).reindex(out.index)
    out["change"] = out["last"] - out["first"]
    out["annual_change"] = np.expm1(out["log_slope"])
    out["closing"] = np.abs(np.log(out["last"])) < np.abs(np.log(out["first"]))
    out = out.reset_index()
    order = {"core_ring": 0, "core_periphery": 1}
    out = out.sort_values(
        keys, key=lambda s: s.map(order) if s.name == "ratio" else s, ignore_index=True
    )
    return out[
        [
            *keys,
            "first_year",
            "last_year",
            "first",
            "last",
            "change",
            "n_years",
            "log_slope",
            "annual_change",
            "closing",
        ]
    ]
