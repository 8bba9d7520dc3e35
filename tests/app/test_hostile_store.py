"""Pages on a store that holds what no ETL run should let in (infinite and
NaN values, huge numbers, Markdown in file names): each page draws or says
why, never a traceback, and names from files render as typed."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from analytics import escape
from analytics.store import current_version_dir

HOSTILE_NAME = "**жирный** [ссылка](javascript:alert(1)) <b>x</b>.csv"


@pytest.fixture(scope="module")
def hostile_store(demo_store, tmp_path_factory):
    store = tmp_path_factory.mktemp("hostile") / "store"
    shutil.copytree(demo_store, store)
    version = current_version_dir(store)
    for part in (version / "observations").glob("*.parquet"):
        frame = pd.read_parquet(part)
        values = frame["value"].to_numpy(copy=True)
        # every 7th value infinite, NaN or absurdly large, in every partition
        values[::7] = np.inf
        values[1::7] = -np.inf
        values[2::7] = np.nan
        values[3::7] = 1e308
        frame["value"] = values
        frame.to_parquet(part, index=False)
    sources = pd.read_parquet(version / "sources.parquet")
    sources["file_name"] = HOSTILE_NAME
    sources["path"] = HOSTILE_NAME
    sources.to_parquet(version / "sources.parquet", index=False)
    return store


@pytest.mark.parametrize("page", ["overview", "inequality", "profile"])
def test_pages_never_show_a_traceback(hostile_store, monkeypatch, page):
    monkeypatch.setenv("AGGLO_STORE", str(hostile_store))
    at = AppTest.from_file("../../dashboard.py", default_timeout=120)
    at.query_params.update({"lang": "ru", "agg": "krasnoyarsk", "year": "2020"})
    at.switch_page(f"app_pages/{page}.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    shown = [e.value for e in (*at.caption, *at.markdown, *at.info, *at.warning)]
    # a file name never renders as Markdown: it is shown escaped
    assert not any("**жирный**" in text for text in shown), shown
    if page == "profile":
        assert any(escape.markdown(HOSTILE_NAME) in text for text in shown), shown
