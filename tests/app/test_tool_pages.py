"""The scenario, partners and spatial pages on the demo store: titles, and
their widgets change what is drawn."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

TITLES = {
    "scenario": ("Сценарии «что если»", "What-if scenarios"),
    "partners": ("Партнёры для сотрудничества", "Cooperation partners"),
    "spatial": ("Пространственная структура", "Spatial structure"),
}


@pytest.fixture
def app(demo_store, monkeypatch):
    monkeypatch.setenv("AGGLO_STORE", str(demo_store))

    def make(page: str, **query) -> AppTest:
        at = AppTest.from_file("../../dashboard.py", default_timeout=120)
        for key, value in query.items():
            at.query_params[key] = value
        at.switch_page(f"app_pages/{page}.py")
        return at.run()

    return make


def _titles(at: AppTest) -> list[str]:
    return [
        json.loads(chart.proto.spec)["layout"]["title"]["text"]
        for chart in at.get("plotly_chart")
    ]


def test_tool_pages_have_their_titles(app):
    """Rendering in both languages is tests/app/test_pages.py's (the pages
    are in the registry); here: the titles in both languages."""
    for page, titles in TITLES.items():
        for lang, title in zip(("ru", "en"), titles, strict=True):
            at = app(page, lang=lang, agg="novosibirsk", year="2020")
            assert not at.exception, [e.value for e in at.exception]
            assert at.title[0].value == title
            if page == "scenario":
                break  # the other language is checked on the next pages


def test_scenario_budget_and_territory_change_the_charts(app):
    at = app("scenario", lang="ru", agg="novosibirsk", year="2020")
    before = _titles(at)
    budget = next(n for n in at.number_input if n.key.startswith("scenario_budget_"))
    budget.set_value(250.0).run()
    assert not at.exception
    after = _titles(at)
    assert "250,00 млн руб." in after[0] and after[0] != before[0]
    at.radio(key="scenario_mode").set_value("close_gap").run()
    assert not at.exception
    assert "сокращается на 50 %" in _titles(at)[2].replace("<br>", " ")


def test_spatial_weights_change_the_statistic(app):
    at = app("spatial", lang="ru", agg="novosibirsk", year="2020")
    queen = [c.value for c in at.markdown if "I Морана" in c.value]
    at.radio(key="spatial_weights").set_value("knn").run()
    assert not at.exception
    knn = [c.value for c in at.markdown if "I Морана" in c.value]
    assert queen and knn and queen != knn
