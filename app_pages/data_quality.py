"""Data & quality page: sources, coverage, rejects, unmatched names, catalog.
UI only."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics import escape, quality
from analytics.etl import uploads
from analytics.etl.writer import StoreLockedError, previous_version
from analytics.i18n import t
from analytics.store import open_store
from app_pages import maps_ui
from app_pages.common import demo_banner, lang, load_store, store_path

store = load_store()
language = lang()
ru = language == "ru"

st.title(t("page.data", language))
demo_banner(store)
if store.observations.empty:
    st.info(t("empty.store", language))

st.subheader("Источники" if ru else "Sources")
st.caption(
    "Каждый файл — отдельная часть хранилища; значения приведены к единицам каталога."
    if ru
    else "Each file is its own partition of the store; values are in the catalog's units."
)
st.dataframe(quality.source_table(store), hide_index=True, width="stretch")

st.subheader(
    "Покрытие: число территорий со значением, по показателям и годам"
    if ru
    else "Coverage: territories with a value, by indicator and year"
)
st.dataframe(quality.coverage(store), width="stretch")

st.subheader(
    "Отклонённые и пропущенные значения" if ru else "Rejected and missing values"
)
st.dataframe(quality.reject_summary(store), hide_index=True, width="stretch")

st.subheader("Несопоставленные территории" if ru else "Unmatched territories")
unmatched = quality.unmatched_territories(store)
if unmatched.empty:
    st.success(
        "Все территории сопоставлены со справочником."
        if ru
        else "Every territory matched the reference."
    )
else:
    st.dataframe(unmatched, hide_index=True, width="stretch")

st.subheader("Каталог показателей" if ru else "Indicator catalog")
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
st.dataframe(
    catalog[[c for c in columns if c in catalog]], hide_index=True, width="stretch"
)

st.subheader("Агломерации" if ru else "Agglomerations")
st.dataframe(store.agglomerations, hide_index=True, width="stretch")

maps_ui.boundaries_section(store)

# ------------------------------------------------------------ new data upload
# Text from files (names of files, territories, indicators) is only shown in
# st.dataframe / st.text, never through Markdown.

_UPLOAD_TEXT = {
    "ru": {
        "title": "Загрузить новые данные",
        "caption": "Файлы Росстата (xlsx, xls, csv), до {n} файлов по {mb} МБ. "
        "Сначала они загружаются в черновую копию хранилища; хранилище заменяется "
        "только после подтверждения, предыдущая версия сохраняется.",
        "pick": "Файлы",
        "check": "Проверить",
        "checking": "Проверяю файлы…",
        "refused": "Не приняты",
        "files": "Что загружено и что отклонено",
        "unmatched": "Несопоставленные территории",
        "conflicts": "Конфликты между файлами (оставлено значение более нового файла)",
        "diff": "Что изменится в хранилище",
        "added": "Новых значений",
        "removed": "Исчезнет значений",
        "revised": "Пересмотрено значений",
        "new_indicators": "Новые показатели",
        "new_years": "Новые годы",
        "indicator_years": "Новые годы по показателям",
        "revised_table": "Пересмотренные значения (было → стало)",
        "dropped_warning": "{n} значений исчезнут из хранилища: их файлов нет в "
        "папке исходных данных.",
        "nothing": "Ни один файл не принят — хранилище не изменится.",
        "no_change": "Данные в хранилище не изменятся.",
        "confirm": "Подтвердить",
        "cancel": "Отменить",
        "loading": "Загружаю в хранилище…",
        "done": "Хранилище обновлено: версия {v}.",
        "restore": "Вернуть предыдущую версию ({v})",
        "restored": "Возвращена версия {v}.",
        "version": "Текущая версия хранилища: {v}",
    },
    "en": {
        "title": "Upload new data",
        "caption": "Rosstat files (xlsx, xls, csv), up to {n} files of {mb} MB. "
        "They are loaded into a draft copy of the store first; the store is "
        "replaced only after you confirm, and the previous version is kept.",
        "pick": "Files",
        "check": "Check",
        "checking": "Checking the files…",
        "refused": "Not accepted",
        "files": "What was loaded and what was rejected",
        "unmatched": "Unmatched territories",
        "conflicts": "Conflicts between files (the newer file's value is kept)",
        "diff": "What changes in the store",
        "added": "New values",
        "removed": "Values to disappear",
        "revised": "Revised values",
        "new_indicators": "New indicators",
        "new_years": "New years",
        "indicator_years": "New years by indicator",
        "revised_table": "Revised values (old → new)",
        "dropped_warning": "{n} values will leave the store: their files are not "
        "in the raw data folder.",
        "nothing": "No file accepted — the store will not change.",
        "no_change": "The data in the store will not change.",
        "confirm": "Confirm",
        "cancel": "Cancel",
        "loading": "Loading into the store…",
        "done": "Store updated: version {v}.",
        "restore": "Restore the previous version ({v})",
        "restored": "Version {v} restored.",
        "version": "Current store version: {v}",
    },
}
tr = _UPLOAD_TEXT[language]
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
st.subheader(tr["title"])
st.caption(
    tr["caption"].format(n=uploads.MAX_FILES, mb=uploads.max_upload_bytes() >> 20)
)
message = st.session_state.pop("upload_message", None)
if message:
    st.success(message)
picked = st.file_uploader(
    tr["pick"],
    type=["xlsx", "xls", "csv"],
    accept_multiple_files=True,
    key="upload_files",
)
if st.button(tr["check"], disabled=not picked, key="upload_check"):
    _drop_staged()
    accepted, refused = uploads.check_uploads(
        (f.name, f.getvalue()) for f in picked or []
    )
    staging = diff = None
    if accepted:
        bar = st.progress(0.0, text=tr["checking"])
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
        st.markdown(f"**{tr['refused']}**")
        st.dataframe(
            pd.DataFrame(refused, columns=["file", "reason"]),
            hide_index=True,
            width="stretch",
        )
    if staging is not None:
        st.markdown(f"**{tr['files']}**")
        st.dataframe(
            uploads.file_table(staging.report, language),
            hide_index=True,
            width="stretch",
        )
        unmatched = uploads.unmatched_table(staging.report)
        if not unmatched.empty:
            st.markdown(f"**{tr['unmatched']}**")
            st.dataframe(unmatched, hide_index=True, width="stretch")
        conflicts = uploads.conflict_table(staging.report)
        if not conflicts.empty:
            st.markdown(f"**{tr['conflicts']}**")
            st.dataframe(conflicts, hide_index=True, width="stretch")
    if diff is not None:
        st.markdown(f"**{tr['diff']}**")
        columns = st.columns(3)
        columns[0].metric(tr["added"], diff.added)
        columns[1].metric(tr["removed"], diff.removed)
        columns[2].metric(tr["revised"], len(diff.revised))
        if diff.removed:
            st.warning(tr["dropped_warning"].format(n=diff.removed))
        if diff.empty:
            st.info(tr["no_change"])
        staged_store = open_store(staging.store)
        names = staged_store.indicators.set_index("indicator_id")[
            "name_ru" if ru else "name_en"
        ]
        if diff.new_indicators:
            st.markdown(f"**{tr['new_indicators']}**")
            st.dataframe(
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
            st.markdown(f"**{tr['new_years']}**")
            st.text(", ".join(str(y) for y in diff.new_years))
        if not diff.new_indicator_years.empty:
            st.markdown(f"**{tr['indicator_years']}**")
            st.dataframe(diff.new_indicator_years, hide_index=True, width="stretch")
        if len(diff.revised):
            st.markdown(f"**{tr['revised_table']}**")
            st.dataframe(diff.revised.head(1000), hide_index=True, width="stretch")
    loaded = staging.loaded() if staging is not None else []
    if not loaded:
        st.info(tr["nothing"])
    left, right = st.columns(2)
    if left.button(
        tr["confirm"], type="primary", disabled=not loaded, key="upload_confirm"
    ):
        bar = st.progress(0.0, text=tr["loading"])
        try:
            report = uploads.commit(
                staging, store=store_path(), on_progress=_progress_callback(bar)
            )
        except (StoreLockedError, OSError) as error:
            st.error(escape.markdown(error), icon="🔒")
        else:
            st.session_state.pop(_STAGED, None)
            st.session_state["upload_message"] = tr["done"].format(v=report.version)
            st.rerun()
    if right.button(tr["cancel"], key="upload_cancel"):
        _drop_staged()
        st.rerun()

previous = previous_version(store_path())
st.caption(tr["version"].format(v=store.version))
if previous is not None and st.button(
    tr["restore"].format(v=previous), key="upload_restore"
):
    try:
        name = uploads.revert(store_path())
    except (StoreLockedError, OSError) as error:
        st.error(escape.markdown(error))
    else:
        st.session_state["upload_message"] = tr["restored"].format(v=name)
        st.rerun()
