"""The territory profile's gaps to each benchmark over the years."""

from __future__ import annotations

import pytest

from analytics import selection as sel_
from analytics import views
from analytics.selection import Selection
from analytics.store import open_store

AGG, TERRITORY, CORE = "samara_togliatti", "36604000", "36701000"
INDICATOR = "budget_revenue_per_capita"


@pytest.fixture(scope="module")
def store(demo_store):
    return open_store(demo_store)


def test_share_of_the_core_is_the_ratio_of_the_two_values(store):
    selection = Selection(AGG, 2023, True, "ru")
    chart = views.profile_gaps(store, selection, TERRITORY, INDICATOR)
    panel = sel_.panel(store, INDICATOR, [TERRITORY, CORE]).set_index(
        ["territory_id", "year"]
    )["value"]
    data = chart.data.set_index(["Ориентир", "Год"]).iloc[:, 0]
    for year in (2010, 2023):
        expected = panel[(TERRITORY, year)] / panel[(CORE, year)]
        assert data[("ядра", year)] == pytest.approx(expected, rel=1e-9)
    # closing or not, read off the two ends of the core line
    start = panel[(TERRITORY, 2010)] / panel[(CORE, 2010)]
    end = panel[(TERRITORY, 2023)] / panel[(CORE, 2023)]
    word = "разрыв сократился" if abs(1 - end) < abs(1 - start) else "разрыв вырос"
    assert f"до ядра: {start:.2f} → {end:.2f}".replace(".", ",") in chart.caption
    assert word in chart.caption.split(";")[0]
