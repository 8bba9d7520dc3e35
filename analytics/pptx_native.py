"""Charts of a deck as native PowerPoint charts, which carry their numbers.

An analyst who gets the deck can restyle a native chart, correct a label or
open its data in Excel; a picture allows none of that. The figure builders'
bars, lines and scatters translate one to one into PowerPoint's bar, line and
XY charts: :func:`native_spec` reads them off the plotly figure (the numbers
are the figure's own, so the slide and the app cannot disagree) and
:func:`add_native_chart` draws them. Heatmaps, maps, slope charts (two rank
axes), confidence intervals (error bars) and anything else return ``None``
and stay pictures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import plotly.graph_objects as go

from analytics.formatting import excel_format, plain_text, series_decimals

_BAR, _LINE, _XY = "bar", "line", "xy"


@dataclass
class Series:
    name: str
    values: list  # per category (bar/line) or y (xy)
    x: list = field(default_factory=list)  # xy only
    colour: str | None = None
    colours: list | None = None  # one per point
    lines: bool = False
    dash: bool = False


@dataclass
class NativeSpec:
    kind: str  # "bar" | "line" | "xy"
    categories: list
    series: list[Series]
    horizontal: bool = False
    stacked: bool = False
    x_title: str = ""
    y_title: str = ""
    number_format: str = "#,##0"


def _title(axis) -> str:
    title = axis.title.text if axis is not None and axis.title else None
    return plain_text(title or "")


def _colour(marker) -> tuple[str | None, list | None]:
    colour = getattr(marker, "color", None) if marker is not None else None
    if isinstance(colour, dict):
        colour = _values(colour)
    if isinstance(colour, str):
        return colour, None
    if colour is not None and len(colour) and all(isinstance(c, str) for c in colour):
        return None, list(colour)
    return None, None


def _values(values) -> list:
    """A trace's x or y as a list, also when plotly keeps it as a typed array
    (``{"dtype": "f8", "bdata": "..."}``, how figures built from numpy arrays
    come back from a dict)."""
    if values is None:
        return []
    if isinstance(values, dict) and "bdata" in values:
        import base64

        array = np.frombuffer(
            base64.b64decode(values["bdata"]), dtype=np.dtype(values["dtype"])
        )
        if "shape" in values:
            shape = values["shape"]
            dims = [int(d) for d in str(shape).split(",")] if shape else [-1]
            array = array.reshape(dims)
        return array.tolist()
    return list(values)


def _useful(trace) -> bool:
    if not hasattr(trace, "x"):  # geo traces (a map's anchor, legend keys)
        return False
    xs, ys = _values(trace.x), _values(trace.y)
    return any(v is not None for v in xs) or any(v is not None for v in ys)


def native_spec(fig: go.Figure) -> NativeSpec | None:
    """What a native chart of ``fig`` would hold, or ``None`` when the
    figure is not a plain bar, line or scatter chart."""
    layout = fig.layout
    if isinstance(layout.meta, dict) and layout.meta.get("native") is False:
        return None  # the figure asks to stay a picture (a network drawn on x/y)
    traces = [tr for tr in fig.data if _useful(tr)]
    names = set(layout.to_plotly_json())
    if not traces or "yaxis2" in names or "geo" in names:
        return None  # two rank axes (slope chart), maps
    kinds = {tr.type for tr in traces}
    if not kinds <= {"bar", "scatter"} or len(kinds) != 1:
        return None
    for tr in traces:
        error = getattr(tr, "error_x", None)
        if error is not None and error.array is not None:
            return None
    if kinds == {"bar"}:
        return _bars(fig, traces)
    return _scatters(fig, traces)


def _bars(fig: go.Figure, traces: list) -> NativeSpec:
    layout = fig.layout
    horizontal = all(tr.orientation == "h" for tr in traces)
    cat_axis = layout.yaxis if horizontal else layout.xaxis
    order = list(cat_axis.categoryarray) if cat_axis.categoryarray else []
    seen = list(order)
    for tr in traces:
        for c in _values(tr.y if horizontal else tr.x):
            if c not in seen:
                seen.append(c)
    categories = [str(c) for c in seen]
    index = {str(c): i for i, c in enumerate(seen)}
    series = []
    filled = np.zeros(len(categories), dtype=int)
    all_values: list[float] = []
    for tr in traces:
        cats = _values(tr.y if horizontal else tr.x)
        vals = _values(tr.x if horizontal else tr.y)
        values: list = [None] * len(categories)
        colour, colours = _colour(tr.marker)
        per_point: list | None = [None] * len(categories) if colours else None
        for k, (c, v) in enumerate(zip(cats, vals, strict=True)):
            if v is None or (isinstance(v, float) and math.isnan(v)):
                continue
            i = index[str(c)]
            values[i] = float(v)
            filled[i] += 1
            all_values.append(float(v))
            if per_point is not None:
                per_point[i] = colours[k]
        series.append(
            Series(plain_text(tr.name or ""), values, colour=colour, colours=per_point)
        )
    # series that never share a category (territories split by role): stack
    # them, so that each bar has the full width instead of a slot per series
    stacked = layout.barmode in ("stack", "relative") or bool((filled <= 1).all())
    value_axis = layout.xaxis if horizontal else layout.yaxis
    if not horizontal and max((len(c) for c in categories), default=0) > 14:
        # long names under columns squeeze the plot: lay the bars down, the
        # first category on top as in the figure
        return NativeSpec(
            kind=_BAR,
            categories=categories[::-1],
            series=[
                Series(
                    s.name,
                    s.values[::-1],
                    colour=s.colour,
                    colours=None if s.colours is None else s.colours[::-1],
                )
                for s in series
            ],
            horizontal=True,
            stacked=stacked,
            x_title=_title(value_axis),
            number_format=excel_format(series_decimals(all_values)),
        )
    return NativeSpec(
        kind=_BAR,
        categories=categories,
        series=series,
        horizontal=horizontal,
        stacked=stacked,
        x_title=_title(value_axis) if horizontal else _title(cat_axis),
        y_title=_title(cat_axis) if horizontal else _title(value_axis),
        number_format=excel_format(series_decimals(all_values)),
    )


def _is_year_like(values: list) -> bool:
    found = [v for v in values if v is not None]
    return bool(found) and all(
        isinstance(v, int | np.integer) or (isinstance(v, str) and v.isdigit())
        for v in found
    )


def _scatters(fig: go.Figure, traces: list) -> NativeSpec:
    layout = fig.layout
    xs = [_values(tr.x) for tr in traces]
    ys = [_values(tr.y) for tr in traces]
    lines = all("lines" in (tr.mode or "lines") for tr in traces)
    all_y = [float(v) for y in ys for v in y if v is not None]
    fmt = excel_format(series_decimals(all_y))
    if lines and all(_is_year_like(x) for x in xs):
        categories = sorted({int(v) for x in xs for v in x if v is not None})
        series = []
        for tr, x, y in zip(traces, xs, ys, strict=True):
            by_x = {
                int(a): (None if b is None else float(b))
                for a, b in zip(x, y, strict=True)
                if a is not None
            }
            colour = tr.line.color if tr.line is not None else None
            dashed = tr.line is not None and tr.line.dash not in (None, "solid")
            series.append(
                Series(
                    plain_text(tr.name or ""),
                    [by_x.get(c) for c in categories],
                    colour=colour if isinstance(colour, str) else None,
                    lines=True,
                    dash=bool(dashed),
                )
            )
        return NativeSpec(
            kind=_LINE,
            categories=[str(c) for c in categories],
            series=series,
            x_title=_title(layout.xaxis),
            y_title=_title(layout.yaxis),
            number_format=fmt,
        )
    series = []
    for tr, x, y in zip(traces, xs, ys, strict=True):
        pairs = [
            (float(a), float(b))
            for a, b in zip(x, y, strict=True)
            if a is not None and b is not None
        ]
        if not pairs:
            continue
        marker_colour, _ = _colour(tr.marker)
        line_colour = tr.line.color if tr.line is not None else None
        has_lines = "lines" in (tr.mode or "")
        colour = line_colour if has_lines and isinstance(line_colour, str) else None
        series.append(
            Series(
                plain_text(tr.name or ""),
                [b for _, b in pairs],
                x=[a for a, _ in pairs],
                colour=colour or marker_colour,
                lines=has_lines,
                dash=bool(has_lines and tr.line.dash not in (None, "solid")),
            )
        )
    return NativeSpec(
        kind=_XY,
        categories=[],
        series=series,
        x_title=_title(layout.xaxis),
        y_title=_title(layout.yaxis),
        number_format=fmt,
    )


def _rgb(colour: str | None):
    from pptx.dml.color import RGBColor

    if not colour or not colour.startswith("#") or len(colour) != 7:
        return None
    return RGBColor.from_string(colour[1:].upper())


def add_native_chart(slide, spec: NativeSpec, box, *, font: str = "Arial"):
    """Draw ``spec`` on ``slide`` in ``box`` (inches; ``left``, ``top``,
    ``width``, ``height``); returns the chart's graphic frame."""
    from pptx.chart.data import CategoryChartData, XyChartData
    from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
    from pptx.enum.dml import MSO_LINE_DASH_STYLE
    from pptx.util import Inches, Pt

    if spec.kind == _XY:
        data = XyChartData()
        for s in spec.series:
            points = data.add_series(s.name)
            for x, y in zip(s.x, s.values, strict=True):
                points.add_data_point(x, y)
        any_lines = any(s.lines for s in spec.series)
        kind = XL_CHART_TYPE.XY_SCATTER_LINES if any_lines else XL_CHART_TYPE.XY_SCATTER
    else:
        data = CategoryChartData(number_format=spec.number_format)
        data.categories = spec.categories
        for s in spec.series:
            data.add_series(s.name, s.values)
        if spec.kind == _LINE:
            kind = XL_CHART_TYPE.LINE_MARKERS
        elif spec.horizontal:
            kind = XL_CHART_TYPE.BAR_CLUSTERED
            if spec.stacked:
                kind = XL_CHART_TYPE.BAR_STACKED
        else:
            kind = (
                XL_CHART_TYPE.COLUMN_STACKED
                if spec.stacked
                else XL_CHART_TYPE.COLUMN_CLUSTERED
            )
    frame = slide.shapes.add_chart(
        kind,
        Inches(box.left),
        Inches(box.top),
        Inches(box.width),
        Inches(box.height),
        data,
    )
    chart = frame.chart
    chart.font.size = Pt(12)
    chart.font.name = font
    named = [s for s in spec.series if s.name]
    chart.has_legend = len(named) > 1
    if chart.has_legend:
        chart.legend.position = XL_LEGEND_POSITION.TOP
        chart.legend.include_in_layout = False
    if spec.kind == _BAR:
        plot = chart.plots[0]
        plot.gap_width = 40
        if spec.stacked:
            plot.overlap = 100
    for s, series in zip(spec.series, chart.series, strict=True):
        colour = _rgb(s.colour)
        if spec.kind == _BAR:
            if colour is not None:
                series.format.fill.solid()
                series.format.fill.fore_color.rgb = colour
            for i, c in enumerate(s.colours or []):
                point_colour = _rgb(c)
                if point_colour is not None:
                    point = series.points[i]
                    point.format.fill.solid()
                    point.format.fill.fore_color.rgb = point_colour
        else:
            series.smooth = False
            line = series.format.line
            if s.lines or spec.kind == _LINE:
                line.width = Pt(2.25)
                if colour is not None:
                    line.color.rgb = colour
                if s.dash:
                    line.dash_style = MSO_LINE_DASH_STYLE.DASH
            else:
                line.fill.background()  # markers only
            marker = series.marker
            if colour is not None:
                marker.format.fill.solid()
                marker.format.fill.fore_color.rgb = colour
    _axis_titles(chart, spec)
    return frame


def _axis_titles(chart, spec: NativeSpec) -> None:
    from pptx.util import Pt

    pairs = []
    if spec.kind == _XY:
        pairs = [(chart.category_axis, spec.x_title), (chart.value_axis, spec.y_title)]
    elif spec.kind == _BAR and spec.horizontal:
        pairs = [(chart.value_axis, spec.x_title)]
    else:
        pairs = [(chart.value_axis, spec.y_title)]
    for axis, text in pairs:
        if not text:
            continue
        axis.has_title = True
        axis.axis_title.text_frame.text = text
        for paragraph in axis.axis_title.text_frame.paragraphs:
            for run in paragraph.runs:
                run.font.size = Pt(12)
                run.font.bold = False
    from pptx.enum.chart import XL_AXIS_CROSSES, XL_TICK_LABEL_POSITION

    # labels at the low end of the other axis, never through the plot where
    # the axes cross at zero (negative gaps, a PCA plane)
    chart.category_axis.tick_label_position = XL_TICK_LABEL_POSITION.LOW
    chart.value_axis.tick_label_position = XL_TICK_LABEL_POSITION.LOW
    if spec.kind == _XY:
        chart.value_axis.crosses = XL_AXIS_CROSSES.MINIMUM
        chart.category_axis.crosses = XL_AXIS_CROSSES.MINIMUM
    value = chart.value_axis
    value.tick_labels.number_format = spec.number_format
    value.tick_labels.number_format_is_linked = False
    value.has_major_gridlines = True
