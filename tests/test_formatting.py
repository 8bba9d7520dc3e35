"""Numbers and text as each language writes them, in every chart and table.

The views are built on the demo store in both languages; what a reader sees
(plotly's separators and axis formats, titles, findings, table cells) is
checked for decimal commas, thin-space thousands, SI suffixes and markup.
"""

from __future__ import annotations

import base64
import io
import re
import shutil

import numpy as np
import pandas as pd
import pytest

from analytics import charts, views
from analytics.formatting import (
    THIN,
    d3_format,
    fmt_number,
    has_markup,
    plain_text,
    round_frame,
    series_decimals,
)
from analytics.i18n import localize_table
from analytics.selection import Selection
from analytics.store import open_store

AGG, YEAR, INDICATOR = "samara_togliatti", 2023, "budget_revenue_per_capita"
_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4//8/AAX+Av4N70a4"
    "AAAAAElFTkSuQmCC"
)


@pytest.fixture(scope="module")
def store(demo_store):
    return open_store(demo_store)


@pytest.fixture(scope="module")
def built(store):
    """A chart of each kind, in both languages."""
    out = {}
    for lang in ("ru", "en"):
        sel = Selection(AGG, YEAR, True, lang)
        out[lang] = [
            views.ranking(store, sel, INDICATOR),
            views.heatmap(store, sel, "finance"),
            views.lorenz(store, sel, INDICATOR),
            views.beta(store, sel, INDICATOR, 2015, 2023),
            views.mobility(store, sel, INDICATOR, 2015, 2023),
            views.gap_to_benchmark(store, sel, INDICATOR),
            views.core_periphery(store, sel, INDICATOR),
            views.decomposition(store, sel, INDICATOR),
            views.composites(store, sel),
        ]
    return out


def test_russian_numbers():
    assert fmt_number(1164082, "ru") == f"1{THIN}164{THIN}082"
    assert fmt_number(1164082, "en") == "1,164,082"
    assert fmt_number(0.05, "ru") == "0,05"
    assert fmt_number(49272.88, "ru") == f"49{THIN}273"
    assert fmt_number(-0.001, "ru", digits=1) == "0,0"  # no «-0,0»
    assert series_decimals([49272.88, 39659.1501]) == 0
    assert series_decimals([0.312, 0.298]) == 3
    assert d3_format([6.52, 7.1]) == ",.2f"


def test_tables_are_rounded_per_column_and_lose_markup():
    df = pd.DataFrame(
        {"руб.": [49272.88, 39659.1501], "Джини": [0.31234, 0.2], "n": ["a<br>b", "c"]}
    )
    out = round_frame(df)
    assert out["руб."].tolist() == [49273.0, 39659.0]
    assert out["Джини"].tolist() == [0.312, 0.2]
    assert out["n"].tolist() == ["a b", "c"]
    assert df["n"][0] == "a<br>b"  # the argument is not changed


def test_plain_text():
    assert plain_text("Разрыв<br>вырос <b>в 2,6 раза</b>") == "Разрыв вырос в 2,6 раза"
    assert plain_text("a<br />b", breaks="\n") == "a\nb"
    assert not has_markup(plain_text("<i>x</i> &amp; y"))


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_every_figure_writes_numbers_in_its_language(built, lang):
    separators = {"ru": "," + THIN, "en": ".,"}[lang]
    for chart in built[lang]:
        layout = chart.figure.layout
        assert layout.separators == separators, chart.key
        for name in layout:
            if name.startswith(("xaxis", "yaxis")):
                # plotly's default would write 10000 as «10k»
                assert layout[name].exponentformat == "none", (chart.key, name)
        for trace in chart.figure.data:
            template = trace.hovertemplate or ""
            # d3's ~g writes 49272.88 as «4.927e+4»
            assert "~g" not in template, (chart.key, template)


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_no_markup_in_titles_findings_or_tables(built, lang):
    for chart in built[lang]:
        assert not has_markup(chart.title), chart.key
        assert not has_markup(chart.caption), (chart.key, chart.caption)
        for column in chart.data.columns:
            assert not has_markup(column), (chart.key, column)
        text = chart.data.select_dtypes(include=["object", "str"])
        for value in text.to_numpy().ravel():
            assert not has_markup(value), (chart.key, value)


def test_russian_findings_use_a_decimal_comma(built):
    point = re.compile(r"(?<![\d.])\d+\.\d+(?![\d.])")
    for chart in built["ru"]:
        assert not point.search(chart.caption), (chart.key, chart.caption)
        assert not point.search(chart.title), (chart.key, chart.title)


def test_heatmap_missing_cells_are_grey_with_a_legend_entry():
    z = pd.DataFrame(
        [[0.0, np.nan], [1.2, -0.4]], index=["A", "B"], columns=["x", "y"]
    )
    fig = charts.heatmap(z, title="T", footer="F", lang="ru")
    grey = [
        tr for tr in fig.data if tr.type == "heatmap" and tr.showscale is False
    ]
    assert len(grey) == 1
    assert np.isnan(grey[0].z[0][0]) and grey[0].z[0][1] == 1.0  # only the gap
    assert grey[0].colorscale[0][1] == charts.NO_DATA
    legend = [tr for tr in fig.data if tr.type == "scatter"]
    assert [tr.name for tr in legend] == ["нет данных"]
    assert fig.layout.xaxis.side == "bottom"  # never over the title


def test_rank_mobility_names_every_territory_in_full_at_both_ends():
    names = ["городской округ Новокуйбышевск", "Кинельский муниципальный район", "C"]
    df = pd.DataFrame(
        {"name": names, "rank_start": [1, 2, 3], "rank_end": [3, 1, 2]}
    )
    fig = charts.slope_chart(df, title="T", footer="F", start=2015, end=2023)
    left = list(fig.layout.yaxis.ticktext)
    right = list(fig.layout.yaxis2.ticktext)
    assert left == [f"{n} · {r}" for n, r in zip(names, [1, 2, 3], strict=True)]
    assert right == [f"1 · {names[1]}", f"2 · {names[2]}", f"3 · {names[0]}"]


def test_typology_types_keep_their_colour_on_the_map(store):
    view = views.typology_view(store, Selection(AGG, YEAR, True, "ru"))
    assert view.scatter.figure.layout.separators == "," + THIN
    colours = {}
    for chart in (view.scatter, view.map):
        for trace in chart.figure.data:
            if trace.mode == "markers":
                colours.setdefault(trace.name, set()).add(trace.marker.color)
    assert colours and all(len(c) == 1 for c in colours.values()), colours


def test_store_tables_speak_russian():
    agg = pd.DataFrame(
        {
            "agglomeration_id": ["a"],
            "management_model": ["council"],
            "theme": ["finance"],
        }
    )
    out = localize_table(agg, "ru")
    assert list(out.columns) == ["Код агломерации", "Модель управления", "Тема"]
    assert out.iloc[0].tolist() == ["a", "совет агломерации", "финансы"]


def _xlsx_texts(data: bytes) -> list[str]:
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data))
    return [
        str(cell.value)
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for cell in row
        if isinstance(cell.value, str)
    ]


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_no_file_carries_markup_or_long_floats(built, lang, monkeypatch):
    from pptx import Presentation

    from analytics import export

    charts_ = built[lang]
    xlsx = export.charts_to_xlsx(charts_, title="T", source="S", lang=lang)
    for text in _xlsx_texts(xlsx):
        assert not has_markup(text), text
    for chart in charts_:
        csv_text = export.chart_to_csv(chart, lang=lang).decode("utf-8-sig")
        assert not has_markup(csv_text), chart.key
        # no 15-digit floats: three significant digits plus two at most
        point = "," if lang == "ru" else r"\."
        assert not re.search(rf"\d{point}\d{{8,}}", csv_text), chart.key
        if lang == "ru":
            assert not re.search(r"\d\.\d", csv_text), chart.key  # decimal comma
    monkeypatch.setattr(export.images, "_render", lambda spec, opts, t: _PNG)
    monkeypatch.setattr(
        export.images, "export_status", lambda: export.ExportStatus(True, "", "")
    )
    deck = export.build_deck(charts_, title="T", subtitle="S", source="S", lang=lang)
    for slide in Presentation(io.BytesIO(deck)).slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                assert not has_markup(shape.text_frame.text), shape.text_frame.text
        assert not has_markup(slide.notes_slide.notes_text_frame.text)


def test_xlsx_cells_have_number_formats(built):
    from openpyxl import load_workbook

    from analytics import export

    chart = built["ru"][0]  # a ranking: roubles and persons
    wb = load_workbook(
        io.BytesIO(export.charts_to_xlsx([chart], title="T", source="S"))
    )
    ws = wb.worksheets[1]
    formats = {ws.cell(row=2, column=c).number_format for c in (3, 4)}
    assert formats == {"#,##0"}


@pytest.mark.skipif(
    not shutil.which("chromium"), reason="chromium renders the images"
)
def test_pictures_show_no_literal_markup(built):
    from analytics import export

    for chart in built["ru"][1:2]:  # the heatmap: wrapped labels
        svg = export.figure_bytes(chart.figure, "svg").decode()
        assert "&lt;br" not in svg and "&lt;b&gt;" not in svg, chart.key
