"""Views explain why there is nothing to draw."""

from __future__ import annotations

import pytest

from analytics import views
from analytics.selection import Selection
from analytics.store import open_store


@pytest.fixture(scope="module")
def store(demo_store):
    return open_store(demo_store)


def test_missing_regional_benchmark_is_named_not_blamed_on_the_territories(store):
    # the demo's regions publish no local budget figures: the territories have
    # values, the regional benchmark has none
    indicator = "budget_expenditure_per_capita"
    chart = views.gap_to_benchmark(store, Selection("barnaul", 2015), indicator)
    assert len(chart.data) >= 3
    with pytest.raises(views.NoData, match="уровня региона значения нет"):
        views.gap_to_benchmark(store, Selection("barnaul", 2015), indicator, "region")
    with pytest.raises(views.NoData, match="the regional level has none"):
        views.gap_to_benchmark(
            store, Selection("barnaul", 2015, lang="en"), indicator, "region"
        )



@pytest.mark.parametrize("lang", ["ru", "en"])
def test_gap_sentences_end_with_one_point(store, lang):
    # «п. п.» ends with its own point: the sentence must not add a second one
    sentences = []
    for agg in ("samara_togliatti", "barnaul", "krasnodar", "perm"):
        for year in (2015, 2023):
            table = views.gap_sentences(store, Selection(agg, year, lang=lang), n=20)
            sentences += table["sentence"].tolist() if len(table) else []
    assert sentences
    if lang == "ru":  # the case in question occurs in the demo data
        assert [s for s in sentences if s.endswith("п. п.")]
    assert not [s for s in sentences if s.endswith("..") or not s.endswith(".")]
