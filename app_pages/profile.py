"""Territory profile: one territory against its agglomeration. UI only."""

from __future__ import annotations

import streamlit as st

from analytics import selection as sel_
from analytics import views
from analytics.i18n import name as name_of
from analytics.i18n import t
from analytics.views import registry
from app_pages.common import (
    page_start,
    pick_indicator,
    show_view,
    view,
)

store, language, selection = page_start("profile")
members = sel_.members(store, selection.agglomeration_id)
labels = {
    row[
        "territory_id"
    ]: f"{name_of(row, language)} ({t('role.' + row['role'], language)})"
    for row in members.to_dict("records")
}
options = list(labels)
if st.session_state.get("territory") not in options:
    requested = st.query_params.get("territory")
    st.session_state["territory"] = requested if requested in options else options[0]
territory = st.selectbox(
    t("label.territory", language), options, key="territory", format_func=labels.get
)
st.query_params["territory"] = territory

try:
    card = view(registry.PROFILE_TABLE, selection, territory)
except views.NoData as reason:
    st.info(str(reason))
    st.stop()
st.subheader(f"{labels[territory]} — {selection.year}")
st.dataframe(card, hide_index=True, width="stretch")
st.caption(card.attrs["footer"])

indicator = pick_indicator(store, members["territory_id"].tolist())
show_view(registry.PROFILE_TREND, selection, territory, indicator)
