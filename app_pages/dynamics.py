"""Dynamics page: sigma and beta convergence with half-life, rank mobility
between two years. UI only."""

from __future__ import annotations

import streamlit as st

from analytics import selection as sel_
from analytics import views
from analytics.i18n import t
from app_pages.common import (
    demo_banner,
    indicator_picker,
    lang,
    load_store,
    require_selection,
    show_chart,
    view,
)

store = load_store()
language = lang()
st.title(t("page.dynamics", language))
demo_banner(store)
selection = require_selection(store)
members = sel_.members(store, selection.agglomeration_id)["territory_id"].tolist()
candidates = [
    i
    for theme in sel_.THEMES
    for i in sel_.theme_indicators(store, theme, members)["indicator_id"]
]
if not candidates:
    st.info(t("empty.theme", language, theme="—"))
    st.stop()
indicator = indicator_picker(
    store, candidates, key="indicator", label=t("label.indicator", language)
)
years = sel_.years(store, members, [indicator])
if len(years) < 2:
    st.info(t("empty.too_few", language, need=2, have=len(years)))
    st.stop()


def show(fn, *args) -> None:
    try:
        show_chart(view(fn.__name__, selection, *args))
    except views.NoData as reason:
        st.info(str(reason))


measures = {
    "cv": t("index.cv", language),
    "theil": t("index.theil", language),
    "sd_log": "SD log",
}
measure = st.radio(
    "Мера разброса" if language == "ru" else "Dispersion measure",
    list(measures),
    format_func=measures.get,
    horizontal=True,
    key="sigma_measure",
)
show(views.sigma, indicator, measure)

start, end = st.select_slider(
    "Период" if language == "ru" else "Period",
    options=years,
    value=(years[0], years[-1]),
    key="period",
)
if start == end:
    st.info(t("empty.too_few", language, need=2, have=1))
    st.stop()
left, right = st.columns(2)
with left:
    show(views.beta, indicator, start, end)
with right:
    show(views.mobility, indicator, start, end)
