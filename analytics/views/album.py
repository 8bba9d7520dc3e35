"""Views of the album of best practices: positive deviants and the
management models compared."""

from __future__ import annotations

from typing import TYPE_CHECKING

from analytics import charts, gaps
from analytics import selection as sel_
from analytics.chart_model import Chart, footer_line
from analytics.i18n import fmt_number, t
from analytics.i18n import has as has_string
from analytics.selection import Selection
from analytics.store import (
    INDICATOR_ID,
    TERRITORY_ID,
    Store,
)
from analytics.views._common import NoData, _meta, _tname, agglomeration_name

if TYPE_CHECKING:  # scikit-learn is imported on first use (0.3 s at start-up)
    pass


def album_deviants(
    store: Store,
    selection: Selection,
    theme: str = "finance",
    start: int | None = None,
    level: str = "territory",
    top: int = 10,
) -> Chart:
    """Positive deviants: who closed the gap to the agglomeration median
    fastest between ``start`` and the selected year, with their agglomeration's
    management model."""
    lang = selection.lang
    terr = store.territories
    ids = terr.loc[terr["agglomeration_id"] != "", TERRITORY_ID].tolist()
    years_all = sel_.years(store, ids)
    if start is None:
        start = years_all[0] if years_all else None
    if start is None or start >= selection.year:
        raise NoData(t("empty.too_few", lang, need=2, have=1))
    table = gaps.positive_deviants(
        sel_.scope_years(store, None, [start, selection.year]),
        store.territories,
        store.indicators,
        store.agglomerations,
        None,
        selection.year,
        method="closing",
        start=start,
        theme=theme,
        top=top,
        level=level,
    )
    if table.empty:
        raise NoData(t("empty.theme", lang, theme=t(f"theme.{theme}", lang)))
    members = terr.set_index(TERRITORY_ID)
    if level == "territory":
        table["name"] = [
            f"{_tname(members.loc[i], lang)} ({agglomeration_name(store, a, lang)})"
            for i, a in zip(table[TERRITORY_ID], table["agglomeration_id"], strict=True)
        ]
    else:
        table["name"] = [
            agglomeration_name(store, a, lang) for a in table["agglomeration_id"]
        ]
    table["model"] = [
        t(f"model.{m or 'unknown'}", lang) for m in table["management_model"]
    ]
    table["best"] = [
        _meta(store, i, lang)["name"] if isinstance(i, str) and i else ""
        for i in table["best_indicator"]
    ]
    period = f"{start}–{selection.year}"
    theme_word = t(f"theme.{theme}", lang)
    title = (
        f"Кто быстрее сокращал разрыв ({theme_word}), {period}"
        if lang == "ru"
        else f"Who closed the gap fastest ({theme_word}), {period}"
    )
    source = sel_.source_line(
        store,
        sel_.value_sources(
            store, sel_.theme_indicators(store, theme, ids)[INDICATOR_ID].tolist(), ids
        ),
        lang,
    )
    footer = footer_line("σ", period, source, None, lang)
    data = table.sort_values("score", ascending=True)
    fig = charts.grouped_bars(
        data.assign(score=data["score"]),
        title=title,
        footer=footer,
        x="name",
        y="score",
        colour="model",
        y_title="сокращение разрыва, σ в год"
        if lang == "ru"
        else "gap closed, σ per year",
        lang=lang,
    )
    fig.update_layout(barmode="relative")
    best = table.iloc[0]
    caption = (
        f"Лидер — {best['name']} ({best['model']}): разрыв до медианы сокращался на {fmt_number(best['score'], lang, digits=2)} σ в год, сильнее всего по «{best['best']}» "
        "(σ — стандартное отклонение показателя между территориями в начальном году)."
        if lang == "ru"
        else f"Leader: {best['name']} ({best['model']}): the gap to the median closed by {fmt_number(best['score'], lang, digits=2)} σ a year, most on «{best['best']}» "
        "(σ: the indicator's standard deviation across territories in the first year)."
    )
    out = table[
        ["name", "model", "score", "n_indicators", "best", "best_score"]
    ].rename(
        columns={
            "name": t("label.territory", lang),
            "model": "модель" if lang == "ru" else "model",
            "score": "σ/год" if lang == "ru" else "σ/year",
            "n_indicators": "показателей" if lang == "ru" else "indicators",
            "best": "сильнее всего по" if lang == "ru" else "most on",
            "best_score": "σ/год по нему" if lang == "ru" else "σ/year on it",
        }
    )
    return Chart(
        key=f"album_{level}_{theme}",
        figure=fig,
        data=out,
        title=title,
        caption=caption,
        unit="σ",
        year=period,
        source=source,
        notes="Оценка: среднее по показателям темы сокращение разрыва до медианы агломерации, в стандартных отклонениях в год."
        if lang == "ru"
        else "Score: mean over the theme's indicators of the gap to the agglomeration median closed, in standard deviations per year.",
    )


def models_comparison(store: Store, selection: Selection, indicator_id: str) -> Chart:
    """Outcomes by management model: an index (100 = average of all
    agglomeration territories, direction-aware) with its bootstrap interval,
    and the share of inequality that lies between models."""
    lang = selection.lang
    meta = _meta(store, indicator_id, lang)
    try:
        res = gaps.compare_management_models(
            sel_.scope(store),
            store.territories,
            store.indicators,
            store.agglomerations,
            indicator_id,
            selection.year,
            weighted=selection.weighted,
            n_boot=499,
        )
    except ValueError as error:
        raise NoData(str(error)) from error
    table = res.table.copy()
    table["label"] = [
        t(f"model.{m or 'unknown'}", lang) + (f" ({n})" if True else "")
        for m, n in zip(
            table["management_model"], table["n_agglomerations"], strict=True
        )
    ]
    year = str(selection.year)
    title = (
        f"Модели управления: индекс результата, {meta['name']}, {year}"
        if lang == "ru"
        else f"Management models: outcome index, {meta['name']}, {year}"
    )
    terr = store.territories
    ids = terr.loc[terr["agglomeration_id"] != "", TERRITORY_ID].tolist()
    source = sel_.source_line(
        store, sel_.value_sources(store, [indicator_id], ids), lang
    )
    footer = footer_line(
        "100 = среднее" if lang == "ru" else "100 = average",
        year,
        source,
        selection.weighted,
        lang,
    )
    fig = charts.estimates_with_ci(
        table.rename(
            columns={"index": "estimate", "index_low": "low", "index_high": "high"}
        ),
        title=title,
        footer=footer,
        colour="label",
        lang=lang,
    )
    fig.add_vline(x=100, line_dash="dot", line_color="#666")
    share = res.between_share
    best = table.sort_values("index").iloc[-1]
    caption = (
        f"Лучший средний результат — {best['label']} (индекс {fmt_number(best['index'], lang, digits=0)}); "
        f"между моделями лежит {fmt_number(100 * share, lang, digits=0)}% неравенства (Тейл). Число в скобках — агломераций; при малом их числе сравнение ориентировочное."
        if lang == "ru"
        else f"Best average outcome: {best['label']} (index {fmt_number(best['index'], lang, digits=0)}); "
        f"{fmt_number(100 * share, lang, digits=0)}% of the inequality (Theil) lies between models. Numbers in brackets are agglomerations; with few of them the comparison is indicative."
    )
    unit = meta["unit"]
    ru = lang == "ru"
    words = table["management_model"].map(
        lambda m: t(f"model.{m}", lang) if has_string(f"model.{m}") else m
    )
    out = table.drop(columns=["label"]).assign(management_model=words).rename(
        columns={
            "management_model": "модель" if ru else "model",
            "n_agglomerations": "агломераций" if ru else "agglomerations",
            "n_territories": "территорий" if ru else "territories",
            "population": "население, чел." if ru else "population, persons",
            "mean": f"среднее, {unit}" if ru else f"mean, {unit}",
            "ci_low": f"95% ДИ от, {unit}" if ru else f"95% CI low, {unit}",
            "ci_high": f"95% ДИ до, {unit}" if ru else f"95% CI high, {unit}",
            "index": "индекс (100 = среднее)" if ru else "index (100 = average)",
            "index_low": "индекс, 95% ДИ от" if ru else "index, 95% CI low",
            "index_high": "индекс, 95% ДИ до" if ru else "index, 95% CI high",
        }
    )
    return Chart(
        key=f"models_{indicator_id}",
        figure=fig,
        data=out,
        title=title,
        caption=caption,
        unit="индекс" if lang == "ru" else "index",
        year=year,
        source=source,
        weighted=selection.weighted,
        extra={"between_share": share},
    )
