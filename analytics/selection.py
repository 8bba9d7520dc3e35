"""Slicing the store for one view: an agglomeration, its territories, a theme.

What the app, the report CLI and the chart views ask of the store, in one
place: which agglomerations have data, who their members are (core, ring,
periphery), which indicators of a theme can be compared between territories,
the panel of one indicator with population as the weight, and the source line
of the values shown. Pure functions on a :class:`~analytics.store.Store`.

Comparable indicators
---------------------
Territories of very different size can only be compared on intensive
indicators: per resident, per 1,000 residents, shares and relative wages.
:func:`theme_indicators` therefore keeps, by default, indicators whose unit is
a rate («… на жителя», «… на 1000 жителей», «%», «чел. на 10 000 жителей»)
and leaves out absolute amounts (total revenue in roubles, staff in persons),
which remain in the store for derivations and the data page.
"""

from __future__ import annotations

import re
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analytics.store import (
    AGGLOMERATION_ID,
    INDICATOR_ID,
    LEVEL,
    NAME_EN,
    NAME_RU,
    ROLE,
    SOURCE_ID,
    TERRITORY_ID,
    THEME,
    UNIT,
    VALUE,
    YEAR,
    Store,
)

POPULATION = "population"
POPULATION_FALLBACK = "population_avg"
ROLES = ("core", "ring", "periphery")
THEMES = ("finance", "staffing", "competencies")
_RATE_UNIT = re.compile(r"(\bна\b|%|\bper\b)", re.I)
DEMO_MARK = "demo/"


@dataclass(frozen=True)
class Scope:
    """What a computation depends on: agglomeration, year and weighting (no
    language: a result is computed once and worded in any language)."""

    agglomeration_id: str
    year: int | None = None
    weighted: bool = True


@dataclass(frozen=True)
class Selection:
    """What the user looks at: agglomeration, year, weighting and language."""

    agglomeration_id: str
    year: int | None = None
    weighted: bool = True
    lang: str = "ru"

    @property
    def scope(self) -> Scope:
        """The selection without its language."""
        return Scope(self.agglomeration_id, self.year, self.weighted)


@dataclass
class _Index:
    """Row positions of the observations by territory, built once per store.

    Every view looks at one agglomeration (a few dozen territories) of a store
    that can hold millions of rows; a boolean mask over all rows per question
    costs a full scan each time. The index sorts the row positions by
    territory once, so that the rows of any set of territories are a
    concatenation of slices, in the store's own row order.
    """

    lookup: dict[str, int]
    order: np.ndarray
    bounds: np.ndarray
    scopes: OrderedDict = field(default_factory=OrderedDict)
    sizes: dict = field(default_factory=dict)
    cache: dict = field(default_factory=dict)


_INDEXES: dict[int, _Index] = {}
_MEMO_LOCK = threading.Lock()
_INDEX_LOCK = threading.Lock()
_SCOPES_KEPT = 1024  # most entries are small (id lists, catalog rows)
_MEMO_BYTES = 512 * 2**20  # slices of a 12 M-value store run to 100 MB each


def _index(store: Store) -> _Index:
    """The store's territory index (built on first use, dropped with the store)."""
    key = id(store)
    found = _INDEXES.get(key)
    if found is not None:
        return found
    with _INDEX_LOCK:  # built once even when two sessions ask at once
        found = _INDEXES.get(key)
        if found is not None:
            return found
        if store.territory_codes is not None:  # encoded by open_store already
            codes, uniques = store.territory_codes
        else:
            codes, uniques = pd.factorize(store.observations[TERRITORY_ID], sort=False)
        order, bounds = _positions(codes, len(uniques))
        index = _Index({str(t): i for i, t in enumerate(uniques)}, order, bounds)
        _INDEXES[key] = index
        weakref.finalize(store, _INDEXES.pop, key, None)
        return index


def _positions(codes: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Row positions grouped by code: the rows of code ``c`` are
    ``order[bounds[c]:bounds[c + 1]]``, in their original order (missing
    codes, -1, left out)."""
    order = np.argsort(codes, kind="stable")
    counts = np.bincount(codes[codes >= 0], minlength=n)
    if (codes < 0).any():  # missing codes sort first; skip them
        order = order[int((codes < 0).sum()) :]
    return order, np.concatenate([[0], np.cumsum(counts)])


def remember(store: Store, key: tuple, compute):
    """A per-store memo of recent slices (least recently used dropped).

    Sessions (and the server's warm-up) run in threads of one process: the
    memo is changed under a lock; ``compute`` runs outside it, so two threads
    may compute the same value once each, and the first one stays."""
    index = _index(store)
    memo = index.scopes
    with _MEMO_LOCK:
        if key in memo:
            memo.move_to_end(key)
            return memo[key]
    value = compute()
    with _MEMO_LOCK:
        if key in memo:
            return memo[key]
        memo[key] = value
        index.sizes[key] = _nbytes(value)
        while len(memo) > 1 and (
            len(memo) > _SCOPES_KEPT or sum(index.sizes.values()) > _MEMO_BYTES
        ):
            dropped, _ = memo.popitem(last=False)
            index.sizes.pop(dropped, None)
    return value


def _nbytes(value) -> int:
    """Rough memory of a memoised value (shallow for frames: cheap to ask)."""
    if isinstance(value, pd.DataFrame):
        return int(value.memory_usage(index=False, deep=False).sum())
    if isinstance(value, pd.Series):
        return int(value.memory_usage(index=False, deep=False))
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if isinstance(value, dict):
        return 1024 + sum(_nbytes(v) for v in value.values())
    return 1024


def rows(store: Store, territory_ids) -> pd.DataFrame:
    """The observations of some territories, in the store's row order.

    Same result as ``obs[obs.territory_id.isin(territory_ids)]`` without a
    scan of the whole store; recent slices are kept (never mutate them).
    """
    index = _index(store)
    codes = tuple(
        sorted({index.lookup[t] for t in map(str, territory_ids) if t in index.lookup})
    )
    if not codes:
        return store.observations.iloc[0:0]

    def take() -> pd.DataFrame:
        parts = [index.order[index.bounds[c] : index.bounds[c + 1]] for c in codes]
        return store.observations.take(np.sort(np.concatenate(parts)))

    return remember(store, ("rows", codes), take)


def scope(store: Store, agglomeration_id: str | None = None) -> pd.DataFrame:
    """Observations an agglomeration's analysis needs: its members (periphery
    included) plus every region, federal district and the country (for the
    regional and national benchmarks). ``None``: members of every
    agglomeration. Cached per store and agglomeration; never mutate it."""
    terr = store.territories
    agglo = terr[AGGLOMERATION_ID].fillna("").astype(str)
    chosen = agglo != "" if agglomeration_id is None else agglo == agglomeration_id
    above = terr[LEVEL].isin(["country", "federal_district", "region"])
    return rows(store, terr.loc[chosen | above, TERRITORY_ID])


def scope_years(
    store: Store, agglomeration_id: str | None, years: list[int]
) -> pd.DataFrame:
    """The rows of :func:`scope` in some years, in the scope's row order.

    What a one-year (or two-year) analysis reads: everything it needs of those
    years, a fraction of the scope. When a year has no row at all the whole
    scope is returned, so that the analysis explains the absence itself.
    Never mutate it."""
    obs = scope(store, agglomeration_id)
    positions = remember(
        store, ("year_positions", agglomeration_id), lambda: _year_positions(obs)
    )
    wanted = sorted({int(y) for y in years})
    if not wanted or any(y not in positions for y in wanted):
        return obs
    # a take of the year's rows (not memoised: cheap, and one entry per year
    # would crowd the memo)
    return obs.take(np.sort(np.concatenate([positions[y] for y in wanted])))


def _year_positions(obs: pd.DataFrame) -> dict[int, np.ndarray]:
    """Row positions of each year."""
    codes, years_ = pd.factorize(obs[YEAR], sort=True)
    order, bounds = _positions(codes, len(years_))
    return {int(y): order[bounds[i] : bounds[i + 1]] for i, y in enumerate(years_)}


def is_demo(store: Store) -> bool:
    """Whether the store was built (at least partly) from the demo files."""
    paths = store.sources.get("path", pd.Series(dtype=str)).astype(str)
    return bool(paths.map(_is_demo_path).any())


def _is_demo_path(path: str) -> bool:
    """Demo files live in a ``demo/`` folder and their names end in ``_demo``
    (``datasets/make_demo.py`` names them so)."""
    path = path.replace("\\", "/")
    stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return DEMO_MARK in path or stem.endswith("_demo")


def agglomerations(store: Store) -> pd.DataFrame:
    """Agglomerations with at least two territories that have observations.

    Columns: the ``agglomerations`` table's, plus ``territories`` (members with
    data, periphery included) and ``has_core``; sorted by Russian name.
    Memoised per store; the caller gets its own copy.
    """
    return remember(store, ("agglomerations",), lambda: _agglomerations(store)).copy()


def _agglomerations(store: Store) -> pd.DataFrame:
    terr = store.territories
    observed = set(_index(store).lookup)  # territories with observations
    members = terr[(terr[AGGLOMERATION_ID] != "") & terr[TERRITORY_ID].isin(observed)]
    counts = members.groupby(AGGLOMERATION_ID).agg(
        territories=(TERRITORY_ID, "nunique"),
        has_core=(ROLE, lambda roles: bool((roles == "core").any())),
    )
    counts = counts[counts.territories >= 2]
    table = store.agglomerations.copy()
    if table.empty:
        table = pd.DataFrame({AGGLOMERATION_ID: counts.index})
        table[NAME_RU] = table[AGGLOMERATION_ID]
        table[NAME_EN] = table[AGGLOMERATION_ID]
        table["management_model"] = "unknown"
    table = table.merge(counts, left_on=AGGLOMERATION_ID, right_index=True)
    return table.sort_values(NAME_RU, kind="stable").reset_index(drop=True)


def members(store: Store, agglomeration_id: str) -> pd.DataFrame:
    """Territories of an agglomeration (core first, then ring, then periphery).

    Memoised per store; the caller gets its own copy."""

    def build() -> pd.DataFrame:
        terr = store.territories
        table = terr[terr[AGGLOMERATION_ID] == agglomeration_id].copy()
        order = {role: i for i, role in enumerate(ROLES)}
        table["_order"] = table[ROLE].map(order).fillna(len(ROLES))
        table = table.sort_values(["_order", NAME_RU], kind="stable")
        return table.drop(columns="_order").reset_index(drop=True)

    return remember(store, ("members", agglomeration_id), build).copy()


def _rows_by_id(store: Store, table: str, key: str) -> dict[str, dict]:
    """A store table as {id: row dict}, built once per store."""
    cache = _index(store).cache
    if table not in cache:
        frame = getattr(store, table).drop_duplicates(key, keep="last")
        cache[table] = {str(row[key]): row for row in frame.to_dict("records")}
    return cache[table]


def indicator_info(store: Store, indicator_id: str) -> dict:
    """The catalog row of one indicator as a dict (``KeyError`` if unknown)."""
    rows_ = _rows_by_id(store, "indicators", INDICATOR_ID)
    if indicator_id not in rows_:
        raise KeyError(f"Показатель {indicator_id!r} отсутствует в хранилище")
    return dict(rows_[indicator_id])


def agglomeration_rows(store: Store) -> dict[str, dict]:
    """The agglomerations table as {agglomeration_id: row} (once per store)."""
    return _rows_by_id(store, "agglomerations", AGGLOMERATION_ID)


def is_comparable(unit: str) -> bool:
    """Whether a unit is a rate that compares territories of any size.

    >>> is_comparable("руб. на жителя"), is_comparable("%"), is_comparable("руб.")
    (True, True, False)
    """
    return bool(_RATE_UNIT.search(unit or ""))


def theme_indicators(
    store: Store,
    theme: str,
    territory_ids: list[str] | None = None,
    *,
    comparable_only: bool = True,
) -> pd.DataFrame:
    """Available indicators of ``theme`` that have data (for ``territory_ids``).

    Memoised per store; the caller gets its own copy."""
    ids = None if territory_ids is None else tuple(sorted(map(str, territory_ids)))

    def build() -> pd.DataFrame:
        ind = store.indicators
        keep = np.array((ind[THEME] == theme) & ind["available"].astype(bool))
        if comparable_only:
            keep &= np.array(ind[UNIT].map(is_comparable), dtype=bool)
        keep &= np.array(ind[INDICATOR_ID].isin(_present_indicators(store, ids)))
        return ind[keep].reset_index(drop=True)

    key = ("theme_indicators", theme, ids, comparable_only)
    return remember(store, key, build).copy()


def _present_indicators(store: Store, territory_ids) -> frozenset[str]:
    """Indicator ids with at least one row for the territories (memoised)."""
    if territory_ids is None:
        return remember(
            store,
            ("present", None),
            lambda: frozenset(
                str(i) for i in store.observations[INDICATOR_ID].unique()
            ),
        )
    ids = tuple(sorted(map(str, territory_ids)))
    return remember(
        store,
        ("present", ids),
        lambda: frozenset(str(i) for i in rows(store, ids)[INDICATOR_ID].unique()),
    )


def unavailable_indicators(store: Store, theme: str) -> pd.DataFrame:
    """Catalog indicators of ``theme`` that Rosstat does not publish."""
    ind = store.indicators
    return ind[(ind[THEME] == theme) & ~ind["available"].astype(bool)].reset_index(
        drop=True
    )


def population(store: Store, territory_ids: list[str] | None = None) -> pd.DataFrame:
    """Population per territory and year (1 January; the annual average where
    the 1 January figure is missing). Columns territory_id, year, population."""
    table = _population_all(store)
    if territory_ids is not None:
        table = table[table[TERRITORY_ID].isin(territory_ids)]
    return table.reset_index(drop=True)


def _population_all(store: Store) -> pd.DataFrame:
    """Every territory's population by year, built once per store."""
    cache = _index(store).cache
    if "population" in cache:
        return cache["population"]
    obs = store.observations
    obs = obs[obs[INDICATOR_ID].isin([POPULATION, POPULATION_FALLBACK])]
    if obs.empty:
        table = pd.DataFrame(columns=[TERRITORY_ID, YEAR, POPULATION])
    else:
        wide = obs.pivot_table(
            index=[TERRITORY_ID, YEAR],
            columns=INDICATOR_ID,
            values=VALUE,
            observed=True,
        )
        pop = wide.get(POPULATION)
        if pop is None:
            pop = wide[POPULATION_FALLBACK]
        elif POPULATION_FALLBACK in wide:
            pop = pop.fillna(wide[POPULATION_FALLBACK])
        table = pop.rename(POPULATION).dropna().reset_index()
    cache["population"] = table
    return table


def agglomeration_of(store: Store) -> dict[str, str]:
    """{territory id: agglomeration id} of every agglomeration territory
    (built once per store; the app asks on every chart it draws)."""
    cache = _index(store).cache
    if "agglomeration_of" not in cache:
        ids = territory_lookup(store)[AGGLOMERATION_ID].fillna("").astype(str)
        cache["agglomeration_of"] = ids[ids != ""].to_dict()
    return cache["agglomeration_of"]


def territory_lookup(store: Store) -> pd.DataFrame:
    """The territories table indexed by id (built once per store)."""
    cache = _index(store).cache
    if "territories" not in cache:
        cache["territories"] = store.territories.drop_duplicates(
            TERRITORY_ID
        ).set_index(TERRITORY_ID)
    return cache["territories"]


def panel(
    store: Store,
    indicator_id: str,
    territory_ids: list[str],
    years: list[int] | None = None,
) -> pd.DataFrame:
    """One indicator for some territories: territory_id, year, value, population,
    plus name_ru, name_en and role of each territory (a fresh copy of a
    memoised table: views ask for the same panels again and again)."""
    ids = tuple(sorted(map(str, territory_ids)))
    every_year = remember(
        store,
        ("panel", indicator_id, ids),
        lambda: _panel(store, indicator_id, territory_ids),
    )
    if years is None:
        return every_year.copy()
    # a change of year slices the memoised panel instead of building one
    chosen = every_year[YEAR].isin([int(y) for y in years])
    return every_year[chosen.to_numpy()].reset_index(drop=True)


def _panel(store: Store, indicator_id: str, territory_ids: list[str]) -> pd.DataFrame:
    obs = rows(store, territory_ids)
    mask = obs[INDICATOR_ID] == indicator_id
    table = obs.loc[mask, [TERRITORY_ID, YEAR, VALUE, SOURCE_ID]].copy()
    table[TERRITORY_ID] = table[TERRITORY_ID].astype(str)
    table[YEAR] = table[YEAR].astype(int)
    pop = population(store, territory_ids)
    table = table.merge(pop, on=[TERRITORY_ID, YEAR], how="left")
    terr = territory_lookup(store)
    for column in (NAME_RU, NAME_EN, ROLE, LEVEL):
        table[column] = table[TERRITORY_ID].map(terr[column]).fillna("")
    return table.sort_values([YEAR, TERRITORY_ID]).reset_index(drop=True)


def years(
    store: Store, territory_ids: list[str], indicator_ids: list[str] | None = None
) -> list[int]:
    """Years with at least one value for the territories (and indicators)."""
    obs = rows(store, territory_ids)
    if indicator_ids is not None:
        obs = obs[obs[INDICATOR_ID].isin(indicator_ids)]
    return sorted(int(y) for y in obs[YEAR].unique())


def default_year(store: Store, territory_ids: list[str]) -> int | None:
    """The latest year with a reasonably full picture for these territories:
    the last year whose count of theme values (finance, staffing,
    competencies) is at least half of the best year's. A year that only has
    population figures is never the default."""
    ind = store.indicators
    theme_ids = ind.loc[ind[THEME].isin(THEMES), INDICATOR_ID]
    obs = rows(store, territory_ids)
    counts = obs[obs[INDICATOR_ID].isin(theme_ids)].groupby(YEAR).size()
    if counts.empty:
        all_years = years(store, territory_ids)
        return all_years[-1] if all_years else None
    full = counts[counts >= 0.5 * counts.max()]
    return int(full.index.max())


def value_sources(
    store: Store, indicator_ids: list[str], territory_ids: list[str]
) -> list[str]:
    """Source ids of the values of some indicators for some territories; for a
    derived indicator, the sources of its formula's components as well
    (memoised per store)."""
    import json

    indicators = tuple(sorted(map(str, indicator_ids)))
    territories = tuple(sorted(map(str, territory_ids)))

    def build() -> list[str]:
        wanted = set(indicators)
        for indicator in indicators:
            text = _rows_by_id(store, "indicators", INDICATOR_ID).get(indicator, {})
            text = text.get("formula", "")
            if isinstance(text, str) and text.startswith("{"):
                formula = json.loads(text)
                wanted.update(
                    {formula.get("numerator"), formula.get("denominator")} - {None}
                )
        obs = rows(store, territories)
        mask = obs[INDICATOR_ID].isin(list(wanted))
        return sorted(obs.loc[mask, SOURCE_ID].astype(str).unique())

    return list(remember(store, ("value_sources", indicators, territories), build))


def source_line(
    store: Store, source_ids: pd.Series | list[str], lang: str = "ru"
) -> str:
    """Human source line for the values that came from ``source_ids``.

    Names the files (and whether they are demo data); derived values are
    described as computed from the catalog's formula.
    """
    return format_sources(source_facts(store, source_ids), lang)


@dataclass(frozen=True)
class SourceFacts:
    """What a source line says, before it is worded: the files, whether some
    are demo data, whether some values are derived by formula."""

    names: tuple[str, ...]
    demo: bool
    derived: bool


def source_facts(store: Store, source_ids: pd.Series | list[str]) -> SourceFacts:
    """The facts of :func:`source_line` (no language)."""
    ids = {str(s) for s in pd.Series(source_ids).dropna().unique()}
    sources = store.sources
    rows = sources[sources[SOURCE_ID].astype(str).isin(ids)]
    names: list[str] = []
    demo = False
    for _, row in rows.iterrows():
        path = str(row.get("path", ""))
        if _is_demo_path(path):
            demo = True
        if row.get("layouts") == "derived" or row[SOURCE_ID] == "derived":
            continue
        names.append(str(row.get("file_name") or path))
    return SourceFacts(tuple(names), demo, "derived" in ids)


def format_sources(facts: SourceFacts, lang: str = "ru") -> str:
    """The source line of :func:`source_line` worded in ``lang``."""
    names, demo = facts.names, facts.demo
    parts: list[str] = []
    if demo:
        parts.append(
            "демо-данные (синтетические)" if lang == "ru" else "demo data (synthetic)"
        )
    if names:
        parts.append(
            ", ".join(sorted(set(names))[:4]) + (" …" if len(set(names)) > 4 else "")
        )
    if facts.derived:
        parts.append(
            "расчёт по формуле каталога"
            if lang == "ru"
            else "computed per catalog formula"
        )
    return "; ".join(parts) if parts else ("Росстат" if lang == "ru" else "Rosstat")


def coordinates(store: Store) -> pd.DataFrame:
    """Latitude and longitude of territories (administrative centres).

    Taken from the store's territories when it carries them, else from the
    reference ``datasets/reference/municipalities.csv`` (facts, versioned
    with the code). Columns territory_id, latitude, longitude; rows without
    coordinates are left out.
    """
    terr = store.territories
    if {"latitude", "longitude"} <= set(terr.columns):
        table = terr[[TERRITORY_ID, "latitude", "longitude"]]
    else:
        from analytics.etl.territories import MUNICIPALITIES_CSV

        if not MUNICIPALITIES_CSV.exists():
            return pd.DataFrame(columns=[TERRITORY_ID, "latitude", "longitude"])
        table = pd.read_csv(MUNICIPALITIES_CSV, dtype={TERRITORY_ID: str})
        if not {"latitude", "longitude"} <= set(table.columns):
            return pd.DataFrame(columns=[TERRITORY_ID, "latitude", "longitude"])
        table = table[[TERRITORY_ID, "latitude", "longitude"]]
    table = table.assign(
        latitude=pd.to_numeric(table["latitude"], errors="coerce"),
        longitude=pd.to_numeric(table["longitude"], errors="coerce"),
    )
    return table.dropna().reset_index(drop=True)


def comparable_indicators(
    store: Store, territory_ids: list[str] | None = None
) -> list[str]:
    """Comparable indicators of the three gap themes that have data."""
    return [
        str(i)
        for theme in THEMES
        for i in theme_indicators(store, theme, territory_ids)[INDICATOR_ID]
    ]
