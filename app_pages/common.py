"""What every page shares: the cached store, the selection, chart display.

UI only: numbers come from :mod:`analytics`; this module reads widgets, calls
the library and draws what it returns.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import streamlit as st

from analytics import escape
from analytics import selection as sel_
from analytics.chart_model import Chart
from analytics.i18n import DEFAULT_LANG, LANGS, t
from analytics.i18n import name as name_of
from analytics.i18n import unit as unit_of
from analytics.selection import Scope, Selection
from analytics.store import Store, open_store
from analytics.views import registry
from analytics.views.registry import View

STATE_KEYS = ("lang", "agg", "year", "weighted")


def store_path() -> Path:
    """The store the app reads: ``$AGGLO_STORE`` or ``datasets/warehouse``."""
    return Path(os.environ.get("AGGLO_STORE", "datasets/warehouse"))


@st.cache_resource(show_spinner="Загружаю хранилище…", max_entries=4)
def _open(path: str, version: str) -> Store:
    return open_store(path)


def load_store() -> Store:
    """The store, read once per process and version: when the ETL swaps in a
    new version (``CURRENT`` changes), the next rerun reads it."""
    path = store_path()
    try:
        version = (path / "CURRENT").read_text(encoding="utf-8").strip()
    except OSError:
        version = ""
    return _open(str(path), version)


def lang() -> str:
    value = st.session_state.get("lang", DEFAULT_LANG)
    return value if value in LANGS else DEFAULT_LANG


def current_selection() -> Selection | None:
    """The sidebar's selection (``None`` when the store has no agglomeration)."""
    agg = st.session_state.get("agg")
    if not agg:
        return None
    return Selection(
        agglomeration_id=agg,
        year=st.session_state.get("year"),
        weighted=bool(st.session_state.get("weighted", True)),
        lang=lang(),
    )


def sync_query_params() -> None:
    """Write the selection into the URL so that a link reproduces the view."""
    params = {}
    for key in STATE_KEYS:
        value = st.session_state.get(key)
        if value is not None:
            params[key] = str(int(value) if isinstance(value, bool) else value)
    for key in ("indicator", "theme_indicator"):
        if st.session_state.get(key):
            params[key] = str(st.session_state[key])
    if dict(st.query_params) != params:
        st.query_params.from_dict(params)


def init_state_from_query() -> None:
    """Seed widget state from the URL once per session."""
    if st.session_state.get("_seeded"):
        return
    query = st.query_params
    if query.get("lang") in LANGS:
        st.session_state["lang"] = query["lang"]
    if query.get("agg"):
        st.session_state["agg"] = query["agg"]
    if query.get("year", "").isdigit():
        st.session_state["year"] = int(query["year"])
    if query.get("weighted") in ("0", "1"):
        st.session_state["weighted"] = query["weighted"] == "1"
    if query.get("indicator"):
        st.session_state["indicator"] = query["indicator"]
    st.session_state["_seeded"] = True


def demo_banner(store: Store) -> None:
    if sel_.is_demo(store):
        st.warning(t("demo.banner", lang()), icon=":material/science:")


def page_start(page: str) -> tuple[Store, str, Selection]:
    """What every analysis page begins with: the store, the language, the
    page title, the demo-data banner and the selection (or an explanation
    and a stop when there is none)."""
    store = load_store()
    language = lang()
    st.title(t(f"page.{page}", language))
    demo_banner(store)
    return store, language, require_selection(store)


def require_selection(store: Store) -> Selection:
    """The selection, or an explanation and a stop when there is none."""
    selection = current_selection()
    if store.observations.empty:
        st.info(t("empty.store", lang()))
        st.stop()
    if selection is None:
        st.info(t("empty.no_agglomerations", lang()))
        st.stop()
    return selection


def indicator_picker(
    store: Store, indicator_ids: list[str], *, key: str, label: str
) -> str:
    """A selectbox of indicators by name and unit in the user's language
    (keeps the choice across pages)."""
    language = lang()
    options = list(indicator_ids)
    if st.session_state.get(key) not in options:
        st.session_state[key] = options[0]

    selection = current_selection()
    found = {}
    if selection is not None and selection.year is not None:
        found = _indicator_coverage(
            str(store_path()),
            store.version,
            selection.agglomeration_id,
            int(selection.year),
            tuple(options),
        )

    def label_of(indicator_id: str) -> str:
        info = sel_.indicator_info(store, indicator_id)
        text = f"{name_of(info, language)} ({unit_of(info, language)})"
        cov = found.get(indicator_id)
        if cov is not None and cov.partial:
            short = t("coverage.short", language, covered=cov.covered, total=cov.total)
            text += f" · {short}"
        return text

    return st.selectbox(label, options, key=key, format_func=label_of)


@st.cache_resource(max_entries=256, show_spinner=False)
def _indicator_coverage(
    path: str, version: str, agglomeration_id: str, year: int, options: tuple
) -> dict:
    from analytics import coverage

    store = load_store()
    ids = sel_.members(store, agglomeration_id)["territory_id"].tolist()
    return coverage.indicator_coverage(store, ids, list(options), year)


def _export_module():
    try:
        from analytics import export
    except ImportError:  # pragma: no cover - export module missing
        return None
    return export


PROFILE_PAGE = "app_pages/profile.py"


def clicked_territory(event, agglomeration_of: dict[str, str]) -> str | None:
    """The agglomeration territory behind the first clicked point of a plotly
    selection event: its ``customdata`` (bars, scatter) or ``location``
    (choropleth). Anything else (a region polygon, a missing id) is None.

    >>> clicked_territory({"selection": {"points": [{"customdata": ["01701000"]}]}},
    ...                   {"01701000": "barnaul"})
    '01701000'
    >>> clicked_territory({"selection": {"points": [{"location": "RU-ALT"}]}},
    ...                   {"01701000": "barnaul"}) is None
    True
    """
    try:
        points = event["selection"]["points"]
    except (KeyError, TypeError):
        return None
    for point in points or []:
        data = point.get("customdata")
        if isinstance(data, list | tuple):
            data = data[0] if data else None
        for candidate in (point.get("location"), data):
            if isinstance(candidate, str) and agglomeration_of.get(candidate):
                return candidate
    return None


def _open_profile(key: str, agglomeration_of: dict[str, str]) -> None:
    """Callback of a chart click: select the territory (and its agglomeration)
    before the script runs, then :func:`show_chart` moves to the profile."""
    territory = clicked_territory(st.session_state.get(key), agglomeration_of)
    if territory is None:
        return
    st.session_state["agg"] = agglomeration_of[territory]
    st.session_state["territory"] = territory
    st.session_state["_open_profile"] = True


def _territory_chart(chart: Chart, agglomeration_of: dict[str, str]) -> bool:
    """Whether the chart's points carry agglomeration territory ids (then a
    click opens a profile): ids as ``customdata`` (bars, scatter) or as a
    choropleth's ``locations``. Other customdata (names on a Lorenz curve,
    hover texts on a heatmap) does not count."""
    for trace in chart.figure.data:
        values = getattr(trace, "customdata", None)
        if trace.type == "choropleth":
            values = getattr(trace, "locations", None)
        if values is None or not len(values):
            continue
        first = values[0]
        if isinstance(first, list | tuple) or getattr(first, "ndim", 0):
            first = first[0] if len(first) else None
        if isinstance(first, str) and first in agglomeration_of:
            return True
    return False


def show_chart(
    chart: Chart, *, rebuild: Callable[[], Chart], key: str | None = None
) -> None:
    """Draw a chart with its caption, footer and download buttons. On charts
    of territories a click opens the clicked territory's profile.
    ``rebuild``: how the export page gets the chart again (a cached call,
    see :func:`part_of`); the session keeps that, not the chart."""
    key = key or chart.key
    agglomeration_of = (
        sel_.agglomeration_of(load_store()) if current_selection() is not None else {}
    )
    if agglomeration_of and _territory_chart(chart, agglomeration_of):
        st.plotly_chart(
            chart.figure,
            width="stretch",
            key=f"fig_{key}",
            on_select=lambda: _open_profile(f"fig_{key}", agglomeration_of),
            selection_mode="points",
        )
        if st.session_state.pop("_open_profile", False):
            st.switch_page(PROFILE_PAGE)
        st.caption(t("hint.click_profile", lang()))
    else:
        st.plotly_chart(chart.figure, width="stretch", key=f"fig_{key}")
    if chart.caption:
        st.markdown(f"**{_escape(chart.caption)}**")
    download_buttons(chart, key=key)
    # Remember how to get the chart again, for the export page's deck.
    st.session_state.setdefault("_charts", {})[chart.key] = rebuild
    # and for this page's «download all charts» (reset on every run)
    st.session_state.setdefault("_page_chart_keys", []).append(chart.key)


def show_table(df, **options) -> None:
    """``st.dataframe`` with numbers written as the page's language writes
    them (decimal comma and thin-space thousands in Russian, rounded alike
    within a column; the cells stay numbers, so columns still sort), and the
    store's column names and codes in words."""
    from analytics.formatting import styled
    from analytics.i18n import localize_table

    options.setdefault("width", "stretch")
    language = lang()
    st.dataframe(styled(localize_table(df, language), language), **options)


def page_style() -> None:
    """CSS for what Streamlit writes in English whatever the page's language
    (the file uploader's «Upload» and «200MB per file») and for metric labels
    that Streamlit cuts with «…»."""
    from analytics.etl.uploads import max_upload_bytes

    language = lang()
    button = t("upload.button", language).replace('"', "")
    hint = t("upload.hint", language, mb=max_upload_bytes() >> 20).replace('"', "")
    zone = '[data-testid="stFileUploaderDropzone"]'
    st.html(
        "<style>"
        f'{zone} button [data-testid="stMarkdownContainer"] p {{font-size: 0}}'
        f'{zone} button [data-testid="stMarkdownContainer"] p::after'
        f'{{content: "{button}"; font-size: 0.875rem}}'
        '[data-testid="stFileUploaderDropzoneInstructions"] span {font-size: 0}'
        '[data-testid="stFileUploaderDropzoneInstructions"] span::after'
        f'{{content: "{hint}"; font-size: 0.875rem}}'
        '[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] *'
        "{white-space: normal !important; overflow: visible !important;"
        "text-overflow: clip !important}"
        "</style>"
    )


def start_page_charts() -> None:
    """Forget the charts of the previous run (called before a page runs)."""
    st.session_state["_page_chart_keys"] = []


def download_page_charts() -> None:
    """A sidebar button with every chart of this page in one ZIP (PNG and
    CSV of each, one XLSX), when the page drew more than one chart."""
    keys = dict.fromkeys(st.session_state.get("_page_chart_keys", []))
    rebuilds = st.session_state.get("_charts", {})  # key -> cached rebuild
    found = [key for key in keys if key in rebuilds]
    if len(found) < 2:
        return
    from analytics.export.bundle import charts_to_zip

    language = lang()
    title = t("download.all_title", language)
    st.sidebar.download_button(
        t("download.all", language, n=len(found)),
        data=lambda: charts_to_zip(
            [rebuilds[key]() for key in found], title=title, lang=language
        ),
        file_name=f"{title}.zip".replace(" ", "_"),
        mime="application/zip",
        key="download_page_charts",
        on_click="ignore",
        icon=":material/folder_zip:",
    )


def _escape(text: str) -> str:
    """Text that comes from data, shown as typed in Markdown."""
    return escape.markdown(text)


def download_buttons(chart: Chart, *, key: str) -> None:
    language = lang()
    export = _export_module()
    if export is None:
        return
    box = st.popover(t("download.menu", language), icon=":material/download:")
    columns = [box] * 5
    status = export.export_status()
    name = export.safe_filename(chart.title or chart.key, "png")[: -len(".png")]
    images = (
        ("png", "image/png"),
        ("svg", "image/svg+xml"),
        ("pdf", "application/pdf"),
    )
    for column, (fmt, mime) in zip(columns[:3], images, strict=True):
        column.download_button(
            t(f"download.{fmt}", language),
            data=(lambda f=fmt: export.figure_bytes(chart.figure, f)),
            file_name=f"{name}.{fmt}",
            mime=mime,
            key=f"dl_{fmt}_{key}",
            on_click="ignore",
            disabled=not status.available,
            help=None if status.available else status.message(language),
            icon=":material/download:",
        )
    columns[3].download_button(
        t("download.xlsx", language),
        data=lambda: export.charts_to_xlsx(
            [chart], title=chart.title, source=chart.source, lang=language
        ),
        file_name=f"{name}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"dl_xlsx_{key}",
        on_click="ignore",
        icon=":material/table:",
    )
    columns[4].download_button(
        t("download.csv", language),
        data=lambda: export.chart_to_csv(chart, lang=language),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"dl_csv_{key}",
        on_click="ignore",
        icon=":material/table:",
    )


@st.cache_resource(max_entries=512, show_spinner=False)
def _cached_view(
    key: str, version: str, path: str, selection: Selection, args: tuple, _build
):
    return _build(load_store(), selection, *args)


@st.cache_resource(max_entries=512, show_spinner=False)
def _cached_compute(
    key: str, version: str, path: str, scope: Scope, args: tuple, _compute
):
    return _compute(load_store(), scope, *args)


def view(entry: View, selection: Selection, *args):
    """What a registered view builds (:mod:`analytics.views.registry`), cached
    per view, store version, selection and inputs: revisiting a page or
    switching back to a language is instant. A view in two steps caches its
    computation only, without the language, and words it on each run.
    ``views.NoData`` propagates (it is not cached)."""
    store = load_store()
    if entry.compute is not None:
        from analytics import views

        try:
            result = _cached_compute(
                entry.key,
                store.version,
                str(store_path()),
                selection.scope,
                tuple(args),
                entry.compute,
            )
        except views.NoData as reason:
            raise reason.in_lang(selection.lang) from None
        return entry.render(result, selection.lang)
    return _cached_view(
        entry.key, store.version, str(store_path()), selection, tuple(args), entry.build
    )


def part_of(
    entry: View, selection: Selection, args: tuple = (), part: str | None = None
) -> Callable[[], Chart]:
    """A call that gets a view's chart again from the cache (``part``: the
    attribute of a result that holds several charts, e.g. ``"scatter"``)."""
    if part is None:
        return functools.partial(view, entry, selection, *args)
    return functools.partial(_part, entry, selection, args, part)


def _part(entry: View, selection: Selection, args: tuple, part: str) -> Chart:
    return getattr(view(entry, selection, *args), part)


def show_view(entry: View, selection: Selection, *args) -> Chart | None:
    """Draw the chart of a cached view, or explain why there is none."""
    from analytics import views

    try:
        chart = view(entry, selection, *args)
    except views.NoData as reason:
        st.info(str(reason))  # i18n text with its own Markdown
        return None
    except Exception as error:  # whatever the store holds: a reason, no traceback
        st.warning(t("error.view", lang(), reason=_reason(error)))
        return None
    show_chart(chart, rebuild=part_of(entry, selection, args))
    return chart


def _reason(error: Exception) -> str:
    """An unexpected error, shortened and escaped for a message."""
    return _escape(f"{type(error).__name__}: {str(error)[:200]}")


def run_page(page) -> None:
    """Run a page of ``st.navigation``. An error the page did not expect is
    shown as a message in the user's language (never a traceback); Streamlit's
    own stop and rerun signals are not exceptions of this kind and pass."""
    try:
        page.run()
    except Exception as error:
        st.error(t("error.page", lang(), reason=_reason(error)))


def pick_indicator(
    store: Store, territory_ids: list[str], *, key: str = "indicator"
) -> str:
    """A picker of the comparable indicators of the three themes that have
    data for these territories; stops the page with an explanation if none."""
    candidates = sel_.comparable_indicators(store, territory_ids)
    if not candidates:
        st.info(t("empty.theme", lang(), theme="—"))
        st.stop()
    return indicator_picker(
        store, candidates, key=key, label=t("label.indicator", lang())
    )


@st.cache_resource(max_entries=8, show_spinner=False)
def _agglomerations(path: str, version: str):
    return sel_.agglomerations(load_store())


@st.cache_resource(max_entries=256, show_spinner=False)
def _years(
    path: str, version: str, agglomeration_id: str
) -> tuple[list[int], int | None]:
    store = load_store()
    ids = sel_.members(store, agglomeration_id)["territory_id"].tolist()
    return sel_.years(store, ids), sel_.default_year(store, ids)


def agglomeration_choices():
    """Agglomerations with data (scanned once per store version, not per rerun)."""
    store = load_store()
    return _agglomerations(str(store_path()), store.version)


def default_agglomeration(aggs) -> str:
    """The agglomeration a new session starts on: the one with the most
    territories among those that have a core."""
    ranked = aggs.sort_values(["has_core", "territories"], ascending=False)
    return str(ranked["agglomeration_id"].iloc[0])


#: Set when a session has drawn its first page (``dashboard.main``): the
#: warm-up's background fits wait for it, so that they do not compete with the
#: first visitor's page for the two cores.
FIRST_PAGE_DRAWN = threading.Event()


def warm_up(*, wait_for_first_page: float = 0.0) -> None:
    """Fill the process-wide caches that sessions share, in the order a
    visitor needs them: the store, the default agglomeration's overview (the
    first page), then the typology of every year (the one analysis whose
    change of year refits a model: k-means over a k sweep and a bootstrap,
    about 0.3 s a year on the demo store).

    ``serve.py`` runs it in a thread while the server starts, so the first
    visitor does not wait for the store and a change of year on the typology
    page is a lookup. ``wait_for_first_page``: seconds to wait, after the
    overview, for the first visitor's page before fitting the typologies."""
    from analytics import views

    aggs = agglomeration_choices()
    if aggs.empty:
        return
    agg = default_agglomeration(aggs)
    years, default = year_choices(agg)
    if not years:
        return
    view(registry.SUMMARY, Selection(agg, default or years[-1], True, DEFAULT_LANG))
    # the browser draws for a few seconds after the first page's script ran
    if wait_for_first_page and FIRST_PAGE_DRAWN.wait(timeout=wait_for_first_page):
        time.sleep(5.0)
    store = load_store()
    for year in sorted(views.typology_years(store), reverse=True):
        try:
            views.typology_model(store, year)  # the page's defaults
        except views.NoData:
            continue


@st.cache_resource(max_entries=256, show_spinner=False)
def _year_coverage(path: str, version: str, agglomeration_id: str) -> dict:
    from analytics import coverage

    store = load_store()
    ids = sel_.members(store, agglomeration_id)["territory_id"].tolist()
    return coverage.year_coverage(store, ids)


def year_label(agglomeration_id: str):
    """``format_func`` of the year selector: a partial year says how many
    territories it covers («2024 · 5 из 17»)."""
    from analytics import coverage

    store = load_store()
    found = _year_coverage(str(store_path()), store.version, agglomeration_id)
    language = lang()
    return lambda year: coverage.year_label(year, found.get(int(year)), language)


def year_choices(agglomeration_id: str) -> tuple[list[int], int | None]:
    """Years with data for an agglomeration and the default year (cached)."""
    store = load_store()
    return _years(str(store_path()), store.version, agglomeration_id)
