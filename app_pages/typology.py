"""Typology page: types of territories (clusters) on the three themes, PCA
scatter, type profiles, map (a choropleth when a boundary file is saved,
else points at the centres), stability. UI only."""

from __future__ import annotations

import streamlit as st

from analytics import views
from app_pages import maps_ui
from app_pages.common import (
    page_start,
    show_chart,
    view,
)

store, language, selection = page_start("typology")
ru = language == "ru"

left, right = st.columns(2)
methods = {
    "kmeans": "k-средних" if ru else "k-means",
    "ward": "Уорд" if ru else "Ward",
    "gmm": "гауссова смесь" if ru else "Gaussian mixture",
}
method = left.radio(
    "Метод" if ru else "Method",
    list(methods),
    format_func=methods.get,
    horizontal=True,
    key="typology_method",
)
k_options = ["auto", 2, 3, 4, 5, 6, 7, 8]
k = right.select_slider(
    "Число типов" if ru else "Number of types",
    options=k_options,
    value="auto",
    format_func=lambda v: (
        ("авто (по силуэту, 2–8)" if ru else "auto (silhouette, 2–8)")
        if v == "auto"
        else str(v)
    ),
    key="typology_k",
)


try:
    with st.spinner("Строю типологию…" if ru else "Building the typology…"):
        result = view("typology_view", selection, method, k)
except views.NoData as reason:
    st.info(str(reason))
    st.stop()

model = result.model
c1, c2, c3 = st.columns(3)
c1.metric("Типов" if ru else "Types", model.n_clusters_)
c2.metric(
    "Устойчивость (ARI)" if ru else "Stability (ARI)",
    result.stability,
    help=(
        "Средний скорректированный индекс Рэнда между типологией и её повторами на бутстрэп-выборках территорий: 1 — типы воспроизводятся полностью, около 0 — случайно."
        if ru
        else "Mean adjusted Rand index between the typology and its refits on bootstrap samples of territories: 1 = fully reproduced, near 0 = chance."
    ),
)
c3.metric(
    "Доля дисперсии на плоскости" if ru else "Variance on the plane",
    f"{sum(model.explained_variance_ratio_[:2]):.0%}",
)

show_chart(result.scatter)
show_chart(result.profiles)
maps_ui.typology_map(store, selection, result)
st.subheader(
    "Типы территорий выбранной агломерации"
    if ru
    else "Types of the selected agglomeration's territories"
)
st.dataframe(result.members, hide_index=True, width="stretch")
