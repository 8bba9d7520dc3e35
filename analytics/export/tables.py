"""Tables out of the app: CSV (Russian or English dialect) and an XLSX
workbook of charts (data, unit, year, source on every sheet)."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pandas as pd

from analytics import escape
from analytics.chart_model import Chart
from analytics.formatting import excel_formats, plain_text, round_frame
from analytics.i18n import DEFAULT_LANG, LANGS, t

_CSV_DIALECT = {"ru": (";", ","), "en": (",", ".")}


def _table(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with a meaningful index turned into columns (a RangeIndex is dropped)."""
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame; got {type(df).__name__}")
    if isinstance(df.index, pd.RangeIndex):
        return df
    return df.reset_index()


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` as files get it: floats rounded to two digits beyond what the
    screen shows (:func:`analytics.formatting.round_frame`), no plotly markup
    in text or headers."""
    out = round_frame(df, extra=2)
    out.columns = [plain_text(c) if isinstance(c, str) else c for c in out.columns]
    return out


def table_to_csv(df: pd.DataFrame, *, lang: str = "ru") -> bytes:
    """A DataFrame as CSV bytes that Excel opens with Cyrillic intact.

    UTF-8 with BOM. ``lang="ru"``: ``;`` separator, decimal comma (Excel in a
    Russian locale); ``lang="en"``: ``,`` and a decimal point. A named or
    non-range index is written as columns. Read back with
    ``pd.read_csv(io.BytesIO(b), sep=";", decimal=",", encoding="utf-8-sig")``.
    """
    if lang not in _CSV_DIALECT:
        raise ValueError(f"table_to_csv: lang must be 'ru' or 'en'; got {lang!r}")
    sep, decimal = _CSV_DIALECT[lang]
    text = _plain(_table(df)).to_csv(
        index=False, sep=sep, decimal=decimal, lineterminator="\r\n"
    )
    return text.encode("utf-8-sig")


def chart_to_csv(chart: Chart, *, lang: str = "ru") -> bytes:
    """The numbers behind ``chart`` as CSV (see :func:`table_to_csv`)."""
    return table_to_csv(chart.data, lang=lang)


_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f]")


def _xlsx_text(lang: str) -> dict:
    """The words of the workbook's cover and sheet heads in ``lang``."""
    lang = lang if lang in LANGS else DEFAULT_LANG
    words = {
        key: t(f"xlsx.{key}", lang)
        for key in (
            "cover",
            "title",
            "source",
            "exported",
            "sheet",
            "chart",
            "unit",
            "year",
            "weighting",
            "caption",
        )
    }
    words[True] = t("weighted.true", lang)
    words[False] = t("weighted.false", lang)
    words[None] = t("xlsx.no_weighting", lang)
    return words


def _sheet_name(name: str, taken: set[str]) -> str:
    """A valid, unique (case-insensitively, as Excel compares) sheet name."""
    base = _SHEET_FORBIDDEN.sub(" ", name)
    base = re.sub(r"\s+", " ", base).strip().strip("'").strip() or "Sheet"
    if base.casefold() == "history":  # reserved by Excel
        base = "History_"
    candidate = base[:31]
    n = 2
    while candidate.casefold() in taken:
        suffix = f" ({n})"
        candidate = base[: 31 - len(suffix)].rstrip() + suffix
        n += 1
    taken.add(candidate.casefold())
    return candidate


def _cell_value(value: Any) -> Any:
    """A value openpyxl can store (NaN/NA → empty cell)."""
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, str):
        return escape.xlsx(value)
    if isinstance(value, int | float | bool | datetime):
        return value
    return escape.xlsx(str(value))


def _autowidth(ws: Any, widths: dict[int, int]) -> None:
    from openpyxl.utils import get_column_letter

    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = min(max(width + 2, 8), 70)


def _value_width(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, float):
        return len(f"{value:.6g}")
    return max((len(line) for line in str(value).splitlines()), default=0)


def charts_to_xlsx(
    charts: Sequence[Chart],
    *,
    title: str,
    source: str,
    lang: str = "ru",
    exported_at: datetime | None = None,
) -> bytes:
    """The numbers behind ``charts`` as an Excel workbook.

    A cover sheet (title, source, export date and one row per chart: sheet,
    chart title, unit, year, weighting, finding), then one sheet per chart
    with ``chart.data``: bold, frozen header row (column names carry units),
    columns sized to their content. Numbers stay numbers; missing values are
    empty cells. Sheet names come from chart titles, cut to 31 characters,
    made unique and cleared of ``[]:*?/\\``.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.hyperlink import Hyperlink

    words = _xlsx_text(lang)
    exported_at = exported_at or datetime.now().replace(microsecond=0)
    bold = Font(bold=True)

    wb = Workbook()
    cover = wb.active
    cover.title = words["cover"]
    taken = {cover.title.casefold()}
    cover.append([_cell_value(title)])
    cover["A1"].font = Font(bold=True, size=14)
    cover.append([words["source"], _cell_value(source)])
    cover.append([words["exported"], exported_at])
    cover["B3"].number_format = "yyyy-mm-dd hh:mm"
    cover["B3"].alignment = Alignment(horizontal="left")
    cover.append([])
    header = ["sheet", "chart", "unit", "year", "weighting", "source", "caption"]
    cover.append([words[h] for h in header])
    header_row = cover.max_row
    for cell in cover[header_row]:
        cell.font = bold
    widths = {1: len(words["source"]), 2: 10}
    for i, key in enumerate(header, start=1):
        widths[i] = max(widths.get(i, 0), len(words[key]))

    for chart in charts:
        name = _sheet_name(chart.title or chart.key, taken)
        row = [
            name,
            chart.title,
            chart.unit,
            chart.year,
            words[chart.weighted],
            chart.source,
            chart.caption,
        ]
        row = [_cell_value(v) for v in row]
        cover.append(row)
        cell = cover.cell(row=cover.max_row, column=1)
        quoted = name.replace("'", "''")
        cell.hyperlink = Hyperlink(ref=cell.coordinate, location=f"'{quoted}'!A1")
        cell.style = "Hyperlink"
        for i, value in enumerate(row, start=1):
            widths[i] = max(widths[i], _value_width(value))

        ws = wb.create_sheet(name)
        table = _plain(_table(chart.data))
        ws.append([_cell_value(str(c)) for c in table.columns])
        for cell in ws[1]:
            cell.font = bold
        col_widths = {i: _value_width(str(c)) for i, c in enumerate(table.columns, 1)}
        for values in table.itertuples(index=False, name=None):
            row_values = [_cell_value(v) for v in values]
            ws.append(row_values)
            for i, v in enumerate(row_values, start=1):
                col_widths[i] = max(col_widths[i], _value_width(v))
        # numbers shown grouped and rounded alike per column (the cells keep
        # two more digits); Excel draws the reader's own decimal mark
        for col, number_format in excel_formats(table).items():
            for (cell,) in ws.iter_rows(
                min_row=2, max_row=ws.max_row, min_col=col, max_col=col
            ):
                cell.number_format = number_format
        ws.freeze_panes = "A2"
        _autowidth(ws, col_widths)

    for sheet in wb.worksheets:  # names and texts from files stay text
        escape.guard_sheet(sheet)
    cover.freeze_panes = cover.cell(row=header_row + 1, column=1)
    # the title and the finding are long: let them run over instead of widening
    widths[7] = min(widths[7], 60)
    _autowidth(cover, widths)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
