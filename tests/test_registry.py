"""The registry of views: every view builds on the embedded data in both
languages, is shown by a page or the deck, and every string has both
languages (as sqlite-utils' test_docs checks that every command is
documented)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from analytics import i18n, overview, views
from analytics import selection as sel_
from analytics.chart_model import Chart
from analytics.selection import Selection
from analytics.store import open_store
from analytics.views import registry

ROOT = Path(__file__).resolve().parents[1]
AGG = "samara_togliatti"
YEAR = 2023


@pytest.fixture(scope="module")
def store(demo_store):
    return open_store(demo_store)


def _args(store, view: registry.View) -> tuple:
    """Inputs of a view on the demo data (the first option a page offers)."""
    ids = sel_.members(store, AGG)["territory_id"].tolist()
    finance = overview.key_indicator(store, "finance", ids)
    values = {
        "indicator": finance,
        "theme": "finance",
        "benchmark": "median",
        "grouping": "role",
        "index": "theil",
        "measure": "cv",
        "start": 2015,
        "end": YEAR,
        "territory": ids[0],
        "method": "kmeans",
        "k": "auto",
        "n": 5,
        "level": "territory",
        "budget": None,  # the tools' page defaults
        "amount": 1e8,
        "close_gap": None,
        "scope": "agglomeration",
        "weights": "queen",
        "k_nearest": 6,
        "indicators": None,
        "neighbourhood": "border",
        "km": 50.0,
        "agreements": (),
        "prices": 2023,  # the first option is current prices; this is the other
    }
    return tuple(values[p] for p in view.params)


def _charts(result) -> list[Chart]:
    """The charts of a result (a chart, or a result holding charts)."""
    if isinstance(result, Chart):
        return [result]
    return [v for v in vars(result).values() if isinstance(v, Chart)]


@pytest.mark.parametrize("view", registry.VIEWS, ids=lambda v: v.key)
def test_every_view_builds_in_both_languages(store, view):
    built = {}
    for lang in i18n.LANGS:
        result = view.build(
            store, Selection(AGG, YEAR, True, lang), *_args(store, view)
        )
        assert result is not None
        built[lang] = result
    charts = {lang: _charts(r) for lang, r in built.items() if not hasattr(r, "shape")}
    for lang, found in charts.items():
        for chart in found:
            assert chart.title, (view.key, lang)
            assert chart.footer(lang)
    if charts.get("ru") and charts.get("en"):  # the language changes the words
        assert [c.title for c in charts["ru"]] != [c.title for c in charts["en"]]


def test_every_view_is_on_a_page_or_in_the_deck():
    names = {
        getattr(registry, name): name
        for name in dir(registry)
        if isinstance(getattr(registry, name), registry.View)
    }
    assert set(names) == set(registry.VIEWS), "a View constant is not in VIEWS"
    report = (ROOT / "analytics" / "report.py").read_text(encoding="utf-8")
    for view in registry.VIEWS:
        name = names[view]
        assert view.page or view.sections or view.inside, view.key
        if view.inside:
            assert view.inside in {v.key for v in registry.VIEWS}, view.key
        if view.page:
            script = "theme_page" if view.page == "theme" else view.page
            source = (ROOT / "app_pages" / f"{script}.py").read_text(encoding="utf-8")
            assert f"registry.{name}" in source, f"{view.key}: not on page {script}"
        if view.sections:
            assert f"r.{name}" in report, f"{view.key}: not in the deck plan"


def test_every_page_has_a_script_and_a_title():
    for page in registry.PAGES:
        assert (ROOT / page.script).is_file(), page.script
        for lang in i18n.LANGS:
            assert i18n.t(f"page.{page.key}", lang)


def test_every_string_has_both_languages_and_the_same_placeholders():
    for key, entry in i18n.STRINGS.items():
        assert set(entry) == set(i18n.LANGS), f"{key}: {sorted(entry)}"
        fields = {
            lang: set(re.findall(r"\{(\w+)", text)) for lang, text in entry.items()
        }
        assert fields["ru"] == fields["en"], f"{key}: {fields}"


def test_a_missing_translation_fails_in_tests(monkeypatch):
    assert i18n.STRICT  # set by conftest
    monkeypatch.setitem(i18n.STRINGS, "test.only_ru", {"ru": "только"})
    with pytest.raises(KeyError, match="no 'en' translation"):
        i18n.t("test.only_ru", "en")
    monkeypatch.setattr(i18n, "STRICT", False)
    assert i18n.t("test.only_ru", "en") == "только"  # the app falls back


@pytest.mark.parametrize(
    ("n", "ru", "en"),
    [
        (1, "1 файл", "1 file"),
        (2, "2 файла", "2 files"),
        (5, "5 файлов", "5 files"),
        (11, "11 файлов", "11 files"),
        (14, "14 файлов", "14 files"),
        (21, "21 файл", "21 files"),
        (22, "22 файла", "22 files"),
        (111, "111 файлов", "111 files"),
    ],
)
def test_plural_forms(monkeypatch, n, ru, en):
    monkeypatch.setitem(
        i18n.STRINGS,
        "test.files",
        {"ru": "{n} {n|файл|файла|файлов}", "en": "{n} {n|file|files}"},
    )
    assert i18n.t("test.files", "ru", n=n) == ru
    assert i18n.t("test.files", "en", n=n) == en


def test_nodata_is_the_views_state(store):
    with pytest.raises(views.NoData):
        registry.RANKING.build(store, Selection(AGG, 1990, True, "en"), "population")


def test_two_step_views_compute_once_for_both_languages(store):
    two_step = [v for v in registry.VIEWS if v.compute is not None]
    assert two_step  # sigma at least
    for view in two_step:
        args = _args(store, view)
        result = view.compute(store, Selection(AGG, YEAR, True, "ru").scope, *args)
        assert dataclasses.is_dataclass(result)
        assert result.__dataclass_params__.frozen
        assert "lang" not in {f.name for f in dataclasses.fields(result)}
        for lang in i18n.LANGS:
            once = view.render(result, lang)
            direct = view.build(store, Selection(AGG, YEAR, True, lang), *args)
            assert once.title == direct.title and once.caption == direct.caption
            assert once.figure.to_json() == direct.figure.to_json()
