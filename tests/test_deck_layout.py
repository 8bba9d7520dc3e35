"""Deck slides: nothing overlaps, every text fits its box by measured font
metrics, one source line a slide, native charts carry the figure's numbers."""

from __future__ import annotations

import io
import struct
import zlib

import plotly.graph_objects as go
import pytest

from analytics import export, pptx_native, slide_layout, views
from analytics.selection import Selection, agglomerations
from analytics.slide_layout import (
    SLIDE_HEIGHT_IN,
    SLIDE_WIDTH_IN,
    chart_slide,
    deck_problems,
    text_width,
    title_slide,
)
from analytics.store import open_store

WORDS = "Доходы местного бюджета на жителя Красноармейский муниципальный район"


def _text(n: int) -> str:
    words = (WORDS + " ") * (n // len(WORDS) + 1)
    return words[:n].strip()


@pytest.mark.parametrize("title_len", [10, 130, 260])
@pytest.mark.parametrize("caption_len", [0, 300, 700])
@pytest.mark.parametrize("footer_len", [20, 200])
def test_any_lengths_stack_without_overlap_and_fit(title_len, caption_len, footer_len):
    layout = chart_slide(_text(title_len), _text(caption_len), _text(footer_len))
    boxes = layout.boxes()
    for i, box in enumerate(boxes):
        assert box.left >= 0 and box.top >= 0
        assert box.right <= SLIDE_WIDTH_IN and box.bottom <= SLIDE_HEIGHT_IN
        for other in boxes[i + 1 :]:
            assert not box.overlaps(other)
    for box in (layout.title, layout.caption, layout.footer):
        if box is not None:
            assert box.fits()
            # every word is on the slide: nothing cut
            assert " ".join(box.lines).split() == " ".join(box.lines).split()
    assert " ".join(layout.title.lines) == _text(title_len)
    assert layout.picture.height > 1.5


def test_short_texts_keep_the_big_sizes_and_long_titles_shrink_first():
    short = chart_slide("Доходы, 2023", "Вывод.", "Источник")
    assert (short.title.size, short.caption.size, short.footer.size) == (30, 20, 12)
    long = chart_slide(_text(260), _text(120), "Источник")
    assert long.title.size < 30 and long.caption.size == 20


def test_title_slide_fits():
    layout = title_slide(_text(120), _text(200), _text(300))
    for box in layout.boxes():
        assert box.fits() and box.bottom <= SLIDE_HEIGHT_IN
    assert not layout.title.overlaps(layout.subtitle)
    assert not layout.subtitle.overlaps(layout.source)


def test_measurement_is_the_fonts():
    # Liberation Sans has Arial's advance widths: «W» is wider than «i»,
    # and a string is as wide as its characters together
    assert text_width("W", 20) > 3 * text_width("i", 20)
    assert text_width("ab", 20) == pytest.approx(
        text_width("a", 20) + text_width("b", 20), rel=0.02
    )


def _png(width: int = 8, height: int = 4) -> bytes:
    raw = b"".join(b"\x00" + b"\xff\xff\xff" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def no_browser(monkeypatch):
    """Pictures are not what this file tests: a blank PNG stands for each."""
    monkeypatch.setattr(export.images, "_render", lambda spec, opts, timeout: _png())
    monkeypatch.setattr(
        export.images, "export_status", lambda: export.ExportStatus(True, "", "")
    )


@pytest.fixture(scope="module")
def store(demo_store):
    return open_store(demo_store)


def test_every_agglomeration_in_both_languages(store, no_browser):
    """Decks for every agglomeration of the store, in Russian and English:
    the charts with the longest texts (a ranking names the best and the
    worst territory, a gap names the largest and the total), and for the
    first agglomeration a heatmap (a picture with the longest labels)."""
    from pptx import Presentation

    ids = agglomerations(store)["agglomeration_id"].tolist()
    assert len(ids) >= 10
    indicator = "budget_revenue_per_capita"
    for agg in ids:
        for lang in ("ru", "en"):
            sel = Selection(agg, 2022, True, lang)
            charts = []
            builds = [
                lambda s=sel: views.ranking(store, s, indicator),
                lambda s=sel: views.gap_to_benchmark(store, s, indicator),
            ]
            if agg == ids[0]:
                builds.append(lambda s=sel: views.heatmap(store, s, "finance"))
            for build in builds:
                try:
                    charts.append(build())
                except views.NoData:
                    continue
            assert charts, agg
            name = views.agglomeration_name(store, agg, lang)
            data = export.build_deck(
                charts, title=name, subtitle="2022", source="БД ПМО", lang=lang
            )
            assert deck_problems(data) == [], (agg, lang)
            prs = Presentation(io.BytesIO(data))
            for slide, chart in zip(list(prs.slides)[1:], charts, strict=True):
                texts = [s.text_frame.text for s in slide.shapes if s.has_text_frame]
                # one source line a slide, and no markup in any text
                assert sum("Источник" in t or "Source" in t for t in texts) == 1
                assert not any("<" in t for t in texts)
                joined = [" ".join(t.split("\n")) for t in texts]
                assert chart.title in joined and chart.caption in joined


def test_a_ranking_is_a_native_bar_chart_with_the_figures_numbers(store):
    selection = Selection("samara_togliatti", 2022, True, "ru")
    chart = views.ranking(store, selection, "budget_revenue_per_capita")
    spec = pptx_native.native_spec(chart.figure)
    assert spec is not None and spec.kind == "bar" and spec.horizontal
    values = dict(
        zip(
            chart.data.iloc[:, 0],
            chart.data["Доходы местного бюджета на жителя, руб. на жителя"],
            strict=True,
        )
    )
    stacked = {
        c: next(s.values[i] for s in spec.series if s.values[i] is not None)
        for i, c in enumerate(spec.categories)
    }
    assert stacked == pytest.approx(values)
    assert spec.stacked  # core and ring never share a bar


def test_heatmaps_and_slope_charts_stay_pictures():
    heat = go.Figure(go.Heatmap(z=[[1, 2]]))
    assert pptx_native.native_spec(heat) is None
    slope = go.Figure(go.Scatter(x=[0, 1], y=[1, 2]))
    slope.layout["yaxis2"] = {"overlaying": "y"}
    assert pptx_native.native_spec(slope) is None


def test_the_deck_names_its_font():
    assert slide_layout.FONT_NAME == "Arial"
    assert slide_layout.font_file().name.startswith(("LiberationSans", "DejaVuSans"))
