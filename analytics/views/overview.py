"""The overview's chart: theme composite indices of the territories."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from analytics import charts, composite
from analytics import selection as sel_
from analytics.chart_model import Chart, footer_line
from analytics.i18n import t
from analytics.selection import Selection
from analytics.store import (
    TERRITORY_ID,
    Store,
)
from analytics.views._common import NoData, _member_ids, _tname

if TYPE_CHECKING:  # scikit-learn is imported on first use (0.3 s at start-up)
    pass


def composites(store: Store, selection: Selection) -> Chart:
    """The three theme composite indices (0–100, min-max, arithmetic, equal
    weights; OECD/JRC Handbook steps in :mod:`analytics.composite`) for every
    territory of the agglomeration, with the robustness of each rank."""
    lang = selection.lang
    ids = _member_ids(store, selection)
    members = sel_.members(store, selection.agglomeration_id).set_index(TERRITORY_ID)
    frames = []
    notes = []
    for theme in sel_.THEMES:
        try:
            res = composite.composite_index(
                sel_.scope_years(store, selection.agglomeration_id, [selection.year]),
                store.territories,
                store.indicators,
                selection.agglomeration_id,
                selection.year,
                theme=theme,
                random_state=0,
            )
        except ValueError as error:
            notes.append(f"{t(f'theme.{theme}', lang)}: {error}")
            continue
        part = res.scores.merge(
            res.sensitivity[[TERRITORY_ID, "rank_p05", "rank_p95"]],
            on=TERRITORY_ID,
            how="left",
        )
        part["theme"] = t(f"theme.{theme}", lang)
        frames.append(part)
        excluded = res.excluded[res.excluded["code"] != "size_dependent"]
        if len(excluded):
            notes.append(
                f"{t(f'theme.{theme}', lang)}: "
                + ("исключены " if lang == "ru" else "excluded ")
                + ", ".join(
                    f"{r.indicator_id} ({r.reason})" for r in res.excluded.itertuples()
                )
            )
    if not frames:
        raise NoData(t("empty.theme", lang, theme="—"))
    table = pd.concat(frames, ignore_index=True)
    table["name"] = [_tname(members.loc[i], lang) for i in table[TERRITORY_ID]]
    year = str(selection.year)
    title = (
        f"Сводные индексы тем (0–100), {year}"
        if lang == "ru"
        else f"Theme composite indices (0–100), {year}"
    )
    source = sel_.source_line(
        store,
        sel_.value_sources(store, sel_.comparable_indicators(store, ids), ids),
        lang,
    )
    footer = footer_line("0–100", year, source, None, lang)
    order = (
        table.groupby("name")["score"]
        .mean()
        .sort_values(ascending=False)
        .index.tolist()
    )
    fig = charts.grouped_bars(
        table,
        title=title,
        footer=footer,
        x="name",
        y="score",
        colour="theme",
        y_title="0–100",
        lang=lang,
    )
    fig.update_xaxes(categoryorder="array", categoryarray=order)
    parts = []
    for theme_word, part in table.groupby("theme", sort=False):
        top = part.sort_values("score", ascending=False).iloc[0]
        low = part.sort_values("score").iloc[0]
        if pd.isna(top["rank_p95"]):
            robust = ""
        else:
            low_rank, high_rank = int(top["rank_p05"]), int(top["rank_p95"])
            if low_rank == high_rank:
                robust = (
                    f" (место {low_rank} при любом методе)"
                    if lang == "ru"
                    else f" (rank {low_rank} whatever the method)"
                )
            else:  # «best» holds for the main method only: say so
                robust = (
                    f" (при других методах свёртки — места {low_rank}–{high_rank})"
                    if lang == "ru"
                    else f" (ranks {low_rank}–{high_rank} with other methods)"
                )
        parts.append(
            f"{theme_word}: лучше всех {top['name']}{robust}, хуже всех {low['name']}"
            if lang == "ru"
            else f"{theme_word}: best {top['name']}{robust}, worst {low['name']}"
        )
    caption = "; ".join(parts) + "."
    data = table[
        ["name", "theme", "score", "rank", "rank_p05", "rank_p95", "n_indicators"]
    ].rename(columns={"name": t("label.territory", lang)})
    return Chart(
        key="composites",
        figure=fig,
        data=data,
        title=title,
        caption=caption,
        unit="0–100",
        year=year,
        source=source,
        weighted=None,
        notes="\n".join(notes),
    )
