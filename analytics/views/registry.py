"""The one list of pages and views that the app, the deck, the exports and the
tests read.

A :class:`Page` is a page of the app (its script in ``app_pages/``); a
:class:`View` is one thing a page or the deck shows: its key, the page that
shows it, the deck sections it appears in, the function that builds it and
the inputs that function takes after the store and the selection
(``params``). Pages and the deck name a view by its constant here
(``registry.RANKING``), never by a string or ``getattr``.

Adding a view: write its function in the page family's module of
:mod:`analytics.views`, add one :class:`View` constant below and put it in
:data:`VIEWS`, show it on its page with ``show_view(registry.NAME, …)`` or
add it to the deck plan in :mod:`analytics.report`, and give it a
``view.<key>`` string in :mod:`analytics.i18n`. ``tests/test_registry.py``
then builds it in both languages and checks that a page or the deck uses it.

Adding a page: one :class:`Page` in :data:`PAGES`, its script in
``app_pages/`` and a ``page.<key>`` string.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from analytics import overview as _overview
from analytics.views import (
    album,
    dynamics,
    inequality,
    profile,
    themes,
    tools,
    typology,
)
from analytics.views.overview import composites

__all__ = ["PAGES", "VIEWS", "Page", "View", "by_page", "in_deck"]

#: The inputs a view can take after ``(store, selection)``, with what they are:
#: ``indicator`` (an indicator id), ``theme`` (finance, staffing,
#: competencies), ``benchmark`` (a key of ``BENCHMARK_KEYS``), ``grouping``
#: (``GROUPINGS``), ``index`` (an index key), ``measure`` (cv, theil,
#: sd_log), ``start``/``end`` (years), ``territory`` (a territory id),
#: ``method``/``k`` (typology), ``n`` (how many sentences), ``level``
#: (territory or agglomeration); the tools': ``budget`` and ``amount`` (units
#: of the numerator, None: the page's default), ``close_gap`` (a share),
#: ``scope`` (``tools.SCOPES``), ``weights`` (``tools.WEIGHTS``), ``k_nearest``,
#: ``indicators`` (a tuple of ids, None: the first four per-resident ones),
#: ``neighbourhood`` (``tools.NEIGHBOURHOODS``), ``km``, ``agreements`` (a
#: tuple of (territory_a, territory_b, subject, year)).
PARAMS = (
    "indicator",
    "theme",
    "benchmark",
    "grouping",
    "index",
    "measure",
    "start",
    "end",
    "territory",
    "method",
    "k",
    "n",
    "level",
    "budget",
    "amount",
    "close_gap",
    "scope",
    "weights",
    "k_nearest",
    "indicators",
    "neighbourhood",
    "km",
    "agreements",
    "prices",
)


@dataclass(frozen=True)
class Page:
    """A page of the app: ``page.<key>`` is its title, ``script`` its file."""

    key: str
    script: str
    icon: str


@dataclass(frozen=True)
class View:
    """One view: ``build(store, selection, *args)`` returns a
    :class:`~analytics.chart_model.Chart` (or a result holding charts and
    tables) or raises :class:`~analytics.views.NoData`. A view in two steps
    (``views._common.two_step``) also has ``compute(store, scope, *args)``,
    a frozen result without language, and ``render(result, lang)``."""

    key: str
    build: Callable
    params: tuple[str, ...] = ()
    page: str | None = None
    sections: tuple[str, ...] = ()
    #: The key of the view whose result holds this one (e.g. the overview's
    #: summary holds its composites and gap sentences).
    inside: str | None = None

    @property
    def compute(self) -> Callable | None:
        """``compute(store, scope, *args)`` of a view in two steps (no
        language in it; what the app caches), else None."""
        return getattr(self.build, "compute", None)

    @property
    def render(self) -> Callable | None:
        """``render(result, lang) -> Chart`` of a view in two steps."""
        return getattr(self.build, "render", None)

    def __post_init__(self) -> None:
        unknown = [p for p in self.params if p not in PARAMS]
        if unknown:
            raise ValueError(f"view {self.key}: unknown parameter {unknown[0]!r}")


PAGES: tuple[Page, ...] = (
    Page("overview", "app_pages/overview.py", ":material/location_city:"),
    Page("finance", "app_pages/finance.py", ":material/payments:"),
    Page("staffing", "app_pages/staffing.py", ":material/groups:"),
    Page("competencies", "app_pages/competencies.py", ":material/school:"),
    Page("inequality", "app_pages/inequality.py", ":material/stacked_line_chart:"),
    Page("dynamics", "app_pages/dynamics.py", ":material/trending_up:"),
    Page("typology", "app_pages/typology.py", ":material/category:"),
    Page("album", "app_pages/album.py", ":material/emoji_events:"),
    Page("scenario", "app_pages/scenario.py", ":material/tune:"),
    Page("partners", "app_pages/partners.py", ":material/handshake:"),
    Page("spatial", "app_pages/spatial.py", ":material/map:"),
    Page("profile", "app_pages/profile.py", ":material/badge:"),
    Page("data", "app_pages/data_quality.py", ":material/dataset:"),
    Page("export", "app_pages/export_page.py", ":material/slideshow:"),
)

# The theme pages share one script (app_pages/theme_page.py): "theme".
SUMMARY = View("summary", _overview.summary, page="overview")
COMPOSITES = View("composites", composites, inside="summary")
GAP_SENTENCES = View("gap_sentences", themes.gap_sentences, ("n",), inside="summary")
RANKING = View(
    "ranking",
    themes.ranking,
    ("indicator",),
    page="theme",
    sections=("overview", "staffing", "competencies"),
)
GAP_TO_BENCHMARK = View(
    "gap_to_benchmark",
    themes.gap_to_benchmark,
    ("indicator", "benchmark"),
    page="theme",
    sections=("finance",),
)
CORE_PERIPHERY = View(
    "core_periphery",
    themes.core_periphery,
    ("indicator",),
    page="theme",
    sections=("overview",),
)
HEATMAP = View(
    "heatmap",
    themes.heatmap,
    ("theme",),
    page="theme",
    sections=("finance", "staffing", "competencies"),
)
LORENZ = View("lorenz", inequality.lorenz, ("indicator",), page="inequality")
INDEX_TABLE = View(
    "index_table",
    inequality.index_table,
    ("indicator",),
    page="inequality",
    sections=("inequality",),
)
DECOMPOSITION = View(
    "decomposition",
    inequality.decomposition,
    ("indicator", "grouping"),
    page="inequality",
    sections=("inequality",),
)
COMPARE_AGGLOMERATIONS = View(
    "compare_agglomerations",
    inequality.compare_agglomerations,
    ("indicator", "index"),
    page="inequality",
    sections=("inequality",),
)
SIGMA = View(
    "sigma",
    dynamics.sigma,
    ("indicator", "measure"),
    page="dynamics",
    sections=("dynamics",),
)
BETA = View("beta", dynamics.beta, ("indicator", "start", "end"), page="dynamics")
MOBILITY = View(
    "mobility", dynamics.mobility, ("indicator", "start", "end"), page="dynamics"
)
TYPOLOGY = View(
    "typology",
    typology.typology_view,
    ("method", "k"),
    page="typology",
    sections=("typology",),
)
ALBUM_DEVIANTS = View(
    "album_deviants",
    album.album_deviants,
    ("theme", "start", "level"),
    page="album",
    sections=("practices",),
)
MODELS_COMPARISON = View(
    "models_comparison",
    album.models_comparison,
    ("indicator",),
    page="album",
    sections=("practices",),
)
PROFILE_TABLE = View(
    "profile_table", profile.profile_table, ("territory",), page="profile"
)
PROFILE_TREND = View(
    "profile_trend",
    profile.profile_trend,
    ("territory", "indicator", "prices"),
    page="profile",
)
PROFILE_GAPS = View(
    "profile_gaps",
    profile.profile_gaps,
    ("territory", "indicator"),
    page="profile",
)

SCENARIO_SPLITS = View(
    "scenario_splits",
    tools.split_view,
    ("indicator", "budget"),
    page="scenario",
    sections=("scenario",),
)
SCENARIO_ALLOCATION = View(
    "scenario_allocation",
    tools.allocation_view,
    ("indicator", "budget"),
    page="scenario",
    sections=("scenario",),
)
SCENARIO_TERRITORY = View(
    "scenario_territory",
    tools.territory_view,
    ("indicator", "territory", "amount", "close_gap", "benchmark"),
    page="scenario",
)
PARTNERS = View(
    "partners",
    tools.partners_view,
    ("indicators", "neighbourhood", "km", "agreements"),
    page="partners",
    sections=("partners",),
)
LISA_MAP = View(
    "lisa_map",
    tools.lisa_view,
    ("indicator", "scope", "weights", "k_nearest"),
    page="spatial",
    sections=("spatial",),
)
MORAN_SCATTER = View(
    "moran_scatter",
    tools.moran_view,
    ("indicator", "scope", "weights", "k_nearest"),
    page="spatial",
    sections=("spatial",),
)

#: Every view, in the order of the pages.
VIEWS: tuple[View, ...] = (
    SUMMARY,
    COMPOSITES,
    GAP_SENTENCES,
    RANKING,
    GAP_TO_BENCHMARK,
    CORE_PERIPHERY,
    HEATMAP,
    LORENZ,
    INDEX_TABLE,
    DECOMPOSITION,
    COMPARE_AGGLOMERATIONS,
    SIGMA,
    BETA,
    MOBILITY,
    TYPOLOGY,
    ALBUM_DEVIANTS,
    MODELS_COMPARISON,
    SCENARIO_SPLITS,
    SCENARIO_ALLOCATION,
    SCENARIO_TERRITORY,
    PARTNERS,
    LISA_MAP,
    MORAN_SCATTER,
    PROFILE_TABLE,
    PROFILE_TREND,
    PROFILE_GAPS,
)


def by_page(page: str) -> list[View]:
    """The views a page shows."""
    return [view for view in VIEWS if view.page == page]


def in_deck() -> list[View]:
    """The views the deck shows (in one section or more)."""
    return [view for view in VIEWS if view.sections]
