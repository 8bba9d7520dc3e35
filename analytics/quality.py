"""Summaries of what the store holds and what the ETL could not load.

Pure functions over a :class:`~analytics.store.Store`, for the Data & quality
page and for reports.
"""

from __future__ import annotations

import pandas as pd

from analytics.store import (
    INDICATOR_ID,
    NAME_RU,
    SOURCE_ID,
    TERRITORY_ID,
    UNIT,
    YEAR,
    Store,
)

REJECT_KIND_RU = {
    "missing": "пропуск (условный знак или пустая ячейка)",
    "skipped": "пропущено намеренно (не годовое значение, не субъект)",
    "invalid": "не прочитано",
    "duplicate": "повтор в файле",
    "unmatched": "территория не сопоставлена",
    "file": "файл отклонён",
}


def coverage(store: Store) -> pd.DataFrame:
    """Territories with a value, per indicator and year (wide: years as columns)."""
    obs = store.observations
    if obs.empty:
        return pd.DataFrame()
    counts = (
        obs.groupby([INDICATOR_ID, YEAR], observed=True)[TERRITORY_ID]
        .nunique()
        .unstack(YEAR, fill_value=0)
    )
    names = store.indicators.set_index(INDICATOR_ID)
    counts.index = [
        f"{names[NAME_RU].get(i, i)} ({names[UNIT].get(i, '')})" for i in counts.index
    ]
    return counts.sort_index()


def reject_summary(store: Store) -> pd.DataFrame:
    """Counts of rejected cells by file, kind and reason, largest first."""
    rejects = store.rejects
    if rejects.empty:
        return pd.DataFrame(columns=["file_name", "kind", "reason", "cells"])
    table = (
        rejects.groupby(["file_name", "kind", "reason"])
        .size()
        .rename("cells")
        .reset_index()
        .sort_values("cells", ascending=False, kind="stable")
    )
    table["kind"] = table["kind"].map(REJECT_KIND_RU).fillna(table["kind"])
    return table.reset_index(drop=True)


def unmatched_territories(store: Store) -> pd.DataFrame:
    rejects = store.rejects
    hits = rejects[rejects["kind"] == "unmatched"]
    return (
        hits[["file_name", "raw_value", "reason"]]
        .rename(columns={"raw_value": "territory"})
        .reset_index(drop=True)
    )


def source_table(store: Store) -> pd.DataFrame:
    columns = [
        "file_name",
        "path",
        "layouts",
        "observations",
        "rejected",
        "missing",
        "skipped",
        "unmatched",
        "published",
        "loaded_at",
        SOURCE_ID,
    ]
    return store.sources[[c for c in columns if c in store.sources]]
