"""Streamlit entry point: page config, navigation, sidebar, cached store. No maths."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from analytics.i18n import LANGS, t
from analytics.i18n import name as name_of
from analytics.store import StoreError
from analytics.views import registry
from app_pages.common import (
    FIRST_PAGE_DRAWN,
    agglomeration_choices,
    default_agglomeration,
    download_page_charts,
    init_state_from_query,
    lang,
    load_store,
    page_style,
    run_page,
    start_page_charts,
    sync_query_params,
    year_choices,
    year_label,
)

# A local favicon: without one Streamlit turns the page's material icon into
# a favicon fetched from a font CDN, and the app must work offline.
st.set_page_config(
    page_title="Неравенство территорий агломераций",
    page_icon=str(Path(__file__).with_name("assets") / "favicon.png"),
    layout="wide",
)

PAGES = [(page.key, page.script, page.icon) for page in registry.PAGES]


def sidebar(store) -> None:
    language = lang()
    st.sidebar.radio(
        t("sidebar.lang", language),
        LANGS,
        key="lang",
        horizontal=True,
        format_func=lambda code: {"ru": "Русский", "en": "English"}[code],
    )
    language = lang()
    aggs = agglomeration_choices()
    if aggs.empty:
        st.session_state["agg"] = None
        return
    options = aggs["agglomeration_id"].tolist()
    if st.session_state.get("agg") not in options:
        st.session_state["agg"] = default_agglomeration(aggs)
    labels = {
        row.agglomeration_id: name_of(row._asdict(), language)
        for row in aggs.itertuples()
    }
    st.sidebar.selectbox(
        t("sidebar.agglomeration", language),
        options,
        key="agg",
        format_func=lambda a: labels.get(a, a),
    )
    years, default = year_choices(st.session_state["agg"])
    if not years:
        st.session_state["year"] = None
        return
    if st.session_state.get("year") not in years:
        st.session_state["year"] = default or years[-1]
    st.sidebar.selectbox(
        t("sidebar.year", language),
        years[::-1],
        key="year",
        format_func=year_label(st.session_state["agg"]),
    )
    st.session_state.setdefault("weighted", True)
    st.sidebar.toggle(
        t("sidebar.weighted", language),
        key="weighted",
        help=t("sidebar.weighted_help", language),
    )


def main() -> None:
    init_state_from_query()
    try:
        store = load_store()
    except StoreError as error:
        st.error(str(error))
        st.stop()
    sidebar(store)
    language = lang()
    page_style()
    pages = [
        st.Page(
            path,
            title=t(f"page.{key}", language),
            icon=icon,
            url_path=Path(path).stem,
            default=key == "overview",
        )
        for key, path, icon in PAGES
        if Path(__file__)
        .with_name(path.split("/")[0])
        .joinpath(path.split("/")[1])
        .exists()
    ]
    st.sidebar.caption(t("sidebar.store", language, version=store.version))
    page = st.navigation(pages)
    sync_query_params()
    start_page_charts()
    try:
        run_page(page)
        download_page_charts()
    finally:
        FIRST_PAGE_DRAWN.set()


main()
