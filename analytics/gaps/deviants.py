"""The album of best solutions: who closed a gap fastest, who does better
than its type predicts, and both summed up (positive deviants)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from analytics.gaps._common import (
    MANAGEMENT_MODEL,
    POPULATION,
    Years,
    _long,
    _population,
    _text,
)
from analytics.gaps.benchmarks import benchmark_gaps
from analytics.scope import require_columns, scope_territories, select_indicators
from analytics.store import (
    AGGLOMERATION_ID,
    DIRECTION,
    INDICATOR_ID,
    ROLE,
    TERRITORY_ID,
    VALUE,
    YEAR,
)


def gap_closing(
    observations: pd.DataFrame,
    territories: pd.DataFrame,
    indicators: pd.DataFrame,
    agglomeration_id: str | None = None,
    *,
    start: int | None = None,
    end: int | None = None,
    benchmark: Literal["median", "core", "weighted_mean", "best_quartile"] = "median",
    indicator_ids: str | Sequence[str] | None = None,
    theme: str | Sequence[str] | None = None,
    population: str = POPULATION,
) -> pd.DataFrame:
    """How much of its gap each territory closed between two years.

    .. math::

        \\Delta = g_\\text{start} - g_\\text{end}, \\qquad
        \\Delta_\\sigma = \\Delta / \\sigma_\\text{start}

    :math:`g` as in :func:`benchmark_gaps` (positive = behind), so a positive
    :math:`\\Delta` means the territory caught up (or pulled further ahead);
    :math:`\\sigma_\\text{start}` is the SD of the agglomeration's values in
    the start year, which makes indicators comparable.

    Parameters
    ----------
    start, end : int, optional
        The two years; None: the first and the last year observed.

    Returns
    -------
    pandas.DataFrame
        ``agglomeration_id``, ``territory_id``, ``role``, ``indicator_id``,
        ``benchmark``, ``start``, ``end``, ``gap_start``, ``gap_end``,
        ``closed`` (:math:`\\Delta`, unit of the indicator), ``closed_per_year``,
        ``closed_std`` (:math:`\\Delta_\\sigma`); territories with values in
        both years only; largest ``closed_std`` first.

    Examples
    --------
    >>> terr = pd.DataFrame({"territory_id": ["a", "b", "c"],
    ...                      "agglomeration_id": "A", "role": "ring"})
    >>> cat = pd.DataFrame({"indicator_id": ["rev"], "theme": "finance",
    ...                     "direction": [1]})
    >>> obs = pd.DataFrame({"territory_id": ["a", "b", "c"] * 2,
    ...                     "year": [2020] * 3 + [2022] * 3, "indicator_id": "rev",
    ...                     "value": [1.0, 2.0, 3.0, 2.5, 2.0, 3.0]})
    >>> gap_closing(obs, terr, cat)[["territory_id", "gap_start", "gap_end",
    ...                               "closed", "closed_per_year"]]
      territory_id  gap_start  gap_end  closed  closed_per_year
    0            a        1.0      0.0     1.0             0.50
    1            b        0.0      0.5    -0.5            -0.25
    2            c       -1.0     -0.5    -0.5            -0.25
    """
    fn = "gap_closing"
    gaps = benchmark_gaps(
        observations,
        territories,
        indicators,
        agglomeration_id,
        None if start is None or end is None else [start, end],
        indicator_ids=indicator_ids,
        theme=theme,
        benchmarks=[benchmark],
        population=population,
    )
    start = int(gaps[YEAR].min()) if start is None else int(start)
    end = int(gaps[YEAR].max()) if end is None else int(end)
    if not end > start:
        raise ValueError(
            f"{fn}: needs two different years with values, end after start; "
            f"got start={start}, end={end}"
        )
    keys = [AGGLOMERATION_ID, TERRITORY_ID, ROLE, INDICATOR_ID, "benchmark"]
    first = gaps[gaps[YEAR] == start].set_index(keys)
    last = gaps[gaps[YEAR] == end].set_index(keys)
    sd = (
        first[VALUE]
        .groupby(level=[AGGLOMERATION_ID, INDICATOR_ID])
        .transform("std", ddof=0)
    )
    out = pd.DataFrame({"gap_start": first["gap_abs"], "sd_start": sd}).join(
        last["gap_abs"].rename("gap_end"), how="inner"
    )
    out = out.dropna(subset=["gap_start", "gap_end"])
    out["closed"] = out["gap_start"] - out["gap_end"]
    out["closed_per_year"] = out["closed"] / (end - start)
    out["closed_std"] = out["closed"] / out["sd_start"].where(out["sd_start"] > 0)
    out = out.drop(columns="sd_start").reset_index().assign(start=start, end=end)
    out = out[
        [
            *keys,
            "start",
            "end",
            "gap_start",
            "gap_end",
            "closed",
            "closed_per_year",
            "closed_std",
        ]
    ]
    return out.sort_values(
        ["closed_std", TERRITORY_ID, INDICATOR_ID],
        ascending=[False, True, True],
        ignore_index=True,
        na_position="last",
    )


def expected_performance(
    observations: pd.DataFrame,
    territories: pd.DataFrame,
    indicators: pd.DataFrame,
    agglomeration_id: str | None = None,
    year: Years = None,
    *,
    labels: pd.Series | None = None,
    indicator_ids: str | Sequence[str] | None = None,
    theme: str | Sequence[str] | None = None,
    population: str = POPULATION,
) -> pd.DataFrame:
    """Value against what the territory's type predicts.

    The expectation :math:`\\hat x_i` is, per indicator and year, either

    * the mean of the territory's typology cluster (``labels``, a Series
      territory id → cluster, e.g. ``Typology.labels_`` indexed by
      territory), or
    * without ``labels``, an OLS fit over the territories in scope
      (every municipality, or one agglomeration's members) of
      :math:`x = a + b \\ln P + \\sum_r c_r [\\text{role} = r]`, with the
      population :math:`P` of the same year (territories without one are not
      fitted); role dummies that do not vary are dropped, and a group with no
      more territories than parameters gets NaN.

    The residual is direction-adjusted, :math:`e_i = d\\,(x_i - \\hat x_i)`:
    positive = better than expected; :math:`e_i / \\sigma_e` (SD of the
    residuals, ``ddof=0``) compares indicators.

    Returns
    -------
    pandas.DataFrame
        ``territory_id``, ``indicator_id``, ``year``, ``value``,
        ``expected`` (unit of the indicator), ``residual`` (same unit),
        ``residual_std``, ``basis`` (``"cluster"`` or ``"regression"``).

    Examples
    --------
    >>> cat = pd.DataFrame({"indicator_id": ["rev"], "theme": "finance",
    ...                     "direction": [1]})
    >>> obs = pd.DataFrame({"territory_id": list("abcd"), "year": 2022,
    ...                     "indicator_id": "rev", "value": [1.0, 3.0, 10.0, 12.0]})
    >>> types = pd.Series({"a": 0, "b": 0, "c": 1, "d": 1})
    >>> expected_performance(obs, None, cat, labels=types)[
    ...     ["territory_id", "expected", "residual"]]
      territory_id  expected  residual
    0            a       2.0      -1.0
    1            b       2.0       1.0
    2            c      11.0      -1.0
    3            d      11.0       1.0
    """
    fn = "expected_performance"
    catalog = select_indicators(
        fn, indicators, indicator_ids=indicator_ids, theme=theme, directed=True
    )
    ids = scope_territories(fn, observations, territories, agglomeration_id)
    panel = _long(fn, observations, list(catalog.index), year)
    panel = panel[panel[TERRITORY_ID].isin(ids)]
    if panel[TERRITORY_ID].nunique() < 2:
        raise ValueError(
            f"{fn}: needs at least 2 territories with values; got "
            f"{panel[TERRITORY_ID].nunique()}"
        )
    group = [INDICATOR_ID, YEAR]
    if labels is not None:
        cluster = panel[TERRITORY_ID].map(labels)
        panel = panel.assign(_cluster=cluster)[cluster.notna()]
        expected = panel.groupby([*group, "_cluster"])[VALUE].transform("mean")
        panel = panel.drop(columns="_cluster").assign(expected=expected)
        basis = "cluster"
    else:
        roles = pd.Series("", index=ids, dtype=object)
        if territories is not None and ROLE in territories.columns:
            known = territories.drop_duplicates(TERRITORY_ID).set_index(TERRITORY_ID)
            roles = _text(known[ROLE])
        panel = panel.merge(_population(observations, population), how="inner")
        panel = panel[panel[POPULATION] > 0].assign(
            _role=lambda d: d[TERRITORY_ID].map(roles).fillna("")
        )
        parts = [
            _fit_expected(rows) for _, rows in panel.groupby(group, sort=False)
        ]  # one small least-squares fit per indicator-year
        panel = panel.assign(
            expected=pd.concat(parts) if parts else pd.Series(dtype=float)
        ).drop(columns=["_role", POPULATION])
        basis = "regression"
    direction = panel[INDICATOR_ID].map(catalog[DIRECTION]).astype(float)
    residual = direction * (panel[VALUE] - panel["expected"])
    panel = panel.assign(residual=residual)
    sd = panel.groupby(group)["residual"].transform("std", ddof=0)
    panel = panel.assign(residual_std=panel["residual"] / sd.where(sd > 0), basis=basis)
    return panel.sort_values([INDICATOR_ID, YEAR, TERRITORY_ID], ignore_index=True)[
        [
            TERRITORY_ID,
            INDICATOR_ID,
            YEAR,
            VALUE,
            "expected",
            "residual",
            "residual_std",
            "basis",
        ]
    ]


def _fit_expected(rows: pd.DataFrame) -> pd.Series:
    """OLS of value on 1, ln population and role dummies; fitted values."""
    columns = [np.ones(len(rows)), np.log(rows[POPULATION].to_numpy(dtype=float))]
    dummies = pd.get_dummies(rows["_role"]).astype(float)
    columns += [dummies[c].to_numpy() for c in dummies.columns[1:]]
    design = np.column_stack(columns)
    keep = [0] + [j for j in range(1, design.shape[1]) if np.ptp(design[:, j]) > 0]
    design = design[:, keep]
    if len(rows) <= design.shape[1]:
        return pd.Series(np.nan, index=rows.index)
    y = rows[VALUE].to_numpy(dtype=float)
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    return pd.Series(design @ coef, index=rows.index)


def _management_models(
    fn: str, territories: pd.DataFrame, agglomerations: pd.DataFrame
) -> pd.Series:
    """Territory id → management model of its agglomeration."""
    require_columns(
        fn, agglomerations, "agglomerations", [AGGLOMERATION_ID, MANAGEMENT_MODEL]
    )
    models = (
        agglomerations.drop_duplicates(AGGLOMERATION_ID)
        .set_index(AGGLOMERATION_ID)[MANAGEMENT_MODEL]
        .fillna("unknown")
    )
    table = territories.drop_duplicates(TERRITORY_ID).set_index(TERRITORY_ID)
    return _text(table[AGGLOMERATION_ID]).map(models)


def positive_deviants(
    observations: pd.DataFrame,
    territories: pd.DataFrame,
    indicators: pd.DataFrame,
    agglomerations: pd.DataFrame,
    agglomeration_id: str | None = None,
    year: int | None = None,
    *,
    method: Literal["closing", "expected"] = "closing",
    start: int | None = None,
    benchmark: Literal["median", "core", "weighted_mean", "best_quartile"] = "median",
    labels: pd.Series | None = None,
    level: Literal["territory", "agglomeration"] = "territory",
    indicator_ids: str | Sequence[str] | None = None,
    theme: str | Sequence[str] | None = None,
    top: int | None = 10,
    population: str = POPULATION,
) -> pd.DataFrame:
    """Territories (or agglomerations) that do better than their peers.

    The deviance score is the mean over indicators of a standardised
    measure, so that a territory strong in several indicators ranks first:

    * ``method="closing"``: ``closed_std`` of :func:`gap_closing` between
      ``start`` and ``year`` (the gap to ``benchmark`` closed, in SDs);
    * ``method="expected"``: ``residual_std`` of :func:`expected_performance`
      in ``year`` (above the cluster mean given by ``labels``, or above the
      regression on log population and role).

    For ``level="agglomeration"`` the territories' scores are averaged per
    agglomeration. The management model of the agglomeration comes along,
    so that the models can be compared side by side.

    Returns
    -------
    pandas.DataFrame
        ``territory_id`` (territory level only), ``agglomeration_id``,
        ``management_model``, ``score`` (mean standardised measure, SDs),
        ``n_indicators``, ``best_indicator`` (where it deviates most),
        ``best_score``; highest score first, ``top`` rows (None: all).

    Examples
    --------
    >>> terr = pd.DataFrame({"territory_id": ["a", "b", "c"],
    ...                      "agglomeration_id": "A", "role": "ring"})
    >>> agg = pd.DataFrame({"agglomeration_id": ["A"],
    ...                     "management_model": ["council"]})
    >>> cat = pd.DataFrame({"indicator_id": ["rev"], "theme": "finance",
    ...                     "direction": [1]})
    >>> obs = pd.DataFrame({"territory_id": ["a", "b", "c"] * 2,
    ...                     "year": [2020] * 3 + [2022] * 3, "indicator_id": "rev",
    ...                     "value": [1.0, 2.0, 3.0, 2.5, 2.0, 3.0]})
    >>> positive_deviants(obs, terr, cat, agg, top=1)[
    ...     ["territory_id", "management_model", "best_indicator"]]
      territory_id management_model best_indicator
    0            a          council            rev
    """
    fn = "positive_deviants"
    if method == "closing":
        detail = gap_closing(
            observations,
            territories,
            indicators,
            agglomeration_id,
            start=start,
            end=year,
            benchmark=benchmark,
            indicator_ids=indicator_ids,
            theme=theme,
            population=population,
        ).rename(columns={"closed_std": "measure"})
    elif method == "expected":
        detail = expected_performance(
            observations,
            territories,
            indicators,
            agglomeration_id,
            year if year is not None else None,
            labels=labels,
            indicator_ids=indicator_ids,
            theme=theme,
            population=population,
        ).rename(columns={"residual_std": "measure"})
        if year is None:
            detail = detail[detail[YEAR] == detail[YEAR].max()]
    else:
        raise ValueError(
            f"{fn}: method must be 'closing' or 'expected'; got {method!r}"
        )
    if level not in ("territory", "agglomeration"):
        raise ValueError(
            f"{fn}: level must be 'territory' or 'agglomeration'; got {level!r}"
        )
    detail = detail.dropna(subset=["measure"])
    models = _management_models(fn, territories, agglomerations)
    agglo = _text(
        territories.drop_duplicates(TERRITORY_ID).set_index(TERRITORY_ID)[
            AGGLOMERATION_ID
        ]
    )
    detail = detail.assign(**{AGGLOMERATION_ID: detail[TERRITORY_ID].map(agglo)})
    detail = detail[_text(detail[AGGLOMERATION_ID]) != ""]
    key = TERRITORY_ID if level == "territory" else AGGLOMERATION_ID
    per = detail.groupby([key, INDICATOR_ID], as_index=False)["measure"].mean()
    grouped = per.groupby(key)
    best = per.loc[grouped["measure"].idxmax(), [key, INDICATOR_ID, "measure"]]
    out = grouped.agg(score=("measure", "mean"), n_indicators=("measure", "size"))
    out = out.join(
        best.set_index(key).rename(
            columns={INDICATOR_ID: "best_indicator", "measure": "best_score"}
        )
    ).reset_index()
    if level == "territory":
        out[AGGLOMERATION_ID] = out[TERRITORY_ID].map(agglo)
        out[MANAGEMENT_MODEL] = out[TERRITORY_ID].map(models)
        front = [TERRITORY_ID, AGGLOMERATION_ID, MANAGEMENT_MODEL]
    else:
        by_agglo = pd.Series(models.to_numpy(), index=agglo.to_numpy())
        by_agglo = by_agglo[~by_agglo.index.duplicated()]
        out[MANAGEMENT_MODEL] = out[AGGLOMERATION_ID].map(by_agglo)
        front = [AGGLOMERATION_ID, MANAGEMENT_MODEL]
    out = out[[*front, "score", "n_indicators", "best_indicator", "best_score"]]
    out = out.sort_values(["score", key], ascending=[False, True], ignore_index=True)
    return out if top is None else out.head(top)
