"""Views of the typology page: the fitted model (shared by every
agglomeration), its scatter, profiles and the members' types."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from analytics import charts, composite
from analytics import selection as sel_
from analytics.chart_model import Chart, footer_line
from analytics.i18n import fmt_number, t
from analytics.selection import Selection
from analytics.store import (
    INDICATOR_ID,
    ROLE,
    TERRITORY_ID,
    Store,
)
from analytics.views._common import (
    NoData,
    _meta,
    _role_word,
    _tname,
    agglomeration_name,
)

if TYPE_CHECKING:  # scikit-learn is imported on first use (0.3 s at start-up)
    from analytics import typology


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
        lang=lang,
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
            [TERRITORY_ID, "name", "agglomeration", "type", "cluster", "pc1", "pc2"]
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
            lang=lang,
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
