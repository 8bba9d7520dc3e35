"""Every page renders in both languages on the demo store, and the widgets
change what is drawn (asserted on the plotly specs, not only "no exception")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analytics.views import registry

# every analysis page of the registry (the export page has its own tests)
PAGES = [Path(p.script).stem for p in registry.PAGES if p.key != "export"]
TITLES = {
    "ru": {
        "finance": "Финансы",
        "inequality": "Неравенство",
        "data_quality": "Данные и качество",
    },
    "en": {
        "finance": "Finance",
        "inequality": "Inequality",
        "data_quality": "Data & quality",
    },
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


def _figures(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def _titles(at: AppTest) -> list[str]:
    return [fig["layout"]["title"]["text"] for fig in _figures(at)]


@pytest.mark.parametrize("lang", ["ru", "en"])
@pytest.mark.parametrize("page", PAGES)
def test_page_renders(app, page, lang):
    at = app(page, lang=lang, agg="krasnoyarsk", year="2020")
    assert not at.exception, [e.value for e in at.exception]
    assert at.title, "every page has a title"
    if page in TITLES[lang]:
        assert at.title[0].value == TITLES[lang][page]
    if page not in ("data_quality", "overview"):
        assert _figures(at), f"{page} draws no chart"
    # The demo banner says the values are synthetic, on every page.
    banner = "синтетические" if lang == "ru" else "synthetic"
    assert any(banner in w.value for w in at.warning)
    # Sentences are in the chosen language (no Cyrillic captions in English
    # figure titles apart from territory names, which have English names).
    if lang == "en":
        for title in _titles(at):
            assert not any("а" <= ch <= "я" for ch in title.lower()), title


def test_overview_shows_headlines_members_and_gaps(app):
    at = app("overview", lang="ru", agg="krasnoyarsk", year="2020")
    assert "Красноярская" in at.title[0].value
    labels = [m.label for m in at.metric]
    assert any(label.startswith("Джини") for label in labels)
    members = at.dataframe[0].value
    assert "ядро" in set(members["Роль"])
    assert len(at.markdown) >= 3  # biggest-gap sentences


def test_agglomeration_and_year_change_the_chart(app):
    first = app("finance", lang="ru", agg="krasnoyarsk", year="2020")
    second = app("finance", lang="ru", agg="novosibirsk", year="2015")
    a, b = _figures(first)[0], _figures(second)[0]
    assert "2020" in a["layout"]["title"]["text"]
    assert "2015" in b["layout"]["title"]["text"]
    names_a = {y for trace in a["data"] for y in trace["y"]}
    names_b = {y for trace in b["data"] for y in trace["y"]}
    assert names_a.isdisjoint(names_b), "territories follow the agglomeration"


def test_indicator_widget_changes_the_ranking(app):
    at = app("finance", lang="ru", agg="krasnoyarsk", year="2020")
    before = _titles(at)[0]
    # AppTest formats options twice when a format_func is set, so pick the
    # other indicator through the widget's state key, as a click would.
    current = at.session_state["ind_finance"]
    other = next(
        i for i in ("own_revenue_per_capita", "transfer_dependence") if i != current
    )
    at.session_state["ind_finance"] = other
    at.run()
    assert not at.exception
    assert _titles(at)[0] != before


def test_weighting_toggle_changes_the_indices(app):
    at = app("inequality", lang="ru", agg="krasnoyarsk", year="2020")
    footers = json.dumps(_figures(at)[1]["layout"]["annotations"], ensure_ascii=False)
    assert "взвешено по населению" in footers
    weighted = _figures(at)[1]["data"][0]["x"]
    at.toggle(key="weighted").set_value(False).run()
    unweighted = _figures(at)[1]["data"][0]["x"]
    assert weighted != unweighted
    footers = json.dumps(_figures(at)[1]["layout"]["annotations"], ensure_ascii=False)
    assert "без взвешивания" in footers


def test_selection_is_written_to_the_url(app):
    at = app("finance", lang="en", agg="perm", year="2018")
    assert at.query_params["agg"] == ["perm"] or at.query_params["agg"] == "perm"
    assert "2018" in str(at.query_params["year"])


def test_empty_store_explains_instead_of_failing(tmp_path, monkeypatch):
    from analytics.etl.pipeline import run_etl

    (tmp_path / "raw").mkdir()
    store = tmp_path / "store"
    run_etl([tmp_path / "raw"], store)
    monkeypatch.setenv("AGGLO_STORE", str(store))
    at = AppTest.from_file("../../dashboard.py", default_timeout=60)
    at.switch_page("app_pages/finance.py").run()
    assert not at.exception
    messages = [m.value for m in (*at.info, *at.error)]
    assert any("make etl" in m for m in messages), messages


def test_typology_method_and_k_change_the_scatter(app):
    at = app("typology", lang="en", agg="krasnoyarsk", year="2020")
    auto = _figures(at)[0]["layout"]["title"]["text"]
    at.select_slider(key="typology_k").set_value(4).run()
    assert not at.exception
    four = _figures(at)[0]
    assert (
        "k = 4" in four["layout"]["title"]["text"]
        and auto != four["layout"]["title"]["text"]
    )
    assert len(four["data"]) == 4  # one trace per type


def test_album_lists_deviants_and_models(app):
    at = app("album", lang="ru", agg="krasnoyarsk", year="2020")
    titles = _titles(at)
    assert any("сокращал разрыв" in title for title in titles)
    assert any("Модели управления" in title for title in titles)
    models = at.dataframe[0].value
    assert {"совет агломерации", "проект агломерации"} <= set(models["модель"])


def test_click_hint_only_under_charts_of_territories(app):
    hint = "Click a territory on the chart to open its profile."
    finance = app("finance", lang="en", agg="krasnoyarsk", year="2020")
    assert hint in [c.value for c in finance.caption]
    # the Lorenz curve carries names, not territory ids: nothing to click
    inequality = app("inequality", lang="en", agg="krasnoyarsk", year="2020")
    assert hint not in [c.value for c in inequality.caption]


def test_indicator_names_and_units_follow_the_language(app):
    at = app("finance", lang="en", agg="krasnoyarsk", year="2020")
    options = at.selectbox(key="ind_finance").options
    assert options and not any("руб" in o or "жител" in o for o in options), options


def test_a_page_of_charts_offers_them_all_in_one_zip(app):
    import io
    import zipfile

    from analytics.export.bundle import charts_to_zip

    at = app("finance", lang="ru", agg="krasnoyarsk", year="2020")
    buttons = {b.key: b.label for b in at.get("download_button")}
    assert buttons["download_page_charts"].startswith("Скачать все графики страницы")
    # the session keeps how to rebuild each chart (a cached call), not charts
    charts = [rebuild() for rebuild in at.session_state["_charts"].values()]
    data = charts_to_zip(charts[:2], title="графики", lang="ru")
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert "графики.xlsx" in names
    assert sum(n.endswith(".csv") for n in names) == 2
