"""analytics.views.tools on the demo store: the charts carry the numbers the
library gives for the same data, taken by an independent path."""

from __future__ import annotations

import numpy as np
import pytest

from analytics import indices, scenario, spatial
from analytics import selection as sel_
from analytics.selection import Selection
from analytics.store import open_store
from analytics.views import NoData
from analytics.views import tools as tool_views

AGG, YEAR, INDICATOR = "novosibirsk", 2020, "budget_revenue_per_capita"


@pytest.fixture(scope="module")
def store(demo_store):
    return open_store(demo_store)


@pytest.fixture(scope="module")
def layer():
    layer = tool_views.municipal_layer()
    if layer is None:
        pytest.skip("no municipal boundaries (shipped file or ../shared/data)")
    return layer


def _panel(store):
    ids = sel_.members(store, AGG)["territory_id"].tolist()
    panel = sel_.panel(store, INDICATOR, ids, [YEAR]).dropna(subset=["value"])
    return panel.dropna(subset=["population"]).sort_values("territory_id")


def test_splits_are_the_library_on_the_store_values(store):
    selection = Selection(AGG, YEAR, True, "ru")
    chart = tool_views.split_view(store, selection, INDICATOR, 5e8)
    panel = _panel(store)
    x = panel["value"].to_numpy()
    p = panel["population"].to_numpy()
    after = scenario.apply(x, p, scenario.level_up(x, p, 5e8))
    table = chart.extra["table"].set_index("split")
    assert table.at["level_up", "gini_weighted"] == pytest.approx(
        indices.gini(after, weights=p), abs=1e-12
    )
    assert table.at["none", "theil"] == pytest.approx(indices.theil(x), abs=1e-12)
    assert "500,00 млн руб." in chart.title
    assert chart.caption.startswith("Выравнивание снизу снижает индекс Джини")
    # the same chart in English speaks English
    english = tool_views.split_view(
        store, Selection(AGG, YEAR, True, "en"), INDICATOR, 5e8
    )
    assert english.title.startswith("How to split 500.00 mn RUB")


def test_territory_scenario_view(store):
    selection = Selection(AGG, YEAR, True, "ru")
    panel = _panel(store)
    poorest = panel.sort_values("value").iloc[0]
    chart = tool_views.territory_view(
        store, selection, INDICATOR, poorest["territory_id"], amount=1e8
    )
    evaluation = chart.extra["evaluation"]
    at = list(panel["territory_id"]).index(poorest["territory_id"])
    assert evaluation.table["after"].iloc[at] == pytest.approx(
        poorest["value"] + 1e8 / poorest["population"]
    )
    assert evaluation.table["rank_before"].iloc[at] == len(panel)
    assert "100,00 млн руб." in chart.title


def test_lisa_equals_spatial_on_the_layer(store, layer):
    selection = Selection(AGG, YEAR, True, "en")
    chart = tool_views.lisa_view(store, selection, INDICATOR)
    panel = _panel(store)
    sub = layer.subset(panel["territory_id"].tolist())
    values = panel.set_index("territory_id").loc[list(sub.territory_ids), "value"]
    expected = spatial.moran(values.to_numpy(), sub.neighbours())
    result = tool_views.spatial_result(store, selection, INDICATOR)
    assert pytest.approx(expected.I, abs=1e-12) == result.moran.I
    assert len(chart.data) == len(sub.territory_ids)
    # the sentence claims clustering only with p < 0.05
    if result.moran.p_sim >= 0.05:
        assert not chart.caption.startswith(
            ("Lagging territories cluster", "Neighbours")
        )
    assert "OpenStreetMap" in chart.figure.layout.annotations[0].text
    scatter = tool_views.moran_view(store, selection, INDICATOR, weights="knn", k=4)
    assert scatter.figure.data[-1].name.startswith("I = ")


def test_partners_pairs_share_a_border(store, layer):
    selection = Selection(AGG, YEAR, True, "ru")
    ids = sel_.members(store, AGG)["territory_id"].tolist()
    chosen = tuple(tool_views.per_resident_indicators(store, ids)[:4])
    chart = tool_views.partners_view(
        store,
        selection,
        chosen,
        agreements=(("50701000", "50640000", "транспорт", 2021),),
    )
    pairs = chart.extra["pairs"]
    assert len(pairs) and (pairs["score"] > 0).all()
    sub = layer.subset(ids)
    neighbours = sub.neighbours()
    position = {tid: i for i, tid in enumerate(sub.territory_ids)}
    for a, b in zip(pairs["territory_a"], pairs["territory_b"], strict=True):
        assert position[b] in neighbours[position[a]]
    names = [trace.name for trace in chart.figure.data]
    assert "действующее соглашение" in names and "предложение" in names
    assert chart.data.columns.tolist() == ["Пара", "Оценка", "Взаимно", "Почему"]


def test_without_boundaries(store, monkeypatch):
    monkeypatch.setattr(tool_views, "municipal_layer", lambda: None)
    selection = Selection(AGG, YEAR, True, "ru")
    with pytest.raises(NoData, match="Нет границ муниципалитетов"):
        tool_views.spatial_result(store, selection, "doctors_per_10k")
    # partners fall back to the distance between centres
    ids = sel_.members(store, AGG)["territory_id"].tolist()
    chosen = tuple(tool_views.per_resident_indicators(store, ids)[:3])
    result = tool_views.partners_result(
        store, selection, chosen, neighbourhood="border", km=80
    )
    assert result.neighbourhood == "distance" and not result.has_boundaries
    assert np.isfinite(result.lon).all()


def test_contiguity_of_a_subset_from_the_whole_layer(layer):
    """The app restricts the layer's contiguity (built once) to a subset;
    it equals the contiguity of the subset's own polygons."""
    ids = [t for t in layer.territory_ids if t.startswith(("80", "92", "50"))][::-1]
    restricted = tool_views.queen_among(layer, ids)
    direct = layer.subset(ids).neighbours()
    assert {i: sorted(js) for i, js in restricted.items()} == direct
    assert sum(map(len, direct.values())) > 300
