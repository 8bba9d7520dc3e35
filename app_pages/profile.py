"""Territory profile: one territory against its agglomeration. UI only."""

from __future__ import annotations

import streamlit as st

from analytics import escape, views
from analytics import selection as sel_
from analytics.i18n import name as name_of
from analytics.i18n import t
from analytics.prices import is_money, price_label
from analytics.views import registry
from app_pages.common import (
    page_start,
    pick_indicator,
    show_table,
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
show_table(card, hide_index=True)
st.caption(escape.markdown(card.attrs["footer"]))

indicator = pick_indicator(store, members["territory_id"].tolist())
price_years = views.price_years(store)
prices = None
if price_years and is_money(sel_.indicator_info(store, indicator).get("unit", "")):
    prices = st.selectbox(
        t("prices.label", language),
        [None, *price_years[::-1]],
        format_func=lambda y: t("prices.current", language)
        if y is None
        else price_label(y, language),
        key="prices",
        help=t("prices.help", language),
    )
show_view(registry.PROFILE_TREND, selection, territory, indicator, prices)
show_view(registry.PROFILE_GAPS, selection, territory, indicator)
