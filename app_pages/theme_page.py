"""One page per theme (finance, staffing, competencies): ranking, gaps,
core–periphery gap over time, heatmap. UI only."""

from __future__ import annotations

import streamlit as st

from analytics import selection as sel_
from analytics import views
from analytics.i18n import t
from analytics.views import registry
from app_pages.common import (
    indicator_picker,
    page_start,
    show_view,
)


def render(theme: str) -> None:
    store, language, selection = page_start(theme)
    members = sel_.members(store, selection.agglomeration_id)["territory_id"].tolist()
    missing = sel_.unavailable_indicators(store, theme)
    if not missing.empty:
        column = "name_en" if language == "en" else "name_ru"
        items = ", ".join(f"«{name}»" for name in missing[column])
        st.info(t("unavailable.body", language, items=items), icon=":material/info:")
    inds = sel_.theme_indicators(store, theme, members)
    if inds.empty:
        st.info(t("empty.theme", language, theme=t(f"theme.{theme}", language)))
        return
    indicator = indicator_picker(
        store,
        inds["indicator_id"].tolist(),
        key=f"ind_{theme}",
        label=t("label.indicator", language),
    )
    tabs = st.tabs(
        [t(f"tab.{tab}", language) for tab in ("ranking", "core", "heatmap")]
    )
    with tabs[0]:
        _show(registry.RANKING, store, selection, indicator)
        benchmark = st.radio(
            t("label.benchmark", language),
            list(views.BENCHMARK_KEYS),
            format_func=lambda b: t(f"benchmark.{b}", language),
            horizontal=True,
            key=f"benchmark_{theme}",
        )
        _show(registry.GAP_TO_BENCHMARK, store, selection, indicator, benchmark)
    with tabs[1]:
        _show(registry.CORE_PERIPHERY, store, selection, indicator)
    with tabs[2]:
        _show(registry.HEATMAP, store, selection, theme)


def _show(fn, store, selection, *args) -> None:
    show_view(fn, selection, *args)
