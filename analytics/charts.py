"""Figure builders: a tidy DataFrame in, a plotly Figure out.

No statistics happen here — the numbers come from :mod:`analytics.indices`,
:mod:`analytics.convergence`, :mod:`analytics.gaps` and friends, via
:mod:`analytics.views`. These functions only draw, in one visual language:

* Okabe–Ito colours for categories (core / ring / periphery, clusters,
  management models): distinguishable with every common colour-vision
  deficiency.
* A diverging red–blue scale for "behind vs ahead", always direction-aware:
  red means *behind*, whether the indicator is better high or low.
* Fonts that chromium has on Debian (DejaVu Sans, Liberation Sans), so that
  Cyrillic renders the same in the browser and in exported images.
* Every figure carries its source line (unit, year, source, weighting) at the
  bottom, so a downloaded PNG is never without it.

>>> import pandas as pd
>>> fig = ranking_bars(pd.DataFrame({"name": ["A", "B"], "value": [1.0, 2.0],
...                                  "role": ["core", "ring"]}),
...                    title="T", footer="F", unit="u", median=1.5, lang="en")
>>> [trace.name for trace in fig.data]
['core', 'ring']
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from analytics.escape import html as html_text
from analytics.formatting import d3_format, fmt_number, localize_figure, plain_text
from analytics.i18n import t

FONT = "DejaVu Sans, Liberation Sans, Arial, sans-serif"
OKABE_ITO = [
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#000000",
]
ROLE_COLOURS = {
    "core": "#0072B2",
    "ring": "#E69F00",
    "periphery": "#009E73",
    "": "#999999",
}
#: Cells and areas without data: mid grey, never the white of z ≈ 0.
NO_DATA = "#BDBDBD"
BEHIND = "#B2182B"
AHEAD = "#2166AC"
DIVERGING = [
    [0.0, "#B2182B"],
    [0.25, "#EF8A62"],
    [0.5, "#F7F7F7"],
    [0.75, "#67A9CF"],
    [1.0, "#2166AC"],
]


# plotly_white's layout only: its per-trace defaults (colour scales of every
# trace type, table styles) are never used here, and resolving the full
# template on every figure cost 20-40 ms per chart, which the app pays on
# every widget change. Built once, shared by every figure.
TEMPLATE = go.layout.Template(layout=pio.templates["plotly_white"].layout)


def _set_template(fig: go.Figure) -> None:
    """Give ``fig`` the shared template without validating it again.

    Assigning a template validates every property of it (4-5 ms a figure);
    TEMPLATE was validated when it was built. This is what plotly itself does
    when it applies ``pio.templates.default`` to a new figure.
    """
    layout = fig.layout
    validate = layout._validate
    layout._validate = False
    try:
        layout.template = TEMPLATE
    finally:
        layout._validate = validate


def wrap(text: str, width: int = 60) -> str:
    """Break a long title into lines of at most ``width`` characters (plotly
    titles do not wrap by themselves).

    >>> wrap("Индексы неравенства: расходы местного бюджета на жителя, 2023", 30)
    'Индексы неравенства: расходы<br>местного бюджета на жителя,<br>2023'
    """
    lines: list[str] = []
    # titles and footers carry names from files (sources, free indicator
    # names): plotly renders a subset of HTML, so they are escaped
    for word in html_text(text).split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)


def _assign(target, props: dict, update) -> None:
    """Set ``props`` on a layout object by plain assignment where it has no
    value yet; ``update(props)`` (plotly's merge) where it has one.

    plotly's update machinery (dotted paths, change tracking) costs 2-10 ms a
    call, which every chart pays several times on every widget change; an
    assignment costs a fraction of a millisecond and gives the same figure.
    """
    for key, value in props.items():
        current = target[key]
        if hasattr(current, "to_plotly_json"):
            unset = not current.to_plotly_json()
        else:
            unset = current is None
        if unset:
            target[key] = value
        else:
            update({key: value})


def _set_layout(fig: go.Figure, **props) -> None:
    """``fig.update_layout(**props)``, through :func:`_assign`."""
    _assign(fig.layout, props, fig.update_layout)


def _axis(fig: go.Figure, axis: str, **props) -> None:
    """``fig.update_xaxes(**props)`` (``axis="x"``) or ``update_yaxes`` for
    the figure's one axis, through :func:`_assign`."""
    update = fig.update_xaxes if axis == "x" else fig.update_yaxes
    _assign(fig.layout[f"{axis}axis"], props, update)


def _vline(
    fig: go.Figure, x: float, *, dash: str | None = None, text: str = ""
) -> None:
    """A vertical line across the plot (with a label on top): what
    ``add_vline`` draws, without its 8 ms of axis-spanning machinery."""
    line = {"color": "#333"} | ({"dash": dash} if dash else {})
    shape = {
        "type": "line", "x0": x, "x1": x, "xref": "x",
        "y0": 0, "y1": 1, "yref": "y domain", "line": line,
    }  # fmt: skip
    fig.layout["shapes"] = (*fig.layout.shapes, shape)
    if text:
        note = {
            "showarrow": False, "text": text, "x": x, "xanchor": "center",
            "xref": "x", "y": 1, "yanchor": "bottom", "yref": "y domain",
        }  # fmt: skip
        fig.layout["annotations"] = (*fig.layout.annotations, note)


def _layout(
    fig: go.Figure,
    title: str,
    footer: str,
    *,
    height: int = 520,
    bottom: int = 0,
    lang: str = "ru",
) -> go.Figure:
    # Legend above the plot, footer in the bottom margin at a fixed pixel
    # offset below the plot area, so neither depends on the figure's height
    # nor collides with the x axis title. ``bottom``: pixels that x tick
    # labels need beyond one horizontal line (the figure grows by as much).
    lines = wrap(footer, 80).count("<br>") + 1 if footer else 0
    title_lines = wrap(title, 80).count("<br>") + 1
    _set_template(fig)
    _set_layout(
        fig,
        font={"family": FONT, "size": 14},
        title={
            "text": wrap(title, 80),
            "x": 0.01,
            "xanchor": "left",
            "y": 0.99,
            "yanchor": "top",
            "yref": "container",
            "font": {"size": 18},
            # plotly centres a multi-line title on the anchor line whatever
            # ``yanchor`` says: the first lines went off the image. Push it
            # down by half a line (~12 px at 18 px) per extra line.
            "pad": {"t": 12 * (title_lines - 1)},
        },
        margin={
            "l": 10,
            "r": 20,
            "t": 50 + 24 * title_lines,
            "b": 70 + 16 * lines + bottom,
        },
        height=height + bottom,
        legend={"orientation": "h", "y": 1.04, "yanchor": "bottom", "x": 0},
        hoverlabel={"font": {"family": FONT}},
    )
    if footer:
        fig.add_annotation(
            name="footer",  # export drops it on a slide, which has its own
            text=wrap(footer, 80),
            xref="paper",
            yref="paper",
            x=0,
            y=0,
            yshift=-62 - bottom,
            xanchor="left",
            yanchor="top",
            align="left",
            showarrow=False,
            font={"size": 11, "color": "#555"},
        )
    localize_figure(fig, lang)
    return fig


def finish_layout(
    fig: go.Figure,
    title: str,
    footer: str,
    *,
    height: int = 520,
    bottom: int = 0,
    lang: str = "ru",
) -> go.Figure:
    """The project's layout on any figure (template, fonts, title at the top
    left, legend above the plot, ``footer`` in the bottom margin, numbers in
    ``lang``): what every chart builder ends with, public for figures built
    elsewhere (the maps)."""
    return _layout(fig, title, footer, height=height, bottom=bottom, lang=lang)


def _role_label(role: str, lang: str) -> str:
    return (
        t(f"role.{role}", lang) if role in ("core", "ring", "periphery", "") else role
    )


def territory_ids(part: pd.DataFrame) -> np.ndarray | None:
    """Territory ids of the rows (a ``territory_id`` column or index), carried
    as ``customdata`` so that the app can open a clicked territory's profile."""
    if "territory_id" in part.columns:
        return part["territory_id"].astype(str).to_numpy()
    if part.index.name == "territory_id":
        return part.index.astype(str).to_numpy()
    return None


def ranking_bars(
    df: pd.DataFrame,
    *,
    title: str,
    footer: str,
    unit: str,
    median: float | None = None,
    lang: str = "ru",
    name: str = "name",
    value: str = "value",
    role: str = "role",
) -> go.Figure:
    """Horizontal bars of territories, best on top, coloured by role, with the
    agglomeration median as a dashed line. ``df`` must already be sorted."""
    fig = go.Figure()
    order = df[name].tolist()
    fmt = d3_format(df[value].to_numpy())
    for role_id in [r for r in ("core", "ring", "periphery", "") if r in set(df[role])]:
        part = df[df[role] == role_id]
        fig.add_bar(
            y=part[name],
            x=part[value],
            orientation="h",
            name=_role_label(role_id, lang),
            marker_color=ROLE_COLOURS.get(role_id, "#999"),
            customdata=territory_ids(part),
            hovertemplate="%{y}: %{x:" + fmt + "} " + unit + "<extra></extra>",
        )
    if median is not None and not math.isnan(median):
        _vline(
            fig,
            median,
            dash="dash",
            text=f"{t('label.median', lang)}: {fmt_number(median, lang)}",
        )
    _axis(fig, "y", categoryorder="array", categoryarray=order[::-1], title=None)
    _axis(fig, "x", title=unit)
    height = max(380, 26 * len(df) + 180)
    return _layout(fig, title, footer, height=height, lang=lang)


def gap_bars(
    df: pd.DataFrame,
    *,
    title: str,
    footer: str,
    unit: str,
    lang: str = "ru",
    name: str = "name",
    gap: str = "gap",
) -> go.Figure:
    """Shortfall to a benchmark per territory: red bars = behind (positive
    shortfall), blue = ahead; in the indicator's unit."""
    data = df.sort_values(gap, ascending=True, kind="stable")
    colours = np.where(data[gap] > 0, BEHIND, AHEAD)
    fig = go.Figure(
        go.Bar(
            y=data[name],
            x=data[gap],
            orientation="h",
            marker_color=colours,
            customdata=territory_ids(data),
            hovertemplate="%{y}: %{x:"
            + d3_format(data[gap].to_numpy())
            + "} "
            + unit
            + "<extra></extra>",
            showlegend=False,
        )
    )
    _vline(fig, 0)
    _axis(
        fig, "y", categoryorder="array", categoryarray=data[name].tolist(), title=None
    )
    _axis(fig, "x", title=t("axis.shortfall", lang, unit=unit))
    return _layout(
        fig, title, footer, height=max(380, 26 * len(data) + 180), lang=lang
    )


def role_lines(
    df: pd.DataFrame,
    *,
    title: str,
    footer: str,
    unit: str,
    lang: str = "ru",
    x: str = "year",
    y: str = "value",
    role: str = "role",
) -> go.Figure:
    """Population-weighted mean of core, ring and periphery over the years."""
    fig = go.Figure()
    for role_id in [r for r in ("core", "ring", "periphery") if r in set(df[role])]:
        part = df[df[role] == role_id].sort_values(x)
        fig.add_scatter(
            x=part[x],
            y=part[y],
            mode="lines+markers",
            name=_role_label(role_id, lang),
            line={"color": ROLE_COLOURS[role_id], "width": 3},
            hovertemplate="%{x}: %{y:"
            + d3_format(df[y].to_numpy())
            + "} "
            + unit
            + "<extra>%{fullData.name}</extra>",
        )
    _axis(fig, "y", title=unit, rangemode="tozero")
    _axis(fig, "x", title=t("label.year", lang), dtick=1)
    return _layout(fig, title, footer, lang=lang)


def heatmap(
    z: pd.DataFrame,
    *,
    title: str,
    footer: str,
    text: pd.DataFrame | None = None,
    lang: str = "ru",
) -> go.Figure:
    """Territories × indicators coloured by direction-aware z-score (red =
    behind the agglomeration, blue = ahead); hover shows the value.

    Column labels go under the plot, wrapped and slanted as crowding needs
    (:func:`_category_ticks` measures the room they take), never over the
    title. Missing cells are grey with a dash, and the legend says so: a white
    cell would read as z ≈ 0.
    """
    values = z.to_numpy(dtype=float)
    finite = values[np.isfinite(values)]
    limit = float(np.abs(finite).max()) if finite.size else 1.0
    limit = max(limit, 1.0)
    columns = [plain_text(c) for c in z.columns]
    rows = [plain_text(r) for r in z.index]
    if text is not None:
        hover = text.astype(object).where(text.notna(), "—").astype(str)
    else:
        hover = z.map(lambda v: fmt_number(v, lang, digits=2))
    missing = ~np.isfinite(values)
    fig = go.Figure()
    if missing.any():
        fig.add_heatmap(
            z=np.where(missing, 1.0, np.nan),
            x=columns,
            y=rows,
            colorscale=[[0, NO_DATA], [1, NO_DATA]],
            showscale=False,
            text=np.where(missing, "—", ""),
            texttemplate="%{text}",
            textfont={"color": "#555", "size": 14},
            hovertemplate="%{y}<br>%{x}<br>"
            + t("geo.no_data", lang)
            + "<extra></extra>",
            xgap=1,
            ygap=1,
        )
        # a legend entry for the grey cells (heatmaps have none of their own)
        fig.add_scatter(
            x=[None],
            y=[None],
            mode="markers",
            marker={"symbol": "square", "size": 14, "color": NO_DATA},
            name=t("geo.no_data", lang),
            showlegend=True,
        )
    fig.add_heatmap(
        z=values,
        x=columns,
        y=rows,
        zmin=-limit,
        zmax=limit,
        colorscale=DIVERGING,
        customdata=hover.to_numpy(),
        hovertemplate="%{y}<br>%{x}<br>%{customdata}<br>z = %{z:.2f}"
        "<extra></extra>",
        colorbar={"title": {"text": "z"}},
        xgap=1,
        ygap=1,
    )
    _axis(fig, "y", autorange="reversed", title=None)
    bottom = _category_ticks(fig, columns, width=40)
    _axis(fig, "x", side="bottom", showgrid=False)
    _axis(fig, "y", showgrid=False)
    return _layout(
        fig, title, footer, height=max(420, 26 * len(z) + 200), bottom=bottom,
        lang=lang,
    )


def lorenz(
    curves: dict[str, pd.DataFrame],
    *,
    title: str,
    footer: str,
    lang: str = "ru",
) -> go.Figure:
    """Lorenz curves: cumulative population share vs cumulative value share."""
    fig = go.Figure()
    fig.add_scatter(
        x=[0, 1],
        y=[0, 1],
        mode="lines",
        line={"color": "#999", "dash": "dot"},
        name="равенство" if lang == "ru" else "equality",
    )
    for i, (label, curve) in enumerate(curves.items()):
        fig.add_scatter(
            x=curve["population_share"],
            y=curve["value_share"],
            mode="lines+markers",
            name=label,
            line={"color": OKABE_ITO[i % len(OKABE_ITO)], "width": 3},
            customdata=curve[["name"]].to_numpy() if "name" in curve else None,
            hovertemplate="%{customdata[0]}<br>%{x:.1%} → %{y:.1%}<extra></extra>"
            if "name" in curve
            else "%{x:.1%} → %{y:.1%}<extra></extra>",
        )
    axis_x = "доля населения" if lang == "ru" else "population share"
    axis_y = "доля показателя" if lang == "ru" else "share of the indicator"
    _axis(fig, "x", title=axis_x, tickformat=".0%", range=[0, 1], constrain="domain")
    _axis(fig, "y", title=axis_y, tickformat=".0%", range=[0, 1], scaleanchor="x")
    return _layout(fig, title, footer, height=560, lang=lang)


def estimates_with_ci(
    df: pd.DataFrame,
    *,
    title: str,
    footer: str,
    label: str = "label",
    estimate: str = "estimate",
    low: str = "low",
    high: str = "high",
    colour: str | None = None,
    lang: str = "ru",
) -> go.Figure:
    """Point estimates with confidence intervals as horizontal error bars."""
    colours = (
        [OKABE_ITO[i % len(OKABE_ITO)] for i in pd.factorize(df[colour])[0]]
        if colour
        else OKABE_ITO[0]
    )
    fig = go.Figure(
        go.Scatter(
            x=df[estimate],
            y=df[label],
            mode="markers",
            marker={"size": 12, "color": colours},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": (df[high] - df[estimate]).to_numpy(),
                "arrayminus": (df[estimate] - df[low]).to_numpy(),
                "thickness": 2,
            },
            hovertemplate="%{y}: %{x:"
            + d3_format(df[estimate].to_numpy())
            + "}<extra></extra>",
            showlegend=False,
        )
    )
    _axis(fig, "y", autorange="reversed", title=None)
    return _layout(
        fig, title, footer, height=max(380, 40 * len(df) + 180), lang=lang
    )


def stacked_shares(
    df: pd.DataFrame,
    *,
    title: str,
    footer: str,
    x: str,
    parts: dict[str, str],
    y_title: str,
    lang: str = "ru",
) -> go.Figure:
    """Stacked bars (e.g. between- and within-group Theil per year)."""
    fig = go.Figure()
    for i, (column, label) in enumerate(parts.items()):
        fig.add_bar(
            x=df[x],
            y=df[column],
            name=label,
            marker_color=OKABE_ITO[i],
            hovertemplate="%{x}: %{y:.4f}<extra>" + label + "</extra>",
        )
    fig.update_layout(barmode="stack")
    _axis(fig, "y", title=y_title)
    _axis(fig, "x", dtick=1, title=None)
    return _layout(fig, title, footer, lang=lang)


def trend_line(
    df: pd.DataFrame,
    *,
    title: str,
    footer: str,
    x: str,
    y: str,
    y_title: str,
    fit: pd.DataFrame | None = None,
    fit_label: str = "",
    lang: str = "ru",
) -> go.Figure:
    """A measure over the years with its fitted linear trend."""
    fig = go.Figure()
    fig.add_scatter(
        x=df[x],
        y=df[y],
        mode="lines+markers",
        name=y_title,
        line={"color": OKABE_ITO[0], "width": 3},
        hovertemplate="%{x}: %{y:.4f}<extra></extra>",
    )
    if fit is not None:
        fig.add_scatter(
            x=fit[x],
            y=fit[y],
            mode="lines",
            name=fit_label,
            line={"color": OKABE_ITO[5], "dash": "dash"},
        )
    _axis(fig, "x", dtick=1, title=None)
    _axis(fig, "y", title=y_title)
    return _layout(fig, title, footer, lang=lang)


def beta_scatter(
    df: pd.DataFrame,
    *,
    title: str,
    footer: str,
    x_title: str,
    y_title: str,
    fit: pd.DataFrame,
    lang: str = "ru",
) -> go.Figure:
    """Annual growth against the initial log level, one point per territory,
    sized by population, with the regression line."""
    fig = go.Figure()
    roles = df["role"] if "role" in df else pd.Series("", index=df.index)
    for role_id in [r for r in ("core", "ring", "periphery", "") if r in set(roles)]:
        part = df[roles == role_id]
        size = part.get("population")
        fig.add_scatter(
            x=part["x"],
            y=part["y"],
            mode="markers",
            name=_role_label(role_id, lang),
            marker={
                "color": ROLE_COLOURS.get(role_id, "#999"),
                "size": None
                if size is None
                else np.clip(np.sqrt(size.fillna(0) / 1000.0) * 2, 6, 40),
                "line": {"width": 1, "color": "white"},
            },
            text=part["name"],
            hovertemplate="%{text}<br>%{x:.3f} → %{y:.2%}<extra></extra>",
        )
    fig.add_scatter(
        x=fit["x"],
        y=fit["y"],
        mode="lines",
        name="β",
        line={"color": "#333", "dash": "dash"},
    )
    _axis(fig, "x", title=x_title)
    _axis(fig, "y", title=y_title, tickformat=".1%")
    return _layout(fig, title, footer, lang=lang)


def slope_chart(
    df: pd.DataFrame,
    *,
    title: str,
    footer: str,
    start: int,
    end: int,
    lang: str = "ru",
) -> go.Figure:
    """Rank of each territory in two years joined by a line (1 = best);
    upward moves blue, downward red.

    Names are the tick labels of two rank axes, the start year's order on the
    left and the end year's on the right, so every name is written in full at
    both ends (plotly makes room for tick labels; text beside a marker was
    cut off at the plot's edge)."""
    fig = go.Figure()
    for _, row in df.iterrows():
        moved = row["rank_start"] - row["rank_end"]
        colour = AHEAD if moved > 0 else BEHIND if moved < 0 else "#999"
        fig.add_scatter(
            x=[0, 1],
            y=[row["rank_start"], row["rank_end"]],
            mode="lines+markers",
            line={"color": colour, "width": 2},
            hovertemplate=f"{row['name']}: %{{y}}<extra></extra>",
            showlegend=False,
        )
    # an invisible trace on the right axis, so that plotly draws it
    fig.add_scatter(
        x=[1] * len(df),
        y=df["rank_end"],
        yaxis="y2",
        mode="markers",
        marker={"opacity": 0},
        hoverinfo="skip",
        showlegend=False,
    )
    n = len(df)
    rank_range = [n + 0.5, 0.5]

    def ticks(column: str) -> dict:
        part = df.sort_values(column)
        return {
            "tickmode": "array",
            "tickvals": part[column].tolist(),
            "ticktext": [
                f"{name} · {rank:g}"
                for name, rank in zip(part["name"], part[column], strict=True)
            ],
            "range": rank_range,
            "automargin": True,
            "showgrid": False,
        }

    _axis(fig, "y", title=None, **ticks("rank_start"))
    fig.layout["yaxis2"] = {
        "overlaying": "y",
        "side": "right",
        **ticks("rank_end"),
    }
    fig.layout["yaxis2"]["ticktext"] = [
        f"{rank:g} · {name}"
        for name, rank in zip(
            df.sort_values("rank_end")["name"],
            df.sort_values("rank_end")["rank_end"],
            strict=True,
        )
    ]
    _axis(
        fig,
        "x",
        title=None,
        tickmode="array",
        tickvals=[0, 1],
        ticktext=[str(start), str(end)],
        range=[-0.05, 1.05],
        side="top",
        showgrid=False,
    )
    return _layout(fig, title, footer, height=max(420, 24 * n + 200), lang=lang)


def grouped_bars(
    df: pd.DataFrame,
    *,
    title: str,
    footer: str,
    x: str,
    y: str,
    colour: str,
    y_title: str,
    colours: dict[str, str] | None = None,
    lang: str = "ru",
) -> go.Figure:
    """Bars of ``y`` per ``x``, one series per ``colour`` value."""
    fig = go.Figure()
    for i, key in enumerate(pd.unique(df[colour])):
        part = df[df[colour] == key]
        fig.add_bar(
            x=part[x],
            y=part[y],
            name=str(key),
            marker_color=(colours or {}).get(key, OKABE_ITO[i % len(OKABE_ITO)]),
            hovertemplate="%{x}: %{y:"
            + d3_format(df[y].to_numpy())
            + "}<extra>"
            + str(key)
            + "</extra>",
        )
    fig.update_layout(barmode="group")
    _axis(fig, "y", title=y_title)
    labels = [str(v) for v in pd.unique(df[x])]
    bottom = _category_ticks(fig, labels)
    return _layout(fig, title, footer, bottom=bottom, lang=lang)


#: Tick labels at 14 px: about 7.7 px a character, 17 px a line.
_CHAR_PX, _LINE_PX = 7.7, 17


def _category_ticks(fig: go.Figure, labels: list[str], width: int = 30) -> int:
    """Wrap long category labels of the x axis (at ``width`` characters) and
    slant them when they would not fit side by side; returns the pixels they
    need below the plot beyond one horizontal line, so that the footer goes
    under them instead of over them (plotly's automargin moves the plot, not
    the annotations)."""
    wrapped = [wrap(label, width) for label in labels]
    widest = max((len(p) for w in wrapped for p in w.split("<br>")), default=0)
    lines = max((w.count("<br>") + 1 for w in wrapped), default=1)
    crowd = widest * len(labels)  # characters side by side; a plot fits ~90
    angle = 0 if crowd <= 90 else 35 if crowd <= 320 else 55
    _axis(
        fig,
        "x",
        title=None,
        tickmode="array",
        tickvals=labels,
        ticktext=wrapped,
        tickangle=-angle,
        automargin=True,
    )
    sin, cos = math.sin(math.radians(angle)), math.cos(math.radians(angle))
    extent = widest * _CHAR_PX * sin + lines * _LINE_PX * cos
    return max(0, int(math.ceil(extent - _LINE_PX)))


def scatter_points(
    df: pd.DataFrame,
    *,
    title: str,
    footer: str,
    x: str,
    y: str,
    colour: str,
    x_title: str,
    y_title: str,
    text: str = "name",
    geo: bool = False,
    colour_index: str = "cluster",
    lang: str = "ru",
) -> go.Figure:
    """Points coloured by category: a PCA plane, or a map of territory centres
    (``geo=True``: longitude/latitude axes, no tiles fetched from anywhere).
    A boolean ``highlight`` column draws those points as outlined diamonds
    (the selected agglomeration's territories).

    Where ``df`` has an integer ``colour_index`` column (a typology's
    cluster number), the colour of a category is ``OKABE_ITO[index]`` and the
    legend follows that order, so that one type has one colour in every chart
    whichever types a chart happens to show."""
    fig = go.Figure()
    keys = list(pd.unique(df[colour]))
    palette = {key: OKABE_ITO[i % len(OKABE_ITO)] for i, key in enumerate(keys)}
    if colour_index in df.columns:
        first = df.groupby(colour, sort=False)[colour_index].first()
        keys = sorted(keys, key=lambda k: int(first[k]))
        palette = {k: OKABE_ITO[int(first[k]) % len(OKABE_ITO)] for k in keys}
    for key in keys:
        part = df[df[colour] == key]
        fig.add_scatter(
            x=part[x],
            y=part[y],
            mode="markers",
            name=str(key),
            marker={
                "size": np.where(part["highlight"], 15, 10)
                if "highlight" in part
                else 11,
                "color": palette[key],
                "line": {
                    "width": np.where(part["highlight"], 2.5, 1)
                    if "highlight" in part
                    else 1,
                    "color": np.where(part["highlight"], "#000000", "#ffffff")
                    if "highlight" in part
                    else "white",
                },
                "symbol": np.where(part["highlight"], "diamond", "circle")
                if "highlight" in part
                else "circle",
            },
            text=part[text],
            customdata=territory_ids(part),
            hovertemplate="%{text}<extra>" + str(key) + "</extra>",
        )
    _axis(fig, "x", title=x_title)
    _axis(fig, "y", title=y_title)
    if geo:
        _axis(
            fig,
            "y",
            scaleanchor="x",
            scaleratio=1 / max(math.cos(math.radians(float(df[y].mean() or 55))), 0.2),
        )
    return _layout(fig, title, footer, height=560, lang=lang)


def series_lines(
    df: pd.DataFrame,
    *,
    title: str,
    footer: str,
    unit: str,
    lang: str = "ru",
    x: str = "year",
    y: str = "value",
    series: str = "series",
) -> go.Figure:
    """A few named series over the years (a territory, the median, the core)."""
    fig = go.Figure()
    for i, key in enumerate(pd.unique(df[series])):
        part = df[df[series] == key].sort_values(x)
        fig.add_scatter(
            x=part[x],
            y=part[y],
            mode="lines+markers",
            name=str(key),
            line={
                "color": OKABE_ITO[i % len(OKABE_ITO)],
                "width": 3 if i == 0 else 2,
                "dash": "solid" if i == 0 else "dash",
            },
            hovertemplate="%{x}: %{y:"
            + d3_format(df[y].to_numpy())
            + "} "
            + unit
            + "<extra>%{fullData.name}</extra>",
        )
    _axis(fig, "x", dtick=1, title=t("label.year", lang))
    _axis(fig, "y", title=unit)
    return _layout(fig, title, footer, lang=lang)
