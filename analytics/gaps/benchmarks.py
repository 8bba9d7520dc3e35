"""Gaps to benchmarks (:func:`benchmark_gaps`) and the biggest shortfalls of
an agglomeration, ready for a sentence (:func:`biggest_gaps`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analytics.gaps._common import (
    BENCHMARKS,
    POPULATION,
    Years,
    _is_in,
    _long,
    _member_panel,
    _population,
    _text,
    _weighted_mean_by,
    extensive_basis,
)
from analytics.store import (
    AGGLOMERATION_ID,
    DIRECTION,
    INDICATOR_ID,
    LEVEL,
    NAME_EN,
    NAME_RU,
    REGION_ID,
    ROLE,
    TERRITORY_ID,
    UNIT,
    VALUE,
    YEAR,
)


def benchmark_gaps(
    observations: pd.DataFrame,
    territories: pd.DataFrame,
    indicators: pd.DataFrame,
    agglomeration_id: str | None = None,
    year: Years = None,
    *,
    indicator_ids: str | Sequence[str] | None = None,
    theme: str | Sequence[str] | None = None,
    benchmarks: Sequence[str] = BENCHMARKS,
    population: str = POPULATION,
) -> pd.DataFrame:
    """Gap of every territory to each benchmark, per indicator and year.

    Benchmarks, per agglomeration, indicator and year, over the member
    territories that have a value:

    ================  =====================================================
    ``core``          the core city's value (population-weighted mean when
                      an agglomeration has several cores)
    ``median``        median of the members (core included), unweighted
    ``best_quartile`` 75th percentile for direction +1, 25th for −1
                      (linear interpolation)
    ``weighted_mean`` :math:`\\sum_i P_i x_i / \\sum_i P_i` over members
                      with a population :math:`P_i`
    ``region``        the value of the territory's region (the territory
                      ``region_id``, level region) in the observations
                      that year, else NaN
    ``country``       the value of the country territory (level country)
                      in the observations that year, else NaN
    ================  =====================================================

    For each row (see the module's sign convention):

    .. math::

        g = d\\,(b - x), \\quad \\text{ratio} = x / b, \\quad
        z = g / \\sigma, \\quad \\text{total} = \\max(g, 0)\\, D / s

    :math:`\\sigma` is the standard deviation (``ddof=0``) of the members'
    values, so that :math:`z` compares shortfalls across indicators; the
    total applies to the ratio indicators of :func:`extensive_basis`
    (denominator :math:`D` of the same territory and year, scale :math:`s`):
    e.g. roubles per resident × residents = roubles missing in total. For a
    direction −1 indicator the total is the excess to remove.

    Parameters
    ----------
    observations, territories, indicators : pandas.DataFrame
        The store's tables (not modified).
    agglomeration_id : str, optional
        One agglomeration; None: every agglomeration.
    year : int or sequence of int, optional
        Year(s); None: every year.
    indicator_ids, theme : optional
        The indicators, or catalog theme(s); neither: the directed indicators
        of finance, staffing and competencies.
    benchmarks : sequence of str
        Any of :data:`BENCHMARKS`.
    population : str
        Indicator id of the population (weights, totals).

    Returns
    -------
    pandas.DataFrame
        ``agglomeration_id``, ``territory_id``, ``role``, ``indicator_id``,
        ``year``, ``benchmark``, ``benchmark_value``, ``value`` (unit of the
        indicator), ``gap_abs`` (same unit, positive = behind), ``gap_ratio``
        (value / benchmark), ``behind`` (bool), ``gap_std`` (gap in SDs),
        ``population`` (persons), ``missing_total`` (unit of the numerator,
        e.g. roubles; NaN where not sensible).

    Examples
    --------
    >>> terr = pd.DataFrame({"territory_id": ["c", "r1", "r2"],
    ...                      "agglomeration_id": "A",
    ...                      "role": ["core", "ring", "ring"]})
    >>> cat = pd.DataFrame({"indicator_id": ["rev"], "theme": "finance",
    ...                     "direction": [1], "unit": ["руб. на жителя"]})
    >>> obs = pd.DataFrame({
    ...     "territory_id": ["c", "r1", "r2"] * 2, "year": 2022,
    ...     "indicator_id": ["rev"] * 3 + ["population"] * 3,
    ...     "value": [300.0, 100.0, 200.0, 1000, 500, 500]})
    >>> g = benchmark_gaps(obs, terr, cat, benchmarks=["core", "median"])
    >>> g[["territory_id", "benchmark", "gap_abs", "behind", "missing_total"]]
      territory_id benchmark  gap_abs  behind  missing_total
    0            c      core      0.0   False            0.0
    1           r1      core    200.0    True       100000.0
    2           r2      core    100.0    True        50000.0
    3            c    median   -100.0   False            0.0
    4           r1    median    100.0    True        50000.0
    5           r2    median      0.0   False            0.0
    """
    fn = "benchmark_gaps"
    unknown = [b for b in benchmarks if b not in BENCHMARKS]
    if unknown or not len(benchmarks):
        raise ValueError(
            f"{fn}: benchmarks must be among {list(BENCHMARKS)}; got {list(benchmarks)}"
        )
    panel, catalog = _member_panel(
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
    group = [AGGLOMERATION_ID, INDICATOR_ID, YEAR]
    by = panel.groupby(group, sort=False)[VALUE]
    bench = {}  # only the benchmarks asked for
    if "median" in benchmarks:
        bench["median"] = by.transform("median")
    if {"best_quartile", "weighted_mean", "core"} & set(benchmarks):
        panel_keys = pd.MultiIndex.from_frame(panel[group])
    if "best_quartile" in benchmarks:
        quartiles = by.quantile([0.25, 0.75]).unstack()  # one cythonised pass
        q25, q75 = (
            pd.Series(quartiles[q].reindex(panel_keys).to_numpy(), index=panel.index)
            for q in (0.25, 0.75)
        )
        bench["best_quartile"] = q75.where(panel[DIRECTION] > 0, q25)
    if "weighted_mean" in benchmarks:
        weighted = _weighted_mean_by(panel, group, VALUE)
        bench["weighted_mean"] = pd.Series(
            weighted.reindex(panel_keys).to_numpy(), index=panel.index
        )
    if "core" in benchmarks:
        cores = panel[panel[ROLE] == "core"]
        core_mean = _weighted_mean_by(cores, group, VALUE)
        core_plain = cores.groupby(group)[VALUE].mean()
        core_value = core_mean.reindex(core_plain.index).fillna(core_plain)
        bench["core"] = pd.Series(
            core_value.reindex(panel_keys).to_numpy(), index=panel.index
        )
    if "region" in benchmarks or "country" in benchmarks:
        every = _long(fn, observations, list(catalog.index), year)
        every = every.drop_duplicates([TERRITORY_ID, INDICATOR_ID, YEAR])
        lookup = every.set_index([TERRITORY_ID, INDICATOR_ID, YEAR])[VALUE]
        keys = pd.MultiIndex.from_arrays(
            [panel[REGION_ID], panel[INDICATOR_ID], panel[YEAR]]
        )
        bench["region"] = pd.Series(lookup.reindex(keys).to_numpy(), index=panel.index)
        country = ""
        if LEVEL in territories.columns:
            ids = territories.loc[territories[LEVEL] == "country", TERRITORY_ID]
            country = str(ids.iloc[0]) if len(ids) else ""
        keys = pd.MultiIndex.from_arrays(
            [np.full(len(panel), country), panel[INDICATOR_ID], panel[YEAR]]
        )
        bench["country"] = pd.Series(lookup.reindex(keys).to_numpy(), index=panel.index)
    sd = by.transform("std", ddof=0)
    basis = extensive_basis(indicators).set_index(INDICATOR_ID)
    denominator = _denominators(observations, panel, basis)

    parts = []
    for name in BENCHMARKS:
        if name not in benchmarks:
            continue
        b = bench[name]
        gap = panel[DIRECTION] * (b - panel[VALUE])
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = panel[VALUE] / b.where(b != 0)
            std = gap / sd.where(sd > 0)
        parts.append(
            pd.DataFrame(
                {
                    AGGLOMERATION_ID: panel[AGGLOMERATION_ID],
                    TERRITORY_ID: panel[TERRITORY_ID],
                    ROLE: panel[ROLE],
                    INDICATOR_ID: panel[INDICATOR_ID],
                    YEAR: panel[YEAR],
                    "benchmark": name,
                    "benchmark_value": b,
                    VALUE: panel[VALUE],
                    "gap_abs": gap,
                    "gap_ratio": ratio,
                    "behind": (gap > 0).to_numpy(),
                    "gap_std": std,
                    POPULATION: panel[POPULATION],
                    "missing_total": gap.clip(lower=0) * denominator,
                }
            )
        )
    out = pd.concat(parts, ignore_index=True)
    order = {b: i for i, b in enumerate(BENCHMARKS)}
    out = out.sort_values(
        [AGGLOMERATION_ID, INDICATOR_ID, YEAR, "benchmark", TERRITORY_ID],
        key=lambda s: s.map(order) if s.name == "benchmark" else s,
        kind="stable",
    )
    return out.reset_index(drop=True)


def _denominators(
    observations: pd.DataFrame, panel: pd.DataFrame, basis: pd.DataFrame
) -> pd.Series:
    """D / s of each panel row (NaN where the indicator has no total)."""
    if basis.empty:
        return pd.Series(np.nan, index=panel.index)
    wanted = basis["denominator"].unique().tolist()
    rows = observations[_is_in(observations[INDICATOR_ID], wanted)]
    rows = rows[[TERRITORY_ID, YEAR, INDICATOR_ID, VALUE]].dropna()
    rows = rows.assign(
        **{INDICATOR_ID: rows[INDICATOR_ID].astype(str), YEAR: rows[YEAR].astype(int)}
    ).drop_duplicates([TERRITORY_ID, INDICATOR_ID, YEAR])
    lookup = rows.set_index([TERRITORY_ID, INDICATOR_ID, YEAR])[VALUE]
    denominator = panel[INDICATOR_ID].map(basis["denominator"])
    keys = pd.MultiIndex.from_arrays(
        [panel[TERRITORY_ID], _text(denominator), panel[YEAR]]
    )
    values = lookup.reindex(keys).to_numpy(dtype=float)
    per_person = (denominator == POPULATION).to_numpy()
    if per_person.any():  # the population with its fallback, as the weights
        pop = _population(observations, POPULATION)
        pop = pop.set_index([TERRITORY_ID, YEAR])[POPULATION]
        at = pd.MultiIndex.from_arrays([panel[TERRITORY_ID], panel[YEAR].astype(int)])
        fallback = pop.reindex(at).to_numpy(dtype=float)
        values = np.where(per_person & np.isnan(values), fallback, values)
    scale = panel[INDICATOR_ID].map(basis["scale"]).to_numpy(dtype=float)
    return pd.Series(values / scale, index=panel.index)


def biggest_gaps(
    observations: pd.DataFrame,
    territories: pd.DataFrame,
    indicators: pd.DataFrame,
    agglomeration_id: str | None = None,
    year: int | None = None,
    *,
    benchmark: str = "median",
    n: int = 5,
    indicator_ids: str | Sequence[str] | None = None,
    theme: str | Sequence[str] | None = None,
    population: str = POPULATION,
) -> pd.DataFrame:
    """The ``n`` largest shortfalls (territory × indicator) of a year.

    Shortfalls are ranked by ``gap_std`` (the gap in standard deviations of
    the agglomeration's values, so that roubles and doctors compare); only
    territories behind the benchmark qualify.

    Parameters
    ----------
    year : int, optional
        None: the latest year with any value in scope.
    benchmark : str
        One of :data:`BENCHMARKS`.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`benchmark_gaps` plus territory ``name_ru``,
        ``name_en``, ``indicator_name_ru``, ``indicator_name_en``, ``unit``,
        ``unit_en`` (of value, benchmark and gap), ``total_unit``,
        ``total_unit_en`` (of ``missing_total``); largest first.

    Examples
    --------
    >>> terr = pd.DataFrame({"territory_id": ["c", "r1", "r2"],
    ...                      "agglomeration_id": "A", "name_ru": ["Ц", "К1", "К2"],
    ...                      "role": ["core", "ring", "ring"]})
    >>> cat = pd.DataFrame({"indicator_id": ["rev"], "theme": "finance",
    ...                     "direction": [1], "name_ru": ["Доходы"]})
    >>> obs = pd.DataFrame({"territory_id": ["c", "r1", "r2"], "year": 2022,
    ...                     "indicator_id": "rev", "value": [300.0, 100.0, 200.0]})
    >>> top = biggest_gaps(obs, terr, cat, "A", n=1)
    >>> top[["name_ru", "indicator_name_ru", "value", "benchmark_value", "gap_abs"]]
      name_ru indicator_name_ru  value  benchmark_value  gap_abs
    0      К1            Доходы  100.0            200.0    100.0
    """
    fn = "biggest_gaps"
    if benchmark not in BENCHMARKS:
        raise ValueError(
            f"{fn}: benchmark must be one of {list(BENCHMARKS)}; got {benchmark!r}"
        )
    if n < 1:
        raise ValueError(f"{fn}: n must be at least 1; got {n}")
    gaps = benchmark_gaps(
        observations,
        territories,
        indicators,
        agglomeration_id,
        year,
        indicator_ids=indicator_ids,
        theme=theme,
        benchmarks=[benchmark],
        population=population,
    )
    if year is None:
        gaps = gaps[gaps[YEAR] == gaps[YEAR].max()]
    top = gaps[gaps["behind"] & gaps["gap_std"].notna()]
    top = top.sort_values(
        ["gap_std", TERRITORY_ID, INDICATOR_ID], ascending=[False, True, True]
    ).head(n)
    names = territories.drop_duplicates(TERRITORY_ID).set_index(TERRITORY_ID)
    catalog = indicators.drop_duplicates(INDICATOR_ID).set_index(INDICATOR_ID)
    basis = extensive_basis(indicators).set_index(INDICATOR_ID)
    extra = {}
    for column in (NAME_RU, NAME_EN):
        extra[column] = top[TERRITORY_ID].map(names.get(column, pd.Series(dtype=str)))
        extra[f"indicator_{column}"] = top[INDICATOR_ID].map(
            catalog.get(column, pd.Series(dtype=str))
        )
    for column in (UNIT, "unit_en"):
        extra[column] = top[INDICATOR_ID].map(catalog.get(column, pd.Series(dtype=str)))
    for column in ("total_unit", "total_unit_en"):
        extra[column] = top[INDICATOR_ID].map(basis[column])
    return top.assign(**extra).reset_index(drop=True)
