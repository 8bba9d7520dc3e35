"""The territory index of analytics.selection gives what a full scan gives."""

from __future__ import annotations

import pandas as pd
import pytest

from analytics import selection as sel_
from analytics.store import AGGLOMERATION_ID, LEVEL, TERRITORY_ID, open_store


@pytest.fixture(scope="module")
def store(demo_store):
    return open_store(demo_store)


def _scan(store, ids):
    obs = store.observations
    return obs[obs[TERRITORY_ID].isin(list(ids))]


def test_rows_equal_a_full_scan(store):
    every = list(store.observations[TERRITORY_ID].unique())
    for ids in (every[:1], every[3:40:3], every, ["no-such-id"], every[:5] * 2):
        pd.testing.assert_frame_equal(sel_.rows(store, ids), _scan(store, ids))


def test_scope_holds_members_and_every_benchmark_territory(store):
    agg = sel_.agglomerations(store)[AGGLOMERATION_ID].iloc[0]
    terr = store.territories
    wanted = terr.loc[
        (terr[AGGLOMERATION_ID] == agg)
        | terr[LEVEL].isin(["country", "federal_district", "region"]),
        TERRITORY_ID,
    ]
    pd.testing.assert_frame_equal(sel_.scope(store, agg), _scan(store, wanted))
    everyone = terr.loc[
        (terr[AGGLOMERATION_ID].fillna("") != "")
        | terr[LEVEL].isin(["country", "federal_district", "region"]),
        TERRITORY_ID,
    ]
    pd.testing.assert_frame_equal(sel_.scope(store), _scan(store, everyone))
    assert sel_.scope(store, agg) is sel_.scope(store, agg)  # cached


def test_population_and_panel_match_a_scan(store):
    agg = sel_.agglomerations(store)[AGGLOMERATION_ID].iloc[1]
    ids = sel_.members(store, agg)[TERRITORY_ID].tolist()
    pop = sel_.population(store, ids)
    scan = _scan(store, ids)
    scan = scan[scan["indicator_id"] == sel_.POPULATION].dropna(subset=["value"])
    merged = pop.merge(scan, on=[TERRITORY_ID, "year"])
    assert len(merged) == len(scan) > 0
    assert (merged["population"] == merged["value"]).all()
    indicator = sel_.theme_indicators(store, "finance", ids)["indicator_id"].iloc[0]
    table = sel_.panel(store, indicator, ids)
    raw = _scan(store, ids)
    raw = raw[raw["indicator_id"] == indicator]
    assert len(table) == len(raw)
    assert sorted(table["value"].dropna()) == sorted(raw["value"].dropna())


def test_index_is_dropped_with_the_store(demo_store):
    import gc

    store = open_store(demo_store)
    sel_.rows(store, ["x"])
    key = id(store)
    assert key in sel_._INDEXES
    del store
    gc.collect()
    assert key not in sel_._INDEXES
