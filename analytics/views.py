"""Views: a selection of the store in, finished charts (with captions) out.

This is where the library composes selection → statistics → figure for the
app and for the deck CLI alike, so that both show the same numbers and say
the same sentences. Every function takes the store and a
:class:`~analytics.selection.Selection` and returns a
:class:`~analytics.chart_model.Chart` or raises :class:`NoData` with a
message in the user's language (never a traceback for the UI).

Conventions
-----------
* "Agglomeration median" is the plain median over the territories of the
  agglomeration that have a value (core, ring and periphery).
* Indices and means are population-weighted when ``selection.weighted``;
  territories without a population figure for that year are then left out and
  the caption says how many.
* Direction comes from the catalog: for an indicator where lower is better
  (direction −1) the best territory is the lowest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from analytics import charts, composite, convergence, gaps, indices, intervals
from analytics import selection as sel_
from analytics.chart_model import Chart, footer_line
from analytics.i18n import fmt_amount, fmt_number, fmt_ratio, t
from analytics.i18n import name as name_of
from analytics.i18n import unit as unit_of
from analytics.selection import Selection
from analytics.store import (
    INDICATOR_ID,
    NAME_EN,
    NAME_RU,
    ROLE,
    TERRITORY_ID,
    VALUE,
    YEAR,
    Store,
)

if TYPE_CHECKING:  # scikit-learn is imported on first use (0.3 s at start-up)
    from analytics import typology

MIN_TERRITORIES = 3
CI_INDICES = ("gini", "theil", "mld", "cv", "atkinson_1", "hoover", "ratio_p90_p10")


class NoData(Exception):  # noqa: N818 - not an error, a state to explain
    """Nothing to show for this selection; ``str(error)`` explains why in the
    user's language."""


# ----------------------------------------------------------------- helpers


def _meta(store: Store, indicator_id: str, lang: str) -> dict:
    info = sel_.indicator_info(store, indicator_id)
    return {
        "name": name_of(info, lang),
        "unit": unit_of(info, lang),
        "direction": int(info.get("direction") or 0),
        "theme": info.get("theme", ""),
    }


def _tname(row: pd.Series, lang: str) -> str:
    return name_of({NAME_RU: row.get(NAME_RU), NAME_EN: row.get(NAME_EN)}, lang)


def agglomeration_name(store: Store, agglomeration_id: str, lang: str) -> str:
    row = sel_.agglomeration_rows(store).get(agglomeration_id)
    if row is None:
        return agglomeration_id
    return name_of(row, lang) or agglomeration_id


def _member_ids(store: Store, selection: Selection) -> list[str]:
    ids = sel_.members(store, selection.agglomeration_id)[TERRITORY_ID].tolist()
    if not ids:
        raise NoData(t("empty.no_agglomerations", selection.lang))
    return ids


def _year_panel(store: Store, selection: Selection, indicator_id: str) -> pd.DataFrame:
    ids = _member_ids(store, selection)
    years = [selection.year] if selection.year is not None else None
    data = sel_.panel(store, indicator_id, ids, years).dropna(subset=[VALUE])
    if data.empty:
        meta = _meta(store, indicator_id, selection.lang)
        raise NoData(
            t(
                "empty.indicator",
                selection.lang,
                indicator=meta["name"],
                year=selection.year,
            )
        )
    data["name"] = data.apply(lambda row: _tname(row, selection.lang), axis=1)
    return data


def _weights(
    data: pd.DataFrame, selection: Selection
) -> tuple[pd.DataFrame, np.ndarray | None, int]:
    """Rows usable for an index and their weights; the count left out."""
    if not selection.weighted:
        return data, None, 0
    usable = data.dropna(subset=["population"])
    usable = usable[usable["population"] > 0]
    return usable, usable["population"].to_numpy(float), len(data) - len(usable)


def _footer(
    store: Store,
    selection: Selection,
    meta: dict,
    sources,
    year: str,
    weighted: bool | None,
) -> tuple[str, str]:
    source = sel_.source_line(store, sources, selection.lang)
    return footer_line(meta["unit"], year, source, weighted, selection.lang), source


def _check_enough(n: int, lang: str, need: int = MIN_TERRITORIES) -> None:
    if n < need:
        raise NoData(t("empty.too_few", lang, need=need, have=n))


def _sources_for(store: Store, indicator_ids: list[str], ids: list[str]) -> list[str]:
    return sel_.value_sources(store, indicator_ids, ids)


def _role_word(role: str, lang: str) -> str:
    return (
        t(f"role.{role}", lang) if role in ("core", "ring", "periphery", "") else role
    )


# ----------------------------------------------------------------- theme views


def ranking(store: Store, selection: Selection, indicator_id: str) -> Chart:
    """Territories ranked on one indicator in the selected year, best on top,
    with the agglomeration median and the core marked by colour."""
    lang = selection.lang
    meta = _meta(store, indicator_id, lang)
    data = _year_panel(store, selection, indicator_id)
    ascending = meta["direction"] < 0
    data = data.sort_values(VALUE, ascending=ascending, kind="stable")
    median = float(data[VALUE].median())
    year = str(selection.year)
    footer, source = _footer(
        store,
        selection,
        meta,
        _sources_for(store, [indicator_id], data[TERRITORY_ID].tolist()),
        year,
        None,
    )
    title = f"{meta['name']}, {year}"
    fig = charts.ranking_bars(
        data, title=title, footer=footer, unit=meta["unit"], median=median, lang=lang
    )
    best, worst = data.iloc[0], data.iloc[-1]
    ratio = (
        max(best[VALUE], worst[VALUE]) / min(best[VALUE], worst[VALUE])
        if min(best[VALUE], worst[VALUE]) > 0
        else math.nan
    )
    caption = t(
        "caption.ranking",
        lang,
        best=best["name"],
        best_value=fmt_number(best[VALUE], lang),
        unit=meta["unit"],
        worst=worst["name"],
        worst_value=fmt_number(worst[VALUE], lang),
        ratio=fmt_ratio(ratio, lang),
    )
    table = pd.DataFrame(
        {
            t("label.territory", lang): data["name"].to_numpy(),
            t("label.role", lang): [_role_word(r, lang) for r in data[ROLE]],
            f"{meta['name']}, {meta['unit']}": data[VALUE].to_numpy(),
            f"{t('label.population', lang)}, {'чел.' if lang == 'ru' else 'persons'}": data[
                "population"
            ].to_numpy(),
        }
    )
    return Chart(
        key=f"ranking_{indicator_id}",
        figure=fig,
        data=table,
        title=title,
        caption=caption,
        unit=meta["unit"],
        year=year,
        source=source,
        weighted=None,
        extra={"median": median, "indicator_id": indicator_id},
    )


def zscores(
    store: Store, selection: Selection, theme: str
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Direction-aware z-scores of the theme's indicators across the
    agglomeration's territories in the selected year.

    Returns (z, values, indicator_ids): ``z`` territories × indicators where
    positive means ahead of the agglomeration mean whatever the indicator's
    direction; ``values`` the raw values; indicators with fewer than
    :data:`MIN_TERRITORIES` values or no spread are left out.
    """
    lang = selection.lang
    ids = _member_ids(store, selection)
    inds = sel_.theme_indicators(store, theme, ids)
    obs = sel_.rows(store, ids)
    mask = obs[INDICATOR_ID].isin(inds[INDICATOR_ID]) & (obs[YEAR] == selection.year)
    wide = obs[mask].pivot_table(
        index=TERRITORY_ID, columns=INDICATOR_ID, values=VALUE, observed=True
    )
    keep = [
        c
        for c in wide.columns
        if wide[c].notna().sum() >= MIN_TERRITORIES and wide[c].std() > 0
    ]
    if not keep:
        raise NoData(t("empty.theme", lang, theme=t(f"theme.{theme}", lang)))
    wide = wide[keep]
    direction = inds.set_index(INDICATOR_ID)["direction"].astype(int)
    sign = np.where(direction.reindex(keep).fillna(0).to_numpy() < 0, -1.0, 1.0)
    z = (wide - wide.mean()) / wide.std(ddof=0) * sign
    return z, wide, keep


def heatmap(store: Store, selection: Selection, theme: str) -> Chart:
    """Territories × indicators of a theme, coloured by direction-aware z."""
    lang = selection.lang
    z, values, keep = zscores(store, selection, theme)
    members = sel_.members(store, selection.agglomeration_id).set_index(TERRITORY_ID)
    labels = {
        tid: f"{_tname(members.loc[tid], lang)} ({_role_word(members.loc[tid, ROLE], lang)})"
        for tid in z.index
    }
    metas = {i: _meta(store, i, lang) for i in keep}
    order = members.index[members.index.isin(z.index)]
    z = z.loc[order]
    values = values.loc[order]
    text = values.copy().astype(object)
    for ind in keep:
        text[ind] = [f"{fmt_number(v, lang)} {metas[ind]['unit']}" for v in values[ind]]
    z.index = [labels[i] for i in z.index]
    text.index = z.index
    z.columns = [charts.wrap(metas[i]["name"], 22) for i in keep]
    text.columns = z.columns
    year = str(selection.year)
    theme_word = t(f"theme.{theme}", lang)
    title = (
        f"Отставание и опережение: {theme_word}, {year}"
        if lang == "ru"
        else f"Behind and ahead: {theme_word}, {year}"
    )
    footer, source = _footer(
        store,
        selection,
        {"unit": "z"},
        _sources_for(store, keep, list(order)),
        year,
        None,
    )
    fig = charts.heatmap(z, title=title, footer=footer, text=text, lang=lang)
    worst = z.stack().idxmin()
    caption = (
        f"Сильнее всего отстаёт {worst[0]} по показателю «{worst[1]}» "
        f"(z = {fmt_number(z.loc[worst], lang, digits=1)}); красный — отставание "
        "от среднего по агломерации с учётом направления показателя."
        if lang == "ru"
        else f"Furthest behind: {worst[0]} on «{worst[1]}» "
        f"(z = {fmt_number(z.loc[worst], lang, digits=1)}); red = behind the "
        "agglomeration mean, whatever the indicator's direction."
    )
    data = values.copy()
    data.index = z.index
    data.columns = [f"{metas[i]['name']}, {metas[i]['unit']}" for i in keep]
    data = data.reset_index(names=t("label.territory", lang))
    return Chart(
        key=f"heatmap_{theme}",
        figure=fig,
        data=data,
        title=title,
        caption=caption,
        unit="z",
        year=year,
        source=source,
        weighted=False,
    )


# ----------------------------------------------------------------- inequality


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
        table[~table["index"].str.startswith("ratio_")], title=title, footer=footer
    )
    theil_row = table.set_index("index").get("estimate", pd.Series()).get("theil")
    gini_row = table.set_index("index")["estimate"].get("gini")
    caption = ""
    if gini_row is not None:
        caption = t("caption.index_gini", lang, value=fmt_number(gini_row, lang, digits=3))
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
    fig = charts.estimates_with_ci(table, title=title, footer=footer, colour="model")
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


# ----------------------------------------------------------------- dynamics


def _claim(trend: str, pvalue: float, alpha: float, lang: str) -> str:
    """What a trend's evidence supports, in the words sigma and beta share."""
    key = {"converging": "claim.converging", "diverging": "claim.diverging"}.get(
        trend, "claim.none"
    )
    return t(
        key,
        lang,
        p=fmt_number(pvalue, lang, digits=3),
        alpha=fmt_number(alpha, lang, digits=2),
    )


def _panel_note(
    kept: convergence.ConvergencePanel, measure: str, lang: str, *, balance=True
) -> str:
    """What a convergence view left out, and whether its panel is balanced."""
    note = ""
    if kept.dropped_zero:
        note += t("caption.dropped_zero", lang, n=kept.dropped_zero, measure=measure)
    if kept.dropped_negative:
        note += t("caption.dropped_negative", lang, n=kept.dropped_negative)
    if not balance or kept.per_year.empty:
        return note
    if kept.balanced and kept.dropped_territories:
        return note + t(
            "caption.panel_balanced_dropped",
            lang,
            n=int(kept.per_year.iloc[0]),
            k=kept.dropped_territories,
        )
    if kept.balanced:
        return note + t("caption.panel_balanced", lang, n=int(kept.per_year.iloc[0]))
    counts = ", ".join(f"{int(y)}: {int(c)}" for y, c in kept.per_year.items())
    return note + t("caption.panel_unbalanced", lang, counts=counts)


def sigma(
    store: Store, selection: Selection, indicator_id: str, measure: str = "cv"
) -> Chart:
    """Sigma convergence: the dispersion between the agglomeration's
    territories over the years, with its linear trend."""
    lang = selection.lang
    meta = _meta(store, indicator_id, lang)
    ids = _member_ids(store, selection)
    data = sel_.panel(store, indicator_id, ids).dropna(subset=[VALUE])
    weight = None
    if selection.weighted:
        data = data.dropna(subset=["population"])
        weight = "population"
    # zeros only where the measure takes logs; negatives always; balanced
    # when that keeps 3 territories (counted and said in the caption)
    kept = convergence.convergence_panel(data, measure=measure)
    data = kept.data
    if data[YEAR].nunique() < 3:
        raise NoData(t("empty.too_few", lang, need=3, have=int(data[YEAR].nunique())))
    try:
        res = convergence.sigma_convergence(
            data, measure=measure, weight=weight, balanced=False
        )
    except ValueError as error:
        raise NoData(str(error)) from error
    disp = res.dispersion
    fit = pd.DataFrame(
        {YEAR: disp[YEAR], "dispersion": res.intercept + res.slope * disp[YEAR]}
    )
    measure_word = {
        "cv": t("index.cv", lang),
        "theil": t("index.theil", lang),
        "sd_log": "SD log",
        "gini": t("index.gini", lang),
        "mld": t("index.mld", lang),
    }[measure]
    period = f"{int(disp[YEAR].min())}–{int(disp[YEAR].max())}"
    title = (
        f"σ-конвергенция: {measure_word}, {meta['name']}"
        if lang == "ru"
        else f"σ-convergence: {measure_word}, {meta['name']}"
    )
    footer, source = _footer(
        store,
        selection,
        {"unit": measure_word},
        _sources_for(store, [indicator_id], ids),
        period,
        selection.weighted,
    )
    trend_word = _claim(res.trend, res.pvalue, res.alpha, lang)
    fig = charts.trend_line(
        disp,
        title=title,
        footer=footer,
        x=YEAR,
        y="dispersion",
        y_title=measure_word,
        fit=fit,
        fit_label="тренд" if lang == "ru" else "trend",
    )
    first, last = disp.iloc[0], disp.iloc[-1]
    caption = (
        f"{measure_word}: {fmt_number(first.dispersion, lang, digits=3)} в {int(first[YEAR])} г. → "
        f"{fmt_number(last.dispersion, lang, digits=3)} в {int(last[YEAR])} г.; "
        f"наклон {fmt_number(res.slope, lang, digits=4)} в год: {trend_word}."
        if lang == "ru"
        else f"{measure_word}: {fmt_number(first.dispersion, lang, digits=3)} in {int(first[YEAR])} → "
        f"{fmt_number(last.dispersion, lang, digits=3)} in {int(last[YEAR])}; "
        f"slope {fmt_number(res.slope, lang, digits=4)} per year: {trend_word}."
    )
    caption += _panel_note(kept, measure_word, lang)
    return Chart(
        key=f"sigma_{measure}_{indicator_id}",
        figure=fig,
        data=disp,
        title=title,
        caption=caption,
        unit=measure_word,
        year=period,
        source=source,
        weighted=selection.weighted,
        extra={"result": res},
    )


def beta(
    store: Store, selection: Selection, indicator_id: str, start: int, end: int
) -> Chart:
    """Beta convergence between two years: annual growth against the initial
    log level, with speed and half-life."""
    lang = selection.lang
    meta = _meta(store, indicator_id, lang)
    ids = _member_ids(store, selection)
    data = sel_.panel(store, indicator_id, ids, [start, end]).dropna(subset=[VALUE])
    weight = "population" if selection.weighted else None
    if weight:
        data = data.dropna(subset=["population"])
    kept = convergence.convergence_panel(data, measure="beta")  # logs: > 0
    data = kept.data
    try:
        res = convergence.beta_convergence(data, start=start, end=end, weight=weight)
    except ValueError as error:
        raise NoData(str(error)) from error
    wide = data.pivot_table(index=TERRITORY_ID, columns=YEAR, values=VALUE).dropna()
    members = sel_.members(store, selection.agglomeration_id).set_index(TERRITORY_ID)
    pop = data[data[YEAR] == start].set_index(TERRITORY_ID)["population"]
    points = pd.DataFrame(
        {
            "x": np.log(wide[start]),
            "y": np.log(wide[end] / wide[start]) / (end - start),
            "name": [_tname(members.loc[i], lang) for i in wide.index],
            "role": [members.loc[i, ROLE] for i in wide.index],
            "population": pop.reindex(wide.index).to_numpy(),
        },
        index=wide.index,
    )
    xs = np.linspace(points.x.min(), points.x.max(), 20)
    fit = pd.DataFrame({"x": xs, "y": res.intercept + res.beta * xs})
    period = f"{start}–{end}"
    title = (
        f"β-конвергенция: {meta['name']}, {period}"
        if lang == "ru"
        else f"β-convergence: {meta['name']}, {period}"
    )
    footer, source = _footer(
        store,
        selection,
        meta,
        _sources_for(store, [indicator_id], ids),
        period,
        selection.weighted,
    )
    fig = charts.beta_scatter(
        points,
        title=title,
        footer=footer,
        x_title=f"ln ({meta['unit']}), {start}",
        y_title="среднегодовой рост" if lang == "ru" else "annual growth",
        fit=fit,
        lang=lang,
    )
    half = res.half_life
    # the same claim, in the same words, as sigma convergence: only p < alpha
    caption = (
        f"β = {fmt_number(res.beta, lang, digits=4)}: "
        f"{_claim(res.trend, res.pvalue, res.alpha, lang)}"
    )
    if res.trend == "converging" and np.isfinite(half):
        caption += t(
            "caption.beta_half_life", lang, years=fmt_number(half, lang, digits=1)
        )
    else:
        caption += "."
    caption += _panel_note(kept, "β", lang, balance=False)
    return Chart(
        key=f"beta_{indicator_id}",
        figure=fig,
        data=points.reset_index(),
        title=title,
        caption=caption,
        unit=meta["unit"],
        year=period,
        source=source,
        weighted=selection.weighted,
        extra={"result": res},
    )


def mobility(
    store: Store, selection: Selection, indicator_id: str, start: int, end: int
) -> Chart:
    """Ranks of territories in two years (slope chart) with Spearman and
    Kendall correlations: do laggards stay laggards?"""
    lang = selection.lang
    meta = _meta(store, indicator_id, lang)
    ids = _member_ids(store, selection)
    data = sel_.panel(store, indicator_id, ids, [start, end]).dropna(subset=[VALUE])
    try:
        res = convergence.rank_mobility(
            data, start=start, end=end, higher_is_better=meta["direction"] >= 0
        )
    except ValueError as error:
        raise NoData(str(error)) from error
    members = sel_.members(store, selection.agglomeration_id).set_index(TERRITORY_ID)
    ranks = res.ranks.copy()
    id_col = TERRITORY_ID if TERRITORY_ID in ranks else ranks.columns[0]
    ranks["name"] = [_tname(members.loc[i], lang) for i in ranks[id_col]]
    period = f"{start}–{end}"
    title = (
        f"Места территорий: {meta['name']}, {start} и {end}"
        if lang == "ru"
        else f"Ranks of territories: {meta['name']}, {start} and {end}"
    )
    footer, source = _footer(
        store,
        selection,
        {"unit": "место (1 — лучшее)" if lang == "ru" else "rank (1 = best)"},
        _sources_for(store, [indicator_id], ids),
        period,
        None,
    )
    fig = charts.slope_chart(
        ranks, title=title, footer=footer, start=start, end=end, lang=lang
    )
    caption = (
        f"Ранговая корреляция Спирмена {fmt_number(res.spearman, lang, digits=2)}, "
        f"Кендалла {fmt_number(res.kendall, lang, digits=2)}: "
        + (
            "отстающие остаются отстающими."
            if res.spearman > 0.7
            else "порядок территорий заметно меняется."
        )
        if lang == "ru"
        else f"Spearman {fmt_number(res.spearman, lang, digits=2)}, Kendall "
        f"{fmt_number(res.kendall, lang, digits=2)}: "
        + (
            "laggards stay laggards."
            if res.spearman > 0.7
            else "the order of territories changes noticeably."
        )
    )
    return Chart(
        key=f"mobility_{indicator_id}",
        figure=fig,
        data=ranks,
        title=title,
        caption=caption,
        unit="место" if lang == "ru" else "rank",
        year=period,
        source=source,
        weighted=None,
        extra={"result": res},
    )


# ----------------------------------------------------------------- territory profile


def profile_table(
    store: Store, selection: Selection, territory_id: str
) -> pd.DataFrame:
    """One territory's card: every comparable theme indicator in the selected
    year against the agglomeration median, with its rank among the members
    (1 = best, direction-aware) and the ratio to the median."""
    lang = selection.lang
    ids = _member_ids(store, selection)
    rows = []
    for theme in sel_.THEMES:
        for info in sel_.theme_indicators(store, theme, ids).to_dict("records"):
            indicator = info[INDICATOR_ID]
            data = sel_.panel(store, indicator, ids, [selection.year]).dropna(
                subset=[VALUE]
            )
            if territory_id not in set(data[TERRITORY_ID]):
                continue
            value = float(data.loc[data[TERRITORY_ID] == territory_id, VALUE].iloc[0])
            median = float(data[VALUE].median())
            direction = int(info.get("direction") or 0)
            better_high = direction >= 0
            rank = (
                int((data[VALUE] > value).sum() + 1)
                if better_high
                else int((data[VALUE] < value).sum() + 1)
            )
            behind = (value < median) if better_high else (value > median)
            rows.append(
                {
                    ("Тема" if lang == "ru" else "Theme"): t(f"theme.{theme}", lang),
                    t("label.indicator", lang): name_of(info, lang),
                    t("label.unit", lang): unit_of(info, lang),
                    t("label.value", lang): round(value, 2),
                    t("label.median", lang): round(median, 2),
                    ("к медиане" if lang == "ru" else "to median"): round(
                        value / median, 2
                    )
                    if median
                    else np.nan,
                    ("место" if lang == "ru" else "rank"): f"{rank} / {len(data)}",
                    ("отстаёт" if lang == "ru" else "behind"): (
                        "да" if lang == "ru" else "yes"
                    )
                    if behind and direction != 0
                    else "",
                }
            )
    if not rows:
        raise NoData(t("empty.too_few", lang, need=1, have=0))
    table = pd.DataFrame(rows)
    sources = sel_.value_sources(store, sel_.comparable_indicators(store, ids), ids)
    source = sel_.source_line(store, sources, lang)
    # Units are a column of the table; the footer gives year, source, weighting.
    table.attrs["footer"] = footer_line("", str(selection.year), source, None, lang)
    return table


def profile_trend(
    store: Store, selection: Selection, territory_id: str, indicator_id: str
) -> Chart:
    """The territory's values over the years against the agglomeration median
    and the core."""
    lang = selection.lang
    meta = _meta(store, indicator_id, lang)
    ids = _member_ids(store, selection)
    data = sel_.panel(store, indicator_id, ids).dropna(subset=[VALUE])
    own = data[data[TERRITORY_ID] == territory_id]
    if own.empty:
        raise NoData(t("empty.indicator", lang, indicator=meta["name"], year="—"))
    members = sel_.members(store, selection.agglomeration_id).set_index(TERRITORY_ID)
    label = _tname(members.loc[territory_id], lang)
    median = data.groupby(YEAR)[VALUE].median()
    frames = [
        pd.DataFrame({YEAR: own[YEAR], "value": own[VALUE], "series": label}),
        pd.DataFrame(
            {
                YEAR: median.index,
                "value": median.to_numpy(),
                "series": t("label.median", lang),
            }
        ),
    ]
    core = members.index[members[ROLE] == "core"]
    if len(core) and core[0] != territory_id:
        core_rows = data[data[TERRITORY_ID] == core[0]]
        frames.append(
            pd.DataFrame(
                {
                    YEAR: core_rows[YEAR],
                    "value": core_rows[VALUE],
                    "series": f"{t('role.core', lang)}: {_tname(members.loc[core[0]], lang)}",
                }
            )
        )
    table = pd.concat(frames, ignore_index=True)
    period = f"{int(table[YEAR].min())}–{int(table[YEAR].max())}"
    title = f"{label}: {meta['name']}"
    footer, source = _footer(
        store, selection, meta, _sources_for(store, [indicator_id], ids), period, None
    )
    fig = charts.series_lines(
        table, title=title, footer=footer, unit=meta["unit"], lang=lang
    )
    last = own.sort_values(YEAR).iloc[-1]
    med_last = median.get(last[YEAR], np.nan)
    caption = (
        f"В {int(last[YEAR])} г. — {fmt_number(last[VALUE], lang)} {meta['unit']} при медиане агломерации {fmt_number(med_last, lang)}."
        if lang == "ru"
        else f"In {int(last[YEAR])}: {fmt_number(last[VALUE], lang)} {meta['unit']} vs the agglomeration median {fmt_number(med_last, lang)}."
    )
    return Chart(
        key=f"profile_{territory_id}_{indicator_id}",
        figure=fig,
        data=table,
        title=title,
        caption=caption,
        unit=meta["unit"],
        year=period,
        source=source,
    )


# ----------------------------------------------------------------- gaps

BENCHMARK_WORDS = {
    "core": ("ядра", "the core"),
    "median": ("медианы агломерации", "the agglomeration median"),
    "best_quartile": ("лучшей четверти", "the best quartile"),
    "weighted_mean": (
        "средней по агломерации (взвеш.)",
        "the weighted agglomeration mean",
    ),
    "region": ("уровня региона", "the regional level"),
    "country": ("уровня России", "the national level"),
}


def _gap_unit(unit: str, lang: str) -> str:
    """Unit of a difference: a difference of percentages is in percentage
    points."""
    if unit.strip() == "%":
        return "п. п." if lang == "ru" else "pp"
    return unit


def _total_unit(store: Store, indicator_id: str, lang: str) -> str:
    basis = gaps.extensive_basis(store.indicators)
    row = (
        basis[basis[INDICATOR_ID] == indicator_id]
        if INDICATOR_ID in basis
        else basis.iloc[0:0]
    )
    if row.empty:
        return ""
    for column in (
        ("total_unit_en", "unit_en") if lang == "en" else ("total_unit", "unit")
    ):
        if column in row and str(row.iloc[0][column]):
            return str(row.iloc[0][column])
    return ""


def _every_year(store: Store, fn, agglomeration_id: str, indicator_id: str, **options):
    """``fn`` (a :mod:`analytics.gaps` function) over every year for one
    agglomeration and indicator, once per store: a change of the selected
    year only slices the result (never mutate it)."""
    key = (fn.__name__, agglomeration_id, indicator_id, *sorted(options.items()))
    return sel_.remember(
        store,
        key,
        lambda: fn(
            sel_.scope(store, agglomeration_id),
            store.territories,
            store.indicators,
            agglomeration_id,
            indicator_ids=[indicator_id],  # no year: every year
            **{k: list(v) if isinstance(v, tuple) else v for k, v in options.items()},
        ),
    )


def gap_to_benchmark(
    store: Store, selection: Selection, indicator_id: str, benchmark: str = "median"
) -> Chart:
    """How much each territory misses (red) or exceeds (blue) a benchmark, in
    the indicator's unit, with the total amount missing where it adds up."""
    lang = selection.lang
    meta = _meta(store, indicator_id, lang)
    agg = selection.agglomeration_id
    try:
        # every year at once, once per store: a change of year only slices
        every_year = _every_year(
            store, gaps.benchmark_gaps, agg, indicator_id, benchmarks=(benchmark,)
        )
    except ValueError as error:
        raise NoData(
            t("empty.indicator", lang, indicator=meta["name"], year=selection.year)
        ) from error
    year_rows = every_year[every_year[YEAR] == selection.year]
    table = year_rows.dropna(subset=["gap_abs"]).reset_index(drop=True)
    if table.empty:
        no_population = benchmark == "weighted_mean" and not (
            year_rows["population"] > 0
        ).any()
        if year_rows[VALUE].notna().any() and no_population:
            raise NoData(  # a weighted mean without weights: not Rosstat's gap
                t(
                    "empty.benchmark_population",
                    lang,
                    indicator=meta["name"],
                    year=selection.year,
                    benchmark=BENCHMARK_WORDS[benchmark][lang != "ru"],
                )
            )
        if year_rows[VALUE].notna().any():  # the territories have values,
            raise NoData(  # the benchmark (a region, the country) has none
                t(
                    "empty.benchmark",
                    lang,
                    indicator=meta["name"],
                    year=selection.year,
                    benchmark=BENCHMARK_WORDS[benchmark][lang != "ru"],
                )
            )
        raise NoData(
            t("empty.indicator", lang, indicator=meta["name"], year=selection.year)
        )
    members = sel_.members(store, selection.agglomeration_id).set_index(TERRITORY_ID)
    table["name"] = [_tname(members.loc[i], lang) for i in table[TERRITORY_ID]]
    table = table.rename(columns={"gap_abs": "gap"})
    word = BENCHMARK_WORDS[benchmark][lang != "ru"]
    year = str(selection.year)
    title = (
        f"Разрыв до {word}: {meta['name']}, {year}"
        if lang == "ru"
        else f"Gap to {word}: {meta['name']}, {year}"
    )
    footer, source = _footer(
        store,
        selection,
        meta,
        _sources_for(store, [indicator_id], table[TERRITORY_ID].tolist()),
        year,
        None,
    )
    fig = charts.gap_bars(
        table, title=title, footer=footer, unit=meta["unit"], lang=lang
    )
    behind = table[table["gap"] > 0]
    bench_value = float(table["benchmark_value"].iloc[0])
    total = behind["missing_total"].sum(min_count=1)
    total_unit = _total_unit(store, indicator_id, lang)
    caption = t(
        "caption.gap_behind",
        lang,
        benchmark=word,
        value=fmt_number(bench_value, lang),
        unit=meta["unit"],
        behind=len(behind),
        n=len(table),
    )
    if len(behind):
        worst = behind.sort_values("gap").iloc[-1]
        caption += t(
            "caption.gap_largest",
            lang,
            name=worst["name"],
            gap=fmt_number(worst["gap"], lang),
            unit=_gap_unit(meta["unit"], lang),
        )
    if pd.notna(total) and total > 0:
        caption += t(
            "caption.gap_total_missing"
            if meta["direction"] >= 0
            else "caption.gap_total_excess",
            lang,
            amount=fmt_amount(total, total_unit, lang),
        )
    data = table[
        [
            "name",
            ROLE,
            VALUE,
            "benchmark_value",
            "gap",
            "gap_ratio",
            "population",
            "missing_total",
        ]
    ].rename(
        columns={
            "name": t("label.territory", lang),
            ROLE: t("label.role", lang),
            VALUE: f"{meta['name']}, {meta['unit']}",
            "benchmark_value": f"{word}, {meta['unit']}",
            "gap": ("недостаёт" if lang == "ru" else "shortfall") + f", {meta['unit']}",
            "gap_ratio": "к ориентиру" if lang == "ru" else "to benchmark",
        }
    )
    return Chart(
        key=f"gap_{benchmark}_{indicator_id}",
        figure=fig,
        data=data,
        title=title,
        caption=caption.rstrip(".") + ".",
        unit=meta["unit"],
        year=year,
        source=source,
        weighted=benchmark == "weighted_mean",
    )


def core_periphery(store: Store, selection: Selection, indicator_id: str) -> Chart:
    """Core vs ring vs periphery means over the years, with the trend of the
    core/ring ratio."""
    lang = selection.lang
    meta = _meta(store, indicator_id, lang)
    res = _every_year(
        store,
        gaps.core_periphery_gap,
        selection.agglomeration_id,
        indicator_id,
        weighted=selection.weighted,
    )
    wide = res.by_year
    if wide.empty:
        raise NoData(t("empty.indicator", lang, indicator=meta["name"], year="—"))
    long = wide.melt(
        id_vars=[YEAR],
        value_vars=[r for r in sel_.ROLES if r in wide],
        var_name=ROLE,
        value_name="value",
    ).dropna()
    period = f"{int(wide[YEAR].min())}–{int(wide[YEAR].max())}"
    title = (
        f"Ядро, пояс и периферия: {meta['name']}"
        if lang == "ru"
        else f"Core, ring and periphery: {meta['name']}"
    )
    ids = _member_ids(store, selection)
    footer, source = _footer(
        store,
        selection,
        meta,
        _sources_for(store, [indicator_id], ids),
        period,
        selection.weighted,
    )
    fig = charts.role_lines(
        long, title=title, footer=footer, unit=meta["unit"], lang=lang
    )
    caption = ""
    trend = (
        res.trend[res.trend["ratio"] == "core_periphery"]
        if "ratio" in res.trend
        else pd.DataFrame()
    )
    if trend.empty or trend.iloc[0][["first", "last"]].isna().any():
        trend = (
            res.trend[res.trend["ratio"] == "core_ring"]
            if "ratio" in res.trend
            else pd.DataFrame()
        )
    if not trend.empty and trend.iloc[0][["first", "last"]].notna().all():
        row = trend.iloc[0]
        caption = t(
            "caption.core_ratio",
            lang,
            other=t(
                "caption.to_periphery"
                if row["ratio"] == "core_periphery"
                else "caption.to_ring",
                lang,
            ),
            first=fmt_number(row["first"], lang, digits=2),
            first_year=int(row["first_year"]),
            last=fmt_number(row["last"], lang, digits=2),
            last_year=int(row["last_year"]),
            verdict=t(
                "caption.gap_narrowed" if row["closing"] else "caption.gap_widened",
                lang,
            ),
        )
    data = wide.drop(columns=["agglomeration_id", "indicator_id"], errors="ignore")
    return Chart(
        key=f"core_periphery_{indicator_id}",
        figure=fig,
        data=data,
        title=title,
        caption=caption,
        unit=meta["unit"],
        year=period,
        source=source,
        weighted=selection.weighted,
        extra={"trend": res.trend},
    )


def gap_sentences(store: Store, selection: Selection, n: int = 5) -> pd.DataFrame:
    """The biggest shortfalls to the agglomeration median, one sentence each."""
    lang = selection.lang
    table = gaps.biggest_gaps(
        sel_.scope_years(store, selection.agglomeration_id, [selection.year]),
        store.territories,
        store.indicators,
        selection.agglomeration_id,
        selection.year,
        benchmark="median",
        n=n,
        theme=list(sel_.THEMES),
    )
    comparable = set(
        i
        for theme in sel_.THEMES
        for i in sel_.theme_indicators(store, theme)[INDICATOR_ID]
    )
    table = table[table[INDICATOR_ID].isin(comparable)]
    lower_better = (
        store.indicators.set_index(INDICATOR_ID)["direction"].astype(int).to_dict()
    )
    sentences = []
    for row in table.to_dict("records"):
        name = row["name_en"] if lang == "en" and row.get("name_en") else row["name_ru"]
        indicator = (
            row["indicator_name_en"] if lang == "en" else row["indicator_name_ru"]
        )
        unit = row["unit_en"] if lang == "en" else row["unit"]
        text = t(
            "sentence.gap",
            lang,
            name=name,
            indicator=indicator,
            value=fmt_number(row["value"], lang),
            unit=unit,
            median=fmt_number(row["benchmark_value"], lang),
        ) + t(
            "sentence.short"
            if lower_better.get(row[INDICATOR_ID], 1) >= 0
            else "sentence.above",
            lang,
            gap=fmt_number(row["gap_abs"], lang),
            unit=_gap_unit(unit, lang),
        )
        if pd.notna(row.get("missing_total")) and row["missing_total"] > 0:
            total_unit = row.get("total_unit_en" if lang == "en" else "total_unit", "")
            text += t(
                "sentence.total",
                lang,
                amount=fmt_amount(row["missing_total"], total_unit, lang),
            )
        # a unit may end the sentence with its own point («п. п.»)
        end = "" if text.endswith(".") else "."
        sentences.append({**row, "sentence": text + end})
    return pd.DataFrame(sentences)


# ----------------------------------------------------------------- typology


@dataclass
class TypologyView:
    """A fitted typology of all agglomeration territories and its charts;
    ``stability`` is the model's stability as printed, with the digits its
    Monte Carlo error allows (:func:`stability_text`)."""

    model: typology.Typology
    scatter: Chart
    profiles: Chart
    map: Chart | None
    members: pd.DataFrame
    stability: str = ""


def stability_text(model: typology.Typology, lang: str, *, full: bool = True) -> str:
    """The bootstrap stability with the decimals its Monte Carlo standard
    error allows (another seed moves it by about that much), ± that error."""
    from analytics import typology as typology_

    error = float(getattr(model, "stability_se_", float("nan")))
    digits = typology_.stability_digits(error)
    value = fmt_number(float(model.stability_), lang, digits=digits)
    shown = (
        f"{value} ± {fmt_number(error, lang, digits=digits + 1)}"
        if np.isfinite(error) and error > 0
        else value
    )
    if not full:
        return shown
    refits = len(getattr(model, "stability_scores_", []))
    value_part, _, error_part = shown.partition(" ± ")
    text = t(
        "caption.typology_stability",
        lang,
        refits=refits,
        value=value_part,
        error=error_part or "0",
    )
    return text


def _typology_inputs(store: Store) -> tuple[list[str], list[str]]:
    """Every agglomeration territory and the comparable theme indicators."""
    terr = store.territories
    ids = terr.loc[terr["agglomeration_id"] != "", TERRITORY_ID].tolist()
    return ids, sel_.comparable_indicators(store, ids)


def typology_years(store: Store) -> list[int]:
    """Years in which the agglomeration territories have values (the years a
    typology can be asked for)."""
    return sel_.years(store, _typology_inputs(store)[0])


def typology_model(
    store: Store,
    year: int,
    method: str = "kmeans",
    n_clusters: int | str = "auto",
    lang: str = "ru",
) -> typology.Typology:
    """The fitted typology of every agglomeration territory in ``year``: one
    fit per store, year and method, shared by every agglomeration, weighting
    and language (never mutate it). ``NoData`` when it cannot be fitted."""
    ids, indicator_ids = _typology_inputs(store)

    def fit() -> typology.Typology:
        from analytics import typology  # scikit-learn: imported on first use

        matrix = composite.indicator_matrix(
            sel_.scope(store),
            store.territories,
            store.indicators,
            None,
            year,
            indicator_ids=indicator_ids,
        )
        matrix = matrix[matrix.index.isin(ids)]
        if len(matrix) < 6:
            raise NoData(t("empty.too_few", lang, need=6, have=len(matrix)))
        model = typology.Typology(
            method=method,
            n_clusters=n_clusters,
            catalog=store.indicators,
            random_state=0,
        )
        return model.fit(matrix)

    try:
        return sel_.remember(store, ("typology", year, method, n_clusters), fit)
    except ValueError as error:
        raise NoData(str(error)) from error


def typology_view(
    store: Store,
    selection: Selection,
    method: str = "kmeans",
    n_clusters: int | str = "auto",
) -> TypologyView:
    """Cluster every agglomeration territory on the comparable indicators of
    the three themes in the selected year; the selected agglomeration's
    territories are listed with their type."""
    lang = selection.lang
    ids, indicator_ids = _typology_inputs(store)
    model = typology_model(store, selection.year, method, n_clusters, lang)
    names = model.cluster_names_["name_en" if lang == "en" else "name_ru"]
    members = sel_.territory_lookup(store).reindex(model.embedding_.index)
    emb = model.embedding_.copy()
    emb["type"] = emb["cluster"].map(names)
    emb["name"] = [_tname(row, lang) for row in members.to_dict("records")]
    emb["agglomeration"] = [
        agglomeration_name(store, a, lang) for a in members["agglomeration_id"]
    ]
    emb["label"] = emb["name"] + " — " + emb["agglomeration"]
    emb["highlight"] = (
        members["agglomeration_id"] == selection.agglomeration_id
    ).to_numpy()
    year = str(selection.year)
    source = sel_.source_line(
        store, sel_.value_sources(store, indicator_ids, ids), lang
    )
    evr = model.explained_variance_ratio_
    silhouette = model.silhouette_
    if isinstance(silhouette, pd.Series):
        silhouette = silhouette.get(model.n_clusters_, np.nan)
    silhouette = float(silhouette)
    method_word = (
        {"kmeans": "k-средних", "ward": "Уорд", "gmm": "гауссова смесь"}.get(
            method, method
        )
        if lang == "ru"
        else {"kmeans": "k-means", "ward": "Ward", "gmm": "Gaussian mixture"}.get(
            method, method
        )
    )
    footer_base = footer_line("", year, source, None, lang)
    title = (
        f"Типы территорий ({method_word}, k = {model.n_clusters_}), {year}"
        if lang == "ru"
        else f"Types of territories ({method_word}, k = {model.n_clusters_}), {year}"
    )
    x_title = (
        f"ГК1 ({evr[0]:.0%} дисперсии)"
        if lang == "ru"
        else f"PC1 ({evr[0]:.0%} of variance)"
    )
    y_title = (
        f"ГК2 ({evr[1]:.0%} дисперсии)"
        if lang == "ru"
        else f"PC2 ({evr[1]:.0%} of variance)"
    )
    fig = charts.scatter_points(
        emb,
        title=title,
        footer=footer_base,
        x="pc1",
        y="pc2",
        colour="type",
        x_title=x_title,
        y_title=y_title,
        text="label",
    )
    caption = (
        f"{len(emb)} территорий {len(set(members.loc[emb.index, 'agglomeration_id']))} агломераций в {model.n_clusters_} типах (ромбы — выбранная агломерация); "
        f"силуэт {fmt_number(silhouette, lang, digits=2)}, "
        if lang == "ru"
        else f"{len(emb)} territories of {len(set(members.loc[emb.index, 'agglomeration_id']))} agglomerations in {model.n_clusters_} types (diamonds: the selected agglomeration); "
        f"silhouette {fmt_number(silhouette, lang, digits=2)}, "
    )
    caption += stability_text(model, lang) + "."
    scatter = Chart(
        key="typology_scatter",
        figure=fig,
        data=emb.reset_index()[
            [TERRITORY_ID, "name", "agglomeration", "type", "pc1", "pc2"]
        ],
        title=title,
        caption=caption,
        unit="z",
        year=year,
        source=source,
    )
    prof = model.profiles_.copy()
    metas = {
        i: _meta(store, i, lang)
        for i in prof.columns
        if i in set(store.indicators[INDICATOR_ID])
    }
    prof.columns = [metas[i]["name"] if i in metas else i for i in prof.columns]
    prof.index = [names.get(c, str(c)) for c in prof.index]
    p_title = (
        "Профили типов: средний z по показателям"
        if lang == "ru"
        else "Type profiles: mean z by indicator"
    )
    p_fig = charts.heatmap(prof.round(2), title=p_title, footer=footer_base, lang=lang)
    p_fig.update_xaxes(tickangle=-40)
    profiles = Chart(
        key="typology_profiles",
        figure=p_fig,
        data=prof.reset_index(names="type"),
        title=p_title,
        caption=(
            "Синий — выше среднего с учётом направления показателя, красный — ниже."
            if lang == "ru"
            else "Blue = above average (direction-aware), red = below."
        ),
        unit="z",
        year=year,
        source=source,
    )
    coords = sel_.coordinates(store).set_index(TERRITORY_ID)
    located = emb[emb.index.isin(coords.index)].join(coords)
    map_chart = None
    if len(located) >= 3:
        m_title = (
            "Типы территорий на карте (центры муниципалитетов)"
            if lang == "ru"
            else "Types on the map (municipal centres)"
        )
        m_fig = charts.scatter_points(
            located,
            title=m_title,
            footer=footer_base,
            x="longitude",
            y="latitude",
            colour="type",
            x_title="долгота" if lang == "ru" else "longitude",
            y_title="широта" if lang == "ru" else "latitude",
            text="label",
            geo=True,
        )
        missing = len(emb) - len(located)
        m_caption = (
            f"Точки — административные центры; без координат в справочнике: {missing} территорий."
            if lang == "ru"
            else f"Points are administrative centres; {missing} territories lack coordinates in the reference."
        )
        map_chart = Chart(
            key="typology_map",
            figure=m_fig,
            data=located.reset_index()[
                [TERRITORY_ID, "name", "type", "latitude", "longitude"]
            ],
            title=m_title,
            caption=m_caption,
            unit="°",
            year=year,
            source=source,
        )
    own = emb[
        [
            members.loc[i, "agglomeration_id"] == selection.agglomeration_id
            for i in emb.index
        ]
    ]
    table = pd.DataFrame(
        {
            t("label.territory", lang): own["name"],
            t("label.role", lang): [
                _role_word(members.loc[i, ROLE], lang) for i in own.index
            ],
            "Тип" if lang == "ru" else "Type": own["type"],
        }
    )
    return TypologyView(
        model=model,
        scatter=scatter,
        profiles=profiles,
        map=map_chart,
        members=table,
        stability=stability_text(model, lang, full=False),
    )


# ----------------------------------------------------------------- best practices


def album_deviants(
    store: Store,
    selection: Selection,
    theme: str = "finance",
    start: int | None = None,
    level: str = "territory",
    top: int = 10,
) -> Chart:
    """Positive deviants: who closed the gap to the agglomeration median
    fastest between ``start`` and the selected year, with their agglomeration's
    management model."""
    lang = selection.lang
    terr = store.territories
    ids = terr.loc[terr["agglomeration_id"] != "", TERRITORY_ID].tolist()
    years_all = sel_.years(store, ids)
    if start is None:
        start = years_all[0] if years_all else None
    if start is None or start >= selection.year:
        raise NoData(t("empty.too_few", lang, need=2, have=1))
    table = gaps.positive_deviants(
        sel_.scope_years(store, None, [start, selection.year]),
        store.territories,
        store.indicators,
        store.agglomerations,
        None,
        selection.year,
        method="closing",
        start=start,
        theme=theme,
        top=top,
        level=level,
    )
    if table.empty:
        raise NoData(t("empty.theme", lang, theme=t(f"theme.{theme}", lang)))
    members = terr.set_index(TERRITORY_ID)
    if level == "territory":
        table["name"] = [
            f"{_tname(members.loc[i], lang)} ({agglomeration_name(store, a, lang)})"
            for i, a in zip(table[TERRITORY_ID], table["agglomeration_id"], strict=True)
        ]
    else:
        table["name"] = [
            agglomeration_name(store, a, lang) for a in table["agglomeration_id"]
        ]
    table["model"] = [
        t(f"model.{m or 'unknown'}", lang) for m in table["management_model"]
    ]
    table["best"] = [
        _meta(store, i, lang)["name"] if isinstance(i, str) and i else ""
        for i in table["best_indicator"]
    ]
    period = f"{start}–{selection.year}"
    theme_word = t(f"theme.{theme}", lang)
    title = (
        f"Кто быстрее сокращал разрыв ({theme_word}), {period}"
        if lang == "ru"
        else f"Who closed the gap fastest ({theme_word}), {period}"
    )
    source = sel_.source_line(
        store,
        sel_.value_sources(
            store, sel_.theme_indicators(store, theme, ids)[INDICATOR_ID].tolist(), ids
        ),
        lang,
    )
    footer = footer_line("σ", period, source, None, lang)
    data = table.sort_values("score", ascending=True)
    fig = charts.grouped_bars(
        data.assign(score=data["score"]),
        title=title,
        footer=footer,
        x="name",
        y="score",
        colour="model",
        y_title="сокращение разрыва, σ в год"
        if lang == "ru"
        else "gap closed, σ per year",
    )
    fig.update_layout(barmode="relative")
    best = table.iloc[0]
    caption = (
        f"Лидер — {best['name']} ({best['model']}): разрыв до медианы сокращался на {fmt_number(best['score'], lang, digits=2)} σ в год, сильнее всего по «{best['best']}»."
        if lang == "ru"
        else f"Leader: {best['name']} ({best['model']}): the gap to the median closed by {fmt_number(best['score'], lang, digits=2)} σ a year, most on «{best['best']}»."
    )
    out = table[
        ["name", "model", "score", "n_indicators", "best", "best_score"]
    ].rename(
        columns={
            "name": t("label.territory", lang),
            "model": "модель" if lang == "ru" else "model",
            "score": "σ/год" if lang == "ru" else "σ/year",
        }
    )
    return Chart(
        key=f"album_{level}_{theme}",
        figure=fig,
        data=out,
        title=title,
        caption=caption,
        unit="σ",
        year=period,
        source=source,
        notes="Оценка: среднее по показателям темы сокращение разрыва до медианы агломерации, в стандартных отклонениях в год."
        if lang == "ru"
        else "Score: mean over the theme's indicators of the gap to the agglomeration median closed, in standard deviations per year.",
    )


def models_comparison(store: Store, selection: Selection, indicator_id: str) -> Chart:
    """Outcomes by management model: an index (100 = average of all
    agglomeration territories, direction-aware) with its bootstrap interval,
    and the share of inequality that lies between models."""
    lang = selection.lang
    meta = _meta(store, indicator_id, lang)
    try:
        res = gaps.compare_management_models(
            sel_.scope(store),
            store.territories,
            store.indicators,
            store.agglomerations,
            indicator_id,
            selection.year,
            weighted=selection.weighted,
            n_boot=499,
        )
    except ValueError as error:
        raise NoData(str(error)) from error
    table = res.table.copy()
    table["label"] = [
        t(f"model.{m or 'unknown'}", lang) + (f" ({n})" if True else "")
        for m, n in zip(
            table["management_model"], table["n_agglomerations"], strict=True
        )
    ]
    year = str(selection.year)
    title = (
        f"Модели управления: индекс результата, {meta['name']}, {year}"
        if lang == "ru"
        else f"Management models: outcome index, {meta['name']}, {year}"
    )
    terr = store.territories
    ids = terr.loc[terr["agglomeration_id"] != "", TERRITORY_ID].tolist()
    source = sel_.source_line(
        store, sel_.value_sources(store, [indicator_id], ids), lang
    )
    footer = footer_line(
        "100 = среднее" if lang == "ru" else "100 = average",
        year,
        source,
        selection.weighted,
        lang,
    )
    fig = charts.estimates_with_ci(
        table.rename(
            columns={"index": "estimate", "index_low": "low", "index_high": "high"}
        ),
        title=title,
        footer=footer,
        colour="label",
    )
    fig.add_vline(x=100, line_dash="dot", line_color="#666")
    share = res.between_share
    best = table.sort_values("index").iloc[-1]
    caption = (
        f"Лучший средний результат — {best['label']} (индекс {fmt_number(best['index'], lang, digits=0)}); "
        f"между моделями лежит {fmt_number(100 * share, lang, digits=0)}% неравенства (Тейл). Число в скобках — агломераций; при малом их числе сравнение ориентировочное."
        if lang == "ru"
        else f"Best average outcome: {best['label']} (index {fmt_number(best['index'], lang, digits=0)}); "
        f"{fmt_number(100 * share, lang, digits=0)}% of the inequality (Theil) lies between models. Numbers in brackets are agglomerations; with few of them the comparison is indicative."
    )
    unit = meta["unit"]
    ru = lang == "ru"
    out = table.drop(columns=["label"]).rename(
        columns={
            "management_model": "модель" if ru else "model",
            "n_agglomerations": "агломераций" if ru else "agglomerations",
            "n_territories": "территорий" if ru else "territories",
            "population": "население, чел." if ru else "population, persons",
            "mean": f"среднее, {unit}" if ru else f"mean, {unit}",
            "ci_low": f"95% ДИ от, {unit}" if ru else f"95% CI low, {unit}",
            "ci_high": f"95% ДИ до, {unit}" if ru else f"95% CI high, {unit}",
            "index": "индекс (100 = среднее)" if ru else "index (100 = average)",
            "index_low": "индекс, 95% ДИ от" if ru else "index, 95% CI low",
            "index_high": "индекс, 95% ДИ до" if ru else "index, 95% CI high",
        }
    )
    return Chart(
        key=f"models_{indicator_id}",
        figure=fig,
        data=out,
        title=title,
        caption=caption,
        unit="индекс" if lang == "ru" else "index",
        year=year,
        source=source,
        weighted=selection.weighted,
        extra={"between_share": share},
    )


# ----------------------------------------------------------------- composites


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
        excluded = res.excluded[
            ~res.excluded["reason"].astype(str).str.startswith("absolute amount")
        ]
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
    footer = footer_line("0–100", year, source, False, lang)
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
    )
    fig.update_xaxes(categoryorder="array", categoryarray=order)
    parts = []
    for theme_word, part in table.groupby("theme", sort=False):
        top = part.sort_values("score", ascending=False).iloc[0]
        low = part.sort_values("score").iloc[0]
        if pd.isna(top["rank_p95"]):
            robust = ""
        else:
            span = (
                f"{int(top['rank_p05'])}"
                if top["rank_p05"] == top["rank_p95"]
                else f"{int(top['rank_p05'])}–{int(top['rank_p95'])}"
            )
            robust = (
                f" (место {span} при любых методах)"
                if lang == "ru"
                else f" (rank {span} across methods)"
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
        weighted=False,
        notes="\n".join(notes),
    )
