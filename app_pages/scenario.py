"""Scenario page: where a fixed budget reduces the gap most (levelling up
against equal splits), and what happens if one territory receives money or
staff or closes its gap. UI only: the numbers come from
:mod:`analytics.tool_views`."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics import tool_views
from analytics.i18n import t
from analytics.views import NoData
from app_pages.common import indicator_picker, page_start, show_chart

store, language, selection = page_start("scenario")
st.caption(t("scenario.intro", language))

members = tool_views.member_ids(store, selection)
candidates = tool_views.per_resident_indicators(store, members, selection.year)
if not candidates:
    st.info(t("scenario.no_indicator", language))
    st.stop()
indicator = indicator_picker(
    store, candidates, key="scenario_indicator", label=t("label.indicator", language)
)
try:
    data = tool_views.scenario_data(store, selection, indicator)
except NoData as reason:
    st.info(str(reason))
    st.stop()

unit, factor = tool_views.input_unit(store, indicator, language)

st.subheader(t("scenario.section.splits", language))
budget = st.number_input(
    t("scenario.budget", language, unit=unit),
    min_value=0.0,
    value=float(data.default_budget() / factor),
    step=float(max(data.default_budget() / factor / 10, 1.0)),
    format="%.0f" if factor > 1 or data.default_budget() >= 100 else "%.1f",
    key=f"scenario_budget_{indicator}",
)
try:
    show_chart(tool_views.split_view(store, selection, indicator, budget * factor))
    allocation = tool_views.allocation_view(
        store, selection, indicator, budget * factor
    )
except NoData as reason:
    st.info(str(reason))
    st.stop()
show_chart(allocation)
st.caption(t("scenario.method", language))

st.subheader(t("scenario.section.what_if", language))
names = dict(zip(data.territory_ids, data.names(language), strict=True))
left, right = st.columns(2)
territory = left.selectbox(
    t("scenario.territory", language),
    list(data.territory_ids),
    format_func=names.get,
    key="scenario_territory",
)
mode = right.radio(
    t("scenario.mode", language),
    ["amount", "close_gap"],
    format_func=lambda m: t(f"scenario.mode.{m}", language, unit=unit),
    horizontal=True,
    key="scenario_mode",
)
options: dict = {}
if mode == "amount":
    amount = left.number_input(
        t("scenario.amount", language, unit=unit),
        min_value=0.0,
        value=float(max(data.default_budget() / factor / 10, 1.0)),
        format="%.0f" if factor > 1 else "%.1f",
        key=f"scenario_amount_{indicator}",
    )
    options["amount"] = amount * factor
else:
    share = left.slider(
        t("scenario.close_gap", language), 0, 100, 50, 5, key="scenario_share"
    )
    options["close_gap"] = share / 100
    options["benchmark"] = right.radio(
        t("scenario.benchmark", language),
        ["median", "core"],
        format_func=lambda b: t(f"scenario.benchmark.{b}", language),
        horizontal=True,
        key="scenario_benchmark",
    )
try:
    effect = tool_views.territory_view(
        store, selection, indicator, territory, **options
    )
except NoData as reason:
    st.info(str(reason))
    st.stop()
show_chart(effect)
indices: pd.DataFrame = effect.extra["indices"]
st.dataframe(tool_views.display_table(indices, language), width="stretch")
st.dataframe(
    tool_views.display_table(effect.data, language), hide_index=True, width="stretch"
)
