"""Views of the theme pages (finance, staffing, competencies): ranking,
z-scores and heatmap, gap to a benchmark, core and periphery over time, and
the biggest gaps as sentences."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from analytics import charts, coverage, gaps
from analytics import selection as sel_
from analytics.chart_model import Chart
from analytics.i18n import fmt_amount, fmt_number, fmt_ratio, t
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
    MIN_TERRITORIES,
    NoData,
    _footer,
    _member_ids,
    _meta,
    _role_word,
    _sources_for,
    _tname,
    _year_panel,
)

if TYPE_CHECKING:  # scikit-learn is imported on first use (0.3 s at start-up)
    pass


def ranking(store: Store, selection: Selection, indicator_id: str) -> Chart:
    """Territories ranked on one indicator in the selected year, best on top,
    with the agglomeration median and the core marked by colour."""
    lang = selection.lang
    meta = _meta(store, indicator_id, lang)
    data = _year_panel(store, selection, indicator_id)
    ascending = meta["direction"] < 0
    data = data.sort_values(VALUE, ascending=ascending, kind="stable")
    cover = coverage.Coverage(len(data), len(_member_ids(store, selection)))
    # a median of a few territories is not the agglomeration's median
    median = float(data[VALUE].median()) if cover.enough else math.nan
    year = str(selection.year)
    footer, source = _footer(
        store,
        selection,
        meta,
        _sources_for(store, [indicator_id], data[TERRITORY_ID].tolist()),
        year,
        None,
    )
    title = f"{meta['name']}, {year}"
    fig = charts.ranking_bars(
        data, title=title, footer=footer, unit=meta["unit"], median=median, lang=lang
    )
    best, worst = data.iloc[0], data.iloc[-1]
    ratio = (
        max(best[VALUE], worst[VALUE]) / min(best[VALUE], worst[VALUE])
        if min(best[VALUE], worst[VALUE]) > 0
        else math.nan
    )
    caption = t(
        "caption.ranking",
        lang,
        best=best["name"],
        best_value=fmt_number(best[VALUE], lang),
        unit=meta["unit"],
        worst=worst["name"],
        worst_value=fmt_number(worst[VALUE], lang),
        ratio=fmt_ratio(ratio, lang),
    )
    if not cover.enough:
        caption = t(
            "coverage.too_few", lang, covered=cover.covered, total=cover.total
        )
    elif cover.partial:
        note = t("coverage.partial_note", lang, covered=cover.covered, total=cover.total)
        caption = f"{caption.rstrip('.')} ({note})."
    table = pd.DataFrame(
        {
            t("label.territory", lang): data["name"].to_numpy(),
            t("label.role", lang): [_role_word(r, lang) for r in data[ROLE]],
            f"{meta['name']}, {meta['unit']}": data[VALUE].to_numpy(),
            f"{t('label.population', lang)}, {'чел.' if lang == 'ru' else 'persons'}": data[
                "population"
            ].to_numpy(),
        }
    )
    return Chart(
        key=f"ranking_{indicator_id}",
        figure=fig,
        data=table,
        title=title,
        caption=caption,
        unit=meta["unit"],
        year=year,
        source=source,
        weighted=None,
        extra={"median": median, "indicator_id": indicator_id},
    )


def zscores(
    store: Store, selection: Selection, theme: str
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Direction-aware z-scores of the theme's indicators across the
    agglomeration's territories in the selected year.

    Returns (z, values, indicator_ids): ``z`` territories × indicators where
    positive means ahead of the agglomeration mean whatever the indicator's
    direction; ``values`` the raw values; indicators with fewer than
    :data:`MIN_TERRITORIES` values or no spread are left out.
    """
    lang = selection.lang
    ids = _member_ids(store, selection)
    inds = sel_.theme_indicators(store, theme, ids)
    obs = sel_.rows(store, ids)
    mask = obs[INDICATOR_ID].isin(inds[INDICATOR_ID]) & (obs[YEAR] == selection.year)
    wide = obs[mask].pivot_table(
        index=TERRITORY_ID, columns=INDICATOR_ID, values=VALUE, observed=True
    )
    keep = [
        c
        for c in wide.columns
        if wide[c].notna().sum() >= MIN_TERRITORIES and wide[c].std() > 0
    ]
    if not keep:
        raise NoData(t("empty.theme", lang, theme=t(f"theme.{theme}", lang)))
    wide = wide[keep]
    direction = inds.set_index(INDICATOR_ID)["direction"].astype(int)
    sign = np.where(direction.reindex(keep).fillna(0).to_numpy() < 0, -1.0, 1.0)
    z = (wide - wide.mean()) / wide.std(ddof=0) * sign
    return z, wide, keep


def heatmap(store: Store, selection: Selection, theme: str) -> Chart:
    """Territories × indicators of a theme, coloured by direction-aware z."""
    lang = selection.lang
    z, values, keep = zscores(store, selection, theme)
    members = sel_.members(store, selection.agglomeration_id).set_index(TERRITORY_ID)
    labels = {
        tid: f"{_tname(members.loc[tid], lang)} ({_role_word(members.loc[tid, ROLE], lang)})"
        for tid in z.index
    }
    metas = {i: _meta(store, i, lang) for i in keep}
    order = members.index[members.index.isin(z.index)]
    z = z.loc[order]
    values = values.loc[order]
    text = values.copy().astype(object)
    for ind in keep:
        text[ind] = [f"{fmt_number(v, lang)} {metas[ind]['unit']}" for v in values[ind]]
    z.index = [labels[i] for i in z.index]
    text.index = z.index
    z.columns = [metas[i]["name"] for i in keep]  # charts.heatmap wraps them
    text.columns = z.columns
    year = str(selection.year)
    theme_word = t(f"theme.{theme}", lang)
    title = (
        f"Отставание и опережение: {theme_word}, {year}"
        if lang == "ru"
        else f"Behind and ahead: {theme_word}, {year}"
    )
    footer, source = _footer(
        store,
        selection,
        {"unit": "z"},
        _sources_for(store, keep, list(order)),
        year,
        None,
    )
    fig = charts.heatmap(z, title=title, footer=footer, text=text, lang=lang)
    worst = z.stack().idxmin()
    caption = (
        f"Сильнее всего отстаёт {worst[0]} по показателю «{worst[1]}» "
        f"(z = {fmt_number(z.loc[worst], lang, digits=1)}); красный — отставание "
        "от среднего по агломерации с учётом направления показателя."
        if lang == "ru"
        else f"Furthest behind: {worst[0]} on «{worst[1]}» "
        f"(z = {fmt_number(z.loc[worst], lang, digits=1)}); red = behind the "
        "agglomeration mean, whatever the indicator's direction."
    )
    data = values.copy()
    data.index = z.index
    data.columns = [f"{metas[i]['name']}, {metas[i]['unit']}" for i in keep]
    data = data.reset_index(names=t("label.territory", lang))
    return Chart(
        key=f"heatmap_{theme}",
        figure=fig,
        data=data,
        title=title,
        caption=caption,
        unit="z",
        year=year,
        source=source,
        weighted=None,  # z-scores: no population weighting to state
    )


#: Benchmarks of :func:`gap_to_benchmark`, in the order the page offers them
#: (their words: ``benchmark.<key>`` in :mod:`analytics.i18n`).
BENCHMARK_KEYS = (
    "core",
    "median",
    "best_quartile",
    "weighted_mean",
    "region",
    "country",
)


def _gap_unit(unit: str, lang: str) -> str:
    """Unit of a difference: a difference of percentages is in percentage
    points."""
    if unit.strip() == "%":
        return "п. п." if lang == "ru" else "pp"
    return unit


def _total_unit(store: Store, indicator_id: str, lang: str) -> str:
    basis = gaps.extensive_basis(store.indicators)
    row = (
        basis[basis[INDICATOR_ID] == indicator_id]
        if INDICATOR_ID in basis
        else basis.iloc[0:0]
    )
    if row.empty:
        return ""
    for column in (
        ("total_unit_en", "unit_en") if lang == "en" else ("total_unit", "unit")
    ):
        if column in row and str(row.iloc[0][column]):
            return str(row.iloc[0][column])
    return ""


def _every_year(store: Store, fn, agglomeration_id: str, indicator_id: str, **options):
    """``fn`` (a :mod:`analytics.gaps` function) over every year for one
    agglomeration and indicator, once per store: a change of the selected
    year only slices the result (never mutate it)."""
    key = (fn.__name__, agglomeration_id, indicator_id, *sorted(options.items()))
    return sel_.remember(
        store,
        key,
        lambda: fn(
            sel_.scope(store, agglomeration_id),
            store.territories,
            store.indicators,
            agglomeration_id,
            indicator_ids=[indicator_id],  # no year: every year
            **{k: list(v) if isinstance(v, tuple) else v for k, v in options.items()},
        ),
    )


def gap_to_benchmark(
    store: Store, selection: Selection, indicator_id: str, benchmark: str = "median"
) -> Chart:
    """How much each territory misses (red) or exceeds (blue) a benchmark, in
    the indicator's unit, with the total amount missing where it adds up."""
    lang = selection.lang
    meta = _meta(store, indicator_id, lang)
    agg = selection.agglomeration_id
    try:
        # every year at once, once per store: a change of year only slices
        every_year = _every_year(
            store, gaps.benchmark_gaps, agg, indicator_id, benchmarks=(benchmark,)
        )
    except ValueError as error:
        raise NoData(
            t("empty.indicator", lang, indicator=meta["name"], year=selection.year)
        ) from error
    year_rows = every_year[every_year[YEAR] == selection.year]
    table = year_rows.dropna(subset=["gap_abs"]).reset_index(drop=True)
    if table.empty:
        no_population = (
            benchmark == "weighted_mean" and not (year_rows["population"] > 0).any()
        )
        if year_rows[VALUE].notna().any() and no_population:
            raise NoData(  # a weighted mean without weights: not Rosstat's gap
                t(
                    "empty.benchmark_population",
                    lang,
                    indicator=meta["name"],
                    year=selection.year,
                    benchmark=t(f"benchmark.{benchmark}", lang),
                )
            )
        if year_rows[VALUE].notna().any():  # the territories have values,
            raise NoData(  # the benchmark (a region, the country) has none
                t(
                    "empty.benchmark",
                    lang,
                    indicator=meta["name"],
                    year=selection.year,
                    benchmark=t(f"benchmark.{benchmark}", lang),
                )
            )
        raise NoData(
            t("empty.indicator", lang, indicator=meta["name"], year=selection.year)
        )
    members = sel_.members(store, selection.agglomeration_id).set_index(TERRITORY_ID)
    cover = coverage.Coverage(int(year_rows[VALUE].notna().sum()), len(members))
    if benchmark in ("median", "best_quartile", "weighted_mean") and not cover.enough:
        # a median of a few territories is not the agglomeration's
        raise NoData(
            t("coverage.too_few", lang, covered=cover.covered, total=cover.total)
        )
    table["name"] = [_tname(members.loc[i], lang) for i in table[TERRITORY_ID]]
    table = table.rename(columns={"gap_abs": "gap"})
    word = t(f"benchmark.{benchmark}", lang)
    year = str(selection.year)
    title = (
        f"Разрыв до {word}: {meta['name']}, {year}"
        if lang == "ru"
        else f"Gap to {word}: {meta['name']}, {year}"
    )
    footer, source = _footer(
        store,
        selection,
        meta,
        _sources_for(store, [indicator_id], table[TERRITORY_ID].tolist()),
        year,
        None,
    )
    fig = charts.gap_bars(
        table, title=title, footer=footer, unit=meta["unit"], lang=lang
    )
    behind = table[table["gap"] > 0]
    bench_value = float(table["benchmark_value"].iloc[0])
    total = behind["missing_total"].sum(min_count=1)
    total_unit = _total_unit(store, indicator_id, lang)
    caption = t(
        "caption.gap_behind",
        lang,
        benchmark=word,
        value=fmt_number(bench_value, lang),
        unit=meta["unit"],
        behind=len(behind),
        n=len(table),
    )
    if len(behind):
        worst = behind.sort_values("gap").iloc[-1]
        caption += t(
            "caption.gap_largest",
            lang,
            name=worst["name"],
            gap=fmt_number(worst["gap"], lang),
            unit=_gap_unit(meta["unit"], lang),
        )
    if pd.notna(total) and total > 0:
        caption += t(
            "caption.gap_total_missing"
            if meta["direction"] >= 0
            else "caption.gap_total_excess",
            lang,
            amount=fmt_amount(total, total_unit, lang),
        )
    data = table[
        [
            "name",
            ROLE,
            VALUE,
            "benchmark_value",
            "gap",
            "gap_ratio",
            "population",
            "missing_total",
        ]
    ].rename(
        columns={
            "name": t("label.territory", lang),
            ROLE: t("label.role", lang),
            VALUE: f"{meta['name']}, {meta['unit']}",
            "benchmark_value": f"{word}, {meta['unit']}",
            "gap": ("недостаёт" if lang == "ru" else "shortfall") + f", {meta['unit']}",
            "gap_ratio": "к ориентиру" if lang == "ru" else "to benchmark",
        }
    )
    return Chart(
        key=f"gap_{benchmark}_{indicator_id}",
        figure=fig,
        data=data,
        title=title,
        caption=caption.rstrip(".") + ".",
        unit=meta["unit"],
        year=year,
        source=source,
        # only the weighted mean is weighted; a median or the core is neither
        weighted=True if benchmark == "weighted_mean" else None,
    )


def core_periphery(store: Store, selection: Selection, indicator_id: str) -> Chart:
    """Core vs ring vs periphery means over the years, with the trend of the
    core/ring ratio."""
    lang = selection.lang
    meta = _meta(store, indicator_id, lang)
    res = _every_year(
        store,
        gaps.core_periphery_gap,
        selection.agglomeration_id,
        indicator_id,
        weighted=selection.weighted,
    )
    wide = res.by_year
    if wide.empty:
        raise NoData(t("empty.indicator", lang, indicator=meta["name"], year="—"))
    long = wide.melt(
        id_vars=[YEAR],
        value_vars=[r for r in sel_.ROLES if r in wide],
        var_name=ROLE,
        value_name="value",
    ).dropna()
    period = f"{int(wide[YEAR].min())}–{int(wide[YEAR].max())}"
    title = (
        f"Ядро, пояс и периферия: {meta['name']}"
        if lang == "ru"
        else f"Core, ring and periphery: {meta['name']}"
    )
    ids = _member_ids(store, selection)
    footer, source = _footer(
        store,
        selection,
        meta,
        _sources_for(store, [indicator_id], ids),
        period,
        selection.weighted,
    )
    fig = charts.role_lines(
        long, title=title, footer=footer, unit=meta["unit"], lang=lang
    )
    caption = ""
    trend = (
        res.trend[res.trend["ratio"] == "core_periphery"]
        if "ratio" in res.trend
        else pd.DataFrame()
    )
    if trend.empty or trend.iloc[0][["first", "last"]].isna().any():
        trend = (
            res.trend[res.trend["ratio"] == "core_ring"]
            if "ratio" in res.trend
            else pd.DataFrame()
        )
    if not trend.empty and trend.iloc[0][["first", "last"]].notna().all():
        row = trend.iloc[0]
        caption = t(
            "caption.core_ratio",
            lang,
            other=t(
                "caption.to_periphery"
                if row["ratio"] == "core_periphery"
                else "caption.to_ring",
                lang,
            ),
            first=fmt_number(row["first"], lang, digits=2),
            first_year=int(row["first_year"]),
            last=fmt_number(row["last"], lang, digits=2),
            last_year=int(row["last_year"]),
            verdict=t(
                "caption.gap_narrowed" if row["closing"] else "caption.gap_widened",
                lang,
            ),
        )
    data = wide.drop(columns=["agglomeration_id", "indicator_id"], errors="ignore")
    return Chart(
        key=f"core_periphery_{indicator_id}",
        figure=fig,
        data=data,
        title=title,
        caption=caption,
        unit=meta["unit"],
        year=period,
        source=source,
        weighted=selection.weighted,
        extra={"trend": res.trend},
    )


def gap_sentences(store: Store, selection: Selection, n: int = 5) -> pd.DataFrame:
    """The biggest shortfalls to the agglomeration median, one sentence each."""
    lang = selection.lang
    table = gaps.biggest_gaps(
        sel_.scope_years(store, selection.agglomeration_id, [selection.year]),
        store.territories,
        store.indicators,
        selection.agglomeration_id,
        selection.year,
        benchmark="median",
        n=n,
        theme=list(sel_.THEMES),
    )
    comparable = set(
        i
        for theme in sel_.THEMES
        for i in sel_.theme_indicators(store, theme)[INDICATOR_ID]
    )
    table = table[table[INDICATOR_ID].isin(comparable)]
    lower_better = (
        store.indicators.set_index(INDICATOR_ID)["direction"].astype(int).to_dict()
    )
    sentences = []
    for row in table.to_dict("records"):
        name = row["name_en"] if lang == "en" and row.get("name_en") else row["name_ru"]
        indicator = (
            row["indicator_name_en"] if lang == "en" else row["indicator_name_ru"]
        )
        unit = row["unit_en"] if lang == "en" else row["unit"]
        text = t(
            "sentence.gap",
            lang,
            name=name,
            indicator=indicator,
            value=fmt_number(row["value"], lang),
            unit=unit,
            median=fmt_number(row["benchmark_value"], lang),
        ) + t(
            "sentence.short"
            if lower_better.get(row[INDICATOR_ID], 1) >= 0
            else "sentence.above",
            lang,
            gap=fmt_number(row["gap_abs"], lang),
            unit=_gap_unit(unit, lang),
        )
        if pd.notna(row.get("missing_total")) and row["missing_total"] > 0:
            total_unit = row.get("total_unit_en" if lang == "en" else "total_unit", "")
            text += t(
                "sentence.total",
                lang,
                amount=fmt_amount(row["missing_total"], total_unit, lang),
            )
        # a unit may end the sentence with its own point («п. п.»)
        end = "" if text.endswith(".") else "."
        sentences.append({**row, "sentence": text + end})
    return pd.DataFrame(sentences)
