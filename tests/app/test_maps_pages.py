"""Maps in the app: the typology page keeps points without boundaries and
draws a choropleth with them; the data page lists and removes boundary
files; the inequality page maps a regional indicator (AppTest, asserted on
the plotly specs)."""

from __future__ import annotations

import json
import shutil

import pytest
from streamlit.testing.v1 import AppTest

from analytics import geo

ADM1 = "geo-russia-adm1/russia_adm1_geoboundaries_simplified.geojson"


@pytest.fixture
def store(demo_store, tmp_path, monkeypatch):
    path = tmp_path / "store"
    shutil.copytree(demo_store, path)
    monkeypatch.setenv("AGGLO_STORE", str(path))
    return path


def _run(page: str, lang: str = "ru") -> AppTest:
    at = AppTest.from_file("../../dashboard.py", default_timeout=120)
    at.query_params.update(lang=lang, agg="krasnoyarsk", year="2019")
    at.switch_page(f"app_pages/{page}.py")
    return at.run()


def _traces(at: AppTest) -> list[str]:
    return [
        trace["type"]
        for chart in at.get("plotly_chart")
        for trace in json.loads(chart.proto.spec)["data"]
    ]


def test_typology_without_boundaries_keeps_points_with_a_note(
    store, tmp_path, monkeypatch
):
    monkeypatch.setattr(geo, "SHIPPED_DIR", tmp_path / "no-shipped-boundaries")
    at = _run("typology")
    assert not at.exception
    assert "choropleth" not in _traces(at)
    assert any("«Данные и качество»" in c.value for c in at.caption)


def test_typology_draws_the_shipped_municipal_boundaries_offline(store):
    at = _run("typology")
    assert not at.exception
    assert "choropleth" in _traces(at)
    specs = " ".join(chart.proto.spec for chart in at.get("plotly_chart"))
    assert "OpenStreetMap" in specs  # the ODbL attribution is on the map


def test_boundaries_page_lists_and_removes_a_file(store, shared_data):
    geo.save_boundaries(store, "adm1.geojson", (shared_data / ADM1).read_bytes())
    at = _run("data_quality", "en")
    assert not at.exception
    summary = [t.value for t in at.text if "adm1.geojson" in t.value]
    assert summary == [
        "adm1.geojson: 83 features, 83 matched, 0 unmatched "
        "(key: property «shapeISO», ISO 3166-2 code)."
    ]
    at.button(key="boundary_remove_adm1.geojson").click().run()
    assert not at.exception
    assert geo.saved_files(store) == []
    assert any("removed" in s.value for s in at.success)


def test_inequality_page_maps_regions_with_boundaries(store, shared_data):
    at = _run("inequality")
    assert "choropleth" not in _traces(at)
    geo.save_boundaries(store, "adm1.geojson", (shared_data / ADM1).read_bytes())
    at = _run("inequality")
    assert not at.exception
    assert _traces(at).count("choropleth") == 2  # no-data grey and the values
    assert at.selectbox(key="region_map_indicator").value


def test_typology_draws_a_choropleth_with_municipal_boundaries(store):
    from analytics import selection as sel_
    from analytics.store import open_store

    features = []
    for row in sel_.coordinates(open_store(store)).itertuples():
        x, y = row.longitude, row.latitude
        ring = [[x - 0.1, y - 0.1], [x - 0.1, y + 0.1], [x + 0.1, y + 0.1]]
        features.append(
            {
                "type": "Feature",
                "properties": {"oktmo": row.territory_id},
                "geometry": {"type": "Polygon", "coordinates": [ring + [ring[0]]]},
            }
        )
    data = json.dumps({"type": "FeatureCollection", "features": features})
    geo.save_boundaries(store, "municipal.geojson", data.encode())
    at = _run("typology", "en")
    assert not at.exception
    assert "choropleth" in _traces(at)
    assert any("municipal.geojson" in m.value for m in at.markdown)
