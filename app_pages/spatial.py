"""Spatial structure page: global Moran's I, LISA clusters on a map and the
Moran scatter plot, with one sentence on whether lagging territories
cluster (claimed only where p < 0.05). UI only."""

from __future__ import annotations

import streamlit as st

from analytics.i18n import t
from analytics.views import NoData, registry, tools
from app_pages.common import page_start, part_of, pick_indicator, show_chart, view

store, language, selection = page_start("spatial")
st.caption(t("spatial.intro", language))

indicator = pick_indicator(store, tools.member_ids(store, selection))
left, middle, right = st.columns(3)
scope = left.radio(
    t("spatial.scope", language),
    list(tools.SCOPES),
    format_func=lambda s: t(f"spatial.scope.{s}", language),
    key="spatial_scope",
)
weights = middle.radio(
    t("spatial.weights", language),
    list(tools.WEIGHTS),
    format_func=lambda w: t(f"spatial.weights.{w}", language),
    key="spatial_weights",
)
k = right.slider(
    t("spatial.k", language), 2, 12, 6, key="spatial_k", disabled=weights != "knn"
)
args = (indicator, scope, weights, int(k))
try:
    with st.spinner("…"):
        lisa = view(registry.LISA_MAP, selection, *args)
        scatter = view(registry.MORAN_SCATTER, selection, *args)
except NoData as reason:
    st.info(str(reason))
    st.stop()
show_chart(lisa, rebuild=part_of(registry.LISA_MAP, selection, args))
show_chart(scatter, rebuild=part_of(registry.MORAN_SCATTER, selection, args))
st.dataframe(tools.display_table(lisa.data, language), hide_index=True, width="stretch")
