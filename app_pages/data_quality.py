"""Data & quality page: sources, coverage, rejects, unmatched names, catalog.
UI only."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics import escape, quality
from analytics import selection as sel_
from analytics.etl import template, uploads
from analytics.etl.writer import StoreLockedError, previous_version
from analytics.i18n import t
from analytics.store import open_store
from app_pages import maps_ui
from app_pages.common import (
    current_selection,
    demo_banner,
    lang,
    load_store,
    show_table,
    store_path,
)

store = load_store()
language = lang()
ru = language == "ru"

st.title(t("page.data", language))
demo_banner(store)
if store.observations.empty:
    st.info(t("empty.store", language))

st.subheader(t("quality.sources", language))
st.caption(t("quality.sources_note", language))
show_table(quality.source_table(store), hide_index=True)

st.subheader(t("quality.coverage", language))
show_table(quality.coverage(store))

st.subheader(t("quality.rejects", language))
show_table(quality.reject_summary(store), hide_index=True)

st.subheader(t("quality.unmatched", language))
unmatched = quality.unmatched_territories(store)
if unmatched.empty:
    st.success(t("quality.all_matched", language))
else:
    show_table(unmatched, hide_index=True)

st.subheader(t("quality.catalog", language))
columns = (
    [
        "indicator_id",
        "name_ru",
        "unit",
        "theme",
        "direction",
        "available",
        "formula",
        "source_codes",
        "note_ru",
    ]
    if ru
    else [
        "indicator_id",
        "name_en",
        "unit_en",
        "theme",
        "direction",
        "available",
        "formula",
        "source_codes",
        "note_en",
    ]
)
catalog = store.indicators
show_table(
    catalog[[c for c in columns if c in catalog]], hide_index=True, width="stretch"
)

st.subheader(t("quality.agglomerations", language))
show_table(store.agglomerations, hide_index=True)

maps_ui.boundaries_section(store)

# ------------------------------------------------------------ new data upload
# Text from files (names of files, territories, indicators) is only shown in
# st.dataframe / st.text, never through Markdown.

_STAGED = "upload_staged"


def _progress_callback(bar):
    def progress(done: int, total: int, name: str) -> None:
        bar.progress(min(done / max(total, 1), 1.0), text=f"{done} / {total}")

    return progress


def _drop_staged() -> None:
    staged = st.session_state.pop(_STAGED, None)
    if staged is not None and staged["staging"] is not None:
        uploads.discard(staged["staging"])


st.divider()
st.subheader(t("upload.title", language))
st.caption(
    t(
        "upload.caption",
        language,
        n=uploads.MAX_FILES,
        mb=uploads.max_upload_bytes() >> 20,
    )
)
message = st.session_state.pop("upload_message", None)
if message:
    st.success(message)
_selected = current_selection()
_template_columns = st.columns(2)
_template_columns[0].download_button(
    t("template.download", language),
    data=lambda: template.tidy_template(language),
    file_name=t("template.file", language),
    mime="text/csv",
    key="tidy_template",
    on_click="ignore",
    icon=":material/description:",
    help=t("template.help", language),
)
_template_columns[1].download_button(
    t("template.example", language),
    data=lambda: template.tidy_example(
        store,
        sel_.members(store, _selected.agglomeration_id)["territory_id"].tolist()
        if _selected is not None
        else store.territories["territory_id"].tolist(),
        lang=language,
    ),
    file_name=t("template.example_file", language),
    mime="text/csv",
    key="tidy_example",
    on_click="ignore",
    icon=":material/table:",
    help=t("template.example_help", language),
)
picked = st.file_uploader(
    t("upload.pick", language),
    type=["xlsx", "xls", "csv"],
    accept_multiple_files=True,
    key="upload_files",
)
if st.button(t("upload.check", language), disabled=not picked, key="upload_check"):
    _drop_staged()
    accepted, refused = uploads.check_uploads(
        (f.name, f.getvalue()) for f in picked or []
    )
    staging = diff = None
    if accepted:
        bar = st.progress(0.0, text=t("upload.checking", language))
        try:
            staging = uploads.stage(
                accepted, store=store_path(), on_progress=_progress_callback(bar)
            )
        except (StoreLockedError, OSError) as error:
            st.error(escape.markdown(error), icon="🔒")
        else:
            diff = uploads.diff_stores(
                None if store.observations.empty else store,
                open_store(staging.store),
            )
        bar.empty()
    st.session_state[_STAGED] = {
        "staging": staging,
        "refused": refused,
        "diff": diff,
    }

staged = st.session_state.get(_STAGED)
if staged is not None:
    staging, refused, diff = staged["staging"], staged["refused"], staged["diff"]
    if refused:
        st.markdown(f"**{t('upload.refused', language)}**")
        show_table(
            pd.DataFrame(refused, columns=["file", "reason"]),
            hide_index=True,
            width="stretch",
        )
    if staging is not None:
        st.markdown(f"**{t('upload.files', language)}**")
        show_table(
            uploads.file_table(staging.report, language),
            hide_index=True,
            width="stretch",
        )
        unmatched = uploads.unmatched_table(staging.report)
        if not unmatched.empty:
            st.markdown(f"**{t('upload.unmatched', language)}**")
            show_table(unmatched, hide_index=True)
        conflicts = uploads.conflict_table(staging.report)
        if not conflicts.empty:
            st.markdown(f"**{t('upload.conflicts', language)}**")
            show_table(conflicts, hide_index=True)
    if diff is not None:
        st.markdown(f"**{t('upload.diff', language)}**")
        columns = st.columns(3)
        columns[0].metric(t("upload.added", language), diff.added)
        columns[1].metric(t("upload.removed", language), diff.removed)
        columns[2].metric(t("upload.revised", language), len(diff.revised))
        if diff.removed:
            st.warning(t("upload.dropped_warning", language, n=diff.removed))
        if diff.empty:
            st.info(t("upload.no_change", language))
        staged_store = open_store(staging.store)
        names = staged_store.indicators.set_index("indicator_id")[
            "name_ru" if ru else "name_en"
        ]
        if diff.new_indicators:
            st.markdown(f"**{t('upload.new_indicators', language)}**")
            show_table(
                pd.DataFrame(
                    {
                        "indicator_id": diff.new_indicators,
                        "name": [names.get(i, "") for i in diff.new_indicators],
                    }
                ),
                hide_index=True,
                width="stretch",
            )
        if diff.new_years:
            st.markdown(f"**{t('upload.new_years', language)}**")
            st.text(", ".join(str(y) for y in diff.new_years))
        if not diff.new_indicator_years.empty:
            st.markdown(f"**{t('upload.indicator_years', language)}**")
            show_table(diff.new_indicator_years, hide_index=True)
        if len(diff.revised):
            st.markdown(f"**{t('upload.revised_table', language)}**")
            show_table(diff.revised.head(1000), hide_index=True)
    loaded = staging.loaded() if staging is not None else []
    if not loaded:
        st.info(t("upload.nothing", language))
    left, right = st.columns(2)
    if left.button(
        t("upload.confirm", language),
        type="primary",
        disabled=not loaded,
        key="upload_confirm",
    ):
        bar = st.progress(0.0, text=t("upload.loading", language))
        try:
            report = uploads.commit(
                staging, store=store_path(), on_progress=_progress_callback(bar)
            )
        except (StoreLockedError, OSError) as error:
            st.error(escape.markdown(error), icon="🔒")
        else:
            st.session_state.pop(_STAGED, None)
            st.session_state["upload_message"] = t(
                "upload.done", language, v=report.version
            )
            st.rerun()
    if right.button(t("upload.cancel", language), key="upload_cancel"):
        _drop_staged()
        st.rerun()

previous = previous_version(store_path())
st.caption(t("upload.version", language, v=store.version))
if previous is not None and st.button(
    t("upload.restore", language, v=previous), key="upload_restore"
):
    try:
        name = uploads.revert(store_path())
    except (StoreLockedError, OSError) as error:
        st.error(escape.markdown(error))
    else:
        st.session_state["upload_message"] = t("upload.restored", language, v=name)
        st.rerun()
