"""Partners page: neighbouring municipalities whose gaps complement each
other, with the reason in words, and the existing agreements (a CSV the
user uploads) as a network next to the suggestions. UI only."""

from __future__ import annotations

import streamlit as st

from analytics import partners
from analytics import selection as sel_
from analytics.i18n import name as name_of
from analytics.i18n import t
from analytics.i18n import unit as unit_of
from analytics.views import NoData, registry, tools
from app_pages.common import page_start, part_of, show_chart, view

store, language, selection = page_start("partners")
st.caption(t("partners.intro", language))

members = tools.member_ids(store, selection)
candidates = tools.per_resident_indicators(store, members, selection.year)
if not candidates:
    st.info(t("scenario.no_indicator", language))
    st.stop()


def label(indicator_id: str) -> str:
    info = sel_.indicator_info(store, indicator_id)
    return f"{name_of(info, language)} ({unit_of(info, language)})"


chosen = st.multiselect(
    t("partners.indicators", language),
    candidates,
    default=candidates[: min(4, len(candidates))],
    format_func=label,
    key="partners_indicators",
)
left, right = st.columns(2)
neighbourhood = left.radio(
    t("partners.neighbourhood", language),
    list(tools.NEIGHBOURHOODS),
    format_func=lambda n: t(
        "partners.by_border" if n == "border" else "partners.by_distance", language
    ),
    horizontal=True,
    key="partners_neighbourhood",
)
km = right.slider(
    t("partners.distance", language),
    5,
    300,
    50,
    5,
    key="partners_km",
    disabled=neighbourhood == "border",
)

upload = st.file_uploader(
    t("partners.upload", language), type=["csv", "txt"], key="partners_upload"
)
st.download_button(
    t("partners.template", language),
    data=partners.agreements_template(language),
    file_name="agreements_template.csv",
    mime="text/csv",
    icon=":material/download:",
)
agreements: tuple = ()
if upload is not None:
    try:
        table = partners.read_agreements(
            upload.getvalue(), store.territories, filename=upload.name
        )
    except partners.AgreementsError as error:
        lines = error.message(language).splitlines()
        st.error("\n".join(f"- {line}" for line in lines))
    else:
        agreements = tuple(
            (row.territory_a, row.territory_b, row.subject, int(row.year))
            for row in table.itertuples(index=False)
        )
        st.success(t("partners.loaded", language, n=len(agreements)))

args = (tuple(chosen), neighbourhood, float(km), agreements)
try:
    chart = view(registry.PARTNERS, selection, *args)
except NoData as reason:
    st.info(str(reason))
    st.stop()
if neighbourhood == "border" and not tools.has_member_boundaries(store, selection):
    st.info(t("partners.no_boundaries", language))
show_chart(chart, rebuild=part_of(registry.PARTNERS, selection, args))
st.caption(t("partners.score_help", language))
st.dataframe(
    tools.display_table(chart.data, language), hide_index=True, width="stretch"
)
