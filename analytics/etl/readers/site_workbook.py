"""Current rosstat.gov.ru workbooks: a contents sheet and one sheet per table
or per territory.

Each data sheet starts with a «К содержанию» link, then one or more tables
(«Таблица 1», «Таблица 2»): a title, a period line («(январь-декабрь 2021)»)
or a year in the title («в 2023 г.»), a unit cell (often at the right:
«тысяча рублей»), a header of several rows with hyphenated words, an optional
row of column numbers (1 2 3 …), then rows whose labels are indented with
NBSP and grouped by «в том числе:» / «из них:» lines.

Every (row, column) pair of a table becomes an indicator named by the table
title, the row path and the column header. The territory is the sheet's name
when it names a territory, else the territory named in the table title.
"""

from __future__ import annotations

import re

from analytics.etl.clean import clean_label, dehyphenate, parse_value
from analytics.etl.readers.base import (
    LayoutError,
    RawIndicator,
    ReadResult,
    RecordBuilder,
    text,
)
from analytics.etl.units import looks_like_unit_line

LAYOUT = "rosstat_site"
CONTENTS = "Содержание"

_TABLE = re.compile(r"^таблица\s*\d+", re.I)
_MARKER = re.compile(r"^(в том числе|из них|из него|из строки\s*\d+)\s*:?\s*$", re.I)
_CHILD = re.compile(r"^(из них|из него)\s+", re.I)
_PERIOD = re.compile(r"(январ[ья]\s*-\s*(\w+))?\s*((?:19|20)\d\d)", re.I)


def is_site_sheet(rows: list[list]) -> bool:
    head = [text(r[0]).lower() for r in rows[:2]]
    return any("к содержанию" in h for h in head)


def _split_tables(rows: list[list]) -> list[tuple[int, int]]:
    starts = [i for i, r in enumerate(rows) if _TABLE.match(text(r[0]))]
    if not starts:
        starts = [1]
    bounds = starts + [len(rows)]
    return [(bounds[i], bounds[i + 1]) for i in range(len(starts))]


def _is_number_row(row: list) -> bool:
    values = [parse_value(c).value for c in row if text(c)]
    return len(values) >= 2 and values == [float(i + 1) for i in range(len(values))]


def _has_numbers(row: list) -> bool:
    return any(parse_value(c).kind == "ok" for c in row[1:] if text(c))


def read_site_sheet(
    rows: list[list], sheet: str, result: ReadResult, territory_hint: str
) -> int:
    """Read the tables of one sheet; ``territory_hint`` is the sheet's territory
    (the sheet name) or '' when the sheet is not named after one."""
    builder = RecordBuilder(result, sheet)
    found_table = False
    for start, end in _split_tables(rows):
        block = rows[start:end]
        title_lines: list[str] = []
        unit = ""
        header_start = None
        for i, row in enumerate(block):
            first = text(row[0])
            others = [text(c) for c in row[1:] if text(c)]
            if _TABLE.match(first) or "к содержанию" in first.lower():
                continue
            if first and not others and not header_start:
                if looks_like_unit_line(first) and not re.search(r"\d{4}", first):
                    unit = first.strip("()")
                else:
                    title_lines.append(first)
                continue
            if not first and len(others) == 1 and looks_like_unit_line(others[0]):
                unit = others[0]
                continue
            header_start = i
            break
        if header_start is None:
            continue
        title = clean_label(" ".join(line for line in title_lines if line))
        period = " ".join(title_lines)
        matches = list(_PERIOD.finditer(period))
        match = matches[-1] if matches else None
        if match is None:
            result.notes.append(f"лист «{sheet}»: в заголовке таблицы нет года")
            continue
        year = int(match.group(3))
        months = (match.group(2) or "").lower()
        if match.group(1) and not months.startswith("декабр"):
            result.notes.append(
                f"лист «{sheet}»: период «{match.group(0)}» — не целый год, "
                "таблица пропущена"
            )
            continue
        title = _PERIOD.sub("", title)
        title = re.sub(r"\(\s*\)|\s+в\s+г\.?|\s+за\s*$", "", title)
        title = clean_label(re.sub(r"\s+", " ", title)).rstrip(" ,(")
        territory = territory_hint or _territory_from_title(title)
        if not territory:
            raise LayoutError(f"не удалось определить территорию листа «{sheet}»")

        # Header rows until the first row with a label and numbers.
        data_start = None
        for i in range(header_start, len(block)):
            if _is_number_row(block[i]):
                data_start = i + 1
                header_end = i
                break
            if text(block[i][0]) and _has_numbers(block[i]):
                data_start = i
                header_end = i
                break
        if data_start is None:
            continue
        width = max(len(r) for r in block)
        headers = []
        for c in range(width):
            parts = []
            for r in range(header_start, header_end):
                value = dehyphenate(clean_label(text(block[r][c])))
                if value and not _MARKER.match(value) and value not in parts:
                    parts.append(value)
            headers.append(" ".join(parts))
        value_cols = [
            c
            for c in range(1, width)
            if headers[c]
            or any(text(block[r][c]) for r in range(data_start, len(block)))
        ]
        found_table = True
        parent = ""
        previous = ""
        for i in range(data_start, len(block)):
            row = block[i]
            label_raw = text(row[0])
            if not label_raw:
                if any(text(c) for c in row[1:]):
                    continue
                if i + 1 < len(block) and text(block[i + 1][0]).startswith("*"):
                    break
                continue
            if label_raw.startswith("*") or re.match(r"^\d\)", label_raw):
                break
            label = clean_label(label_raw)
            if _MARKER.match(label):
                parent = previous
                continue
            if label_raw.rstrip().endswith(":") and not any(text(c) for c in row[1:]):
                parent = label.rstrip(":").strip()
                continue
            if "всего" in label.lower():
                parent = ""
            path = label
            if _CHILD.match(label):
                path = f"{previous}: {label}"
            elif parent:
                path = f"{parent}: {label}"
            if not _CHILD.match(label):
                previous = label
            for c in value_cols:
                column = headers[c] or f"графа {c + 1}"
                name = f"{title}: {path}"
                if len(value_cols) > 1:
                    name = f"{name} — {column}"
                key = f"site:{name}|{unit}"
                result.indicators.setdefault(
                    key,
                    RawIndicator(key=key, name_ru=name, unit=unit, source_kind="site"),
                )
                builder.add(
                    territory_name=territory,
                    indicator_key=key,
                    year=year,
                    raw=row[c] if c < len(row) else None,
                    row=start + i,
                    col=c,
                )
    if found_table:
        result.layouts[sheet] = LAYOUT
    return builder.flush()


def _territory_from_title(title: str) -> str:
    if re.search(r"Российск\w+\s+Федераци", title):
        return "Российская Федерация"
    return ""
