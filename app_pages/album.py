"""Album of best practices: positive deviants and the comparison of
management models, with the numbers behind them. UI only."""

from __future__ import annotations

import streamlit as st

from analytics import selection as sel_
from analytics import views
from analytics.i18n import t
from analytics.views import registry
from app_pages.common import (
    page_start,
    part_of,
    pick_indicator,
    show_chart,
    show_table,
    view,
)

store, language, selection = page_start("album")

terr = store.territories
all_ids = terr.loc[terr["agglomeration_id"] != "", "territory_id"].tolist()
years = [y for y in sel_.years(store, all_ids) if y < selection.year]
if not years:
    st.info(t("empty.too_few", language, need=2, have=1))
    st.stop()
left, middle, right = st.columns(3)
theme = left.radio(
    t("label.theme", language),
    list(sel_.THEMES),
    format_func=lambda th: t(f"theme.{th}", language),
    horizontal=True,
    key="album_theme",
)
start = middle.selectbox(t("label.from_year", language), years, key="album_start")
level = right.radio(
    t("label.compare", language),
    ["territory", "agglomeration"],
    format_func=lambda v: t(f"album.level.{v}", language),
    horizontal=True,
    key="album_level",
)
st.caption(t("album.period", language, start=start, end=selection.year))
try:
    args = (theme, start, level)
    show_chart(
        view(registry.ALBUM_DEVIANTS, selection, *args),
        rebuild=part_of(registry.ALBUM_DEVIANTS, selection, args),
    )
except views.NoData as reason:
    st.info(str(reason))

st.subheader(t("album.models", language))
indicator = pick_indicator(store, all_ids)
try:
    chart = view(registry.MODELS_COMPARISON, selection, indicator)
    show_chart(
        chart, rebuild=part_of(registry.MODELS_COMPARISON, selection, (indicator,))
    )
    show_table(chart.data, hide_index=True)
except views.NoData as reason:
    st.info(str(reason))
st.caption(t("album.models_note", language))
