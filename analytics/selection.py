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
from dataclasses import dataclass

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
class Selection:
    """What the user looks at: agglomeration, year, weighting and language."""

    agglomeration_id: str
    year: int | None = None
    weighted: bool = True
    lang: str = "ru"


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
    """
    terr = store.territories
    observed = set(store.observations[TERRITORY_ID].unique())
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
    """Territories of an agglomeration (core first, then ring, then periphery)."""
    terr = store.territories
    table = terr[terr[AGGLOMERATION_ID] == agglomeration_id].copy()
    order = {role: i for i, role in enumerate(ROLES)}
    table["_order"] = table[ROLE].map(order).fillna(len(ROLES))
    table = table.sort_values(["_order", NAME_RU], kind="stable")
    return table.drop(columns="_order").reset_index(drop=True)


def indicator_info(store: Store, indicator_id: str) -> dict:
    """The catalog row of one indicator as a dict (``KeyError`` if unknown)."""
    table = store.indicators.set_index(INDICATOR_ID)
    if indicator_id not in table.index:
        raise KeyError(f"Показатель {indicator_id!r} отсутствует в хранилище")
    row = table.loc[indicator_id].to_dict()
    row[INDICATOR_ID] = indicator_id
    return row


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
    """Available indicators of ``theme`` that have data (for ``territory_ids``)."""
    ind = store.indicators
    table = ind[(ind[THEME] == theme) & ind["available"].astype(bool)]
    if comparable_only:
        table = table[table[UNIT].map(is_comparable)]
    obs = store.observations
    if territory_ids is not None:
        obs = obs[obs[TERRITORY_ID].isin(territory_ids)]
    present = set(obs[INDICATOR_ID].astype(str).unique())
    return table[table[INDICATOR_ID].isin(present)].reset_index(drop=True)


def unavailable_indicators(store: Store, theme: str) -> pd.DataFrame:
    """Catalog indicators of ``theme`` that Rosstat does not publish."""
    ind = store.indicators
    return ind[(ind[THEME] == theme) & ~ind["available"].astype(bool)].reset_index(
        drop=True
    )


def population(store: Store, territory_ids: list[str] | None = None) -> pd.DataFrame:
    """Population per territory and year (1 January; the annual average where
    the 1 January figure is missing). Columns territory_id, year, population."""
    obs = store.observations
    obs = obs[obs[INDICATOR_ID].isin([POPULATION, POPULATION_FALLBACK])]
    if territory_ids is not None:
        obs = obs[obs[TERRITORY_ID].isin(territory_ids)]
    if obs.empty:
        return pd.DataFrame(columns=[TERRITORY_ID, YEAR, POPULATION])
    wide = obs.pivot_table(
        index=[TERRITORY_ID, YEAR], columns=INDICATOR_ID, values=VALUE, observed=True
    )
    pop = wide.get(POPULATION)
    if pop is None:
        pop = wide[POPULATION_FALLBACK]
    elif POPULATION_FALLBACK in wide:
        pop = pop.fillna(wide[POPULATION_FALLBACK])
    return pop.rename(POPULATION).dropna().reset_index()


def panel(
    store: Store,
    indicator_id: str,
    territory_ids: list[str],
    years: list[int] | None = None,
) -> pd.DataFrame:
    """One indicator for some territories: territory_id, year, value, population,
    plus name_ru, name_en and role of each territory."""
    obs = store.observations
    mask = (obs[INDICATOR_ID] == indicator_id) & obs[TERRITORY_ID].isin(territory_ids)
    if years is not None:
        mask &= obs[YEAR].isin(years)
    table = obs.loc[mask, [TERRITORY_ID, YEAR, VALUE, SOURCE_ID]].copy()
    table[TERRITORY_ID] = table[TERRITORY_ID].astype(str)
    table[YEAR] = table[YEAR].astype(int)
    pop = population(store, territory_ids)
    table = table.merge(pop, on=[TERRITORY_ID, YEAR], how="left")
    terr = store.territories.set_index(TERRITORY_ID)
    for column in (NAME_RU, NAME_EN, ROLE, LEVEL):
        table[column] = table[TERRITORY_ID].map(terr[column]).fillna("")
    return table.sort_values([YEAR, TERRITORY_ID]).reset_index(drop=True)


def years(
    store: Store, territory_ids: list[str], indicator_ids: list[str] | None = None
) -> list[int]:
    """Years with at least one value for the territories (and indicators)."""
    obs = store.observations
    mask = obs[TERRITORY_ID].isin(territory_ids)
    if indicator_ids is not None:
        mask &= obs[INDICATOR_ID].isin(indicator_ids)
    return sorted(int(y) for y in obs.loc[mask, YEAR].unique())


def default_year(store: Store, territory_ids: list[str]) -> int | None:
    """The latest year with a reasonably full picture for these territories:
    the last year whose count of theme values (finance, staffing,
    competencies) is at least half of the best year's. A year that only has
    population figures is never the default."""
    ind = store.indicators
    theme_ids = ind.loc[ind[THEME].isin(THEMES), INDICATOR_ID]
    obs = store.observations
    mask = obs[TERRITORY_ID].isin(territory_ids) & obs[INDICATOR_ID].isin(theme_ids)
    counts = obs.loc[mask].groupby(YEAR).size()
    if counts.empty:
        all_years = years(store, territory_ids)
        return all_years[-1] if all_years else None
    full = counts[counts >= 0.5 * counts.max()]
    return int(full.index.max())


def value_sources(
    store: Store, indicator_ids: list[str], territory_ids: list[str]
) -> list[str]:
    """Source ids of the values of some indicators for some territories; for a
    derived indicator, the sources of its formula's components as well."""
    import json

    wanted = set(indicator_ids)
    formulas = store.indicators.set_index(INDICATOR_ID)["formula"]
    for indicator in list(wanted):
        text = formulas.get(indicator, "")
        if isinstance(text, str) and text.startswith("{"):
            formula = json.loads(text)
            wanted.update(
                {formula.get("numerator"), formula.get("denominator")} - {None}
            )
    obs = store.observations
    mask = obs[INDICATOR_ID].isin(list(wanted)) & obs[TERRITORY_ID].isin(territory_ids)
    return sorted(obs.loc[mask, SOURCE_ID].astype(str).unique())


def source_line(
    store: Store, source_ids: pd.Series | list[str], lang: str = "ru"
) -> str:
    """Human source line for the values that came from ``source_ids``.

    Names the files (and whether they are demo data); derived values are
    described as computed from the catalog's formula.
    """
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
    parts: list[str] = []
    if demo:
        parts.append(
            "демо-данные (синтетические)" if lang == "ru" else "demo data (synthetic)"
        )
    if names:
        parts.append(
            ", ".join(sorted(set(names))[:4]) + (" …" if len(set(names)) > 4 else "")
        )
    if "derived" in ids:
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
        i
        for theme in THEMES
        for i in theme_indicators(store, theme, territory_ids)[INDICATOR_ID]
    ]
