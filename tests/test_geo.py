"""Boundary files: validation, matching to territories, storage
(analytics/geo.py), on the genuine geoBoundaries ADM1 file of Russia."""

from __future__ import annotations

import copy
import json

import pandas as pd
import pytest

from analytics import geo
from analytics.etl.territories import REGIONS_CSV
from analytics.store import open_store

ADM1 = "geo-russia-adm1/russia_adm1_geoboundaries_simplified.geojson"


@pytest.fixture(scope="module")
def adm1_bytes(shared_data) -> bytes:
    return (shared_data / ADM1).read_bytes()


@pytest.fixture(scope="module")
def adm1(adm1_bytes) -> geo.Boundaries:
    return geo.parse_boundaries(adm1_bytes, "adm1.geojson")


@pytest.fixture(scope="module")
def store(demo_store):
    return open_store(demo_store)


def _with_properties(boundaries: geo.Boundaries, make) -> geo.Boundaries:
    collection = copy.deepcopy(boundaries.collection)
    for feature in collection["features"]:
        feature["properties"] = make(feature["properties"])
    return geo.Boundaries(boundaries.name, collection)


def _active_regions() -> pd.DataFrame:
    regions = pd.read_csv(REGIONS_CSV, dtype=str, keep_default_na=False)
    return regions[(regions.level == "region") & (regions.status == "active")]


# ----------------------------------------------------------------- matching


def test_every_subject_matches_by_iso_code(adm1, store):
    match = geo.match_boundaries(adm1, store.territories)
    assert (match.key, match.method) == ("shapeISO", "iso")
    assert (match.matched, match.unmatched) == (83, 0)
    assert len(match.ids) == 83  # one feature per subject, none shared
    by_key = dict(zip(match.keys, match.territory_ids, strict=True))
    assert by_key["RU-MOW"] == "RU-MOW"
    assert by_key["RU-KHM"] == "RU-KHM"


def test_subjects_without_a_boundary_are_the_post_2014_ones(adm1, store):
    # The file is the 2017 geoBoundaries set of 83 subjects: Crimea and
    # Sevastopol (2014) and the four 2022 subjects have no feature; every
    # other active subject of the reference has exactly one.
    match = geo.match_boundaries(adm1, store.territories)
    missing = set(_active_regions().territory_id) - match.ids
    assert missing == {"RU-CR", "RU-SEV", "RU-DPR", "RU-LPR", "RU-ZAP", "RU-KHE"}


def test_english_names_match_through_the_etl_resolver(adm1, store):
    named = _with_properties(adm1, lambda p: {"name": p["shapeName"]})
    match = geo.match_boundaries(named, store.territories)
    assert match.method == "name"
    # geoBoundaries spellings («Leningrad oblast», «North Ossetia–Alania»,
    # «Kaliningrad», «Khanty-Mansiysk Autonomous Okrug – Ugra») are aliases
    assert match.matched == 83, match.unmatched_table("en")
    iso = geo.match_boundaries(adm1, store.territories)
    assert match.territory_ids == iso.territory_ids


def test_russian_names_and_okato_codes_match(adm1, store):
    regions = _active_regions().set_index("territory_id")
    russian = _with_properties(
        adm1, lambda p: {"NAME": regions.loc[p["shapeISO"], "name_ru"]}
    )
    assert geo.match_boundaries(russian, store.territories).matched == 83
    okato = _with_properties(
        adm1, lambda p: {"OKATO": regions.loc[p["shapeISO"], "okato"] + "000000"}
    )
    match = geo.match_boundaries(okato, store.territories)
    assert (match.method, match.matched) == ("code", 83)
    oktmo = _with_properties(
        adm1, lambda p: {"oktmo": regions.loc[p["shapeISO"], "oktmo"]}
    )
    found = geo.match_boundaries(oktmo, store.territories)
    # every active subject of the file has a verified OKTMO heading but the
    # ones the reference leaves empty (see datasets/reference/README.md)
    expected = sum(
        1 for f in adm1.features if regions.loc[f["properties"]["shapeISO"], "oktmo"]
    )
    assert found.matched == expected >= 80


def test_the_key_property_that_matches_most_wins(adm1, store):
    mixed = _with_properties(
        adm1,
        lambda p: {"label": "region", "code": p["shapeISO"], "n": p["shapeName"]},
    )
    match = geo.match_boundaries(mixed, store.territories)
    assert match.key == "code" and match.method == "iso"  # tie with names: ISO


def test_unmatched_features_are_reported_with_their_index(adm1, store):
    broken = copy.deepcopy(adm1.collection)
    broken["features"][5]["properties"].update(shapeISO="RU-XXX", shapeName="Utopia")
    match = geo.match_boundaries(geo.Boundaries("x", broken), store.territories)
    assert match.matched == 82 and match.key == "shapeISO"
    table = match.unmatched_table("ru")
    assert table.to_dict("records") == [{"№ объекта": 5, "ключ в файле": "RU-XXX"}]


def test_municipal_oktmo_codes_match_store_municipalities(store):
    terr = store.territories
    ids = terr.loc[terr.level == "urban_okrug", "territory_id"].head(5).tolist()
    square = [[[30, 50], [30, 51], [31, 51], [31, 50], [30, 50]]]
    features = [
        {
            "type": "Feature",
            "properties": {"OKTMO": int(i)},  # a number: the leading zero is lost
            "geometry": {"type": "Polygon", "coordinates": square},
        }
        for i in ids
    ]
    parsed = geo.parse_boundaries(
        {"type": "FeatureCollection", "features": features}, "m"
    )
    match = geo.match_boundaries(parsed, terr)
    assert match.method == "code"
    # a 7-digit number lost its leading zero and is padded, as the ETL does
    assert match.territory_ids == tuple(ids)


def test_merged_geojson_has_one_feature_per_territory(adm1, store):
    doubled = copy.deepcopy(adm1.collection)
    doubled["features"].append(copy.deepcopy(doubled["features"][0]))
    match = geo.match_boundaries(geo.Boundaries("x", doubled), store.territories)
    merged = match.geojson()
    assert len(merged["features"]) == 83
    first = next(f for f in merged["features"] if f["id"] == match.territory_ids[0])
    assert first["geometry"]["type"] == "MultiPolygon"
    assert match.geojson({"RU-MOW", "RU-SPE"})["features"][0]["id"] in {
        "RU-MOW",
        "RU-SPE",
    }


# ----------------------------------------------------------------- validation


def _error(data, name="bad.geojson") -> geo.BoundaryError:
    with pytest.raises(geo.BoundaryError) as caught:
        geo.parse_boundaries(data, name)
    return caught.value


def test_broken_files_give_clear_errors_naming_file_and_feature(adm1_bytes):
    error = _error(b"{not json", "x.geojson")
    assert "x.geojson" in str(error) and "не JSON" in str(error)
    assert "is not JSON" in error.message("en")

    error = _error(json.dumps({"type": "Polygon", "coordinates": []}))
    assert "FeatureCollection" in str(error) and "Polygon" in str(error)

    assert "нет ни одного объекта" in str(
        _error({"type": "FeatureCollection", "features": []})
    )

    data = json.loads(adm1_bytes)
    data["features"][7]["geometry"] = {"type": "Point", "coordinates": [37, 55]}
    error = _error(data, "adm1.geojson")
    assert "adm1.geojson" in str(error) and "№ 7" in str(error)
    assert "Point" in str(error)
    assert "feature 7" in error.message("en")

    data = json.loads(adm1_bytes)
    data["features"][3]["geometry"]["coordinates"][0][0] = [[1, 2], [3]]
    assert "№ 3" in str(_error(data))

    data = json.loads(adm1_bytes)
    data["features"][0]["geometry"]["coordinates"][0][0][0] = [4187000.0, 7509000.0]
    error = _error(data)
    assert "WGS 84" in str(error) and "EPSG:4326" in error.message("en")

    data = json.loads(adm1_bytes)
    data["features"][2]["geometry"] = None
    assert "null" in str(_error(data))


def test_rings_are_rewound_to_the_orientation_plotly_needs(adm1):
    # RFC 7946 winds outer rings counter-clockwise; d3-geo (plotly) needs
    # them clockwise or it fills the rest of the globe.
    rfc = copy.deepcopy(adm1.collection)
    for feature in rfc["features"]:
        for polygon in feature["geometry"]["coordinates"]:
            for ring in polygon:
                ring.reverse()
    again = geo.parse_boundaries(rfc, "rfc7946.geojson")
    assert again.collection == adm1.collection
    polygon = adm1.features[0]["geometry"]["coordinates"][0]
    assert geo._ring_area(polygon[0]) > 0  # clockwise


# ----------------------------------------------------------------- storage


def test_saved_file_round_trips(tmp_path, adm1_bytes, adm1):
    assert geo.load_boundaries(tmp_path, shipped=False) == []
    shipped = geo.signature(tmp_path)  # the project's own boundaries only
    saved = geo.save_boundaries(tmp_path, "Russia ADM1.GeoJSON", adm1_bytes)
    assert saved.name == "Russia_ADM1.geojson"
    path = tmp_path / "boundaries" / "Russia_ADM1.geojson"
    assert path.read_bytes() == adm1_bytes  # the user's file, as given
    assert not list((tmp_path / "boundaries").glob(".*"))  # no temporary left
    [loaded] = geo.load_boundaries(tmp_path, shipped=False)
    assert loaded.name == "Russia_ADM1.geojson"
    assert loaded.collection == adm1.collection
    signature = geo.signature(tmp_path)
    assert signature and signature[0][0] == "Russia_ADM1.geojson"
    assert geo.remove_boundaries(tmp_path, "Russia ADM1.geojson")
    assert geo.load_boundaries(tmp_path, shipped=False) == []
    assert geo.signature(tmp_path) == shipped
    assert not geo.remove_boundaries(tmp_path, "Russia ADM1.geojson")


def test_a_broken_file_is_not_saved(tmp_path):
    with pytest.raises(geo.BoundaryError):
        geo.save_boundaries(tmp_path, "bad.geojson", b"[]")
    assert geo.saved_files(tmp_path) == []


def test_boundaries_survive_an_etl_run(demo_store, tmp_path, adm1_bytes):
    # boundaries sit beside versions/, which the ETL writes and prunes
    import shutil

    from analytics.etl.pipeline import run_etl
    from tests.conftest import DEMO_RAW

    store = tmp_path / "store"
    shutil.copytree(demo_store, store)
    geo.save_boundaries(store, "adm1.geojson", adm1_bytes)
    run_etl([DEMO_RAW], store)
    assert [b.name for b in geo.load_boundaries(store, shipped=False)] == [
        "adm1.geojson"
    ]


def test_shipped_municipal_boundaries():
    """The project's own boundaries: every current municipality once, by
    OKTMO; Ufa's box as in the source (55.78-56.30 E, 54.55-54.94 N)."""
    [shipped] = [
        b
        for b in geo.load_boundaries("/nonexistent")
        if b.name == "municipalities.geojson"
    ]
    codes = [f["properties"]["oktmo"] for f in shipped.features]
    assert len(codes) == len(set(codes)) >= 2_590
    ufa = next(f for f in shipped.features if f["properties"]["oktmo"] == "80701000")
    ring = ufa["geometry"]["coordinates"][0]
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    assert min(xs) >= 55.7 and max(xs) <= 56.31
    assert min(ys) >= 54.5 and max(ys) <= 54.95
    assert geo.SHIPPED_DIR.joinpath("municipalities.geojson").stat().st_size < 3 << 20


def test_user_file_wins_over_the_shipped_one(tmp_path, adm1_bytes):
    geo.save_boundaries(tmp_path, "mine.geojson", adm1_bytes)
    names = [b.name for b in geo.load_boundaries(tmp_path)]
    assert names[0] == "mine.geojson" and "municipalities.geojson" in names
