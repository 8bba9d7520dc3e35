"""Data & quality page: sources, coverage, rejects, unmatched names, catalog.
UI only."""

from __future__ import annotations

import streamlit as st

from analytics import quality
from analytics.i18n import t
from app_pages.common import demo_banner, lang, load_store

store = load_store()
language = lang()
ru = language == "ru"

st.title(t("page.data", language))
demo_banner(store)
if store.observations.empty:
    st.info(t("empty.store", language))

st.subheader("Источники" if ru else "Sources")
st.caption(
    "Каждый файл — отдельная часть хранилища; значения приведены к единицам каталога."
    if ru
    else "Each file is its own partition of the store; values are in the catalog's units."
)
st.dataframe(quality.source_table(store), hide_index=True, width="stretch")

st.subheader(
    "Покрытие: число территорий со значением, по показателям и годам"
    if ru
    else "Coverage: territories with a value, by indicator and year"
)
st.dataframe(quality.coverage(store), width="stretch")

st.subheader(
    "Отклонённые и пропущенные значения" if ru else "Rejected and missing values"
)
st.dataframe(quality.reject_summary(store), hide_index=True, width="stretch")

st.subheader("Несопоставленные территории" if ru else "Unmatched territories")
unmatched = quality.unmatched_territories(store)
if unmatched.empty:
    st.success(
        "Все территории сопоставлены со справочником."
        if ru
        else "Every territory matched the reference."
    )
else:
    st.dataframe(unmatched, hide_index=True, width="stretch")

st.subheader("Каталог показателей" if ru else "Indicator catalog")
columns = (
    [
        "indicator_id",
        "name_ru",
        "unit",
        "theme",
        "direction",
        "available",
        "formula",
        "source_codes",
        "note_ru",
    ]
    if ru
    else [
        "indicator_id",
        "name_en",
        "unit_en",
        "theme",
        "direction",
        "available",
        "formula",
        "source_codes",
        "note_en",
    ]
)
catalog = store.indicators
st.dataframe(
    catalog[[c for c in columns if c in catalog]], hide_index=True, width="stretch"
)

st.subheader("Агломерации" if ru else "Agglomerations")
st.dataframe(store.agglomerations, hide_index=True, width="stretch")
