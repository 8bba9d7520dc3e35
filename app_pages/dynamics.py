"""Dynamics page: sigma and beta convergence with half-life, rank mobility
between two years. UI only."""

from __future__ import annotations

import streamlit as st

from analytics import selection as sel_
from analytics.i18n import t
from analytics.views import registry
from app_pages.common import (
    page_start,
    pick_indicator,
    show_view,
)

store, language, selection = page_start("dynamics")
members = sel_.members(store, selection.agglomeration_id)["territory_id"].tolist()
indicator = pick_indicator(store, members)
years = sel_.years(store, members, [indicator])
if len(years) < 2:
    st.info(t("empty.too_few", language, need=2, have=len(years)))
    st.stop()


def show(fn, *args) -> None:
    show_view(fn, selection, *args)


measures = {
    "cv": t("index.cv", language),
    "theil": t("index.theil", language),
    "sd_log": t("index.sd_log", language),
}
measure = st.radio(
    t("label.measure", language),
    list(measures),
    format_func=measures.get,
    horizontal=True,
    key="sigma_measure",
)
show(registry.SIGMA, indicator, measure)

start, end = st.select_slider(
    t("label.period", language),
    options=years,
    value=(years[0], years[-1]),
    key="period",
)
if start == end:
    st.info(t("empty.too_few", language, need=2, have=1))
    st.stop()
# Full width, one under the other: titles and source lines stay readable.
show(registry.BETA, indicator, start, end)
show(registry.MOBILITY, indicator, start, end)
