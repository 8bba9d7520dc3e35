"""Money in constant prices: rouble series deflated by the consumer price index.

A rouble of 2015 bought more than a rouble of 2023; a budget per resident
that grew by 60 % in roubles over years of 7 % inflation did not grow at all.
:func:`to_constant_prices` restates a rouble series in the prices of a chosen
year with the consumer price index the store holds (``cpi_dec``: December on
the previous December, in per cent), taken for the territory's region where
the store has it for that year and for the country (``RU``) otherwise.

Method. The December price level of year *y*, relative to an arbitrary base,
is the chain :math:`P_y = \\prod_{k \\le y} \\mathrm{cpi}_k / 100`. A budget or
a wage is a flow spread over the year, so it is deflated by the year's average
level, approximated by the geometric mean of the December levels that open
and close it:

.. math:: L_y = P_{y-1} \\sqrt{\\mathrm{cpi}_y / 100},
          \\qquad v^{\\text{const}}_y = v_y \\, L_b / L_y

for base year *b*. A year without an index (neither the region's nor the
country's) leaves the value missing: a series is never deflated with a made-up
rate. Which index was used is returned with every value (``deflator``:
``"region"`` or ``"country"``).

>>> import pandas as pd
>>> cpi = pd.DataFrame({"territory_id": ["RU"] * 3, "year": [2021, 2022, 2023],
...                     "value": [108.39, 111.94, 107.42]})
>>> levels = price_levels(cpi)
>>> round(float(levels.level[("RU", 2023)] / levels.level[("RU", 2022)]), 4)
1.0966
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.store import (
    INDICATOR_ID,
    REGION_ID,
    TERRITORY_ID,
    VALUE,
    YEAR,
    Store,
)

#: The catalog's consumer price index (December on previous December, %).
CPI_INDICATOR = "cpi_dec"
#: The country's territory id: its index stands in for a missing regional one.
COUNTRY_ID = "RU"

_LABEL = {
    "ru": ("в ценах {year} г.", "в текущих ценах"),
    "en": ("in {year} prices", "in current prices"),
}


def is_money(unit: str) -> bool:
    """Whether ``unit`` is a rouble amount (``руб.``, ``руб. на жителя``,
    ``тыс. руб.``), the units this module deflates; shares and counts are not.

    >>> is_money("руб. на жителя"), is_money("%"), is_money("RUB per resident")
    (True, False, True)
    """
    text = str(unit).casefold()
    return "руб" in text or "rub" in text


def price_label(base_year: int | None, lang: str = "ru") -> str:
    """«в ценах 2023 г.» / «in 2023 prices»; «в текущих ценах» for ``None``.

    >>> price_label(2023), price_label(None, "en")
    ('в ценах 2023 г.', 'in current prices')
    """
    constant, nominal = _LABEL.get(lang, _LABEL["ru"])
    return nominal if base_year is None else constant.format(year=int(base_year))


def price_levels(cpi: pd.DataFrame) -> pd.DataFrame:
    """Average price level of each territory and year, from Dec/Dec indices.

    ``cpi``: columns ``territory_id``, ``year``, ``value`` (per cent, 107.4
    for 7.4 % inflation). Returns a frame indexed by (territory_id, year) with
    ``level`` (:math:`L_y` of the module docstring, in an arbitrary base) and
    ``chain``: a number shared by the years of one unbroken run of indices.
    Only levels of one chain compare: a chain cannot cross a year without an
    index, so a gap starts a new one.
    """
    index = pd.MultiIndex.from_arrays([[], []], names=[TERRITORY_ID, YEAR])
    if cpi.empty:
        return pd.DataFrame({"level": [], "chain": []}, index=index)
    values = pd.to_numeric(cpi[VALUE], errors="coerce")
    if (values <= 0).any():
        raise ValueError(
            f"price_levels: the index must be positive (per cent); got "
            f"{int((values <= 0).sum())} values ≤ 0"
        )
    table = (
        cpi.assign(**{VALUE: values})
        .dropna(subset=[VALUE])
        .groupby([TERRITORY_ID, YEAR], sort=True)[VALUE]
        .first()
        .reset_index()
    )
    logf = np.log(table[VALUE].to_numpy(float) / 100.0)
    year = table[YEAR].to_numpy(int)
    territory = table[TERRITORY_ID].to_numpy()
    start = np.r_[True, (territory[1:] != territory[:-1]) | (year[1:] != year[:-1] + 1)]
    chain = np.cumsum(start)
    # December level P_y = exp(cumulative log); average level L_y = P_y / sqrt(f_y)
    cum = pd.Series(logf).groupby(chain).cumsum().to_numpy()
    return pd.DataFrame(
        {"level": np.exp(cum - 0.5 * logf), "chain": chain},
        index=pd.MultiIndex.from_arrays([territory, year], names=[TERRITORY_ID, YEAR]),
    )


def _cpi(store: Store) -> pd.DataFrame:
    obs = store.observations
    return obs.loc[obs[INDICATOR_ID] == CPI_INDICATOR, [TERRITORY_ID, YEAR, VALUE]]


def deflators(
    store: Store, territory_ids: list[str], years: list[int], base_year: int
) -> pd.DataFrame:
    """Factor turning a rouble value of each territory and year into roubles
    of ``base_year`` (``value * factor``), and which index gave it.

    Columns ``territory_id``, ``year``, ``factor``, ``deflator``
    (``"region"`` or ``"country"``; missing when neither index covers both
    the year and ``base_year``). The region's own index is used when it
    covers both years, else the country's.
    """
    regions = (
        store.territories.set_index(TERRITORY_ID)[REGION_ID]
        .reindex(territory_ids)
        .fillna(COUNTRY_ID)
        .astype(str)
    )
    levels = price_levels(_cpi(store))
    grid = pd.MultiIndex.from_product(
        [list(territory_ids), sorted({int(y) for y in years})],
        names=[TERRITORY_ID, YEAR],
    ).to_frame(index=False)
    region = grid[TERRITORY_ID].map(regions).fillna(COUNTRY_ID)
    # a territory that is itself a region (or the country) uses its own index
    own = grid[TERRITORY_ID].isin(levels.index.get_level_values(0).unique())
    region = region.where(~own, grid[TERRITORY_ID])

    def factor(where: pd.Series) -> np.ndarray:
        at_year = levels.reindex(pd.MultiIndex.from_arrays([where, grid[YEAR]]))
        at_base = levels.reindex(
            pd.MultiIndex.from_arrays([where, np.full(len(grid), int(base_year))])
        )
        ratio = at_base["level"].to_numpy(float) / at_year["level"].to_numpy(float)
        same = at_base["chain"].to_numpy(float) == at_year["chain"].to_numpy(float)
        return np.where(same, ratio, np.nan)

    regional = factor(region)
    national = factor(pd.Series(COUNTRY_ID, index=grid.index))
    use_region = np.isfinite(regional)
    which = [
        "region" if r else "country" if n else None
        for r, n in zip(use_region, np.isfinite(national), strict=True)
    ]
    return grid.assign(
        factor=np.where(use_region, regional, national),
        deflator=pd.Series(which, index=grid.index, dtype=object),
    )


def to_constant_prices(
    df: pd.DataFrame,
    store: Store,
    *,
    base_year: int,
    value: str = VALUE,
) -> pd.DataFrame:
    """``df`` (with ``territory_id``, ``year`` and a rouble column ``value``)
    restated in prices of ``base_year``: a new frame whose ``value`` is
    deflated, with the ``deflator`` used per row; ``df`` is not changed.
    Rows no index covers get a missing value.

    Raises ``ValueError`` when the store has no consumer price index at all
    for ``base_year`` (nothing could be deflated).
    """
    cpi = _cpi(store)
    if not (cpi[YEAR] == int(base_year)).any():
        have = sorted(int(y) for y in cpi[YEAR].unique())
        span = f"{have[0]}–{have[-1]}" if have else "нет ни одного года"
        raise ValueError(
            f"to_constant_prices: в хранилище нет индекса потребительских цен "
            f"({CPI_INDICATOR}) за {int(base_year)} г.; есть: {span}"
        )
    ids = [str(i) for i in pd.unique(df[TERRITORY_ID])]
    years = [int(y) for y in pd.unique(df[YEAR])]
    table = deflators(store, ids, years, int(base_year))
    keyed = df[[TERRITORY_ID, YEAR]].astype({TERRITORY_ID: str, YEAR: int})
    merged = keyed.merge(table, on=[TERRITORY_ID, YEAR], how="left")
    return df.assign(
        **{
            value: df[value].to_numpy(float) * merged["factor"].to_numpy(float),
            "deflator": merged["deflator"].to_numpy(),
        }
    )
