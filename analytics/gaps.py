"""Gaps: how far behind a territory is, in the indicator's own unit.

Four views, each a pure function of the store's tables (``observations``,
``territories``, ``indicators``; ``agglomerations`` for management models):

* :func:`benchmark_gaps` -- every territory × indicator × year against the
  agglomeration's core, median, best quartile and population-weighted mean,
  and against its region and the country, as a signed amount, a ratio and a
  total amount missing.
* :func:`core_periphery_gap` -- population-weighted means of core, ring and
  periphery per year, the ratios core/ring and core/periphery and their trend.
* :func:`biggest_gaps` -- the largest shortfalls of one agglomeration in a
  year, with the words a sentence needs.
* The album of best solutions (positive deviants): :func:`gap_closing` (who
  closed a gap fastest), :func:`expected_performance` (who does better than
  its type predicts), :func:`positive_deviants` (both, summed up per
  territory or agglomeration, with the management model) and
  :func:`compare_management_models` (an index of outcomes per management
  model with a bootstrap interval and the between-model share of Theil
  inequality).

Sign convention
---------------
With :math:`x` the territory's value, :math:`b` the benchmark and :math:`d`
the indicator's direction (+1 higher is better, −1 lower is better), the gap

.. math::

    g = d\\,(b - x)

is **positive when the territory is behind** (below the benchmark for
:math:`d = +1`, above it for :math:`d = -1`), in the indicator's unit
(e.g. roubles per resident). Indicators of direction 0 have no "behind" and
are left out (an explicit request for one raises ``ValueError``), and so are
absolute amounts that have a per-capita form unless named explicitly: the
gap of a district's total revenue to the city's measures size.

Missing data
------------
Territories without a value are left out of the benchmarks and get no row.
A benchmark that cannot be formed (no core value that year, no region or
country value in the observations) is NaN, and so are its gaps; ``behind``
is then False.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from analytics import indices
from analytics.composite import require_columns, scope_territories, select_indicators
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

__all__ = [
    "BENCHMARKS",
    "ROLES",
    "CorePeripheryGap",
    "ModelComparison",
    "benchmark_gaps",
    "biggest_gaps",
    "compare_management_models",
    "core_periphery_gap",
    "expected_performance",
    "extensive_basis",
    "gap_closing",
    "positive_deviants",
]

#: Benchmarks of :func:`benchmark_gaps`, in output order.
BENCHMARKS: tuple[str, ...] = (
    "core",
    "median",
    "best_quartile",
    "weighted_mean",
    "region",
    "country",
)
#: Roles of a territory in its agglomeration.
ROLES: tuple[str, ...] = ("core", "ring", "periphery")
POPULATION = "population"
MANAGEMENT_MODEL = "management_model"
#: Denominators that are stocks (people, money): a shortfall in a ratio to
#: them times the denominator is an amount missing in total.
STOCK_DENOMINATORS = frozenset(
    {"population", "population_avg", "budget_revenue", "budget_expenditure", "pupils"}
)
_PER_UNIT = re.compile(r"\s+на\s+([\d\s]*)\s*(жител|обучающ)")
_DENOMINATOR_OF_UNIT = {"жител": "population", "обучающ": "pupils"}

Years = int | Sequence[int] | None


# --------------------------------------------------------------------------
# shared preparation
# --------------------------------------------------------------------------


def extensive_basis(indicators: pd.DataFrame) -> pd.DataFrame:
    """How each ratio indicator turns into a total amount.

    A shortfall :math:`g` in a ratio :math:`x = N / D \\cdot s` (numerator
    :math:`N`, denominator :math:`D`, scale :math:`s`) is a total of
    :math:`g \\, D / s` units of :math:`N` missing: e.g. 1,000 roubles per
    resident × 50,000 residents = 50 million roubles; 5 doctors per 10,000 ×
    50,000 residents = 25 doctors. The denominator and scale come from the
    catalog formula, or for published ratios from the unit («… на 10 000
    жителей» → population / 10,000; «… на 1000 обучающихся» → pupils /
    1,000). Only denominators that are stocks (:data:`STOCK_DENOMINATORS`:
    population, budget totals, pupils) qualify; a ratio to an average (a
    wage relative to the average wage) has no total.

    Returns
    -------
    pandas.DataFrame
        ``indicator_id``, ``denominator``, ``scale``, ``total_unit``,
        ``total_unit_en`` -- only the indicators that have a total.

    Examples
    --------
    >>> cat = pd.DataFrame({
    ...     "indicator_id": ["doctors_per_10k", "wage"],
    ...     "unit": ["чел. на 10 000 жителей", "руб."],
    ...     "unit_en": ["persons per 10,000 residents", "RUB"],
    ...     "formula": ["", ""]})
    >>> extensive_basis(cat)
          indicator_id denominator    scale total_unit total_unit_en
    0  doctors_per_10k  population  10000.0       чел.       persons
    """
    catalog = indicators.drop_duplicates(INDICATOR_ID).set_index(INDICATOR_ID)
    unit = catalog[UNIT] if UNIT in catalog else pd.Series("", index=catalog.index)
    unit_en = catalog.get("unit_en", pd.Series("", index=catalog.index))
    formulas = catalog.get("formula", pd.Series("", index=catalog.index))
    rows = []
    for ind, formula in _text(formulas).items():
        total_unit = total_unit_en = ""
        if isinstance(formula, str) and formula.strip():
            spec = json.loads(formula)
            denominator, scale = spec["denominator"], float(spec.get("scale", 1))
            numerator = spec["numerator"]
            if numerator in catalog.index:
                total_unit = str(unit.get(numerator, "") or "")
                total_unit_en = str(unit_en.get(numerator, "") or "")
        else:
            match = _PER_UNIT.search(str(unit.get(ind, "") or ""))
            if match is None:
                continue
            digits = re.sub(r"\s", "", match.group(1))
            scale = float(digits) if digits else 1.0
            denominator = _DENOMINATOR_OF_UNIT[match.group(2)]
            total_unit = str(unit.get(ind, "")).split(" на ")[0]
            total_unit_en = str(unit_en.get(ind, "") or "").split(" per ")[0]
        if denominator in STOCK_DENOMINATORS:
            rows.append((ind, denominator, scale, total_unit, total_unit_en))
    return pd.DataFrame(
        rows,
        columns=[INDICATOR_ID, "denominator", "scale", "total_unit", "total_unit_en"],
    )


def _years(fn: str, frame: pd.DataFrame, year: Years) -> pd.DataFrame:
    if year is None:
        return frame
    wanted = [year] if np.ndim(year) == 0 else list(year)
    out = frame[frame[YEAR].isin(wanted)]
    if out.empty:
        raise ValueError(f"{fn}: no observation in year {year}")
    return out


def _members(
    fn: str, territories: pd.DataFrame, agglomeration_id: str | None
) -> pd.DataFrame:
    """Territories of an agglomeration (or of every agglomeration)."""
    require_columns(fn, territories, "territories", [TERRITORY_ID, AGGLOMERATION_ID])
    table = territories.drop_duplicates(TERRITORY_ID)
    agglo = _text(table[AGGLOMERATION_ID])
    if agglomeration_id is None:
        members = table[agglo != ""]
        if members.empty:
            raise ValueError(f"{fn}: no territory belongs to an agglomeration")
    else:
        members = table[agglo == str(agglomeration_id)]
        if members.empty:
            raise ValueError(
                f"{fn}: unknown agglomeration {agglomeration_id!r} "
                "(no territory belongs to it)"
            )
    columns = [TERRITORY_ID, AGGLOMERATION_ID, ROLE, REGION_ID]
    members = members.reindex(columns=columns)
    return members.assign(**{c: _text(members[c]) for c in columns[1:]})


def _text(column: pd.Series) -> pd.Series:
    """Strings with '' for missing (a column absent from a table is NaN)."""
    return column.astype(object).where(column.notna(), "").astype(str)


def _long(
    fn: str,
    observations: pd.DataFrame,
    indicator_ids: list[str],
    year: Years,
) -> pd.DataFrame:
    """Observations of the indicators as plain columns, NaN values dropped."""
    require_columns(
        fn, observations, "observations", [TERRITORY_ID, YEAR, INDICATOR_ID, VALUE]
    )
    obs = observations[[TERRITORY_ID, YEAR, INDICATOR_ID, VALUE]]
    obs = obs[_is_in(obs[INDICATOR_ID], indicator_ids) & obs[VALUE].notna().to_numpy()]
    obs = obs.assign(
        **{INDICATOR_ID: obs[INDICATOR_ID].astype(str), YEAR: obs[YEAR].astype(int)}
    )
    return _years(fn, obs, year)


def _is_in(ids: pd.Series, wanted) -> np.ndarray:
    """``ids.astype(str).isin(wanted)`` without a string per row: the store's
    indicator ids are categorical, so each category is compared once (on a
    large scope the per-row strings cost more than the whole computation)."""
    wanted = [str(w) for w in wanted]
    if isinstance(ids.dtype, pd.CategoricalDtype):
        hit = np.asarray(ids.cat.categories.astype(str).isin(wanted), dtype=bool)
        codes = ids.cat.codes.to_numpy()
        return np.where(codes >= 0, hit[codes], "nan" in wanted)
    return np.asarray(ids.astype(str).isin(wanted), dtype=bool)


#: The annual average population stands in where the 1 January figure is
#: missing, as in the index views (:data:`analytics.selection.POPULATION_FALLBACK`).
POPULATION_FALLBACK = "population_avg"


def _population(observations: pd.DataFrame, population: str) -> pd.DataFrame:
    """``territory_id``, ``year``, ``population`` (persons); for the default
    ``population``, the annual average where the 1 January figure is missing,
    as everywhere else in the app."""
    wanted = [population]
    if population == POPULATION:
        wanted.append(POPULATION_FALLBACK)
    rows = observations[_is_in(observations[INDICATOR_ID], wanted)]
    rows = rows[[TERRITORY_ID, YEAR, INDICATOR_ID, VALUE]].dropna()
    rows = rows.assign(
        **{
            YEAR: rows[YEAR].astype(int),
            "_fallback": _text(rows[INDICATOR_ID]) != population,
        }
    )
    rows = rows.sort_values("_fallback", kind="stable")  # the figure asked first
    return (
        rows.drop_duplicates([TERRITORY_ID, YEAR])[[TERRITORY_ID, YEAR, VALUE]]
        .rename(columns={VALUE: POPULATION})
        .reset_index(drop=True)
    )


def _weighted_mean_by(frame: pd.DataFrame, keys: list[str], value: str) -> pd.Series:
    """Population-weighted mean of ``value`` per group (rows with population)."""
    has = frame[POPULATION].notna() & (frame[POPULATION] > 0)
    part = frame[has]
    sums = (part[value] * part[POPULATION]).groupby([part[k] for k in keys]).sum()
    weights = part[POPULATION].groupby([part[k] for k in keys]).sum()
    return (sums / weights).rename(value)


def _member_panel(
    fn: str,
    observations: pd.DataFrame,
    territories: pd.DataFrame,
    indicators: pd.DataFrame,
    agglomeration_id: str | None,
    year: Years,
    indicator_ids,
    theme,
    population: str,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(member rows with role, region and population; catalog rows)."""
    catalog = select_indicators(
        fn, indicators, indicator_ids=indicator_ids, theme=theme, directed=True
    )
    members = _members(fn, territories, agglomeration_id)
    obs = _long(fn, observations, list(catalog.index), year)
    panel = obs.merge(members, on=TERRITORY_ID, how="inner")
    if panel.empty:
        raise ValueError(
            f"{fn}: no observation of {list(catalog.index)} for the territories "
            "of the agglomeration" + ("s" if agglomeration_id is None else "")
        )
    if panel[TERRITORY_ID].nunique() < 2:
        raise ValueError(
            f"{fn}: needs at least 2 territories with values to compare; got "
            f"{panel[TERRITORY_ID].nunique()} ({panel[TERRITORY_ID].iloc[0]})"
        )
    panel = panel.merge(_population(observations, population), how="left")
    panel[DIRECTION] = panel[INDICATOR_ID].map(catalog[DIRECTION]).astype(float)
    return panel, catalog


# --------------------------------------------------------------------------
# gaps to benchmarks
# --------------------------------------------------------------------------


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


# --------------------------------------------------------------------------
# core and periphery over time
# --------------------------------------------------------------------------


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


# --------------------------------------------------------------------------
# the biggest gaps, ready for a sentence
# --------------------------------------------------------------------------


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


# --------------------------------------------------------------------------
# the album of best solutions: positive deviants
# --------------------------------------------------------------------------


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
