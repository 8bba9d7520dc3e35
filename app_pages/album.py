"""Album of best practices: positive deviants and the comparison of
management models, with the numbers behind them. UI only."""

from __future__ import annotations

import streamlit as st

from analytics import selection as sel_
from analytics import views
from analytics.i18n import t
from app_pages.common import (
    page_start,
    pick_indicator,
    show_chart,
    show_table,
)

store, language, selection = page_start("album")
ru = language == "ru"

terr = store.territories
all_ids = terr.loc[terr["agglomeration_id"] != "", "territory_id"].tolist()
years = [y for y in sel_.years(store, all_ids) if y < selection.year]
if not years:
    st.info(t("empty.too_few", language, need=2, have=1))
    st.stop()
left, middle, right = st.columns(3)
theme = left.radio(
    "Тема" if ru else "Theme",
    list(sel_.THEMES),
    format_func=lambda th: t(f"theme.{th}", language),
    horizontal=True,
    key="album_theme",
)
start = middle.selectbox(
    "С какого года" if ru else "From year", years, key="album_start"
)
level = right.radio(
    "Кого сравнивать" if ru else "Compare",
    ["territory", "agglomeration"],
    format_func=lambda v: {
        "territory": ("территории", "territories"),
        "agglomeration": ("агломерации", "agglomerations"),
    }[v][not ru],
    horizontal=True,
    key="album_level",
)
st.caption(
    f"Период {start}–{selection.year}: кто быстрее всех сокращал разрыв до медианы своей агломерации."
    if ru
    else f"{start}–{selection.year}: who closed the gap to their agglomeration's median fastest."
)
try:
    show_chart(views.album_deviants(store, selection, theme, start, level))
except views.NoData as reason:
    st.info(str(reason))

st.subheader("Сравнение моделей управления" if ru else "Management models compared")
indicator = pick_indicator(store, all_ids)
try:
    chart = views.models_comparison(store, selection, indicator)
    show_chart(chart)
    show_table(chart.data, hide_index=True)
except views.NoData as reason:
    st.info(str(reason))
st.caption(
    "Модели управления — по справочнику `datasets/reference/agglomerations.csv` с источником для каждой; «модель неизвестна» — источник не найден."
    if ru
    else "Management models come from `datasets/reference/agglomerations.csv`, each with its source; «model unknown» means no source was found."
)
