"""Region × year tables: «Регионы России» appendices and monitoring tables.

Two layouts share one reader:

``regions_year``
    The «Регионы России» appendix sheet: title rows (publication, section,
    table title with footnote markers, a unit line in parentheses), a row of
    integer years, one row per territory (country, federal districts,
    subjects, with «в том числе:» lines), ``…`` for missing values, and a
    footnote block after a ``¾¾¾`` separator.
``regions_year_multiheader``
    A table whose header spans several rows above the year row (indicator
    group / sub-indicator / year), as in Rosstat's monitoring tables: each
    column group becomes its own indicator, named by its header path.
"""

from __future__ import annotations

import re

from analytics.etl.clean import clean_label, parse_year
from analytics.etl.readers.base import (
    RawIndicator,
    ReadResult,
    RecordBuilder,
    text,
)
from analytics.etl.units import looks_like_unit_line, parse_unit

LAYOUT_SINGLE = "regions_year"
LAYOUT_MULTI = "regions_year_multiheader"

_TABLE_NUMBER = re.compile(r"^(\d+(?:\s*\.\s*\d+)+)\s*\.?\s*(.*)$")
_FOOTER = re.compile(r"^(¾|_{3,}|-{3,}|—{3,}|\*|\d\)\s|примечани|источник)", re.I)
_STRUCTURAL = re.compile(r"^(в том числе|из них|из него|включая)\b.*:?$", re.I)


def find_year_row(rows: list[list]) -> tuple[int, list[int]] | None:
    """The first row whose data cells are all years (at least two, or one
    in a two-column table), with the columns that hold years."""
    for index, row in enumerate(rows[:60]):
        cells = row[1:]
        filled = [(c, cell) for c, cell in enumerate(cells, start=1) if text(cell)]
        if not filled:
            continue
        years = [c for c, cell in filled if parse_year(cell) is not None]
        if years and len(years) == len(filled) and (len(years) >= 2 or len(row) == 2):
            return index, years
    return None


_ABBREVIATIONS = {"ОКВЭД", "ОКВЭД2", "РФ", "ВРП", "ВВП", "ЖКХ", "СНГ", "АО", "ЗАТО"}


def _sentence_case(value: str) -> str:
    """Lower-case words set in capitals, keeping abbreviations and proper names.

    >>> _sentence_case("ЗАБОЛЕВАЕМОСТЬ на 1000 человек ПО КЛАССАМ")
    'Заболеваемость на 1000 человек по классам'
    """

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        return word if word in _ABBREVIATIONS else word.lower()

    value = re.sub(r"\b[А-ЯЁA-Z][А-ЯЁA-Z0-9]+\b", fix, value)
    value = re.sub(
        r"российск(ой|ая|ую) федераци",
        lambda m: "Российск" + m.group(1) + " Федераци",
        value,
    )
    return value[:1].upper() + value[1:]


def _mostly_upper(value: str) -> bool:
    letters = [ch for ch in value if ch.isalpha()]
    return bool(letters) and sum(ch.isupper() for ch in letters) > 0.7 * len(letters)


def _title_name(lines: list[str]) -> tuple[str, str, str]:
    """(indicator name, qualifier, table number) from the title lines."""
    numbered = [
        (i, _TABLE_NUMBER.match(line))
        for i, line in enumerate(lines)
        if _TABLE_NUMBER.match(line)
    ]
    if numbered:
        index, match = numbered[-1]
        number = re.sub(r"\s+", "", match.group(1))
        own = _sentence_case(clean_label(match.group(2)))
        parts = number.split(".")
        previous = lines[index - 1] if index > 0 else ""
        group_title = (
            bool(previous)
            and not _TABLE_NUMBER.match(previous)
            and (
                sum(ch.isupper() for ch in previous)
                > 0.7 * max(1, sum(ch.isalpha() for ch in previous))
            )
            and index > 1
            and not _mostly_upper(match.group(2))
        )
        if (len(parts) >= 3 and index > 0) or group_title:
            parent_line = lines[index - 1]
            parent_match = _TABLE_NUMBER.match(parent_line)
            parent = parent_match.group(2) if parent_match else parent_line
            name = f"{_sentence_case(clean_label(parent))}: {own[:1].lower()}{own[1:]}"
        else:
            name = own
        return name, "", number
    candidates = [line for line in lines if line]
    if len(candidates) > 1:
        candidates = candidates[1:]
    name = _sentence_case(clean_label(candidates[-1])) if candidates else ""
    return name, "", ""


def _split_unit_line(unit_line: str) -> tuple[str, str]:
    """«(на конец года; тысяч коек)» → («на конец года», «тысяч коек»)."""
    inner = unit_line.strip().strip("()").strip()
    if ";" in inner:
        qualifier, unit = inner.rsplit(";", 1)
        return clean_label(qualifier), unit.strip()
    if parse_unit(inner).base != inner.lower() or parse_unit(inner).scale != 1.0:
        return "", inner
    # A pure qualifier («в постоянных ценах») or a unit we do not know.
    if re.search(r"(процент|рубл|человек|тонн|метр|единиц|коек|штук|лет)", inner):
        return "", inner
    return inner, ""


def _header_paths(rows: list[list], first: int, last: int, width: int) -> list[str]:
    """Header text of each column over header rows ``first..last`` (inclusive).

    Merged cells keep their text in their first column only, so each row's
    text spreads right until the next filled cell of that row or of any row
    above it (a group boundary): «Зарплата» over two year columns covers both,
    and never spills into the next group.
    """
    paths: list[list[str]] = [[] for _ in range(width)]
    boundaries: set[int] = set()
    for r in range(first, last + 1):
        row = rows[r]
        filled = {c for c in range(1, width) if clean_label(text(row[c]))}
        current = ""
        for c in range(1, width):
            if c in filled:
                current = clean_label(text(row[c]))
            elif c in boundaries:
                current = ""
            if current and (not paths[c] or paths[c][-1] != current):
                paths[c].append(current)
        boundaries |= filled
    return [" — ".join(p) for p in paths]


def _check_alignment(
    rows: list[list], year_row: int, year_cols: list[int], sheet: str
) -> None:
    """Refuse a sheet whose numbers stand in columns without a year above
    them: the year row is shifted against the data, and reading it would put
    every value under the wrong year."""
    from analytics.etl.clean import cell_ref, parse_value
    from analytics.etl.readers.base import LayoutError

    columns = set(year_cols)
    for r in range(year_row + 1, len(rows)):
        row = rows[r]
        label = text(row[0])
        if label and _FOOTER.match(label):
            break
        if not label or _STRUCTURAL.match(label):
            continue
        for c in range(1, len(row)):
            if c not in columns and parse_value(row[c]).kind == "ok":
                raise LayoutError(
                    f"лист «{sheet}», ячейка {cell_ref(r, c)}: число в столбце "
                    f"без года (годы в строке {year_row + 1}) — строка годов "
                    "смещена относительно данных"
                )


def _path_unit(path: str) -> tuple[str, str]:
    """A column's header path without footnote digits glued to words
    («Численность рабочей силы5»), «в том числе» / «из них» before a child,
    and the unit a part states («всего, тыс.человек», «в %»): (path, unit)."""
    from analytics.etl.readers.grid import _is_unit_text, split_unit

    parts, unit = [], ""
    for part in path.split(" — "):
        part = re.sub(r"(?<=[а-яё])\d+(\))?(?=\s|$|,)", "", part)
        part = re.sub(r"^(в том числе|из них|из него|включая)\s*:?\s*", "", part)
        part = part.strip()
        if not part:
            continue
        if _is_unit_text(part) and not part.lower().startswith("на "):
            unit = unit or part
            continue
        head, stated = split_unit(part)
        if stated:
            unit = unit or stated
            part = head
        parts.append(part)
    return " — ".join(parts), unit


def _row_unit(label: str) -> tuple[str, str]:
    from analytics.etl.readers.grid import split_unit

    return split_unit(label)


def read_region_year_sheet(
    rows: list[list], sheet: str, result: ReadResult, *, source_kind: str = "regions"
) -> int:
    """Read one region × year sheet into ``result``; return values loaded.

    Raises :class:`~analytics.etl.readers.base.LayoutError` when the sheet has
    no year header row.
    """
    from analytics.etl.readers.base import LayoutError

    found = find_year_row(rows)
    if found is None:
        raise LayoutError("нет строки с годами в заголовке")
    year_row, year_cols = found
    _check_alignment(rows, year_row, year_cols, sheet)
    width = max(len(r) for r in rows)

    # Header rows: directly above the year row, with text in data columns.
    header_first = year_row
    while header_first - 1 >= 0 and any(text(c) for c in rows[header_first - 1][1:]):
        header_first -= 1
    title_lines = [text(r[0]) for r in rows[:header_first] if text(r[0])]
    unit_line = ""
    name_lines = []
    for line in title_lines:
        if looks_like_unit_line(line):
            unit_line = line
        else:
            name_lines.append(line)
    name, _, number = _title_name(name_lines)
    qualifier, unit = _split_unit_line(unit_line) if unit_line else ("", "")
    if not name:
        raise LayoutError("не найдено название таблицы над строкой с годами")

    multi = header_first < year_row
    paths = (
        _header_paths(rows, header_first, year_row - 1, width)
        if multi
        else [""] * width
    )
    layout = LAYOUT_MULTI if multi else LAYOUT_SINGLE
    result.layouts[sheet] = layout

    keys: dict[int, tuple[str, int]] = {}
    group_units: dict[str, str] = {}
    for col in year_cols:
        path = paths[col] if col < len(paths) else ""
        col_unit = unit
        col_name = name
        if path:
            path, stated = _path_unit(path)
            group = path.split(" — ")[0]
            if stated:
                group_units.setdefault(group, stated)
            col_unit = stated or group_units.get(group) or unit
            unit_match = re.search(r"\(([^()]*)\)\s*$", path)
            if unit_match and looks_like_unit_line(f"({unit_match.group(1)})"):
                q, u = _split_unit_line(unit_match.group(1))
                col_unit = u or unit
                path = path[: unit_match.start()].strip()
                if q:
                    path = f"{path} ({q})"
            col_name = f"{name}: {path}" if path else name
        full_name = f"{col_name} ({qualifier})" if qualifier else col_name
        key = f"{source_kind}:{full_name}|{col_unit}"
        result.indicators.setdefault(
            key,
            RawIndicator(
                key=key,
                name_ru=full_name,
                unit=col_unit,
                code=number,
                source_kind=source_kind,
            ),
        )
        keys[col] = (key, parse_year(rows[year_row][col]))

    builder = RecordBuilder(result, sheet)
    for r in range(year_row + 1, len(rows)):
        row = rows[r]
        label = text(row[0])
        if not label:
            if any(text(c) for c in row[1:]):
                result.reject(
                    sheet=sheet,
                    cell=f"A{r + 1}",
                    raw="",
                    reason="значения без названия территории",
                    kind="invalid",
                )
            continue
        if _FOOTER.match(label):
            break
        if _STRUCTURAL.match(label):
            continue
        territory = clean_label(label)
        row_keys = keys
        head, row_unit = _row_unit(territory)
        if row_unit:
            # «Российская Федерация, млрд руб.» in a table in millions: the
            # row states its own unit
            territory = head
            row_keys = {}
            for col, (key, year) in keys.items():
                raw = result.indicators[key]
                own = f"{source_kind}:{raw.name_ru}|{row_unit}"
                result.indicators.setdefault(
                    own,
                    RawIndicator(
                        key=own,
                        name_ru=raw.name_ru,
                        unit=row_unit,
                        code=raw.code,
                        source_kind=source_kind,
                    ),
                )
                row_keys[col] = (own, year)
        for col, (key, year) in row_keys.items():
            builder.add(
                territory_name=territory,
                indicator_key=key,
                year=year,
                raw=row[col] if col < len(row) else None,
                row=r,
                col=col,
            )
    return builder.flush()
