"""Shared preparation of the gap analyses: the benchmarks and roles, the
members of an agglomeration, their population and a long panel of values."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from analytics.scope import require_columns, select_indicators
from analytics.store import (
    AGGLOMERATION_ID,
    DIRECTION,
    INDICATOR_ID,
    REGION_ID,
    ROLE,
    TERRITORY_ID,
    UNIT,
    VALUE,
    YEAR,
)

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
