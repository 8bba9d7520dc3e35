"""Figure builders of the scenario, partner and spatial tools: a tidy
DataFrame in, a plotly Figure out, in the visual language of
:mod:`analytics.charts` (its fonts, template, footer and colours: red means
*behind*, blue *ahead*). No statistics here: the numbers come from
:mod:`analytics.scenario`, :mod:`analytics.partners` and
:mod:`analytics.spatial` through :mod:`analytics.views.tools`.

>>> import pandas as pd
>>> df = pd.DataFrame({"territory_id": ["a", "b"], "name": ["A", "B"],
...                    "z": [-1.0, 1.0], "lag": [-0.5, 0.8],
...                    "cluster": ["LL", "ns"]})
>>> fig = moran_scatter(df, slope=0.4, title="T", footer="F", lang="en")
>>> [trace.name for trace in fig.data]
['low among low', 'not significant (p ≥ 0.05)', 'I = 0.40']
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analytics.charts import AHEAD, BEHIND, finish_layout
from analytics.i18n import fmt_number, t
from analytics.maps import _anchor, _geo_layout, _unwrap

#: LISA cluster colours: behind-among-behind red, ahead-among-ahead blue,
#: outliers pale, not significant grey (for direction +1: LL behind).
CLUSTER_COLOURS = {
    "HH": AHEAD,
    "LL": BEHIND,
    "HL": "#92C5DE",
    "LH": "#F4A582",
    "ns": "#E0E0E0",
    "": "#FFFFFF",
}
CLUSTER_ORDER = ("LL", "HH", "LH", "HL", "ns", "")
GREY = "#9E9E9E"


_LONG_WORDS = (
    ("муниципальный район", "р-н"),
    ("муниципальный округ", "м. о."),
    ("городской округ город", ""),
    ("городской округ", ""),
    ("municipal district", "distr."),
    ("municipal okrug", "okrug"),
    ("urban okrug", ""),
)


def short_name(name: str) -> str:
    """A municipality's name for a crowded label: the type words shortened.

    >>> short_name("Емельяновский муниципальный район")
    'Емельяновский р-н'
    >>> short_name("городской округ город Норильск")
    'Норильск'
    """
    text = f" {name} "
    for long, short in _LONG_WORDS:
        text = text.replace(f" {long} ", f" {short} " if short else " ")
    return " ".join(text.split()) or name


def cluster_colours(direction: int = 1) -> dict[str, str]:
    """Cluster → colour; for a lower-is-better indicator the high-high
    cluster is the one behind (red).

    >>> cluster_colours(-1)["HH"] == BEHIND
    True
    """
    if direction >= 0:
        return dict(CLUSTER_COLOURS)
    return CLUSTER_COLOURS | {
        "HH": BEHIND,
        "LL": AHEAD,
        "HL": CLUSTER_COLOURS["LH"],
        "LH": CLUSTER_COLOURS["HL"],
    }


def _label(cluster: str, lang: str) -> str:
    return t(f"spatial.cluster.{cluster}", lang)


def lisa_map(
    df: pd.DataFrame,
    geojson: dict,
    *,
    title: str,
    footer: str,
    lang: str = "ru",
    direction: int = 1,
    unit: str = "",
    height: int = 600,
) -> go.Figure:
    """Territories of ``df`` (``territory_id``, ``name``, ``cluster`` in
    "HH", "LL", "HL", "LH", "ns" or "" for no neighbours, ``value``,
    ``p_sim``) filled by LISA cluster; ``geojson`` features' ``id`` is the
    territory id. Drawn offline like :func:`analytics.maps.choropleth`.

    One choropleth trace carries every territory (the cluster as a code on
    a stepped colour scale), so the boundaries travel in the figure once
    even for all 2,600 municipalities; the legend is drawn by empty marker
    traces, one per cluster present.
    """
    geojson = _unwrap(geojson)
    drawn = {f["id"] for f in geojson["features"]}
    data = df[df["territory_id"].isin(drawn)]
    colours = cluster_colours(direction)
    present = [c for c in CLUSTER_ORDER if (data["cluster"] == c).any()]
    code = {cluster: i for i, cluster in enumerate(present)}
    n = max(len(present), 1)
    scale = []
    for i, cluster in enumerate(present):
        scale += [[i / n, colours[cluster]], [(i + 1) / n, colours[cluster]]]
    labels = {cluster: _label(cluster, lang) for cluster in present}
    hover = [
        f"{name}<br>{fmt_number(value, lang)} {unit}<br>p = "
        f"{fmt_number(p, lang, digits=3)}<br>{labels[cluster]}"
        for name, value, p, cluster in zip(
            data["name"], data["value"], data["p_sim"], data["cluster"], strict=True
        )
    ]
    fig = go.Figure(_anchor(geojson))
    if present:
        fig.add_choropleth(
            # the boundaries are set after the trace is added: add_trace
            # deep-copies a trace's properties (1.2 s for 2,600 municipalities),
            # an assignment to a trace in the figure does not (0.08 s)
            geojson={"type": "FeatureCollection", "features": []},
            locations=data["territory_id"].tolist(),
            z=[code[c] + 0.5 for c in data["cluster"]],
            zmin=0,
            zmax=n,
            colorscale=scale,
            showscale=False,
            marker={"line": {"color": "#FFFFFF", "width": 0.5}},
            customdata=np.column_stack([data["territory_id"], hover]),
            hovertemplate="%{customdata[1]}<extra></extra>",
            showlegend=False,
            name="",
        )
        fig.data[-1].geojson = geojson
    for cluster in present:
        fig.add_scattergeo(
            lon=[None],
            lat=[None],
            mode="markers",
            marker={"symbol": "square", "size": 12, "color": colours[cluster]},
            name=labels[cluster],
            showlegend=True,
            hoverinfo="skip",
        )
    fig.update_layout(geo=_geo_layout(geojson), dragmode=False)
    return finish_layout(fig, title, footer, height=height)


def moran_scatter(
    df: pd.DataFrame,
    *,
    slope: float,
    title: str,
    footer: str,
    lang: str = "ru",
    direction: int = 1,
) -> go.Figure:
    """The Moran scatter plot: standardised value ``z`` against its spatial
    lag ``lag``, one colour per ``cluster``; the line through the origin of
    slope ``slope`` (Moran's I: the slope of the lag on the value for
    row-standardised weights); quadrant lines at 0."""
    colours = cluster_colours(direction)
    fig = go.Figure()
    for cluster in CLUSTER_ORDER:
        part = df[df["cluster"] == cluster]
        if part.empty:
            continue
        colour = colours[cluster] if cluster not in ("ns", "") else GREY
        fig.add_scatter(
            x=part["z"],
            y=part["lag"],
            mode="markers",
            name=_label(cluster, lang),
            marker={
                "color": colour,
                "size": 9,
                "line": {"color": "#333", "width": 0.5},
            },
            customdata=np.column_stack([part["territory_id"], part["name"]]),
            hovertemplate="%{customdata[1]}<br>z = %{x:.2f}, "
            + ("лаг" if lang == "ru" else "lag")
            + " = %{y:.2f}<extra></extra>",
        )
    span = float(np.nanmax(np.abs(np.r_[df["z"], df["lag"], 1.0]))) * 1.1
    fig.add_scatter(
        x=[-span, span],
        y=[-span * slope, span * slope],
        mode="lines",
        line={"color": "#333", "dash": "dash"},
        name=f"I = {fmt_number(slope, lang, digits=2)}",
        hoverinfo="skip",
    )
    zero = {"color": "#BDBDBD", "width": 1}
    fig.layout["shapes"] = (
        {"type": "line", "x0": 0, "x1": 0, "y0": -span, "y1": span, "line": zero},
        {"type": "line", "x0": -span, "x1": span, "y0": 0, "y1": 0, "line": zero},
    )
    fig.update_xaxes(
        title=t("spatial.axis.z", lang), range=[-span, span], zeroline=False
    )
    fig.update_yaxes(
        title=t("spatial.axis.lag", lang), range=[-span, span], zeroline=False
    )
    return finish_layout(fig, title, footer)


def before_after_bars(
    df: pd.DataFrame,
    *,
    title: str,
    footer: str,
    unit: str,
    lang: str = "ru",
    median: float | None = None,
    highlight: Sequence[str] = (),
) -> go.Figure:
    """Horizontal bars per territory (``territory_id``, ``name``, ``before``,
    ``after``), sorted by ``after``: the value before in grey, the value
    after in blue (red where still below ``median``); ``highlight`` ids
    outlined in black."""
    data = df.sort_values("after", kind="stable")
    marked = data["territory_id"].isin(list(highlight))
    fig = go.Figure()
    ids = data["territory_id"].astype(str).to_numpy()
    fig.add_bar(
        y=data["name"],
        x=data["before"],
        orientation="h",
        name=t("scenario.legend.before", lang),
        marker_color="#BDBDBD",
        customdata=ids,
        hovertemplate="%{y}: %{x:,.4~g} " + unit + "<extra></extra>",
    )
    below = (
        data["after"] < median - 1e-9 * abs(median)
        if median is not None
        else np.zeros(len(data), bool)
    )
    fig.add_bar(
        y=data["name"],
        x=data["after"],
        orientation="h",
        name=t("scenario.legend.after", lang),
        marker={
            "color": np.where(below, BEHIND, AHEAD).tolist(),
            "line": {
                "color": np.where(marked, "#000000", "rgba(0,0,0,0)").tolist(),
                "width": 2,
            },
        },
        customdata=ids,
        hovertemplate="%{y}: %{x:,.4~g} " + unit + "<extra></extra>",
    )
    fig.update_layout(barmode="group", bargap=0.25)
    if median is not None and math.isfinite(median):
        fig.layout["shapes"] = (
            {
                "type": "line",
                "x0": median,
                "x1": median,
                "xref": "x",
                "y0": 0,
                "y1": 1,
                "yref": "y domain",
                "line": {"color": "#333", "dash": "dot"},
            },
        )
        fig.add_annotation(
            x=median,
            y=1,
            xref="x",
            yref="y domain",
            yanchor="bottom",
            showarrow=False,
            text=f"{t('label.median', lang)} {fmt_number(median, lang)}",
        )
    fig.update_xaxes(title=unit)
    fig.update_yaxes(automargin=True)
    height = max(420, 60 + 34 * len(data))
    return finish_layout(fig, title, footer, height=height)


def split_bars(
    df: pd.DataFrame,
    *,
    indices: Sequence[str],
    title: str,
    footer: str,
    lang: str = "ru",
) -> go.Figure:
    """Grouped bars: for each index of ``indices`` (columns of ``df``), one
    bar per split (``df["split"]``, labelled through i18n), so that the
    lowest bar of each group is the split that reduces that index most."""
    palette = {
        "none": "#BDBDBD",
        "level_up": AHEAD,
        "equal_per_capita": "#E69F00",
        "equal_per_territory": "#009E73",
    }
    fig = go.Figure()
    labels = [t(f"index.{name.removesuffix('_weighted')}", lang) for name in indices]
    for row in df.itertuples(index=False):
        split = row.split
        fig.add_bar(
            x=labels,
            y=[getattr(row, name) for name in indices],
            name=t(f"scenario.split.{split}", lang),
            marker_color=palette.get(split, GREY),
            hovertemplate="%{x}: %{y:.4f}<extra>"
            + t(f"scenario.split.{split}", lang)
            + "</extra>",
        )
    fig.update_layout(barmode="group")
    fig.update_yaxes(title=t("label.index", lang), rangemode="tozero")
    return finish_layout(fig, title, footer)


def partner_network(
    nodes: pd.DataFrame,
    agreements: pd.DataFrame,
    suggestions: pd.DataFrame,
    *,
    title: str,
    footer: str,
    lang: str = "ru",
    outlines: tuple[list, list] | None = None,
    height: int = 620,
) -> go.Figure:
    """Municipalities as points at their centres (``nodes``: ``territory_id``,
    ``name``, ``lon``, ``lat``), existing agreements as solid lines and
    suggested pairs as dashed lines, thicker for a higher ``score``
    (``agreements``/``suggestions``: ``territory_a``, ``territory_b``;
    suggestions also ``score`` and ``reason``). ``outlines``: boundary
    rings drawn pale beneath. Plain x/y axes in degrees, the latitude
    stretched by :math:`1/\\cos\\varphi` so that shapes keep their
    proportions; nothing is fetched from the network."""
    where = nodes.set_index("territory_id")[["lon", "lat", "name"]]
    fig = go.Figure()
    if outlines is not None and outlines[0]:
        fig.add_scatter(
            x=outlines[0],
            y=outlines[1],
            mode="lines",
            line={"color": "#D0D0D0", "width": 0.8},
            hoverinfo="skip",
            showlegend=False,
            name="",
        )

    def segments(pairs: pd.DataFrame) -> tuple[list, list]:
        xs: list = []
        ys: list = []
        for a, b in zip(pairs["territory_a"], pairs["territory_b"], strict=True):
            if a in where.index and b in where.index:
                xs += [where.at[a, "lon"], where.at[b, "lon"], None]
                ys += [where.at[a, "lat"], where.at[b, "lat"], None]
        return xs, ys

    if not agreements.empty:
        xs, ys = segments(agreements)
        fig.add_scatter(
            x=xs,
            y=ys,
            mode="lines",
            line={"color": "#333333", "width": 3},
            name=t("partners.legend.agreement", lang),
            legendgroup="agreement",
            hoverinfo="skip",
        )
        if {"subject", "year"} <= set(agreements.columns):
            mids = [
                (
                    (where.at[a, "lon"] + where.at[b, "lon"]) / 2,
                    (where.at[a, "lat"] + where.at[b, "lat"]) / 2,
                    f"{where.at[a, 'name']} — {where.at[b, 'name']}: {subject}, {year}",
                )
                for a, b, subject, year in zip(
                    agreements["territory_a"],
                    agreements["territory_b"],
                    agreements["subject"],
                    agreements["year"],
                    strict=True,
                )
                if a in where.index and b in where.index
            ]
            if mids:
                fig.add_scatter(
                    x=[m[0] for m in mids],
                    y=[m[1] for m in mids],
                    mode="markers",
                    marker={"size": 14, "color": "rgba(0,0,0,0)"},
                    hovertext=[m[2] for m in mids],
                    hovertemplate="%{hovertext}<extra></extra>",
                    showlegend=False,
                    legendgroup="agreement",
                    name="",
                )
    if not suggestions.empty:
        top = float(suggestions["score"].max()) or 1.0
        first = True
        for row in suggestions.itertuples(index=False):
            xs, ys = segments(pd.DataFrame([row._asdict()]))
            if not xs:
                continue
            width = 1.5 + 4.5 * float(row.score) / top
            mid_x, mid_y = (xs[0] + xs[1]) / 2, (ys[0] + ys[1]) / 2
            fig.add_scatter(
                x=xs[:2],
                y=ys[:2],
                mode="lines",
                line={"color": "#E69F00", "width": width, "dash": "dash"},
                name=t("partners.legend.suggestion", lang),
                legendgroup="suggestion",
                showlegend=first,
                hoverinfo="skip",
            )
            fig.add_scatter(
                x=[mid_x],
                y=[mid_y],
                mode="markers",
                marker={"size": 14, "color": "rgba(0,0,0,0)"},
                hovertext=[getattr(row, "reason", "")],
                hovertemplate="%{hovertext}<extra></extra>",
                showlegend=False,
                legendgroup="suggestion",
                name="",
            )
            first = False
    fig.add_scatter(
        x=nodes["lon"],
        y=nodes["lat"],
        mode="markers+text",
        text=[short_name(n) for n in nodes["name"]],
        hovertext=nodes["name"],
        textposition="top center",
        textfont={"size": 11},
        marker={"size": 9, "color": AHEAD, "line": {"color": "#FFFFFF", "width": 1}},
        customdata=nodes["territory_id"].astype(str).to_numpy(),
        hovertemplate="%{hovertext}<extra></extra>",
        name=t("partners.legend.territory", lang),
    )
    lat0 = float(np.nanmean(nodes["lat"])) if len(nodes) else 55.0
    # a map drawn on x/y: the deck keeps it a picture, not a native chart
    fig.update_layout(plot_bgcolor="#FFFFFF", meta={"native": False})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(
        visible=False,
        scaleanchor="x",
        scaleratio=1 / max(math.cos(math.radians(lat0)), 0.2),
    )
    return finish_layout(fig, title, footer, height=height)
