"""A PPTX deck of charts: one slide per chart with title, finding, chart (a
native PowerPoint chart or a picture), one source line and the numbers in the
notes, laid out by :mod:`analytics.slide_layout`."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from analytics.chart_model import Chart
from analytics.export import images
from analytics.export.images import ExportUnavailable, _figure_dict
from analytics.export.tables import _table
from analytics.formatting import plain_text

SLIDE_WIDTH_IN = 12192000 / 914400  # 13.333… in: PowerPoint's own 16:9 size


SLIDE_HEIGHT_IN = 7.5


_MARGIN_IN = 0.5


#: Projector-readable sizes (points).
TITLE_PT = 30


CAPTION_PT = 20


CAPTION_MIN_PT = 18


FOOTER_PT = 12


NOTES_MAX_ROWS = 60


#: CSS width of the picture on a chart slide (12.33 in wide: 1 px ≈ 0.7 pt);
#: its height follows the room left by the caption.
SLIDE_PICTURE_WIDTH_PX = 1280


def _number_text(value: Any, lang: str) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float | int) or hasattr(value, "dtype"):
        try:
            if pd.isna(value):
                return "—"
        except (TypeError, ValueError):
            return str(value)
        if isinstance(value, int) or float(value).is_integer():
            text = f"{int(value)}"
        else:
            text = f"{float(value):.10g}"
        return text.replace(".", ",") if lang == "ru" else text
    return str(value)


def data_notes(
    chart: Chart, *, lang: str = "ru", max_rows: int = NOTES_MAX_ROWS
) -> str:
    """The numbers behind ``chart`` as a compact text table, plus its notes.

    Tab-separated (pastes into Excel as columns), at most ``max_rows`` rows,
    numbers to 10 significant digits (decimal comma for Russian), then the
    footer and ``chart.notes``.
    """
    table = _table(chart.data)
    lines = ["\t".join(str(c) for c in table.columns)]
    for values in table.head(max_rows).itertuples(index=False, name=None):
        lines.append("\t".join(_number_text(v, lang) for v in values))
    if len(table) > max_rows:
        more = len(table) - max_rows
        lines.append(
            f"… ещё {more} строк (полностью — в XLSX)"
            if lang == "ru"
            else f"… {more} more rows (all of them in the XLSX)"
        )
    footer = chart.footer(lang)
    if footer:
        lines += ["", footer]
    if chart.notes:
        lines += ["", chart.notes]
    return "\n".join(lines)


def _write_box(
    slide: Any,
    box: Any,
    *,
    color: tuple[int, int, int] | None = None,
    align: str = "left",
    shape: Any = None,
) -> Any:
    """A text box at ``box`` (a :class:`analytics.slide_layout.TextBox`) with
    its measured lines, font, size and line pitch; no insets, no autofit, so
    that PowerPoint and LibreOffice draw what was measured. ``shape``: a
    placeholder to use instead of a new box (the slide's title, which
    outlines and screen readers read)."""
    from pptx.dml.color import RGBColor
    from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
    from pptx.util import Inches, Pt

    from analytics.slide_layout import FONT_NAME, LINE_HEIGHT

    if shape is None:
        shape = slide.shapes.add_textbox(
            Inches(box.left), Inches(box.top), Inches(box.width), Inches(box.height)
        )
    else:
        shape.left, shape.top = Inches(box.left), Inches(box.top)
        shape.width, shape.height = Inches(box.width), Inches(box.height)
    frame = shape.text_frame
    frame.word_wrap = True
    frame.auto_size = MSO_AUTO_SIZE.NONE
    frame.vertical_anchor = MSO_ANCHOR.TOP
    frame.margin_left = frame.margin_right = 0
    frame.margin_top = frame.margin_bottom = 0
    frame.text = box.text
    for paragraph in frame.paragraphs:
        paragraph.line_spacing = Pt(box.size * LINE_HEIGHT)
        paragraph.space_before = paragraph.space_after = Pt(0)
        paragraph.alignment = PP_ALIGN.CENTER if align == "center" else PP_ALIGN.LEFT
        for run in paragraph.runs:
            run.font.name = FONT_NAME
            run.font.size = Pt(box.size)
            run.font.bold = box.bold
            if color is not None:
                run.font.color.rgb = RGBColor(*color)
    return shape


def build_deck(
    charts: Sequence[Chart],
    *,
    title: str,
    subtitle: str,
    source: str,
    lang: str = "ru",
    progress: Callable[[int, int], None] | None = None,
    timeout: float = 20.0,
    native: bool = True,
) -> bytes:
    """A 16:9 PowerPoint deck: a title slide, then one slide per chart.

    Title slide: ``title`` (e.g. the agglomeration), ``subtitle`` (the
    period) and ``source``. Chart slide: ``chart.title``, the caption (the
    finding), the chart, and ``chart.footer(lang)`` (unit, year, source,
    weighting: the slide's one source line) at the bottom, placed by
    :mod:`analytics.slide_layout` from the measured text so that nothing
    overlaps or is cut. Bars, lines and scatters are native PowerPoint charts
    carrying their numbers (``native=False``: pictures for all); the rest are
    PNG pictures rendered at the room left for them. The slide notes hold the
    numbers behind the chart (:func:`data_notes`).

    ``progress(done, total)`` is called with ``done`` = 0 … ``len(charts)``.
    ``timeout`` applies to each picture.

    Raises
    ------
    ExportUnavailable
        Before any work, when images cannot be rendered here.
    ValueError
        When ``charts`` is empty.
    """
    from pptx import Presentation
    from pptx.util import Emu, Inches

    from analytics import pptx_native, slide_layout

    if not charts:
        raise ValueError("build_deck: charts is empty; a deck needs at least one chart")
    status = images.export_status()
    if not status.available:
        raise ExportUnavailable(status.message_ru, status.message_en)

    total = len(charts)
    if progress is not None:
        progress(0, total)

    prs = Presentation()
    prs.slide_width = Emu(round(SLIDE_WIDTH_IN * 914400))
    prs.slide_height = Emu(round(SLIDE_HEIGHT_IN * 914400))
    grey = (0x59, 0x59, 0x59)
    title_only = prs.slide_layouts[5]

    label = "Источник данных" if lang == "ru" else "Data source"
    first = slide_layout.title_slide(
        plain_text(title), plain_text(subtitle), f"{label}: {source}" if source else ""
    )
    slide = prs.slides.add_slide(title_only)
    _write_box(slide, first.title, align="center", shape=slide.shapes.title)
    if first.subtitle is not None:
        _write_box(slide, first.subtitle, color=grey, align="center")
    if first.source is not None:
        _write_box(slide, first.source, color=grey, align="center")

    px_w = SLIDE_PICTURE_WIDTH_PX
    for done, chart in enumerate(charts, start=1):
        slide = prs.slides.add_slide(title_only)
        layout = slide_layout.chart_slide(
            chart.title, chart.caption, plain_text(chart.footer(lang))
        )
        _write_box(slide, layout.title, shape=slide.shapes.title)
        if layout.caption is not None:
            _write_box(slide, layout.caption)
        pic = layout.picture
        try:
            spec = pptx_native.native_spec(chart.figure) if native else None
        except (TypeError, ValueError, KeyError):  # an unforeseen figure:
            spec = None  # a picture of it is still right
        if spec is not None:
            pptx_native.add_native_chart(slide, spec, pic)
        else:
            # rendered at the box's aspect ratio rather than letterboxed
            px_h = max(200, round(px_w * pic.height / pic.width))
            figure = _figure_dict(chart.figure, slide=True)
            opts = {"format": "png", "width": px_w, "height": px_h, "scale": 2}
            png = images._render(figure, opts, timeout)
            slide.shapes.add_picture(
                io.BytesIO(png),
                Inches(pic.left),
                Inches(pic.top),
                Inches(pic.width),
                Inches(pic.height),
            )
        if layout.footer is not None:
            _write_box(slide, layout.footer, color=grey)
        slide.notes_slide.notes_text_frame.text = data_notes(chart, lang=lang)
        if progress is not None:
            progress(done, total)

    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()
