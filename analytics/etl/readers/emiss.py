"""EMISS (fedstat.ru) exports: a ``Данные`` sheet and a ``Паспорт`` sheet.

``Данные`` has a title row, a header of years, then rows of periods (month,
comparison base such as «К декабрю предыдущего года»); data rows carry the
territory in column A, indented with spaces to show the hierarchy (country,
federal district, subject), then one column per classifier («Все товары и
услуги»), then the values. ``Паспорт`` holds key/value rows: the indicator's
name, the unit («* процент»), the date of the last update.

A column is annual when its period is empty, «год» or «январь-декабрь», or
when it is December compared with December of the previous year (the annual
measure that «Регионы России» publishes too). Monthly, quarterly and
cumulative columns («январь», «I квартал», «январь-март», «декабрь» alone)
load with their period (see :mod:`analytics.etl.readers.periods`); the
analysis reads the annual ones.
"""

from __future__ import annotations

import re

from analytics.etl.clean import clean_label, parse_year
from analytics.etl.readers.base import (
    LayoutError,
    RawIndicator,
    ReadResult,
    RecordBuilder,
    text,
)
from analytics.etl.readers.periods import ANNUAL, parse_subperiod

LAYOUT = "emiss"
DATA_SHEET = "Данные"
PASSPORT_SHEET = "Паспорт"

_ANNUAL_PERIODS = {"", "год", "январь-декабрь", "январь - декабрь", "в среднем за год"}


def is_emiss(sheet_names: list[str]) -> bool:
    return DATA_SHEET in sheet_names and PASSPORT_SHEET in sheet_names


def _passport(rows: list[list]) -> dict[str, str]:
    info: dict[str, str] = {}
    if rows and text(rows[0][0]):
        info["name"] = text(rows[0][0])
    for row in rows[1:]:
        key = text(row[0]).rstrip(": ").lower()
        value = text(row[1]) if len(row) > 1 else ""
        if key:
            info[key] = value
    return info


def _is_annual(period: str, base: str) -> bool:
    period = period.lower().strip()
    base = base.lower()
    if period in _ANNUAL_PERIODS:
        return True
    return period == "декабрь" and "декабрю предыдущего года" in base


def read_emiss(sheets: dict[str, list[list]], result: ReadResult) -> int:
    """Read the ``Данные`` sheet using the ``Паспорт`` metadata."""
    passport = _passport(sheets[PASSPORT_SHEET])
    rows = sheets[DATA_SHEET]
    for other in sheets:
        if other not in (DATA_SHEET, PASSPORT_SHEET):
            result.notes.append(f"лист «{other}» не входит в выгрузку ЕМИСС и пропущен")
    result.layouts[PASSPORT_SHEET] = "emiss_passport"
    result.layouts[DATA_SHEET] = LAYOUT
    unit = passport.get("единицы измерения", "").lstrip("* ").strip()
    result.published = passport.get("последнее обновление данных", "")
    name = clean_label(passport.get("name") or text(rows[0][0]))
    if not unit and rows:
        tail = re.search(r"\(([^()]*)\)\s*$", text(rows[0][0]))
        unit = tail.group(1) if tail else ""

    year_row = None
    for index, row in enumerate(rows[:20]):
        years = [c for c, cell in enumerate(row) if parse_year(cell) is not None]
        if years:
            year_row, year_cols = index, years
            break
    if year_row is None:
        raise LayoutError("в листе «Данные» нет строки с годами")
    first_value_col = min(year_cols)
    period_rows = []
    data_start = year_row + 1
    for index in range(year_row + 1, len(rows)):
        if text(rows[index][0]):
            data_start = index
            break
        period_rows.append(index)

    builder = RecordBuilder(result, DATA_SHEET)
    code = passport.get("код показателя", "")
    for r in range(data_start, len(rows)):
        row = rows[r]
        label = text(row[0])
        if not label:
            continue
        territory = clean_label(label)
        dims = [clean_label(text(row[c])) for c in range(1, first_value_col)]
        dims = [d for d in dims if d and d.lower() not in ("всего", "итого")]
        for col in year_cols:
            year = parse_year(rows[year_row][col])
            period = " ".join(text(rows[p][col]) for p in period_rows[:1])
            base = " ".join(text(rows[p][col]) for p in period_rows[1:])
            code_period = ANNUAL
            qualifier = base.strip()
            if _is_annual(period, base):
                if period.lower().strip() == "декабрь" and qualifier:
                    qualifier = f"декабрь {qualifier[:1].lower()}{qualifier[1:]}"
            else:
                code_period = parse_subperiod(period) or ""
                if not code_period:
                    if text(row[col]):
                        result.reject(
                            sheet=DATA_SHEET,
                            cell=f"{_col(col)}{r + 1}",
                            raw=row[col],
                            reason=f"период «{period} {year}» не распознан",
                            kind="invalid",
                        )
                    continue
            full = name
            if dims:
                full = f"{full}: {', '.join(d[:1].lower() + d[1:] for d in dims)}"
            if qualifier:
                full = f"{full} ({qualifier})"
            key = f"emiss:{full}|{unit}"
            result.indicators.setdefault(
                key,
                RawIndicator(
                    key=key, name_ru=full, unit=unit, code=code, source_kind="emiss"
                ),
            )
            builder.add(
                territory_name=territory,
                indicator_key=key,
                year=year,
                raw=row[col],
                row=r,
                col=col,
                period=code_period,
            )
    return builder.flush()


def _col(index: int) -> str:
    from analytics.etl.clean import column_letter

    return column_letter(index)
