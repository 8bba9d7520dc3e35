"""The agglomeration reference tables: the official list of 52 agglomerations,
their member municipalities, and the municipal territory reference."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from matplotlib.path import Path as PolygonPath

from analytics.etl.clean import parse_value
from analytics.etl.territories import REFERENCE_DIR, load_resolver
from analytics.store import TERRITORY_COLUMNS

MODELS = {"council", "merged", "project", "none", "unknown"}
ROLES = {"core", "ring", "periphery"}
OFFICIAL_ROWS = 396  # the official list, merged rows included


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(REFERENCE_DIR / name, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def aggs() -> pd.DataFrame:
    return _read("agglomerations.csv")


@pytest.fixture(scope="module")
def members() -> pd.DataFrame:
    return _read("agglomeration_members.csv")


@pytest.fixture(scope="module")
def municipalities() -> pd.DataFrame:
    return _read("municipalities.csv")


@pytest.fixture(scope="module")
def regions() -> pd.DataFrame:
    return _read("regions.csv")


def test_agglomerations_table(aggs, members):
    assert list(aggs.columns) == [
        "agglomeration_id",
        "name_ru",
        "name_en",
        "region_id",
        "region_ids",
        "management_model",
        "management_model_source",
        "core_territory_id",
        "members",
    ]
    assert len(aggs) == 52
    assert aggs.agglomeration_id.is_unique
    assert aggs.agglomeration_id.str.fullmatch(r"[a-z][a-z0-9_]*").all()
    assert set(aggs.management_model) <= MODELS
    known = aggs[aggs.management_model != "unknown"]
    assert (known.management_model_source.str.len() > 20).all()
    assert (
        aggs[aggs.management_model == "unknown"].management_model_source == ""
    ).all()
    official = members[members.role != "periphery"]
    counts = official.groupby("agglomeration_id").size()
    assert (
        aggs.set_index("agglomeration_id")
        .members.astype(int)
        .equals(counts.reindex(aggs.agglomeration_id).rename("members"))
    )
    assert aggs.members.astype(int).sum() == OFFICIAL_ROWS
    cores = official[official.role == "core"].set_index("agglomeration_id")
    assert (
        aggs.set_index("agglomeration_id").core_territory_id
        == cores.territory_id.reindex(aggs.agglomeration_id)
    ).all()
    # Every subject an agglomeration's members sit in is listed, core's first.
    subjects = official.groupby("agglomeration_id").region_id.agg(set)
    for row in aggs.itertuples(index=False):
        listed = row.region_ids.split("|")
        assert listed[0] == row.region_id
        assert set(listed) == subjects[row.agglomeration_id], row.agglomeration_id
    two = aggs.set_index("agglomeration_id").region_ids
    assert two["moscow"] == "RU-MOW|RU-MOS"
    assert two["saint_petersburg"] == "RU-SPE|RU-LEN"
    assert two["krasnodar"] == "RU-KDA|RU-AD"


def test_members_table(members, aggs, regions):
    assert list(members.columns) == [
        "territory_id",
        "agglomeration_id",
        "role",
        "name_ru",
        "name_en",
        "region_id",
        "level",
        "status",
        "note",
    ]
    assert members.territory_id.str.fullmatch(r"\d{8}").all()
    assert set(members.role) <= ROLES
    assert set(members.status) <= {"active", "merged"}
    assert set(members.agglomeration_id) == set(aggs.agglomeration_id)
    assert (members.name_ru != "").all() and (members.name_en != "").all()
    official = members[members.role != "periphery"]
    assert len(official) == OFFICIAL_ROWS
    cores = official[official.role == "core"]
    assert cores.agglomeration_id.is_unique
    assert len(cores) == 52
    active_regions = set(regions[regions.status == "active"].territory_id)
    assert set(members.region_id) <= active_regions
    # Merged rows share their successor's code: the successor comes first, so
    # the ETL's drop_duplicates(territory_id) keeps it.
    first = members.drop_duplicates("territory_id")
    assert (first.status[first.territory_id.duplicated(keep=False)] == "active").all()
    shared = members[members.territory_id.duplicated(keep=False)]
    assert set(shared.territory_id) == {"46748000", "46755000", "46758000"}
    assert (shared.drop_duplicates("territory_id").status == "active").all()
    # A territory belongs to one agglomeration only.
    assert members.groupby("territory_id").agglomeration_id.nunique().max() == 1
    # Periphery: same region as the agglomeration, never an official member.
    periphery = members[members.role == "periphery"]
    assert not set(periphery.territory_id) & set(official.territory_id)
    region_ids = aggs.set_index("agglomeration_id").region_ids.str.split("|")
    for row in periphery.itertuples(index=False):
        assert row.region_id in region_ids[row.agglomeration_id]


def test_member_codes_agree_with_regions(members, regions):
    """The OKTMO prefix of each member is its subject's; autonomous okrugs
    (ХМАО 718…, ЯНАО 719…, НАО 118…) take precedence over the 2-digit code."""
    active = regions[(regions.level == "region") & (regions.status == "active")]
    by_prefix = {
        r.oktmo.rstrip("0").ljust(2, "0"): r.territory_id
        for r in active.itertuples(index=False)
        if len(r.oktmo) == 8
    }
    for row in members.itertuples(index=False):
        code = row.territory_id
        region = next(by_prefix[code[:n]] for n in (4, 3, 2) if code[:n] in by_prefix)
        assert region == row.region_id, (code, row.name_ru)
    surgut = members.set_index("territory_id").region_id["71876000"]
    assert surgut == "RU-KHM"
    assert members.set_index("territory_id").region_id["71701000"] == "RU-TYU"


def test_levels_follow_the_code(members):
    kinds = {"5": "municipal_okrug", "6": "municipal_district", "7": "urban_okrug"}
    kinds["8"] = "urban_okrug"  # ХМАО/ЯНАО urban okrugs: 718…, 719…
    for row in members.itertuples(index=False):
        if row.territory_id in ("45000000", "40000000"):
            assert row.level == "city_federal"
        else:
            assert row.level == kinds[row.territory_id[2]], row


def test_members_match_the_official_list(members, shared_data):
    source = pd.read_csv(
        shared_data / "agglomerations-official" / "members.csv",
        dtype=str,
        keep_default_na=False,
    )
    assert len(source) == OFFICIAL_ROWS
    ours = members[members.role != "periphery"]
    assert sorted(ours.territory_id) == sorted(source.oktmo)
    assert set(members[members.status == "merged"].territory_id) == set(
        source[source.note.str.startswith("Вош")].oktmo
    ) | {"46748000"}
    # The dirty cell of the upstream table (' 2397О', Cyrillic О) is rejected
    # by the project's parser, never guessed; the OKTMO column is clean.
    assert parse_value(" 2397О").kind == "invalid"
    assert parse_value(" 2397О".replace("О", "0")).value == 23970
    row = source[source.municipality == "ГО Минераловодский"].iloc[0]
    assert row.oktmo == "07539000"
    assert parse_value(row.oktmo).kind == "ok"
    assert source.oktmo.str.fullmatch(r"\d{8}").all()


def test_municipalities_table(municipalities, members, regions):
    assert list(municipalities.columns) == [*TERRITORY_COLUMNS, "latitude", "longitude"]
    assert municipalities.territory_id.is_unique
    assert municipalities.territory_id.str.fullmatch(r"\d{8}").all()
    assert (municipalities.oktmo == municipalities.territory_id).all()
    assert set(municipalities.status) <= {"active", "historical"}
    expected = set(members.territory_id) - {"45000000", "40000000"}
    assert set(municipalities.territory_id) == expected
    fd = dict(zip(regions.territory_id, regions.federal_district_id, strict=True))
    assert (
        municipalities.federal_district_id == municipalities.region_id.map(fd)
    ).all()
    first = members.drop_duplicates("territory_id").set_index("territory_id")
    table = municipalities.set_index("territory_id")
    assert (table.agglomeration_id == first.agglomeration_id.reindex(table.index)).all()
    assert (table.role == first.role.reindex(table.index)).all()
    has = municipalities.latitude != ""
    assert (has == (municipalities.longitude != "")).all()
    assert has.sum() >= 100
    # Every core city outside the federal cities has its coordinates.
    cores = members[(members.role == "core") & (members.level != "city_federal")]
    assert (table.latitude[cores.territory_id] != "").all()


def test_resolver_reads_the_municipalities(municipalities):
    resolver = load_resolver()
    assert resolver.resolve_code("04701000", "") == "04701000"
    assert resolver.resolve_code("4701000".zfill(8), "Красноярск") == "04701000"
    # Federal cities stay regions.
    assert resolver.resolve_code("45000000", "") == "RU-MOW"
    assert resolver.resolve_code("40000000", "") == "RU-SPE"
    table = resolver.territories().set_index("territory_id")
    assert table.level["04701000"] == "urban_okrug"
    assert table.region_id["79703000"] == "RU-AD"
    assert table.federal_district_id["04701000"] == "FD-SIB"


def _polygons(shared_data) -> dict[str, list[tuple[PolygonPath, list[PolygonPath]]]]:
    """Region polygons by ISO code: (outer ring, holes) pairs. Holes matter:
    Adygea is an enclave of Krasnodar Krai, Moscow one of Moscow Oblast."""
    path = (
        shared_data / "geo-russia-adm1" / "russia_adm1_geoboundaries_simplified.geojson"
    )
    data = json.loads(path.read_text(encoding="utf-8"))
    shapes: dict[str, list[tuple[PolygonPath, list[PolygonPath]]]] = {}
    for feature in data["features"]:
        geometry = feature["geometry"]
        polygons = (
            geometry["coordinates"]
            if geometry["type"] == "MultiPolygon"
            else [geometry["coordinates"]]
        )
        shapes[feature["properties"]["shapeISO"]] = [
            (PolygonPath(np.asarray(p[0])), [PolygonPath(np.asarray(h)) for h in p[1:]])
            for p in polygons
        ]
    return shapes


def _contains(shape, point) -> bool:
    return any(
        outer.contains_point(point) and not any(h.contains_point(point) for h in holes)
        for outer, holes in shape
    )


def test_coordinates_lie_in_their_region(municipalities, shared_data):
    shapes = _polygons(shared_data)
    located = municipalities[municipalities.latitude != ""]
    assert len(located) >= 100
    outside, elsewhere = [], []
    for row in located.itertuples(index=False):
        point = (float(row.longitude), float(row.latitude))
        # Strict, although the boundaries are simplified (~48 500 points for
        # the country): every point currently lies inside.
        if not _contains(shapes[row.region_id], point):
            outside.append((row.territory_id, row.name_ru, point))
        others = [
            iso
            for iso, shape in shapes.items()
            if iso != row.region_id and _contains(shape, point)
        ]
        if others:
            elsewhere.append((row.territory_id, row.name_ru, others))
    assert not outside
    assert not elsewhere
