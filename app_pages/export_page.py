"""Export page: a PPTX deck and an XLSX workbook from the charts drawn in
this session or from the ready set of the selected agglomeration. UI only:
the charts come from :mod:`analytics.report` and the pages, the files from
:mod:`analytics.export`."""

from __future__ import annotations

import streamlit as st

from analytics import export, report, views
from analytics.i18n import t
from analytics.selection import Selection
from app_pages.common import demo_banner, lang, load_store, require_selection

PPTX_MIME = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RESULT_KEY = "_export_result"

store = load_store()
language = lang()
st.title(t("page.export", language))
demo_banner(store)
selection = require_selection(store)


@st.cache_data(show_spinner=False, max_entries=16)
def _ready(agg: str, year: int | None, weighted: bool, lang_: str, version: str):
    found = report.ready_set_with_reasons(
        load_store(), Selection(agg, year, weighted, lang_)
    )
    return found.charts, found.skipped


def _session_charts() -> list:
    """The charts this session has shown, got again from the cache (the
    session keeps how to get them, not the charts)."""
    charts = []
    for rebuild in st.session_state.get("_charts", {}).values():
        try:
            charts.append(rebuild())
        except views.NoData:  # the store changed under the session
            continue
    return charts


session_charts = _session_charts()
modes = ["session", "ready"]
mode = st.radio(
    t("export.mode", language),
    modes,
    index=0 if session_charts else 1,
    format_func=lambda m: t(f"export.mode.{m}", language, n=len(session_charts)),
    horizontal=True,
    key="export_mode",
)

if mode == "ready":
    with st.spinner(t("export.computing", language)):
        charts, skipped = _ready(
            selection.agglomeration_id,
            selection.year,
            selection.weighted,
            language,
            store.version,
        )
    for section, reason in skipped:
        st.caption(
            t(
                "export.skipped",
                language,
                section=report.section_name(section, language),
                reason=reason,
            )
        )
else:
    charts = session_charts
    skipped = []
    if not charts:
        st.info(t("export.session_empty", language))
        st.stop()
    st.caption(t("export.session_lang", language))

st.subheader(t("export.pick", language))
picked = []
for chart in charts:
    label = chart.title or chart.key
    section = chart.extra.get("section") if mode == "ready" else None
    if section:
        label = f"{report.section_name(section, language).capitalize()}: {label}"
    if st.checkbox(label, value=True, key=f"export_pick_{mode}_{chart.key}"):
        picked.append(chart)
if not picked:
    st.info(t("export.none_picked", language))
    st.stop()
st.caption(t("export.picked", language, n=len(picked)))

texts = report.deck_texts(store, selection, picked, ready=mode == "ready")
stem = export.safe_filename(f"{texts['title']} {selection.year or ''}", "pptx")[
    : -len(".pptx")
]
# the built deck is offered only while it still matches what is ticked
signature = (
    mode,
    selection,
    store.version,
    tuple((c.key, c.title, c.caption) for c in picked),
)

status = export.export_status()
if not status.available:
    st.warning(status.message(language), icon=":material/warning:")

if st.button(
    t("export.build", language),
    type="primary",
    disabled=not status.available,
    icon=":material/slideshow:",
    key="export_build",
):
    bar = st.progress(
        0.0, text=t("export.building", language, done=0, total=len(picked))
    )

    def progress(done: int, total: int) -> None:
        bar.progress(
            done / total if total else 1.0,
            text=t("export.building", language, done=done, total=total),
        )

    try:
        deck = export.build_deck(picked, lang=language, progress=progress, **texts)
    except export.ExportError as error:
        st.session_state.pop(RESULT_KEY, None)
        st.error(error.message(language))
    else:
        st.session_state[RESULT_KEY] = {"signature": signature, "pptx": deck}
        bar.empty()

result = st.session_state.get(RESULT_KEY)
if result and result["signature"] == signature:
    st.success(t("export.done", language, n=len(picked)))
    st.download_button(
        t("export.download_pptx", language),
        data=result["pptx"],
        file_name=f"{stem}.pptx",
        mime=PPTX_MIME,
        key="export_dl_pptx",
        on_click="ignore",
        icon=":material/download:",
    )
if (result and result["signature"] == signature) or not status.available:
    st.download_button(
        t("export.download_xlsx", language),
        data=lambda: export.charts_to_xlsx(
            picked, title=texts["title"], source=texts["source"], lang=language
        ),
        file_name=f"{stem}.xlsx",
        mime=XLSX_MIME,
        key="export_dl_xlsx",
        on_click="ignore",
        icon=":material/table:",
    )
