"""analytics.export: images, deck, workbook, CSV, file names, the no-browser path.

Tests that render need Chromium (``make setup`` installs Debian's); without it
they skip and say so. The renderer starts once for the whole file.
"""

from __future__ import annotations

import csv
import io
import struct
import threading
import time
import xml.etree.ElementTree as ET

import pandas as pd
import plotly.graph_objects as go
import pytest

from analytics import charts as charts_module
from analytics import export
from analytics.chart_model import Chart
from analytics.export import (
    ExportError,
    ExportTimeout,
    ExportUnavailable,
    build_deck,
    chart_to_csv,
    charts_to_xlsx,
    export_status,
    figure_bytes,
    safe_filename,
    table_to_csv,
)
from analytics.slide_layout import deck_problems

BROWSER = export.find_browser()
needs_chromium = pytest.mark.skipif(
    BROWSER is None,
    reason="no Chromium found (BROWSER_PATH, PATH, /usr/bin/chromium): image export "
    "cannot be tested; `make setup` as root installs it",
)

TERRITORIES = ["Казань", "Зеленодольск", "Высокогорский район", "Лаишевский район"]
REVENUE = [48250.5, 31210.25, 27004.0, 35120.0]
POPULATION = [1318604, 97651, 50102, 42671]


def _bar(title: str, values: list[float], y_title: str) -> go.Figure:
    fig = go.Figure(go.Bar(x=TERRITORIES, y=values))
    fig.update_layout(
        title=title, xaxis_title="Муниципальное образование", yaxis_title=y_title
    )
    return fig


def _territory_chart(key: str, column: str, values: list, unit: str, **kw) -> Chart:
    """A bar chart over the four territories, with its data table."""
    return Chart(
        key=key,
        figure=_bar(f"{kw['title']}, 2023", values, unit),
        data=pd.DataFrame({"Территория": TERRITORIES, column: values}),
        unit=unit,
        year="2023",
        **kw,
    )


@pytest.fixture(scope="module")
def charts() -> list[Chart]:
    revenue = _territory_chart(
        "revenue", "Доходы, руб. на жителя", REVENUE, "руб. на жителя",
        title="Доходы бюджета на жителя",
        caption="Казань получает на жителя в 1,8 раза больше Высокогорского района.",
        source="БД ПМО",
        notes="Без межбюджетных трансфертов.",
    )  # fmt: skip
    population = _territory_chart(
        "population", "Население, чел.", POPULATION, "человек",
        title="Численность населения",
        caption="Ядро — 87 % населения агломерации.",
        source="Росстат",
    )  # fmt: skip
    years, gini = [2019, 2020, 2021], [0.21, 0.23, 0.2275]
    gini_chart = Chart(
        key="gini",
        figure=go.Figure(go.Scatter(x=years, y=gini)),
        data=pd.DataFrame({"Год": years, "Джини": gini}),
        # forbidden sheet characters, longer than 31 characters
        title="Неравенство доходов: индекс Джини [взвешенный] / по годам",
        caption="",
        unit="индекс Джини",
        year="2019–2021",
        source="БД ПМО",
        weighted=True,
    )
    return [revenue, population, gini_chart]


@pytest.fixture(scope="module")
def renderer():
    """Start Chromium once for this file; close it at the end."""
    if BROWSER is None:
        pytest.skip(needs_chromium.kwargs["reason"])
    yield
    export.shutdown_renderer()


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


# --------------------------------------------------------------------------
# images


@needs_chromium
def test_png_is_a_16_9_slide_at_double_resolution(renderer, charts):
    data = figure_bytes(charts[0].figure)
    assert _png_size(data) == (3200, 1800)


@needs_chromium
def test_png_size_follows_width_height_scale(renderer, charts):
    data = figure_bytes(charts[0].figure, width=400, height=300, scale=1.5)
    assert _png_size(data) == (600, 450)


@needs_chromium
def test_svg_is_xml_with_the_cyrillic_title_in_a_cyrillic_font(renderer, charts):
    data = figure_bytes(charts[0].figure, "svg")
    root = ET.fromstring(data.decode("utf-8"))
    texts = {
        "".join(el.itertext()) for el in root.iter("{http://www.w3.org/2000/svg}text")
    }
    assert "Доходы бюджета на жителя, 2023" in texts
    assert "Муниципальное образование" in texts
    assert "DejaVu Sans" in data.decode("utf-8")


@needs_chromium
def test_pdf_embeds_a_font(renderer, charts):
    data = figure_bytes(charts[0].figure, "pdf")
    assert data.startswith(b"%PDF")
    # the text is real text in an embedded (subset) font, not missing glyphs
    assert b"/FontName" in data and b"DejaVuSans" in data


@needs_chromium
def test_figure_is_not_modified(renderer, charts):
    fig = charts[0].figure
    before = fig.to_json()
    figure_bytes(fig, width=300, height=200, scale=1)
    assert fig.to_json() == before
    assert fig.layout.font.family is None


@needs_chromium
def test_a_font_set_by_the_figure_is_kept(renderer):
    fig = go.Figure(
        go.Bar(x=["а"], y=[1]), layout={"font": {"family": "Liberation Sans"}}
    )
    svg = figure_bytes(fig, "svg", width=300, height=200).decode()
    assert "Liberation Sans" in svg and "DejaVu" not in svg


@needs_chromium
def test_concurrent_exports_from_threads(renderer, charts):
    results: list[bytes] = []
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            results.append(
                figure_bytes(charts[i % 2].figure, width=320 + i, height=200, scale=1)
            )
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert sorted(_png_size(r)[0] for r in results) == [320, 321, 322, 323]


def test_bad_format_and_size_are_refused(charts):
    with pytest.raises(ValueError, match="fmt"):
        figure_bytes(charts[0].figure, "gif")
    with pytest.raises(ValueError, match="width"):
        figure_bytes(charts[0].figure, width=0)
    with pytest.raises(TypeError, match="plotly Figure"):
        figure_bytes(charts[0])


# --------------------------------------------------------------------------
# deck


@needs_chromium
def test_deck(renderer, charts):
    from pptx import Presentation

    calls: list[tuple[int, int]] = []
    data = build_deck(
        charts,
        title="Казанская агломерация",
        subtitle="2019–2023",
        source="БД ПМО, Росстат",
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls == [(0, 3), (1, 3), (2, 3), (3, 3)]
    prs = Presentation(io.BytesIO(data))
    assert (prs.slide_width, prs.slide_height) == (12192000, 6858000)  # 16:9
    slides = list(prs.slides)
    assert len(slides) == 1 + len(charts)

    first = " ".join(s.text_frame.text for s in slides[0].shapes if s.has_text_frame)
    for text in ("Казанская агломерация", "2019–2023", "БД ПМО, Росстат"):
        assert text in first

    for slide, chart in zip(slides[1:], charts, strict=True):
        # bars and lines are native charts carrying the figure's numbers
        frames = [s for s in slide.shapes if s.has_chart]
        assert len(frames) == 1
        assert frames[0].width > 0.9 * prs.slide_width  # large
        native = frames[0].chart
        plotted = [v for series in native.plots[0].series for v in series.values]
        figure = [v for trace in chart.figure.data for v in trace.y]
        assert sorted(v for v in plotted if v is not None) == pytest.approx(
            sorted(figure)
        )
        for shape in slide.shapes:  # nothing runs off the slide
            assert shape.top + shape.height <= prs.slide_height

        sizes = {}
        for shape in slide.shapes:
            if shape.has_text_frame and shape.text_frame.text:
                run = shape.text_frame.paragraphs[0].runs[0]
                sizes[" ".join(shape.text_frame.text.split("\n"))] = run.font.size.pt
        assert sizes[chart.title] >= 28
        assert sizes[chart.footer("ru")] >= 11
        if chart.caption:
            assert sizes[chart.caption] >= 18
        notes = slide.notes_slide.notes_text_frame.text
        assert chart.footer("ru") in notes
        if chart.notes:
            assert chart.notes in notes
    assert deck_problems(data) == []
    notes = [s.notes_slide.notes_text_frame.text for s in slides[1:]]
    assert "Казань\t48250,5" in notes[0] and "Зеленодольск\t31210,25" in notes[0]
    assert "Казань\t1318604" in notes[1]
    assert "2021\t0,2275" in notes[2]


@needs_chromium
def test_deck_in_english_and_long_tables_are_cut_in_notes(renderer, charts):
    from pptx import Presentation

    long = Chart(
        key="long",
        figure=go.Figure(go.Bar(x=list(range(100)), y=list(range(100)))),
        data=pd.DataFrame({"n": range(100), "value, rub": [i / 4 for i in range(100)]}),
        title="Long",
        caption="A caption " * 30,  # three lines at 20 pt: drops to 18 pt
        unit="rub",
        year="2023",
        source="test",
    )
    data = build_deck([long], title="T", subtitle="S", source="src", lang="en")
    slide = Presentation(io.BytesIO(data)).slides[1]
    notes = slide.notes_slide.notes_text_frame.text
    assert "59\t14.75" in notes and "60\t15" not in notes
    assert "40 more rows" in notes
    caption = [
        s for s in slide.shapes if s.has_text_frame and "A caption" in s.text_frame.text
    ]
    # three lines at 20 pt leave the picture room enough: the size stays
    assert caption[0].text_frame.paragraphs[0].runs[0].font.size.pt == 20
    assert len(caption[0].text_frame.paragraphs) >= 2
    assert deck_problems(data) == []


@needs_chromium
def test_deck_pictures_have_the_boxes_proportions_and_no_second_footer(renderer):
    from pptx import Presentation
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    z = pd.DataFrame([[0.5, -1.0], [1.0, 0.2]], index=["A", "B"], columns=["x", "y"])
    heat = Chart(
        key="heat",
        figure=charts_module.heatmap(z, title="T", footer="Источник: тест"),
        data=z,
        title="Тепловая карта",
        caption="",
        unit="z",
        year="2023",
        source="тест",
    )
    data = build_deck([heat], title="T", subtitle="S", source="src")
    slide = Presentation(io.BytesIO(data)).slides[1]
    pictures = [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
    assert len(pictures) == 1
    w, h = _png_size(pictures[0].image.blob)
    assert w / h == pytest.approx(pictures[0].width / pictures[0].height, rel=0.01)
    spec = export.images._figure_dict(heat.figure, slide=True)
    assert not [a for a in spec["layout"].get("annotations", []) if "тест" in a["text"]]


def test_deck_needs_charts():
    with pytest.raises(ValueError, match="empty"):
        build_deck([], title="t", subtitle="s", source="x")


# --------------------------------------------------------------------------
# workbook and CSV


def test_xlsx(charts):
    from openpyxl import load_workbook

    data = charts_to_xlsx(charts, title="Казанская агломерация", source="БД ПМО")
    wb = load_workbook(io.BytesIO(data))
    names = wb.sheetnames
    assert len(names) == 1 + len(charts)
    assert names[0] == "Содержание"
    assert len(set(n.casefold() for n in names)) == len(names)
    for name in names:
        assert len(name) <= 31 and not set(name) & set("[]:*?/\\")

    cover = wb[names[0]]
    cover_text = [str(c.value) for row in cover.iter_rows() for c in row if c.value]
    for chart, name in zip(charts, names[1:], strict=True):
        assert (
            chart.title in cover_text
            and name in cover_text
            and chart.unit in cover_text
        )
    assert "Казанская агломерация" in cover_text and "БД ПМО" in cover_text
    assert "взвешено по населению" in cover_text  # the Gini chart

    for chart, name in zip(charts, names[1:], strict=True):
        ws = wb[name]
        assert ws.freeze_panes == "A2"
        header = [c.value for c in ws[1]]
        assert header == list(chart.data.columns)  # units are in the headers
        assert all(c.font.b for c in ws[1])
        rows = [list(r) for r in ws.iter_rows(min_row=2, values_only=True)]
        assert rows == chart.data.to_numpy().tolist()
        assert ws.column_dimensions["A"].width >= len(header[0])


def test_xlsx_sheet_names_are_cut_and_unique():
    same = pd.DataFrame({"a": [1]})
    many = [
        Chart(
            key=f"k{i}",
            figure=go.Figure(),
            data=same,
            title=title,
            caption="",
            unit="",
            year="",
            source="",
        )
        for i, title in enumerate(
            [
                "Доходы: бюджет/жителя? [2023]*" * 2,
                "Доходы: бюджет/жителя? [2023]*" * 2,
                "history",
                "'Quoted'",
                "",
            ]
        )
    ]
    from openpyxl import load_workbook

    wb = load_workbook(
        io.BytesIO(charts_to_xlsx(many, title="t", source="s", lang="en"))
    )
    names = wb.sheetnames
    assert names[0] == "Contents"
    assert len(set(n.casefold() for n in names)) == len(names) == 6
    assert names[1].startswith("Доходы бюджет жителя 2023")
    assert names[2].endswith(" (2)") and len(names[2]) <= 31
    assert names[3] != "history" and names[4] == "Quoted" and names[5] == "k4"


@pytest.mark.parametrize(
    ("lang", "sep", "decimal"), [("ru", ";", ","), ("en", ",", ".")]
)
def test_csv_round_trips(charts, lang, sep, decimal):
    chart = charts[0]
    data = chart_to_csv(chart, lang=lang)
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    text = data.decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(text), delimiter=sep))
    assert header == list(chart.data.columns)
    assert f"Зеленодольск{sep}31210{decimal}25" in text
    back = pd.read_csv(io.BytesIO(data), sep=sep, decimal=decimal, encoding="utf-8-sig")
    pd.testing.assert_frame_equal(back, chart.data, check_dtype=False)


def test_table_to_csv_keeps_a_named_index():
    df = pd.DataFrame({"Джини": [0.2, 0.25]}, index=pd.Index([2022, 2023], name="Год"))
    back = pd.read_csv(
        io.BytesIO(table_to_csv(df)), sep=";", decimal=",", encoding="utf-8-sig"
    )
    assert list(back.columns) == ["Год", "Джини"]
    assert back["Джини"].tolist() == [0.2, 0.25]
    with pytest.raises(ValueError, match="lang"):
        table_to_csv(df, lang="de")


# --------------------------------------------------------------------------
# file names


@pytest.mark.parametrize(
    ("title", "ext", "expected"),
    [
        ("Доходы бюджета на жителя", "png", "Доходы_бюджета_на_жителя.png"),
        ('a/b\\c:d*e?f"g<h>i|j', ".PDF", "a_b_c_d_e_f_g_h_i_j.pdf"),
        ("../../etc/passwd", "csv", "etc_passwd.csv"),
        (
            "строка\nс\tуправляющими\x00символами",
            "xlsx",
            "строка_с_управляющими_символами.xlsx",
        ),
        ("", "pptx", "chart.pptx"),
        ("...", "pptx", "chart.pptx"),
        ("CON", "txt", "_CON.txt"),
    ],
)
def test_safe_filename(title, ext, expected):
    assert safe_filename(title, ext) == expected


def test_safe_filename_is_length_limited():
    name = safe_filename("Ж" * 500, "png")
    assert name == "Ж" * 80 + ".png"
    assert len(name.encode()) < 255
    with pytest.raises(ValueError, match="ext"):
        safe_filename("x", "p/ng")


# --------------------------------------------------------------------------
# no browser, broken browser, timeout (last: they stop the shared renderer)


def test_without_a_browser_export_says_how_to_enable_it(monkeypatch, charts):
    monkeypatch.setattr(export.images, "find_browser", lambda: None)
    status = export_status()
    assert not status.available
    assert "apt-get install chromium" in status.message_ru
    assert "make setup" in status.message_ru
    assert "Экспорт изображений недоступен" in status.message_ru
    assert "apt-get install chromium" in status.message_en

    started = time.monotonic()
    with pytest.raises(ExportUnavailable) as info:
        figure_bytes(charts[0].figure)
    assert time.monotonic() - started < 1
    assert isinstance(info.value, RuntimeError)
    assert info.value.message("ru") == status.message_ru
    assert str(info.value) == status.message_en

    calls = []
    with pytest.raises(ExportUnavailable):
        build_deck(
            charts,
            title="t",
            subtitle="s",
            source="x",
            progress=lambda *a: calls.append(a),
        )
    assert calls == []
    # tables do not need the browser
    assert charts_to_xlsx(charts, title="t", source="s")[:2] == b"PK"


def test_browser_lookup_order(monkeypatch, tmp_path):
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("BROWSER_PATH", str(fake))
    assert export.find_browser() == str(fake)
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "missing"))
    monkeypatch.delenv("CHROMIUM_PATH", raising=False)
    assert export.find_browser() != str(tmp_path / "missing")


@needs_chromium
def test_a_render_error_becomes_a_message_for_the_ui(monkeypatch, renderer, charts):
    figure_bytes(charts[0].figure, width=300, height=200, scale=1)  # warm

    def broken(self, spec, opts, timeout):
        raise ValueError("plotly.js said no")

    running = export.images._renderer
    monkeypatch.setattr(export._Renderer, "render", broken)
    with pytest.raises(ExportError) as info:
        figure_bytes(charts[0].figure)
    assert "plotly.js said no" in info.value.message_ru
    assert isinstance(info.value.__cause__, ValueError)
    assert export.images._renderer is running  # a live browser is kept


@needs_chromium
def test_a_render_that_times_out_is_stopped_and_the_next_one_works(renderer, charts):
    figure_bytes(charts[0].figure, width=300, height=200, scale=1)  # warm
    started = time.monotonic()
    with pytest.raises(ExportTimeout) as info:
        figure_bytes(charts[0].figure, timeout=0.001)
    assert time.monotonic() - started < 15
    assert isinstance(info.value, ExportError)
    assert "не успел" in info.value.message_ru
    # the renderer restarts by itself
    assert _png_size(
        figure_bytes(charts[0].figure, width=300, height=200, scale=1)
    ) == (
        300,
        200,
    )


def test_a_browser_that_does_not_start_makes_export_unavailable_not_hang(
    monkeypatch, charts
):
    export.shutdown_renderer()
    monkeypatch.setattr(export.images, "find_browser", lambda: "/bin/false")
    started = time.monotonic()
    with pytest.raises(ExportUnavailable):
        figure_bytes(charts[0].figure, timeout=5)
    assert time.monotonic() - started < export.STARTUP_TIMEOUT + 5
    status = export_status()
    assert not status.available and "/bin/false" in status.message_ru
    # the next call does not retry for a while: it fails at once
    started = time.monotonic()
    with pytest.raises(ExportUnavailable):
        figure_bytes(charts[0].figure, timeout=5)
    assert time.monotonic() - started < 1
    export.shutdown_renderer()
