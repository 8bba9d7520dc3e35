"""Layout detection and dispatch: one reader module per source layout."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa

from analytics.etl.clean import parse_value
from analytics.etl.readers import emiss, grid, region_year, sdmx, site_workbook, tables
from analytics.etl.readers.base import LayoutError, ReadResult, read_workbook, text

EXCEL_SUFFIXES = {".xls", ".xlsx", ".xlsm", ".ods"}
TEXT_SUFFIXES = {".csv", ".tsv", ".txt"}
XML_SUFFIXES = {".xml"}  # EMISS (fedstat) SDMX downloads
SUPPORTED_SUFFIXES = EXCEL_SUFFIXES | TEXT_SUFFIXES | XML_SUFFIXES

__all__ = ["LayoutError", "ReadResult", "SUPPORTED_SUFFIXES", "read_file"]


def _has_numbers(rows: list[list]) -> bool:
    return any(
        parse_value(cell).kind == "ok" for row in rows for cell in row[1:] if text(cell)
    )


def _attempt(read, rows, name) -> tuple[ReadResult, str]:
    """One reader on one sheet, into a result of its own: (result, why it
    gave nothing or '')."""
    attempt = ReadResult()
    try:
        read(rows, name, attempt)
    except LayoutError as error:
        return attempt, str(error)
    if not any(len(r) for r in attempt.records):
        notes = "; ".join(attempt.notes[-2:])
        return attempt, notes or "ни одного значения"
    return attempt, ""


def _merge(result: ReadResult, part: ReadResult) -> None:
    result.layouts.update(part.layouts)
    result.records.extend(part.records)
    result.rejects.extend(part.rejects)
    result.notes.extend(part.notes)
    for key, indicator in part.indicators.items():
        result.indicators.setdefault(key, indicator)


def _territorial(part: ReadResult, is_territory) -> bool:
    """Whether most row labels a region × year reading took for territories
    are territories (months or indicators down the rows are not)."""
    names = part.all_records().territory_name.drop_duplicates()
    if names.empty:
        return False
    hits = sum(grid.row_kind(n, is_territory) == "territory" for n in names.tolist())
    return hits >= 0.6 * len(names)


def _varied(part: ReadResult) -> bool:
    """Whether a reading found periods across or down the table (more than
    one year, or sub-annual periods), not only a year in the title."""
    records = part.all_records()
    return records.year.nunique() > 1 or (records.period != "year").any()


def _read_sheet(name, rows, result, is_territory, context) -> None:
    """Every sheet is tried: the region × year configuration and the site
    workbook configuration first where they fit, then the engine. A sheet
    that gives nothing is recorded with the reason each reading gave."""

    def engine(rows, sheet, into):
        grid.read_grid(rows, sheet, into, is_territory=is_territory, context=context)

    def site(rows, sheet, into):
        numbered = re.fullmatch(
            r"(лист|таблица|sheet)?\s*\d+[.\d]*", sheet.strip().lower()
        )
        hint = sheet if is_territory(sheet) or not numbered else ""
        site_workbook.read_site_sheet(rows, sheet, into, hint)

    reasons = []
    if site_workbook.is_site_sheet(rows):
        table, why_table = _attempt(engine, rows, name)
        if not why_table and _varied(table):
            _merge(result, table)
            return
        part, why = _attempt(site, rows, name)
        if not why:
            _merge(result, part)
            return
        reasons.append(why)
    else:
        part, why = _attempt(region_year.read_region_year_sheet, rows, name)
        if not why and _territorial(part, is_territory):
            _merge(result, part)
            return
        if why:
            reasons.append(why)
        table, why_table = _attempt(engine, rows, name)
    if not why_table:
        _merge(result, table)
        return
    reasons.append(why_table)
    if _has_numbers(rows):
        result.reject(
            sheet=name,
            cell="",
            raw="",
            reason="; ".join(dict.fromkeys(reasons)),
            kind="sheet",
        )
    else:
        result.notes.append(
            f"лист «{name}» без чисел (оглавление или пояснения) пропущен"
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
        context = grid.workbook_context(sheets)
        for name, rows in sheets:
            if not rows or not any(text(c) for r in rows for c in r):
                result.notes.append(f"лист «{name}» пуст")
                continue
            if name.strip().lower() in ("содержание", "оглавление", "contents") or (
                text(rows[0][0]).lower().startswith("содержание")
            ):
                result.notes.append(f"лист «{name}» — оглавление, пропущен")
                continue
            if grid.METADATA_SHEETS.match(name.strip()):
                result.notes.append(
                    f"лист «{name}» — описание показателя"
                    + (f" («{context.name}», {context.unit})" if context.name else "")
                )
                continue
            _read_sheet(name, rows, result, is_territory, context)
        if not result.layouts:
            why = "; ".join(
                f"лист «{r['sheet']}»: {r['reason']}"
                for r in result.rejects
                if r["kind"] == "sheet"
            )
            raise LayoutError(
                f"{path.name}: ни на одном листе не найдено ни одного значения"
                + (f" — {why}" if why else "")
            )
        return result
    if suffix in XML_SUFFIXES:
        sdmx.read_sdmx(path, result)
        return result
    if suffix in TEXT_SUFFIXES:
        frame = tables.read_table(path)
        arrow = isinstance(frame, pa.Table)
        ragged = [] if arrow else frame.attrs.get("ragged", [])
        for line, fields, width in ragged:
            result.reject(
                sheet="",
                cell=f"строка {line}",
                raw="",
                reason=f"в строке {line} полей {fields}, а в заголовке {width}: "
                "строка не загружена, остальные загружены",
                kind="invalid",
            )
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
            if arrow:
                frame = frame.to_pandas()
            # a table as a sheet («Регион | 2017 | 2018 …»): the engine
            rows = [list(frame.columns)] + frame.to_numpy(dtype=object).tolist()
            try:
                grid.read_grid(
                    rows,
                    "",
                    result,
                    is_territory=is_territory,
                    context=grid.Context(name=path.stem),
                )
            except LayoutError as error:
                raise LayoutError(
                    f"{path.name}: столбцы не похожи ни на панель БД ПМО (oktmo, "
                    "year, tNNNNNNN_K), ни на шаблон (territory, year, indicator, "
                    "value, unit), ни на таблицу с периодами: "
                    + ", ".join(map(str, columns[:8]))
                    + f" ({error})"
                ) from error
        if ragged:
            # the blanked rows' empty cells are no news beside the row's reject
            blank = {f"строка {line}, " for line, _, _ in ragged}
            result.rejects = [
                r for r in result.rejects if r["cell"].split("столбец")[0] not in blank
            ]
        return result
    raise LayoutError(f"{path.name}: тип файла «{suffix}» не поддерживается")
