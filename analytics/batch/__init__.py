"""Every index of :func:`analytics.indices.summarize` for every group of a
whole store, on one of three engines.

``numpy``
    reads the store (:func:`analytics.store.open_store`) and runs
    :func:`analytics.indices.summarize`: the reference, in memory.
``duckdb``
    runs :func:`analytics.batch.sql.summary_sql` over the Parquet partitions
    of the live version, out of core (DuckDB spills to its temporary
    directory when a sort or a window does not fit in ``memory_limit``).
``spark``
    runs the same query on Spark: ``local[*]`` by default, a cluster given
    its master URL; the store may then be any URL Spark reads
    (``s3a://bucket/store``).

The three give the same table (to 1e-9): one row per group of ``by``
(store columns ``indicator_id``, ``year``, ``agglomeration_id``,
``region_id``; missing keys, e.g. territories outside any agglomeration,
form their own group), sorted by the keys with missing ones last, then
``n`` and :data:`analytics.indices.INDEX_COLUMNS` and ``weighted``.

The rows grouped are the municipal observations of the store after its
conflict rule (one value per territory, indicator and year, from the source
of the highest priority); weighted means by population (1 January, else the
annual average, of the same territory and year).

Command line: ``python -m analytics.batch --help``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from analytics.batch.sql import ABOVE_MUNICIPAL, KEYS, summary_sql
from analytics.indices import INDEX_COLUMNS

ENGINES = ("numpy", "duckdb", "spark")
DEFAULT_BY = ("indicator_id", "year", "agglomeration_id")

__all__ = ["DEFAULT_BY", "ENGINES", "KEYS", "long_table", "summarize_store"]


def key_columns(by: Sequence[str] | str) -> list[str]:
    """Store column names of grouping keys given by short name
    (``indicator,year,agglomeration``) or column name."""
    names = by.split(",") if isinstance(by, str) else list(by)
    columns = []
    for name in (n.strip() for n in names):
        if not name:
            continue
        column = KEYS.get(name, name)
        if column not in KEYS.values():
            raise ValueError(
                f"неизвестный ключ группировки «{name}»; возможны: " + ", ".join(KEYS)
            )
        if column not in columns:
            columns.append(column)
    return columns


def summarize_store(
    store: str | Path,
    *,
    engine: str = "numpy",
    by: Sequence[str] | str = DEFAULT_BY,
    weighted: bool = False,
    spark=None,
    master: str | None = None,
    duckdb_config: dict | None = None,
) -> pd.DataFrame:
    """The index table of a store (see the module docstring).

    ``spark``: a SparkSession to use (else one is started on ``master``);
    ``duckdb_config``: DuckDB settings (``memory_limit``, ``threads``,
    ``temp_directory``).
    """
    keys = key_columns(by)
    if engine == "numpy":
        table = _numpy(Path(store), keys, weighted)
    elif engine == "duckdb":
        table = _duckdb(Path(store), keys, weighted, duckdb_config or {})
    elif engine == "spark":
        table = _spark(str(store), keys, weighted, spark, master)
    else:
        raise ValueError(
            f"неизвестный движок «{engine}»; возможны: {', '.join(ENGINES)}"
        )
    return canonical(table, keys, weighted)


def canonical(table: pd.DataFrame, keys: list[str], weighted: bool) -> pd.DataFrame:
    """The engines' common output: key columns as strings (year as int),
    sorted with missing keys last; ``n`` int64, indices float64 (NaN where
    undefined), ``weighted``."""
    out = pd.DataFrame(index=range(len(table)))
    for key in keys:
        column = table[key].reset_index(drop=True)
        if key == "year":
            out[key] = column.astype("int64")
        else:
            out[key] = column.astype(object).where(column.notna(), None)
    out["n"] = table["n"].to_numpy().astype("int64")
    for column in INDEX_COLUMNS:
        out[column] = pd.to_numeric(table[column], errors="coerce").to_numpy(
            dtype=float, na_value=np.nan
        )
    out["weighted"] = weighted
    if keys:
        out = out.sort_values(keys, na_position="last", kind="stable")
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------
# numpy: the store in memory and ``summarize``
# --------------------------------------------------------------------------


def long_table(store, keys: Sequence[str], weighted: bool) -> pd.DataFrame:
    """Municipal observations of an open store with the ``keys`` columns
    (categorical, categories sorted) and ``value`` (and ``population``)."""
    from analytics import selection

    obs = store.observations
    terr = store.territories.drop_duplicates("territory_id").set_index("territory_id")
    # territory attributes once per distinct id, spread by integer codes
    # (a ``map`` over 12 M strings costs seconds and gigabytes)
    if store.territory_codes is not None:
        codes, ids = store.territory_codes
    else:
        codes, ids = pd.factorize(obs["territory_id"])
    per_id = terr.reindex(pd.Index(ids, dtype=object))
    municipal = ~per_id["level"].isin(ABOVE_MUNICIPAL).to_numpy()[codes]
    obs, codes = obs[municipal], codes[municipal]
    data: dict[str, object] = {}
    for key in keys:
        if key == "year":
            data[key] = obs["year"].to_numpy()
            continue
        if key == "indicator_id":
            column = obs[key].astype("category")
        else:
            labels = per_id[key].replace("", np.nan).astype("category")
            column = pd.Series(
                pd.Categorical.from_codes(
                    labels.cat.codes.to_numpy()[codes], labels.cat.categories
                )
            )
        data[key] = column.cat.reorder_categories(
            sorted(column.cat.categories.astype(str))
        ).to_numpy()
    data["value"] = obs["value"].to_numpy()
    if weighted:
        pop = selection.population(store).set_index(["territory_id", "year"])
        index = pd.MultiIndex.from_arrays(
            [obs["territory_id"], obs["year"].astype(int)]
        )
        data["population"] = pop["population"].reindex(index).to_numpy()
    return pd.DataFrame(data)


def _numpy(store: Path, keys: list[str], weighted: bool) -> pd.DataFrame:
    from analytics.indices import summarize
    from analytics.store import open_store

    table = long_table(open_store(store), keys, weighted)
    result = summarize(
        table, value="value", weight="population" if weighted else None, by=keys
    )
    for key in keys:
        if isinstance(result[key].dtype, pd.CategoricalDtype):
            result[key] = result[key].astype(object)
    return result


# --------------------------------------------------------------------------
# DuckDB: SQL over the Parquet files, out of core
# --------------------------------------------------------------------------


def _sql_text(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _duckdb(store: Path, keys: list[str], weighted: bool, config: dict) -> pd.DataFrame:
    import duckdb

    from analytics.store import StoreError, current_version_dir

    version = current_version_dir(store)
    if version is None:
        raise StoreError(f"Хранилище {store} не найдено или пусто.")
    # spills (sorts and windows beyond memory_limit) go to the system's
    # temporary folder, not to ``.tmp`` in the working directory
    spill = Path(tempfile.gettempdir()) / "agglo_duckdb"
    settings = {
        "preserve_insertion_order": False,
        "temp_directory": str(spill),
        **config,
    }
    with duckdb.connect(config=settings) as con:
        files = _sql_text(version / "observations" / "*.parquet")
        scan = f"read_parquet({files}, union_by_name = true)"
        columns = {
            row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()
        }
        period = "period" if "period" in columns else "CAST(NULL AS VARCHAR) AS period"
        con.execute(
            "CREATE VIEW observations AS SELECT territory_id, year, indicator_id, "
            f"value, source_id, {period} FROM {scan}"
        )
        for name in ("territories", "sources"):
            file = version / f"{name}.parquet"
            con.execute(
                f"CREATE VIEW {name} AS SELECT * FROM read_parquet({_sql_text(file)})"
            )
        return con.execute(summary_sql(keys, weighted=weighted)).df()


# --------------------------------------------------------------------------
# Spark: the same SQL, local or on a cluster
# --------------------------------------------------------------------------


def spark_session(master: str | None = None, conf: dict | None = None):
    """A SparkSession on ``master`` (``$SPARK_MASTER``, else ``local[*]``)."""
    from pyspark.sql import SparkSession

    master = master or os.environ.get("SPARK_MASTER") or "local[*]"
    builder = (
        SparkSession.builder.master(master)
        .appName("agglo-batch")
        .config("spark.sql.shuffle.partitions", str(2 * (os.cpu_count() or 1)))
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
    )
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def _url(store: str) -> str:
    return store if "://" in store else str(Path(store).resolve())


def _spark(
    store: str, keys: list[str], weighted: bool, spark, master: str | None
) -> pd.DataFrame:
    from analytics.store import StoreError

    own = spark is None
    if own:
        spark = spark_session(master)
    try:
        root = _url(store).rstrip("/")
        try:
            version = spark.read.text(f"{root}/CURRENT").first()[0].strip()
        except Exception as error:  # noqa: BLE001 - Spark wraps the cause
            raise StoreError(f"Хранилище {store} не найдено или пусто.") from error
        base = f"{root}/versions/{version}"
        observations = spark.read.option("mergeSchema", "true").parquet(
            f"{base}/observations"
        )
        if "period" not in observations.columns:  # written before periods
            from pyspark.sql.functions import lit

            observations = observations.withColumn("period", lit(None).cast("string"))
        observations.createOrReplaceTempView("observations")
        for name in ("territories", "sources"):
            spark.read.parquet(f"{base}/{name}.parquet").createOrReplaceTempView(name)
        return spark.sql(summary_sql(keys, weighted=weighted)).toPandas()
    finally:
        if own:
            spark.stop()
