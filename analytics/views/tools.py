"""Views of the three tools: scenarios, cooperation partners, spatial structure.

Each view follows the split of :mod:`analytics.views`: ``*_result(store,
selection, ...)`` computes a frozen result without language (memoised per
store with :func:`analytics.selection.remember`), and ``*_view(store,
selection, ...)`` renders it as a :class:`~analytics.chart_model.Chart` in
``selection.lang`` — or raises :class:`analytics.views.NoData` with the
reason in the user's language.

Boundaries: :func:`municipal_boundaries_path` finds the municipal
boundaries (``$AGGLO_MUNICIPAL_BOUNDARIES``, else the file shipped in
``datasets/reference/boundaries/``, else the shared data folder beside the
project); :func:`municipal_layer` reads them once per file version.
"""

from __future__ import annotations

import functools
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analytics import gaps, partners, scenario, spatial, tool_charts
from analytics import selection as sel_
from analytics.chart_model import Chart, footer_line
from analytics.i18n import fmt_amount, fmt_number, t
from analytics.i18n import name as name_of
from analytics.i18n import unit as unit_of
from analytics.selection import Selection
from analytics.store import (
    DIRECTION,
    INDICATOR_ID,
    LEVEL,
    NAME_EN,
    NAME_RU,
    REGION_ID,
    ROLE,
    TERRITORY_ID,
    VALUE,
    Store,
)
from analytics.views._common import NoData

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_BOUNDARIES = (
    ROOT / "datasets" / "reference" / "boundaries" / "municipalities.geojson"
)
SHARED_BOUNDARIES = (
    ROOT.parent
    / "shared"
    / "data"
    / "municipal-boundaries-sberindex"
    / "mo_boundaries_current_simplified.geojson"
)
MUNICIPAL_LEVELS = ("urban_okrug", "municipal_district", "municipal_okrug")
MIN_SPATIAL = 5
SCOPES = ("agglomeration", "region", "country")
WEIGHTS = ("queen", "knn")
NEIGHBOURHOODS = ("border", "distance")
SPLIT_INDICES = ("gini_weighted", "theil_weighted", "cv_weighted")


# ------------------------------------------------------------- boundaries


def municipal_boundaries_path() -> Path | None:
    """The municipal boundaries file to use, or None when there is none."""
    override = os.environ.get("AGGLO_MUNICIPAL_BOUNDARIES")
    for path in (override, SHIPPED_BOUNDARIES, SHARED_BOUNDARIES):
        if path and Path(path).is_file():
            return Path(path)
    return None


@functools.lru_cache(maxsize=2)
def _layer(path: str, mtime: float) -> spatial.Layer:
    return spatial.load_layer(path)


@functools.lru_cache(maxsize=2)
def _queen(path: str, mtime: float) -> dict[int, list[int]]:
    return _layer(path, mtime).neighbours()


@functools.lru_cache(maxsize=2)
def _features(path: str, mtime: float) -> dict[str, dict]:
    return {f["id"]: f for f in _layer(path, mtime).geojson()["features"]}


def _layer_key() -> tuple[str, float] | None:
    path = municipal_boundaries_path()
    return None if path is None else (str(path), path.stat().st_mtime)


def municipal_layer() -> spatial.Layer | None:
    """All municipal boundaries as a :class:`~analytics.spatial.Layer`
    (read once per file version), or None."""
    key = _layer_key()
    return None if key is None else _layer(*key)


def queen_among(layer: spatial.Layer, ids: list[str]) -> dict[int, list[int]]:
    """Queen contiguity among ``ids`` (in the order of ``layer.subset(ids)``),
    from the contiguity of the whole layer, built once per file version."""
    key = _layer_key()
    if key is None or _layer(*key) is not layer:
        return layer.subset(ids).neighbours()
    return spatial.among(_queen(*key), layer.positions(ids))


def geojson_of(layer: spatial.Layer, ids) -> dict:
    """The map features of ``ids`` (built once per file version)."""
    key = _layer_key()
    if key is None or _layer(*key) is not layer:
        return layer.geojson(ids)
    features = _features(*key)
    return {
        "type": "FeatureCollection",
        "features": [features[i] for i in ids if i in features],
    }


def _boundaries_note(lang: str) -> str:
    return t("spatial.boundaries_source", lang)


# ---------------------------------------------------------------- helpers


def _meta(store: Store, indicator_id: str, lang: str) -> dict:
    info = sel_.indicator_info(store, indicator_id)
    return {
        "name": name_of(info, lang),
        "unit": unit_of(info, lang),
        "direction": int(info.get(DIRECTION) or 0),
    }


def _year(store: Store, selection: Selection, ids: list[str]) -> int:
    if selection.year is not None:
        return int(selection.year)
    year = sel_.default_year(store, ids)
    if year is None:
        raise NoData(t("empty.store", selection.lang))
    return int(year)


def _names(frame: pd.DataFrame, lang: str) -> list[str]:
    return [
        name_of({NAME_RU: ru, NAME_EN: en}, lang)
        for ru, en in zip(frame[NAME_RU], frame[NAME_EN], strict=True)
    ]


def _source(store: Store, indicator_ids: list[str], ids: list[str], lang: str) -> str:
    return sel_.source_line(store, sel_.value_sources(store, indicator_ids, ids), lang)


def _member_ids(store: Store, selection: Selection) -> list[str]:
    ids = sel_.members(store, selection.agglomeration_id)[TERRITORY_ID].tolist()
    if not ids:
        raise NoData(t("empty.no_agglomerations", selection.lang))
    return [str(i) for i in ids]


def member_ids(store: Store, selection: Selection) -> list[str]:
    """Ids of the selected agglomeration's territories (NoData if none)."""
    return _member_ids(store, selection)


def has_member_boundaries(store: Store, selection: Selection) -> bool:
    """Whether at least two members of the agglomeration have a boundary."""
    layer = municipal_layer()
    if layer is None:
        return False
    return len(layer.subset(_member_ids(store, selection)).territory_ids) >= 2


def input_unit(store: Store, indicator_id: str, lang: str) -> tuple[str, float]:
    """The unit a user types an amount of the numerator in, and its factor:
    roubles in millions («млн руб.»), anything else as it is («чел.»).

    Returns ``(label, factor)``: the amount is ``typed × factor``."""
    unit = _total_unit(store, indicator_id, lang)
    if unit.startswith(("руб", "RUB", "rub")):
        return ("млн " if lang == "ru" else "mn ") + unit, 1e6
    return unit, 1.0


def _basis(store: Store) -> pd.DataFrame:
    return sel_.remember(
        store,
        ("h19_basis",),
        lambda: gaps.extensive_basis(store.indicators).set_index(INDICATOR_ID),
    )


def per_resident_indicators(
    store: Store, territory_ids: list[str], year: int | None = None
) -> list[str]:
    """Indicators where more is better, per resident (a population
    denominator in the catalog), with data for these territories (at least
    3 values with a population in ``year`` when given): the ones a scenario
    or a partnership can move by adding roubles or staff."""
    basis = _basis(store)
    catalog = store.indicators.drop_duplicates(INDICATOR_ID).set_index(INDICATOR_ID)
    present = set(sel_.comparable_indicators(store, territory_ids))
    out = []
    for indicator_id in basis.index:
        if indicator_id not in catalog.index or indicator_id not in present:
            continue
        if int(catalog.at[indicator_id, DIRECTION] or 0) <= 0:
            continue
        if basis.at[indicator_id, "denominator"] not in (
            "population",
            "population_avg",
        ):
            continue
        if year is not None:
            panel = sel_.panel(store, str(indicator_id), territory_ids, [int(year)])
            if len(panel.dropna(subset=[VALUE, "population"])) < 3:
                continue
        out.append(str(indicator_id))
    return out


def _total_unit(store: Store, indicator_id: str, lang: str) -> str:
    basis = _basis(store)
    if indicator_id not in basis.index:
        return ""
    column = "total_unit_en" if lang == "en" else "total_unit"
    return str(basis.at[indicator_id, column] or basis.at[indicator_id, "total_unit"])


def _scale(store: Store, indicator_id: str) -> float:
    basis = _basis(store)
    return (
        float(basis.at[indicator_id, "scale"]) if indicator_id in basis.index else 1.0
    )


def display_table(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """A copy for the screen: floats as the user's language writes them
    (``1 234,5``), integers and text as they are; the exports keep the
    numbers.

    >>> shown = display_table(pd.DataFrame({"a": [1234.5678], "b": [3]}), "ru")
    >>> shown["a"].tolist(), shown["b"].tolist()
    (['1\\u202f235'], [3])
    """
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_float_dtype(out[column]):
            values = out[column].to_numpy(dtype=float)
            digits = 4 if np.nanmax(np.abs(values), initial=0) < 1 else None
            out[column] = [fmt_number(v, lang, digits=digits) for v in values]
    return out


# --------------------------------------------------------------- scenario


@dataclass(frozen=True)
class ScenarioData:
    """One indicator over an agglomeration in one year, ready for
    :mod:`analytics.scenario`: territories with a value and a population."""

    indicator_id: str
    year: int
    territory_ids: tuple[str, ...]
    names_ru: tuple[str, ...]
    names_en: tuple[str, ...]
    roles: tuple[str, ...]
    values: np.ndarray
    population: np.ndarray
    scale: float

    def names(self, lang: str) -> list[str]:
        return [
            name_of({NAME_RU: ru, NAME_EN: en}, lang)
            for ru, en in zip(self.names_ru, self.names_en, strict=True)
        ]

    @property
    def core(self) -> np.ndarray:
        return np.array([role == "core" for role in self.roles])

    def default_budget(self) -> float:
        """Half of what lifting every territory to the median would cost,
        rounded to two significant digits (units of the numerator)."""
        median = float(np.median(self.values))
        need = float(
            (np.maximum(median - self.values, 0) * self.population / self.scale).sum()
        )
        if need <= 0:
            need = float((self.values * self.population / self.scale).sum()) * 0.01
        half = need / 2
        if half <= 0:
            return 0.0
        digits = -int(math.floor(math.log10(half))) + 1
        return float(round(half, digits))


def scenario_data(
    store: Store, selection: Selection, indicator_id: str
) -> ScenarioData:
    """The members of the selected agglomeration with a value and a
    population in the selected year (NoData when fewer than 3)."""
    ids = _member_ids(store, selection)
    year = _year(store, selection, ids)

    def build() -> ScenarioData:
        panel = sel_.panel(store, indicator_id, ids, [year])
        panel = panel.dropna(subset=[VALUE, "population"])
        panel = panel[(panel["population"] > 0) & (panel[VALUE] >= 0)]
        panel = panel.drop_duplicates(TERRITORY_ID)
        return ScenarioData(
            indicator_id=indicator_id,
            year=year,
            territory_ids=tuple(panel[TERRITORY_ID].astype(str)),
            names_ru=tuple(panel[NAME_RU].astype(str)),
            names_en=tuple(panel[NAME_EN].astype(str)),
            roles=tuple(panel[ROLE].astype(str)),
            values=panel[VALUE].to_numpy(dtype=float),
            population=panel["population"].to_numpy(dtype=float),
            scale=_scale(store, indicator_id),
        )

    data = sel_.remember(
        store, ("h19_scenario", selection.agglomeration_id, indicator_id, year), build
    )
    if len(data.values) < 3:
        meta = _meta(store, indicator_id, selection.lang)
        raise NoData(
            t("empty.indicator", selection.lang, indicator=meta["name"], year=year)
        )
    return data


def _footer(store, selection, meta, data: ScenarioData, weighted) -> tuple[str, str]:
    source = _source(store, [meta["id"]], list(data.territory_ids), selection.lang)
    line = footer_line(meta["unit"], str(data.year), source, weighted, selection.lang)
    return line, source


def split_view(
    store: Store, selection: Selection, indicator_id: str, budget: float | None = None
) -> Chart:
    """How a budget split changes the population-weighted Gini, Theil and
    CV: level up the lowest, equal per resident, equal per territory, and
    no change. ``budget`` in units of the numerator (default
    :meth:`ScenarioData.default_budget`)."""
    lang = selection.lang
    data = scenario_data(store, selection, indicator_id)
    meta = _meta(store, indicator_id, lang) | {"id": indicator_id}
    budget = data.default_budget() if budget is None else float(budget)
    table = scenario.compare_splits(
        data.values, data.population, budget, core=data.core, scale=data.scale
    )
    total_unit = _total_unit(store, indicator_id, lang)
    title = t(
        "scenario.splits_title",
        lang,
        budget=fmt_amount(budget, total_unit, lang),
        indicator=meta["name"],
        year=data.year,
    )
    footer, source = _footer(store, selection, meta, data, True)
    fig = tool_charts.split_bars(
        table, indices=SPLIT_INDICES, title=title, footer=footer, lang=lang
    )
    rows = table.set_index("split")

    def gini(split: str) -> str:
        return fmt_number(rows.at[split, "gini_weighted"], lang, digits=3)

    caption = t(
        "scenario.splits_caption",
        lang,
        before=gini("none"),
        after=gini("level_up"),
        per_capita=gini("equal_per_capita"),
        per_territory=gini("equal_per_territory"),
    )
    out = pd.DataFrame(
        {
            t("scenario.col.split", lang): [
                t(f"scenario.split.{s}", lang) for s in table["split"]
            ],
            **{
                f"{t(f'index.{c}', lang)} ({t('weighted.true', lang)})": table[
                    f"{c}_weighted"
                ]
                for c in scenario.INDICES
            },
            t("scenario.col.below_median", lang): table["below_median"],
            f"{t('scenario.col.shortfall', lang)}, {total_unit}": table["shortfall"],
            f"{t('scenario.col.min_after', lang)}, {meta['unit']}": table["min_after"],
            t("scenario.col.n_receiving", lang): table["n_receiving"],
        }
    )
    return Chart(
        key=f"scenario_splits_{indicator_id}",
        figure=fig,
        data=out,
        title=title,
        caption=caption,
        unit=t("label.index", lang),
        year=str(data.year),
        source=source,
        weighted=True,
        notes=t("scenario.method", lang),
        extra={"budget": budget, "table": table},
    )


def allocation_view(
    store: Store, selection: Selection, indicator_id: str, budget: float | None = None
) -> Chart:
    """Who gets what when ``budget`` levels up the lowest: values before and
    after per territory, the median marked."""
    lang = selection.lang
    data = scenario_data(store, selection, indicator_id)
    meta = _meta(store, indicator_id, lang) | {"id": indicator_id}
    budget = data.default_budget() if budget is None else float(budget)
    allocation = scenario.level_up(
        data.values, data.population, budget, scale=data.scale
    )
    after = scenario.apply(data.values, data.population, allocation, scale=data.scale)
    evaluation = scenario.evaluate(
        data.values, data.population, after, core=data.core, scale=data.scale
    )
    return _before_after_chart(
        store,
        selection,
        data,
        meta,
        evaluation,
        key=f"scenario_allocation_{indicator_id}",
        title=t(
            "scenario.allocation_title", lang, indicator=meta["name"], year=data.year
        ),
        caption=t(
            "scenario.splits_caption",
            lang,
            before=fmt_number(
                evaluation.indices.at["gini", "weighted_before"], lang, digits=3
            ),
            after=fmt_number(
                evaluation.indices.at["gini", "weighted_after"], lang, digits=3
            ),
            per_capita="—",
            per_territory="—",
        ).split(";")[0]
        + ".",
        highlight=[
            tid for tid, a in zip(data.territory_ids, allocation, strict=True) if a > 0
        ],
    )


def _before_after_chart(
    store, selection, data, meta, evaluation, *, key, title, caption, highlight
) -> Chart:
    lang = selection.lang
    names = data.names(lang)
    frame = pd.DataFrame(
        {
            TERRITORY_ID: list(data.territory_ids),
            "name": names,
            "before": data.values,
            "after": evaluation.table["after"].to_numpy(),
        }
    )
    footer, source = _footer(store, selection, meta, data, None)
    fig = tool_charts.before_after_bars(
        frame,
        title=title,
        footer=footer,
        unit=meta["unit"],
        lang=lang,
        median=evaluation.median[0],
        highlight=highlight,
    )
    total_unit = _total_unit(store, data.indicator_id, lang)
    table = evaluation.table
    unit = meta["unit"]
    out = pd.DataFrame(
        {
            t("label.territory", lang): names,
            t("label.role", lang): [
                t(f"role.{r}", lang) if r in ("core", "ring", "periphery") else r
                for r in data.roles
            ],
            f"{t('scenario.col.before', lang)}, {unit}": table["before"],
            f"{t('scenario.col.after', lang)}, {unit}": table["after"],
            f"{t('scenario.col.added', lang)}, {total_unit}": table["added"],
            t("scenario.col.rank_before", lang): table["rank_before"],
            t("scenario.col.rank_after", lang): table["rank_after"],
            f"{t('scenario.col.gap_median_before', lang)}, {unit}": table[
                "gap_median_before"
            ],
            f"{t('scenario.col.gap_median_after', lang)}, {unit}": table[
                "gap_median_after"
            ],
            f"{t('scenario.col.gap_core_before', lang)}, {unit}": table[
                "gap_core_before"
            ],
            f"{t('scenario.col.gap_core_after', lang)}, {unit}": table[
                "gap_core_after"
            ],
        }
    )
    indices_table = evaluation.indices.rename(
        index=lambda k: t(f"index.{k}", lang),
        columns=lambda c: t(f"scenario.col.{c}", lang),
    )
    return Chart(
        key=key,
        figure=fig,
        data=out,
        title=title,
        caption=caption,
        unit=unit,
        year=str(data.year),
        source=source,
        weighted=None,
        notes=t("scenario.method", lang),
        extra={"indices": indices_table, "evaluation": evaluation},
    )


def territory_view(
    store: Store,
    selection: Selection,
    indicator_id: str,
    territory_id: str,
    amount: float | None = None,
    close_gap: float | None = None,
    benchmark: str = "median",
) -> Chart:
    """ "If territory T receives ``amount`` (units of the numerator) or its gap
    to ``benchmark`` closes by ``close_gap`` (a share)": values before and
    after, ranks, gaps and the agglomeration's indices (in ``extra``)."""
    lang = selection.lang
    data = scenario_data(store, selection, indicator_id)
    meta = _meta(store, indicator_id, lang) | {"id": indicator_id}
    if territory_id not in data.territory_ids:
        raise NoData(t("empty.indicator", lang, indicator=meta["name"], year=data.year))
    at = data.territory_ids.index(territory_id)
    try:
        evaluation = scenario.territory_scenario(
            data.values,
            data.population,
            at,
            amount=amount,
            close_gap=close_gap,
            benchmark=benchmark,
            core=data.core,
            direction=1,
            scale=data.scale,
        )
    except ValueError as error:
        raise NoData(str(error)) from error
    name = data.names(lang)[at]
    total_unit = _total_unit(store, indicator_id, lang)
    if amount is not None:
        title = t(
            "scenario.effect_title",
            lang,
            territory=name,
            what=fmt_amount(amount, total_unit, lang),
            indicator=meta["name"],
            year=data.year,
        )
    else:
        title = t(
            "scenario.effect_close_title",
            lang,
            territory=name,
            benchmark=t(f"scenario.benchmark.{benchmark}", lang),
            share=fmt_number(100 * (close_gap or 0), lang, digits=0),
            indicator=meta["name"],
            year=data.year,
        )
    row = evaluation.table.iloc[at]
    closed = evaluation.closed_share
    caption = t(
        "scenario.effect_caption",
        lang,
        territory=name,
        before=fmt_number(row["before"], lang),
        after=fmt_number(row["after"], lang),
        unit=meta["unit"],
        rank_before=int(row["rank_before"]),
        rank_after=int(row["rank_after"]),
        n=len(data.values),
        gap_before=fmt_number(row["gap_median_before"], lang),
        gap_after=fmt_number(row["gap_median_after"], lang),
        gini_before=fmt_number(
            evaluation.indices.at["gini", "weighted_before"], lang, digits=3
        ),
        gini_after=fmt_number(
            evaluation.indices.at["gini", "weighted_after"], lang, digits=3
        ),
        closed=fmt_number(
            100 * closed if math.isfinite(closed) else 0.0, lang, digits=0
        ),
    )
    return _before_after_chart(
        store,
        selection,
        data,
        meta,
        evaluation,
        key=f"scenario_territory_{indicator_id}",
        title=title,
        caption=caption,
        highlight=[territory_id],
    )


# ---------------------------------------------------------------- spatial


@dataclass(frozen=True)
class SpatialResult:
    """Moran's I and LISA of one indicator over territories with boundaries."""

    indicator_id: str
    year: int
    scope: str
    weights: str
    territory_ids: tuple[str, ...]
    names_ru: tuple[str, ...]
    names_en: tuple[str, ...]
    values: np.ndarray
    moran: spatial.Moran
    local: spatial.LocalMoran
    summary: spatial.Clustering
    direction: int


def _scope_ids(store: Store, selection: Selection, scope: str) -> list[str]:
    if scope == "agglomeration":
        return _member_ids(store, selection)
    terr = sel_.territory_lookup(store)
    municipal = terr[terr[LEVEL].isin(MUNICIPAL_LEVELS)]
    if scope == "region":
        row = sel_.agglomeration_rows(store).get(selection.agglomeration_id, {})
        region = row.get(REGION_ID)
        municipal = municipal[municipal[REGION_ID] == region]
    return [str(i) for i in municipal.index]


def spatial_result(
    store: Store,
    selection: Selection,
    indicator_id: str,
    scope: str = "agglomeration",
    weights: str = "queen",
    k: int = 6,
    permutations: int = 999,
) -> SpatialResult:
    """Global and local Moran of ``indicator_id`` in the selected year over
    the territories of ``scope`` (the agglomeration, its region's
    municipalities, or every municipality in the store) that have a value
    and a boundary; neighbours by shared border (``"queen"``) or the ``k``
    nearest (``"knn"``)."""
    lang = selection.lang
    if scope not in SCOPES or weights not in WEIGHTS:
        raise ValueError(f"spatial_result: scope in {SCOPES}, weights in {WEIGHTS}")
    layer = municipal_layer()
    if layer is None:
        raise NoData(t("spatial.no_boundaries", lang))
    ids = _scope_ids(store, selection, scope)
    year = _year(store, selection, _member_ids(store, selection))
    meta = _meta(store, indicator_id, lang)

    def build() -> SpatialResult | int | str:
        panel = sel_.panel(store, indicator_id, ids, [year]).dropna(subset=[VALUE])
        panel = panel.drop_duplicates(TERRITORY_ID)
        if panel.empty:
            return "no values"
        sub = layer.subset(panel[TERRITORY_ID].astype(str).tolist())
        if len(sub.territory_ids) < MIN_SPATIAL:
            return len(sub.territory_ids)
        panel = panel.set_index(TERRITORY_ID).loc[list(sub.territory_ids)]
        if weights == "queen":
            neighbours = queen_among(layer, list(sub.territory_ids))
        else:
            neighbours = spatial.knn(
                sub.lon, sub.lat, k=min(k, len(sub.territory_ids) - 1)
            )
        values = panel[VALUE].to_numpy(dtype=float)
        if np.ptp(values) == 0 or not any(neighbours.values()):
            return len(sub.territory_ids)
        global_ = spatial.moran(values, neighbours, permutations=permutations)
        local = spatial.local_moran(values, neighbours, permutations=permutations)
        return SpatialResult(
            indicator_id=indicator_id,
            year=year,
            scope=scope,
            weights=weights,
            territory_ids=tuple(sub.territory_ids),
            names_ru=tuple(panel[NAME_RU].astype(str)),
            names_en=tuple(panel[NAME_EN].astype(str)),
            values=values,
            moran=global_,
            local=local,
            summary=spatial.clustering(
                global_, local, direction=meta["direction"] or 1
            ),
            direction=meta["direction"] or 1,
        )

    key = ("h19_spatial", selection.agglomeration_id, indicator_id, year, scope,
           weights, k, permutations)  # fmt: skip
    result = sel_.remember(store, key, build)
    if isinstance(result, str):
        raise NoData(t("empty.indicator", lang, indicator=meta["name"], year=year))
    if isinstance(result, int):
        raise NoData(t("spatial.too_few", lang, need=MIN_SPATIAL, n=result))
    return result


def clustering_sentence(summary: spatial.Clustering, lang: str) -> str:
    """Whether lagging territories cluster, claimed only where p < alpha."""
    m = summary.moran
    values = {
        "I": fmt_number(m.I, lang, digits=2),
        "p": fmt_number(m.p_sim, lang, digits=3),
        "lagging": summary.lagging_clusters,
    }
    if summary.clustered and summary.lagging_clusters:
        return t("spatial.sentence.cluster", lang, **values)
    if summary.clustered:
        return t("spatial.sentence.similar", lang, **values)
    if m.expected > m.I and m.p_sim < summary.alpha:
        return t("spatial.sentence.dispersed", lang, **values)
    if summary.lagging_clusters:
        return t("spatial.sentence.local_only", lang, **values)
    return t("spatial.sentence.none", lang, **values)


def _spatial_frame(result: SpatialResult, lang: str) -> pd.DataFrame:
    names = [
        name_of({NAME_RU: ru, NAME_EN: en}, lang)
        for ru, en in zip(result.names_ru, result.names_en, strict=True)
    ]
    return spatial.lisa_table(result.territory_ids, names, result.values, result.local)


def _spatial_footer(store, selection, result, meta) -> tuple[str, str]:
    source = _source(
        store, [result.indicator_id], list(result.territory_ids), selection.lang
    )
    source_line = f"{source}; {_boundaries_note(selection.lang)}"
    return footer_line(
        meta["unit"], str(result.year), source_line, None, selection.lang
    ), source


def _spatial_data(frame: pd.DataFrame, meta: dict, lang: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("label.territory", lang): frame["name"],
            f"{meta['name']}, {meta['unit']}": frame["value"],
            "z": frame["z"],
            t("spatial.axis.lag", lang): frame["lag"],
            "I_i": frame["Is"],
            "p": frame["p_sim"],
            t("spatial.col.cluster", lang): [
                t(f"spatial.cluster.{c}", lang) for c in frame["cluster"]
            ],
        }
    )


def _moran_line(result: SpatialResult, lang: str) -> str:
    m = result.moran
    return t(
        "spatial.moran_line",
        lang,
        I=fmt_number(m.I, lang, digits=3),
        expected=fmt_number(m.expected, lang, digits=3),
        p=fmt_number(m.p_sim, lang, digits=3),
        perms=m.permutations,
        n=m.n,
    )


def lisa_view(
    store: Store,
    selection: Selection,
    indicator_id: str,
    scope: str = "agglomeration",
    weights: str = "queen",
    k: int = 6,
) -> Chart:
    """The LISA cluster map (significant at p < 0.05) with the sentence on
    whether lagging territories cluster."""
    lang = selection.lang
    result = spatial_result(store, selection, indicator_id, scope, weights, k)
    meta = _meta(store, indicator_id, lang)
    frame = _spatial_frame(result, lang)
    layer = municipal_layer()
    geojson = geojson_of(layer, result.territory_ids)
    title = t("spatial.map_title", lang, indicator=meta["name"], year=result.year)
    footer, source = _spatial_footer(store, selection, result, meta)
    fig = tool_charts.lisa_map(
        frame,
        geojson,
        title=title,
        footer=footer,
        lang=lang,
        direction=result.direction,
        unit=meta["unit"],
    )
    return Chart(
        key=f"lisa_{indicator_id}_{result.scope}_{result.weights}",
        figure=fig,
        data=_spatial_data(frame, meta, lang),
        title=title,
        caption=clustering_sentence(result.summary, lang),
        unit=meta["unit"],
        year=str(result.year),
        source=source,
        weighted=None,
        notes=_moran_line(result, lang),
    )


def moran_view(
    store: Store,
    selection: Selection,
    indicator_id: str,
    scope: str = "agglomeration",
    weights: str = "queen",
    k: int = 6,
) -> Chart:
    """The Moran scatter plot: each territory's value against its
    neighbours' average (standardised), the slope is Moran's I."""
    lang = selection.lang
    result = spatial_result(store, selection, indicator_id, scope, weights, k)
    meta = _meta(store, indicator_id, lang)
    frame = _spatial_frame(result, lang)
    title = t("spatial.scatter_title", lang, indicator=meta["name"], year=result.year)
    footer, source = _spatial_footer(store, selection, result, meta)
    fig = tool_charts.moran_scatter(
        frame,
        slope=result.moran.I,
        title=title,
        footer=footer,
        lang=lang,
        direction=result.direction,
    )
    return Chart(
        key=f"moran_{indicator_id}_{result.scope}_{result.weights}",
        figure=fig,
        data=_spatial_data(frame, meta, lang),
        title=title,
        caption=_moran_line(result, lang),
        unit="z",
        year=str(result.year),
        source=source,
        weighted=None,
    )


# --------------------------------------------------------------- partners


@dataclass(frozen=True)
class PartnersResult:
    """Suggested pairs among an agglomeration's members."""

    year: int
    indicator_ids: tuple[str, ...]
    neighbourhood: str
    territory_ids: tuple[str, ...]
    names_ru: tuple[str, ...]
    names_en: tuple[str, ...]
    lon: np.ndarray
    lat: np.ndarray
    partners: partners.Partners
    has_boundaries: bool


def partners_result(
    store: Store,
    selection: Selection,
    indicator_ids: tuple[str, ...] | None = None,
    neighbourhood: str = "border",
    km: float = 50.0,
) -> PartnersResult:
    """Complementary pairs among the members of the selected agglomeration
    on ``indicator_ids`` in the selected year: neighbours share a border in
    the municipal boundaries (``"border"``) or have centres within ``km``
    (``"distance"``, also used when the members have no boundaries)."""
    lang = selection.lang
    if neighbourhood not in NEIGHBOURHOODS:
        raise ValueError(f"partners_result: neighbourhood in {NEIGHBOURHOODS}")
    ids = _member_ids(store, selection)
    year = _year(store, selection, ids)
    if indicator_ids is None:  # the page's default: the first four
        indicator_ids = per_resident_indicators(store, ids, year)[:4]
    indicator_ids = tuple(indicator_ids)
    if not indicator_ids:
        raise NoData(t("partners.none", lang))

    def build() -> PartnersResult | str:
        members = sel_.members(store, selection.agglomeration_id).drop_duplicates(
            TERRITORY_ID
        )
        members[TERRITORY_ID] = members[TERRITORY_ID].astype(str)
        layer = municipal_layer()
        sub = (
            layer.subset(members[TERRITORY_ID].tolist()) if layer is not None else None
        )
        has_boundaries = sub is not None and len(sub.territory_ids) >= 2
        if has_boundaries:
            place = pd.DataFrame(
                {"lon": sub.lon, "lat": sub.lat}, index=list(sub.territory_ids)
            )
        else:
            coords = sel_.coordinates(store).drop_duplicates(TERRITORY_ID)
            coords[TERRITORY_ID] = coords[TERRITORY_ID].astype(str)
            place = coords.set_index(TERRITORY_ID).rename(
                columns={"longitude": "lon", "latitude": "lat"}
            )[["lon", "lat"]]
        members = members[members[TERRITORY_ID].isin(place.index)]
        if len(members) < 2:
            return "few"
        tids = members[TERRITORY_ID].tolist()
        lon = place.loc[tids, "lon"].to_numpy(dtype=float)
        lat = place.loc[tids, "lat"].to_numpy(dtype=float)
        if neighbourhood == "border" and has_boundaries:
            neighbours = queen_among(layer, tids)
        else:
            neighbours = spatial.distance_band(lon, lat, km=km)
        pairs = partners.neighbour_pairs(tids, neighbours)
        columns = {}
        population = None
        for indicator_id in indicator_ids:
            panel = sel_.panel(store, indicator_id, tids, [year]).drop_duplicates(
                TERRITORY_ID
            )
            series = panel.set_index(TERRITORY_ID)
            columns[indicator_id] = series[VALUE].reindex(tids)
            pop = series["population"].reindex(tids)
            population = pop if population is None else population.fillna(pop)
        values = pd.DataFrame(columns, index=tids)
        directions = {
            i: int(sel_.indicator_info(store, i).get(DIRECTION) or 0)
            for i in indicator_ids
        }
        scales = {i: _scale(store, i) for i in indicator_ids}
        found = partners.complementary_pairs(
            values,
            population if population is not None else pd.Series(dtype=float),
            pairs,
            directions=directions,
            scales=scales,
        )
        return PartnersResult(
            year=year,
            indicator_ids=indicator_ids,
            neighbourhood=neighbourhood if has_boundaries else "distance",
            territory_ids=tuple(tids),
            names_ru=tuple(members[NAME_RU].astype(str)),
            names_en=tuple(members[NAME_EN].astype(str)),
            lon=lon,
            lat=lat,
            partners=found,
            has_boundaries=has_boundaries,
        )

    key = ("h19_partners", selection.agglomeration_id, indicator_ids, year,
           neighbourhood, float(km))  # fmt: skip
    result = sel_.remember(store, key, build)
    if isinstance(result, str):
        raise NoData(t("empty.too_few", lang, need=2, have=len(ids)))
    return result


def partners_view(
    store: Store,
    selection: Selection,
    indicator_ids: tuple[str, ...] | None = None,
    neighbourhood: str = "border",
    km: float = 50.0,
    agreements: tuple[tuple[str, str, str, int], ...] = (),
    top: int = 10,
) -> Chart:
    """The cooperation network: existing ``agreements`` (territory_a,
    territory_b, subject, year) as solid lines, the ``top`` suggested pairs
    as dashed lines with the reason in words; the table lists every pair
    with something to share."""
    lang = selection.lang
    result = partners_result(store, selection, indicator_ids, neighbourhood, km)
    names = {
        tid: name_of({NAME_RU: ru, NAME_EN: en}, lang)
        for tid, ru, en in zip(
            result.territory_ids, result.names_ru, result.names_en, strict=True
        )
    }
    indicator_names = {
        i: name_of(sel_.indicator_info(store, i), lang) for i in result.indicator_ids
    }
    units = {
        i: unit_of(sel_.indicator_info(store, i), lang) for i in result.indicator_ids
    }
    total_units = {
        i: _total_unit(store, i, lang)
        for i in result.indicator_ids
        if _total_unit(store, i, lang)
    }
    pairs = result.partners.pairs
    useful = pairs[pairs["score"] > 0].reset_index(drop=True)
    flows = result.partners.flows
    reasons = []
    for row in useful.itertuples(index=False):
        part = flows[
            (flows["territory_a"] == row.territory_a)
            & (flows["territory_b"] == row.territory_b)
        ]
        reasons.append(
            partners.reason(
                part,
                lang,
                names=names,
                indicators=indicator_names,
                units=units,
                total_units=total_units,
            )
        )
    useful = useful.assign(reason=reasons)
    nodes = pd.DataFrame(
        {
            TERRITORY_ID: list(result.territory_ids),
            "name": [names[i] for i in result.territory_ids],
            "lon": result.lon,
            "lat": result.lat,
        }
    )
    existing = pd.DataFrame(list(agreements), columns=list(partners.AGREEMENT_COLUMNS))
    outlines = None
    layer = municipal_layer()
    if result.has_boundaries and layer is not None:
        outlines = layer.outlines(result.territory_ids)
    title = t("partners.network_title", lang, year=result.year)
    source = _source(
        store, list(result.indicator_ids), list(result.territory_ids), lang
    )
    note = _boundaries_note(lang) if result.has_boundaries else ""
    sources = "; ".join(part for part in (source, note) if part)
    footer = footer_line("", str(result.year), sources, None, lang)
    fig = tool_charts.partner_network(
        nodes,
        existing,
        useful.head(top),
        title=title,
        footer=footer,
        lang=lang,
        outlines=outlines,
    )
    if useful.empty:
        caption = t("partners.none", lang)
    else:
        best = useful.iloc[0]
        caption = t(
            "partners.caption",
            lang,
            n=len(useful),
            a=names[best.territory_a],
            b=names[best.territory_b],
        )
    data = pd.DataFrame(
        {
            t("partners.col.pair", lang): [
                f"{names[a]} — {names[b]}"
                for a, b in zip(
                    useful["territory_a"], useful["territory_b"], strict=True
                )
            ],
            t("partners.col.score", lang): useful["score"].round(3),
            t("partners.col.mutual", lang): [
                ("да" if m else "нет") if lang == "ru" else ("yes" if m else "no")
                for m in useful["mutual"]
            ],
            t("partners.col.reason", lang): useful["reason"],
        }
    )
    return Chart(
        key="partners_network",
        figure=fig,
        data=data,
        title=title,
        caption=caption,
        unit="",
        year=str(result.year),
        source=source,
        weighted=None,
        notes=t("partners.score_help", lang),
        extra={"pairs": useful, "agreements": existing},
    )
