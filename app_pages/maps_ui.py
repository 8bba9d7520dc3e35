"""Boundary files and choropleth maps in the app (not a page: the pieces the
typology, inequality and data pages share). UI only: matching and figures
come from :mod:`analytics.geo` and :mod:`analytics.maps`.

Text from files (file names, keys of features) is shown only through
st.dataframe / st.text or i18n strings rendered by st.success / st.info,
never as raw Markdown.
"""

from __future__ import annotations

import functools

import streamlit as st

from analytics import escape, geo, maps
from analytics.i18n import t
from analytics.selection import Selection
from analytics.store import Store
from analytics.views import registry
from app_pages.common import (
    indicator_picker,
    lang,
    load_store,
    part_of,
    show_chart,
    show_table,
    store_path,
)


@st.cache_resource(max_entries=4, show_spinner=False)
def _matches(
    path: str, version: str, files: tuple
) -> tuple[list, geo.BoundaryError | None]:
    try:
        boundaries = geo.load_boundaries(path)
    except geo.BoundaryError as error:
        return [], error
    return maps.matches(load_store(), boundaries), None


def boundary_matches(store: Store) -> list[geo.BoundaryMatch]:
    """Every saved boundary file matched to the store (cached per store
    version and set of files); a broken file is reported, not raised."""
    path = store_path()
    found, problem = _matches(str(path), store.version, geo.signature(path))
    if problem is not None:
        st.warning(escape.markdown(problem.message(lang())))
    return found


def typology_map(store: Store, selection: Selection, result, args: tuple) -> None:
    """The typology's map: a choropleth when a boundary file covers the
    territories, else the points at the centres with a note on how to add
    boundaries."""
    language = lang()
    found = boundary_matches(store)
    chart = None
    if found:
        scatter = result.scatter
        rebuild = functools.partial(
            _typology_chart,
            str(store_path()),
            store.version,
            geo.signature(store_path()),
            selection,
            scatter.data,
            scatter.year,
            scatter.source,
        )
        chart = rebuild()
    if chart is not None:
        show_chart(chart, rebuild=rebuild)
    elif result.map is not None:
        show_chart(
            result.map, rebuild=part_of(registry.TYPOLOGY, selection, args, "map")
        )
        st.caption(t("geo.points_note", language))
    else:
        st.info(t("map.no_coordinates", language))


@st.cache_resource(max_entries=64, show_spinner=False)
def _typology_chart(path, version, files, selection, data, year, source):
    store = load_store()
    found, _ = _matches(path, version, files)
    return maps.typology_map(store, selection, data, year, source, found)


def region_map(store: Store, selection: Selection) -> None:
    """A map of one indicator by region (when a boundary file of regions is
    saved and the store has regional values)."""
    from analytics import views

    language = lang()
    found = boundary_matches(store)
    st.subheader(t("map.region_subheader", language))
    if not found:
        st.caption(t("map.no_region_boundaries", language))
        return
    indicators = maps.region_indicators(store, selection.year)
    if not indicators:
        st.caption(t("map.no_region_data", language, year=selection.year))
        return
    indicator = indicator_picker(
        store,
        indicators,
        key="region_map_indicator",
        label=t("map.region_pick", language),
    )
    rebuild = functools.partial(
        _region_chart,
        str(store_path()),
        store.version,
        geo.signature(store_path()),
        selection,
        indicator,
    )
    try:
        chart = rebuild()
    except views.NoData as reason:
        st.info(str(reason))
        return
    show_chart(chart, rebuild=rebuild)


@st.cache_resource(max_entries=64, show_spinner=False)
def _region_chart(path, version, files, selection, indicator):
    found, _ = _matches(path, version, files)
    return maps.region_map(load_store(), selection, indicator, found)


def boundaries_section(store: Store) -> None:
    """Upload, list and remove boundary files (Data & quality page)."""
    language = lang()
    path = store_path()
    st.divider()
    st.subheader(t("geo.title", language))
    st.caption(t("geo.caption", language, mb=geo.MAX_BYTES >> 20))
    message = st.session_state.pop("boundary_message", None)
    if message:
        st.success(message)
    picked = st.file_uploader(
        t("geo.pick", language),
        type=["geojson", "json"],
        accept_multiple_files=False,
        key="boundary_file",
    )
    if st.button(t("geo.save", language), disabled=picked is None, key="boundary_save"):
        try:
            saved = geo.save_boundaries(path, picked.name, picked.getvalue())
        except geo.BoundaryError as error:
            st.error(escape.markdown(error.message(language)))
        else:
            match = geo.match_boundaries(saved, store.territories)
            st.session_state["boundary_message"] = t(
                "geo.saved",
                language,
                file=saved.name,
                matched=match.matched,
                total=len(match.territory_ids),
            )
            st.rerun()
    found = boundary_matches(store)
    if not found:
        st.info(t("geo.none_saved", language))
        return
    for match in found:
        name = match.boundaries.name
        total = len(match.territory_ids)
        if match.matched:
            st.text(
                t(
                    "geo.file_summary",
                    language,
                    file=name,
                    total=total,
                    matched=match.matched,
                    unmatched=match.unmatched,
                    key=match.key,
                    method=t(f"geo.method.{match.method}", language),
                )
            )
        else:
            st.text(t("geo.file_nomatch", language, file=name, total=total))
        if match.unmatched:
            with st.expander(t("geo.unmatched", language, file=name)):
                show_table(
                    match.unmatched_table(language), hide_index=True, width="stretch"
                )
        if st.button(
            t("geo.remove", language, file=name), key=f"boundary_remove_{name}"
        ):
            geo.remove_boundaries(path, name)
            st.session_state["boundary_message"] = t("geo.removed", language, file=name)
            st.rerun()
