"""Spatial structure page: global Moran's I, LISA clusters on a map and the
Moran scatter plot, with one sentence on whether lagging territories
cluster (claimed only where p < 0.05). UI only."""

from __future__ import annotations

import streamlit as st

from analytics import tool_views
from analytics.i18n import t
from analytics.views import NoData
from app_pages.common import page_start, pick_indicator, show_chart

store, language, selection = page_start("spatial")
st.caption(t("spatial.intro", language))

indicator = pick_indicator(store, tool_views.member_ids(store, selection))
left, middle, right = st.columns(3)
scope = left.radio(
    t("spatial.scope", language),
    list(tool_views.SCOPES),
    format_func=lambda s: t(f"spatial.scope.{s}", language),
    key="spatial_scope",
)
weights = middle.radio(
    t("spatial.weights", language),
    list(tool_views.WEIGHTS),
    format_func=lambda w: t(f"spatial.weights.{w}", language),
    key="spatial_weights",
)
k = right.slider(
    t("spatial.k", language), 2, 12, 6, key="spatial_k", disabled=weights != "knn"
)
options = {"scope": scope, "weights": weights, "k": int(k)}
try:
    with st.spinner("…"):
        lisa = tool_views.lisa_view(store, selection, indicator, **options)
        scatter = tool_views.moran_view(store, selection, indicator, **options)
except NoData as reason:
    st.info(str(reason))
    st.stop()
show_chart(lisa)
show_chart(scatter)
st.dataframe(
    tool_views.display_table(lisa.data, language), hide_index=True, width="stretch"
)
