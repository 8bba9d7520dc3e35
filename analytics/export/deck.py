"""A PPTX deck of charts: one slide per chart with title, picture, caption,
footer and the numbers in the notes."""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from analytics.chart_model import Chart
from analytics.export import images
from analytics.export.images import ExportUnavailable, _figure_dict
from analytics.export.tables import _table

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


def _caption_size(text: str, width_in: float) -> tuple[int, int]:
    """Font size (pt) and estimated line count of a caption ``width_in`` wide.

    20 pt while it fits in two lines, else 18 pt (never smaller: readable from
    the back of a room). Half an em per character is a fair average width.
    """
    for size in (CAPTION_PT, CAPTION_MIN_PT):
        per_line = width_in * 72 / (size * 0.5)
        lines = max(1, math.ceil(len(text) / per_line))
        if lines <= 2:
            break
    return size, min(lines, 4)


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


def _set_text(
    shape: Any,
    text: str,
    size: int,
    *,
    bold: bool = False,
    color: tuple[int, int, int] | None = None,
) -> None:
    from pptx.dml.color import RGBColor
    from pptx.util import Pt

    frame = shape.text_frame
    frame.word_wrap = True
    frame.text = text
    for paragraph in frame.paragraphs:
        for run in paragraph.runs:
            run.font.size = Pt(size)
            run.font.bold = bold
            if color is not None:
                run.font.color.rgb = RGBColor(*color)


def _place(shape: Any, left: float, top: float, width: float, height: float) -> None:
    from pptx.util import Inches

    shape.left, shape.top = Inches(left), Inches(top)
    shape.width, shape.height = Inches(width), Inches(height)


def build_deck(
    charts: Sequence[Chart],
    *,
    title: str,
    subtitle: str,
    source: str,
    lang: str = "ru",
    progress: Callable[[int, int], None] | None = None,
    timeout: float = 20.0,
) -> bytes:
    """A 16:9 PowerPoint deck: a title slide, then one slide per chart.

    Title slide: ``title`` (e.g. the agglomeration), ``subtitle`` (the
    period) and ``source``. Chart slide: ``chart.title`` as the slide title
    (30 pt), the caption (the finding, 20 pt), the chart as a PNG filling the
    width, and ``chart.footer(lang)`` (unit, year, source, weighting; 12 pt)
    at the bottom. The slide notes hold the numbers behind the chart
    (:func:`data_notes`).

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
    from pptx.enum.text import PP_ALIGN
    from pptx.util import Emu, Inches

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
    inner = SLIDE_WIDTH_IN - 2 * _MARGIN_IN
    grey = (0x59, 0x59, 0x59)

    # the default template's placeholders sit on a 10 in wide slide: move them
    slide = prs.slides.add_slide(prs.slide_layouts[0])
    _place(slide.shapes.title, _MARGIN_IN, 2.2, inner, 1.5)
    _set_text(slide.shapes.title, title, 40, bold=True)
    sub = slide.placeholders[1]
    _place(sub, _MARGIN_IN, 3.8, inner, 1.2)
    _set_text(sub, subtitle, 24, color=grey)
    label = "Источник данных" if lang == "ru" else "Data source"
    box = slide.shapes.add_textbox(
        Inches(_MARGIN_IN), Inches(6.2), Inches(inner), Inches(0.8)
    )
    _set_text(box, f"{label}: {source}" if source else "", 14, color=grey)
    box.text_frame.paragraphs[0].alignment = PP_ALIGN.CENTER  # as the title

    px_w = SLIDE_PICTURE_WIDTH_PX
    for done, chart in enumerate(charts, start=1):
        slide = prs.slides.add_slide(prs.slide_layouts[5])  # "Title Only"
        _place(slide.shapes.title, _MARGIN_IN, 0.25, inner, 0.85)
        _set_text(slide.shapes.title, chart.title, TITLE_PT, bold=True)
        slide.shapes.title.text_frame.paragraphs[0].alignment = PP_ALIGN.LEFT
        top = 1.1
        if chart.caption:
            size, lines = _caption_size(chart.caption, inner)
            height = lines * size * 1.2 / 72 + 0.15
            box = slide.shapes.add_textbox(
                Inches(_MARGIN_IN), Inches(top), Inches(inner), Inches(height)
            )
            _set_text(box, chart.caption, size)
            top += height + 0.05
        footer_top = SLIDE_HEIGHT_IN - 0.55
        # the picture fills the box left between caption and footer: render it
        # at that box's aspect ratio rather than letterboxing a 16:9 image
        pic_h = footer_top - 0.1 - top
        px_h = round(px_w * pic_h / inner)
        spec = _figure_dict(chart.figure, slide=True)
        opts = {"format": "png", "width": px_w, "height": px_h, "scale": 2}
        png = images._render(spec, opts, timeout)
        slide.shapes.add_picture(
            io.BytesIO(png),
            Inches(_MARGIN_IN),
            Inches(top),
            Inches(inner),
            Inches(pic_h),
        )
        box = slide.shapes.add_textbox(
            Inches(_MARGIN_IN), Inches(footer_top), Inches(inner), Inches(0.45)
        )
        _set_text(box, chart.footer(lang), FOOTER_PT, color=grey)
        slide.notes_slide.notes_text_frame.text = data_notes(chart, lang=lang)
        if progress is not None:
            progress(done, total)

    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()
