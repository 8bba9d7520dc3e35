"""The data page's tidy CSV template and example load back through the ETL."""

from __future__ import annotations

import pytest

from analytics import selection as sel_
from analytics.etl.pipeline import run_etl
from analytics.etl.template import read_back, tidy_example, tidy_template
from analytics.store import open_store


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_example_reads_back_to_the_stores_values(demo_store, tmp_path, lang):
    store = open_store(demo_store)
    ids = sel_.members(store, "samara_togliatti")["territory_id"].tolist()
    data = tidy_example(store, ids, lang=lang)
    rows = read_back(data, lang)
    assert len(rows) == 8  # 2 territories × 2 indicators × 2 years
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "example.csv").write_bytes(data)
    report = run_etl([raw], tmp_path / "store")
    assert report.exit_code == 0
    loaded = open_store(tmp_path / "store").observations
    loaded = loaded[loaded["source_id"] != "derived"]  # per-capita values
    keys = ["territory_id", "year", "indicator_id"]
    merged = loaded.merge(store.observations, on=keys, suffixes=("", "_store"))
    assert len(merged) == 8
    assert merged["value"].to_numpy() == pytest.approx(
        merged["value_store"].to_numpy(), rel=1e-6
    )


def test_template_rows_load(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "template.csv").write_bytes(tidy_template("ru"))
    run_etl([raw], tmp_path / "store")
    obs = open_store(tmp_path / "store").observations
    row = obs[(obs["territory_id"] == "36701000") & (obs["source_id"] != "derived")]
    assert row["value"].tolist() == [51266.4]
