"""Views of the territory profile: its card and one indicator over time
against its agglomeration."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from analytics import charts
from analytics import selection as sel_
from analytics.chart_model import Chart, footer_line
from analytics.i18n import fmt_number, t
from analytics.i18n import name as name_of
from analytics.i18n import unit as unit_of
from analytics.selection import Scope, Selection
from analytics.store import (
    INDICATOR_ID,
    NAME_EN,
    NAME_RU,
    ROLE,
    TERRITORY_ID,
    VALUE,
    YEAR,
    Store,
)
from analytics.views._common import (
    NoData,
    _member_ids,
    _sources_for,
    two_step,
)

if TYPE_CHECKING:  # scikit-learn is imported on first use (0.3 s at start-up)
    pass


def profile_table(
    store: Store, selection: Selection, territory_id: str
) -> pd.DataFrame:
    """One territory's card: every comparable theme indicator in the selected
    year against the agglomeration median, with its rank among the members
    (1 = best, direction-aware) and the ratio to the median."""
    lang = selection.lang
    ids = _member_ids(store, selection)
    rows = []
    for theme in sel_.THEMES:
        for info in sel_.theme_indicators(store, theme, ids).to_dict("records"):
            indicator = info[INDICATOR_ID]
            data = sel_.panel(store, indicator, ids, [selection.year]).dropna(
                subset=[VALUE]
            )
            if territory_id not in set(data[TERRITORY_ID]):
                continue
            value = float(data.loc[data[TERRITORY_ID] == territory_id, VALUE].iloc[0])
            median = float(data[VALUE].median())
            direction = int(info.get("direction") or 0)
            better_high = direction >= 0
            rank = (
                int((data[VALUE] > value).sum() + 1)
                if better_high
                else int((data[VALUE] < value).sum() + 1)
            )
            behind = (value < median) if better_high else (value > median)
            rows.append(
                {
                    t("label.theme", lang): t(f"theme.{theme}", lang),
                    t("label.indicator", lang): name_of(info, lang),
                    t("label.unit", lang): unit_of(info, lang),
                    t("label.value", lang): round(value, 2),
                    t("label.median", lang): round(median, 2),
                    t("profile.to_median", lang): round(value / median, 2)
                    if median
                    else np.nan,
                    t("mobility.unit", lang): f"{rank} / {len(data)}",
                    t("profile.behind", lang): t("profile.yes", lang)
                    if behind and direction != 0
                    else "",
                }
            )
    if not rows:
        raise NoData(t("empty.too_few", lang, need=1, have=0))
    table = pd.DataFrame(rows)
    sources = sel_.value_sources(store, sel_.comparable_indicators(store, ids), ids)
    source = sel_.source_line(store, sources, lang)
    # Units are a column of the table; the footer gives year, source, weighting.
    table.attrs["footer"] = footer_line("", str(selection.year), source, None, lang)
    return table


@dataclass(frozen=True, eq=False)
class TrendResult:
    """One territory's values over the years, the agglomeration median and
    the core's values (:func:`compute_profile_trend`)."""

    territory_id: str
    indicator_id: str
    indicator: dict
    territory: dict  # names of the territory in both languages
    own: pd.DataFrame  # year, value
    median: pd.Series  # by year
    core: dict | None  # names of the core (when it is another territory)
    core_rows: pd.DataFrame | None  # year, value
    sources: sel_.SourceFacts


def compute_profile_trend(
    store: Store, scope: Scope, territory_id: str, indicator_id: str
) -> TrendResult:
    """The territory's values over the years against the agglomeration median
    and the core."""
    info = sel_.indicator_info(store, indicator_id)  # KeyError: unknown indicator
    ids = sel_.members(store, scope.agglomeration_id)[TERRITORY_ID].tolist()
    if not ids:
        raise NoData.of("empty.no_agglomerations")
    data = sel_.panel(store, indicator_id, ids).dropna(subset=[VALUE])
    own = data[data[TERRITORY_ID] == territory_id]
    if own.empty:
        raise NoData.of("empty.indicator", {"indicator": info}, year="—")
    members = sel_.members(store, scope.agglomeration_id).set_index(TERRITORY_ID)
    core = members.index[members[ROLE] == "core"]
    core_names = core_rows = None
    if len(core) and core[0] != territory_id:
        core_rows = data.loc[data[TERRITORY_ID] == core[0], [YEAR, VALUE]]
        core_names = _names(members.loc[core[0]])
    return TrendResult(
        territory_id=territory_id,
        indicator_id=indicator_id,
        indicator=info,
        territory=_names(members.loc[territory_id]),
        own=own[[YEAR, VALUE]],
        median=data.groupby(YEAR)[VALUE].median(),
        core=core_names,
        core_rows=core_rows,
        sources=sel_.source_facts(store, _sources_for(store, [indicator_id], ids)),
    )


def _names(row: pd.Series) -> dict:
    return {NAME_RU: row.get(NAME_RU), NAME_EN: row.get(NAME_EN)}


def render_profile_trend(result: TrendResult, lang: str) -> Chart:
    """The lines of :func:`compute_profile_trend` in ``lang``."""
    name, unit = name_of(result.indicator, lang), unit_of(result.indicator, lang)
    own, median = result.own, result.median
    label = name_of(result.territory, lang)
    frames = [
        pd.DataFrame({YEAR: own[YEAR], "value": own[VALUE], "series": label}),
        pd.DataFrame(
            {
                YEAR: median.index,
                "value": median.to_numpy(),
                "series": t("label.median", lang),
            }
        ),
    ]
    if result.core_rows is not None:
        core = f"{t('role.core', lang)}: {name_of(result.core, lang)}"
        frames.append(
            pd.DataFrame(
                {
                    YEAR: result.core_rows[YEAR],
                    "value": result.core_rows[VALUE],
                    "series": core,
                }
            )
        )
    table = pd.concat(frames, ignore_index=True)
    period = f"{int(table[YEAR].min())}–{int(table[YEAR].max())}"
    title = f"{label}: {name}"
    source = sel_.format_sources(result.sources, lang)
    footer = footer_line(unit, period, source, None, lang)
    fig = charts.series_lines(table, title=title, footer=footer, unit=unit, lang=lang)
    last = own.sort_values(YEAR).iloc[-1]
    caption = t(
        "profile.trend_caption",
        lang,
        year=int(last[YEAR]),
        value=fmt_number(last[VALUE], lang),
        unit=unit,
        median=fmt_number(median.get(last[YEAR], np.nan), lang),
    )
    return Chart(
        key=f"profile_{result.territory_id}_{result.indicator_id}",
        figure=fig,
        data=table,
        title=title,
        caption=caption,
        unit=unit,
        year=period,
        source=source,
    )


profile_trend = two_step(compute_profile_trend, render_profile_trend)
