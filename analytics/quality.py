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


#: Words of the reform table (analytics.etl.reforms).
REFORM_CHANGE_RU = {
    "recode": "новый код той же территории",
    "union": "объединение",
    "transfer": "передача части территории",
    "disunion": "разделение",
}
REFORM_ACTION_RU = {
    "moved": "перенесено на новый код",
    "summed": "сложено с другими частями",
    "kept_flagged": "оставлено без пересчёта (границы менялись)",
    "left_out": "не пересчитано, не загружено",
}


def reform_summary(store: Store, lang: str = "ru") -> pd.DataFrame:
    """What the ETL did with old OKTMO codes (the store's ``reforms`` table,
    :mod:`analytics.etl.reforms`): one row per old code, today's
    municipality, change and action, with the years and values concerned."""
    from analytics.etl.reforms import read_reforms

    table = read_reforms(store.path / "versions" / store.version)
    columns = ["from_oktmo", "from_name", "to_oktmo", "to_name", "change", "action"]
    if table.empty:
        return pd.DataFrame(columns=[*columns, "years", "values", "note"])
    grouped = (
        table.groupby(columns, sort=True)
        .agg(
            first=("year", "min"),
            last=("year", "max"),
            values=("values", "sum"),
            note=("note", "first"),
        )
        .reset_index()
    )
    grouped["years"] = [
        str(a) if a == b else f"{a}–{b}"
        for a, b in zip(grouped["first"], grouped["last"], strict=True)
    ]
    if lang == "ru":
        grouped["change"] = (
            grouped["change"].map(REFORM_CHANGE_RU).fillna(grouped["change"])
        )
        grouped["action"] = (
            grouped["action"].map(REFORM_ACTION_RU).fillna(grouped["action"])
        )
    return grouped[[*columns, "years", "values", "note"]]
