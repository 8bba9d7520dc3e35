"""Choropleth maps from a user's boundary file, drawn offline.

Figure builder :func:`choropleth` (a DataFrame and a GeoJSON in, a plotly
Figure out, in the visual language of :mod:`analytics.charts`) and two views
that compose store → numbers → chart: :func:`typology_map` (territory types)
and :func:`region_map` (one indicator by region).

Nothing is fetched from the internet
------------------------------------
The boundaries travel inside the figure (``geojson=``); the base map is off
(``geo.visible=False``: no land, coast or country layers) and no tiles are
used (no mapbox / maplibre). One more thing is needed: plotly.js (both the
copy inside kaleido and the one Streamlit bundles, checked with plotly.js
3.x) downloads its world topojson from a CDN whenever the *first* trace of a
geo subplot has a ``locationmode``, and a choropleth always has one
(``"geojson-id"``). Without a network that download fails and the whole
figure fails to render ("unexpected error while fetching topojson file").
So every map starts with an invisible one-point ``Scattergeo`` (longitude and
latitude, no ``locationmode``), which plotly.js checks instead. The tests
render a map with kaleido on a machine without a network, so a plotly.js
that changes this rule fails them instead of the user's page.

Colours: categories (clusters) use the Okabe–Ito palette of
:mod:`analytics.charts`; values use its diverging red–blue scale centred on
the median and turned by the indicator's direction, so red always means
*behind*; an indicator without a direction gets a single-hue scale.
Territories in the file without data are grey. The hover shows the name and
the exact value with its unit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analytics import geo
from analytics import selection as sel_
from analytics.chart_model import Chart, footer_line
from analytics.charts import DIVERGING, OKABE_ITO, finish_layout
from analytics.i18n import fmt_number, t
from analytics.i18n import name as name_of
from analytics.i18n import unit as unit_of
from analytics.selection import Selection
from analytics.store import (
    DIRECTION,
    INDICATOR_ID,
    LEVEL,
    TERRITORY_ID,
    VALUE,
    YEAR,
    Store,
)

NO_DATA = "#D9D9D9"
SEQUENTIAL = [[0.0, "#DEEBF7"], [0.5, "#6BAED6"], [1.0, "#08519C"]]
OUTLINE = "#FFFFFF"
HIGHLIGHT = "#000000"
#: Share of a view's territories that must have a boundary for a choropleth
#: to replace the points (or at least as many as have a centre to draw).
MIN_COVERAGE = 0.5


# ----------------------------------------------------------------- helpers


def exact(value: float, lang: str = "ru") -> str:
    """A value as stored, to six significant digits, trailing zeros dropped.

    >>> exact(1234567.891, "ru"), exact(0.012345678, "en"), exact(52.0, "en")
    ('1\\u202f234\\u202f568', '0.0123457', '52')
    """
    if value is None or not math.isfinite(value):
        return "—"
    size = abs(value)
    digits = 0 if size == 0 else max(0, min(8, 5 - math.floor(math.log10(size))))
    text = fmt_number(value, lang, digits=digits)
    point = "," if lang == "ru" else "."
    if point in text:
        text = text.rstrip("0").rstrip(point)
    return text


def _bounds(geojson: dict) -> tuple[float, float, float, float]:
    lons: list[float] = []
    lats: list[float] = []
    for feature in geojson["features"]:
        for polygon in feature["geometry"]["coordinates"]:
            for lon, lat in polygon[0]:
                lons.append(lon)
                lats.append(lat)
    return min(lons), min(lats), max(lons), max(lats)


def _unwrap(geojson: dict) -> dict:
    """Longitudes east of the antimeridian (Chukotka's tip at -170°) moved
    to 190°, so that a country-wide extent is 19°–191°, not the whole globe
    (plotly's ``fitbounds`` works on raw longitudes)."""
    west, _, east, _ = _bounds(geojson)
    if not (west < -170 and east > 170):
        return geojson

    def shift(polygons: list) -> list:
        return [
            [[[lon + 360 if lon < 0 else lon, lat] for lon, lat in ring] for ring in p]
            for p in polygons
        ]

    return {
        "type": "FeatureCollection",
        "features": [
            {
                **f,
                "geometry": {
                    **f["geometry"],
                    "coordinates": shift(f["geometry"]["coordinates"]),
                },
            }
            for f in geojson["features"]
        ],
    }


def _geo_layout(geojson: dict) -> dict:
    """Base map off. A country-wide extent (over 40° of longitude) gets an
    Albers equal-area conic centred on it, framed by longitude/latitude
    ranges (plotly's ``fitbounds`` shrinks conic maps to a corner, checked
    with plotly.js 3.x); a smaller one (an agglomeration, a few regions)
    Mercator fitted to the territories."""
    west, south, east, north = _bounds(geojson)
    layout: dict = {"visible": False, "bgcolor": "rgba(0,0,0,0)"}
    if east - west > 40:
        span = north - south
        layout["projection"] = {
            "type": "albers",
            "rotation": {"lon": round((west + east) / 2, 1)},
            "parallels": [round(south + span / 6, 1), round(north - span / 6, 1)],
        }
        layout["lonaxis"] = {"range": [west - 1, east + 1]}
        layout["lataxis"] = {"range": [south - 1, north + 1]}
    else:
        layout["projection"] = {"type": "mercator"}
        layout["fitbounds"] = "locations"
    return layout


def _anchor(geojson: dict) -> go.Scattergeo:
    """The invisible first trace that keeps plotly.js off the network (see
    the module docstring)."""
    west, south, east, north = _bounds(geojson)
    return go.Scattergeo(
        lon=[(west + east) / 2],
        lat=[(south + north) / 2],
        mode="markers",
        marker={"size": 1, "opacity": 0},
        hoverinfo="skip",
        showlegend=False,
        name="",
    )


def _single(colour: str) -> list:
    return [[0.0, colour], [1.0, colour]]


# ----------------------------------------------------------------- figure


def choropleth(
    df: pd.DataFrame,
    geojson: dict,
    *,
    title: str,
    footer: str,
    lang: str = "ru",
    category: str | None = None,
    value: str | None = None,
    unit: str = "",
    direction: int = 0,
    midpoint: float | None = None,
    name: str = "name",
    location: str = TERRITORY_ID,
    highlight: str | None = None,
    background: dict[str, str] | None = None,
    context: dict | None = None,
    frame_ids: Sequence[str] = (),
    order: Sequence[str] | None = None,
    height: int = 600,
) -> go.Figure:
    """Territories of ``df`` filled by ``category`` (one colour per category,
    in ``order`` or order of appearance) or by ``value`` (diverging around
    ``midpoint``, default the median, red = behind given ``direction``).

    ``geojson`` is a FeatureCollection whose features' ``id`` is the
    territory id (:meth:`analytics.geo.BoundaryMatch.geojson`).
    ``background`` maps ids of features drawn grey ("no data") to names;
    ``context`` is another FeatureCollection (regions under municipalities)
    drawn pale, without hover, beneath everything; the map is framed on
    the territories and the ``frame_ids`` features of ``context``.
    A boolean ``highlight`` column outlines those territories in black.
    """
    if (category is None) == (value is None):
        raise ValueError("choropleth: give exactly one of category= or value=")
    geojson = _unwrap(geojson)
    drawn = {f["id"] for f in geojson["features"]}
    data = df[df[location].isin(drawn)]
    fig = go.Figure(_anchor(geojson))
    line = {"color": OUTLINE, "width": 0.6}
    if context is not None and context["features"]:
        context = _unwrap(context)
        fig.add_choropleth(
            geojson=context,
            locations=[f["id"] for f in context["features"]],
            z=[0] * len(context["features"]),
            colorscale=_single("#F0F0F0"),
            showscale=False,
            marker={"line": {"color": "#BDBDBD", "width": 0.5}},
            hoverinfo="skip",
            showlegend=False,
            name="",
        )
    if background:
        ids = [i for i in background if i in drawn and i not in set(data[location])]
        if ids:
            fig.add_choropleth(
                geojson=geojson,
                locations=ids,
                z=[0] * len(ids),
                colorscale=_single(NO_DATA),
                showscale=False,
                marker={"line": line},
                customdata=[[background[i]] for i in ids],
                hovertemplate="%{customdata[0]}<br>"
                + t("geo.no_data", lang)
                + "<extra></extra>",
                name=t("geo.no_data", lang),
                showlegend=False,
            )
    if category is not None:
        keys = list(order) if order is not None else list(pd.unique(data[category]))
        for i, key in enumerate(keys):
            part = data[data[category] == key]
            if part.empty:
                continue
            fig.add_choropleth(
                geojson=geojson,
                locations=part[location].tolist(),
                z=[1] * len(part),
                colorscale=_single(OKABE_ITO[i % len(OKABE_ITO)]),
                showscale=False,
                showlegend=True,
                name=str(key),
                marker={"line": line},
                customdata=part[[name]].to_numpy(),
                hovertemplate="%{customdata[0]}<extra>" + str(key) + "</extra>",
            )
    else:
        values = data[value].astype(float)
        mid = float(np.nanmedian(values)) if midpoint is None else float(midpoint)
        if direction:
            scale = DIVERGING if direction > 0 else _reversed(DIVERGING)
            spread = float(np.nanmax(np.abs(values - mid))) or 1.0
            colour = {"zmid": mid, "zmin": mid - spread, "zmax": mid + spread}
        else:
            scale, colour = SEQUENTIAL, {}
        text = [f"{exact(v, lang)} {unit}".strip() for v in values]
        fig.add_choropleth(
            geojson=geojson,
            locations=data[location].tolist(),
            z=values.tolist(),
            colorscale=scale,
            **colour,
            marker={"line": line},
            customdata=np.column_stack([data[name].to_numpy(), text]),
            hovertemplate="%{customdata[0]}<br>%{customdata[1]}<extra></extra>",
            colorbar={"title": {"text": unit}, "thickness": 14, "len": 0.8},
            showlegend=False,
            name="",
        )
    if highlight is not None and highlight in data and data[highlight].any():
        ids = data.loc[data[highlight].astype(bool), location].tolist()
        fig.add_choropleth(
            geojson=geojson,
            locations=ids,
            z=[0] * len(ids),
            colorscale=_single("rgba(0,0,0,0)"),
            showscale=False,
            marker={"line": {"color": HIGHLIGHT, "width": 1.5}},
            hoverinfo="skip",
            showlegend=False,
            name="",
        )
    frame = geojson
    if context is not None and frame_ids:
        frame = {
            "type": "FeatureCollection",
            "features": geojson["features"]
            + [f for f in context["features"] if f["id"] in set(frame_ids)],
        }
    fig.update_layout(geo=_geo_layout(frame), dragmode=False)
    fig = finish_layout(fig, title, footer, height=height, lang=lang)
    return fig


def _reversed(scale: list) -> list:
    return [[round(1.0 - p, 6), c] for p, c in reversed(scale)]


# ----------------------------------------------------------------- views


def matches(store: Store, boundaries: list[geo.Boundaries]) -> list[geo.BoundaryMatch]:
    """Each saved boundary file matched to the store's territories."""
    return [geo.match_boundaries(b, store.territories) for b in boundaries]


def typology_map(
    store: Store,
    selection: Selection,
    typology_data: pd.DataFrame,
    year: str,
    source: str,
    found: list[geo.BoundaryMatch],
) -> Chart | None:
    """Territory types as a choropleth, or ``None`` when no boundary file
    covers at least :data:`MIN_COVERAGE` of the typology's territories (the
    page then keeps the points at the centres).

    ``typology_data`` is the typology scatter's data (territory_id, name,
    agglomeration, type), as :func:`analytics.views.typology_view` returns it.
    """
    lang = selection.lang
    ids = typology_data[TERRITORY_ID].tolist()
    match = geo.best_match(found, ids)
    if match is None:
        return None
    covered = typology_data[typology_data[TERRITORY_ID].isin(match.ids)]
    located = int(sel_.coordinates(store)[TERRITORY_ID].isin(ids).sum())
    if len(covered) < max(3, min(MIN_COVERAGE * len(ids), located)):
        return None
    agglomeration = store.territories.set_index(TERRITORY_ID)["agglomeration_id"]
    region_of = store.territories.set_index(TERRITORY_ID)["region_id"]
    data = covered.assign(
        highlight=covered[TERRITORY_ID]
        .map(agglomeration)
        .eq(selection.agglomeration_id),
        label=covered["name"] + " — " + covered["agglomeration"],
    )
    # the scatter's colour order: by cluster number (charts.scatter_points)
    if "cluster" in typology_data:
        first = typology_data.groupby("type", sort=False)["cluster"].first()
        order = sorted(first.index, key=lambda key: int(first[key]))
    else:
        order = list(pd.unique(typology_data["type"]))
    title = t("map.typology_title", lang, year=year)
    footer = footer_line("", year, source, None, lang)
    regions = geo.best_match([m for m in found if m is not match], _region_ids(store))
    fig = choropleth(
        data,
        match.geojson(set(ids)),
        context=regions.geojson() if regions is not None else None,
        frame_ids=covered[TERRITORY_ID].map(region_of).dropna().unique().tolist(),
        title=title,
        footer=footer,
        lang=lang,
        category="type",
        name="label",
        highlight="highlight",
        order=order,
    )
    caption = t(
        "map.typology_caption",
        lang,
        file=match.boundaries.name,
        shown=len(covered),
        total=len(ids),
        missing=len(ids) - len(covered),
    )
    return Chart(
        key="typology_map",
        figure=fig,
        data=data[[TERRITORY_ID, "name", "agglomeration", "type"]].reset_index(
            drop=True
        ),
        title=title,
        caption=caption,
        unit="",
        year=year,
        source=source,
        notes=f"boundaries: {match.boundaries.name}",
    )


def _region_ids(store: Store) -> list[str]:
    terr = store.territories
    return terr.loc[terr[LEVEL] == "region", TERRITORY_ID].tolist()


def region_indicators(store: Store, year: int | None) -> list[str]:
    """Indicators with a value for at least three regions in ``year``,
    catalog order."""
    obs = store.observations
    mask = obs[TERRITORY_ID].isin(_region_ids(store))
    if year is not None:
        mask &= obs[YEAR] == year
    counts = obs.loc[mask].groupby(INDICATOR_ID, observed=True)[TERRITORY_ID].nunique()
    wanted = set(counts[counts >= 3].index.astype(str))
    return [i for i in store.indicators[INDICATOR_ID] if i in wanted]


def region_map(
    store: Store,
    selection: Selection,
    indicator_id: str,
    found: list[geo.BoundaryMatch],
) -> Chart:
    """One indicator by region in the selected year, on the boundary file
    that covers most regions. Raises ``views.NoData`` when there is no such
    file or no value."""
    from analytics.views import NoData

    lang = selection.lang
    regions = _region_ids(store)
    match = geo.best_match(found, regions)
    if match is None:
        raise NoData(t("map.no_region_boundaries", lang))
    years = [selection.year] if selection.year is not None else None
    data = sel_.panel(store, indicator_id, regions, years).dropna(subset=[VALUE])
    if data.empty:
        raise NoData(t("map.no_region_data", lang, year=selection.year))
    year = int(data[YEAR].max())
    data = data[data[YEAR] == year]
    data = data.assign(name=[name_of(r, lang) for r in data.to_dict("records")])
    info = sel_.indicator_info(store, indicator_id)
    unit = unit_of(info, lang)
    direction = int(info.get(DIRECTION) or 0)
    source = sel_.source_line(store, data["source_id"], lang)
    title = t("map.region_title", lang, indicator=name_of(info, lang), year=str(year))
    footer = footer_line(unit, str(year), source, None, lang)
    terr = store.territories.set_index(TERRITORY_ID)
    on_map = [i for i in regions if i in match.ids]
    background = {
        i: name_of(terr.loc[i].to_dict(), lang) or i
        for i in on_map
        if i not in set(data[TERRITORY_ID])
    }
    shown = data[data[TERRITORY_ID].isin(match.ids)]
    if shown.empty:
        raise NoData(t("map.no_region_boundaries", lang))
    median = float(shown[VALUE].median())
    fig = choropleth(
        shown,
        match.geojson(set(on_map)),
        title=title,
        footer=footer,
        lang=lang,
        value=VALUE,
        unit=unit,
        direction=direction,
        midpoint=median,
        background=background,
    )
    key = "map.region_caption" if direction else "map.region_caption_neutral"
    caption = t(
        key,
        lang,
        shown=len(shown),
        total=len(on_map),
        median=f"{exact(median, lang)} {unit}".strip(),
    )
    value_column = f"{name_of(info, lang)}, {unit}" if unit else name_of(info, lang)
    table = shown[[TERRITORY_ID, "name", VALUE]].rename(columns={VALUE: value_column})
    return Chart(
        key=f"region_map_{indicator_id}",
        figure=fig,
        data=table.sort_values(value_column, ascending=direction < 0).reset_index(
            drop=True
        ),
        title=title,
        caption=caption,
        unit=unit,
        year=str(year),
        source=source,
        notes=f"boundaries: {match.boundaries.name}",
    )
