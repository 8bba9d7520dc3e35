"""The overview of one agglomeration: who is in it, the headline inequality
per theme with its trend and confidence interval, and what to look at first.

Composes :mod:`analytics.selection`, :mod:`analytics.indices` and the gap and
composite modules into one :class:`Summary` that the overview page and the
deck's first slides show.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analytics import indices, intervals
from analytics import selection as sel_
from analytics.chart_model import Chart
from analytics.i18n import fmt_number, t
from analytics.i18n import name as name_of
from analytics.selection import Selection
from analytics.store import LEVEL, ROLE, TERRITORY_ID, VALUE, YEAR, Store

# The indicator that stands for each theme in the headline, in order of
# preference; the first one with data is used.
KEY_INDICATORS = {
    "finance": [
        "budget_revenue_per_capita",
        "own_revenue_per_capita",
        "budget_expenditure_per_capita",
    ],
    "staffing": [
        "municipal_admin_wage_relative",
        "doctors_per_10k",
        "municipal_admin_staff_per_1000",
    ],
    "competencies": [
        "preschool_places_per_1000",
        "pupils_per_school",
    ],
}
LEVEL_RU = {
    "urban_okrug": "городской округ",
    "municipal_district": "муниципальный район",
    "municipal_okrug": "муниципальный округ",
    "city_federal": "город федерального значения",
    "settlement": "поселение",
}


@dataclass
class Summary:
    """What the overview shows for one agglomeration and year."""

    subtitle: str
    members: pd.DataFrame
    headlines: pd.DataFrame
    sentences: pd.DataFrame = field(default_factory=pd.DataFrame)
    composites: Chart | None = None


def key_indicator(store: Store, theme: str, territory_ids: list[str]) -> str | None:
    """The headline indicator of a theme that has data for these territories."""
    available = set(sel_.theme_indicators(store, theme, territory_ids)["indicator_id"])
    for indicator in KEY_INDICATORS.get(theme, []):
        if indicator in available:
            return indicator
    return sorted(available)[0] if available else None


def member_table(store: Store, selection: Selection) -> pd.DataFrame:
    """Territories with role, level and population in the selected year."""
    lang = selection.lang
    members = sel_.members(store, selection.agglomeration_id)
    pop = sel_.population(store, members[TERRITORY_ID].tolist())
    if selection.year is not None and not pop.empty:
        pop = (
            pop[pop[YEAR] <= selection.year]
            .sort_values(YEAR)
            .groupby(TERRITORY_ID)
            .last()
        )
        population = members[TERRITORY_ID].map(pop["population"])
    else:
        population = pd.Series(np.nan, index=members.index)
    return pd.DataFrame(
        {
            t("label.territory", lang): [
                name_of(r, lang) for r in members.to_dict("records")
            ],
            t("label.role", lang): [
                t(f"role.{r}", lang) if r in ("core", "ring", "periphery", "") else r
                for r in members[ROLE]
            ],
            "Тип" if lang == "ru" else "Type": [
                LEVEL_RU.get(level, level) if lang == "ru" else level.replace("_", " ")
                for level in members[LEVEL]
            ],
            (
                f"{t('label.population', lang)}, чел. (на {selection.year} г. или последний известный)"
                if lang == "ru"
                else f"{t('label.population', lang)}, persons ({selection.year} or latest known)"
            ): population.to_numpy(),
            "ОКТМО" if lang == "ru" else "OKTMO": members[TERRITORY_ID].to_numpy(),
        }
    )


def _gini_every_year(
    store: Store, agglomeration_id: str, weighted: bool, n_boot: int
) -> pd.DataFrame:
    """Gini of each theme's key indicator in every year with at least 3
    territories, with its bootstrap interval: one vectorised pass, once per
    store, agglomeration and weighting (a change of year only looks it up).

    Columns: theme, indicator_id, year, estimate, low, high (NaN where the
    interval is not reliable), loo_low, loo_high, reliable, reason, n.
    """
    ids = sel_.members(store, agglomeration_id)[TERRITORY_ID].tolist()
    frames = []
    for theme in sel_.THEMES:
        indicator = key_indicator(store, theme, ids)
        if indicator is None:
            continue
        data = sel_.panel(store, indicator, ids).dropna(subset=[VALUE])
        data = data[data[VALUE] >= 0]
        if weighted:
            data = data.dropna(subset=["population"])
            data = data[data["population"] > 0]
        data = data[data.groupby(YEAR)[VALUE].transform("size") >= 3]
        frames.append(data.assign(theme=theme, indicator_id=indicator))
    columns = [
        "theme",
        "indicator_id",
        YEAR,
        "estimate",
        "low",
        "high",
        "loo_low",
        "loo_high",
        "reliable",
        "reason",
        "n",
    ]
    if not frames:
        return pd.DataFrame(columns=columns)
    data = pd.concat(frames, ignore_index=True)
    boot = indices.bootstrap_summary(
        data,
        value=VALUE,
        weight="population" if weighted else None,
        by=["theme", "indicator_id", YEAR],
        n_boot=n_boot,
        which=["gini"],
    )
    return boot.loc[boot["index"] == "gini", columns].reset_index(drop=True)


def headlines(store: Store, selection: Selection, *, n_boot: int = 299) -> pd.DataFrame:
    """Gini of each theme's key indicator in the selected year, its change
    since the previous year with data, and its 95 % interval where that is
    reliable (:mod:`analytics.intervals`), else its range without one
    territory.

    Columns: theme, indicator_id, label, value, delta, low, high, reliable
    (whether low-high is a confidence interval), help.
    """
    lang = selection.lang
    ids = sel_.members(store, selection.agglomeration_id)[TERRITORY_ID].tolist()
    table = sel_.remember(
        store,
        ("gini_every_year", selection.agglomeration_id, selection.weighted, n_boot),
        lambda: _gini_every_year(
            store, selection.agglomeration_id, selection.weighted, n_boot
        ),
    )
    rows = []
    for theme in sel_.THEMES:
        part = table[table["theme"] == theme].set_index(YEAR)
        if selection.year not in part.index:
            continue
        current = part.loc[selection.year]
        indicator = str(current["indicator_id"])
        earlier = [int(y) for y in part.index if y < selection.year]
        since = max(earlier) if earlier else None
        value = float(current["estimate"])
        delta = value - float(part.loc[since, "estimate"]) if since else np.nan
        info = sel_.indicator_info(store, indicator)
        label = f"{t('index.gini', lang)}: {name_of(info, lang)}"
        weighted = t(f"weighted_indices.{str(selection.weighted).lower()}", lang)
        if bool(current["reliable"]):
            bounds = (current["low"], current["high"])
            bars = t("label.ci", lang)
        else:  # not a confidence interval: how much one territory moves it
            bounds = (current["loo_low"], current["loo_high"])
            need = intervals.reliable_from("gini", selection.weighted)
            reason = t(
                f"reason.{current['reason']}",
                lang,
                n=int(current["n"]),
                need=need if need is not None else "—",
            )
            bars = f"{t('label.loo', lang)} ({reason})"
        help_text = (
            f"{bars}: [{fmt_number(bounds[0], lang, digits=3)}; "
            f"{fmt_number(bounds[1], lang, digits=3)}]; {selection.year}; {weighted}; "
            + (f"изменение к {since} г.; " if lang == "ru" and since else "")
            + (f"change since {since}; " if lang == "en" and since else "")
            + sel_.source_line(store, sel_.value_sources(store, [indicator], ids), lang)
        )
        rows.append(
            {
                "theme": theme,
                "indicator_id": indicator,
                "label": label,
                "value": value,
                "delta": delta,
                "low": float(bounds[0]),
                "high": float(bounds[1]),
                "reliable": bool(current["reliable"]),
                "help": help_text,
            }
        )
    return pd.DataFrame(rows)


def summary(store: Store, selection: Selection) -> Summary:
    """Everything the overview page shows for the selection."""
    lang = selection.lang
    members = member_table(store, selection)
    roles = sel_.members(store, selection.agglomeration_id)[ROLE].value_counts()
    table = store.agglomerations.set_index("agglomeration_id")
    model = (
        table["management_model"].get(selection.agglomeration_id, "unknown")
        if "management_model" in table
        else "unknown"
    ) or "unknown"
    counts = ", ".join(
        f"{t(f'role.{role}', lang)}: {int(roles.get(role, 0))}" for role in sel_.ROLES
    )
    subtitle = (
        f"{selection.year} г. · {counts} · {t(f'model.{model}', lang)}"
        if lang == "ru"
        else f"{selection.year} · {counts} · {t(f'model.{model}', lang)}"
    )
    from analytics import views

    try:
        composites = views.composites(store, selection)
    except views.NoData:
        composites = None
    try:
        sentences = views.gap_sentences(store, selection)
    except (views.NoData, ValueError):
        sentences = pd.DataFrame()
    return Summary(
        subtitle=subtitle,
        members=members,
        headlines=headlines(store, selection),
        sentences=sentences,
        composites=composites,
    )
