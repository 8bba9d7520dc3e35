"""How many of an agglomeration's territories a year or an indicator covers.

A year in which 5 of 17 territories report is not a year like the others: a
median of 5 values or «в 2,7 раза» between two of them describes those 5, not
the agglomeration. This module counts coverage and states the rule the views
and the selectors apply:

* a year or an indicator with values for fewer than all territories is
  *partial* and is marked as such wherever it is offered («2024 · 5 из 17»);
* a statistic of the whole agglomeration (median, spread, ratio of best to
  worst, inequality index) needs values for at least :data:`MIN_SHARE` of its
  territories (and never fewer than :data:`MIN_TERRITORIES`); below that it is
  not shown as if complete, and the text says how many territories it covers.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analytics.i18n import t
from analytics.store import INDICATOR_ID, TERRITORY_ID, THEME, YEAR, Store

#: Fewest territories any statistic of an agglomeration is computed from.
MIN_TERRITORIES = 3
#: Share of an agglomeration's territories a statistic of the whole must cover.
MIN_SHARE = 0.5
#: The themes whose indicators make a year "covered" (population alone does not).
THEMES = ("finance", "staffing", "competencies")


@dataclass(frozen=True)
class Coverage:
    """``covered`` of ``total`` territories have a value.

    >>> Coverage(5, 17).partial, Coverage(5, 17).enough, Coverage(9, 17).enough
    (True, False, True)
    >>> Coverage(5, 17).label("ru"), Coverage(17, 17).label("ru")
    ('5 из 17 территорий', '')
    """

    covered: int
    total: int

    @property
    def partial(self) -> bool:
        return self.covered < self.total

    @property
    def enough(self) -> bool:
        """Whether a statistic of the whole agglomeration may be shown."""
        return self.covered >= max(MIN_TERRITORIES, MIN_SHARE * self.total)

    def label(self, lang: str = "ru") -> str:
        """«5 из 17 территорий» when partial, else empty."""
        if not self.partial:
            return ""
        return t("coverage.of", lang, covered=self.covered, total=self.total)


def _territory_years(
    store: Store, territory_ids: list[str], indicator_ids: list[str] | None
) -> pd.DataFrame:
    from analytics.selection import rows

    obs = rows(store, list(territory_ids))  # the store's territory index
    if indicator_ids is not None:
        obs = obs[obs[INDICATOR_ID].isin(list(indicator_ids))]
    return obs[[TERRITORY_ID, YEAR, INDICATOR_ID]]


def year_coverage(
    store: Store, territory_ids: list[str], indicator_ids: list[str] | None = None
) -> dict[int, Coverage]:
    """Per year: how many of ``territory_ids`` have at least one value of the
    three themes' indicators (or of ``indicator_ids``)."""
    if indicator_ids is None:
        ind = store.indicators
        indicator_ids = ind.loc[ind[THEME].isin(THEMES), INDICATOR_ID].tolist()
    rows = _territory_years(store, territory_ids, indicator_ids)
    counts = rows.groupby(YEAR)[TERRITORY_ID].nunique()
    total = len(set(territory_ids))
    return {int(y): Coverage(int(n), total) for y, n in counts.items()}


def indicator_coverage(
    store: Store, territory_ids: list[str], indicator_ids: list[str], year: int
) -> dict[str, Coverage]:
    """Per indicator: how many of ``territory_ids`` have a value in ``year``."""
    rows = _territory_years(store, territory_ids, indicator_ids)
    rows = rows[rows[YEAR] == int(year)]
    counts = rows.groupby(INDICATOR_ID, observed=True)[TERRITORY_ID].nunique()
    total = len(set(territory_ids))
    return {
        str(i): Coverage(int(counts.get(i, 0)), total) for i in map(str, indicator_ids)
    }


def year_label(year: int, coverage: Coverage | None, lang: str = "ru") -> str:
    """A year as a selector offers it: «2023», or «2024 · 5 из 17» when partial.

    >>> year_label(2024, Coverage(5, 17)), year_label(2023, Coverage(17, 17), "en")
    ('2024 · 5 из 17', '2023')
    """
    if coverage is None or not coverage.partial:
        return str(year)
    return t(
        "coverage.year", lang, year=year, covered=coverage.covered, total=coverage.total
    )
