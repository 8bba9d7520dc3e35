"""Data & quality page: sources, coverage, rejects, unmatched names, catalog."""

from __future__ import annotations

import streamlit as st

from analytics import quality
from app_pages.common import load_store

store = load_store()

st.title("Данные и качество")
if store.observations.empty:
    st.info(
        "В хранилище пока нет наблюдений. Положите файлы Росстата (БД ПМО, ЕМИСС, "
        "«Регионы России», книги с сайта Росстата или CSV по шаблону) в "
        "`datasets/raw/` и выполните `make etl`."
    )

st.subheader("Источники")
st.caption("Каждый файл — отдельная часть хранилища; значения в единицах каталога.")
st.dataframe(quality.source_table(store), hide_index=True, width="stretch")

st.subheader("Покрытие: число территорий со значением, по показателям и годам")
st.dataframe(quality.coverage(store), width="stretch")

st.subheader("Отклонённые и пропущенные значения")
st.dataframe(quality.reject_summary(store), hide_index=True, width="stretch")

st.subheader("Несопоставленные территории")
unmatched = quality.unmatched_territories(store)
if unmatched.empty:
    st.success("Все территории сопоставлены со справочником.")
else:
    st.dataframe(unmatched, hide_index=True, width="stretch")

st.subheader("Каталог показателей")
st.dataframe(store.indicators, hide_index=True, width="stretch")
