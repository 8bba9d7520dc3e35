"""analytics.batch: the numpy, DuckDB and Spark engines give the same table.

The numpy engine is ``summarize`` on the open store (tested in
test_indices.py against published values and scalar twins); DuckDB and Spark
compute every index in SQL and must agree with it to 1e-9, index by index
and NaN for NaN, on the demo store and on a generated store full of awkward
groups (zeros, negatives, NaN, weight 0, ties, a single value, a conflict
between two files, territories outside any agglomeration or the catalog).
"""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from analytics.batch import __main__ as cli
from analytics.batch import summarize_store
from analytics.indices import INDEX_COLUMNS
from analytics.store import OBSERVATION_SCHEMA, TABLES, open_store


def assert_same(expected: pd.DataFrame, got: pd.DataFrame) -> None:
    assert list(got.columns) == list(expected.columns)
    assert len(got) == len(expected)
    for column in expected.columns:
        if column in INDEX_COLUMNS:
            np.testing.assert_allclose(
                got[column].to_numpy(),
                expected[column].to_numpy(),
                rtol=1e-9,
                atol=1e-12,
                err_msg=column,
            )
        else:
            assert got[column].tolist() == expected[column].tolist(), column


def _write_store(root, partitions: dict[str, pd.DataFrame], tables: dict) -> None:
    version = root / "versions" / "v00001"
    (version / "observations").mkdir(parents=True)
    for source, frame in partitions.items():
        if "period" not in frame:
            frame = frame.assign(period="year")
        table = pa.Table.from_pandas(
            frame.assign(source_id=source), schema=OBSERVATION_SCHEMA,
            preserve_index=False,
        )  # fmt: skip
        pq.write_table(table, version / "observations" / f"{source}.parquet")
    for name in TABLES:
        tables.get(name, pd.DataFrame({"x": []})).to_parquet(
            version / f"{name}.parquet", index=False
        )
    (root / "CURRENT").write_text("v00001", encoding="utf-8")


@pytest.fixture(scope="module")
def generated_store(tmp_path_factory):
    """60 municipalities in 3 agglomerations (and outside), 2 regions above
    them, 5 indicators x 4 years from two files that overlap on one
    indicator (the later file wins), populations, and hand-made groups."""
    rng = np.random.default_rng(20)
    places = [f"{70000000 + i * 1000:08d}" for i in range(60)]
    agglo = ["a", "b", "c", ""] * 15
    territories = pd.DataFrame(
        {
            "territory_id": places + ["RU-AA", "RU-BB"],
            "level": ["urban_okrug"] * 60 + ["region", "region"],
            "agglomeration_id": agglo + ["", ""],
            "region_id": ["RU-AA"] * 30 + ["RU-BB"] * 30 + ["RU-AA", "RU-BB"],
        }
    )
    rows = []
    for year in range(2018, 2022):
        for ind in ("x1", "x2", "x3", "x4", "x5"):
            values = np.round(np.exp(rng.normal(3, 1, 62)), 1)
            if ind == "x2":
                values[:8] = 0.0  # zeros: MLD and Atkinson undefined there
            if ind == "x3":
                values[rng.choice(62, 10, replace=False)] = np.nan
            if ind == "x4":
                values[:12] = np.round(values[:12])  # ties
                values[12:24] = values[:12]
            if ind == "x5" and year == 2019:
                values[1] = -1.0  # a negative: agglomeration b undefined
            rows.append(pd.DataFrame({"territory_id": places + ["RU-AA", "RU-BB"],
                                      "year": year, "indicator_id": ind,
                                      "value": values}))  # fmt: skip
        population = np.round(np.exp(rng.normal(10, 1, 62)))
        population[5] = 0.0  # a territory of weight zero
        population[9] = np.nan if year == 2020 else population[9]
        kind = "population" if year < 2021 else "population_avg"
        rows.append(pd.DataFrame({"territory_id": places + ["RU-AA", "RU-BB"],
                                  "year": year, "indicator_id": kind,
                                  "value": population}))  # fmt: skip
    # an agglomeration with a single member, and a territory not in the table
    rows.append(pd.DataFrame({"territory_id": ["70999000", "79999000", "70998000"],
                              "year": 2020, "indicator_id": "known",
                              "value": [1.0, 3.0, 5.0]}))  # fmt: skip
    territories = pd.concat(
        [
            territories,
            pd.DataFrame({"territory_id": ["70999000", "70998000"],
                          "level": ["urban_okrug"] * 2,
                          "agglomeration_id": ["known", "single"],
                          "region_id": ["RU-AA"] * 2}),
        ],
        ignore_index=True,
    )  # fmt: skip
    first = pd.concat(rows, ignore_index=True)
    first = first[first["value"].notna() | (first["indicator_id"] == "x3")]
    # a second, later file republishes x1 for 2018 with other values
    second = first[(first.indicator_id == "x1") & (first.year == 2018)].copy()
    second["value"] = second["value"] * 2 + 1
    # quarterly values of x1 in 2019 (sub-annual): left out by every engine
    quarters = first[(first.indicator_id == "x1") & (first.year == 2019)].copy()
    quarters["value"] = quarters["value"] * 1000
    first = pd.concat(
        [first.assign(period="year"), quarters.assign(period="quarter:1")],
        ignore_index=True,
    )
    second = second.assign(period="year")
    sources = pd.DataFrame({"source_id": ["early", "late"], "priority": [1, 2]})
    root = tmp_path_factory.mktemp("batch") / "store"
    _write_store(
        root,
        {"early": first.reset_index(drop=True), "late": second.reset_index(drop=True)},
        {"territories": territories, "sources": sources},
    )
    return root


BY_CASES = [
    ("indicator,year,agglomeration", False),
    ("indicator,year,agglomeration", True),
    ("indicator,region", True),
]


@pytest.mark.parametrize(("by", "weighted"), BY_CASES)
def test_duckdb_equals_numpy_on_a_generated_store(generated_store, by, weighted):
    expected = summarize_store(generated_store, engine="numpy", by=by,
                               weighted=weighted)  # fmt: skip
    got = summarize_store(generated_store, engine="duckdb", by=by, weighted=weighted)
    assert_same(expected, got)
    # the awkward groups really are there, and undefined where they should be
    if by.startswith("indicator,year"):
        zeros = expected[(expected.indicator_id == "x2") & expected.gini.notna()]
        assert zeros.mld.isna().any() and zeros.theil.notna().all()
        negative = expected[(expected.indicator_id == "x5") & (expected.year == 2019)
                            & (expected.agglomeration_id == "b")]  # fmt: skip
        assert negative[list(INDEX_COLUMNS)].isna().all(axis=None)


def test_known_values_and_conflict_rule(generated_store):
    table = summarize_store(generated_store, engine="duckdb")
    known = table[table.indicator_id == "known"].set_index("agglomeration_id",
                                                           drop=False)  # fmt: skip
    assert known["agglomeration_id"].tolist() == ["known", "single", None]
    # 79999000 is in no territory table: a municipality outside any agglomeration
    assert known["n"].tolist() == [1, 1, 1]
    assert known[list(INDEX_COLUMNS)].isna().all(axis=None)  # one value each
    # the later file's x1 2018 wins: values 2x+1 of the earlier ones
    store = open_store(generated_store)
    obs = store.observations
    x1 = obs[(obs.indicator_id == "x1") & (obs.year == 2018)]
    assert (x1.source_id == "late").all() and len(x1) == 62


def test_known_gini_of_two_members(tmp_path):
    places = pd.DataFrame({"territory_id": ["01000000", "02000000", "03000000"],
                           "level": ["urban_okrug"] * 3,
                           "agglomeration_id": ["a", "a", ""],
                           "region_id": ["RU-X"] * 3})  # fmt: skip
    obs = pd.DataFrame({"territory_id": ["01000000", "02000000", "03000000"],
                        "year": 2020, "indicator_id": "v",
                        "value": [1.0, 3.0, 7.0]})  # fmt: skip
    sources = pd.DataFrame({"source_id": ["s"], "priority": [1]})
    _write_store(tmp_path, {"s": obs}, {"territories": places, "sources": sources})
    for engine in ("numpy", "duckdb"):
        table = summarize_store(tmp_path, engine=engine)
        row = table.iloc[0]
        assert row["agglomeration_id"] == "a" and row["n"] == 2
        assert row["gini"] == pytest.approx(0.25, abs=1e-12)
        assert row["cv"] == pytest.approx(0.5, abs=1e-12)
        assert row["ratio_max_min"] == 3.0 and row["ratio_p90_p10"] == 3.0
        assert table.iloc[1]["agglomeration_id"] is None and table.iloc[1]["n"] == 1


@pytest.mark.parametrize("weighted", [False, True])
def test_duckdb_equals_numpy_on_the_demo_store(demo_store, weighted):
    expected = summarize_store(demo_store, engine="numpy", weighted=weighted)
    assert len(expected) > 1000 and expected["gini"].notna().sum() > 1000
    assert_same(expected, summarize_store(demo_store, engine="duckdb",
                                          weighted=weighted))  # fmt: skip


def test_command_line_writes_the_table(demo_store, tmp_path, capsys):
    out = tmp_path / "indices.parquet"
    code = cli.main(["--store", str(demo_store), "--engine", "duckdb", "--out",
                     str(out), "--by", "indicator,year", "--weighted"])  # fmt: skip
    assert code == 0 and "групп" in capsys.readouterr().out
    written = pd.read_parquet(out)
    expected = summarize_store(demo_store, by="indicator,year", weighted=True)
    assert_same(expected, written)
    assert cli.main(["--store", str(tmp_path / "none"), "--out", str(out)]) == 2
    assert "не найдено" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["--store", str(demo_store), "--out", str(out), "--by", "colour"])


def _java_missing() -> str:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed"
    if shutil.which("java") is None:
        return "no Java runtime (make setup installs one when run as root)"
    return ""


@pytest.fixture(scope="session")
def spark():
    reason = _java_missing()
    if reason:
        pytest.skip(reason)
    from analytics.batch import spark_session

    # tiny data: no whole-stage code generation and the JVM's quick compiler
    # (start-up and first query 2.7x faster than Spark's defaults here)
    session = spark_session(
        "local[1]",
        {"spark.ui.showConsoleProgress": "false", "spark.sql.shuffle.partitions": "1",
         "spark.sql.adaptive.enabled": "false", "spark.driver.memory": "512m",
         "spark.sql.codegen.wholeStage": "false",
         "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"},
    )  # fmt: skip
    yield session
    session.stop()


# pyspark 4.3 warns about pandas 3 (and uses a deprecated ``copy`` keyword)
@pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")
@pytest.mark.filterwarnings("ignore:The copy keyword is deprecated")
def test_spark_equals_numpy(spark, generated_store, demo_store):
    expected = summarize_store(generated_store, engine="numpy", weighted=True)
    got = summarize_store(generated_store, engine="spark", weighted=True, spark=spark)
    assert_same(expected, got)
    expected = summarize_store(demo_store, engine="numpy")
    assert_same(expected, summarize_store(demo_store, engine="spark", spark=spark))
