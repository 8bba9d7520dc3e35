"""Inequality page: Lorenz curve, every index with its confidence interval,
Theil decomposition between/within groups over the years, agglomerations
side by side, and a map of the regions when a boundary file is saved. UI
only."""

from __future__ import annotations

import streamlit as st

from analytics import selection as sel_
from analytics import views
from analytics.i18n import t
from analytics.views import registry
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
show(registry.LORENZ, indicator)
show(registry.INDEX_TABLE, indicator)

st.subheader(t("inequality.decomposition", language))
by = st.radio(
    t("label.groups", language),
    list(views.GROUPINGS),
    format_func=lambda g: t(f"grouping.{g}", language),
    horizontal=True,
    key="decomposition_by",
)
show(registry.DECOMPOSITION, indicator, by)

st.subheader(t("inequality.side_by_side", language))
index = st.radio(
    t("label.index", language),
    ["theil", "gini", "cv"],
    format_func=lambda k: t(f"index.{k}", language),
    horizontal=True,
    key="compare_index",
)
show(registry.COMPARE_AGGLOMERATIONS, indicator, index)

maps_ui.region_map(store, selection)
