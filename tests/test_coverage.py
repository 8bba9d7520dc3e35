"""Coverage shown and enforced: a year with values for few territories is
marked, and its median and ratios are not presented as the agglomeration's."""

from __future__ import annotations

import dataclasses

import pytest

from analytics import coverage, views
from analytics import selection as sel_
from analytics.selection import Selection
from analytics.store import open_store

AGG, INDICATOR = "samara_togliatti", "budget_revenue_per_capita"


@pytest.fixture(scope="module")
def thin(demo_store):
    """The demo store with 2023 values of the indicator for 5 of the 17
    territories only."""
    store = open_store(demo_store)
    ids = sel_.members(store, AGG)["territory_id"].tolist()
    obs = store.observations
    drop = (
        (obs["indicator_id"] == INDICATOR)
        & (obs["year"] == 2023)
        & obs["territory_id"].isin(ids[5:])
    )
    kept = obs[~drop].reset_index(drop=True)
    return dataclasses.replace(store, observations=kept, territory_codes=None)


def test_the_selector_marks_the_partial_indicator(thin):
    ids = sel_.members(thin, AGG)["territory_id"].tolist()
    found = coverage.indicator_coverage(thin, ids, [INDICATOR], 2023)
    assert found[INDICATOR] == coverage.Coverage(5, 17)
    assert found[INDICATOR].label("ru") == "5 из 17 территорий"
    assert coverage.year_label(2023, coverage.Coverage(5, 17)) == "2023 · 5 из 17"


def test_no_median_or_ratio_from_5_of_17(thin):
    chart = views.ranking(thin, Selection(AGG, 2023, True, "ru"), INDICATOR)
    assert "5 из 17" in chart.caption and "раза" not in chart.caption
    assert not [s for s in chart.figure.layout.shapes if s.type == "line"]
    with pytest.raises(views.NoData, match="5 из 17"):
        views.gap_to_benchmark(thin, Selection(AGG, 2023, True, "ru"), INDICATOR)


def test_a_full_year_is_left_alone(thin):
    chart = views.ranking(thin, Selection(AGG, 2022, True, "ru"), INDICATOR)
    assert "раза" in chart.caption and "из 17" not in chart.caption
