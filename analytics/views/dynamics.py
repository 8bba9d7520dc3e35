"""Views of the dynamics page: sigma and beta convergence, rank mobility."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from analytics import charts, convergence
from analytics import selection as sel_
from analytics.chart_model import Chart, footer_line
from analytics.i18n import fmt_number, t
from analytics.i18n import name as name_of
from analytics.i18n import unit as unit_of
from analytics.selection import Scope
from analytics.store import (
    NAME_EN,
    NAME_RU,
    ROLE,
    TERRITORY_ID,
    VALUE,
    YEAR,
    Store,
)
from analytics.views._common import (
    NoData,
    _sources_for,
    _tname,
    two_step,
)

if TYPE_CHECKING:  # scikit-learn is imported on first use (0.3 s at start-up)
    pass


@dataclass(frozen=True, eq=False)
class SigmaResult:
    """Sigma convergence of one indicator in one agglomeration: what
    :func:`compute_sigma` finds, before any word is chosen."""

    indicator_id: str
    indicator: dict  # the catalog row (names and units in both languages)
    measure: str
    weighted: bool
    convergence: convergence.SigmaConvergence
    fit: pd.DataFrame
    sources: sel_.SourceFacts
    kept: convergence.ConvergencePanel  # what was left out, and the balance


def compute_sigma(
    store: Store, scope: Scope, indicator_id: str, measure: str = "cv"
) -> SigmaResult:
    """Sigma convergence: the dispersion between the agglomeration's
    territories over the years, with its linear trend (every year: the
    scope's year does not matter)."""
    info = sel_.indicator_info(store, indicator_id)  # KeyError: unknown indicator
    ids = sel_.members(store, scope.agglomeration_id)[TERRITORY_ID].tolist()
    if not ids:
        raise NoData.of("empty.no_agglomerations")
    data = sel_.panel(store, indicator_id, ids).dropna(subset=[VALUE])
    weight = None
    if scope.weighted:
        data = data.dropna(subset=["population"])
        weight = "population"
    # zeros only where the measure takes logs; negatives always; balanced
    # when that keeps 3 territories (counted and said in the caption)
    kept = convergence.convergence_panel(data, measure=measure)
    data = kept.data
    if data[YEAR].nunique() < 3:
        raise NoData.of("empty.too_few", need=3, have=int(data[YEAR].nunique()))
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
    return SigmaResult(
        indicator_id=indicator_id,
        indicator=info,
        measure=measure,
        weighted=scope.weighted,
        convergence=res,
        fit=fit,
        sources=sel_.source_facts(store, _sources_for(store, [indicator_id], ids)),
        kept=kept,
    )


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


def render_sigma(result: SigmaResult, lang: str) -> Chart:
    """The chart of :func:`compute_sigma` in ``lang``."""
    res, measure = result.convergence, result.measure
    name = name_of(result.indicator, lang)
    disp = res.dispersion
    measure_word = {
        "cv": t("index.cv", lang),
        "theil": t("index.theil", lang),
        "sd_log": "SD log",
        "gini": t("index.gini", lang),
        "mld": t("index.mld", lang),
    }[measure]
    period = f"{int(disp[YEAR].min())}–{int(disp[YEAR].max())}"
    title = t("sigma.title", lang, measure=measure_word, indicator=name)
    source = sel_.format_sources(result.sources, lang)
    footer = footer_line(measure_word, period, source, result.weighted, lang)
    fig = charts.trend_line(
        disp,
        title=title,
        footer=footer,
        x=YEAR,
        y="dispersion",
        y_title=measure_word,
        fit=result.fit,
        fit_label=t("sigma.trend", lang),
        lang=lang,
    )
    first, last = disp.iloc[0], disp.iloc[-1]
    caption = t(
        "sigma.caption",
        lang,
        measure=measure_word,
        first=fmt_number(first.dispersion, lang, digits=3),
        first_year=int(first[YEAR]),
        last=fmt_number(last.dispersion, lang, digits=3),
        last_year=int(last[YEAR]),
        claim=_claim(res.trend, res.pvalue, res.alpha, lang),
        slope=fmt_number(res.slope, lang, digits=4),
    ) + _panel_note(result.kept, measure_word, lang)
    return Chart(
        key=f"sigma_{measure}_{result.indicator_id}",
        figure=fig,
        data=disp,
        title=title,
        caption=caption,
        unit=measure_word,
        year=period,
        source=source,
        weighted=result.weighted,
        extra={"result": res},
    )


sigma = two_step(compute_sigma, render_sigma)


def _members_names(store: Store, agglomeration_id: str) -> pd.DataFrame:
    """Names in both languages and roles of the members, by territory id."""
    members = sel_.members(store, agglomeration_id).set_index(TERRITORY_ID)
    return members[[c for c in (NAME_RU, NAME_EN, ROLE) if c in members]]


@dataclass(frozen=True, eq=False)
class BetaResult:
    """Beta convergence between two years (:func:`compute_beta`)."""

    indicator_id: str
    indicator: dict
    start: int
    end: int
    weighted: bool
    convergence: convergence.BetaConvergence
    points: pd.DataFrame  # x, y, role, population by territory id
    fit: pd.DataFrame
    members: pd.DataFrame
    sources: sel_.SourceFacts
    kept: convergence.ConvergencePanel  # the values <= 0 left out (logs)


def compute_beta(
    store: Store, scope: Scope, indicator_id: str, start: int, end: int
) -> BetaResult:
    """Beta convergence between two years: annual growth against the initial
    log level, with speed and half-life."""
    info = sel_.indicator_info(store, indicator_id)  # KeyError: unknown indicator
    ids = sel_.members(store, scope.agglomeration_id)[TERRITORY_ID].tolist()
    if not ids:
        raise NoData.of("empty.no_agglomerations")
    data = sel_.panel(store, indicator_id, ids, [start, end]).dropna(subset=[VALUE])
    weight = "population" if scope.weighted else None
    if weight:
        data = data.dropna(subset=["population"])
    kept = convergence.convergence_panel(data, measure="beta")  # logs: > 0
    data = kept.data
    try:
        res = convergence.beta_convergence(data, start=start, end=end, weight=weight)
    except ValueError as error:
        raise NoData(str(error)) from error
    wide = data.pivot_table(index=TERRITORY_ID, columns=YEAR, values=VALUE).dropna()
    members = _members_names(store, scope.agglomeration_id)
    pop = data[data[YEAR] == start].set_index(TERRITORY_ID)["population"]
    points = pd.DataFrame(
        {
            "x": np.log(wide[start]),
            "y": np.log(wide[end] / wide[start]) / (end - start),
            "role": [members.loc[i, ROLE] for i in wide.index],
            "population": pop.reindex(wide.index).to_numpy(),
        },
        index=wide.index,
    )
    xs = np.linspace(points.x.min(), points.x.max(), 20)
    fit = pd.DataFrame({"x": xs, "y": res.intercept + res.beta * xs})
    return BetaResult(
        indicator_id=indicator_id,
        indicator=info,
        start=start,
        end=end,
        weighted=scope.weighted,
        convergence=res,
        points=points,
        fit=fit,
        members=members,
        sources=sel_.source_facts(store, _sources_for(store, [indicator_id], ids)),
        kept=kept,
    )


def render_beta(result: BetaResult, lang: str) -> Chart:
    """The scatter of :func:`compute_beta` in ``lang``."""
    res, start, end = result.convergence, result.start, result.end
    name, unit = name_of(result.indicator, lang), unit_of(result.indicator, lang)
    points = result.points.copy()
    points.insert(
        2, "name", [_tname(result.members.loc[i], lang) for i in points.index]
    )
    period = f"{start}–{end}"
    title = t("beta.title", lang, indicator=name, period=period)
    source = sel_.format_sources(result.sources, lang)
    footer = footer_line(unit, period, source, result.weighted, lang)
    fig = charts.beta_scatter(
        points,
        title=title,
        footer=footer,
        x_title=f"ln ({unit}), {start}",
        y_title=t("beta.growth", lang),
        fit=result.fit,
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
    caption += _panel_note(result.kept, "β", lang, balance=False)
    return Chart(
        key=f"beta_{result.indicator_id}",
        figure=fig,
        data=points.reset_index(),
        title=title,
        caption=caption,
        unit=unit,
        year=period,
        source=source,
        weighted=result.weighted,
        extra={"result": res},
    )


beta = two_step(compute_beta, render_beta)


@dataclass(frozen=True, eq=False)
class MobilityResult:
    """Ranks of the territories in two years (:func:`compute_mobility`)."""

    indicator_id: str
    indicator: dict
    start: int
    end: int
    mobility: convergence.RankMobility
    members: pd.DataFrame
    sources: sel_.SourceFacts


def compute_mobility(
    store: Store, scope: Scope, indicator_id: str, start: int, end: int
) -> MobilityResult:
    """Ranks of territories in two years with Spearman and Kendall
    correlations: do laggards stay laggards?"""
    info = sel_.indicator_info(store, indicator_id)  # KeyError: unknown indicator
    ids = sel_.members(store, scope.agglomeration_id)[TERRITORY_ID].tolist()
    if not ids:
        raise NoData.of("empty.no_agglomerations")
    data = sel_.panel(store, indicator_id, ids, [start, end]).dropna(subset=[VALUE])
    try:
        res = convergence.rank_mobility(
            data,
            start=start,
            end=end,
            higher_is_better=int(info.get("direction") or 0) >= 0,
        )
    except ValueError as error:
        raise NoData(str(error)) from error
    return MobilityResult(
        indicator_id=indicator_id,
        indicator=info,
        start=start,
        end=end,
        mobility=res,
        members=_members_names(store, scope.agglomeration_id),
        sources=sel_.source_facts(store, _sources_for(store, [indicator_id], ids)),
    )


def render_mobility(result: MobilityResult, lang: str) -> Chart:
    """The slope chart of :func:`compute_mobility` in ``lang``."""
    res, start, end = result.mobility, result.start, result.end
    ranks = res.ranks.copy()
    id_col = TERRITORY_ID if TERRITORY_ID in ranks else ranks.columns[0]
    ranks["name"] = [_tname(result.members.loc[i], lang) for i in ranks[id_col]]
    period = f"{start}–{end}"
    title = t(
        "mobility.title",
        lang,
        indicator=name_of(result.indicator, lang),
        start=start,
        end=end,
    )
    source = sel_.format_sources(result.sources, lang)
    footer = footer_line(t("mobility.unit_long", lang), period, source, None, lang)
    fig = charts.slope_chart(
        ranks, title=title, footer=footer, start=start, end=end, lang=lang
    )
    caption = t(
        "mobility.caption",
        lang,
        spearman=fmt_number(res.spearman, lang, digits=2),
        kendall=fmt_number(res.kendall, lang, digits=2),
        verdict=t("mobility.stay" if res.spearman > 0.7 else "mobility.change", lang),
    )
    return Chart(
        key=f"mobility_{result.indicator_id}",
        figure=fig,
        data=ranks,
        title=title,
        caption=caption,
        unit=t("mobility.unit", lang),
        year=period,
        source=source,
        weighted=None,
        extra={"result": res},
    )


mobility = two_step(compute_mobility, render_mobility)
