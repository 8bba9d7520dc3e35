"""Inequality page: Lorenz curve, every index with its confidence interval,
Theil decomposition between/within groups over the years, agglomerations
side by side, and a map of the regions when a boundary file is saved. UI
only."""

from __future__ import annotations

import streamlit as st

from analytics import selection as sel_
from analytics import views
from analytics.i18n import t
from app_pages import maps_ui
from app_pages.common import (
    page_start,
    pick_indicator,
    show_view,
)

store, language, selection = page_start("inequality")
members = sel_.members(store, selection.agglomeration_id)["territory_id"].tolist()
indicator = pick_indicator(store, members)


def show(fn, *args) -> None:
    show_view(fn, selection, *args)


# Full width, one under the other: titles and source lines stay readable.
show(views.lorenz, indicator)
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

maps_ui.region_map(store, selection)
