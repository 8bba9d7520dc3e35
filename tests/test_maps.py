"""Choropleth maps (analytics/maps.py): figure specs on the genuine ADM1 file
of Russia, the typology and region views on the demo store, and an offline
render with kaleido (plotly must fetch nothing)."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from analytics import export, geo, maps, views
from analytics import selection as sel_
from analytics.selection import Selection
from analytics.store import open_store

ADM1 = "geo-russia-adm1/russia_adm1_geoboundaries_simplified.geojson"


@pytest.fixture(scope="module")
def store(demo_store):
    return open_store(demo_store)


@pytest.fixture(scope="module")
def adm1(shared_data) -> geo.Boundaries:
    return geo.parse_boundaries((shared_data / ADM1).read_bytes(), "adm1.geojson")


@pytest.fixture(scope="module")
def adm1_match(adm1, store) -> geo.BoundaryMatch:
    return geo.match_boundaries(adm1, store.territories)


@pytest.fixture(scope="module")
def municipal(store) -> geo.Boundaries:
    """Synthetic municipal boundaries: a small square around each centre of
    the reference (the project ships no municipal polygons)."""
    features = []
    for row in sel_.coordinates(store).itertuples():
        x, y, d = row.longitude, row.latitude, 0.1
        ring = [[x - d, y - d], [x - d, y + d], [x + d, y + d], [x + d, y - d]]
        features.append(
            {
                "type": "Feature",
                "properties": {"oktmo": row.territory_id},
                "geometry": {"type": "Polygon", "coordinates": [ring + [ring[0]]]},
            }
        )
    return geo.parse_boundaries(
        {"type": "FeatureCollection", "features": features}, "municipal.geojson"
    )


def _selection(lang="ru", year=2019) -> Selection:
    return Selection(
        agglomeration_id="krasnoyarsk", year=year, weighted=True, lang=lang
    )


def _no_urls(fig) -> None:
    text = fig.to_json()
    assert not re.search(r"https?://|//cdn|mapbox|maplibre|tile", text), re.search(
        r".{40}(https?://|//cdn|mapbox|maplibre|tile).{40}", text
    )


def _offline_ready(fig) -> None:
    """The first trace has no locationmode, so plotly.js fetches no topojson,
    and the base map is off."""
    first = fig.data[0]
    assert first.type == "scattergeo" and first.locationmode is None
    assert first.locations is None and len(first.lon) == 1
    assert fig.layout.geo.visible is False
    assert {t.type for t in fig.data[1:]} == {"choropleth"}
    assert all(t.geojson is not None for t in fig.data[1:])


# ----------------------------------------------------------------- builder


def test_categorical_choropleth_spec(adm1_match):
    geojson = adm1_match.geojson()
    df = pd.DataFrame(
        {
            "territory_id": ["RU-MOW", "RU-SPE", "RU-TA", "RU-NOWHERE"],
            "name": ["Москва", "Санкт-Петербург", "Татарстан", "—"],
            "type": ["A", "B", "A", "B"],
            "highlight": [True, False, False, False],
        }
    )
    fig = maps.choropleth(
        df, geojson, title="T", footer="F", category="type", highlight="highlight"
    )
    _offline_ready(fig)
    _no_urls(fig)
    a, b, outline = fig.data[1:]
    assert (a.name, list(a.locations)) == ("A", ["RU-MOW", "RU-TA"])
    assert (b.name, list(b.locations)) == ("B", ["RU-SPE"])  # no feature: left out
    assert a.colorscale[0][1] == "#0072B2" and b.colorscale[0][1] == "#E69F00"
    assert a.showlegend and not a.showscale
    assert list(outline.locations) == ["RU-MOW"] and outline.marker.line.width == 1.5
    assert "Москва" in str(a.customdata[0])
    assert fig.layout.annotations[-1].text == "F"  # the footer of charts.finish_layout


def test_continuous_choropleth_is_direction_aware(adm1_match):
    geojson = adm1_match.geojson()
    df = pd.DataFrame(
        {
            "territory_id": ["RU-MOW", "RU-SPE", "RU-TA"],
            "name": ["Москва", "Санкт-Петербург", "Татарстан"],
            "value": [10.0, 20.0, 40.123456],
        }
    )
    up = maps.choropleth(
        df, geojson, title="T", footer="F", value="value", unit="руб.", direction=1
    )
    down = maps.choropleth(
        df, geojson, title="T", footer="F", value="value", unit="руб.", direction=-1
    )
    _offline_ready(up)
    trace = up.data[1]
    assert list(trace.z) == [10.0, 20.0, 40.123456]
    assert trace.zmid == 20.0  # the median
    # red = behind: the low end is red when higher is better, and the high
    # end when lower is better
    assert up.data[1].colorscale[0][1] == "#B2182B"
    assert down.data[1].colorscale[-1][1] == "#B2182B"
    assert list(trace.customdata[2]) == ["Татарстан", "40,1235 руб."]
    assert trace.colorbar.title.text == "руб."


def test_exact_values_keep_their_digits():
    assert maps.exact(49.4, "ru") == "49,4"
    assert maps.exact(1234567.0, "en") == "1,234,567"
    assert maps.exact(0.000123456, "en") == "0.00012346"


def test_the_country_map_is_framed_across_the_antimeridian(adm1_match):
    geojson = adm1_match.geojson()
    west, _, east, _ = maps._bounds(geojson)
    assert west < -170 and east > 170  # Chukotka is split at 180°
    fig = maps.choropleth(
        pd.DataFrame({"territory_id": ["RU-CHU"], "name": ["x"], "c": ["A"]}),
        geojson,
        title="T",
        footer="F",
        category="c",
    )
    geo_layout = fig.layout.geo
    assert geo_layout.projection.type == "albers"
    assert geo_layout.lonaxis.range[0] > 15 and geo_layout.lonaxis.range[1] > 185


# ----------------------------------------------------------------- views


def test_region_map_shows_the_stores_regional_values(store, adm1_match):
    chart = maps.region_map(store, _selection(), "doctors_per_10k", [adm1_match])
    _offline_ready(chart.figure)
    _no_urls(chart.figure)
    values = chart.figure.data[-1]
    panel = sel_.panel(store, "doctors_per_10k", list(adm1_match.ids), [2019]).dropna(
        subset=["value"]
    )
    expected = dict(zip(panel.territory_id, panel.value, strict=True))
    assert dict(zip(values.locations, values.z, strict=True)) == expected
    assert len(expected) >= 10
    grey = chart.figure.data[1]
    assert len(grey.locations) == 83 - len(expected)  # the rest: no data
    assert chart.year == "2019" and chart.unit and chart.source
    assert "2019" in chart.figure.layout.title.text
    assert chart.unit in chart.figure.layout.annotations[-1].text
    assert f"у {len(expected)} регионов из 83" in chart.caption


def test_region_map_without_boundaries_explains(store):
    with pytest.raises(views.NoData, match="файл границ регионов"):
        maps.region_map(store, _selection(), "doctors_per_10k", [])


def test_typology_map_uses_municipal_boundaries(store, municipal, adm1_match):
    selection = _selection("en")
    result = views.typology_view(store, selection)
    data = result.scatter.data
    found = [geo.match_boundaries(municipal, store.territories), adm1_match]
    chart = maps.typology_map(
        store, selection, data, result.scatter.year, result.scatter.source, found
    )
    assert chart is not None
    fig = chart.figure
    _offline_ready(fig)
    _no_urls(fig)
    context, *types, outline = fig.data[1:]
    assert len(context.locations) == 83  # regions under the municipalities
    drawn = {i for t in types for i in t.locations}
    assert drawn == set(found[0].ids) & set(data.territory_id)
    assert {t.name for t in types} <= set(data["type"])
    own = store.territories.query("agglomeration_id == 'krasnoyarsk'").territory_id
    assert set(outline.locations) == drawn & set(own)
    assert "municipal.geojson" in chart.caption
    # regions only: no municipal boundaries, so the page keeps the points
    assert maps.typology_map(store, selection, data, "2019", "", [adm1_match]) is None


# ----------------------------------------------------------------- rendering


def test_kaleido_renders_the_choropleth_offline(store, adm1_match, tmp_path):
    if not export.export_status().available:
        pytest.skip("no Chromium for kaleido on this machine")
    chart = maps.region_map(store, _selection(), "doctors_per_10k", [adm1_match])
    # the machine has no network: a figure that made plotly.js fetch its
    # topojson would fail here ("unexpected error while fetching topojson")
    png = export.figure_bytes(chart.figure, "png", width=1200, height=700, scale=1)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
    (tmp_path / "region_map.png").write_bytes(png)
    svg = export.figure_bytes(chart.figure, "svg", width=1200, height=700)
    # one filled path per region drawn (83 features)
    assert svg.count(b'class="choroplethlocation"') >= 83
    assert json.loads(chart.figure.to_json())["layout"]["geo"]["visible"] is False
