"""Scenario page: where a fixed budget reduces the gap most (levelling up
against equal splits), and what happens if one territory receives money or
staff or closes its gap. UI only: the numbers come from the registry's views
(:mod:`analytics.views.tools`)."""

from __future__ import annotations

import streamlit as st

from analytics.i18n import t
from analytics.views import NoData, registry, tools
from app_pages.common import indicator_picker, page_start, part_of, show_chart, view

store, language, selection = page_start("scenario")
st.caption(t("scenario.intro", language))

members = tools.member_ids(store, selection)
candidates = tools.per_resident_indicators(store, members, selection.year)
if not candidates:
    st.info(t("scenario.no_indicator", language))
    st.stop()
indicator = indicator_picker(
    store, candidates, key="scenario_indicator", label=t("label.indicator", language)
)
try:
    data = tools.scenario_data(store, selection, indicator)
except NoData as reason:
    st.info(str(reason))
    st.stop()

unit, factor = tools.input_unit(store, indicator, language)
default = data.default_budget()


def show(entry, *args):
    """A registered view of this page, or the reason it has nothing."""
    try:
        chart = view(entry, selection, *args)
    except NoData as reason:
        st.info(str(reason))
        st.stop()
    show_chart(chart, rebuild=part_of(entry, selection, args))
    return chart


st.subheader(t("scenario.section.splits", language))
budget = st.number_input(
    t("scenario.budget", language, unit=unit),
    min_value=0.0,
    value=float(default / factor),
    step=float(max(default / factor / 10, 1.0)),
    format="%.0f" if factor > 1 or default >= 100 else "%.1f",
    key=f"scenario_budget_{indicator}",
)
show(registry.SCENARIO_SPLITS, indicator, budget * factor)
show(registry.SCENARIO_ALLOCATION, indicator, budget * factor)
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
amount = close_gap = None
benchmark = "median"
if mode == "amount":
    typed = left.number_input(
        t("scenario.amount", language, unit=unit),
        min_value=0.0,
        value=float(max(default / factor / 10, 1.0)),
        format="%.0f" if factor > 1 else "%.1f",
        key=f"scenario_amount_{indicator}",
    )
    amount = typed * factor
else:
    share = left.slider(
        t("scenario.close_gap", language), 0, 100, 50, 5, key="scenario_share"
    )
    close_gap = share / 100
    benchmark = right.radio(
        t("scenario.benchmark", language),
        ["median", "core"],
        format_func=lambda b: t(f"scenario.benchmark.{b}", language),
        horizontal=True,
        key="scenario_benchmark",
    )
effect = show(
    registry.SCENARIO_TERRITORY, indicator, territory, amount, close_gap, benchmark
)
st.dataframe(tools.display_table(effect.extra["indices"], language), width="stretch")
st.dataframe(
    tools.display_table(effect.data, language), hide_index=True, width="stretch"
)
