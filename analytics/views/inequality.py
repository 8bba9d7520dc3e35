"""Views of the inequality page: Lorenz curve, every index with its
interval, Theil decomposition over the years, agglomerations side by side."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from analytics import charts, indices, intervals
from analytics import selection as sel_
from analytics.chart_model import Chart
from analytics.i18n import fmt_number, t
from analytics.i18n import name as name_of
from analytics.selection import Selection
from analytics.store import (
    ROLE,
    TERRITORY_ID,
    VALUE,
    YEAR,
    Store,
)
from analytics.views._common import (
    CI_INDICES,
    MIN_TERRITORIES,
    NoData,
    _check_enough,
    _footer,
    _member_ids,
    _meta,
    _sources_for,
    _tname,
    _weights,
    _year_panel,
)

if TYPE_CHECKING:  # scikit-learn is imported on first use (0.3 s at start-up)
    pass


def lorenz(store: Store, selection: Selection, indicator_id: str) -> Chart:
    """Lorenz curve of one indicator in the selected year (and the first year
    with data for comparison)."""
    lang = selection.lang
    meta = _meta(store, indicator_id, lang)
    ids = _member_ids(store, selection)
    full = sel_.panel(store, indicator_id, ids).dropna(subset=[VALUE])
    if full.empty or selection.year not in set(full[YEAR]):
        raise NoData(
            t("empty.indicator", lang, indicator=meta["name"], year=selection.year)
        )
    full["name"] = full.apply(lambda row: _tname(row, lang), axis=1)
    first = int(full[YEAR].min())
    curves: dict[str, pd.DataFrame] = {}
    ginis: dict[int, float] = {}
    for year in sorted({first, int(selection.year)}):
        part, w, _ = _weights(full[full[YEAR] == year], selection)
        _check_enough(len(part), lang)
        curve = indices.lorenz_curve(part[VALUE].to_numpy(float), w)
        names = part["name"].to_numpy()
        curve["name"] = [names[p] if p >= 0 else "" for p in curve["position"]]
        curves[str(year)] = curve
        ginis[year] = indices.gini(part[VALUE].to_numpy(float), weights=w)
    year_label = (
        f"{first}, {selection.year}" if first != selection.year else str(selection.year)
    )
    title = f"{'Кривая Лоренца' if lang == 'ru' else 'Lorenz curve'}: {meta['name']}"
    footer, source = _footer(
        store,
        selection,
        {
            "unit": "доли населения и показателя"
            if lang == "ru"
            else "shares of population and indicator"
        },
        _sources_for(store, [indicator_id], ids),
        year_label,
        selection.weighted,
    )
    fig = charts.lorenz(curves, title=title, footer=footer, lang=lang)
    g_now = ginis[int(selection.year)]
    caption = t(
        "caption.lorenz",
        lang,
        year=selection.year,
        gini=fmt_number(g_now, lang, digits=3),
    )
    if first != selection.year:
        caption += t(
            "caption.lorenz_first",
            lang,
            year=first,
            gini=fmt_number(ginis[first], lang, digits=3),
        )
    data = pd.concat([c.assign(year=y) for y, c in curves.items()], ignore_index=True)
    data = data[["year", "name", "population_share", "value_share"]]
    return Chart(
        key=f"lorenz_{indicator_id}",
        figure=fig,
        data=data,
        title=title,
        caption=caption + ".",
        unit="доля" if lang == "ru" else "share",
        year=year_label,
        source=source,
        weighted=selection.weighted,
    )


def _interval_row(row: pd.Series, key: str, lang: str) -> dict:
    """One index's bars: its confidence interval where the interval was
    measured to cover 90 %, otherwise its range without one territory."""
    reliable = bool(row["reliable"])
    return {
        "label": t(f"index.{key}", lang),
        "estimate": row["estimate"],
        "kind": t("label.kind_ci" if reliable else "label.kind_loo", lang),
        "low": row["low"] if reliable else row["loo_low"],
        "high": row["high"] if reliable else row["loo_high"],
        "reliable": reliable,
        "reason": row["reason"],
        "n": int(row["n"]),
    }


def _reason_text(reason: str, index: str, n: int, weighted: bool, lang: str) -> str:
    need = intervals.reliable_from(index, weighted)
    return t(f"reason.{reason}", lang, n=n, need=need if need is not None else "—")


def _interval_caption(
    table: pd.DataFrame, n: int, n_boot: int, weighted: bool, lang: str
) -> str:
    """Which bars are 95 % intervals, which are leave-one-out ranges and why,
    and what an interval means when the territories are all there are."""
    shown = table[table["reliable"]]
    caption = ""
    if len(shown):
        caption += t(
            "caption.index_bootstrap",
            lang,
            n=n,
            n_boot=n_boot,
            indices=", ".join(shown["label"]),
        )
    else:
        caption += "."
    others = table[~table["reliable"]]
    reasons = [
        _reason_text(r.reason, r.index, n, weighted, lang) for r in others.itertuples()
    ]
    for reason in dict.fromkeys(reasons):
        labels = [
            r.label
            for r, why in zip(others.itertuples(), reasons, strict=True)
            if why == reason
        ]
        caption += t(
            "caption.index_loo", lang, indices=", ".join(labels), reason=reason
        )
    if len(shown):
        caption += t("caption.interval_meaning", lang)
    return caption


def index_table(
    store: Store, selection: Selection, indicator_id: str, *, n_boot: int = 499
) -> Chart:
    """Every inequality index of one indicator in the selected year with a
    bootstrap 95 % confidence interval (territories resampled, seeded)."""
    lang = selection.lang
    meta = _meta(store, indicator_id, lang)
    data, w, dropped = _weights(_year_panel(store, selection, indicator_id), selection)
    _check_enough(len(data), lang)
    boot = indices.bootstrap_summary(
        data,
        value=VALUE,
        weight="population" if selection.weighted else None,
        n_boot=n_boot,
        which=CI_INDICES,
    ).set_index("index")
    rows = []
    skipped = []
    for key in CI_INDICES:
        row = boot.loc[key] if key in boot.index else None
        if row is None or not np.isfinite(row["estimate"]):
            skipped.append(t(f"index.{key}", lang))
            continue
        rows.append(_interval_row(row, key, lang) | {"index": key})
    if not rows:
        raise NoData(t("empty.too_few", lang, need=MIN_TERRITORIES, have=len(data)))
    table = pd.DataFrame(rows)
    year = str(selection.year)
    title = (
        f"Индексы неравенства: {meta['name']}, {year}"
        if lang == "ru"
        else f"Inequality indices: {meta['name']}, {year}"
    )
    index_unit = "безразмерные индексы" if lang == "ru" else "unitless indices"
    footer, source = _footer(
        store,
        selection,
        {"unit": index_unit},
        _sources_for(store, [indicator_id], data[TERRITORY_ID].tolist()),
        year,
        selection.weighted,
    )
    # Ratios (about 1–3) would squash the 0–1 indices on one axis: they are
    # in the caption and the data, not on the chart.
    ratios = table[table["index"].str.startswith("ratio_")]
    fig = charts.estimates_with_ci(
        table[~table["index"].str.startswith("ratio_")], title=title, footer=footer,
        lang=lang,
    )
    theil_row = table.set_index("index").get("estimate", pd.Series()).get("theil")
    gini_row = table.set_index("index")["estimate"].get("gini")
    caption = ""
    if gini_row is not None:
        caption = t(
            "caption.index_gini", lang, value=fmt_number(gini_row, lang, digits=3)
        )
    if theil_row is not None:
        caption += t(
            "caption.index_theil", lang, value=fmt_number(theil_row, lang, digits=3)
        )
    caption += _interval_caption(table, len(data), n_boot, selection.weighted, lang)
    for row in ratios.itertuples():
        low, high = (fmt_number(v, lang, digits=2) for v in (row.low, row.high))
        loo = "" if row.reliable else f" ({t('label.loo', lang)})"
        caption += (
            f" {row.label} = {fmt_number(row.estimate, lang, digits=2)} "
            f"[{low}; {high}]{loo}."
        )
    if skipped:
        caption += t("caption.index_skipped", lang, indices=", ".join(skipped))
    if dropped:
        caption += t("caption.index_dropped", lang, n=dropped)
    out = table.rename(
        columns={
            "label": t("label.index", lang),
            "estimate": t("label.value", lang),
            "kind": t("label.interval_kind", lang),
            "low": t("label.low", lang),
            "high": t("label.high", lang),
        }
    ).drop(columns=["index", "reliable", "reason"])
    return Chart(
        key=f"indices_{indicator_id}",
        figure=fig,
        data=out,
        title=title,
        caption=caption,
        unit=index_unit,
        year=year,
        source=source,
        weighted=selection.weighted,
        extra={"table": table},
    )


def _decompose_years(
    data: pd.DataFrame, group: str, selection: Selection
) -> pd.DataFrame:
    rows = []
    for year, part in data.groupby(YEAR):
        part = part[part[group] != ""]
        usable, w, _ = _weights(part, selection)
        if len(usable) < MIN_TERRITORIES or usable[group].nunique() < 2:
            continue
        try:
            dec = indices.theil_decomposition(
                usable[VALUE].to_numpy(float), usable[group].to_numpy(), weights=w
            )
        except ValueError:
            continue
        rows.append(
            {
                YEAR: int(year),
                "total": dec.total,
                "between": dec.between,
                "within": dec.within,
                "between_share": dec.between_share,
                "n": len(usable),
            }
        )
    return pd.DataFrame(rows)


GROUPINGS = ("role", "agglomeration", "model")


def decomposition(
    store: Store, selection: Selection, indicator_id: str, by: str = "role"
) -> Chart:
    """Theil T split into between- and within-group parts, over the years.

    ``by="role"``: core / ring / periphery inside the selected agglomeration;
    ``by="agglomeration"``: all agglomerations' territories, grouped by
    agglomeration; ``by="model"``: grouped by the management model of their
    agglomeration.
    """
    lang = selection.lang
    meta = _meta(store, indicator_id, lang)
    terr = store.territories
    if by == "role":
        ids = _member_ids(store, selection)
        group_word = (
            "ядро / пояс / периферия" if lang == "ru" else "core / ring / periphery"
        )
    else:
        ids = terr.loc[terr["agglomeration_id"] != "", TERRITORY_ID].tolist()
        group_word = {
            "agglomeration": ("агломерации", "agglomerations"),
            "model": ("модели управления", "management models"),
        }[by][lang != "ru"]

    def every_year() -> pd.DataFrame:
        data = sel_.panel(store, indicator_id, ids).dropna(subset=[VALUE])
        data = data[data[VALUE] >= 0]
        if by == "role":
            data["group"] = data[ROLE]
        else:
            agg = terr.set_index(TERRITORY_ID)["agglomeration_id"]
            data["group"] = data[TERRITORY_ID].map(agg).fillna("")
            if by == "model":
                models = store.agglomerations.set_index("agglomeration_id")[
                    "management_model"
                ]
                data["group"] = (
                    data["group"].map(models).fillna("unknown").replace("", "unknown")
                )
        return _decompose_years(data, "group", selection)

    # the same whatever year is selected: once per store, grouping and weighting
    scope_key = selection.agglomeration_id if by == "role" else None
    table = sel_.remember(
        store,
        ("decomposition", by, scope_key, indicator_id, selection.weighted),
        every_year,
    )
    if table.empty:
        raise NoData(t("empty.too_few", lang, need=MIN_TERRITORIES, have=0))
    between = "между группами" if lang == "ru" else "between groups"
    within = "внутри групп" if lang == "ru" else "within groups"
    title = (
        f"Тейл T: между и внутри ({group_word}) — {meta['name']}"
        if lang == "ru"
        else f"Theil T between and within ({group_word}): {meta['name']}"
    )
    period = f"{table[YEAR].min()}–{table[YEAR].max()}"
    footer, source = _footer(
        store,
        selection,
        {"unit": t("index.theil", lang)},
        _sources_for(store, [indicator_id], ids),
        period,
        selection.weighted,
    )
    fig = charts.stacked_shares(
        table,
        title=title,
        footer=footer,
        x=YEAR,
        parts={"between": between, "within": within},
        y_title=t("index.theil", lang),
        lang=lang,
    )
    first, last = table.iloc[0], table.iloc[-1]
    caption = t(
        "caption.decomposition",
        lang,
        groups=group_word,
        last=fmt_number(100 * last.between_share, lang, digits=0),
        last_year=int(last[YEAR]),
        first=fmt_number(100 * first.between_share, lang, digits=0),
        first_year=int(first[YEAR]),
    )
    return Chart(
        key=f"decomposition_{by}_{indicator_id}",
        figure=fig,
        data=table,
        title=title,
        caption=caption,
        unit=t("index.theil", lang),
        year=period,
        source=source,
        weighted=selection.weighted,
    )


def compare_agglomerations(
    store: Store,
    selection: Selection,
    indicator_id: str,
    index: str = "theil",
    *,
    n_boot: int = 299,
) -> Chart:
    """One index for every agglomeration in the selected year, with its
    bootstrap 95 % interval, so agglomerations can be compared side by side."""
    lang = selection.lang
    meta = _meta(store, indicator_id, lang)
    aggs = sel_.agglomerations(store)
    terr = store.territories
    members = terr[terr["agglomeration_id"].isin(aggs["agglomeration_id"])]
    data = sel_.panel(
        store, indicator_id, members[TERRITORY_ID].tolist(), [selection.year]
    )
    data = data.dropna(subset=[VALUE])
    data["agg"] = data[TERRITORY_ID].map(
        members.set_index(TERRITORY_ID)["agglomeration_id"]
    )
    if selection.weighted:
        data = data.dropna(subset=["population"])
        data = data[data["population"] > 0]
    data = data[data.groupby("agg")[VALUE].transform("size") >= MIN_TERRITORIES]
    rows = []
    ids_all = data[TERRITORY_ID].tolist()
    if len(data):
        boot = indices.bootstrap_summary(
            data,
            value=VALUE,
            weight="population" if selection.weighted else None,
            by="agg",
            n_boot=n_boot,
            which=[index],
        )
        boot = boot.set_index("agg")
        for agg in aggs.to_dict("records"):
            if agg["agglomeration_id"] not in boot.index:
                continue
            res = boot.loc[agg["agglomeration_id"]]
            if not np.isfinite(res["estimate"]):
                continue
            bars = _interval_row(res, index, lang)
            rows.append(
                {
                    "label": name_of(agg, lang),
                    "model": t(
                        f"model.{agg.get('management_model', 'unknown') or 'unknown'}",
                        lang,
                    ),
                    "estimate": res["estimate"],
                    "kind": bars["kind"],
                    "low": bars["low"],
                    "high": bars["high"],
                    "reliable": bars["reliable"],
                    "n": int(res["n"]),
                    "current": agg["agglomeration_id"] == selection.agglomeration_id,
                }
            )
    if not rows:
        raise NoData(
            t("empty.indicator", lang, indicator=meta["name"], year=selection.year)
        )
    table = (
        pd.DataFrame(rows).sort_values("estimate", kind="stable").reset_index(drop=True)
    )
    year = str(selection.year)
    index_word = t(f"index.{index}", lang)
    title = (
        f"{index_word} по агломерациям: {meta['name']}, {year}"
        if lang == "ru"
        else f"{index_word} by agglomeration: {meta['name']}, {year}"
    )
    footer, source = _footer(
        store,
        selection,
        {"unit": index_word},
        _sources_for(store, [indicator_id], ids_all),
        year,
        selection.weighted,
    )
    fig = charts.estimates_with_ci(table, title=title, footer=footer, colour="model", lang=lang)
    low, high = table.iloc[0], table.iloc[-1]
    caption = (
        f"Ровнее всего — {low.label} ({fmt_number(low.estimate, lang, digits=3)}), "
        f"неравномернее всего — {high.label} ({fmt_number(high.estimate, lang, digits=3)})."
        if lang == "ru"
        else f"Most even: {low.label} ({fmt_number(low.estimate, lang, digits=3)}); "
        f"most uneven: {high.label} ({fmt_number(high.estimate, lang, digits=3)})."
    )
    need = intervals.reliable_from(index, selection.weighted)
    shown = int(table["reliable"].sum())
    if need is None:
        reason = _reason_text(
            intervals.unreliable_reason(index, 30, selection.weighted),
            index,
            30,
            selection.weighted,
            lang,
        )
        caption += t("caption.compare_loo", lang, reason=reason)
    else:
        caption += t(
            "caption.compare_intervals",
            lang,
            shown=shown,
            total=len(table),
            need=need,
        )
    if shown:
        caption += t("caption.interval_meaning", lang)
    return Chart(
        key=f"compare_{index}_{indicator_id}",
        figure=fig,
        data=table.drop(columns="current"),
        title=title,
        caption=caption,
        unit=index_word,
        year=year,
        source=source,
        weighted=selection.weighted,
    )
