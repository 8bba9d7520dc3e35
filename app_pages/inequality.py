"""Inequality page: Lorenz curve, every index with its confidence interval,
Theil decomposition between/within groups over the years, agglomerations
side by side. UI only."""

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
st.title(t("page.inequality", language))
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


def show(fn, *args) -> None:
    try:
        show_chart(view(fn.__name__, selection, *args))
    except views.NoData as reason:
        st.info(str(reason))


left, right = st.columns(2)
with left:
    show(views.lorenz, indicator)
with right:
    show(views.index_table, indicator)

st.subheader("Разложение индекса Тейла" if language == "ru" else "Theil decomposition")
groupings = {
    "role": "ядро / пояс / периферия"
    if language == "ru"
    else "core / ring / periphery",
    "agglomeration": "по агломерациям" if language == "ru" else "by agglomeration",
    "model": "по моделям управления" if language == "ru" else "by management model",
}
by = st.radio(
    "Группы" if language == "ru" else "Groups",
    list(groupings),
    format_func=groupings.get,
    horizontal=True,
    key="decomposition_by",
)
show(views.decomposition, indicator, by)

st.subheader("Агломерации рядом" if language == "ru" else "Agglomerations side by side")
index = st.radio(
    t("label.index", language),
    ["theil", "gini", "cv"],
    format_func=lambda k: t(f"index.{k}", language),
    horizontal=True,
    key="compare_index",
)
show(views.compare_agglomerations, indicator, index)
