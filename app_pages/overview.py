"""Overview of one agglomeration: its territories, headline inequality with
trend and confidence interval, theme composites and the biggest gaps. UI only."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics import views
from analytics.i18n import fmt_number, t
from analytics.views import registry
from app_pages.common import (
    demo_banner,
    lang,
    load_store,
    part_of,
    require_selection,
    show_chart,
    show_table,
    view,
)

store = load_store()
language = lang()
selection = require_selection(store)
st.title(
    f"{t('page.overview', language)}: {views.agglomeration_name(store, selection.agglomeration_id, language)}"
)
demo_banner(store)

summary = view(registry.SUMMARY, selection)
st.caption(summary.subtitle)

st.subheader(t("overview.headline", language))
if summary.headlines.empty:
    st.info(t("empty.too_few", language, need=views.MIN_TERRITORIES, have=0))
else:
    columns = st.columns(len(summary.headlines))
    for column, row in zip(columns, summary.headlines.itertuples(), strict=True):
        column.metric(
            label=row.label,
            value=fmt_number(row.value, language, digits=3),
            delta=None
            if pd.isna(row.delta)
            else fmt_number(row.delta, language, digits=3),
            delta_color="inverse",
            help=row.help,
        )

if not summary.sentences.empty:
    st.subheader(t("overview.gaps", language))
    for sentence in summary.sentences["sentence"]:
        st.markdown(f"- {sentence}")

if summary.composites is not None:
    st.subheader(t("overview.composites", language))
    show_chart(
        summary.composites,
        rebuild=part_of(registry.SUMMARY, selection, (), "composites"),
    )
    if summary.composites.notes:
        st.caption(summary.composites.notes)

st.subheader(t("overview.members", language))
show_table(summary.members, hide_index=True)
