"""Typology page: types of territories (clusters) on the three themes, PCA
scatter, type profiles, map (a choropleth when a boundary file is saved,
else points at the centres), stability. UI only."""

from __future__ import annotations

import streamlit as st

from analytics import views
from analytics.i18n import t
from analytics.views import registry
from app_pages import maps_ui
from app_pages.common import (
    page_start,
    part_of,
    show_chart,
    show_table,
    view,
)

store, language, selection = page_start("typology")

left, right = st.columns(2)
method = left.radio(
    t("label.method", language),
    ["kmeans", "ward", "gmm"],
    format_func=lambda m: t(f"method.{m}", language),
    horizontal=True,
    key="typology_method",
)
k_options = ["auto", 2, 3, 4, 5, 6, 7, 8]
k = right.select_slider(
    t("label.n_types", language),
    options=k_options,
    value="auto",
    format_func=lambda v: t("typology.auto", language) if v == "auto" else str(v),
    key="typology_k",
)


try:
    with st.spinner(t("typology.building", language)):
        result = view(registry.TYPOLOGY, selection, method, k)
except views.NoData as reason:
    st.info(str(reason))
    st.stop()

model = result.model
c1, c2, c3 = st.columns(3)
c1.metric(t("typology.types", language), model.n_clusters_)
c2.metric(
    t("typology.stability", language),
    result.stability,
    help=t("typology.stability_help", language),
)
c3.metric(
    t("typology.variance", language),
    f"{sum(model.explained_variance_ratio_[:2]):.0%}",
)

args = (method, k)
show_chart(
    result.scatter, rebuild=part_of(registry.TYPOLOGY, selection, args, "scatter")
)
show_chart(
    result.profiles, rebuild=part_of(registry.TYPOLOGY, selection, args, "profiles")
)
maps_ui.typology_map(store, selection, result, args)
st.subheader(t("typology.members", language))
show_table(result.members, hide_index=True)
