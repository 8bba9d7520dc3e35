"""The Parquet store: the data model in one place, and ``open_store``.

Layout on disk::

    STORE/
      CURRENT                  name of the live version (replaced atomically)
      versions/v00007/
        observations/<source_id>.parquet   one partition per raw file
        observations/derived.parquet       per-capita and share indicators
        territories.parquet  indicators.parquet  agglomerations.parquet
        sources.parquet      rejects.parquet

A run of the ETL writes a new version beside the live one (unchanged
partitions are hard links, not copies) and then replaces ``CURRENT``: a run
that fails or is killed leaves the previous version live and complete. The
previous version is kept so that it can be restored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

# Column names of the data contract: pages and analytics use these constants.
TERRITORY_ID = "territory_id"
YEAR = "year"
#: What a value covers within its year (see :mod:`analytics.etl.periods`):
#: ``year`` (published annual), ``year:<rule>`` (annual derived from
#: sub-annual values by the catalog's rule), ``Q1``…``Q4``, ``M01``…``M12``,
#: ``M01-M03`` (cumulative months), ``D01-09`` (a point in time: 9 January).
PERIOD = "period"
ANNUAL = "year"
INDICATOR_ID = "indicator_id"
VALUE = "value"
SOURCE_ID = "source_id"
OBSERVATION_COLUMNS = [TERRITORY_ID, YEAR, PERIOD, INDICATOR_ID, VALUE, SOURCE_ID]

NAME_RU = "name_ru"
NAME_EN = "name_en"
LEVEL = "level"
REGION_ID = "region_id"
AGGLOMERATION_ID = "agglomeration_id"
ROLE = "role"
UNIT = "unit"
THEME = "theme"
DIRECTION = "direction"

TERRITORY_COLUMNS = [
    TERRITORY_ID,
    NAME_RU,
    NAME_EN,
    LEVEL,
    REGION_ID,
    "federal_district_id",
    "parent_id",
    "oktmo",
    "status",
    AGGLOMERATION_ID,
    ROLE,
]
INDICATOR_COLUMNS = [
    INDICATOR_ID,
    NAME_RU,
    NAME_EN,
    UNIT,
    "unit_en",
    THEME,
    DIRECTION,
    "formula",
    "in_catalog",
    "available",
    "note_ru",
    "note_en",
    "source_codes",
]
AGGLOMERATION_COLUMNS = [
    AGGLOMERATION_ID,
    NAME_RU,
    NAME_EN,
    REGION_ID,
    "management_model",
    "management_model_source",
]
SOURCE_COLUMNS = [
    SOURCE_ID,
    "path",
    "file_name",
    "layouts",
    "size_bytes",
    "published",
    "priority",
    "observations",
    "rejected",
    "missing",
    "skipped",
    "unmatched",
    "loaded_at",
    "notes",
]
REJECT_COLUMNS = [
    SOURCE_ID,
    "file_name",
    "sheet",
    "cell",
    "raw_value",
    "reason",
    "kind",
]

OBSERVATION_SCHEMA = pa.schema(
    [
        pa.field(TERRITORY_ID, pa.string()),
        pa.field(YEAR, pa.int16()),
        pa.field(PERIOD, pa.dictionary(pa.int32(), pa.string())),
        pa.field(INDICATOR_ID, pa.dictionary(pa.int32(), pa.string())),
        pa.field(VALUE, pa.float64()),
        pa.field(SOURCE_ID, pa.string()),
    ]
)

# What the app reads: strings as large_string, the layout of pandas' string
# dtype, so that ``to_pandas`` does not copy 12 M strings (0.4 s at full scale).
_READ_SCHEMA = pa.schema(
    [
        pa.field(f.name, pa.large_string()) if f.type == pa.string() else f
        for f in OBSERVATION_SCHEMA
    ]
)

CURRENT = "CURRENT"
VERSIONS = "versions"
DERIVED_SOURCE = "derived"
TABLES = ("territories", "indicators", "agglomerations", "sources", "rejects")


class StoreError(RuntimeError):
    """The store is missing or damaged; the message says what to do."""


@dataclass(frozen=True)
class Store:
    """A loaded store. DataFrames are shared: never mutate them."""

    path: Path
    version: str
    observations: pd.DataFrame
    territories: pd.DataFrame
    indicators: pd.DataFrame
    agglomerations: pd.DataFrame
    sources: pd.DataFrame
    rejects: pd.DataFrame
    #: Sub-annual values (quarters, months, dates), with their ``period``;
    #: ``observations`` holds the annual ones only (what the analysis reads).
    periodic: pd.DataFrame = field(default_factory=pd.DataFrame, compare=False)
    #: (codes, ids) of ``observations.territory_id`` when ``open_store``
    #: encoded it already: the views' territory index reuses it.
    territory_codes: tuple[np.ndarray, np.ndarray] | None = field(
        default=None, repr=False, compare=False
    )


def current_version_dir(path: Path) -> Path | None:
    """The live version's folder, or None when the store has none yet."""
    pointer = Path(path) / CURRENT
    if not pointer.exists():
        return None
    name = pointer.read_text(encoding="utf-8").strip()
    folder = Path(path) / VERSIONS / name
    return folder if folder.is_dir() else None


def read_observations(
    version_dir: Path, sources: Iterable[str] | None = None
) -> pd.DataFrame:
    """All observations of a version, or only the partitions of ``sources``
    (source ids; a rerun of the ETL reads only the partitions it keeps)."""
    files = sorted((version_dir / "observations").glob("*.parquet"))
    if sources is not None:
        wanted = {f"{s}.parquet" for s in sources}
        files = [f for f in files if f.name in wanted]
    if not files:
        return pd.DataFrame(
            {
                TERRITORY_ID: pd.Series(dtype=str),
                YEAR: pd.Series(dtype="int16"),
                PERIOD: pd.Series(dtype="category"),
                INDICATOR_ID: pd.Series(dtype="category"),
                VALUE: pd.Series(dtype=float),
                SOURCE_ID: pd.Series(dtype=str),
            }
        )
    # one dataset scan reads the partitions on every core, in the given order
    # (a loop of read_table calls took 1.5 s for 87 files at full scale, 0.9 s)
    table = (
        ds.dataset([str(f) for f in files], schema=_READ_SCHEMA, format="parquet")
        .to_table()
        .unify_dictionaries()
    )
    frame = table.to_pandas()
    frame[INDICATOR_ID] = frame[INDICATOR_ID].astype("category")
    periods = frame[PERIOD]
    if periods.isna().any():  # a partition written before periods existed
        periods = (
            periods.cat.add_categories([ANNUAL])
            if ANNUAL not in (periods.cat.categories)
            else periods
        )
        frame[PERIOD] = periods.fillna(ANNUAL)
    return frame


def is_annual(periods: pd.Series) -> np.ndarray:
    """Mask of the annual values (published or derived by a catalog rule)."""
    if isinstance(periods.dtype, pd.CategoricalDtype):
        cats = periods.cat.categories.astype(str)
        annual = (cats == ANNUAL) | cats.str.startswith(ANNUAL + ":")
        codes = periods.cat.codes.to_numpy()
        return np.append(np.asarray(annual, dtype=bool), False)[codes]
    text = periods.astype(str)
    return ((text == ANNUAL) | text.str.startswith(ANNUAL + ":")).to_numpy()


def split_periods(observations: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(annual values, sub-annual values) of the observations: the one place
    where the analysis is kept to annual values."""
    if PERIOD not in observations.columns or observations.empty:
        return observations, observations.iloc[0:0]
    annual = is_annual(observations[PERIOD])
    if annual.all():
        return observations, observations.iloc[0:0]
    return (
        observations[annual].reset_index(drop=True),
        observations[~annual].reset_index(drop=True),
    )


def _codes(column: pd.Series) -> np.ndarray:
    """Integer codes of a column's values (categorical codes, or Arrow's
    dictionary encoding, twice as fast as ``pd.factorize`` on strings)."""
    return _encode(column)[0]


def _encode(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(codes, distinct values) of a column, codes in order of first
    appearance for strings; missing values get code -1."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return (
            column.cat.codes.to_numpy().astype(np.int64),
            np.asarray(column.cat.categories, dtype=object),
        )
    values = pa.array(column.array)  # Arrow-backed strings: no copy
    if isinstance(values, pa.Array):
        values = pa.chunked_array([values])
    encoded = pc.dictionary_encode(values).combine_chunks()
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
    return codes.astype(np.int64), np.asarray(encoded.dictionary.to_pylist(), object)


def has_duplicate_keys(
    observations: pd.DataFrame, territory_codes: np.ndarray | None = None
) -> bool:
    """Whether a territory-indicator-year appears twice (two files publish it).

    ``DataFrame.duplicated`` hashes three columns of 12 M rows (1.6 s at full
    scale); the keys packed into one integer and counted take a fraction.
    ``territory_codes``: the territory column already encoded (``_encode``).
    """
    territory = (
        _codes(observations[TERRITORY_ID])
        if territory_codes is None
        else territory_codes
    )
    indicator = _codes(observations[INDICATOR_ID])
    year = observations[YEAR].to_numpy().astype(np.int64)
    year -= year.min()
    n_indicators, n_years = int(indicator.max()) + 1, int(year.max()) + 1
    packed = (territory * n_indicators + indicator) * n_years + year
    size = (int(territory.max()) + 1) * n_indicators * n_years
    if PERIOD in observations.columns:  # sub-annual values repeat the year
        period = _codes(observations[PERIOD])
        n_periods = int(period.max()) + 1 if len(period) else 1
        if n_periods > 1:
            packed = packed * n_periods + period
            size *= n_periods
    if size <= 4 * len(packed) + 1_000_000:
        return bool(np.bincount(packed, minlength=size).max() > 1)
    packed.sort()
    return bool((packed[1:] == packed[:-1]).any())


def _resolve_conflicts(
    observations: pd.DataFrame, sources: pd.DataFrame
) -> pd.DataFrame:
    """Keep one value per territory, indicator and year: the source with the
    highest priority wins (the ETL sets priorities; see DESIGN.md)."""
    key = [TERRITORY_ID, INDICATOR_ID, YEAR]
    key += [PERIOD] if PERIOD in observations.columns else []
    if observations.empty or not has_duplicate_keys(observations):
        return observations
    priority = dict(zip(sources[SOURCE_ID], sources["priority"], strict=True))
    ranked = observations.assign(_p=observations[SOURCE_ID].map(priority).fillna(-1))
    ranked = ranked.sort_values("_p", kind="stable")
    kept = ranked.drop_duplicates(key, keep="last").drop(columns="_p")
    return kept.sort_index()


def open_store(path: str | Path) -> Store:
    """Open the live version of the store at ``path``.

    Raises
    ------
    StoreError
        When there is no store yet (run ``make etl``) or a table is missing.
    """
    root = Path(path)
    version_dir = current_version_dir(root)
    if version_dir is None:
        raise StoreError(
            f"Хранилище {root} не найдено или пусто. Соберите его командой "
            "`make etl` (или `python -m analytics.etl --raw ПАПКА --store ПАПКА`)."
        )
    tables = {}
    for name in TABLES:
        file = version_dir / f"{name}.parquet"
        if not file.exists():
            raise StoreError(
                f"В хранилище {root} нет таблицы {name}: пересоберите "
                "его командой `make etl`."
            )
        tables[name] = pd.read_parquet(file)
    observations, periodic = split_periods(read_observations(version_dir))
    # the territory column is encoded once, for the conflict check here and
    # for the views' territory index (``analytics.selection``)
    codes = _encode(observations[TERRITORY_ID]) if len(observations) else None
    if len(observations) and has_duplicate_keys(observations, codes[0]):
        observations = _resolve_conflicts(observations, tables["sources"])
        codes = None  # rows were dropped
    return Store(
        path=root,
        version=version_dir.name,
        observations=observations,
        periodic=periodic,
        territory_codes=codes,
        **tables,
    )
