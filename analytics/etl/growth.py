"""Year-on-year change indicators of the catalog (``growth: {of: id}``).

A catalog entry such as ``population_change`` with ``growth: {of:
population}`` is the value of ``population`` in a year over its value in the
previous year, minus 100 (per cent), computed by the ETL for every territory
that has both years and does not publish the change itself. Formulas
(:func:`analytics.etl.pipeline.derive`) relate two indicators of one year;
this relates one indicator across two years.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from analytics.store import (
    ANNUAL,
    DERIVED_SOURCE,
    INDICATOR_ID,
    PERIOD,
    SOURCE_ID,
    TERRITORY_ID,
    VALUE,
    YEAR,
    is_annual,
)

CATALOG_YAML = (
    Path(__file__).resolve().parents[2] / "datasets" / "reference" / "indicators.yaml"
)


def growth_entries(path: Path = CATALOG_YAML) -> dict[str, str]:
    """Catalog id → the indicator whose year-on-year change it is."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {
        item["id"]: item["growth"]["of"]
        for item in data["indicators"]
        if isinstance(item.get("growth"), dict) and "of" in item["growth"]
    }


def changes(values: pd.DataFrame) -> pd.DataFrame:
    """Per cent change over the previous calendar year of one indicator's
    (territory, year, value) rows; years without the previous one give none.

    >>> frame = pd.DataFrame({"territory_id": ["a", "a", "a"],
    ...                       "year": [2022, 2023, 2025], "value": [100., 110., 99.]})
    >>> changes(frame).round(6).values.tolist()
    [['a', 2023, 10.0]]
    """
    rows = values[[TERRITORY_ID, YEAR, VALUE]].drop_duplicates(
        [TERRITORY_ID, YEAR], keep="last"
    )
    previous = rows.assign(**{YEAR: rows[YEAR].astype(int) + 1})
    joined = rows.assign(**{YEAR: rows[YEAR].astype(int)}).merge(
        previous, on=[TERRITORY_ID, YEAR], suffixes=("", "_prev")
    )
    joined = joined[joined[f"{VALUE}_prev"] > 0]
    change = (joined[VALUE] / joined[f"{VALUE}_prev"] - 1.0) * 100.0
    return (
        pd.DataFrame(
            {
                TERRITORY_ID: joined[TERRITORY_ID].astype(str).to_numpy(),
                YEAR: joined[YEAR].to_numpy(),
                VALUE: change.to_numpy(),
            }
        )
        .sort_values([TERRITORY_ID, YEAR], kind="stable")
        .reset_index(drop=True)
    )


def derive_growth(observations: pd.DataFrame, derived: pd.DataFrame) -> pd.DataFrame:
    """``derived`` plus the growth indicators computable from
    ``observations`` (published values win: a territory-year that publishes
    the change keeps it)."""
    entries = growth_entries()
    if not entries or observations.empty:
        return derived
    out = [derived] if len(derived) else []
    if PERIOD in observations.columns:  # year-on-year of annual values only
        observations = observations[is_annual(observations[PERIOD])]
    published = observations[INDICATOR_ID].astype(str)
    for target, source in entries.items():
        rows = observations[published == source]
        if rows.empty:
            continue
        found = changes(rows)
        have = observations[published == target]
        if len(have):
            known = set(
                zip(have[TERRITORY_ID].astype(str), have[YEAR].astype(int), strict=True)
            )
            keep = np.array(
                [
                    (t, int(y)) not in known
                    for t, y in zip(found[TERRITORY_ID], found[YEAR], strict=True)
                ],
                dtype=bool,
            )
            found = found[keep]
        if found.empty:
            continue
        out.append(
            found.assign(
                **{
                    YEAR: found[YEAR].astype("int16"),
                    INDICATOR_ID: target,
                    SOURCE_ID: DERIVED_SOURCE,
                    PERIOD: ANNUAL,
                }
            )[
                [c for c in derived.columns]
                or [TERRITORY_ID, YEAR, PERIOD, INDICATOR_ID, VALUE, SOURCE_ID]
            ]
        )
    if not out:
        return derived
    return pd.concat(out, ignore_index=True)
