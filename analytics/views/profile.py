"""Views of the territory profile: its card and one indicator over time
against its agglomeration."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from analytics import charts, gaps
from analytics import prices as prices_
from analytics import selection as sel_
from analytics.chart_model import Chart, footer_line
from analytics.i18n import fmt_number, t
from analytics.i18n import name as name_of
from analytics.i18n import unit as unit_of
from analytics.selection import Selection
from analytics.store import (
    INDICATOR_ID,
    ROLE,
    TERRITORY_ID,
    VALUE,
    YEAR,
    Store,
)
from analytics.views._common import (
    NoData,
    _footer,
    _member_ids,
    _meta,
    _sources_for,
    _tname,
)
from analytics.views.themes import _every_year

#: The benchmarks a territory's profile follows over the years.
PROFILE_BENCHMARKS = (
    "core", "median", "best_quartile", "weighted_mean", "region", "country"
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
                    ("Тема" if lang == "ru" else "Theme"): t(f"theme.{theme}", lang),
                    t("label.indicator", lang): name_of(info, lang),
                    t("label.unit", lang): unit_of(info, lang),
                    t("label.value", lang): round(value, 2),
                    t("label.median", lang): round(median, 2),
                    ("к медиане" if lang == "ru" else "to median"): round(
                        value / median, 2
                    )
                    if median
                    else np.nan,
                    ("место" if lang == "ru" else "rank"): f"{rank} / {len(data)}",
                    ("отстаёт" if lang == "ru" else "behind"): (
                        "да" if lang == "ru" else "yes"
                    )
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


def profile_trend(
    store: Store,
    selection: Selection,
    territory_id: str,
    indicator_id: str,
    prices: int | None = None,
) -> Chart:
    """The territory's values over the years against the agglomeration median
    and the core. ``prices``: a year; rouble values are then restated in that
    year's prices (:func:`analytics.prices.to_constant_prices`, the region's
    CPI from the store, else the country's) and the unit says so."""
    lang = selection.lang
    meta = _meta(store, indicator_id, lang)
    ids = _member_ids(store, selection)
    data = sel_.panel(store, indicator_id, ids).dropna(subset=[VALUE])
    if prices is not None and prices_.is_money(meta["unit"]):
        try:
            data = prices_.to_constant_prices(data, store, base_year=prices)
        except ValueError as error:
            raise NoData(t("prices.no_cpi", lang, year=prices)) from error
        data = data.dropna(subset=[VALUE])
        meta = {**meta, "unit": f"{meta['unit']}, {prices_.price_label(prices, lang)}"}

    own = data[data[TERRITORY_ID] == territory_id]
    if own.empty:
        raise NoData(t("empty.indicator", lang, indicator=meta["name"], year="—"))
    members = sel_.members(store, selection.agglomeration_id).set_index(TERRITORY_ID)
    label = _tname(members.loc[territory_id], lang)
    median = data.groupby(YEAR)[VALUE].median()
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
    core = members.index[members[ROLE] == "core"]
    if len(core) and core[0] != territory_id:
        core_rows = data[data[TERRITORY_ID] == core[0]]
        frames.append(
            pd.DataFrame(
                {
                    YEAR: core_rows[YEAR],
                    "value": core_rows[VALUE],
                    "series": f"{t('role.core', lang)}: {_tname(members.loc[core[0]], lang)}",
                }
            )
        )
    table = pd.concat(frames, ignore_index=True)
    period = f"{int(table[YEAR].min())}–{int(table[YEAR].max())}"
    title = f"{label}: {meta['name']}"
    footer, source = _footer(
        store, selection, meta, _sources_for(store, [indicator_id], ids), period, None
    )
    fig = charts.series_lines(
        table, title=title, footer=footer, unit=meta["unit"], lang=lang
    )
    last = own.sort_values(YEAR).iloc[-1]
    med_last = median.get(last[YEAR], np.nan)
    caption = (
        f"В {int(last[YEAR])} г. — {fmt_number(last[VALUE], lang)} {meta['unit']} при медиане агломерации {fmt_number(med_last, lang)}."
        if lang == "ru"
        else f"In {int(last[YEAR])}: {fmt_number(last[VALUE], lang)} {meta['unit']} vs the agglomeration median {fmt_number(med_last, lang)}."
    )
    return Chart(
        key=f"profile_{territory_id}_{indicator_id}",
        figure=fig,
        data=table,
        title=title,
        caption=caption,
        unit=meta["unit"],
        year=period,
        source=source,
    )


def price_years(store: Store) -> list[int]:
    """Years whose prices rouble series can be restated in (the country's
    consumer price index is in the store for them)."""

    def build() -> list[int]:
        obs = sel_.rows(store, [prices_.COUNTRY_ID])
        mask = obs[INDICATOR_ID] == prices_.CPI_INDICATOR
        return sorted(int(y) for y in obs.loc[mask, YEAR].unique())

    return list(sel_.remember(store, ("price_years",), build))


def profile_gaps(
    store: Store, selection: Selection, territory_id: str, indicator_id: str
) -> Chart:
    """The territory's value as a share of each benchmark (core, median, best
    quartile, weighted mean, region, country) over the years, and whether each
    gap is closing: the ratio moving towards 1 between the first and the last
    year (a ratio, not roubles, so that inflation does not read as a gap)."""
    lang = selection.lang
    meta = _meta(store, indicator_id, lang)
    agg = selection.agglomeration_id
    try:
        every_year = _every_year(
            store, gaps.benchmark_gaps, agg, indicator_id, benchmarks=PROFILE_BENCHMARKS
        )
    except ValueError as error:
        raise NoData(
            t("empty.indicator", lang, indicator=meta["name"], year="—")
        ) from error
    own = every_year[
        (every_year[TERRITORY_ID] == territory_id) & every_year["gap_ratio"].notna()
    ]
    if (own[ROLE] == "core").any():  # the core against itself says nothing
        own = own[own["benchmark"] != "core"]
    if own.empty:
        raise NoData(t("empty.indicator", lang, indicator=meta["name"], year="—"))
    members = sel_.members(store, agg).set_index(TERRITORY_ID)
    label = _tname(members.loc[territory_id], lang)
    words = {b: t(f"benchmark.{b}", lang) for b in PROFILE_BENCHMARKS}
    table = pd.DataFrame(
        {
            YEAR: own[YEAR].astype(int).to_numpy(),
            "value": own["gap_ratio"].to_numpy(float),
            "series": own["benchmark"].map(words).to_numpy(),
        }
    ).sort_values([YEAR, "series"], kind="stable")
    period = f"{int(table[YEAR].min())}–{int(table[YEAR].max())}"
    title = t("profile_gaps.title", lang, name=label, indicator=meta["name"])
    unit = t("profile_gaps.unit", lang)
    footer, source = _footer(
        store, selection, {**meta, "unit": unit},
        _sources_for(store, [indicator_id], _member_ids(store, selection)),
        period, None,
    )  # fmt: skip
    fig = charts.series_lines(table, title=title, footer=footer, unit=unit, lang=lang)
    fig.add_hline(y=1.0, line={"color": "#333", "width": 1})
    parts = []
    for bench in PROFILE_BENCHMARKS:
        rows = own[own["benchmark"] == bench].sort_values(YEAR)
        if len(rows) < 2:
            continue
        first, last = rows.iloc[0], rows.iloc[-1]
        nearer = abs(math.log(last["gap_ratio"])) < abs(math.log(first["gap_ratio"]))
        if last["gap_abs"] > 0:  # behind: is the gap closing?
            trend = "caption.gap_narrowed" if nearer else "caption.gap_widened"
        else:  # level or ahead: is the lead growing?
            trend = "profile_gaps.lead_shrank" if nearer else "profile_gaps.lead_grew"
        parts.append(
            t(
                "profile_gaps.part",
                lang,
                benchmark=words[bench],
                start=fmt_number(first["gap_ratio"], lang, digits=2),
                end=fmt_number(last["gap_ratio"], lang, digits=2),
                y0=int(first[YEAR]),
                y1=int(last[YEAR]),
                trend=t(trend, lang),
            )
        )
    caption = "; ".join(parts) + "." if parts else ""
    data = table.rename(
        columns={
            YEAR: t("label.year", lang),
            "value": unit,
            "series": t("profile_gaps.benchmark", lang),
        }
    )
    return Chart(
        key=f"profile_gaps_{territory_id}_{indicator_id}",
        figure=fig,
        data=data,
        title=title,
        caption=caption,
        unit=unit,
        year=period,
        source=source,
    )
