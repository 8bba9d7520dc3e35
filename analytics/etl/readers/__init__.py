"""Layout detection and dispatch: one reader module per source layout."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa

from analytics.etl.clean import parse_value
from analytics.etl.readers import (
    bdmo_mirror,
    emiss,
    region_year,
    site_workbook,
    tables,
)
from analytics.etl.readers.base import LayoutError, ReadResult, read_workbook, text

EXCEL_SUFFIXES = {".xls", ".xlsx", ".xlsm", ".ods"}
TEXT_SUFFIXES = {".csv", ".tsv", ".txt"}
ARCHIVE_SUFFIXES = {".zip"}  # the БД ПМО mirror's per-indicator downloads
SUPPORTED_SUFFIXES = EXCEL_SUFFIXES | TEXT_SUFFIXES | ARCHIVE_SUFFIXES

__all__ = ["LayoutError", "ReadResult", "SUPPORTED_SUFFIXES", "read_file"]


def _has_numbers(rows: list[list]) -> bool:
    return any(
        parse_value(cell).kind == "ok" for row in rows for cell in row[1:] if text(cell)
    )


def read_file(
    path: Path,
    *,
    is_territory: Callable[[str], bool] = lambda name: False,
    named_columns: dict[str, str] | None = None,
) -> ReadResult:
    """Detect the layout of ``path`` (per sheet for workbooks) and read it.

    Raises
    ------
    LayoutError
        When the file cannot be opened or no sheet is in a known layout. The
        message is in Russian and names the file.
    """
    suffix = path.suffix.lower()
    result = ReadResult()
    if suffix in ARCHIVE_SUFFIXES or (
        suffix in TEXT_SUFFIXES and bdmo_mirror.sniff(path)
    ):
        bdmo_mirror.read_mirror(path, result)
        return result
    if suffix in EXCEL_SUFFIXES:
        try:
            sheets = read_workbook(path)
        except LayoutError:
            raise
        except Exception as error:  # calamine raises several error types
            raise LayoutError(
                f"{path.name}: не удалось открыть как книгу Excel ({error})"
            ) from error
        names = [name for name, _ in sheets]
        if emiss.is_emiss(names):
            emiss.read_emiss(dict(sheets), result)
            return result
        for name, rows in sheets:
            if not rows or not any(text(c) for r in rows for c in r):
                result.notes.append(f"лист «{name}» пуст")
                continue
            if name.strip().lower() in ("содержание", "оглавление", "contents") or (
                text(rows[0][0]).lower().startswith("содержание")
            ):
                result.notes.append(f"лист «{name}» — оглавление, пропущен")
                continue
            try:
                if site_workbook.is_site_sheet(rows):
                    # A sheet named after a territory holds that territory; a
                    # numbered sheet («1», «Лист1») names it in the title.
                    numbered = re.fullmatch(
                        r"(лист|таблица|sheet)?\s*\d+[.\d]*", name.strip().lower()
                    )
                    hint = name if is_territory(name) or not numbered else ""
                    site_workbook.read_site_sheet(rows, name, result, hint)
                else:
                    region_year.read_region_year_sheet(rows, name, result)
            except LayoutError as error:
                if _has_numbers(rows):
                    result.reject(
                        sheet=name,
                        cell="",
                        raw="",
                        reason=f"макет листа не распознан: {error}",
                        kind="invalid",
                    )
                else:
                    result.notes.append(
                        f"лист «{name}» без данных (оглавление или диаграмма) пропущен"
                    )
        if not result.layouts:
            why = "; ".join(r["reason"] for r in result.rejects[:3])
            raise LayoutError(
                f"{path.name}: ни один лист не похож на таблицу Росстата "
                "(регионы × годы, выгрузку ЕМИСС или книгу с сайта Росстата)"
                + (f": {why}" if why else "")
            )
        return result
    if suffix in TEXT_SUFFIXES:
        frame = tables.read_table(path)
        arrow = isinstance(frame, pa.Table)
        layout = tables.detect_csv_layout(frame)
        if layout == tables.LAYOUT_DICTIONARY:
            if arrow:
                frame = frame.cast(
                    pa.schema([(name, pa.string()) for name in frame.column_names])
                ).to_pandas()
            tables.read_dictionary(frame, result)
        elif layout == tables.LAYOUT_PANEL:
            read = tables.read_panel_table if arrow else tables.read_panel
            read(frame, result, named_columns or {})
        elif layout == tables.LAYOUT_TIDY:
            (tables.read_tidy_table if arrow else tables.read_tidy)(frame, result)
        else:
            columns = frame.column_names if arrow else list(frame.columns)
            raise LayoutError(
                f"{path.name}: столбцы не похожи ни на панель БД ПМО (oktmo, year, "
                "tNNNNNNN_K), ни на шаблон (territory, year, indicator, value, unit): "
                + ", ".join(columns[:8])
            )
        return result
    raise LayoutError(f"{path.name}: тип файла «{suffix}» не поддерживается")
